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

    /** The first n rows of x (all of them when n is null), refusing an n the file does not have. */
    static Matrix firstRows(Matrix x, Integer n, Path file, String option) {
        if (n == null || n == x.rows()) {
            return x;
        }
        if (n < 1 || n > x.rows()) {
            x.close();
            throw GerException.inFile(file, option + " " + n + ": the file has " + x.rows() + " rows");
        }
        try (x) {
            return x.rowRange(0, n);
        }
    }

    /**
     * The folders the outputs will create, as a suffix for the result line (" (created folder D)"), or
     * "" when every output's folder exists: a mistyped path then shows where the files went.
     */
    static String missingFolders(Path... outputs) {
        java.util.Set<Path> missing = new java.util.LinkedHashSet<>();
        for (Path p : outputs) {
            Path parent = p == null ? null : p.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                missing.add(parent);
            }
        }
        return missing.isEmpty() ? "" : " (created folder " + String.join(", ", missing.stream().map(Path::toString).toList()) + ")";
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
