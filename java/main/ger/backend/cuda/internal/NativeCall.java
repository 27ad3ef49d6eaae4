package ger.backend.cuda.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

import static ger.backend.cuda.internal.Binder.INT;
import static ger.backend.cuda.internal.Binder.PTR;
import static ger.backend.cuda.internal.Status.check;

/**
 * How the bindings make a downcall: a lambda around {@code invokeExact} (still exact, since the
 * lambda keeps the call site's {@code (int)} cast and argument types), whose status {@link Status#check}
 * reports under the exported symbol's name. What invokeExact declares besides unchecked throwables
 * is wrapped here, so no binding catches Throwable itself.
 */
final class NativeCall {
    private NativeCall() {
    }

    /** One downcall returning an int: a status code, except where {@link #invoke} is used. */
    @FunctionalInterface
    interface IntCall {
        int invoke() throws Throwable;
    }

    /** One downcall that writes its result to {@code out} and returns a status code. */
    @FunctionalInterface
    interface OutCall {
        int invoke(MemorySegment out) throws Throwable;
    }

    /** The int the call returns, unchecked: a status its caller reports itself, or no status at all. */
    static int invoke(IntCall c) {
        try {
            return c.invoke();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Makes the call and checks its status as {@code name}'s. */
    static void call(String name, IntCall c) {
        check(invoke(c), name);
    }

    /** Makes the call with a fresh {@code layout} slot from {@code arena}; the slot, the call's status checked. */
    static MemorySegment out(Arena arena, MemoryLayout layout, String name, OutCall c) {
        MemorySegment slot = arena.allocate(layout);
        call(name, () -> c.invoke(slot));
        return slot;
    }

    /** {@link #out} for a handle: the pointer the call wrote. */
    static MemorySegment outPointer(String name, OutCall c) {
        try (Arena arena = Arena.ofConfined()) {
            return out(arena, PTR, name, c).get(PTR, 0);
        }
    }

    /** {@link #out} for an int: the int the call wrote. */
    static int outInt(String name, OutCall c) {
        try (Arena arena = Arena.ofConfined()) {
            return out(arena, INT, name, c).get(INT, 0);
        }
    }

    /** Passes unchecked throwables through; wraps what a method handle may throw otherwise. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
