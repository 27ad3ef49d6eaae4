package ger.io;

import ger.GerException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file all or nothing: the content goes to a temporary file beside the target (same
 * directory, so the same file system), is flushed to disk, then renamed onto the target. A reader
 * or a crash sees the old file or the new one, never half of one.
 */
public final class AtomicFiles {
    /** Writes the whole content into {@code temp}, an empty file that already exists. */
    @FunctionalInterface
    public interface IoWriter {
        void write(Path temp) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Runs {@code writer} on a temporary file, then moves it onto {@code target}, creating the parent
     * directories. On any failure (of the writer too) the temporary file is deleted and an existing
     * target is left as it was. An IOException becomes a {@link GerException} naming the target.
     */
    public static void write(Path target, IoWriter writer) {
        Path absolute = target.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(absolute.getParent());
            temp = createTemp(absolute);
            writer.write(temp);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
        } catch (IOException e) {
            throw GerException.inFile(target, "cannot write: " + FileIo.describe(e));
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    /*
     * Not Files.createTempFile: on POSIX it creates the file with mode 0600, which the rename would
     * pass on to the target. createFile keeps the usual umask-derived permissions.
     */
    private static Path createTemp(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            Path temp = target.resolveSibling("." + target.getFileName() + "." + suffix + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // The write has already failed; that error is the one to report, not this one.
        }
    }
}
