package ger.bench;

import ger.backend.java.JavaBackend;
import ger.io.Idx;
import ger.io.ModelFiles;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.model.FcStack;
import ger.tensor.Matrix;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The java backend's side of bench/cpu/side_by_side.sh, in a fresh JVM as a user meets it: the phases
 * of issue 12's table as the compression session reports them, one "phase seconds" line each.
 * Usage: SideBySide MODEL.safetensors TRAIN_IMAGES.gz ROWS (quick | as). quick: an LRD job at k = 128
 * (the original network's forward, report phase "activations", and the SVDs of every layer), then
 * GER-IC at k = 128 with one global epoch of batch 256 at lr 0.05, then the forward again in a new
 * session of the same, now warm, JVM. as: AS at k = 128, schedule
 * 0.01x25,1x25, every layer.
 */
public final class SideBySide {
    private SideBySide() {
    }

    public static void main(String[] args) {
        FcStack model = ModelFiles.loadStack(Path.of(args[0]), null);
        int rows = Integer.parseInt(args[2]);
        Matrix calib;
        try (Matrix train = Idx.readImages(Path.of(args[1]))) {
            calib = train.rowRange(0, rows).copy();
        }
        Options options = Options.defaults().withGlobal(1, 0.05, 256, 0.0);
        try (JavaBackend backend = new JavaBackend();
             CompressionSession session = new CompressionSession(backend, model, calib, options, Progress.NONE)) {
            switch (args[3]) {
                case "quick" -> {
                    Map<String, Double> lrd = phases(session.compress(MethodName.LRD, 128));
                    print("activations", lrd.get("activations"));
                    print("svd", lrd.get("svd"));
                    print("epoch", phases(session.compress(MethodName.GER_IC, 128)).get("global"));
                    try (CompressionSession warm = new CompressionSession(backend, model, calib, options, Progress.NONE)) {
                        print("activations-warm", phases(warm.compress(MethodName.LRD, 128)).get("activations"));
                    }
                }
                case "as" -> print("as", phases(session.compress(MethodName.AS, 128)).entrySet().stream()
                        .filter(e -> e.getKey().startsWith("init ")).mapToDouble(Map.Entry::getValue).sum());
                default -> throw new IllegalArgumentException("quick or as, got " + args[3]);
            }
        }
    }

    private static Map<String, Double> phases(CompressionResult r) {
        Map<String, Double> phases = r.phaseSeconds();
        r.model().close();
        return phases;
    }

    private static void print(String phase, double seconds) {
        System.out.println(String.format(Locale.ROOT, "%s %.4f", phase, seconds));
    }
}
