package ger.backend.java;

/**
 * TF32, the tensor cores' input format (fp32's 8 exponent bits, 10 of its 23 mantissa bits), and the
 * 3xTF32 split that recovers fp32 accuracy from it: round and low.
 * Kernel: kernels/portable/tf32_split.h. Checked by Tf32SplitTest, and the kernel against it on PoCL
 * by OpenClBackendConformanceTest.GlueKernels.
 */
public final class Tf32Split {
    /** The 13 mantissa bits TF32 drops. */
    private static final int DROPPED = 13;

    private Tf32Split() {
    }

    /** x rounded to TF32: to nearest, ties away from zero (PTX cvt.rna.tf32.f32); NaN and infinities kept. */
    public static float round(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7f80_0000) == 0x7f80_0000) {
            return x;
        }
        // Adding half of the dropped part's weight to the magnitude rounds ties away from zero; a carry
        // into the exponent is the correct rounding up to the next binade (or to infinity).
        return Float.intBitsToFloat((bits + (1 << (DROPPED - 1))) & -(1 << DROPPED));
    }

    /** The remainder after {@link #round}, itself in TF32: x ~ round(x) + low(x) to about 2^-22 of x. */
    public static float low(float x) {
        return round(x - round(x));
    }
}
