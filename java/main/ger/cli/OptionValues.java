package ger.cli;

import ger.GerException;

import java.util.function.Function;
import java.util.function.Predicate;

/** Option values that picocli hands over as text (auto, lists of ranks), parsed with one form of refusal. */
final class OptionValues {
    private OptionValues() {
    }

    /**
     * {@code text} parsed, where it parses and the value is valid; otherwise the refusal
     * "OPTION takes WHAT, got 'TEXT'".
     */
    static <T> T parse(String option, String text, Function<String, T> parser, Predicate<T> valid, String takes) {
        try {
            T value = parser.apply(text);
            if (valid.test(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // the refusal below
        }
        throw new GerException(option + " takes " + takes + ", got '" + text + "'");
    }
}
