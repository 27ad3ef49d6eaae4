package ger.cli;

import ger.io.Npy;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ger started without the Vector API module relaunches itself in a child JVM, as {@code java -jar}
 * does: killing the launcher (SIGKILL, which it cannot pass on) must end the child too, before it
 * writes anything.
 */
class RelaunchTest {
    @TempDir
    Path dir;

    @Test
    void theRelaunchedJvmEndsWithItsLauncher() throws Exception {
        Random rnd = new Random(System.nanoTime());
        int rows = 64;
        float[] x = new float[rows * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Npy.writeMatrix(dir.resolve("x.npy"), Matrix.of(rows, 4, x));
        Npy.writeLabels(dir.resolve("y.npy"), rnd.ints(rows, 0, 2).toArray());
        Path out = dir.resolve("m.safetensors");
        // Far more epochs than the test waits for: only a kill ends this job early.
        Process launcher = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--backend", "java",
                "--data", dir.resolve("x.npy").toString(), "--labels", dir.resolve("y.npy").toString(),
                "--hidden", "8", "--epochs", "100000000", "--milestones", "1", "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        ProcessHandle child = null;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); child == null && System.nanoTime() < deadline; ) {
            Optional<ProcessHandle> found = launcher.toHandle().children().findFirst();
            child = found.orElse(null);
            Thread.sleep(100);
        }
        assertTrue(child != null, "no relaunched JVM: " + Files.readString(dir.resolve("log.txt")));
        Thread.sleep(2000); // let the child start its job and its watch on the launcher
        launcher.destroyForcibly();
        launcher.waitFor();
        boolean ended = child.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get() != null;
        if (!ended) {
            child.destroyForcibly();
        }
        assertTrue(ended, "the relaunched JVM outlived its launcher by 30 s: " + Files.readString(dir.resolve("log.txt")));
        assertFalse(Files.exists(out), "the job wrote its output after its launcher was killed");
    }
}
