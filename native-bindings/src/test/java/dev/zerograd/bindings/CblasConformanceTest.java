package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every function bound in {@link Cblas} exists in the loaded library and matches the real {@code cblas.h}. */
class CblasConformanceTest {
    private static final String INCLUDE = BundledOpenBlas.RESOURCE_DIR + "include/";
    private static CHeader header;

    @BeforeAll
    static void readHeader() throws IOException {
        header = CHeader.parseCblas(resource(INCLUDE + "cblas.h"), resource(INCLUDE + "openblas_config.h"));
    }

    /** The bound functions, found as jextract's {@code name$descriptor()} accessors. */
    static Map<String, FunctionDescriptor> boundDescriptors() {
        return Bindings.descriptors(Cblas.class);
    }

    @Test
    void bindsTheFunctionsZerogradNeeds() throws ReflectiveOperationException {
        assertEquals(new TreeSet<>(List.of("cblas_sgemm", "cblas_dgemm", "cblas_sgemv", "cblas_dgemv",
                        "cblas_saxpy", "cblas_daxpy", "cblas_sdot", "cblas_ddot", "cblas_sscal", "cblas_dscal",
                        "cblas_sgemm_batch", "openblas_set_num_threads", "openblas_get_num_threads",
                        "openblas_get_config", "openblas_get_corename", "openblas_get_parallel")),
                boundDescriptors().keySet());
    }

    /** Bound optionally: newer than some system libraries (Debian 12's 0.3.21 lacks sgemm_batch). */
    private static final Set<String> OPTIONAL = Set.of("cblas_sgemm_batch", "openblas_get_parallel");

    @Test
    void everyBoundFunctionResolvesInTheLoadedLibrary() throws ReflectiveOperationException {
        LoadedLibrary library = OpenBlas.load();
        // The bundled library was built with the very header the binding is checked against: it must
        // export everything. Another library must export all but the optional symbols.
        boolean sameBuildAsHeader = library.source() == LibrarySource.BUNDLED;
        for (String name : boundDescriptors().keySet()) {
            if (sameBuildAsHeader || !OPTIONAL.contains(name)) {
                assertTrue(library.lookup().find(name).isPresent(), name + " is not exported by " + library.path());
            }
        }
    }

    @Test
    void everyDescriptorMatchesThePrototypeInCblasH() throws ReflectiveOperationException {
        List<String> problems = new ArrayList<>();
        for (var bound : boundDescriptors().entrySet()) {
            FunctionDescriptor expected = header.descriptor(header.prototype(bound.getKey()));
            problems.addAll(CHeader.mismatches(bound.getKey(), expected, bound.getValue()));
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void blasintIsIntInThisBuild() {
        assertEquals(ValueLayout.JAVA_INT, header.layout("blasint").orElseThrow());
        assertEquals(ValueLayout.JAVA_LONG,
                CHeader.parseCblas("", "#define OPENBLAS_USE64BITINT\n").layout("blasint").orElseThrow());
    }

    @Test
    void constantsMatchTheHeaderEnums() throws ReflectiveOperationException {
        int checked = 0;
        for (Field f : Cblas.class.getFields()) {
            if (f.getName().startsWith("Cblas")) {
                assertEquals(header.enumConstant(f.getName()), f.getInt(null), f.getName());
                checked++;
            }
        }
        assertEquals(6, checked);
        assertEquals(101, Cblas.CblasRowMajor);
        assertEquals(102, Cblas.CblasColMajor);
        assertEquals(111, Cblas.CblasNoTrans);
        assertEquals(112, Cblas.CblasTrans);
        assertEquals(113, Cblas.CblasConjTrans);
    }

    @Test
    void parserReadsMultiLineDeclarationsPointersAndStrings() {
        CHeader.Prototype batch = header.prototype("cblas_sgemm_batch");
        assertEquals(16, batch.parameterTypes().size());
        assertEquals("enum CBLAS_ORDER", batch.parameterTypes().get(0));
        assertEquals("enum CBLAS_TRANSPOSE *", batch.parameterTypes().get(1));
        assertEquals("float **", batch.parameterTypes().get(7));
        assertEquals("blasint", batch.parameterTypes().get(14));
        CHeader.Prototype config = header.prototype("openblas_get_config");
        assertEquals("char *", config.returnType());
        assertEquals(List.of(), config.parameterTypes());
        assertEquals(FunctionDescriptor.of(ValueLayout.ADDRESS), header.descriptor(config));
        // CBLAS_INDEX is a #define for size_t.
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT), header.descriptor(header.prototype("cblas_isamax")));
        assertThrows(IllegalArgumentException.class, () -> header.prototype("cblas_no_such_function"));
    }

    @Test
    void aWrongDescriptorIsFlagged() {
        FunctionDescriptor sgemm = header.descriptor(header.prototype("cblas_sgemm"));
        List<MemoryLayout> arguments = new ArrayList<>(sgemm.argumentLayouts());
        arguments.set(6, ValueLayout.JAVA_DOUBLE); // alpha is float
        List<String> wrongAlpha = CHeader.mismatches("cblas_sgemm", sgemm,
                FunctionDescriptor.ofVoid(arguments.toArray(MemoryLayout[]::new)));
        assertEquals(1, wrongAlpha.size(), wrongAlpha.toString());
        assertTrue(wrongAlpha.get(0).startsWith("cblas_sgemm: argument 6 is "), wrongAlpha.get(0));

        FunctionDescriptor missingLdc = FunctionDescriptor.ofVoid(
                sgemm.argumentLayouts().subList(0, 13).toArray(MemoryLayout[]::new));
        assertFalse(CHeader.mismatches("cblas_sgemm", sgemm, missingLdc).isEmpty());

        FunctionDescriptor sdot = header.descriptor(header.prototype("cblas_sdot"));
        assertFalse(CHeader.mismatches("cblas_sdot", sdot, sdot.changeReturnLayout(ValueLayout.JAVA_DOUBLE)).isEmpty());
        assertFalse(CHeader.mismatches("cblas_sdot", sdot, sdot.dropReturnLayout()).isEmpty());
        // A 64-bit blasint build would not match the int binding.
        CHeader ilp64 = CHeader.parseCblas(resource(INCLUDE + "cblas.h"), "#define OPENBLAS_USE64BITINT\n");
        assertFalse(CHeader.mismatches("cblas_sdot", ilp64.descriptor(ilp64.prototype("cblas_sdot")),
                Cblas.cblas_sdot$descriptor()).isEmpty());
    }

    static String resource(String name) {
        try (InputStream in = CblasConformanceTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
