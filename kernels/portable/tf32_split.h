// The 3xTF32 split (docs/method.md, "fp32 accuracy on tensor cores"), element-wise over n elements:
//   hi[i] = tf32(x[i]),  lo[i] = tf32(x[i] - hi[i])
// where tf32 rounds a float to 10 mantissa bits, to nearest with ties away from zero (what PTX
// cvt.rna.tf32.f32 does), keeping NaN and infinities. Then a b = a_hi b_hi + a_hi b_lo + a_lo b_hi to
// about fp32 accuracy, each product on TF32 tensor cores (the a_lo b_lo term is below fp32's last bit).
// Shapes: x, hi, lo: n elements each. Reference: ger.backend.java.Tf32Split (the same bit arithmetic).
// The CUDA backend's GEMM uses it; OpenClBackendConformanceTest.GlueKernels checks it on PoCL.

GER_DEVICE float ger_tf32(float x) {
    unsigned int bits = GER_FLOAT_BITS(x);
    if ((bits & 0x7f800000u) == 0x7f800000u) {
        return x;
    }
    // Adding half the weight of the 13 dropped bits to the magnitude rounds ties away from zero; a
    // carry into the exponent is the correct rounding up to the next binade (or to infinity).
    return GER_BITS_FLOAT((bits + 0x1000u) & 0xffffe000u);
}

GER_KERNEL void tf32_split(GER_GLOBAL const float* x, GER_GLOBAL float* hi, GER_GLOBAL float* lo, ger_u64 n) {
    GER_GRID_STRIDE(i, n) {
        float v = x[i];
        float h = ger_tf32(v);
        hi[i] = h;
        lo[i] = ger_tf32(v - h);
    }
}
