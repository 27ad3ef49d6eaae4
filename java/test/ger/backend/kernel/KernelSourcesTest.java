package ger.backend.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java side agrees with kernels/portable: the same file list, and every kernel's parameter list. */
class KernelSourcesTest {
    private static final Pattern KERNEL = Pattern.compile(
            "GER_KERNEL\\s+(?:GER_GROUP_SIZE\\([^)]*\\)\\s+)?void\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern INCLUDE = Pattern.compile("(?m)^#include \"([^\"]+)\"$");

    @Test
    void fileListMatchesTheFolderAndTheCudaUnit() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("kernels/portable"))) {
            List<String> onDisk = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(KernelSources.DIALECT)).sorted().toList();
            assertEquals(onDisk, KernelSources.FILES, "KernelSources.FILES must list kernels/portable/* but the dialect, sorted");
        }
        List<String> included = new ArrayList<>();
        Matcher m = INCLUDE.matcher(KernelSources.cudaUnit());
        while (m.find()) {
            included.add(m.group(1));
        }
        List<String> expected = new ArrayList<>(List.of(KernelSources.DIALECT));
        expected.addAll(KernelSources.FILES);
        assertEquals(expected, included, "kernels/cuda/ger_kernels.cu must include the dialect, then every file in order");
        assertEquals(List.copyOf(KernelSources.headers().values()), KernelSources.openClSources(),
                "OpenCL builds the same files in the same order");
    }

    @Test
    void everyFileSaysWhatItComputes() {
        KernelSources.headers().forEach((name, text) ->
                assertTrue(text.startsWith("//") && text.lines().takeWhile(l -> l.startsWith("//")).count() >= 3,
                        name + " must open with a comment block (what it computes, the shapes)"));
    }

    /** Each Kernel's letters match the C parameter list: a wrong one would pass garbage to the device. */
    @Test
    void kernelSignaturesMatchTheSources() {
        Map<String, String> declared = new HashMap<>();
        for (String text : KernelSources.headers().values()) {
            Matcher m = KERNEL.matcher(text);
            while (m.find()) {
                String letters = Arrays.stream(m.group(2).split(","))
                        .map(String::strip).map(KernelSourcesTest::letter).collect(Collectors.joining());
                declared.put(m.group(1), letters);
            }
        }
        for (Kernel k : Kernel.values()) {
            assertEquals(declared.get(k.symbol()), k.parameters(), "parameters of " + k.symbol());
        }
        assertEquals(Kernel.values().length, declared.size(), "kernels in the sources but not in Kernel: " + declared.keySet());
    }

    private static String letter(String parameter) {
        if (parameter.startsWith("GER_GLOBAL ")) {
            assertTrue(parameter.contains("*"), "a GER_GLOBAL parameter is a buffer: " + parameter);
            return "p";
        }
        String type = parameter.substring(0, parameter.lastIndexOf(' ')).strip();
        return switch (type) {
            case "ger_u64" -> "u";
            case "int" -> "i";
            case "float" -> "f";
            default -> throw new AssertionError("unexpected kernel parameter type: " + parameter);
        };
    }
}
