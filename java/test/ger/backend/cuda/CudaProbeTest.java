package ger.backend.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where CUDA is missing, the probe says why without throwing, and the constructor fails clearly. */
class CudaProbeTest {
    @Test
    void probeNeverThrowsAndExplains() {
        var probe = CudaBackend.probe();
        assertTrue(probe.detail() != null && !probe.detail().isBlank(), "probe detail: " + probe);
        assertTrue(CudaBackend.available() == probe.available());
    }

    @Test
    void withoutADriverTheMessageNamesLibcuda() {
        var probe = CudaBackend.probe();
        Assumptions.assumeFalse(probe.available(), "a GPU is present: " + probe.detail());
        if (probe.detail().contains("libcuda.so.1")) {
            assertTrue(probe.detail().contains("the CUDA driver could not be loaded"), probe.detail());
        }
        CudaException e = assertThrows(CudaException.class, CudaBackend::new);
        assertTrue(e.getMessage().contains("libcuda.so.1") || e.getMessage().contains("cuInit"), e.getMessage());
    }
}
