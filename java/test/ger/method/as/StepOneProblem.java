package ger.method.as;

import ger.backend.java.JavaBackend;
import ger.method.Fixtures;
import ger.method.Options;
import ger.tensor.Matrix;

import java.util.Random;

/**
 * One AS Step I on the java backend on Gaussian inputs, with B = W^T Zc formed or as the product
 * ({@link WhitenedCoefficients}); the flop model of the two is {@link WhitenedInput.StepOneCost}.
 * ger.bench.StepOneBenchmark times it, from outside this package.
 */
public final class StepOneProblem implements AutoCloseable {
    private final JavaBackend b = new JavaBackend();
    private final int dOut;
    private final Matrix wt;
    private final Matrix z;
    private final TopEigenvectors eigen;

    public StepOneProblem(int n, int dIn, int dOut, int k, long seed) {
        Random rng = new Random(seed);
        this.dOut = dOut;
        wt = Fixtures.gaussian(rng, dIn, n, 1, 0);
        z = Fixtures.gaussian(rng, n, dOut, 1, 0);
        eigen = new TopEigenvectors(b, k, dIn, dOut, Options.EigenSolver.SUBSPACE);
    }

    /** One Step I; returns B_U's columns, so that the call has a result. */
    public int run(boolean asProduct) {
        try (LayerFactors f = WhitenedInput.reducedRankRegression(b, wt, z, b.allocate(1, dOut), eigen, asProduct)) {
            return f.bu().cols();
        }
    }

    @Override
    public void close() {
        eigen.close();
        wt.close();
        z.close();
    }
}
