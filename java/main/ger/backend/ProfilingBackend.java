package ger.backend;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times the named ranges the methods open ({@link Backend#range}) on a wrapped backend, waiting for
 * the device at each range's start and end so that the times are the work's, not the queueing's. The
 * ranges still reach the wrapped backend (NVTX on CUDA). A nested range is recorded under its path,
 * e.g. "layer fc6/lambda iteration 3". {@link #backend()} is a proxy over {@link Backend}: every call
 * but {@code range} goes straight to the wrapped backend, so a new operation needs nothing here.
 */
public final class ProfilingBackend {
    /** Calls and total seconds of one range path. */
    public record Timing(int calls, double seconds) {
        public double meanMillis() {
            return 1e3 * seconds / calls;
        }
    }

    private final Backend inner;
    private final Backend backend;
    private final Deque<String> open = new ArrayDeque<>();
    private final Map<String, Timing> timings = new LinkedHashMap<>();

    private ProfilingBackend(Backend inner) {
        this.inner = inner;
        this.backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                handler());
    }

    /** A profiler over {@code inner}; closing its {@link #backend()} closes {@code inner}. */
    public static ProfilingBackend wrap(Backend inner) {
        return new ProfilingBackend(inner);
    }

    /** The backend to compute with: {@code inner} with its ranges timed. */
    public Backend backend() {
        return backend;
    }

    /** Range path -> timing, in the order each path first closed. */
    public Map<String, Timing> timings() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(timings));
    }

    private InvocationHandler handler() {
        return (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return objectMethod(proxy, method, args);
            }
            if (method.getName().equals("range")) {
                return range((String) args[0]);
            }
            try {
                return method.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
    }

    /** The proxy is its own object: identity equality, not the wrapped backend's. */
    private Object objectMethod(Object proxy, Method method, Object[] args) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "profiling " + inner;
        };
    }

    private Backend.Range range(String name) {
        inner.synchronize();
        String path = open.isEmpty() ? name : open.peek() + "/" + name;
        open.push(path);
        Backend.Range innerRange = inner.range(name);
        long start = System.nanoTime();
        return () -> {
            inner.synchronize();
            double seconds = (System.nanoTime() - start) * 1e-9;
            innerRange.close();
            open.remove(path);
            timings.merge(path, new Timing(1, seconds), (a, b) -> new Timing(a.calls() + b.calls(), a.seconds() + b.seconds()));
        };
    }
}
