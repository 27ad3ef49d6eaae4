package ger.cli;

import ger.GerException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files a command reads and writes, by option, checked before any work: an output that names an
 * input (or another output) would destroy it, so it is refused. Paths compare as the file system sees
 * them: through links, {@code ..} and relative spellings.
 */
final class OutputPaths {
    private record Use(String option, Path path, Path real) {
    }

    private final List<Use> inputs = new ArrayList<>();
    private final List<Use> outputs = new ArrayList<>();

    /** An input; null (an option not given) is skipped. */
    OutputPaths input(String option, Path path) {
        if (path != null) {
            inputs.add(new Use(option, path, real(path)));
        }
        return this;
    }

    /** An output, refused when it is an input or an output already named; null is skipped. */
    OutputPaths output(String option, Path path) {
        if (path == null) {
            return this;
        }
        Use out = new Use(option, path, real(path));
        for (List<Use> others : List.of(inputs, outputs)) {
            for (Use other : others) {
                if (other.real.equals(out.real)) {
                    throw GerException.inFile(path, option + " names the same file as " + other.option + " " + other.path
                            + (others == inputs ? ", which writing it would destroy" : "") + "; choose another path");
                }
            }
        }
        outputs.add(out);
        return this;
    }

    /**
     * Where a path leads: the real path of the file, or of its nearest existing folder with the rest
     * appended (an output not written yet), links resolved either way.
     */
    static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute;
        }
    }
}
