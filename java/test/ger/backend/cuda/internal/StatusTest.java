package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusTest {
    @Test
    void messageNamesCallStatusAndCode() {
        CudaException e = assertThrows(CudaException.class, () -> Status.check(13, "cublasSgemm_v2"));
        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_EXECUTION_FAILED (13)", e.getMessage());
        assertEquals("cusolverDnSpotrf failed: CUSOLVER_STATUS_INVALID_VALUE (3)", Status.message(3, "cusolverDnSpotrf"));
        assertEquals("nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION (6)", Status.message(6, "nvrtcCompileProgram"));
        assertEquals("cuLaunchKernel(axpy) failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)", Status.message(700, "cuLaunchKernel(axpy)"));
        assertEquals("cuInit failed: unknown status (12345)", Status.message(12345, "cuInit"));
        assertDoesNotThrow(() -> Status.check(0, "cuInit"));
    }

    /** Every driver code named here means what cuda.h says (where the CUDA headers are installed). */
    @Test
    void driverNamesMatchCudaHeader() throws IOException {
        Path header = Path.of("/usr/local/cuda/include/cuda.h");
        Assumptions.assumeTrue(Files.exists(header), "no " + header);
        Matcher m = Pattern.compile("(CUDA_ERROR_[A-Z_0-9]+)\\s*=\\s*(\\d+)").matcher(Files.readString(header));
        int checked = 0;
        while (m.find()) {
            String ours = Status.name(Integer.parseInt(m.group(2)), "cuSomething");
            if (!ours.equals("unknown status")) {
                assertEquals(m.group(1), ours, "code " + m.group(2));
                checked++;
            }
        }
        assertTrue(checked >= 20, "only " + checked + " driver codes cross-checked");
    }
}
