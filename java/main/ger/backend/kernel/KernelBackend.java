package ger.backend.kernel;

import ger.backend.CheckedBackend;
import ger.tensor.Tensor;

/**
 * What the backends that run the portable kernels (cuda, opencl) share above {@link CheckedBackend}:
 * their COLUMN_SUMS_FINISH kernel scales as it writes, so column means are column sums scaled by 1/rows
 * in the same launches.
 */
public abstract class KernelBackend extends CheckedBackend {
    @Override
    protected final void implColumnMeans(Tensor x, Tensor means) {
        scaledColumnSums(x, means, 1f / x.rows());
    }

    @Override
    protected final void implColumnSums(Tensor x, Tensor sums) {
        scaledColumnSums(x, sums, 1f);
    }

    /** sums = scale * the column sums of x, in double over the rows' {@link ColumnSlices}, then added in order. */
    protected abstract void scaledColumnSums(Tensor x, Tensor sums, float scale);
}
