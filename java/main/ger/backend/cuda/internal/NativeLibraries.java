package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens the CUDA shared libraries by soname, with fallbacks, through {@link SymbolLookup#libraryLookup}.
 * A folder named by the system property {@value #LIBS_PROPERTY} or the environment variable
 * {@value #LIBS_ENV} is tried first, then the system search path (LD_LIBRARY_PATH, ldconfig). When
 * nothing opens, one message names every file tried and the dynamic loader's own reason for each
 * (FFM says only "Cannot open library", so the reason comes from dlopen/dlerror). Each library is
 * opened once per process and stays loaded; a failure is remembered and reported again the same way.
 */
public final class NativeLibraries {
    public static final String LIBS_PROPERTY = "ger.cuda.libs";
    public static final String LIBS_ENV = "GER_CUDA_LIBS";

    /** A library that opened: the name or path that worked and its symbols. */
    public record Loaded(String file, SymbolLookup lookup) {
    }

    private static final Map<CudaLibrary, Object> CACHE = new EnumMap<>(CudaLibrary.class);

    private NativeLibraries() {
    }

    /** The library, opened on first use. @throws CudaException naming what was tried and why it failed */
    public static synchronized Loaded load(CudaLibrary library) {
        Object cached = CACHE.computeIfAbsent(library, l -> {
            try {
                return open(l.title(), l.sonames(), folder());
            } catch (CudaException e) {
                return e.getMessage();
            }
        });
        if (cached instanceof Loaded loaded) {
            return loaded;
        }
        throw new CudaException((String) cached);
    }

    /** The library, or empty when it cannot be opened (for optional ones such as NVTX). */
    public static Optional<Loaded> loadOptional(CudaLibrary library) {
        try {
            return Optional.of(load(library));
        } catch (CudaException e) {
            return Optional.empty();
        }
    }

    /**
     * Opens the files named {@code prefix}* in the folder {@code loaded} came from, when it came from a
     * folder: libraries that {@code loaded} itself dlopens by bare name later (NVRTC's builtins), which
     * the loader would not find in a -D{@value #LIBS_PROPERTY} folder that is off its search path.
     * Failures are ignored: the library reports its own error when it misses them.
     */
    static void preloadBeside(Loaded loaded, String prefix) {
        if (!loaded.file().contains("/")) {
            return;
        }
        Path folder = Path.of(loaded.file()).getParent();
        try (var files = Files.list(folder)) {
            files.filter(f -> f.getFileName().toString().startsWith(prefix) && !f.getFileName().toString().contains(".alt."))
                    .forEach(f -> {
                        try {
                            SymbolLookup.libraryLookup(f, Arena.global());
                        } catch (IllegalArgumentException ignored) {
                            // reported by the library that needs it, with its own words
                        }
                    });
        } catch (java.io.IOException ignored) {
            // as above
        }
    }

    /** The folder to try first: the system property, else the environment variable, else none. */
    static Optional<Path> folder() {
        String value = System.getProperty(LIBS_PROPERTY);
        if (value == null || value.isBlank()) {
            value = System.getenv(LIBS_ENV);
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
    }

    /**
     * Opens the first of {@code sonames} that loads, trying {@code folder/soname} (when the file exists)
     * before the bare soname.
     */
    static Loaded open(String title, List<String> sonames, Optional<Path> folder) {
        List<String> failures = new ArrayList<>();
        for (String soname : sonames) {
            List<String> candidates = new ArrayList<>();
            folder.map(f -> f.resolve(soname)).filter(Files::exists).ifPresent(p -> candidates.add(p.toString()));
            candidates.add(soname);
            for (String candidate : candidates) {
                try {
                    SymbolLookup lookup = candidate.contains("/")
                            ? SymbolLookup.libraryLookup(Path.of(candidate), Arena.global())
                            : SymbolLookup.libraryLookup(candidate, Arena.global());
                    return new Loaded(candidate, lookup);
                } catch (IllegalArgumentException e) {
                    failures.add(e.getMessage() + " (" + dlerror(candidate) + ")");
                }
            }
        }
        String where = folder.map(f -> "in " + f + " (" + LIBS_PROPERTY + " / " + LIBS_ENV + ") and ").orElse("")
                + "on the system library path (LD_LIBRARY_PATH=" + Optional.ofNullable(System.getenv("LD_LIBRARY_PATH")).orElse("")
                + ", ldconfig)";
        throw new CudaException(title + " could not be loaded: tried " + String.join(", ", sonames) + " " + where
                + ": " + String.join("; ", failures)
                + ". Install it, or point -D" + LIBS_PROPERTY + "=<folder> or " + LIBS_ENV + " at the folder holding it.");
    }

    /** The dynamic loader's reason for failing to open {@code file}, from dlopen and dlerror. */
    static String dlerror(String file) {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle dlopen = linker.downcallHandle(libc.find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle dlerror = linker.downcallHandle(libc.find("dlerror").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS));
            MethodHandle dlclose = linker.downcallHandle(libc.find("dlclose").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                final int rtldNow = 2;
                MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(file), rtldNow);
                if (!handle.equals(MemorySegment.NULL)) {
                    int ignored = (int) dlclose.invokeExact(handle);
                    return "dlopen succeeded on retry";
                }
                MemorySegment message = (MemorySegment) dlerror.invokeExact();
                return message.equals(MemorySegment.NULL) ? "no dlerror message" : message.reinterpret(4096).getString(0);
            }
        } catch (Throwable t) {
            return "dlerror unavailable: " + t;
        }
    }
}
