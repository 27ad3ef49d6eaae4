package ger.method.quantize;

import ger.GerException;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.tensor.Matrix;

/**
 * Binarisation of one FC layer (Gong et al. 2014; docs/method.md, "BIN"):
 * {@code W(r, j) -> alpha_r * sign(W(r, j))} with {@code alpha_r = mean_j |W(r, j)|}, the scale that
 * minimises the row's squared error for fixed signs; sign(0) = +1. One bit per weight and one fp32
 * scale per row. No knob.
 */
public final class Binarization {
    private Binarization() {
    }

    /** The binarised layer; signs packed as {@link CompressedLayer.Binarized} documents. */
    public static CompressedLayer.Binarized compress(DenseLayer layer) {
        Matrix w = layer.weight();
        if (w.firstNonFinite() >= 0) {
            throw new GerException("bin: layer " + layer.name() + " has a NaN or infinite weight");
        }
        int out = layer.out();
        int in = layer.in();
        int stride = CompressedLayer.Binarized.bytesPerRow(in);
        byte[] signs = new byte[out * stride];
        Matrix scales = Matrix.zeros(1, out);
        for (int r = 0; r < out; r++) {
            double absSum = 0;
            for (int j = 0; j < in; j++) {
                float v = w.get(r, j);
                absSum += Math.abs(v);
                if (v >= 0) {
                    signs[r * stride + j / 8] |= (byte) (1 << (j % 8));
                }
            }
            scales.set(0, r, (float) (absSum / in));
        }
        return new CompressedLayer.Binarized(layer.name(), in, out, signs, scales, layer.bias().copy());
    }
}
