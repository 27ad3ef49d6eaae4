package ger.method.as;

import ger.backend.Backend;
import ger.tensor.Tensor;

/**
 * B = L^-1 Yc^T Zc (d_in x d_out), the coefficients of Zc's regression on the whitened input, as
 * Step I uses it: through products with thin blocks (B V, B^T X) and, for a full eigensolve, its
 * Gram matrix S = B^T B. Either formed, or left as the product W^T Zc of the whitened input and Z
 * (2 n p (d_in + d_out) flops per product instead of 2 n d_in d_out to form it), which pays when
 * k is much smaller than d_out and d_in, as in VGG-19's fc6.
 */
sealed interface WhitenedCoefficients {
    /** B v, a new d_in x p tensor; v d_out x p. */
    Tensor times(Tensor v);

    /** B^T x, a new d_out x p tensor; x d_in x p. */
    Tensor transposeTimes(Tensor x);

    /** S = B^T B, a new d_out x d_out tensor. */
    Tensor gram();

    /** B itself (not owned). */
    record Formed(Backend b, Tensor matrix) implements WhitenedCoefficients {
        public Tensor times(Tensor v) {
            Tensor out = b.allocate(matrix.rows(), v.cols());
            b.gemm(false, false, 1f, matrix, v, 0f, out);
            return out;
        }

        public Tensor transposeTimes(Tensor x) {
            Tensor out = b.allocate(matrix.cols(), x.cols());
            b.gemm(true, false, 1f, matrix, x, 0f, out);
            return out;
        }

        public Tensor gram() {
            Tensor s = b.allocate(matrix.cols(), matrix.cols());
            b.gram(matrix, 0f, s);
            return s;
        }
    }

    /** B = wt zc: wt = L^-1 Yc^T (d_in x n), zc the centred Z (n x d_out); neither owned. */
    record Product(Backend b, Tensor wt, Tensor zc) implements WhitenedCoefficients {
        /** wt (zc v). */
        public Tensor times(Tensor v) {
            return chain(false, zc, wt, v);
        }

        /** zc^T (wt^T x). */
        public Tensor transposeTimes(Tensor x) {
            return chain(true, wt, zc, x);
        }

        /** op(outer) (op(inner) v) as a new tensor, op the transpose when transposed. */
        private Tensor chain(boolean transposed, Tensor inner, Tensor outer, Tensor v) {
            Tensor out = b.allocate(transposed ? outer.cols() : outer.rows(), v.cols());
            try (Tensor mid = b.allocate(transposed ? inner.cols() : inner.rows(), v.cols())) {
                b.gemm(transposed, false, 1f, inner, v, 0f, mid);
                b.gemm(transposed, false, 1f, outer, mid, 0f, out);
            }
            return out;
        }

        /** Forms B for the once-in-a-while full eigensolve (the first Step I, a block that lost rank). */
        public Tensor gram() {
            try (Tensor m = b.allocate(wt.rows(), zc.cols())) {
                b.gemm(false, false, 1f, wt, zc, 0f, m);
                return new Formed(b, m).gram();
            }
        }
    }
}
