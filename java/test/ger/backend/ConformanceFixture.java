package ger.backend;

import ger.backend.Conformance.Draw;
import ger.tensor.Matrix;
import ger.tensor.Tensor;

/**
 * What the conformance families ({@link BackendConformance} lists them) need from the test class: the
 * backend under test, its tolerance, and host and device tensors that are closed after each test.
 */
public interface ConformanceFixture {

    /** The backend under test; called often, so return the same instance. */
    Backend backend();

    /** The relative error every comparison allows. */
    double tolerance();

    /** Returns resource, closed after the current test. */
    <T extends AutoCloseable> T keep(T resource);

    /** rows x cols of standard normal values, on the host. */
    default Matrix gaussian(Draw r, int rows, int cols) {
        Matrix m = keep(Matrix.zeros(rows, cols));
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) r.rng().nextGaussian());
        }
        return m;
    }

    default Tensor up(Matrix host) {
        return keep(backend().upload(host));
    }

    /** An output tensor full of NaN, so that an element the backend does not write is caught. */
    default Tensor poisoned(int rows, int cols) {
        Matrix nan = keep(Matrix.zeros(rows, cols));
        for (long i = 0; i < nan.size(); i++) {
            nan.setFlat(i, Float.NaN);
        }
        return up(nan);
    }

    default Matrix down(Tensor t) {
        return keep(backend().download(t));
    }
}
