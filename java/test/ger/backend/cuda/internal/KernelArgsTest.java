package ger.backend.cuda.internal;

import ger.backend.kernel.Kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelArgsTest {
    /** kernelParams[i] points at the value of argument i, typed as the kernel declares it. */
    @Test
    void packsEachArgumentBehindItsPointer() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        long x = r.nextLong();
        long y = r.nextLong();
        long n = r.nextLong() >>> 1;
        float lr = r.nextFloat();
        try (Arena arena = Arena.ofConfined()) {
            // sgd_update(float* param, const float* grad, float* velocity, float lr, float momentum, float wd, u64 n)
            MemorySegment params = KernelArgs.pack(Kernel.SGD_UPDATE, new Object[] {x, y, 7L, lr, 0.9f, 1e-4f, n}, arena);
            assertEquals(x, deref(params, 0).get(ValueLayout.JAVA_LONG, 0), "seed " + seed);
            assertEquals(y, deref(params, 1).get(ValueLayout.JAVA_LONG, 0), "seed " + seed);
            assertEquals(lr, deref(params, 3).get(ValueLayout.JAVA_FLOAT, 0), "seed " + seed);
            assertEquals(1e-4f, deref(params, 5).get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(n, deref(params, 6).get(ValueLayout.JAVA_LONG, 0), "seed " + seed);
            MemorySegment ints = KernelArgs.pack(Kernel.ADD_BIAS_RELU, new Object[] {1L, 2L, 37, 53, 1}, arena);
            assertEquals(53, deref(ints, 3).get(ValueLayout.JAVA_INT, 0));
        }
    }

    @Test
    void rejectsWrongArityAndTypes() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException arity = assertThrows(IllegalArgumentException.class,
                    () -> KernelArgs.pack(Kernel.AXPY, new Object[] {1f, 2L}, arena));
            assertTrue(arity.getMessage().startsWith("axpy takes 4 arguments"), arity.getMessage());
            // an int where the kernel reads an unsigned long long would read garbage: refused
            IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                    () -> KernelArgs.pack(Kernel.AXPY, new Object[] {1f, 2L, 3L, 4}, arena));
            assertTrue(type.getMessage().contains("argument 3") && type.getMessage().contains("'u'"), type.getMessage());
        }
    }

    private static MemorySegment deref(MemorySegment params, int i) {
        return params.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8);
    }
}
