package dev.zerograd.nn;

import dev.zerograd.memory.Tensor;
import dev.zerograd.nn.init.Init;
import dev.zerograd.tape.Ops;

/**
 * A lookup table: {@code forward(indices)} picks the rows of {@code weight [num, dim]} named by integer
 * indices (I32/I64, any shape), giving {@code indices.shape + [dim]}. Initialized N(0, 1) as in PyTorch.
 * Parameter: {@code weight}.
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final Tensor weight;

    public Embedding(Parameters p, int numEmbeddings, int embeddingDim) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding: " + numEmbeddings + " embeddings of dim " + embeddingDim
                    + "; both must be positive");
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.weight = registerParameter("weight", p.empty(numEmbeddings, embeddingDim));
        Init.normal(weight, 0, 1, p.nextSeed());
    }

    /** The embeddings of {@code indices} (I32 or I64 values in {@code [0, num)}). */
    @Override
    public Tensor forward(Tensor indices) {
        return Ops.embedding(weight, indices);
    }

    /** {@code [num, dim]}. */
    public Tensor weight() {
        return weight;
    }

    public int numEmbeddings() {
        return numEmbeddings;
    }

    public int embeddingDim() {
        return embeddingDim;
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim;
    }
}
