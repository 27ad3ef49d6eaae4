package ger.backend.cuda.internal;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver entry points ger binds are the names cuda.h makes programs link to (after its
 * {@code #define cuX cuX_v2} renames). The Java bindings bind against native/fake/fake_cuda.c in
 * FakeCudaTest, so checking the fake's names against the header checks the bindings' names.
 */
class DriverSymbolsTest {
    @Test
    void fakeDriverNamesAreTheExportedNamesOfCudaH() throws IOException {
        Path header = Path.of("/usr/local/cuda/include/cuda.h");
        Assumptions.assumeTrue(Files.exists(header), "no " + header);
        String h = Files.readString(header);
        Map<String, String> renamed = new HashMap<>();
        Matcher define = Pattern.compile("#define\\s+(cu\\w+)\\s+(?:__CUDA_API_PT[DS][SZ]\\()?(cu\\w+)").matcher(h);
        while (define.find()) {
            renamed.putIfAbsent(define.group(1), define.group(2)); // the first (default, non per-thread) mapping
        }
        Set<String> exported = new HashSet<>();
        Matcher declared = Pattern.compile("CUresult CUDAAPI (cu\\w+)\\(").matcher(h);
        while (declared.find()) {
            exported.add(renamed.getOrDefault(declared.group(1), declared.group(1)));
        }
        Matcher fake = Pattern.compile("(?m)^int (cu[A-Z]\\w*)\\(").matcher(Files.readString(Path.of("native/fake/fake_cuda.c")));
        int checked = 0;
        while (fake.find()) {
            assertTrue(exported.contains(fake.group(1)), fake.group(1) + " is not a name cuda.h links to");
            checked++;
        }
        assertTrue(checked >= 25, "only " + checked + " driver functions checked");
    }
}
