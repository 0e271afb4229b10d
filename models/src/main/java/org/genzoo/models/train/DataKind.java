package org.genzoo.models.train;

/**
 * The kind of data a model trains on ({@link ModelFamily#dataKind}). The job spec checks the data set
 * against it and takes the default of {@code /data/binarize} from it: grey-level images (mnist,
 * fashion-mnist, idx) hold values in [0, 1]; the 2-D toys hold real values.
 */
public enum DataKind {
    /** Bernoulli likelihood: values in [0, 1], binarized dynamically unless {@code binarize} is false. */
    BINARY,
    /** Values in [0, 1] used as they are (dequantized images): never binarized. */
    UNIT_INTERVAL,
    /** Any real values (2-D toys, a Gaussian likelihood): never binarized. */
    REAL,
    /** No training data at all (reverse-KL fitting of an energy, a pure sampler): the spec needs no data set. */
    NONE;

    /** Whether data whose values may lie anywhere on the real line fits. */
    public boolean acceptsRealValues() {
        return this == REAL;
    }

    /** Whether {@code binarize: true} makes sense for this kind. */
    public boolean binarizes() {
        return this == BINARY;
    }

    /** How a spec error names the kind ("binary (Bernoulli) data in [0, 1]"). */
    public String describe() {
        return switch (this) {
            case BINARY -> "binary (Bernoulli) data with values in [0, 1]";
            case UNIT_INTERVAL -> "data with values in [0, 1]";
            case REAL -> "real-valued data";
            case NONE -> "no data";
        };
    }
}
