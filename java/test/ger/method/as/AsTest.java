package ger.method.as;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.NotPositiveDefiniteException;
import ger.backend.java.JavaBackend;
import ger.method.DeviceOps;
import ger.method.Fixtures;
import ger.method.Options;
import ger.method.Progress;
import ger.method.Rows;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AS: Step I against the textbook reduced-rank regression, Step II's monotone objective, the eigen solvers. */
class AsTest {
    private final Backend b = new JavaBackend();
    /** Each test's own draw (JUnit makes an instance per test); failures name it. */
    private final long seed = System.nanoTime();
    private final Random r = new Random(seed);

    /** Yhat n x dIn with column means far from zero (so centring matters). */
    private static Matrix input(Random r, int n, int dIn) {
        Matrix y = Fixtures.gaussian(r, n, dIn, 1.0, 0);
        for (int j = 0; j < dIn; j++) {
            float shift = (float) (3 * r.nextGaussian());
            for (int i = 0; i < n; i++) {
                y.set(i, j, y.get(i, j) * (1 + j * 0.1f) + shift);
            }
        }
        return y;
    }

    /** The symmetric square root of a symmetric positive definite c. */
    private static SimpleMatrix sqrtm(SimpleMatrix c) {
        var svd = c.svd();
        SimpleMatrix w = svd.getW().copy();
        for (int i = 0; i < w.getNumRows(); i++) {
            w.set(i, i, Math.sqrt(w.get(i, i)));
        }
        return svd.getU().mult(w).mult(svd.getV().transpose());
    }

