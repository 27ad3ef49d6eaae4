// Element-wise updates over n elements (every tensor of one shape, any layout):
//   axpy:          y = alpha x + y
//   scale:         x = alpha x
//   relu_backward: grad = 0 where activation <= 0
//   sgd_update:    v = momentum v + grad + weight_decay param; param -= lr v
// Reference: ger.backend.java.Elementwise (the same float expressions in the same order);
// conformance: ger.backend.ElementwiseConformance.

GER_KERNEL void axpy(float alpha, GER_GLOBAL const float* x, GER_GLOBAL float* y, ger_u64 n) {
    GER_GRID_STRIDE(i, n) {
        y[i] = alpha * x[i] + y[i];
    }
}

GER_KERNEL void scale(GER_GLOBAL float* x, float alpha, ger_u64 n) {
    GER_GRID_STRIDE(i, n) {
        x[i] = alpha * x[i];
    }
}

GER_KERNEL void relu_backward(GER_GLOBAL float* grad, GER_GLOBAL const float* activation, ger_u64 n) {
    GER_GRID_STRIDE(i, n) {
        if (activation[i] <= 0.0f) {
            grad[i] = 0.0f;
        }
    }
}

GER_KERNEL void sgd_update(GER_GLOBAL float* param, GER_GLOBAL const float* grad, GER_GLOBAL float* velocity,
                           float lr, float momentum, float weight_decay, ger_u64 n) {
    GER_GRID_STRIDE(i, n) {
        float w = param[i];
        float v = momentum * velocity[i] + grad[i] + weight_decay * w;
        velocity[i] = v;
        param[i] = w - lr * v;
    }
}
