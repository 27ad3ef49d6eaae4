// The 3xTF32 split (docs/method.md, "fp32 accuracy on tensor cores"), element-wise over n elements:
//   hi[i] = tf32(x[i]),  lo[i] = tf32(x[i] - hi[i])
// where tf32 rounds a float to 10 mantissa bits, to nearest with ties away from zero (PTX
// cvt.rna.tf32.f32, sm_80 and later). Then a b = a_hi b_hi + a_hi b_lo + a_lo b_hi to about fp32
// accuracy, each product on TF32 tensor cores (the a_lo b_lo term is below fp32's last bit).
// Shapes: x, hi, lo: n elements each. Reference: ger.backend.java.Tf32.
#include "common.cuh"

__device__ __forceinline__ float ger_tf32(float x) {
    unsigned int bits;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(bits) : "f"(x));
    return __uint_as_float(bits);
}

extern "C" __global__ void tf32_split(const float* x, float* hi, float* lo, unsigned long long n) {
    GER_GRID_STRIDE(i, n) {
        float v = x[i];
        float h = ger_tf32(v);
        hi[i] = h;
        lo[i] = ger_tf32(v - h);
    }
}
