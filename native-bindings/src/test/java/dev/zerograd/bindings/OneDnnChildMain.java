package dev.zerograd.bindings;

/**
 * Entry point of the child JVMs started by {@link OneDnnTest}: asks what a user's program would ask, prints
 * the answers, then calls {@code dnnl_sgemm} twice, catching the first failure only, so that the test sees
 * exactly what a user's program would.
 */
public final class OneDnnChildMain {
    private OneDnnChildMain() {}

    public static void main(String[] args) {
        System.out.println("available " + OneDnn.isAvailable());
        System.out.println("describe " + OneDnn.describe());
        try {
            Dnnl.dnnl_sgemm(Dnnl.NO_TRANS, Dnnl.NO_TRANS, 1, 1, 1, 1f, 0L, 1, 0L, 1, 0f, 0L, 1);
        } catch (NativeLibraryException first) {
            System.out.println("first failure: " + first.getMessage());
        }
        Dnnl.dnnl_sgemm(Dnnl.NO_TRANS, Dnnl.NO_TRANS, 1, 1, 1, 1f, 0L, 1, 0L, 1, 0f, 0L, 1);
    }
}
