// Element-wise updates over n elements (every tensor of one shape, any layout):
//   axpy:          y = alpha x + y
//   scale:         x = alpha x
//   relu_backward: grad = 0 where activation <= 0
//   sgd_update:    v = momentum v + grad + weight_decay param; param -= lr v
// Reference: ger.backend.java.JavaBackend (same float expressions, same order).
#include "common.cuh"

extern "C" __global__ void axpy(float alpha, const float* x, float* y, unsigned long long n) {
    GER_GRID_STRIDE(i, n) {
        y[i] = alpha * x[i] + y[i];
    }
}

extern "C" __global__ void scale(float* x, float alpha, unsigned long long n) {
    GER_GRID_STRIDE(i, n) {
        x[i] = alpha * x[i];
    }
}

extern "C" __global__ void relu_backward(float* grad, const float* activation, unsigned long long n) {
    GER_GRID_STRIDE(i, n) {
        if (activation[i] <= 0.0f) {
            grad[i] = 0.0f;
        }
    }
}

extern "C" __global__ void sgd_update(float* param, const float* grad, float* velocity, float lr,
                                      float momentum, float weight_decay, unsigned long long n) {
    GER_GRID_STRIDE(i, n) {
        float w = param[i];
        float v = momentum * velocity[i] + grad[i] + weight_decay * w;
        velocity[i] = v;
        param[i] = w - lr * v;
    }
}
