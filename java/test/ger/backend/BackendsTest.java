package ger.backend;

import ger.GerException;
import ger.backend.java.JavaBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends finds its backends through the providers ServiceLoader lists, and names them as before. */
class BackendsTest {
    @Test
    void javaOpensWhateverTheCase() {
        try (Backend b = Backends.open(" Java ", c -> { })) {
            assertInstanceOf(JavaBackend.class, b);
        }
    }

    @Test
    void anUnknownSpecListsEveryProvider() {
        GerException e = assertThrows(GerException.class, () -> Backends.open("tpu", c -> { }));
        assertEquals("unknown --backend 'tpu' (expected java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto)", e.getMessage());
        assertThrows(GerException.class, () -> Backends.open("java:0", c -> { }), "java takes no device");
    }

    @Test
    void aCudaDeviceIndexIsCheckedBeforeTheDriver() {
        GerException e = assertThrows(GerException.class, () -> Backends.open("cuda:first", c -> { }));
        assertEquals("--backend cuda:first: 'first' is not a device index", e.getMessage());
    }

    @Test
    void autoSaysWhatItTookAndWhy() {
        List<Backends.AutoChoice> told = new ArrayList<>();
        try (Backend b = Backends.open("auto", told::add)) {
            assertEquals(1, told.size());
            String summary = told.getFirst().summary();
            assertTrue(summary.equals("backend auto: cuda") || summary.equals("backend auto: opencl (no cuda)")
                    || summary.equals("backend auto: java (no cuda, no OpenCL GPU)"), summary);
            if (summary.startsWith("backend auto: java")) {
                assertInstanceOf(JavaBackend.class, b);
                assertTrue(told.getFirst().reasons().matches("no cuda: .+; no OpenCL GPU: .+"), told.getFirst().reasons());
            }
        }
    }
}
