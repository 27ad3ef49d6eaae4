package ger;

/**
 * An error the user can act on (bad file, bad option, a job that cannot go on). The CLI prints its
 * message alone, without a stack trace, and exits non-zero.
 */
public class GerException extends RuntimeException {
    public GerException(String message) {
        super(message);
    }

    public GerException(String message, Throwable cause) {
        super(message, cause);
    }

    /** An error in a file: the message starts with the file's path. */
    public static GerException inFile(java.nio.file.Path file, String problem) {
        return new GerException(file + ": " + problem);
    }
}
