package ger;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * An error the user can act on (bad file, bad option, a job that cannot go on). The CLI prints its
 * message alone, without a stack trace, and exits non-zero.
 */
public class GerException extends RuntimeException {
    private final boolean namesFiles;

    public GerException(String message) {
        this(message, null, false);
    }

    public GerException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private GerException(String message, Throwable cause, boolean namesFiles) {
        super(message, cause);
        this.namesFiles = namesFiles;
    }

    /** An error in a file: the message starts with the file's path. */
    public static GerException inFile(Path file, String problem) {
        return new GerException(file + ": " + problem, null, true);
    }

    /** An error about how files fit together: the message starts with their paths. */
    public static GerException inFiles(GerException problem, Path... files) {
        String paths = Arrays.stream(files).map(Path::toString).collect(Collectors.joining(", "));
        return new GerException(paths + ": " + problem.getMessage(), problem, true);
    }

    /** Whether the message starts with the file(s) it is about. */
    public boolean namesFiles() {
        return namesFiles;
    }
}
