package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: named parameters (leaf tensors that require gradients), named buffers (state that is
 * saved but not trained, such as batch norm's running statistics), named child modules, and a training flag.
 * Subclasses register everything in their constructor and implement {@link #forward(Tensor)}.
 *
 * <p>Note [Module names]: names follow PyTorch's {@code state_dict}: a child's entries are prefixed with its
 * name and a dot ({@code fc1.weight}, {@code 0.bias}, {@code 1.running_mean}). {@link #namedParameters()}
 * lists this module's own parameters in registration order, then each child's, depth first;
 * {@link #stateDict()} lists, per module, its parameters then its buffers, then its children. Both are built
 * once, on first use, and never change afterwards: registering anything after that throws. These are the
 * names {@link SafeTensors} files written by {@link #save(Path)} hold, so they load into PyTorch modules of
 * the same structure.
 *
 * <p>Note [Allocation-free forward]: modules own everything their forward pass needs besides the op
 * results (shape arrays, counters), call {@code Ops} with plain arguments (never varargs), and build error
 * messages only when they throw, so a forward pass allocates nothing on the Java heap once warm. Results go
 * to the recording tape's arena; for inference without a tape wrap the call in
 * {@code Tape.noGrad()} and {@code Tape.allocateIn(stepArena)}, or they would land in the input's arena.
 *
 * <p>A module is not thread-safe: run one forward pass at a time.
 */
public abstract class Module implements AutoCloseable {
    private final List<String> paramNames = new ArrayList<>();
    private final List<Tensor> params = new ArrayList<>();
    private final List<String> bufferNames = new ArrayList<>();
    private final List<Tensor> buffers = new ArrayList<>();
    private final List<String> childNames = new ArrayList<>();
    private final List<Module> children = new ArrayList<>();

    private boolean training = true;
    private boolean frozen;
    private Map<String, Tensor> namedParams;
    private List<Tensor> paramList;
    private Map<String, Tensor> namedBufs;
    private Map<String, Tensor> state;
    private TensorArena ownedArena;

    protected Module() {}

    /** Applies this module to {@code x}. Recorded on the tape when one is recording and a parameter requires a gradient. */
    public abstract Tensor forward(Tensor x);

    // ---------------------------------------------------------------- registration (constructors only)

    /** Registers {@code t} as a parameter called {@code name}, marks it as requiring a gradient, and returns it. */
    protected final Tensor registerParameter(String name, Tensor t) {
        checkRegistration("parameter", name);
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + name + "' " + t.describe()
                    + " must have a floating-point dtype");
        }
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + name + "' " + t.describe()
                    + " must be contiguous (optimizers update it as one flat run of elements)");
        }
        t.requiresGrad();
        paramNames.add(name);
        params.add(t);
        return t;
    }

    /** Registers {@code t} as a buffer called {@code name} (saved in the state dict, never trained) and returns it. */
    protected final Tensor registerBuffer(String name, Tensor t) {
        checkRegistration("buffer", name);
        bufferNames.add(name);
        buffers.add(t);
        return t;
    }

    /** Registers {@code m} as a child module called {@code name} and returns it. */
    protected final <M extends Module> M registerModule(String name, M m) {
        checkRegistration("module", name);
        if (m == this) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": a module cannot be its own child");
        }
        childNames.add(name);
        children.add(m);
        return m;
    }

    private void checkRegistration(String what, String name) {
        if (frozen) {
            throw new IllegalStateException(getClass().getSimpleName() + ": cannot register " + what + " '" + name
                    + "' after the module's parameters or state were listed; register everything in the constructor");
        }
        if (name == null || name.isEmpty() || name.indexOf('.') >= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + what + " name '" + name
                    + "' must be non-empty and contain no dot (dots separate the levels of a name)");
        }
        if (paramNames.contains(name) || bufferNames.contains(name) || childNames.contains(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": the name '" + name + "' is already taken");
        }
    }

    // ---------------------------------------------------------------- mode

    /** Sets training mode ({@code true}) or evaluation mode on this module and every descendant; returns this. */
    public final Module train(boolean on) {
        training = on;
        for (int i = 0; i < children.size(); i++) {
            children.get(i).train(on);
        }
        return this;
    }

    /** {@code train(true)}: dropout drops, batch norm uses and updates batch statistics. */
    public final Module train() {
        return train(true);
    }

    /** {@code train(false)}: dropout is the identity, batch norm uses its running statistics. */
    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    // ---------------------------------------------------------------- listing (Note [Module names])

    /** Every parameter under its dotted name, in PyTorch's order; unmodifiable, built once. */
    public final Map<String, Tensor> namedParameters() {
        if (namedParams == null) {
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            collectParameters("", m);
            namedParams = Collections.unmodifiableMap(m);
        }
        return namedParams;
    }

    /** The values of {@link #namedParameters()}, in the same order; unmodifiable, built once. */
    public final List<Tensor> parameters() {
        if (paramList == null) {
            paramList = List.copyOf(namedParameters().values());
        }
        return paramList;
    }

    /** Every buffer under its dotted name; unmodifiable, built once. */
    public final Map<String, Tensor> namedBuffers() {
        if (namedBufs == null) {
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            collectBuffers("", m);
            namedBufs = Collections.unmodifiableMap(m);
        }
        return namedBufs;
    }

    /** Parameters and buffers, module by module as PyTorch's {@code state_dict()} orders them; unmodifiable, built once. */
    public final Map<String, Tensor> stateDict() {
        if (state == null) {
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            collectState("", m);
            state = Collections.unmodifiableMap(m);
        }
        return state;
    }

    private void collectParameters(String prefix, Map<String, Tensor> out) {
        frozen = true;
        for (int i = 0; i < params.size(); i++) {
            put(out, prefix + paramNames.get(i), params.get(i));
        }
        for (int i = 0; i < children.size(); i++) {
            children.get(i).collectParameters(prefix + childNames.get(i) + ".", out);
        }
    }

    private void collectBuffers(String prefix, Map<String, Tensor> out) {
        frozen = true;
        for (int i = 0; i < buffers.size(); i++) {
            put(out, prefix + bufferNames.get(i), buffers.get(i));
        }
        for (int i = 0; i < children.size(); i++) {
            children.get(i).collectBuffers(prefix + childNames.get(i) + ".", out);
        }
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        frozen = true;
        for (int i = 0; i < params.size(); i++) {
            put(out, prefix + paramNames.get(i), params.get(i));
        }
        for (int i = 0; i < buffers.size(); i++) {
            put(out, prefix + bufferNames.get(i), buffers.get(i));
        }
        for (int i = 0; i < children.size(); i++) {
            children.get(i).collectState(prefix + childNames.get(i) + ".", out);
        }
    }

    private static void put(Map<String, Tensor> out, String name, Tensor t) {
        if (out.putIfAbsent(name, t) != null) {
            throw new IllegalStateException("Module: two entries are named '" + name + "'");
        }
    }

    /** This module's direct children under their names, in registration order (allocates). */
    public final Map<String, Module> namedChildren() {
        LinkedHashMap<String, Module> m = new LinkedHashMap<>();
        for (int i = 0; i < children.size(); i++) {
            m.put(childNames.get(i), children.get(i));
        }
        return Collections.unmodifiableMap(m);
    }

    /** This module's direct children in registration order (allocates). */
    public final List<Module> children() {
        return List.copyOf(children);
    }

    /** Total number of parameter elements (buffers not counted). */
    public final long parameterCount() {
        long n = 0;
        List<Tensor> ps = parameters();
        for (int i = 0; i < ps.size(); i++) {
            n += ps.get(i).numel();
        }
        return n;
    }

    /**
     * With {@code setToNone}, releases every parameter's gradient ({@link Tensor#releaseGrad()}: null until the
     * next backward pass, which writes into the kept buffer); otherwise {@link #zeroGrad()}.
     */
    public final void zeroGrad(boolean setToNone) {
        if (!setToNone) {
            zeroGrad();
            return;
        }
        List<Tensor> ps = parameters();
        for (int i = 0; i < ps.size(); i++) {
            ps.get(i).releaseGrad();
        }
    }

    /** Sets every parameter's accumulated gradient to zero, in place (gradients not yet allocated stay absent). */
    public final void zeroGrad() {
        List<Tensor> ps = parameters();
        for (int i = 0; i < ps.size(); i++) {
            Tensor g = ps.get(i).grad();
            if (g != null) {
                g.fill(0);
            }
        }
    }

    // ---------------------------------------------------------------- weights on disk

    /** Writes {@link #stateDict()} to {@code file} in the safetensors format. */
    public final void save(Path file) throws IOException {
        SafeTensors.write(file, stateDict());
    }

    /** Writes {@link #stateDict()} and {@code metadata} to {@code file} in the safetensors format. */
    public final void save(Path file, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, stateDict(), metadata);
    }

    /**
     * Loads a safetensors file into this module's parameters and buffers in place. The file must hold
     * exactly the names of {@link #stateDict()} with the same dtypes and shapes; nothing is modified otherwise.
     *
     * @return the file's metadata
     */
    public final Map<String, String> load(Path file) throws IOException {
        return SafeTensors.readInto(file, stateDict());
    }

    // ---------------------------------------------------------------- lifetime

    /** Makes this module close {@code arena} (which holds its parameters) when it is closed; returns this. */
    final Module own(TensorArena arena) {
        this.ownedArena = arena;
        return this;
    }

    /** The arena this module owns and closes, or null when its parameters live in the caller's arena. */
    public final TensorArena ownedArena() {
        return ownedArena;
    }

    /**
     * Closes the parameter arena this module owns (the models of {@link Models} built from a seed alone own
     * theirs); does nothing when the caller owns the arena.
     */
    @Override
    public void close() {
        if (ownedArena != null) {
            ownedArena.close();
        }
    }

    // ---------------------------------------------------------------- text

    /** The arguments shown between the parentheses of {@link #toString()}, e.g. {@code 784, 256, bias=true}. */
    protected String extraRepr() {
        return "";
    }

    /** A PyTorch-style description of the module tree (allocates). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            for (int i = 0; i < children.size(); i++) {
                String child = children.get(i).toString().replace("\n", "\n  ");
                sb.append("  (").append(childNames.get(i)).append("): ").append(child).append('\n');
            }
        }
        return sb.append(')').toString();
    }
}
