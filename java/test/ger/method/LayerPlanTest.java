package ger.method;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.budget.RankAllocation;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-layer plans: a dense layer refit by AS on its compressed input (against float64 least squares),
 * trained by the global stage; kept layers untouched; ranks chosen under a budget within it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LayerPlanTest {
    private final long seed = System.nanoTime();
    private final Backend b = new JavaBackend();
    private final Fixtures.Network network = Fixtures.Network.random(seed, 300, 20, 32, 24, 10);
    private final FcStack model = network.model();
    private final Matrix calib = network.calib();
    private CompressionSession session;
    private final double ridge = Options.defaults().ridge();

    @BeforeAll
    void setUp() {
        Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x6,1x6")).withGlobal(4, 0.01, 32, 0);
        session = new CompressionSession(b, model, calib, options, Progress.NONE);
    }

    @AfterAll
    void tearDown() {
        session.close();
    }

    private static LayerRanks plan(Integer... ranks) {
        return new LayerRanks(List.of(ranks));
    }

    /** The host float64 input of layer l as the given (compressed) layers below produce it. */
    private SimpleMatrix input(List<CompressedLayer> layers, int l) {
        SimpleMatrix h = Fixtures.ejml(calib);
        for (int i = 0; i < l; i++) {
            h = Fixtures.relu(Fixtures.affine(h, Fixtures.ejml(layers.get(i).denseWeight()), Fixtures.ejml(layers.get(i).bias())));
        }
        return h;
    }

    @Test
    void aDenseLastLayerIsTheRidgeLeastSquaresFitOnItsCompressedInput() {
        CompressionResult as = session.compress(MethodName.AS, plan(4, 4, LayerRanks.DENSE));
        List<CompressedLayer> layers = as.model().layers();
        CompressedLayer.Dense last = assertInstanceOf(CompressedLayer.Dense.class, layers.get(2));
        SimpleMatrix y = input(layers, 2);
        SimpleMatrix target = Fixtures.ejml(model.layer(2).weight());
        SimpleMatrix a = Fixtures.affine(input(List.of(dense(0), dense(1)), 2), target, Fixtures.ejml(model.layer(2).bias()));
        SimpleMatrix yc = Fixtures.centred(y);
        SimpleMatrix gram = yc.transpose().mult(yc);
        double eps = ridge * gram.trace() / gram.getNumRows();
        SimpleMatrix w = gram.plus(SimpleMatrix.identity(gram.getNumRows()).scale(eps))
                .solve(yc.transpose().mult(Fixtures.centred(a))).transpose();
        SimpleMatrix bias = Fixtures.columnMeans(a).minus(Fixtures.columnMeans(y).mult(w.transpose()));
        String s = "seed " + seed;
        assertEquals(0, Fixtures.relative(Fixtures.ejml(last.weight()), w), 1e-3, s);
        assertEquals(0, Fixtures.relative(Fixtures.ejml(last.bias()), bias), 1e-3, s);
        assertEquals("fc1:4,fc2:4,fc3:dense", as.model().metadata().get("ranks"), s);
    }

    private CompressedLayer dense(int l) {
        return new CompressedLayer.Dense(model.layer(l).name(), model.layer(l).weight(), model.layer(l).bias());
    }

    @Test
    void aDenseHiddenLayerRefitLowersItsObjective() {
        CompressionResult as = session.compress(MethodName.AS, plan(3, LayerRanks.DENSE, 3));
        List<CompressedLayer> layers = as.model().layers();
        CompressedLayer.Dense refit = assertInstanceOf(CompressedLayer.Dense.class, layers.get(1));
        SimpleMatrix y = input(layers, 1);
        SimpleMatrix t = Fixtures.relu(Fixtures.affine(input(List.of(dense(0)), 1), Fixtures.ejml(model.layer(1).weight()),
                Fixtures.ejml(model.layer(1).bias())));
        double refitError = t.minus(Fixtures.relu(Fixtures.affine(y, Fixtures.ejml(refit.weight()), Fixtures.ejml(refit.bias())))).normF();
        double originalError = t.minus(Fixtures.relu(Fixtures.affine(y, Fixtures.ejml(model.layer(1).weight()),
                Fixtures.ejml(model.layer(1).bias())))).normF();
        assertTrue(refitError < originalError, "seed " + seed + ": " + refitError + " vs " + originalError);
        assertTrue(!java.util.Arrays.equals(refit.weight().toArray(), model.layer(1).weight().toArray()));
    }

    /**
     * KEEP leaves a layer as it is in every method; DENSE on the original input has nothing to refit
     * (AS, LRD), but the global stage trains it (GER, GER-IC).
     */
    @Test
    void keptLayersStayAndDenseLayersOnTheOriginalInputAreNotRefit() {
        for (MethodName m : List.of(MethodName.AS, MethodName.GER, MethodName.LRD, MethodName.GER_IC)) {
            CompressionResult r = session.compress(m, plan(LayerRanks.DENSE, 4, LayerRanks.KEEP));
            List<CompressedLayer> layers = r.model().layers();
            boolean trains = m == MethodName.GER || m == MethodName.GER_IC;
            for (int l : new int[] {0, 2}) {
                CompressedLayer.Dense d = assertInstanceOf(CompressedLayer.Dense.class, layers.get(l));
                boolean same = java.util.Arrays.equals(model.layer(l).weight().toArray(), d.weight().toArray())
                        && java.util.Arrays.equals(model.layer(l).bias().toArray(), d.bias().toArray());
                assertEquals(l == 2 || !trains, same, m + " layer " + l + ", seed " + seed);
            }
            assertInstanceOf(CompressedLayer.LowRank.class, layers.get(1));
        }
    }

    /**
     * From the SVD start (GER-IC), the dense layers above a compressed one still hold the original
     * weights, far from what their new input wants, so the global stage has to move them to gain.
     */
    @Test
    void theGlobalStageTrainsDenseLayers() {
        LayerRanks p = plan(4, LayerRanks.DENSE, LayerRanks.DENSE);
        CompressionResult lrd = session.compress(MethodName.LRD, p);
        CompressionResult gerIc = session.compress(MethodName.GER_IC, p);
        String s = "seed " + seed + ": ger-ic " + gerIc.outputRelError() + " lrd " + lrd.outputRelError();
        for (int l : new int[] {1, 2}) {
            CompressedLayer.Dense start = (CompressedLayer.Dense) lrd.model().layers().get(l);
            CompressedLayer.Dense trained = (CompressedLayer.Dense) gerIc.model().layers().get(l);
            assertTrue(Fixtures.relative(Fixtures.ejml(trained.weight()), Fixtures.ejml(start.weight())) > 1e-5,
                    "layer " + l + " moved; " + s);
        }
        assertTrue(gerIc.outputRelError() < lrd.outputRelError(), s);
        assertEquals(Fixtures.hostRelError(model, calib, gerIc.model().layers()), gerIc.outputRelError(), 1e-4, s);
    }

    @Test
    void aBudgetIsMetAndLrdUnderItIsNoWorseThanUniformRanks() {
        int k = 3;
        CompressionResult uniform = session.compress(MethodName.LRD, k);
        long budget = (long) Math.floor(model.weightCount() / uniform.model().compressionRate());
        for (MethodName m : List.of(MethodName.LRD, MethodName.AS, MethodName.GER)) {
            CompressionResult r = session.compressWithin(m, budget, Set.of());
            String s = m + ", seed " + seed + ": " + r.model().metadata().get("ranks") + " " + r.outputRelError();
            RankAllocation.Choice c = r.allocation();
            assertNotNull(c, s);
            try (CompressedModel written = r.model()) {
                long stored = written.layers().stream().mapToLong(l -> l.storedWeightBits() / 32).sum();
                assertEquals(c.params(), stored, s);
                assertTrue(stored <= budget, s + ": " + stored + " > " + budget);
                assertTrue(written.compressionRate() >= model.weightCount() / (double) budget * (1 - 1e-12), s);
            }
            assertTrue(Double.isFinite(c.predictedRelError()) && c.predictedRelError() > 0, s);
            if (m == MethodName.LRD) {
                // The first step is LRD itself: the allocation is kept only where it measures no worse.
                assertTrue(r.outputRelError() <= uniform.outputRelError() * (1 + 1e-6), s + " vs uniform " + uniform.outputRelError());
            }
        }
    }
}
