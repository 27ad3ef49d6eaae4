package ger.backend;

import ger.tensor.Matrix;
import ger.tensor.Tensor;

/**
 * The argument checks of every operation, written once: each public operation checks its arguments
 * against its contract in {@link Backend} (with {@link Shapes}, whose messages are the same for every
 * backend) and then calls the backend's {@code impl} method, which may assume them. Every backend
 * extends it, so a backend cannot forget a check, and the conformance suite's refusal cases hold for all.
 */
public abstract class CheckedBackend implements Backend {
    @Override
    public final void uploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count) {
        Shapes.rowRanges("uploadRows", src, srcRow, dst, dstRow, count);
        implUploadRows(src, srcRow, dst, dstRow, count);
    }

    protected abstract void implUploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count);

    @Override
    public final void downloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        Shapes.rowRanges("downloadRows", src, srcRow, dst, dstRow, count);
        implDownloadRows(src, srcRow, dst, dstRow, count);
    }

    protected abstract void implDownloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count);

    @Override
    public final void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        Shapes.rowRanges("copyRows", src, srcRow, dst, dstRow, count);
        implCopyRows(src, srcRow, dst, dstRow, count);
    }

    protected abstract void implCopyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count);

    @Override
    public final void gatherRows(Tensor src, int[] rows, Tensor dst) {
        Shapes.gather(src, rows, dst);
        implGatherRows(src, rows, dst);
    }

    protected abstract void implGatherRows(Tensor src, int[] rows, Tensor dst);

    @Override
    public final void transpose(Tensor src, Tensor dst) {
        Shapes.require("transpose", "dst", dst, src.cols(), src.rows());
        implTranspose(src, dst);
    }

    protected abstract void implTranspose(Tensor src, Tensor dst);

    @Override
    public final void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        Shapes.gemm(a, transA, b, transB, c);
        implGemm(transA, transB, alpha, a, b, beta, c);
    }

    protected abstract void implGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    @Override
    public final void gram(Tensor x, float beta, Tensor c) {
        Shapes.require("gram", "c", c, x.cols(), x.cols());
        implGram(x, beta, c);
    }

    protected abstract void implGram(Tensor x, float beta, Tensor c);

    @Override
    public final void axpy(float alpha, Tensor x, Tensor y) {
        Shapes.same("axpy", x, y);
        implAxpy(alpha, x, y);
    }

    protected abstract void implAxpy(float alpha, Tensor x, Tensor y);

    @Override
    public final void cholesky(Tensor a) {
        Shapes.square("cholesky", a);
        implCholesky(a);
    }

    protected abstract void implCholesky(Tensor a);

    @Override
    public final void triangularSolve(Tensor l, boolean transposeL, Tensor b) {
        Shapes.square("triangularSolve", l);
        Shapes.require("triangularSolve", "b", b, l.rows(), b.cols());
        implTriangularSolve(l, transposeL, b);
    }

    protected abstract void implTriangularSolve(Tensor l, boolean transposeL, Tensor b);

    @Override
    public final Eigen symmetricEigenTopK(Tensor s, int k) {
        Shapes.square("symmetricEigenTopK", s);
        Shapes.rank("symmetricEigenTopK", k, s.rows());
        return implSymmetricEigenTopK(s, k);
    }

    protected abstract Eigen implSymmetricEigenTopK(Tensor s, int k);

    @Override
    public final Svd svd(Tensor a, int k) {
        Shapes.rank("svd", k, Math.min(a.rows(), a.cols()));
        return implSvd(a, k);
    }

    protected abstract Svd implSvd(Tensor a, int k);

    @Override
    public final void addBiasRelu(Tensor a, Tensor bias, boolean relu) {
        Shapes.require("addBiasRelu", "bias", bias, 1, a.cols());
        implAddBiasRelu(a, bias, relu);
    }

    protected abstract void implAddBiasRelu(Tensor a, Tensor bias, boolean relu);

    @Override
    public final void addRowVector(Tensor x, float alpha, Tensor v) {
        Shapes.require("addRowVector", "v", v, 1, x.cols());
        implAddRowVector(x, alpha, v);
    }

    protected abstract void implAddRowVector(Tensor x, float alpha, Tensor v);

    @Override
    public final void columnMeans(Tensor x, Tensor means) {
        Shapes.require("columnMeans", "means", means, 1, x.cols());
        implColumnMeans(x, means);
    }

    protected abstract void implColumnMeans(Tensor x, Tensor means);

    @Override
    public final void columnSums(Tensor x, Tensor sums) {
        Shapes.require("columnSums", "sums", sums, 1, x.cols());
        implColumnSums(x, sums);
    }

    protected abstract void implColumnSums(Tensor x, Tensor sums);

    @Override
    public final void addDiagonal(Tensor a, float value) {
        Shapes.square("addDiagonal", a);
        implAddDiagonal(a, value);
    }

    protected abstract void implAddDiagonal(Tensor a, float value);

    @Override
    public final double trace(Tensor a) {
        Shapes.square("trace", a);
        return implTrace(a);
    }

    protected abstract double implTrace(Tensor a);

    @Override
    public final double squaredError(Tensor a, Tensor b) {
        Shapes.same("squaredError", a, b);
        return implSquaredError(a, b);
    }

    protected abstract double implSquaredError(Tensor a, Tensor b);

    @Override
    public final double errorGradient(Tensor out, Tensor target, float scale, Tensor delta) {
        Shapes.same("errorGradient", out, target, delta);
        return implErrorGradient(out, target, scale, delta);
    }

    protected abstract double implErrorGradient(Tensor out, Tensor target, float scale, Tensor delta);

    @Override
    public final void errorGradient(Tensor out, Tensor target, float scale, Tensor delta, Sum sum) {
        Shapes.same("errorGradient", out, target, delta);
        implErrorGradient(out, target, scale, delta, sum);
    }

    /** Adds to the host sum {@link #newSum} made; a backend that keeps its sums on the device overrides both. */
    protected void implErrorGradient(Tensor out, Tensor target, float scale, Tensor delta, Sum sum) {
        ((HostSum) sum).add(implErrorGradient(out, target, scale, delta));
    }

    @Override
    public final void reluBackward(Tensor grad, Tensor activation) {
        Shapes.same("reluBackward", grad, activation);
        implReluBackward(grad, activation);
    }

    protected abstract void implReluBackward(Tensor grad, Tensor activation);

    @Override
    public final double reluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z) {
        Shapes.same("reluPenalty", yPrime, preActivation, z);
        return implReluPenalty(yPrime, preActivation, lambda, z);
    }

    protected abstract double implReluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z);

    @Override
    public final long[] topkCorrect(Tensor logits, int[] labels, int[] ks) {
        TopK.checkLabels(logits, labels);
        return implTopkCorrect(logits, labels, ks);
    }

    protected abstract long[] implTopkCorrect(Tensor logits, int[] labels, int[] ks);

    @Override
    public final void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        Shapes.same("sgdUpdate", param, grad, velocity);
        implSgdUpdate(param, grad, velocity, lr, momentum, weightDecay);
    }

    protected abstract void implSgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay);
}
