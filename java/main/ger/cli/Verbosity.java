package ger.cli;

import ger.GerException;
import ger.backend.Backends;
import ger.method.Progress;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * --verbose and --quiet, shared by every command that computes: by default one line per job (and the
 * backend auto chose, in one short line), notes and details with --verbose, only errors with --quiet.
 */
final class Verbosity {
    @Option(names = {"-v", "--verbose"}, description = "also print the method's notes and why auto chose its backend")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "print nothing but errors (no progress, no result line)")
    boolean quiet;

    private void check() {
        if (verbose && quiet) {
            throw new GerException("give --verbose or --quiet, not both");
        }
    }

    /** A result line: printed unless --quiet. */
    void line(String text) {
        check();
        if (!quiet) {
            System.out.println(text);
        }
    }

    /** Detail only --verbose prints. */
    void detail(String text) {
        check();
        if (verbose) {
            System.out.println(text);
        }
    }

    /**
     * The method's notes: printed with --verbose; otherwise counted in one line that says where they are
     * (the report, when one is written).
     */
    void notes(List<String> notes, Path report) {
        check();
        if (verbose) {
            notes.forEach(n -> System.out.println("note: " + n));
        } else if (!quiet && !notes.isEmpty()) {
            System.out.println(notes.size() + (notes.size() == 1 ? " note" : " notes")
                    + (report != null ? " in " + report : "") + " (--verbose prints them)");
        }
    }

    /** How auto's choice is told: the short line by default, with its reasons under --verbose. */
    Consumer<Backends.AutoChoice> backendNotice() {
        check();
        return choice -> {
            if (verbose) {
                System.err.println(choice.summary() + ": " + choice.reasons());
            } else if (!quiet) {
                System.err.println(choice.summary());
            }
        };
    }

    Progress progress() {
        check();
        return quiet ? Progress.NONE : new TerminalProgress();
    }
}
