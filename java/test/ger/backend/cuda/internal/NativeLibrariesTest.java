package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibrariesTest {
    @Test
    void missingLibraryNamesEverySonameFolderAndLoaderReason(@TempDir Path folder) {
        CudaException e = assertThrows(CudaException.class, () -> NativeLibraries.open("cuFoo",
                List.of("libger_missing_a.so.3", "libger_missing_b.so.2"), Optional.of(folder)));
        String m = e.getMessage();
        assertTrue(m.startsWith("cuFoo could not be loaded"), m);
        assertTrue(m.contains("libger_missing_a.so.3, libger_missing_b.so.2"), m);
        assertTrue(m.contains(folder.toString()), m);
        assertTrue(m.contains("libger_missing_b.so.2: cannot open shared object file"), "the dlerror text: " + m);
        assertTrue(m.contains(NativeLibraries.LIBS_PROPERTY) && m.contains(NativeLibraries.LIBS_ENV), m);
    }

    @Test
    void brokenFileInFolderReportsTheLoaderError(@TempDir Path folder) throws IOException {
        Path fake = folder.resolve("libger_broken.so.1");
        Files.writeString(fake, "this is not an ELF file, but long enough to have a header ".repeat(4));
        CudaException e = assertThrows(CudaException.class,
                () -> NativeLibraries.open("broken", List.of("libger_broken.so.1"), Optional.of(folder)));
        // the folder copy is tried first (and fails on its header), then the bare soname
        assertTrue(e.getMessage().contains(fake.toString()), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("elf"), "dlerror should name the bad header: " + e.getMessage());
    }

    @Test
    void folderIsTriedBeforeTheSystemPath(@TempDir Path folder) throws IOException {
        Path real = Path.of("/usr/local/cuda/lib64/libnvtx3interop.so.1");
        Assumptions.assumeTrue(Files.exists(real), "no " + real + " to load");
        Files.createSymbolicLink(folder.resolve("libnvtx3interop.so.1"), real);
        NativeLibraries.Loaded loaded = NativeLibraries.open("NVTX", List.of("libger_absent.so.9", "libnvtx3interop.so.1"),
                Optional.of(folder));
        assertTrue(loaded.file().startsWith(folder.toString()), loaded.file());
        assertTrue(loaded.lookup().find("nvtxRangePushA").isPresent());
    }

    @Test
    void nvtxRangesAreHarmlessWithoutAProfiler() {
        Nvtx.get().ifPresent(nvtx -> {
            nvtx.push("ger test range");
            nvtx.pop();
        });
    }
}
