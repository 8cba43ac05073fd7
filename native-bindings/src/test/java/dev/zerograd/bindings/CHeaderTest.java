package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The header parser on small inputs written for each feature, so that it is tested on every
 * machine, including those without the headers the conformance tests read.
 */
class CHeaderTest {
    private static final CHeader.Dialect DECORATED =
            new CHeader.Dialect(Set.of("API", "WINAPI", "__builtin__"), Set.of("__dv"), Map.of());

    @Test
    void opaquePointerTypedefsEnumTypedefsAndAttributeMacros() {
        CHeader h = CHeader.parse(DECORATED, """
                struct ctx;
                typedef struct ctx* handle_t;
                typedef __builtin__ struct stream_st *stream_t;
                typedef enum { STATUS_OK = 0, STATUS_BAD = 7 } status_t;
                enum __builtin__ kind { K0 = 0, K1 };
                typedef __builtin__ enum kind kind_t;
                API status_t WINAPI create(handle_t* handle);
                API status_t WINAPI
                run(handle_t handle, enum kind k, kind_t k2, stream_t stream __dv(0), const float* alpha,
                    unsigned long long flags, long long int stride, size_t n, const char *name);
                """);
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
                h.descriptor(h.prototype("create")));
        CHeader.Prototype run = h.prototype("run");
        assertEquals(List.of("handle_t", "enum kind", "kind_t", "stream_t", "float *", "unsigned long long",
                "long long int", "size_t", "char *"), run.parameterTypes());
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), h.descriptor(run));
        assertEquals(7, h.enumConstant("STATUS_BAD"));
        assertEquals(1, h.enumConstant("K1"), "an implicit value follows the one before");
    }

    @Test
    void enumValuesInHexNegativeImplicitAndByReference() {
        CHeader h = CHeader.parse(CHeader.Dialect.PLAIN, """
                enum e { A = 0x10, B, C = -1, D, E = A, F = 1 << 2, G, H = 9, };
                """);
        assertEquals(16, h.enumConstant("A"));
        assertEquals(17, h.enumConstant("B"));
        assertEquals(-1, h.enumConstant("C"));
        assertEquals(0, h.enumConstant("D"));
        assertEquals(16, h.enumConstant("E"));
        // An expression is not evaluated: it and the implicit value after it are unknown, not guessed.
        assertThrows(IllegalArgumentException.class, () -> h.enumConstant("F"));
        assertThrows(IllegalArgumentException.class, () -> h.enumConstant("G"));
        assertEquals(9, h.enumConstant("H"));
    }

    @Test
    void definitionsThatDifferBetweenBranchesFailWhenUsed() {
        CHeader h = CHeader.parse(CHeader.Dialect.PLAIN, """
                #ifdef WIDE
                typedef long index_t;
                enum { MODE = 2 };
                int f(long n);
                #else
                typedef int index_t;
                enum { MODE = 1 };
                int f(int n);
                #endif
                int g(index_t n);
                """);
        assertThrows(IllegalStateException.class, () -> h.enumConstant("MODE"));
        assertThrows(IllegalStateException.class, () -> h.prototype("f"));
        IllegalStateException index = assertThrows(IllegalStateException.class,
                () -> h.descriptor(h.prototype("g")));
        assertTrue(index.getMessage().contains("'long' and 'int'"), index.getMessage());
        // The caller settles a configuration-dependent typedef.
        CHeader settled = CHeader.parse(new CHeader.Dialect(Set.of(), Set.of(), Map.of("index_t", "int")), """
                typedef long index_t;
                typedef int index_t;
                int g(index_t n);
                """);
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                settled.descriptor(settled.prototype("g")));
    }

    @Test
    void macrosCommentsAndStringLiterals() {
        CHeader h = CHeader.parse(CHeader.Dialect.PLAIN, """
                #define CONST const
                #define INDEX size_t
                #define renamed renamed_v2
                #define fancy(x) x
                extern "C" INDEX count(CONST float *x /* , int ignored */, int n); // int trailing
                """);
        assertEquals(List.of("float *", "int"), h.prototype("count").parameterTypes());
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                h.descriptor(h.prototype("count")));
        assertEquals(List.of("renamed_v2"), h.defines("renamed"));
        assertEquals(List.of(), h.defines("fancy"), "function-like macros are not renames");
    }

    @Test
    void whatItCannotReadFailsLoudly() {
        CHeader h = CHeader.parse(CHeader.Dialect.PLAIN, """
                struct pair { int a, b; };
                int byValue(struct pair p);
                int unknown(widget_t w);
                int undefinedEnum(enum nowhere e);
                int API decorated(int n);
                """);
        assertThrows(IllegalArgumentException.class, () -> h.prototype("absent"));
        assertThrows(IllegalArgumentException.class, () -> h.descriptor(h.prototype("byValue")));
        assertThrows(IllegalArgumentException.class, () -> h.descriptor(h.prototype("unknown")));
        assertThrows(IllegalArgumentException.class, () -> h.descriptor(h.prototype("undefinedEnum")));
        // An attribute macro the dialect does not name is read as the return type, which is unknown.
        assertThrows(IllegalArgumentException.class, () -> h.descriptor(h.prototype("decorated")));
    }
}
