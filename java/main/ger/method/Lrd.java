package ger.method;

import ger.backend.Backend;
import ger.backend.Svd;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;

/**
 * LRD (Denil et al.): the truncated SVD of each weight, P = U_k S_k^(1/2), Q = S_k^(1/2) V_k^T.
 * One SVD per layer serves every k of a sweep: it is computed once, at the largest rank at which
 * the layer still shrinks ({@link RankRule#maxUsefulRank}), and kept on the host; each k slices it.
 */
public final class Lrd implements AutoCloseable {
    private final Backend backend;
    private final FcStack model;
    private final Matrix[] u;
    private final double[][] s;
    private final Matrix[] vt;

    public Lrd(Backend backend, FcStack model) {
        this.backend = backend;
        this.model = model;
        this.u = new Matrix[model.depth()];
        this.s = new double[model.depth()][];
        this.vt = new Matrix[model.depth()];
    }

    /** Whether layer l's SVD is not computed yet (the first call of {@link #layer} will pay for it). */
    boolean needsSvd(int l) {
        return u[l] == null;
    }

    /** Layer l at rank k, which must be one at which the layer shrinks (not {@link RankRule#staysDense}). */
    public CompressedLayer.LowRank layer(int l, int k) {
        DenseLayer d = model.layer(l);
        if (RankRule.staysDense(k, d.out(), d.in())) {
            throw new IllegalArgumentException(d.name() + ": rank " + k + " does not shrink " + d.out() + " x " + d.in());
        }
        decompose(l);
        double[] root = DeviceOps.sqrt(s[l]);
        try (Matrix uk = DeviceOps.firstColumns(u[l], k); Matrix vk = vt[l].rowRange(0, k)) {
            return new CompressedLayer.LowRank(d.name(), DeviceOps.scaleColumns(uk, root),
                    DeviceOps.scaleRows(vk, root), d.bias().copy());
        }
    }

    /** Layer l's singular values, descending, up to the largest rank at which it shrinks. */
    public double[] singularValues(int l) {
        decompose(l);
        return s[l].clone();
    }

    /** Layer l's right singular vectors V^T (maxUsefulRank x in, host; not to be closed). */
    public Matrix rightVectors(int l) {
        decompose(l);
        return vt[l];
    }

    private void decompose(int l) {
        if (u[l] == null) {
            DenseLayer d = model.layer(l);
            try (Backend.Range r = backend.range("svd " + d.name());
                 var w = backend.upload(d.weight());
                 Svd svd = backend.svd(w, RankRule.maxUsefulRank(d.out(), d.in()))) {
                u[l] = backend.download(svd.u());
                s[l] = svd.s();
                vt[l] = backend.download(svd.vt());
            }
        }
    }

    @Override
    public void close() {
        for (int l = 0; l < u.length; l++) {
            if (u[l] != null) {
                u[l].close();
                vt[l].close();
            }
        }
    }
}
