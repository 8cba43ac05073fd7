package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * The op application being built by a forward function: inputs, saved tensors and attributes are collected
 * here, then {@link #commit} copies them into a tape record (when recording) and runs the op's forward-mode
 * rule (when tangents are present). Reused for every op; a forward-mode rule's own ops use the instance one
 * level deeper in {@link Context}'s stack, so this one stays intact while its rule runs.
 */
final class Call extends Node {
    static final int MAX_INPUTS = 256;
    static final int MAX_SAVED = 8;

    private final Context ctx;
    Op op;
    final Tensor[] inputs = new Tensor[MAX_INPUTS];
    int inputCount;
    final Tensor[] saved = new Tensor[MAX_SAVED];
    int savedCount;
    final long[] attrs = new long[GradientTape.ATTRS];
    final double[] scalars = new double[GradientTape.SCALARS];
    Object payload;
    Tensor result;
    boolean active;

    Call(Context ctx) {
        this.ctx = ctx;
    }

    Call begin(Op op) {
        if (active) {
            throw new IllegalStateException("op '" + op.name() + "' started while op '" + this.op.name()
                    + "' was still being recorded (an op's forward function called another op between begin and commit)");
        }
        this.op = op;
        this.inputCount = 0;
        this.savedCount = 0;
        this.payload = null;
        this.result = null;
        this.active = true;
        return this;
    }

    Call in(Tensor t) {
        if (inputCount == MAX_INPUTS) {
            active = false;
            throw new IllegalArgumentException(op.name() + ": more than " + MAX_INPUTS + " tensor inputs in one op");
        }
        inputs[inputCount++] = t;
        return this;
    }

    Call save(Tensor t) {
        saved[savedCount++] = t;
        return this;
    }

    Call attr(int i, long v) {
        attrs[i] = v;
        return this;
    }

    Call scalar(int i, double v) {
        scalars[i] = v;
        return this;
    }

    Call payload(Object p) {
        this.payload = p;
        return this;
    }

    /** Records the call on the active tape (if any input needs a gradient) and propagates tangents. */
    Tensor commit(Tensor out) {
        result = out;
        try {
            boolean needs = false;
            boolean tangents = false;
            for (int i = 0; i < inputCount; i++) {
                Tensor t = inputs[i];
                needs |= t.needsGrad();
                tangents |= t.tangent() != null;
            }
            GradientTape tape = ctx.recordingTape();
            if (needs && tape != null) {
                tape.append(this);
            }
            if (tangents && ctx.forwardActive()) {
                active = false;
                ctx.callDepth++; // the rule's own ops build their calls one level down
                // The rule's ops take primals and tangents as constants: were tangents propagated through them
                // too, a rule like sin's (t * cos x, cos x itself carrying a tangent) would recurse without end.
                int level = ctx.forwardLevel;
                ctx.forwardLevel = 0;
                Tensor tangent;
                try {
                    tangent = op.jvp(this);
                } finally {
                    ctx.forwardLevel = level;
                    ctx.callDepth--;
                }
                if (tangent != null) {
                    Checks.sameShapeAndDtype(op.name() + " (forward-mode tangent of the result)", out, tangent);
                }
                out.setTangent(tangent);
            }
        } finally {
            active = false;
            for (int i = 0; i < inputCount; i++) {
                inputs[i] = null;
            }
            payload = null;
            result = null;
        }
        return out;
    }

    @Override public Op op() { return op; }
    @Override public int inputCount() { return inputCount; }
    @Override public Tensor input(int i) { return inputs[i]; }
    @Override public boolean needsGrad(int i) { return inputs[i].needsGrad(); }
    @Override public Tensor result() { return result; }
    @Override public Tensor saved(int i) { return saved[i]; }
    @Override public long attr(int i) { return attrs[i]; }
    @Override public double scalar(int i) { return scalars[i]; }
    @Override public Object payload() { return payload; }
}
