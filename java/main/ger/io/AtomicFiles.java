package ger.io;

import ger.GerException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a file all or nothing: the content goes to a temporary file beside the target (same
 * directory, so the same file system), is flushed to disk, then renamed onto the target. A reader
 * or a crash sees the old file or the new one, never half of one.
 *
 * <p>The temporary file is {@code .<name>.<pid>-<random>.tmp}. SIGTERM and SIGINT delete it (a
 * shutdown hook); after a SIGKILL it stays, and the next write of the same target deletes it once
 * the process whose pid it carries has ended.
 */
public final class AtomicFiles {
    /** Temporary files being written now, for the shutdown hook. */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> IN_PROGRESS.forEach(AtomicFiles::deleteQuietly),
                "ger-delete-temporary-outputs"));
    }

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
            deleteStaleTemps(absolute);
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
        } catch (IOException e) {
            throw GerException.inFile(target, "cannot write: " + FileIo.describe(e));
        } finally {
            if (temp != null) {
                deleteQuietly(temp); // after the move there is nothing left to delete
                IN_PROGRESS.remove(temp);
            }
        }
    }

    /** The temporary files of {@code target} (see the class comment); group 1 is the writer's pid. */
    private static Pattern tempName(Path target) {
        return Pattern.compile(Pattern.quote("." + target.getFileName() + ".") + "([0-9]+)-[0-9a-z]+\\.tmp");
    }

    /** Deletes temporary files of {@code target} left by writers that have ended (killed before they could). */
    private static void deleteStaleTemps(Path target) throws IOException {
        Pattern name = tempName(target);
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(target.getParent(),
                p -> name.matcher(p.getFileName().toString()).matches())) {
            for (Path temp : temps) {
                Matcher m = name.matcher(temp.getFileName().toString());
                if (m.matches() && !writerAlive(m.group(1))) {
                    deleteQuietly(temp);
                }
            }
        }
    }

    private static boolean writerAlive(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // digits past a long: not a pid ger wrote, not ours to delete
        }
    }

    /*
     * Not Files.createTempFile: on POSIX it creates the file with mode 0600, which the rename would
     * pass on to the target. createFile keeps the usual umask-derived permissions.
     */
    private static Path createTemp(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = ProcessHandle.current().pid() + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            Path temp = target.resolveSibling("." + target.getFileName() + "." + suffix + ".tmp");
            try {
                Files.createFile(temp);
                IN_PROGRESS.add(temp);
                return temp;
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
            // Best effort: a failed write's own error is the one to report, and a stale file can wait.
        }
    }
}
