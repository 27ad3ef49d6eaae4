package ger.method;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.Svd;
import ger.backend.java.JavaBackend;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs that once gave a NaN model with exit 0, or a misleading reason: refused up front with the
 * real one, or computed to a finite model; and a non-finite result is never handed out.
 */
class HostileNumbersTest {
    private final long seed = System.nanoTime();
    private final Random r = new Random(seed);
    private final Backend b = new JavaBackend();
    private final Options options = Options.defaults().withSchedule(Options.parseSchedule("0.01x2,1x2"))
            .withGlobal(2, Options.FIND_LR, 64, 0);

    private static int knob(MethodName m) {
        return m == MethodName.PQ ? 2 : 3;
    }

    private FcStack scaledFirstLayer(FcStack model, float factor) {
        List<DenseLayer> layers = new ArrayList<>(model.layers());
        DenseLayer first = layers.getFirst();
        Matrix w = first.weight().copy();
        for (long i = 0; i < w.size(); i++) {
            w.setFlat(i, w.getFlat(i) * factor);
        }
        layers.set(0, new DenseLayer(first.name(), w, first.bias()));
        return new FcStack(layers);
    }

    private GerException refused(FcStack model, Matrix calib, MethodName m) {
        return assertThrows(GerException.class, () -> {
            try (CompressionSession s = new CompressionSession(b, model, calib, options, Progress.NONE)) {
                s.compress(m, knob(m));
            }
        }, m + ", seed " + seed);
    }

    @Test
    void rowsThatDoNotVaryAreRefused() {
        FcStack model = Fixtures.stack(r, 12, 10, 4);
        GerException zero = refused(model, Matrix.zeros(50, 12), MethodName.GER);
        assertTrue(zero.getMessage().contains("all the same (50 rows)"), zero.getMessage());
        GerException one = refused(model, Fixtures.gaussian(r, 1, 12, 1, 0), MethodName.GER);
        assertTrue(one.getMessage().contains("(1 row)"), one.getMessage());
    }

    @ParameterizedTest
    @EnumSource(MethodName.class)
    void valuesWhoseSquaresOverflowFloatAreRefusedAsSuch(MethodName m) {
        FcStack model = Fixtures.stack(r, 12, 10, 4);
        Matrix calib = Fixtures.gaussian(r, 60, 12, 1, 0.3);
        for (GerException e : List.of(refused(scaledFirstLayer(model, 1e30f), calib, m),
                refused(model, scaled(calib, 1e19f), m))) {
            assertTrue(e.getMessage().contains("overflow float32") && !e.getMessage().contains("singular"), e.getMessage());
        }
    }

    private static Matrix scaled(Matrix m, float factor) {
        Matrix c = m.copy();
        for (long i = 0; i < c.size(); i++) {
            c.setFlat(i, c.getFlat(i) * factor);
        }
        return c;
    }

    /** A first layer of zeros: the network's output is its bias path alone, and every method stays finite. */
    @ParameterizedTest
    @EnumSource(MethodName.class)
    void aZeroFirstLayerGivesAFiniteModel(MethodName m) {
        FcStack model = scaledFirstLayer(Fixtures.stack(r, 12, 10, 8, 4), 0f);
        Matrix calib = Fixtures.gaussian(r, 60, 12, 1, 0.3);
        try (CompressionSession s = new CompressionSession(b, model, calib, options, Progress.NONE)) {
            CompressionResult result = s.compress(m, knob(m));
            assertTrue(Double.isFinite(result.outputRelError()), m + ", seed " + seed);
            assertTrue(result.model().layers().stream().allMatch(CompressedLayer::finite), m + ", seed " + seed);
        }
    }

    /** Whatever goes wrong inside, a non-finite model is never handed out to be written. */
    @Test
    void aNonFiniteResultIsRefusedNotReturned() {
        FcStack model = Fixtures.stack(r, 12, 10, 4);
        Matrix calib = Fixtures.gaussian(r, 60, 12, 1, 0.3);
        Backend poisoned = Fixtures.javaBackendReplacing("svd", (args, real) -> {
            Svd svd = real.svd((ger.tensor.Tensor) args[0], (Integer) args[1]);
            Matrix u = (Matrix) svd.u();
            u.set(0, 0, Float.NaN);
            return svd;
        });
        GerException e = assertThrows(GerException.class, () -> {
            try (CompressionSession s = new CompressionSession(poisoned, model, calib, options, Progress.NONE)) {
                s.compress(MethodName.LRD, 3);
            }
        });
        assertTrue(e.getMessage().contains("NaN or infinite") && e.getMessage().contains("nothing was written"), e.getMessage());
    }
}