    @Test
    void stepOneMatchesTheThreeTextbookForms() {
        int n = 200, dIn = 13, dOut = 11, k = 4;
        double ridge = 1e-7;
        Matrix yhat = input(r, n, dIn);
        Matrix w = Fixtures.gaussian(r, dOut, dIn, 1.0, 0);
        SimpleMatrix y = Fixtures.ejml(yhat);
        SimpleMatrix zRef = y.mult(Fixtures.ejml(w).transpose()).plus(Fixtures.ejml(Fixtures.gaussian(r, n, dOut, 0.5, 2)));
        Matrix z = Matrix.zeros(n, dOut);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dOut; j++) {
                z.set(i, j, (float) zRef.get(i, j));
            }
        }
        SimpleMatrix yc = Fixtures.centred(y);
        SimpleMatrix zc = Fixtures.centred(Fixtures.ejml(z));
        SimpleMatrix gram = yc.transpose().mult(yc);
        double eps = ridge * gram.trace() / dIn;
        SimpleMatrix c = gram.plus(SimpleMatrix.identity(dIn).scale(eps));

        // Form 1, GSVD: Mhat = Z^T Y C^-1 = U S V^T with U^T U = I, V^T C V = I; M = U_k S_k V_k^T.
        SimpleMatrix root = sqrtm(c);
        SimpleMatrix bt = zc.transpose().mult(yc).mult(root.invert()); // Mhat C^(1/2), d_out x d_in
        var svd = bt.svd();
        SimpleMatrix v = root.invert().mult(svd.getV());
        SimpleMatrix vcv = v.transpose().mult(c).mult(v);
        assertTrue(vcv.minus(SimpleMatrix.identity(vcv.getNumRows())).normF() < 1e-8, "reference V^T C V = I");
        SimpleMatrix uk = Fixtures.topLeftSingular(bt, k);
        SimpleMatrix m1 = uk.mult(uk.transpose()).mult(bt).mult(root.invert());
        // Forms 2 and 3 at eps = 0 (plain OLS): project Mhat onto the top-k principal subspace of the fitted
        // values, found from their covariance (form 2) and from their SVD (form 3).
        SimpleMatrix mhat = zc.transpose().mult(yc).mult(gram.invert());
        SimpleMatrix fitted = yc.mult(mhat.transpose());
        SimpleMatrix e2 = Fixtures.topLeftSingular(fitted.transpose().mult(fitted), k);
        SimpleMatrix m2 = e2.mult(e2.transpose()).mult(mhat);
        SimpleMatrix e3 = Fixtures.topLeftSingular(fitted.transpose(), k);
        SimpleMatrix m3 = e3.mult(e3.transpose()).mult(mhat);
        assertTrue(Fixtures.relative(m2, m1) < 1e-5, "form 2 vs GSVD form, seed " + seed);
        assertTrue(Fixtures.relative(m3, m1) < 1e-5, "form 3 vs GSVD form, seed " + seed);
        SimpleMatrix biasRef = Fixtures.columnMeans(Fixtures.ejml(z)).minus(Fixtures.columnMeans(y).mult(m1.transpose()));

        for (Options.EigenSolver solver : Options.EigenSolver.values()) {
            try (WhitenedInput in = WhitenedInput.of(b, device(yhat), ridge, "fc");
                 Tensor zt = b.upload(z);
                 TopEigenvectors eigen = new TopEigenvectors(b, k, dIn, dOut, solver);
                 LayerFactors f = WhitenedInput.reducedRankRegression(b, in.wt, zt, DeviceOps.centre(b, zt), eigen, false);
                 Tensor qt = f.q(b, in.chol())) {
                SimpleMatrix p = Fixtures.ejml(b.download(f.p()));
                SimpleMatrix q = Fixtures.ejml(b.download(qt));
                assertTrue(p.transpose().mult(p).minus(SimpleMatrix.identity(k)).normF() < 1e-4, "P orthonormal, seed " + seed);
                SimpleMatrix m = p.mult(q);
                double err = Fixtures.relative(m, m1);
                assertTrue(err < 1e-3, solver + ": M vs GSVD form, relative error " + err + ", seed " + seed);
                SimpleMatrix zbar = Fixtures.ejml(b.download(f.zbar()));
                SimpleMatrix bias = zbar.minus(Fixtures.columnMeans(y).mult(m.transpose()));
                assertTrue(Fixtures.relative(bias, biasRef) < 1e-3, solver + ": bias, seed " + seed);
            }
        }
    }

    /** A layer's problem: Yhat, and A = Yhat W^T + c + noise. */
    private record Problem(Matrix yhat, Matrix preActivation) {
    }

    private static Problem problem(Random r, int n, int dIn, int dOut) {
        Matrix yhat = input(r, n, dIn);
        SimpleMatrix a = Fixtures.ejml(yhat).mult(Fixtures.ejml(Fixtures.gaussian(r, dOut, dIn, 0.3, 0)).transpose());
        Matrix pre = Fixtures.gaussian(r, n, dOut, 0.3, 0.2);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dOut; j++) {
                pre.set(i, j, pre.get(i, j) + (float) a.get(i, j));
            }
        }
        return new Problem(yhat, pre);
    }

    private As.LayerSolution solve(Problem pr, int k, Options options) {
        try (LayerInput in = LayerInput.of(b, device(pr.yhat()), options.ridge(), "fc");
             Rows a = device(pr.preActivation())) {
            return As.solveLayer(b, in, a, true, k, options, "fc", Progress.NONE);
        }
    }

    @Test
    void objectiveDoesNotIncreaseAtFixedLambda() {
        Problem pr = problem(r, 160, 12, 15);
        Options options = Options.defaults().withRidge(1e-6).withEigenSolver(Options.EigenSolver.FULL)
                .withSchedule(Options.parseSchedule("0.05x8,1x8"));
        try (As.LayerSolution s = solve(pr, 3, options)) {
            double[] obj = s.objectives();
            assertEquals(16, obj.length);
            for (int i = 1; i < obj.length; i++) {
                if (i == 8) {
                    continue; // lambda changes: the objective is another function
                }
                assertTrue(obj[i] <= obj[i - 1] * (1 + 1e-5) + 1e-6,
                        "iteration " + i + ": " + obj[i - 1] + " -> " + obj[i] + ", seed " + seed);
            }
        }
    }

    @Test
    void subspaceIterationReachesTheFullSolversObjective() {
        Problem pr = problem(r, 200, 14, 24);
        Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x10,1x10"));
        try (As.LayerSolution full = solve(pr, 4, options.withEigenSolver(Options.EigenSolver.FULL));
             As.LayerSolution sub = solve(pr, 4, options.withEigenSolver(Options.EigenSolver.SUBSPACE))) {
            double f = full.objectives()[19];
            double s = sub.objectives()[19];
            assertTrue(Math.abs(s - f) <= 1e-3 * f, "subspace " + s + " vs full " + f + ", seed " + seed);
        }
    }

    @Test
    void subspaceIterationThroughTheProductReachesTheFullSolversObjective() {
        // The flop count's verdicts on the paper's shapes (k = 256): VGG-19's fc6 goes through the product, fc7 not.
        assertTrue(WhitenedInput.StepOneCost.of(32768, 25088, 4096, 266, 1.0).productPays());
        assertFalse(WhitenedInput.StepOneCost.of(32768, 4096, 4096, 1034, 1.0).productPays());
        int n = 700, dIn = 300, dOut = 150, k = 3;
        assertTrue(WhitenedInput.StepOneCost.of(n, dIn, dOut, 6, b.thinGemmEfficiency()).productPays(),
                "this layer's warm Step I goes through the product");
        // A = Yhat W^T with W of rank k plus a little: the top-k subspace is well separated, so the
        // subspace iteration and the full solver land on the same factors, not merely the same objective.
        Matrix yhat = input(r, n, dIn);
        SimpleMatrix w = Fixtures.ejml(Fixtures.gaussian(r, dOut, k, 0.3, 0)).mult(Fixtures.ejml(Fixtures.gaussian(r, k, dIn, 0.3, 0)))
                .plus(Fixtures.ejml(Fixtures.gaussian(r, dOut, dIn, 0.002, 0)));
        SimpleMatrix a = Fixtures.ejml(yhat).mult(w.transpose());
        Matrix pre = Fixtures.gaussian(r, n, dOut, 0.01, 0.2);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dOut; j++) {
                pre.set(i, j, pre.get(i, j) + (float) a.get(i, j));
            }
        }
        Problem pr = new Problem(yhat, pre);
        Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x6,1x6"));
        try (As.LayerSolution full = solve(pr, k, options.withEigenSolver(Options.EigenSolver.FULL));
             As.LayerSolution sub = solve(pr, k, options.withEigenSolver(Options.EigenSolver.SUBSPACE))) {
            for (int i = 0; i < 12; i++) {
                double f = full.objectives()[i];
                double s = sub.objectives()[i];
                assertTrue(Math.abs(s - f) <= 1e-3 * f, "iteration " + i + ": subspace " + s + " vs full " + f + ", seed " + seed);
            }
            assertEquals(List.of(), full.notes());
            assertTrue(sub.notes().size() == 1 && sub.notes().getFirst().startsWith("fc: Step I with B ")
                    && sub.notes().getFirst().contains("as the product W^T Zc (cost model"), sub.notes().toString());
            SimpleMatrix mFull = Fixtures.ejml(b.download(full.factors().p())).mult(Fixtures.ejml(b.download(full.q())));
            SimpleMatrix mSub = Fixtures.ejml(b.download(sub.factors().p())).mult(Fixtures.ejml(b.download(sub.q())));
            double d = Fixtures.relative(mSub, mFull);
            assertTrue(d < 1e-2, "M = P Q differs by " + d + ", seed " + seed);
        }
    }

    @Test
    void stepOnesFormDependsOnTheShapesAlone() {
        // Solved twice, a layer takes the same form of B with the same reason and gives the same bytes:
        // nothing in the choice depends on how fast the machine happens to be.
        Problem pr = problem(r, 300, 60, 40);
        Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x3,1x3"))
                .withEigenSolver(Options.EigenSolver.SUBSPACE);
        try (As.LayerSolution first = solve(pr, 3, options); As.LayerSolution second = solve(pr, 3, options)) {
            assertEquals(1, first.notes().size(), first.notes().toString());
            assertEquals(first.notes(), second.notes());
            assertTrue(Arrays.equals(b.download(first.q()).toArray(), b.download(second.q()).toArray()), "seed " + seed);
            assertTrue(Arrays.equals(b.download(first.factors().p()).toArray(),
                    b.download(second.factors().p()).toArray()), "seed " + seed);
            assertTrue(Arrays.equals(b.download(first.bias()).toArray(), b.download(second.bias()).toArray()), "seed " + seed);
        }
        for (int call = 0; call < 3; call++) {
            assertEquals(WhitenedInput.StepOneCost.of(300, 60, 40, 6, b.thinGemmEfficiency()),
                    WhitenedInput.StepOneCost.of(300, 60, 40, 6, b.thinGemmEfficiency()));
        }
    }

    @Test
    void bothFormsOfAWarmStepOneGiveTheFloat64Solution() {
        // B = wt zc with a well separated top-k: M = B U_k U_k^T from either form matches float64.
        int n = 400, dIn = 50, dOut = 30, k = 4;
        Matrix wt = Fixtures.gaussian(r, dIn, n, 1, 0);
        SimpleMatrix low = Fixtures.ejml(Fixtures.gaussian(r, n, k, 3, 0)).mult(Fixtures.ejml(Fixtures.gaussian(r, k, dOut, 1, 0)));
        Matrix zc = Fixtures.gaussian(r, n, dOut, 0.05, 0);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dOut; j++) {
                zc.set(i, j, zc.get(i, j) + (float) low.get(i, j));
            }
        }
        SimpleMatrix bRef = Fixtures.ejml(wt).mult(Fixtures.ejml(zc));
        var eig = bRef.transpose().mult(bRef).eig();
        SimpleMatrix uk = new SimpleMatrix(dOut, k);
        List<Integer> order = IntStream.range(0, dOut).boxed()
                .sorted((x, y) -> Double.compare(eig.getEigenvalue(y).getReal(), eig.getEigenvalue(x).getReal())).toList();
        for (int j = 0; j < k; j++) {
            uk.insertIntoThis(0, j, eig.getEigenVector(order.get(j)));
        }
        SimpleMatrix mRef = bRef.mult(uk).mult(uk.transpose());
        try (Tensor tw = b.upload(wt); Tensor tz = b.upload(zc)) {
            for (boolean asProduct : new boolean[] {false, true}) {
                try (TopEigenvectors eigen = new TopEigenvectors(b, k, dIn, dOut, Options.EigenSolver.SUBSPACE);
                     LayerFactors cold = WhitenedInput.reducedRankRegression(b, tw, tz, zeros(1, dOut), eigen, false);
                     LayerFactors warm = WhitenedInput.reducedRankRegression(b, tw, tz, zeros(1, dOut), eigen, asProduct)) {
                    SimpleMatrix m = Fixtures.ejml(b.download(warm.bu())).mult(Fixtures.ejml(b.download(warm.p())).transpose());
                    double d = Fixtures.relative(m, mRef);
                    assertTrue(d < 1e-4, (asProduct ? "product" : "formed") + ": M differs by " + d + ", seed " + seed);
                }
            }
        }
    }

    private Tensor zeros(int rows, int cols) {
        Tensor t = b.allocate(rows, cols);
        b.fill(t, 0f);
        return t;
    }

    @Test
    void coefficientsAsAProductMatchTheFormedMatrix() {
        int n = 41, dIn = 13, dOut = 17, p = 4;
        Matrix wt = Fixtures.gaussian(r, dIn, n, 1, 0.1);
        Matrix zc = Fixtures.gaussian(r, n, dOut, 1, 0.1);
        Matrix v = Fixtures.gaussian(r, dOut, p, 1, 0);
        Matrix x = Fixtures.gaussian(r, dIn, p, 1, 0);
        SimpleMatrix bRef = Fixtures.ejml(wt).mult(Fixtures.ejml(zc));
        try (Tensor tw = b.upload(wt); Tensor tz = b.upload(zc); Tensor tv = b.upload(v); Tensor tx = b.upload(x)) {
            WhitenedCoefficients product = new WhitenedCoefficients.Product(b, tw, tz);
            try (Tensor bv = product.times(tv); Tensor btx = product.transposeTimes(tx); Tensor s = product.gram()) {
                assertTrue(Fixtures.relative(Fixtures.ejml(b.download(bv)), bRef.mult(Fixtures.ejml(v))) < 1e-5, "B v, seed " + seed);
                assertTrue(Fixtures.relative(Fixtures.ejml(b.download(btx)), bRef.transpose().mult(Fixtures.ejml(x))) < 1e-5,
                        "B^T x, seed " + seed);
                assertTrue(Fixtures.relative(Fixtures.ejml(b.download(s)), bRef.transpose().mult(bRef)) < 1e-5, "B^T B, seed " + seed);
            }
        }
    }

    @Test
    void aTallInputsGramAccumulatesOverBlocks() {
        int n = 2 * WhitenedInput.GRAM_ROWS + 1 + r.nextInt(1000); // two full blocks and a ragged one
        Matrix y = Fixtures.gaussian(r, n, 6, 1, 0.5);
        SimpleMatrix reference = Fixtures.ejml(y).transpose().mult(Fixtures.ejml(y));
        try (Tensor yt = b.upload(y); Tensor g = b.allocate(6, 6)) {
            b.fill(g, Float.NaN); // the first block overwrites
            WhitenedInput.gram(b, yt, g);
            double d = Fixtures.relative(Fixtures.ejml(b.download(g)), reference);
            assertTrue(d < 1e-5, n + " rows: Gram differs by " + d + ", seed " + seed);
        }
    }

    /** ||X X^T - Y Y^T||_F for orthonormal columns: zero iff they span the same space. */
    private static double projectorDistance(SimpleMatrix x, SimpleMatrix y) {
        return x.mult(x.transpose()).minus(y.mult(y.transpose())).normF();
    }

    /** B = X diag(s) U^T (d_in x d_out) with a spectral gap after the k-th value. */
    private static SimpleMatrix gapped(Random r, int dIn, int dOut, int k) {
        SimpleMatrix x = Fixtures.topLeftSingular(Fixtures.ejml(Fixtures.gaussian(r, dIn, dIn, 1, 0)), dIn);
        SimpleMatrix u = Fixtures.topLeftSingular(Fixtures.ejml(Fixtures.gaussian(r, dOut, dOut, 1, 0)), dOut);
        int m = Math.min(dIn, dOut);
        SimpleMatrix s = new SimpleMatrix(dIn, dOut);
        for (int i = 0; i < m; i++) {
            s.set(i, i, i < k ? 10 - i : 1.0 / (1 + i));
        }
        return x.mult(s).mult(u.transpose());
    }

    @Test
    void warmStartedSubspaceIterationSpansTheTopEigenvectors() {
        int dIn = 30, dOut = 40, k = 5;
        SimpleMatrix b1 = gapped(r, dIn, dOut, k);
        // The second problem moves a little, as B does between AS iterations.
        SimpleMatrix b2 = b1.plus(Fixtures.ejml(Fixtures.gaussian(r, dIn, dOut, 0.05, 0)));
        SimpleMatrix reference = Fixtures.topLeftSingular(b2.transpose().mult(b2), k);
        try (TopEigenvectors eigen = new TopEigenvectors(b, k, dIn, dOut, Options.EigenSolver.SUBSPACE);
             Tensor t1 = b.upload(Fixtures.matrix(b1)); Tensor t2 = b.upload(Fixtures.matrix(b2))) {
            eigen.next(new WhitenedCoefficients.Formed(b, t1)).close();
            try (Tensor u = eigen.next(new WhitenedCoefficients.Formed(b, t2))) {
                SimpleMatrix uk = Fixtures.ejml(b.download(u));
                assertTrue(uk.transpose().mult(uk).minus(SimpleMatrix.identity(k)).normF() < 1e-4,
                        "orthonormal, seed " + seed);
                double d = projectorDistance(uk, reference);
                assertTrue(d < 1e-3, "projector distance " + d + ", seed " + seed);
            }
        }
        // From a cold random start, more steps reach the same space.
        try (Tensor t = b.upload(Fixtures.matrix(b1)); Tensor v = b.upload(Fixtures.gaussian(r, dOut, 2 * k, 1, 0))) {
            SimpleMatrix ref1 = Fixtures.topLeftSingular(b1.transpose().mult(b1), k);
            for (Tensor s : new Tensor[] {null, gram(t)}) {
                try (Tensor ritz = SubspaceIteration.refine(b, new WhitenedCoefficients.Formed(b, t), s, v, 6)) {
                    SimpleMatrix uk = Fixtures.ejml(b.download(ritz)).extractMatrix(0, dOut, 0, k);
                    double d = projectorDistance(uk, ref1);
                    assertTrue(d < 1e-3, (s == null ? "B^T (B V)" : "S V") + ": projector distance " + d + ", seed " + seed);
                }
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    private Tensor gram(Tensor t) {
        Tensor s = b.allocate(t.cols(), t.cols());
        b.gram(t, 0f, s);
        return s;
    }

    @Test
    void singularGramStillFactorsWithTheRidge() {
        // Two identical columns and fewer rows than inputs: Yc^T Yc is singular; the relative ridge fixes it.
        Matrix y = Fixtures.gaussian(r, 6, 9, 1, 0);
        for (int i = 0; i < 6; i++) {
            y.set(i, 1, y.get(i, 0));
        }
        try (LayerInput in = LayerInput.of(b, device(y), 1e-3, "fc")) {
            assertTrue(b.download(in.chol()).firstNonFinite() < 0, "finite factor, seed " + seed);
            assertEquals(List.of(), in.notes());
        }
    }

    /** A java backend whose Cholesky reports "not positive definite" the first {@code failures} times. */
    private static Backend failingCholesky(int failures) {
        int[] left = {failures};
        return Fixtures.javaBackendReplacing("cholesky", (args, real) -> {
            Tensor a = (Tensor) args[0];
            if (left[0]-- > 0) {
                throw new NotPositiveDefiniteException(0, a.rows());
            }
            real.cholesky(a);
            return null;
        });
    }

    @Test
    void aFailingCholeskyRaisesTheRidgeThenGivesUpClearly() {
        Matrix y = Fixtures.gaussian(r, 20, 7, 1, 0);
        Backend twice = failingCholesky(2);
        try (LayerInput in = LayerInput.of(twice, new Rows.OnDevice(twice, twice.upload(y), 8), 1e-3, "fc6")) {
            assertEquals(1, in.notes().size(), "seed " + seed);
            assertTrue(in.notes().getFirst().contains("0.1"), in.notes().getFirst());
            assertTrue(in.eps() > 99 * 1e-3 * (b.trace(gramOf(y)) / 7) , "eps " + in.eps());
        }
        Backend always = failingCholesky(Integer.MAX_VALUE);
        GerException e = assertThrows(GerException.class,
                () -> LayerInput.of(always, new Rows.OnDevice(always, always.upload(y), 8), 1e-3, "fc6"));
        assertTrue(e.getMessage().contains("20 calibration rows for 7 inputs") && e.getMessage().contains("--ridge"),
                e.getMessage());
    }

    private Rows.OnDevice device(Matrix m) {
        return new Rows.OnDevice(b, b.upload(m), 8);
    }

    private Tensor gramOf(Matrix y) {
        try (Tensor t = b.upload(y)) {
            Tensor s = b.allocate(y.cols(), y.cols());
            try (Tensor mean = b.allocate(1, y.cols())) {
                b.columnMeans(t, mean);
                b.addRowVector(t, -1f, mean);
            }
            b.gram(t, 0f, s);
            return s;
        }
    }
}
