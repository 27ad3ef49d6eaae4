package ger.backend;

import ger.tensor.Matrix;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that times the named ranges the methods open ({@link Backend#range}), waiting for the
 * device at each range's start and end so that the times are the work's, not the queueing's. The
 * ranges still reach the wrapped backend (NVTX on CUDA). A nested range is recorded under its path,
 * e.g. "layer fc6/lambda iteration 3". Everything else is passed straight through.
 */
public final class ProfilingBackend implements Backend {
    /** Calls and total seconds of one range path. */
    public record Timing(int calls, double seconds) {
        public double meanMillis() {
            return 1e3 * seconds / calls;
        }
    }

    private final Backend inner;
    private final Deque<String> open = new ArrayDeque<>();
    private final Map<String, Timing> timings = new LinkedHashMap<>();

    public ProfilingBackend(Backend inner) {
        this.inner = inner;
    }

    /** Range path -> timing, in the order each path first closed. */
    public Map<String, Timing> timings() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(timings));
    }

    @Override
    public Range range(String name) {
        inner.synchronize();
        String path = open.isEmpty() ? name : open.peek() + "/" + name;
        open.push(path);
        Range innerRange = inner.range(name);
        long start = System.nanoTime();
        return () -> {
            inner.synchronize();
            double seconds = (System.nanoTime() - start) * 1e-9;
            innerRange.close();
            open.remove(path);
            timings.merge(path, new Timing(1, seconds), (a, b) -> new Timing(a.calls() + b.calls(), a.seconds() + b.seconds()));
        };
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String device() {
        return inner.device();
    }

    @Override
    public long freeMemory() {
        return inner.freeMemory();
    }

    @Override
    public double thinGemmEfficiency() {
        return inner.thinGemmEfficiency();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return inner.allocate(rows, cols);
    }

    @Override
    public Tensor upload(Matrix host) {
        return inner.upload(host);
    }

    @Override
    public void uploadRows(Matrix src, int srcRow, Tensor dst, int dstRow, int count) {
        inner.uploadRows(src, srcRow, dst, dstRow, count);
    }

    @Override
    public void downloadRows(Tensor src, int srcRow, Matrix dst, int dstRow, int count) {
        inner.downloadRows(src, srcRow, dst, dstRow, count);
    }

    @Override
    public void copyRows(Tensor src, int srcRow, Tensor dst, int dstRow, int count) {
        inner.copyRows(src, srcRow, dst, dstRow, count);
    }

    @Override
    public void gatherRows(Tensor src, int[] rows, Tensor dst) {
        inner.gatherRows(src, rows, dst);
    }

    @Override
    public void transpose(Tensor src, Tensor dst) {
        inner.transpose(src, dst);
    }

    @Override
    public void fill(Tensor t, float value) {
        inner.fill(t, value);
    }

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        inner.gemm(transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public void gram(Tensor x, float beta, Tensor c) {
        inner.gram(x, beta, c);
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        inner.axpy(alpha, x, y);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        inner.scale(x, alpha);
    }

    @Override
    public void cholesky(Tensor a) {
        inner.cholesky(a);
    }

    @Override
    public void triangularSolve(Tensor l, boolean transposeL, Tensor b) {
        inner.triangularSolve(l, transposeL, b);
    }

    @Override
    public Eigen symmetricEigenTopK(Tensor s, int k) {
        return inner.symmetricEigenTopK(s, k);
    }

    @Override
    public Svd svd(Tensor a, int k) {
        return inner.svd(a, k);
    }

    @Override
    public List<Svd> svdBatched(List<? extends Tensor> as, int k) {
        return inner.svdBatched(as, k);
    }

    @Override
    public void addBiasRelu(Tensor a, Tensor bias, boolean relu) {
        inner.addBiasRelu(a, bias, relu);
    }

    @Override
    public void addRowVector(Tensor x, float alpha, Tensor v) {
        inner.addRowVector(x, alpha, v);
    }

    @Override
    public void columnMeans(Tensor x, Tensor means) {
        inner.columnMeans(x, means);
    }

    @Override
    public void columnSums(Tensor x, Tensor sums) {
        inner.columnSums(x, sums);
    }

    @Override
    public void addDiagonal(Tensor a, float value) {
        inner.addDiagonal(a, value);
    }

    @Override
    public double trace(Tensor a) {
        return inner.trace(a);
    }

    @Override
    public double squaredError(Tensor a, Tensor b) {
        return inner.squaredError(a, b);
    }

    @Override
    public double squaredNorm(Tensor a) {
        return inner.squaredNorm(a);
    }

    @Override
    public double errorGradient(Tensor out, Tensor target, float scale, Tensor delta) {
        return inner.errorGradient(out, target, scale, delta);
    }

    @Override
    public void errorGradient(Tensor out, Tensor target, float scale, Tensor delta, Sum sum) {
        inner.errorGradient(out, target, scale, delta, sum);
    }

    @Override
    public Sum newSum() {
        return inner.newSum();
    }

    @Override
    public void reluBackward(Tensor grad, Tensor activation) {
        inner.reluBackward(grad, activation);
    }

    @Override
    public double reluPenalty(Tensor yPrime, Tensor preActivation, float lambda, Tensor z) {
        return inner.reluPenalty(yPrime, preActivation, lambda, z);
    }

    @Override
    public long[] topkCorrect(Tensor logits, int[] labels, int[] ks) {
        return inner.topkCorrect(logits, labels, ks);
    }

    @Override
    public void lowRankForward(Tensor h, Tensor q, Tensor p, Tensor bias, boolean relu, Tensor qh, Tensor out) {
        inner.lowRankForward(h, q, p, bias, relu, qh, out);
    }

    @Override
    public void lowRankBackward(Tensor h, Tensor q, Tensor p, Tensor qh, Tensor delta, Tensor gp, Tensor dq, Tensor dp,
                                Tensor dbias, Tensor dh) {
        inner.lowRankBackward(h, q, p, qh, delta, gp, dq, dp, dbias, dh);
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        inner.sgdUpdate(param, grad, velocity, lr, momentum, weightDecay);
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    @Override
    public void close() {
        inner.close();
    }
}
