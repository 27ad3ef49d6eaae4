package ger.backend;

import ger.backend.java.JavaBackend;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The profiler records nested ranges under their paths and passes every op to the backend it wraps. */
class ProfilingBackendTest {
    /** A JavaBackend seen through a proxy that logs the calls the profiler makes on it. */
    private static Backend recording(List<String> calls) {
        JavaBackend real = new JavaBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("range")) {
                        String name = (String) args[0];
                        calls.add("open " + name);
                        return (Backend.Range) () -> calls.add("close " + name);
                    }
                    calls.add(method.getName());
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void nestedRangesAreRecordedUnderTheirPaths() throws InterruptedException {
        List<String> calls = new ArrayList<>();
        ProfilingBackend p = ProfilingBackend.wrap(recording(calls));
        try (Backend b = p.backend()) {
            try (Backend.Range outer = b.range("outer")) {
                for (int i = 0; i < 3; i++) {
                    try (Backend.Range inner = b.range("inner")) {
                        Thread.sleep(4);
                        try (Backend.Range deep = b.range("deep")) {
                            Thread.sleep(1);
                        }
                    }
                }
                try (Backend.Range other = b.range("other")) {
                    Thread.sleep(1);
                }
            }
            try (Backend.Range again = b.range("inner")) {
                Thread.sleep(1);
            }
            Map<String, ProfilingBackend.Timing> t = p.timings();
            assertEquals(Map.of("outer", 1, "outer/inner", 3, "outer/inner/deep", 3, "outer/other", 1, "inner", 1),
                    Map.ofEntries(t.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue().calls()))
                            .toArray(Map.Entry[]::new)), t.toString());
            assertTrue(t.get("outer/inner").seconds() >= 3 * 0.005, t.toString());
            assertTrue(t.get("outer/inner/deep").seconds() >= 3 * 0.001, t.toString());
            assertTrue(t.get("outer").seconds() >= t.get("outer/inner").seconds() + t.get("outer/other").seconds(), t.toString());
            assertTrue(t.get("outer/inner").seconds() >= t.get("outer/inner/deep").seconds(), t.toString());
            assertEquals(1e3 * t.get("outer/inner").seconds() / 3, t.get("outer/inner").meanMillis(), 1e-9);
            assertEquals(List.of("outer/inner/deep", "outer/inner", "outer/other", "outer", "inner"),
                    List.copyOf(p.timings().keySet()), "first-closed order");
        }
        // The ranges reach the wrapped backend by their own names, each bracketed by a synchronize.
        List<String> ranges = calls.stream().filter(c -> c.startsWith("open ") || c.startsWith("close ")).toList();
        assertEquals(List.of("open outer", "open inner", "open deep", "close deep", "close inner"), ranges.subList(0, 5));
        int firstOpen = calls.indexOf("open outer");
        assertEquals("synchronize", calls.get(firstOpen - 1), calls.toString());
        int firstClose = calls.indexOf("close deep");
        assertEquals("synchronize", calls.get(firstClose - 1), calls.toString());
        assertEquals("close", calls.getLast(), "close reaches the wrapped backend");
    }

    @Test
    void opsPassThrough() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        Matrix a = random(r, 13, 7);
        Matrix bm = random(r, 9, 7);
        Matrix c0 = random(r, 13, 9);
        ProfilingBackend profiler = ProfilingBackend.wrap(new JavaBackend());
        try (JavaBackend direct = new JavaBackend(); Backend p = profiler.backend()) {
            assertEquals(direct.name(), p.name());
            assertEquals(direct.device(), p.device());
            Matrix viaDirect = gemm(direct, a, bm, c0);
            Matrix viaProfiler;
            try (Backend.Range range = p.range("gemm")) {
                viaProfiler = gemm(p, a, bm, c0);
            }
            assertArrayEquals(viaDirect.toArray(), viaProfiler.toArray(), "seed " + seed);
            // And the result is a real gemm: 0.5 a b^T + 2 c0, float64 on the host.
            for (int i = 0; i < 13; i++) {
                for (int j = 0; j < 9; j++) {
                    double s = 2.0 * c0.get(i, j);
                    for (int k = 0; k < 7; k++) {
                        s += 0.5 * a.get(i, k) * bm.get(j, k);
                    }
                    assertEquals(s, viaProfiler.get(i, j), 1e-5, "seed " + seed + " at " + i + "," + j);
                }
            }
            try (Tensor t = p.upload(a); Tensor g = p.allocate(7, 7); Tensor gd = direct.allocate(7, 7);
                 Tensor td = direct.upload(a)) {
                p.gram(t, 0f, g);
                direct.gram(td, 0f, gd);
                assertArrayEquals(direct.download(gd).toArray(), p.download(g).toArray(), "seed " + seed);
                assertEquals(direct.squaredNorm(td), p.squaredNorm(t), 0.0, "seed " + seed);
                try (Svd s = p.svd(t, 3); Svd sd = direct.svd(td, 3)) {
                    assertArrayEquals(sd.s(), s.s(), 1e-5 * sd.s()[0], "seed " + seed);
                }
            }
            assertEquals(1, profiler.timings().get("gemm").calls());
        }
    }

    @Test
    void aCallsExceptionReachesTheCallerUnchanged() {
        IllegalStateException thrown = new IllegalStateException("device lost");
        Backend failing = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("synchronize")) {
                        throw thrown;
                    }
                    return null;
                });
        Backend p = ProfilingBackend.wrap(failing).backend();
        assertSame(thrown, assertThrows(IllegalStateException.class, p::synchronize));
    }

    private static Matrix gemm(Backend b, Matrix a, Matrix bm, Matrix c0) {
        try (Tensor ta = b.upload(a); Tensor tb = b.upload(bm); Tensor tc = b.upload(c0)) {
            b.gemm(false, true, 0.5f, ta, tb, 2f, tc);
            return b.download(tc);
        }
    }

    private static Matrix random(Random r, int rows, int cols) {
        Matrix m = Matrix.zeros(rows, cols);
        for (long i = 0; i < m.size(); i++) {
            m.setFlat(i, (float) r.nextGaussian());
        }
        return m;
    }
}
