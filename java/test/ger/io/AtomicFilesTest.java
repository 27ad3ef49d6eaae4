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
}
