package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Entry point of the child JVMs started by the tests: loads OpenBLAS as a user would, by calling
 * {@link Cblas}, and prints where it came from. It does not catch a failure of the second call, so
 * that the test sees exactly what a user's program would.
 */
public final class ChildMain {
    private ChildMain() {}

    public static void main(String[] args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, 1f, 2f, 3f);
            MemorySegment y = arena.allocateFrom(JAVA_FLOAT, 4f, 5f, 6f);
            try {
                System.out.println("sdot " + Cblas.cblas_sdot(3, x, 1, y, 1));
            } catch (NativeLibraryException first) {
                System.out.println("available " + OpenBlas.isAvailable());
                System.out.println("first failure: " + first.getMessage());
            }
            System.out.println("sdot " + Cblas.cblas_sdot(3, x, 1, y, 1));
            System.out.println("source " + OpenBlas.source() + " " + OpenBlas.libraryPath());
        }
    }
}
