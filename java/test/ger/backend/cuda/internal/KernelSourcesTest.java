package ger.backend.cuda.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** The Java side agrees with the .cu files: same file list, and every kernel's parameter list. */
class KernelSourcesTest {
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)");

    @Test
    void fileListMatchesTheFolder() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("kernels/cuda"))) {
            List<String> onDisk = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).sorted().toList();
            assertEquals(onDisk, KernelSources.FILES, "KernelSources.FILES must list kernels/cuda/*.cu, sorted");
        }
        String program = KernelSources.program();
        KernelSources.FILES.forEach(f -> assertTrue(program.contains("#include \"" + f + "\""), f));
    }

    @Test
    void everyFileSaysWhatItComputes() {
        KernelSources.headers().forEach((name, text) ->
                assertTrue(text.startsWith("//") && text.lines().takeWhile(l -> l.startsWith("//")).count() >= 3,
                        name + " must open with a comment block (what it computes, the shapes)"));
    }

    /** Each Kernel's letters match the C parameter list: a wrong one would pass garbage to the GPU. */
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
        String type = parameter.substring(0, parameter.lastIndexOf(' ')).strip();
        if (type.endsWith("*")) {
            return "p";
        }
        return switch (type) {
            case "unsigned long long" -> "u";
            case "int" -> "i";
            case "float" -> "f";
            default -> throw new AssertionError("unexpected kernel parameter type: " + parameter);
        };
    }
}
