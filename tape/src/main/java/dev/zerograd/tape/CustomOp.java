package dev.zerograd.tape;

import dev.zerograd.memory.Tensor;

/**
 * A user-defined differentiable op: subclass, write {@link #forward} (any computation, with ops or kernels;
 * it runs with recording off) and {@link #backward} (with ops, so it also works in create-graph mode), and
 * call {@link #apply}. The op is recorded like a built-in one, as a single record that carries this object.
 * Instances are reusable and allocate nothing per call; use one instance per thread.
 *
 * <pre>{@code
 * // identity forward; gradients clipped to [-1, 1] on the way back
 * final class ClipGrad extends CustomOp {
 *     ClipGrad() { super("clip_grad"); }
 *     protected Tensor forward(Tensor[] in, int n) { return Ops.copy(in[0]); }
 *     protected void backward(Node node, Tensor g, Grads grads) { grads.add(0, Ops.clamp(g, -1, 1)); }
 * }
 * }</pre>
 */
public abstract class CustomOp {
    /** The built-in op every custom op is recorded as; its rules dispatch to the record's payload. */
    static final Op CUSTOM = new Op("custom") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            CustomOp op = (CustomOp) n.payload();
            op.backward(n, g, grads);
        }
        @Override public Tensor jvp(Node n) {
            return ((CustomOp) n.payload()).jvp(n);
        }
    };

    private final String name;
    private final Tensor[] args = new Tensor[Call.MAX_INPUTS];
    private final Tensor[] toSave = new Tensor[Call.MAX_SAVED];
    private int saveCount;
    private boolean inForward;

    protected CustomOp(String name) {
        this.name = name;
    }

    public final String name() {
        return name;
    }

    /**
     * Computes the result from {@code inputs[0..count)}. Runs without recording; call {@link #save} for any
     * extra tensor {@link #backward} needs (inputs and the result are always available from the node).
     */
    protected abstract Tensor forward(Tensor[] inputs, int count);

    /** Hands {@code grads} the gradient of every input {@code i} with {@code n.needsGrad(i)}; write it with ops. */
    protected abstract void backward(Node n, Tensor grad, Grads grads);

    /**
     * Forward mode: the result's tangent from the inputs' tangents ({@code n.tangent(i)}, null = zero).
     * Override to support {@link ForwardAD}; without an override, using this op under forward mode throws.
     */
    protected Tensor jvp(Node n) {
        throw new IllegalStateException("custom op '" + name + "' has no forward-mode rule: override CustomOp.jvp to use it"
                + " under ForwardAD");
    }

    /** Saves a tensor for {@link #backward} ({@code n.saved(i)} in save order). Only valid inside forward. */
    protected final void save(Tensor t) {
        if (!inForward) {
            throw new IllegalStateException("custom op '" + name + "': save() is only valid inside forward()");
        }
        if (saveCount == toSave.length) {
            throw new IllegalStateException("custom op '" + name + "': more than " + toSave.length + " saved tensors");
        }
        toSave[saveCount++] = t;
    }

    public final Tensor apply(Tensor x) {
        args[0] = x;
        return run(1);
    }

    public final Tensor apply(Tensor a, Tensor b) {
        args[0] = a;
        args[1] = b;
        return run(2);
    }

    public final Tensor apply(Tensor a, Tensor b, Tensor c) {
        args[0] = a;
        args[1] = b;
        args[2] = c;
        return run(3);
    }

    /** Any number of inputs (up to 256). */
    public final Tensor apply(Tensor[] inputs) {
        if (inputs.length > args.length) {
            throw new IllegalArgumentException("custom op '" + name + "': " + inputs.length + " inputs, at most " + args.length);
        }
        System.arraycopy(inputs, 0, args, 0, inputs.length);
        return run(inputs.length);
    }

    private Tensor run(int count) {
        for (int i = 0; i < count; i++) {
            if (args[i] == null) {
                throw new IllegalArgumentException("custom op '" + name + "': input " + i + " is null");
            }
            args[i].checkValid();
        }
        Context c = Context.get();
        boolean track = false;
        for (int i = 0; i < count; i++) {
            track |= (args[i].needsGrad() && c.recordingTape() != null) || (c.forwardActive() && args[i].tangent() != null);
        }
        Tensor out;
        saveCount = 0;
        inForward = true;
        try (Tape.Guard g = Tape.noGrad()) {
            out = forward(args, count);
        } finally {
            inForward = false;
        }
        if (out == null) {
            throw new IllegalStateException("custom op '" + name + "': forward returned null");
        }
        if (out.needsGrad() || out.autogradSlot() >= 0) {
            out = Ops.detach(out);
        }
        if (track) {
            Call call = c.begin(CUSTOM).payload(this);
            for (int i = 0; i < count; i++) {
                call.in(args[i]);
            }
            for (int i = 0; i < saveCount; i++) {
                call.save(toSave[i]);
            }
            call.commit(out);
        }
        for (int i = 0; i < count; i++) {
            args[i] = null;
        }
        return out;
    }
}
