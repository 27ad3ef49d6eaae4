package ger.backend.cuda.internal;

import ger.backend.kernel.Kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Packs kernel arguments the way cuLaunchKernel reads them: {@code void **kernelParams}, an array
 * of pointers, element i pointing at the value of parameter i. Each value sits in its own 8-byte
 * slot of one buffer.
 */
final class KernelArgs {
    private KernelArgs() {
    }

    /** The kernelParams array for {@code args}, allocated in {@code arena}; checks them against the kernel's parameters. */
    static MemorySegment pack(Kernel kernel, Object[] args, Arena arena) {
        String parameters = kernel.parameters();
        if (args.length != parameters.length()) {
            throw new IllegalArgumentException(kernel.symbol() + " takes " + parameters.length() + " arguments, got " + args.length);
        }
        MemorySegment values = arena.allocate(8L * Math.max(1, args.length), 8);
        MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            long offset = 8L * i;
            char type = parameters.charAt(i);
            switch (args[i]) {
                case Long v when type == 'p' || type == 'u' -> values.set(ValueLayout.JAVA_LONG, offset, v);
                case Integer v when type == 'i' -> values.set(ValueLayout.JAVA_INT, offset, v);
                case Float v when type == 'f' -> values.set(ValueLayout.JAVA_FLOAT, offset, v);
                default -> throw new IllegalArgumentException(kernel.symbol() + ": argument " + i + " is "
                        + args[i] + " (" + (args[i] == null ? "null" : args[i].getClass().getSimpleName())
                        + "), the kernel expects '" + type + "'");
            }
            pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(offset, 8));
        }
        return pointers;
    }
}
