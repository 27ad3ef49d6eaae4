package ger.cli;

import ger.GerException;
import ger.io.Idx;
import ger.io.Npy;
import ger.tensor.Matrix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/** Feature and label files by their kind: NumPy .npy, or IDX (MNIST's format, gzipped or not). */
final class Inputs {
    private Inputs() {
    }

    static Matrix features(Path file) {
        exists(file);
        return isIdx(file) ? Idx.readImages(file) : Npy.readMatrix(file);
    }

    static int[] labels(Path file) {
        exists(file);
        return isIdx(file) ? Idx.readLabels(file) : Npy.readLabels(file);
    }

    /**
     * Runs a step that checks values read from {@code files} against each other (widths, counts,
     * finiteness) or computes from them; a refusal that names no file then names these.
     */
    static <T> T about(Supplier<T> step, Path... files) {
        try {
            return step.get();
        } catch (GerException e) {
            throw e.namesFiles() ? e : GerException.inFiles(e, Arrays.stream(files).filter(Objects::nonNull).toArray(Path[]::new));
        }
    }

    /** The --topk values as given, or else 1 and 5 where the model has that many outputs. */
    static int[] topK(int[] given, int outputs) {
        return given != null ? given : IntStream.of(1, 5).filter(k -> k <= outputs).toArray();
    }

    private static boolean isIdx(Path file) {
        String name = file.getFileName().toString();
        return name.contains("-ubyte") || name.endsWith(".idx") || name.endsWith(".idx.gz");
    }

    private static void exists(Path file) {
        if (!Files.isRegularFile(file)) {
            throw GerException.inFile(file, "no such file");
        }
    }
}
