package ger.train;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.Conformance;
import ger.backend.java.JavaBackend;
import ger.eval.Evaluation;
import ger.eval.Evaluator;
import ger.method.Progress;
import ger.model.FcStack;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    private final Backend b = new JavaBackend();

    /** Records the epoch details. */
    private static final class Recorder implements Progress {
        final List<String> details = new ArrayList<>();
        long total = -1;
        boolean done;

        @Override
        public void start(String phase, long total) {
            this.total = total;
        }

        @Override
        public void advance(String detail) {
            details.add(detail);
        }

        @Override
        public void done() {
            done = true;
        }
    }

    private record Blobs(Matrix x, int[] labels) {
    }

    /** classes Gaussian blobs in dim dimensions, centres 4 apart on average, unit noise. */
    private static Blobs blobs(int n, int dim, int classes, Random random) {
        double[][] centres = new double[classes][dim];
        for (double[] c : centres) {
            for (int d = 0; d < dim; d++) {
                c[d] = random.nextGaussian() * 3;
            }
        }
        Matrix x = Matrix.zeros(n, dim);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(classes);
            for (int d = 0; d < dim; d++) {
                x.set(i, d, (float) (centres[labels[i]][d] + random.nextGaussian() * 0.7));
            }
        }
        return new Blobs(x, labels);
    }

    private static double loss(String detail) {
        Matcher m = Pattern.compile("loss ([0-9.eE+-]+)").matcher(detail);
        assertTrue(m.find(), detail);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void learnsSeparableBlobs() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Blobs data = blobs(397, 5, 3, random);
        TrainOptions o = new TrainOptions(12, 0.05, List.of(8), 0.1, 0.9, 5e-4, 32, seed);
        Recorder progress = new Recorder();
        FcStack model = Trainer.train(b, new int[] {5, 16, 16, 3}, data.x(), data.labels(), o, progress);
        String where = "seed " + seed + ", " + progress.details;
        assertEquals(12, progress.total, where);
        assertEquals(12, progress.details.size(), where);
        assertTrue(progress.done, where);
        assertTrue(loss(progress.details.getLast()) < 0.5 * loss(progress.details.getFirst()), where);
        assertEquals(List.of("fc0", "fc1", "fc2"), model.layers().stream().map(l -> l.name()).toList());
        Evaluation e = Evaluator.evaluate(b, model, null, data.x(), data.labels(), new int[] {1});
        assertTrue(e.topkError()[0] < 0.1, where + ": training error " + e.topkError()[0]);

        FcStack again = Trainer.train(b, new int[] {5, 16, 16, 3}, data.x(), data.labels(), o, Progress.NONE);
        for (int l = 0; l < model.depth(); l++) {
            assertArrayEquals(model.layer(l).weight().toArray(), again.layer(l).weight().toArray(), "seeded: " + where);
        }
    }

    /** Mean cross-entropy of the MLP in float64 on the host; weights[l] out x in, biases[l] length out. */
    private static double referenceLoss(double[][][] weights, double[][] biases, double[][] x, int[] labels) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double[] h = x[i];
            for (int l = 0; l < weights.length; l++) {
                double[] a = new double[weights[l].length];
                for (int o = 0; o < a.length; o++) {
                    double s = biases[l][o];
                    for (int j = 0; j < h.length; j++) {
                        s += weights[l][o][j] * h[j];
                    }
                    a[o] = l < weights.length - 1 ? Math.max(0, s) : s;
                }
                h = a;
            }
            double max = Arrays.stream(h).max().orElseThrow();
            double sum = Arrays.stream(h).map(v -> Math.exp(v - max)).sum();
            loss += Math.log(sum) + max - h[labels[i]];
        }
        return loss / x.length;
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[] dims = {5, 4, 6, 3};
        int rows = 7;
        Matrix x = Matrix.zeros(rows, dims[0]);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < dims[0]; j++) {
                x.set(i, j, (float) random.nextGaussian());
            }
        }
        int[] labels = random.ints(rows, 0, 3).toArray();
        try (Trainer.Net net = new Trainer.Net(b, dims, random);
             Trainer.Workspace ws = new Trainer.Workspace(b, dims, rows);
             Tensor xt = b.upload(x)) {
            b.copyRows(xt, 0, ws.input, 0, rows);
            Trainer.Step step = net.lossAndGradients(ws, labels);
            int m = dims.length - 1;
            double[][][] w = new double[m][][];
            double[][] bias = new double[m][];
            for (int l = 0; l < m; l++) {
                w[l] = Conformance.d(b.download(net.w[l]));
                bias[l] = Conformance.d(b.download(net.bias[l]))[0];
            }
            double[][] xd = Conformance.d(x);
            String where = "seed " + seed;
            assertEquals(referenceLoss(w, bias, xd, labels), step.loss(), 1e-5, where);
            double h = 1e-6;
            for (int l = 0; l < m; l++) {
                Matrix dw = b.download(net.dw[l]);
                Matrix db = b.download(net.dbias[l]);
                for (int o = 0; o < dims[l + 1]; o++) {
                    for (int j = 0; j < dims[l]; j++) {
                        double keep = w[l][o][j];
                        w[l][o][j] = keep + h;
                        double up = referenceLoss(w, bias, xd, labels);
                        w[l][o][j] = keep - h;
                        double down = referenceLoss(w, bias, xd, labels);
                        w[l][o][j] = keep;
                        assertEquals((up - down) / (2 * h), dw.get(o, j), 1e-4, where + ": dW" + l + "(" + o + ", " + j + ")");
                    }
                    double keep = bias[l][o];
                    bias[l][o] = keep + h;
                    double up = referenceLoss(w, bias, xd, labels);
                    bias[l][o] = keep - h;
                    double down = referenceLoss(w, bias, xd, labels);
                    bias[l][o] = keep;
                    assertEquals((up - down) / (2 * h), db.get(0, o), 1e-4, where + ": db" + l + "(" + o + ")");
                }
            }
        }
    }

    @Test
    void softmaxCrossEntropyDoesNotOverflow() {
        Matrix logits = Matrix.of(2, 3, new float[] {1000f, 0f, -1000f, 0f, 0f, 0f});
        Matrix delta = Matrix.zeros(2, 3);
        Trainer.Step s = Trainer.softmaxCrossEntropy(logits, new int[] {1, 2}, delta);
        assertEquals((1000 + Math.log(3)) / 2, s.loss(), 1e-9);
        assertEquals(0, s.correct()); // row 1 ties: the first maximum is the prediction
        assertEquals(0.5, delta.get(0, 0), 1e-7);
        assertEquals(-0.5, delta.get(0, 1), 1e-7);
        assertEquals((1.0 / 3 - 1) / 2, delta.get(1, 2), 1e-7);
    }

    @Test
    void divergenceAndBadInputsAreUserErrors() {
        Random random = new Random(11);
        Blobs data = blobs(40, 4, 2, random);
        int[] dims = {4, 8, 2};
        TrainOptions wild = new TrainOptions(3, 1e30, List.of(), 0.1, 0.9, 0, 8, 1);
        GerException e = assertThrows(GerException.class,
                () -> Trainer.train(b, dims, data.x(), data.labels(), wild, Progress.NONE));
        assertTrue(e.getMessage().contains("diverged"), e.getMessage());

        TrainOptions o = TrainOptions.defaults();
        e = assertThrows(GerException.class,
                () -> Trainer.train(b, dims, data.x(), Arrays.copyOf(data.labels(), 39), o, Progress.NONE));
        assertEquals("39 labels for 40 rows", e.getMessage());
        int[] bad = data.labels().clone();
        bad[5] = 2;
        assertThrows(GerException.class, () -> Trainer.train(b, dims, data.x(), bad, o, Progress.NONE));
        assertThrows(GerException.class, () -> Trainer.train(b, new int[] {5, 8, 2}, data.x(), data.labels(), o, Progress.NONE));
        assertThrows(GerException.class, () -> new TrainOptions(0, 0.1, List.of(), 0.1, 0.9, 0, 8, 1));
        assertThrows(GerException.class, () -> new TrainOptions(1, -0.1, List.of(), 0.1, 0.9, 0, 8, 1));
        assertThrows(GerException.class, () -> new TrainOptions(1, 0.1, List.of(), 0.1, 0.9, 0, 0, 1));
    }

    @Test
    void stepSchedule() {
        TrainOptions o = TrainOptions.defaults();
        assertEquals(20, o.epochs());
        assertEquals(0.05, o.lrAt(0), 1e-15);
        assertEquals(0.05, o.lrAt(9), 1e-15);
        assertEquals(0.005, o.lrAt(10), 1e-15);
        assertEquals(0.005, o.lrAt(14), 1e-15);
        assertEquals(0.0005, o.lrAt(15), 1e-15);
        assertEquals(0.0005, o.lrAt(19), 1e-15);
    }
}
