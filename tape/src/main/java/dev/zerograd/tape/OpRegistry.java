package dev.zerograd.tape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every {@link Op} constructed, in registration order. The coverage test walks this list and fails when an
 * op has no gradcheck entry. Ops register from their family classes' static initialisers; {@link #all()}
 * loads every family first so the list is complete.
 */
public final class OpRegistry {
    private OpRegistry() {}

    private static final List<Op> OPS = new ArrayList<>();

    static synchronized int register(Op op) {
        for (Op o : OPS) {
            if (o.name().equals(op.name())) {
                throw new IllegalStateException("op name '" + op.name() + "' registered twice");
            }
        }
        OPS.add(op);
        return OPS.size() - 1;
    }

    /** All differentiable ops. */
    public static synchronized List<Op> all() {
        Families.loadAll();
        return Collections.unmodifiableList(new ArrayList<>(OPS));
    }

    /** The op registered under {@code name}, or null. */
    public static synchronized Op byName(String name) {
        Families.loadAll();
        for (Op o : OPS) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        return null;
    }
}
