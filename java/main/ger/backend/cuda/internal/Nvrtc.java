package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.LONG;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.NativeCall.call;
import static ger.backend.cuda.internal.NativeCall.invoke;
import static ger.backend.cuda.internal.NativeCall.out;

/** NVRTC (libnvrtc.so.13 / .12): compiles CUDA C++ to PTX at run time. */
public final class Nvrtc {
    private static Nvrtc instance;

    private final MethodHandle nvrtcCreateProgram;
    private final MethodHandle nvrtcCompileProgram;
    private final MethodHandle nvrtcGetProgramLogSize;
    private final MethodHandle nvrtcGetProgramLog;
    private final MethodHandle nvrtcGetPTXSize;
    private final MethodHandle nvrtcGetPTX;
    private final MethodHandle nvrtcDestroyProgram;

    private Nvrtc(Binder b) {
        nvrtcCreateProgram = b.status("nvrtcCreateProgram", PTR, PTR, PTR, INT, PTR, PTR);
        nvrtcCompileProgram = b.status("nvrtcCompileProgram", PTR, INT, PTR);
        nvrtcGetProgramLogSize = b.status("nvrtcGetProgramLogSize", PTR, PTR);
        nvrtcGetProgramLog = b.status("nvrtcGetProgramLog", PTR, PTR);
        nvrtcGetPTXSize = b.status("nvrtcGetPTXSize", PTR, PTR);
        nvrtcGetPTX = b.status("nvrtcGetPTX", PTR, PTR);
        nvrtcDestroyProgram = b.status("nvrtcDestroyProgram", PTR);
    }

    /** NVRTC, bound on first use. @throws CudaException when libnvrtc cannot be loaded */
    public static synchronized Nvrtc get() {
        if (instance == null) {
            NativeLibraries.Loaded library = NativeLibraries.load(CudaLibrary.NVRTC);
            // NVRTC dlopens libnvrtc-builtins.so.X.Y by name when it compiles
            NativeLibraries.preloadBeside(library, "libnvrtc-builtins.so.");
            instance = new Nvrtc(new Binder(library));
        }
        return instance;
    }

    /**
     * Compiles {@code source} (its {@code #include "name"} lines resolved from {@code headers}) with
     * {@code options}; returns the PTX, NUL-terminated as cuModuleLoadData wants it.
     *
     * @throws CudaException with the compiler log when compilation fails
     */
    public byte[] compileToPtx(String name, String source, Map<String, String> headers, List<String> options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment program = createProgram(arena, name, source, headers);
            try {
                MemorySegment optionArray = cStrings(arena, options);
                // nvrtcProgram nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char * const *options)
                int status = invoke(() -> (int) nvrtcCompileProgram.invokeExact(program, options.size(), optionArray));
                if (status != 0) {
                    throw new CudaException(Status.message(status, "nvrtcCompileProgram") + " with options "
                            + options + ":\n" + log(arena, program));
                }
                // nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet): counts the NUL
                MemorySegment size = out(arena, LONG, "nvrtcGetPTXSize",
                        ptxSize -> (int) nvrtcGetPTXSize.invokeExact(program, ptxSize));
                MemorySegment ptx = arena.allocate(size.get(LONG, 0));
                // nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx)
                call("nvrtcGetPTX", () -> (int) nvrtcGetPTX.invokeExact(program, ptx));
                return ptx.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            } finally {
                MemorySegment holder = arena.allocate(PTR);
                holder.set(PTR, 0, program);
                // nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog)
                call("nvrtcDestroyProgram", () -> (int) nvrtcDestroyProgram.invokeExact(holder));
            }
        }
    }

    /**
     * {@code nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name,
     * int numHeaders, const char * const *headers, const char * const *includeNames)}
     */
    private MemorySegment createProgram(Arena arena, String name, String source, Map<String, String> headers) {
        List<String> names = List.copyOf(headers.keySet());
        List<String> contents = names.stream().map(headers::get).toList();
        return out(arena, PTR, "nvrtcCreateProgram", program -> (int) nvrtcCreateProgram.invokeExact(program,
                arena.allocateFrom(source), arena.allocateFrom(name), names.size(), cStrings(arena, contents),
                cStrings(arena, names))).get(PTR, 0);
    }

    /** The compiler log: {@code nvrtcGetProgramLogSize(prog, size_t*)} then {@code nvrtcGetProgramLog(prog, char*)}. */
    private String log(Arena arena, MemorySegment program) {
        MemorySegment size = out(arena, LONG, "nvrtcGetProgramLogSize",
                logSize -> (int) nvrtcGetProgramLogSize.invokeExact(program, logSize));
        MemorySegment log = arena.allocate(Math.max(1, size.get(LONG, 0)));
        call("nvrtcGetProgramLog", () -> (int) nvrtcGetProgramLog.invokeExact(program, log));
        return log.getString(0);
    }

    /** A {@code const char * const *} array of the strings. */
    private static MemorySegment cStrings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(PTR, Math.max(1, strings.size()));
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(PTR, i, arena.allocateFrom(strings.get(i)));
        }
        return array;
    }
}
