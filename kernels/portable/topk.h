// Top-k accuracy, per row: above[r] = the number of entries j != labels[r] with
// logits(r, j) >= logits(r, labels[r]) (ties count against the label). The host then counts the
// rows with above[r] < k for every k. 32 work-items per row, 8 rows per group of GER_BLOCK; each
// row's 32 counts meet in a tree in group memory.
// Shapes: logits rows x cols (row-major), labels and above: rows ints; labels already checked to
// lie in [0, cols).
// Reference: ger.backend.java.Topk; conformance: ger.backend.TopkConformance.

#define GER_ROW_LANES 32

GER_KERNEL GER_GROUP_SIZE(GER_BLOCK, 1)
void topk_rank(GER_GLOBAL const float* logits, int rows, int cols, GER_GLOBAL const int* labels,
               GER_GLOBAL int* above) {
    GER_SHARED int counts[GER_BLOCK];
    int row = GER_GROUP_X * (GER_BLOCK / GER_ROW_LANES) + GER_LOCAL_X / GER_ROW_LANES;
    int lane = GER_LOCAL_X % GER_ROW_LANES;
    int count = 0;
    if (row < rows) { // no early return: every work-item must reach the barriers below
        GER_GLOBAL const float* x = logits + (ger_u64)row * cols;
        int label = labels[row];
        float target = x[label];
        for (int j = lane; j < cols; j += GER_ROW_LANES) {
            count += (j != label && x[j] >= target) ? 1 : 0;
        }
    }
    counts[GER_LOCAL_X] = count;
    GER_BARRIER();
    for (int stride = GER_ROW_LANES / 2; stride > 0; stride >>= 1) {
        if (lane < stride) {
            counts[GER_LOCAL_X] += counts[GER_LOCAL_X + stride];
        }
        GER_BARRIER();
    }
    if (lane == 0 && row < rows) {
        above[row] = counts[GER_LOCAL_X];
    }
}
