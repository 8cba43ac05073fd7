package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A library opened once: its failure remembered, and handles that throw instead of calling. */
class NativeLibraryTest {
    private static final FunctionDescriptor INT_TO_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT);

    @Test
    void aMissingLibraryIsRememberedAndEveryUseThrowsItAfresh() {
        NativeLibraryException first = new NativeLibraryException("Could not load libexample.",
                List.of("1. here: not found", "2. there: not found"), null);
        NativeLibrary library = NativeLibrary.open("libexample", () -> {
            throw first;
        }, "unused");
        assertTrue(library.find().isEmpty());
        assertSame(first, library.failure().orElseThrow());
        assertFalse(library.exports("anything"));
        NativeLibraryException fromGet = assertThrows(NativeLibraryException.class, library::get);
        assertNotSame(first, fromGet);
        assertSame(first, fromGet.getCause());
        assertEquals(first.getMessage(), fromGet.getMessage());
        assertEquals(first.searched(), fromGet.searched());

        MethodHandle handle = library.downcall("example", INT_TO_INT);
        assertEquals(INT_TO_INT.toMethodType(), handle.type());
        NativeLibraryException fromCall = assertThrows(NativeLibraryException.class, () -> {
            int unused = (int) handle.invokeExact(1);
        });
        assertEquals(first.getMessage(), fromCall.getMessage());
        assertEquals(first.searched(), fromCall.searched());
    }

    @Test
    void anUnexpectedFailureWhileLocatingSaysHowToAllowNativeAccess() {
        NativeLibrary library = NativeLibrary.open("libexample", () -> {
            throw new IllegalCallerException("native access denied");
        }, "unused");
        String message = library.failure().orElseThrow().getMessage();
        assertTrue(message.startsWith("libexample could not be loaded: java.lang.IllegalCallerException:"
                + " native access denied"), message);
        assertTrue(message.contains("--enable-native-access=ALL-UNNAMED"), message);
    }

    @Test
    void aMissingSymbolGivesAHandleThatNamesItTheLibraryAndTheHint() {
        LoadedLibrary openBlas = OpenBlas.load();
        NativeLibrary library = NativeLibrary.open("OpenBLAS", () -> openBlas, "it needs a newer build");
        assertSame(openBlas, library.get());
        assertTrue(library.exports("cblas_sdot"));
        MethodHandle handle = library.downcall("zerograd_no_such_symbol", INT_TO_INT);
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> {
            int unused = (int) handle.invokeExact(1);
        });
        assertEquals("zerograd_no_such_symbol is not exported by " + openBlas.path() + " (" + openBlas.source()
                + "); it needs a newer build", e.getMessage());
    }
}
