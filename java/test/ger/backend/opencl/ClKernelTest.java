package ger.backend.opencl;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ClKernel agrees with kernels/opencl/*.cl: every kernel's name and parameter list, none missing. */
class ClKernelTest {
    private static final Pattern KERNEL = Pattern.compile(
            "__kernel\\s+(?:__attribute__\\(\\(.*?\\)\\)\\s+)?void\\s+(\\w+)\\s*\\(([^)]*)\\)", Pattern.DOTALL);
    /** A macro that defines a kernel per invocation (sgemm.cl's SGEMM_KERNEL(NAME, ...)). */
    private static final Pattern KERNEL_MACRO = Pattern.compile("#define\\s+(\\w+)\\(NAME[,)]");

    @Test
    void kernelSignaturesMatchTheSources() throws IOException {
        Map<String, String> declared = new HashMap<>();
        try (Stream<Path> files = Files.list(Path.of("kernels/opencl"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".cl")).toList()) {
                String text = Files.readString(file).replace("\\\n", "\n");
                Matcher m = KERNEL.matcher(text);
                while (m.find()) {
                    declared.put(m.group(1), letters(m.group(2)));
                }
                String macroParameters = declared.remove("NAME");
                Matcher macro = KERNEL_MACRO.matcher(text);
                while (macro.find()) {
                    Matcher use = Pattern.compile("(?m)^" + macro.group(1) + "\\((\\w+)").matcher(text);
                    while (use.find()) {
                        declared.put(use.group(1), macroParameters);
                    }
                }
            }
        }
        for (ClKernel k : ClKernel.ALL) {
            assertEquals(declared.get(k.symbol()), k.parameters(), "parameters of " + k.symbol());
        }
        assertEquals(ClKernel.ALL.size(), declared.size(), "kernels in the sources but not in ClKernel: " + declared.keySet());
    }

    private static String letters(String parameters) {
        return Arrays.stream(parameters.split(",")).map(String::strip).map(ClKernelTest::letter).collect(Collectors.joining());
    }

    private static String letter(String parameter) {
        if (parameter.startsWith("__global")) {
            return "p";
        }
        String type = parameter.replace("const ", "").strip();
        type = type.substring(0, type.lastIndexOf(' ')).strip();
        return switch (type) {
            case "ulong" -> "u";
            case "int" -> "i";
            case "float" -> "f";
            default -> throw new AssertionError("unexpected kernel parameter type: " + parameter);
        };
    }
}
