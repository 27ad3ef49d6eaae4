package ger.io;

import ger.GerException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** What the readers and writers share: mapping a file, writing segments, turning IOExceptions into GerExceptions. */
final class FileIo {
    private FileIo() {
    }

    /** A short reason for an IOException (its message alone is often just the path). */
    static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory" + other(x.getFile(), x.getOtherFile());
            case AccessDeniedException x -> "permission denied" + other(x.getFile(), x.getOtherFile());
            default -> e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
    }

    private static String other(String file, String otherFile) {
        return otherFile == null ? "" : " (" + file + " -> " + otherFile + ")";
    }

    static GerException readError(Path file, IOException e) {
        return GerException.inFile(file, "cannot read: " + describe(e));
    }

    /** The whole file, read-only, mapped in {@code arena} (an empty segment for an empty file). */
    static MemorySegment map(Path file, Arena arena) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        } catch (IOException e) {
            throw readError(file, e);
        }
    }

    /** Writes a segment in chunks: a ByteBuffer holds at most 2 GiB. */
    static void writeSegment(FileChannel channel, MemorySegment segment) throws IOException {
        final long chunk = 1L << 30;
        for (long at = 0; at < segment.byteSize(); at += chunk) {
            writeFully(channel, segment.asSlice(at, Math.min(chunk, segment.byteSize() - at)).asByteBuffer());
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
