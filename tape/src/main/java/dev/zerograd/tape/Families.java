package dev.zerograd.tape;

/** Loads every op family so that {@link OpRegistry} lists all ops. Add a family here when you add one. */
final class Families {
    private Families() {}

    private static final String[] CLASSES = {
        "ArithOps", "UnaryOps", "ReduceOps", "ShapeOps", "MatMulOps", "IndexOps", "SoftmaxOps", "LossOps", "ViewOps", "JoinOps",
        "ConvOps", "PoolOps", "NormOps", "DropoutOps",
    };

    static void loadAll() {
        for (String name : CLASSES) {
            try {
                Class.forName(Families.class.getPackageName() + "." + name, true, Families.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("op family " + name + " is listed in Families but missing", e);
            }
        }
    }
}
