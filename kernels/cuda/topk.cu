// Top-k accuracy, per row: above[r] = the number of entries j != labels[r] with
// logits(r, j) >= logits(r, labels[r]) (ties count against the label). The host then counts the
// rows with above[r] < k for every k. One warp per row, 8 rows per block of 256 threads.
// Shapes: logits rows x cols (row-major), labels and above: rows ints; labels already checked to
// lie in [0, cols).
// Reference: ger.backend.java.JavaBackend.topkCorrect.
#include "common.cuh"

extern "C" __global__ void topk_rank(const float* logits, int rows, int cols, const int* labels, int* above) {
    int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= rows) {
        return; // whole warps leave together: the shuffles below stay full-warp
    }
    const float* x = logits + (unsigned long long)row * cols;
    int label = labels[row];
    float target = x[label];
    int count = 0;
    for (int j = lane; j < cols; j += 32) {
        count += (j != label && x[j] >= target) ? 1 : 0;
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        count += __shfl_down_sync(0xffffffffu, count, offset);
    }
    if (lane == 0) {
        above[row] = count;
    }
}
