package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.method.global.GlobalStage;
import ger.model.CompressedLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The four low-rank methods end to end on a small random MLP, the cache, the notes, bad input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompressionSessionTest {
    private final Backend b = new JavaBackend();
    private final long seed = Long.getLong("ger.test.seed", System.nanoTime());
    private final Fixtures.Network network = Fixtures.Network.random(seed, 300, 20, 32, 24, 10);
    private final FcStack model = network.model();
    private final Matrix calib = network.calib();
    // At lr 0.02 an unlucky draw (seed 5203025037906) ended its noisy 8 epochs above the first.
    private final Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x10,1x10"))
            .withGlobal(8, 0.01, 32, 0.0);

    private double hostRelError(List<CompressedLayer> layers) {
        return Fixtures.hostRelError(model, calib, layers);
    }

    private static boolean finite(List<CompressedLayer> layers) {
        return layers.stream().allMatch(l -> l.denseWeight().firstNonFinite() < 0 && l.bias().firstNonFinite() < 0);
    }

    @Test
    void theSameInputsGiveTheSameBytes() {
        // Nothing a method does depends on timing (the rate search included): two sessions agree to the bit.
        Options searched = new Options(options.schedule(), options.ridge(), Options.EigenSolver.SUBSPACE, 3,
                Options.FIND_LR, 0.9, 5e-4, 32, 10, 0.0, 16, 20, 7L, 0);
        try (CompressionSession first = new CompressionSession(b, model, calib, searched, Progress.NONE);
             CompressionSession second = new CompressionSession(b, model, calib, searched, Progress.NONE)) {
            for (MethodName m : MethodName.values()) {
                int knob = m == MethodName.PQ ? 2 : 4;
                try (var one = first.compress(m, knob).model(); var two = second.compress(m, knob).model()) {
                    for (int l = 0; l < model.depth(); l++) {
                        CompressedLayer x = one.layers().get(l);
                        CompressedLayer y = two.layers().get(l);
                        assertTrue(Arrays.equals(x.denseWeight().toArray(), y.denseWeight().toArray()), m + " " + x.name());
                        assertTrue(Arrays.equals(x.bias().toArray(), y.bias().toArray()), m + " " + x.name());
                    }
                }
            }
        }
    }

    @Test
    void globalStageNeverLosesToItsInitialisation() {
        try (CompressionSession session = new CompressionSession(b, model, calib, options, Progress.NONE)) {
            CompressionResult lrd = session.compress(MethodName.LRD, 4);
            CompressionResult as = session.compress(MethodName.AS, 4);
            CompressionResult gerIc = session.compress(MethodName.GER_IC, 4);
            CompressionResult ger = session.compress(MethodName.GER, 4);
            String s = "seed " + seed + ": lrd " + lrd.outputRelError() + " as " + as.outputRelError() + " ger-ic "
                    + gerIc.outputRelError() + " ger " + ger.outputRelError() + " ger loss " + ger.epochLoss();
            System.out.println(s);
            // Up to rounding: the stage starts from the balanced factors, the same products as AS's and LRD's.
            assertTrue(ger.outputRelError() <= as.outputRelError() * (1 + 1e-5), s);
            assertTrue(gerIc.outputRelError() <= lrd.outputRelError() * (1 + 1e-5), s);
            // The stage does work on this problem: its loss falls and it beats the layer-wise solution.
            assertTrue(ger.outputRelError() < as.outputRelError() * 0.999, s);
            assertTrue(ger.epochLoss().getLast() < ger.epochLoss().getFirst(), s);
            assertEquals(8, ger.epochLoss().size(), s);
            // The rate it settled on is the one asked for, halved by the divergence guard 0 or more times.
            double halvings = Math.log(0.01 / ger.settledLr()) / Math.log(2);
            assertEquals(Math.rint(halvings), halvings, 1e-9, s);
            assertTrue(halvings >= 0, s);
            assertTrue(as.outputRelError() < lrd.outputRelError(), s); // the asymmetric, nonlinear fit helps
            for (CompressionResult result : List.of(lrd, as, gerIc, ger)) {
                assertEquals(hostRelError(result.model().layers()), result.outputRelError(), 1e-4, s);
                assertEquals("fc1:4,fc2:4,fc3:4", result.model().metadata().get("ranks"));
                assertEquals("4", result.model().metadata().get("rank"));
                assertEquals("0.1.0", result.model().metadata().get("version"));
                double rate = (20 * 32 + 32 * 24 + 24 * 10) / (4.0 * (52 + 56 + 34));
                assertEquals(String.format(java.util.Locale.ROOT, "%.2f", rate),
                        result.model().metadata().get("compression_rate"));
                assertTrue(finite(result.model().layers()), s);
            }
            assertNull(lrd.settledLr());
            assertTrue(lrd.epochLoss().isEmpty());
            // Session caches: the upload and the activations are paid once, the SVDs by the first LRD job.
            assertTrue(lrd.phaseSeconds().containsKey("upload") && lrd.phaseSeconds().containsKey("activations"));
            assertTrue(lrd.phaseSeconds().containsKey("svd"));
            assertFalse(as.phaseSeconds().containsKey("upload") || as.phaseSeconds().containsKey("activations"));
            assertFalse(gerIc.phaseSeconds().containsKey("svd"));
            // GER at the rank of an earlier AS job starts from that job's factors instead of solving again.
            assertTrue(ger.phaseSeconds().containsKey("global") && !ger.phaseSeconds().containsKey("init fc2"));
            assertTrue(ger.notes().stream().anyMatch(n -> n.contains("reused")), s);
            // The same job twice gives the same result (the cached layer-0 factor is not altered by use).
            CompressionResult again = session.compress(MethodName.AS, 4);
            assertEquals(as.outputRelError(), again.outputRelError(), 1e-9, s);
        }
    }

    @Test
    void streamingTheRowsFromTheHostGivesTheResidentResult() {
        // A chunk that leaves a ragged last one, and a hidden-layer loss (beta) so the streamed targets are used too.
        // The streamed Gram sums in another order, so AS's factors differ by ~1e-5; a global stage at the edge
        // of stability amplifies that (lr 0.01 reached 3e-3 for seed 13384133719479, lr 0.003 1.8e-3 for seed 7696872889648), so it trains gently here.
        int chunk = 7 + new Random(seed).nextInt(50);
        Options o = options.withGlobal(4, 0.001, 32, 0.3);
        try (CompressionSession resident = new CompressionSession(b, model, calib, o, Progress.NONE);
             CompressionSession streamed = new CompressionSession(b, model, calib, o.withStreamRows(chunk), Progress.NONE)) {
            for (MethodName method : MethodName.values()) {
                int knob = method == MethodName.PQ ? 2 : 4;
                CompressionResult r = resident.compress(method, knob);
                CompressionResult st = streamed.compress(method, knob);
                String s = method + ", chunk " + chunk + ", seed " + seed;
                assertEquals(r.outputRelError(), st.outputRelError(), 1e-3 * r.outputRelError(), s);
                assertEquals(hostRelError(st.model().layers()), st.outputRelError(), 1e-4, s);
                // Each layer's pre-activations on the calibration rows, not its weights: directions the rows
                // barely excite are ill-determined, and rounding may turn them (as validate does).
                for (int l = 0; l < 3; l++) {
                    double err = Fixtures.relative(preActivation(st.model().layers(), l), preActivation(r.model().layers(), l));
                    assertTrue(err < 1e-3, s + ": layer " + l + " pre-activation differs by " + err);
                }
            }
        }
    }

    /** Layer l's pre-activation on the calibration rows through the given layers, in float64. */
    private SimpleMatrix preActivation(List<CompressedLayer> layers, int l) {
        SimpleMatrix h = Fixtures.ejml(calib);
        for (int i = 0; i <= l; i++) {
            SimpleMatrix a = h.mult(Fixtures.ejml(layers.get(i).denseWeight()).transpose());
            for (int row = 0; row < a.getNumRows(); row++) {
                for (int j = 0; j < a.getNumCols(); j++) {
                    double v = a.get(row, j) + layers.get(i).bias().get(0, j);
                    a.set(row, j, i < l ? Math.max(0, v) : v);
                }
            }
            h = a;
        }
        return h;
    }

    @Test
    void autoStreamsWhenTheRowsWouldNotFitTheDevice() {
        // VGG-19's FC layers at n = 100,000: the estimate against nvidia-smi's 37.9 GB peak in run 3.
        assertEquals(43.7e9, CompressionSession.residentBytes(new int[] {25088, 4096, 4096, 1000}, 100_000), 0.05e9);
        long need = CompressionSession.residentBytes(new int[] {20, 32, 24, 10}, calib.rows());
        Backend small = withFreeMemory(need / 2);
        Options o = options.withGlobal(2, 0.01, 32, 0);
        try (CompressionSession resident = new CompressionSession(b, model, calib, o, Progress.NONE);
             CompressionSession auto = new CompressionSession(small, model, calib, o, Progress.NONE)) {
            CompressionResult r = resident.compress(MethodName.GER, 4);
            CompressionResult a = auto.compress(MethodName.GER, 4);
            String s = "seed " + seed + ": " + a.notes();
            assertEquals(0, resident.streamedChunkRows(), s);
            assertEquals(Forward.CHUNK_ROWS, auto.streamedChunkRows(), s);
            assertTrue(a.notes().stream().anyMatch(n -> n.startsWith("the calibration rows stay in host memory")), s);
            assertTrue(r.notes().stream().noneMatch(n -> n.contains("host memory")), r.notes().toString());
            assertEquals(r.outputRelError(), a.outputRelError(), 1e-3 * r.outputRelError(), s);
        }
        try (CompressionSession forced = new CompressionSession(small, model, calib, o.withStreamRows(0), Progress.NONE)) {
            forced.compress(MethodName.LRD, 4);
            assertEquals(0, forced.streamedChunkRows(), "--stream-rows 0 keeps the rows on the device whatever the estimate");
        }
    }

    /** The java backend, reporting {@code bytes} of free device memory. */
    private static Backend withFreeMemory(long bytes) {
        return Fixtures.javaBackendReplacing("freeMemory", (args, real) -> bytes);
    }

    @Test
    void layersThatWouldNotShrinkStayDense() {
        try (CompressionSession session = new CompressionSession(b, model, calib, options.withGlobal(2, 0.01, 64, 0),
                Progress.NONE)) {
            // fc3 is 10 x 24: it shrinks up to k = 7 only.
            CompressionResult ger = session.compress(MethodName.GER, 8);
            assertEquals("fc1:8,fc2:8,fc3:dense", ger.model().metadata().get("ranks"));
            assertTrue(ger.notes().stream().anyMatch(n -> n.startsWith("fc3: rank 8 stores")), ger.notes().toString());
            assertTrue(ger.model().layers().get(2) instanceof CompressedLayer.Dense);
            // k = 13: fc1 (32 x 20, shrinks up to 12) stays dense below a low-rank fc2 (24 x 32, up to 13).
            CompressionResult as13 = session.compress(MethodName.AS, 13);
            CompressionResult ger13 = session.compress(MethodName.GER, 13);
            assertEquals("fc1:dense,fc2:13,fc3:dense", ger13.model().metadata().get("ranks"));
            assertTrue(ger13.outputRelError() <= as13.outputRelError() * (1 + 1e-5) && finite(ger13.model().layers()),
                    "seed " + seed + ": " + ger13.outputRelError() + " vs " + as13.outputRelError());
            assertEquals(hostRelError(ger13.model().layers()), ger13.outputRelError(), 1e-4, "seed " + seed);
            CompressionResult lrd = session.compress(MethodName.LRD, 25); // > min(out, in) of every layer
            assertEquals("fc1:dense,fc2:dense,fc3:dense", lrd.model().metadata().get("ranks"));
            assertEquals(0, lrd.outputRelError(), 1e-6);
            assertEquals(1.0, lrd.model().compressionRate(), 1e-12);
            CompressionResult all = session.compress(MethodName.GER_IC, 25);
            assertTrue(all.notes().stream().anyMatch(n -> n.startsWith("global stage skipped")), all.notes().toString());
            assertNull(all.settledLr());
        }
    }

    @Test
    void divergenceGuardLowersTheRateAndKeepsFiniteFactors() {
        try (CompressionSession session = new CompressionSession(b, model, calib, options.withGlobal(3, 1e3, 32, 0.5),
                Progress.NONE)) {
            CompressionResult as = session.compress(MethodName.AS, 3);
            CompressionResult ger = session.compress(MethodName.GER, 3);
            String s = "seed " + seed + ": " + ger.notes() + " lr " + ger.settledLr();
            assertTrue(ger.settledLr() < 1e3 && ger.settledLr() >= 1e3 / (1 << GlobalStage.MAX_HALVINGS), s);
            assertTrue(ger.notes().stream().anyMatch(n -> n.contains("diverged")), s);
            // Restored to its start, the stage returns the balanced AS factors: the same product up to rounding.
            assertTrue(Double.isFinite(ger.outputRelError()) && ger.outputRelError() <= as.outputRelError() * (1 + 1e-5), s);
            assertTrue(finite(ger.model().layers()), s);
            assertTrue(ger.epochLoss().stream().allMatch(Double::isFinite), s);
        }
    }

    @Test
    void forwardMatchesTheHostInChunks() {
        Random r = new Random(seed + 1);
        FcStack small = Fixtures.stack(r, 6, 5, 3);
        Matrix x = Fixtures.gaussian(r, Forward.CHUNK_ROWS + 37, 6, 1, 0);
        Matrix y = Forward.forward(b, small, x);
        SimpleMatrix ref = Fixtures.forward(
                List.of(Fixtures.ejml(small.layer(0).weight()), Fixtures.ejml(small.layer(1).weight())),
                List.of(Fixtures.ejml(small.layer(0).bias()), Fixtures.ejml(small.layer(1).bias())), Fixtures.ejml(x));
        assertTrue(Fixtures.relative(Fixtures.ejml(y), ref) < 1e-5, "seed " + seed);
    }

    @Test
    void badInputIsAGerException() {
        try (CompressionSession session = new CompressionSession(b, model, calib, options, Progress.NONE)) {
            GerException e = assertThrows(GerException.class, () -> session.compress(MethodName.GER, 0));
            assertTrue(e.getMessage().contains("rank must be >= 1"), e.getMessage());
            assertThrows(GerException.class, () -> session.compress(MethodName.LRD, -3));
            assertThrows(GerException.class, () -> session.compress(MethodName.PQ, 0));
        }
        assertTrue(assertThrows(GerException.class,
                () -> new CompressionSession(b, model, Matrix.zeros(0, 20), options, Progress.NONE))
                .getMessage().contains("no rows"));
        GerException wide = assertThrows(GerException.class,
                () -> new CompressionSession(b, model, Matrix.zeros(5, 21), options, Progress.NONE));
        assertTrue(wide.getMessage().contains("21") && wide.getMessage().contains("20"), wide.getMessage());
        Matrix nan = calib.copy();
        nan.set(7, 3, Float.NaN);
        GerException e = assertThrows(GerException.class, () -> new CompressionSession(b, model, nan, options, Progress.NONE));
        assertTrue(e.getMessage().contains("row 7, column 3"), e.getMessage());
    }
}
