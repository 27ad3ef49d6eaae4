package ger.model;

import ger.tensor.Matrix;

import java.util.List;

/**
 * One layer of a compressed model, in one of the stored forms. Every form keeps its fp32 bias and
 * can rebuild its dense out x in weight (for evaluation); {@link #storedWeightBits()} counts the
 * bits its weights really take in the file, the denominator of the compression rate.
 */
public sealed interface CompressedLayer extends AutoCloseable {
    String name();

    int in();

    int out();

    /** 1 x out. */
    Matrix bias();

    long storedWeightBits();

    /** The rank of a low-rank layer, or null for every other form. */
    default Integer rank() {
        return null;
    }

    /** The weight this layer stands for, out x in (a new matrix). */
    Matrix denseWeight();

    /** Frees the layer's off-heap matrices. */
    @Override
    default void close() {
        matrices().forEach(Matrix::close);
    }

    /** Whether every stored number of the layer (weights, factors, codebooks, scales, bias) is finite. */
    default boolean finite() {
        return matrices().stream().allMatch(m -> m.firstNonFinite() < 0);
    }

    /** The layer's off-heap matrices: its weight, factors, codebooks or scales, then its bias. */
    private List<Matrix> matrices() {
        return switch (this) {
            case Dense d -> List.of(d.weight(), d.bias());
            case LowRank lr -> List.of(lr.p(), lr.q(), lr.bias());
            case ProductQuantized pq -> List.of(pq.codebooks(), pq.bias());
            case Binarized bin -> List.of(bin.scales(), bin.bias());
        };
    }

    /** This layer's own compression rate: 32 in out / stored bits. */
    default double rate() {
        return 32.0 * in() * out() / storedWeightBits();
    }

    /** Left uncompressed: weight out x in. */
    record Dense(String name, Matrix weight, Matrix bias) implements CompressedLayer {
        public int in() {
            return weight.cols();
        }

        public int out() {
            return weight.rows();
        }

        public long storedWeightBits() {
            return 32L * weight.size();
        }

        public Matrix denseWeight() {
            return weight.copy();
        }
    }

    /** W ~ p q: p out x k, q k x in; stored as two thin nn.Linear layers. */
    record LowRank(String name, Matrix p, Matrix q, Matrix bias) implements CompressedLayer {
        public LowRank {
            if (p.cols() != q.rows()) {
                throw new IllegalArgumentException(name + ": p is " + p.shape() + " but q is " + q.shape());
            }
        }

        public int in() {
            return q.cols();
        }

        public int out() {
            return p.rows();
        }

        @Override
        public Integer rank() {
            return p.cols();
        }

        public long storedWeightBits() {
            return 32L * (p.size() + q.size());
        }

        public Matrix denseWeight() {
            Matrix w = Matrix.zeros(out(), in());
            int k = p.cols();
            for (int i = 0; i < out(); i++) {
                for (int j = 0; j < in(); j++) {
                    double s = 0;
                    for (int r = 0; r < k; r++) {
                        s += (double) p.get(i, r) * q.get(r, j);
                    }
                    w.set(i, j, (float) s);
                }
            }
            return w;
        }
    }

    /**
     * Product quantisation: the in columns split into ceil(in / subDim) sub-spaces of subDim columns,
     * the last one narrower when subDim does not divide in; each row's sub-vector in sub-space g is
     * codebooks row (g * centroids + codes[row * groups + g]), of which a narrower last sub-space uses
     * the first columns (the rest is zero padding). codebooks (groups * centroids) x subDim fp32,
     * codes out x groups unsigned bytes.
     */
    record ProductQuantized(String name, int in, int out, int subDim, int centroids, Matrix codebooks,
                            byte[] codes, Matrix bias) implements CompressedLayer {
        public ProductQuantized {
            if (subDim < 1 || in < 1) {
                throw new IllegalArgumentException(name + ": " + in + " inputs in sub-vectors of " + subDim);
            }
            if (centroids < 1 || centroids > 256) {
                throw new IllegalArgumentException(name + ": " + centroids + " centroids do not fit a byte code");
            }
            int groups = groups(in, subDim);
            if (codebooks.rows() != (long) groups * centroids || codebooks.cols() != subDim) {
                throw new IllegalArgumentException(name + ": codebooks are " + codebooks.shape() + ", expected "
                        + (long) groups * centroids + " x " + subDim);
            }
            if (codes.length != (long) out * groups) {
                throw new IllegalArgumentException(name + ": " + codes.length + " codes, expected " + (long) out * groups);
            }
        }

        /** The sub-spaces of in columns in sub-vectors of subDim: ceil(in / subDim). */
        public static int groups(int in, int subDim) {
            return (in + subDim - 1) / subDim;
        }

        public int groups() {
            return groups(in, subDim);
        }

        public long storedWeightBits() {
            return 32L * codebooks.size() + 8L * codes.length;
        }

        public Matrix denseWeight() {
            Matrix w = Matrix.zeros(out, in);
            int groups = groups();
            for (int i = 0; i < out; i++) {
                for (int g = 0; g < groups; g++) {
                    int centroid = g * centroids + Byte.toUnsignedInt(codes[i * groups + g]);
                    for (int s = 0; s < subDim && g * subDim + s < in; s++) {
                        w.set(i, g * subDim + s, codebooks.get(centroid, s));
                    }
                }
            }
            return w;
        }
    }

    /**
     * Binarisation: W(i, j) = scales(0, i) * (bit set ? +1 : -1). signs holds out rows of
     * ceil(in / 8) bytes; bit j of a row is byte j / 8, bit j % 8 (least significant first).
     */
    record Binarized(String name, int in, int out, byte[] signs, Matrix scales, Matrix bias)
            implements CompressedLayer {
        public Binarized {
            if (signs.length != (long) out * bytesPerRow(in)) {
                throw new IllegalArgumentException(name + ": " + signs.length + " sign bytes, expected " + (long) out * bytesPerRow(in));
            }
            if (scales.rows() != 1 || scales.cols() != out) {
                throw new IllegalArgumentException(name + ": scales are " + scales.shape() + ", expected 1 x " + out);
            }
        }

        public static int bytesPerRow(int in) {
            return (in + 7) / 8;
        }

        /** One bit per weight (as packed, whole bytes per row) plus one fp32 scale per row. */
        public long storedWeightBits() {
            return 8L * signs.length + 32L * out;
        }

        public Matrix denseWeight() {
            Matrix w = Matrix.zeros(out, in);
            int stride = bytesPerRow(in);
            for (int i = 0; i < out; i++) {
                float a = scales.get(0, i);
                for (int j = 0; j < in; j++) {
                    boolean positive = (signs[i * stride + j / 8] >> (j % 8) & 1) != 0;
                    w.set(i, j, positive ? a : -a);
                }
            }
            return w;
        }
    }
}
