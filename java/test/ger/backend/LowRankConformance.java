package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static ger.backend.Conformance.assertClose;
import static ger.backend.Conformance.columnSums;
import static ger.backend.Conformance.d;
import static ger.backend.Conformance.mul;
import static ger.backend.Conformance.t;

/**
 * The factorised FC layer: lowRankForward, lowRankBackward, which Backend's default methods compose
 * from gemm, addBiasRelu and columnSums (a backend may fuse them). No kernel of their own.
 */
public interface LowRankConformance extends ConformanceFixture {

    /** One draw of a layer's inputs: a batch h (n x in) and the factors q (k x in) and p (out x k). */
    record Layer(int n, int in, int k, int out, Matrix h, Matrix q, Matrix p) {
    }

    /** A fresh layer at odd shapes: 37 rows of 53 inputs, rank 7, 29 outputs. */
    private Layer layer(Draw r) {
        int n = 37;
        int in = 53;
        int k = 7;
        int out = 29;
        return new Layer(n, in, k, out, gaussian(r, n, in), gaussian(r, k, in), gaussian(r, out, k));
    }

    @Test
    default void lowRankForward() {
        Draw r = Draw.fresh();
        for (boolean relu : new boolean[] {false, true}) {
            Layer l = layer(r);
            Matrix bias = gaussian(r, 1, l.out());
            Tensor qh = poisoned(l.n(), l.k());
            Tensor o = poisoned(l.n(), l.out());
            backend().lowRankForward(up(l.h()), up(l.q()), up(l.p()), up(bias), relu, qh, o);
            double[][] qhRef = mul(d(l.h()), t(d(l.q())));
            double[][] outRef = mul(qhRef, t(d(l.p())));
            for (double[] row : outRef) {
                for (int j = 0; j < l.out(); j++) {
                    row[j] += bias.get(0, j);
                    row[j] = relu ? Math.max(0, row[j]) : row[j];
                }
            }
            assertClose(qhRef, down(qh), tolerance(), r.tag("lowRankForward qh"));
            assertClose(outRef, down(o), tolerance(), r.tag("lowRankForward out relu=" + relu));
        }
    }

    @Test
    default void lowRankBackward() {
        Draw r = Draw.fresh();
        for (boolean withDh : new boolean[] {true, false}) {
            Layer l = layer(r);
            Matrix qh = gaussian(r, l.n(), l.k());
            Matrix delta = gaussian(r, l.n(), l.out());
            Tensor gp = poisoned(l.n(), l.k());
            Tensor dq = poisoned(l.k(), l.in());
            Tensor dp = poisoned(l.out(), l.k());
            Tensor dbias = poisoned(1, l.out());
            Tensor dh = withDh ? poisoned(l.n(), l.in()) : null;
            backend().lowRankBackward(up(l.h()), up(l.q()), up(l.p()), up(qh), up(delta), gp, dq, dp, dbias, dh);
            String what = r.tag("lowRankBackward dh=" + withDh);
            double[][] gpRef = mul(d(delta), d(l.p()));
            assertClose(mul(t(d(delta)), d(qh)), down(dp), tolerance(), what + " dp");
            assertClose(mul(t(gpRef), d(l.h())), down(dq), tolerance(), what + " dq");
            assertClose(columnSums(d(delta)), down(dbias), tolerance(), what + " dbias");
            if (withDh) {
                assertClose(mul(gpRef, d(l.q())), down(dh), tolerance(), what + " dh");
            }
        }
    }
}
