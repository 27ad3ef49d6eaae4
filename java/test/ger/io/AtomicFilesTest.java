package ger.io;

import ger.GerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private long entries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void writesTheContentAndCreatesParents() throws IOException {
        Path target = dir.resolve("a/b/out.bin");
        byte[] content = {1, 2, 3, 4, 5, 6, 7};
        AtomicFiles.write(target, temp -> Files.write(temp, content));
        assertArrayEquals(content, Files.readAllBytes(target));
        assertEquals(1, entries(target.getParent()), "the temporary file is gone");
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = IoTestFiles.write(dir.resolve("out.bin"), new byte[] {9, 9});
        AtomicFiles.write(target, temp -> Files.write(temp, new byte[] {1}));
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(target));
    }

    @Test
    void aWriterThatFailsMidwayLeavesTheTargetUntouched() throws IOException {
        byte[] old = {4, 2, 4, 2};
        Path target = IoTestFiles.write(dir.resolve("model.safetensors"), old);
        IoTestFiles.assertFails(target, "disk full", () -> AtomicFiles.write(target, temp -> {
            Files.write(temp, new byte[] {1, 2, 3});
            throw new IOException("disk full");
        }));
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(1, entries(dir), "the temporary file is deleted");
    }

    @Test
    void aRuntimeFailureAlsoLeavesTheTargetUntouched() throws IOException {
        byte[] old = {7};
        Path target = IoTestFiles.write(dir.resolve("x.npy"), old);
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, temp -> {
            Files.write(temp, new byte[] {1, 2});
            throw new IllegalStateException("bug");
        }));
        assertArrayEquals(old, Files.readAllBytes(target));
        assertEquals(1, entries(dir));
    }

    @Test
    void aTargetInsideAFileIsAGerException() throws IOException {
        Path blocker = IoTestFiles.write(dir.resolve("plain"), new byte[] {1});
        Path target = blocker.resolve("out.bin");
        GerException e = IoTestFiles.assertFails(target, "cannot write", () -> AtomicFiles.write(target, temp -> {
        }));
        assertTrue(Files.isRegularFile(blocker), e.getMessage());
    }

    /**
     * Temporaries of the same target left by writers that have ended are deleted by the next write;
     * one of a live writer (this process), one of another target and a look-alike that carries no pid stay.
     */
    @Test
    void theNextWriteDeletesStaleTemporariesOfTheSameTarget() throws Exception {
        Path target = dir.resolve("m.safetensors");
        Process ended = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-version").start();
        ended.waitFor();
        long deadPid = ended.pid();
        long random = new java.util.Random(System.nanoTime()).nextLong() >>> 1;
        Path stale = IoTestFiles.write(dir.resolve(".m.safetensors." + deadPid + "-" + Long.toString(random, 36) + ".tmp"), new byte[64]);
        Path live = IoTestFiles.write(dir.resolve(".m.safetensors." + ProcessHandle.current().pid() + "-abc.tmp"), new byte[1]);
        Path otherTarget = IoTestFiles.write(dir.resolve(".n.safetensors." + deadPid + "-abc.tmp"), new byte[1]);
        Path noPid = IoTestFiles.write(dir.resolve(".m.safetensors.abc.tmp"), new byte[1]);
        AtomicFiles.write(target, temp -> Files.write(temp, new byte[] {1, 2}));
        assertFalse(Files.exists(stale), "the stale temporary is still there");
        assertTrue(Files.exists(live) && Files.exists(otherTarget) && Files.exists(noPid), "a file that is not stale was deleted");
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(target));
    }

    /** SIGTERM while a write is in progress: the shutdown hook deletes the temporary file. */
    @Test
    void sigtermDeletesTheTemporaryFile() throws Exception {
        Path target = dir.resolve("slow.bin");
        Process writer = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", System.getProperty("java.class.path"), SlowWriter.class.getName(), target.toString())
                .redirectErrorStream(true).start();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(writer.getInputStream()))) {
            assertEquals("writing", lines.readLine());
            assertEquals(1, entries(dir), "the temporary file exists while the write runs");
            writer.destroy(); // SIGTERM
            assertTrue(writer.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertEquals(0, entries(dir), "the temporary file survived SIGTERM");
    }

    /** Writes a few bytes of {@code args[0]}'s temporary file, says so, and waits to be killed. */
    static final class SlowWriter {
        public static void main(String[] args) {
            AtomicFiles.write(Path.of(args[0]), temp -> {
                Files.write(temp, new byte[] {1, 2, 3});
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }
}
