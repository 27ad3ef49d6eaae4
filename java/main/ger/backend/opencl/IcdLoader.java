package ger.backend.opencl;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes the OpenCL ICD loader findable by JOCL on Linux systems that have only the runtime package.
 *
 * <p>JOCL 2.0.5 dlopens {@code "libOpenCL.so"}, a name only the development package
 * (ocl-icd-opencl-dev) provides; a runtime-only install (ocl-icd-libopencl1, as on our CI) has just
 * {@code libOpenCL.so.1}. glibc's dlopen also accepts an already loaded library whose SONAME equals
 * the requested name, so when {@code libOpenCL.so} is missing this loads a temporary copy of
 * {@code libOpenCL.so.1} whose SONAME is rewritten to {@code libOpenCL.so} (the string shortened in
 * place, nothing moves). The copy is the same ICD loader: it reads /etc/OpenCL/vendors as usual.
 */
final class IcdLoader {
    private static final String WANTED = "libOpenCL.so";
    private static final String RUNTIME = "libOpenCL.so.1";
    private static final int PT_LOAD = 1;
    private static final int PT_DYNAMIC = 2;
    private static final long DT_STRTAB = 5;
    private static final long DT_SONAME = 14;

    private IcdLoader() {
    }

    /** Does nothing where libOpenCL.so loads or the OS is not Linux; otherwise loads the renamed copy. */
    static void ensureLoadable() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux") || loads(WANTED) || !loads(RUNTIME)) {
            return; // JOCL will find it, or will report that OpenCL is missing
        }
        try {
            Optional<Path> runtime = mappedPath(RUNTIME);
            if (runtime.isEmpty()) {
                return;
            }
            byte[] elf = Files.readAllBytes(runtime.get());
            if (!renameSoname(elf)) {
                return;
            }
            Path copy = Files.createTempFile("ger-libOpenCL", ".so");
            copy.toFile().deleteOnExit();
            Files.write(copy, elf);
            System.load(copy.toString());
        } catch (IOException | RuntimeException | LinkageError e) {
            // The fallback failed: JOCL then reports the missing libOpenCL.so itself.
        }
    }

    private static boolean loads(String name) {
        try {
            SymbolLookup.libraryLookup(name, Arena.global());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The file a loaded library was mapped from, from /proc/self/maps. */
    private static Optional<Path> mappedPath(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(line -> line.substring(line.indexOf('/') < 0 ? line.length() : line.indexOf('/')))
                .filter(p -> p.endsWith("/" + name) || p.contains("/" + name + "."))
                .findFirst().map(Path::of);
    }

    /**
     * Rewrites the DT_SONAME string of a 64-bit little-endian ELF from libOpenCL.so.1 to libOpenCL.so
     * (NUL-padded in place). Returns false when the file is not laid out that way.
     */
    static boolean renameSoname(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
            return false; // not ELF64 little-endian
        }
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        long dynOffset = -1;
        long dynSize = 0;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) == PT_DYNAMIC) {
                dynOffset = b.getLong(ph + 8);
                dynSize = b.getLong(ph + 32);
            }
        }
        if (dynOffset < 0) {
            return false;
        }
        long strtab = -1;
        long soname = -1;
        for (long e = dynOffset; e + 16 <= dynOffset + dynSize; e += 16) {
            long tag = b.getLong((int) e);
            if (tag == DT_STRTAB) {
                strtab = b.getLong((int) e + 8);
            } else if (tag == DT_SONAME) {
                soname = b.getLong((int) e + 8);
            }
        }
        long strtabOffset = fileOffset(b, phoff, phentsize, phnum, strtab);
        if (soname < 0 || strtabOffset < 0) {
            return false;
        }
        int at = (int) (strtabOffset + soname);
        byte[] old = RUNTIME.getBytes(StandardCharsets.US_ASCII);
        if (at + old.length + 1 > elf.length) {
            return false;
        }
        for (int i = 0; i < old.length; i++) {
            if (elf[at + i] != old[i]) {
                return false;
            }
        }
        for (int i = WANTED.length(); i < old.length; i++) {
            elf[at + i] = 0;
        }
        return true;
    }

    /** The file offset of a virtual address, through the PT_LOAD segment that maps it; -1 if none. */
    private static long fileOffset(ByteBuffer b, long phoff, int phentsize, int phnum, long vaddr) {
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            long segVaddr = b.getLong(ph + 16);
            long segSize = b.getLong(ph + 32);
            if (b.getInt(ph) == PT_LOAD && vaddr >= segVaddr && vaddr < segVaddr + segSize) {
                return vaddr - segVaddr + b.getLong(ph + 8);
            }
        }
        return -1;
    }
}
