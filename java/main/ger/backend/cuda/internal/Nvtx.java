package ger.backend.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.NativeCall.invoke;

/**
 * NVTX ranges (libnvtx3interop.so.1) for profilers such as Nsight Systems. Optional: when the library
 * is absent every call does nothing. Without a profiler attached the calls are cheap no-ops too.
 */
public final class Nvtx {
    private static Optional<Nvtx> instance;

    private final MethodHandle push;
    private final MethodHandle pop;

    private Nvtx(Binder b) {
        push = b.bind(FunctionDescriptor.of(INT, PTR), "nvtxRangePushA");
        pop = b.bind(FunctionDescriptor.of(INT), "nvtxRangePop");
    }

    /** NVTX, or empty when libnvtx3interop cannot be loaded. */
    public static synchronized Optional<Nvtx> get() {
        if (instance == null) {
            instance = NativeLibraries.loadOptional(CudaLibrary.NVTX).map(l -> new Nvtx(new Binder(l)));
        }
        return instance;
    }

    /** {@code int nvtxRangePushA(const char *message)}: the nesting level, or a negative value on error. */
    public int push(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return invoke(() -> (int) push.invokeExact(arena.allocateFrom(name)));
        }
    }

    /** {@code int nvtxRangePop(void)} */
    public int pop() {
        return invoke(() -> (int) pop.invokeExact());
    }
}
