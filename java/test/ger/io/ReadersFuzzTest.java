package ger.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import ger.GerException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the three readers: whatever the bytes, a reader returns or refuses with
 * a GerException naming the file; any other exception is a finding. Plain `mvn test` replays the
 * seed corpus in {@code java/test-resources/ger/io/ReadersFuzzTestInputs/<method>/}; a fuzzing run
 * is {@code JAZZER_FUZZ=1 mvn test -Dtest=ReadersFuzzTest#safetensors} (see bench/results/fuzzing.md).
 */
class ReadersFuzzTest {
    private static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("ger-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void safetensors(byte[] bytes) throws IOException {
        Path file = input("model.safetensors", bytes);
        refusesOnlyNamingTheFile(file, () -> {
            SafeTensors st = SafeTensors.read(file);
            st.describe();
            for (String name : st.tensors().keySet()) {
                SafeTensors.Entry e = st.entry(name);
                if (e.dtype().startsWith("F") && e.rank() <= 2 && e.elementCount() < 1 << 20) {
                    st.matrix(name).close();
                }
            }
            ModelFiles.loadStack(file, null);
        });
        refusesOnlyNamingTheFile(file, () -> ModelFiles.loadCompressed(file).close());
    }

    @FuzzTest(maxDuration = "10m")
    void npy(byte[] bytes) throws IOException {
        Path file = input("rows.npy", bytes);
        refusesOnlyNamingTheFile(file, () -> Npy.describe(file));
        refusesOnlyNamingTheFile(file, () -> Npy.readMatrix(file).close());
        refusesOnlyNamingTheFile(file, () -> Npy.readLabels(file));
    }

    @FuzzTest(maxDuration = "10m")
    void idx(byte[] bytes) throws IOException {
        Path file = input("images-ubyte", bytes);
        refusesOnlyNamingTheFile(file, () -> Idx.describe(file));
        refusesOnlyNamingTheFile(file, () -> Idx.readImages(file).close());
        refusesOnlyNamingTheFile(file, () -> Idx.readLabels(file));
    }

    private static Path input(String name, byte[] bytes) throws IOException {
        return Files.write(DIR.resolve(name), bytes);
    }

    private static void refusesOnlyNamingTheFile(Path file, Runnable read) {
        try {
            read.run();
        } catch (GerException e) {
            if (!e.getMessage().startsWith(file + ": ")) {
                throw new AssertionError("a refusal that does not name " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
