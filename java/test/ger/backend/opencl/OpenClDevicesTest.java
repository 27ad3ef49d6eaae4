package ger.backend.opencl;

import ger.GerException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device listing, the probe and the --backend opencl[:PLATFORM:DEVICE] parsing. */
class OpenClDevicesTest {

    @BeforeEach
    void needsOpenCl() {
        var probe = OpenClBackend.probe();
        Assumptions.assumeTrue(probe.available(), probe.detail());
    }

    @Test
    void listsDevicesWithIndicesAndDetails() {
        List<String> devices = OpenClBackend.listDevices();
        assertFalse(devices.isEmpty(), "probe says available but no device is listed");
        for (String line : devices) {
            assertTrue(line.matches("\\d+:\\d+ .+ \\((GPU|CPU|accelerator|other), .+\\), \\d+ compute units, \\d+ MiB global memory"),
                    line);
        }
    }

    @Test
    void opensTheListedDevicesBySpec() {
        String first = OpenClBackend.listDevices().getFirst();
        String indices = first.substring(0, first.indexOf(' '));
        try (OpenClBackend b = OpenClBackend.open("opencl:" + indices)) {
            assertEquals("opencl", b.name());
            assertTrue(b.device().contains("OpenCL " + indices), b.device());
        }
        try (OpenClBackend b = OpenClBackend.open("opencl")) {
            assertTrue(b.device().contains("OpenCL "), b.device());
        }
    }

    @Test
    void rejectsBadSpecsAndUnknownDevices() {
        GerException bad = assertThrows(GerException.class, () -> OpenClBackend.open("opencl:x:0"));
        assertTrue(bad.getMessage().contains("--backend opencl:x:0"), bad.getMessage());
        GerException shape = assertThrows(GerException.class, () -> OpenClBackend.open("opencl:0"));
        assertTrue(shape.getMessage().contains("opencl:PLATFORM:DEVICE"), shape.getMessage());
        GerException missing = assertThrows(GerException.class, () -> OpenClBackend.open("opencl:99:0"));
        assertTrue(missing.getMessage().contains("no OpenCL device 99:0") && missing.getMessage().contains("0:0"),
                missing.getMessage());
    }

    @Test
    void closingTheBackendReleasesOpenTensorsAndAClosedTensorFailsLoudly() {
        var b = new OpenClBackend();
        var t = b.allocate(3, 5);
        b.close();
        assertThrows(IllegalStateException.class, () -> ((OpenClTensor) t).mem());
        t.close(); // a second release is a no-op
    }
}
