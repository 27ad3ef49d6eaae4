package ger.backend.opencl;

import ger.GerException;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.jocl.CL.*;

/**
 * The JOCL plumbing of the OpenCL backend in one place: every call goes through {@link #call}, which
 * turns JOCL's {@link CLException} into a {@link GerException} naming the call; platform and device
 * enumeration and the info queries.
 */
final class Cl {
    static {
        CL.setExceptionsEnabled(true);
    }

    private Cl() {
    }

    /** Runs one JOCL call; a failure becomes a GerException that names {@code what}. */
    static <T> T call(String what, Supplier<T> f) {
        try {
            return f.get();
        } catch (CLException e) {
            throw new GerException("OpenCL " + what + " failed: " + CL.stringFor_errorCode(e.getStatus()), e);
        }
    }

    /** {@link #call} for calls whose result is only a status code. */
    static void run(String what, Supplier<Integer> f) {
        call(what, f);
    }

    /** A device and the platform it belongs to, with its indices. */
    record DeviceRef(int platformIndex, int deviceIndex, cl_platform_id platform, cl_device_id device) {
        String name() {
            return string(device, CL_DEVICE_NAME);
        }

        String platformName() {
            return string(platform, CL_PLATFORM_NAME);
        }

        boolean isGpu() {
            return (type() & CL_DEVICE_TYPE_GPU) != 0;
        }

        long type() {
            return longInfo(device, CL_DEVICE_TYPE);
        }

        String typeName() {
            long t = type();
            if ((t & CL_DEVICE_TYPE_GPU) != 0) {
                return "GPU";
            }
            if ((t & CL_DEVICE_TYPE_CPU) != 0) {
                return "CPU";
            }
            return (t & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "other";
        }

        int computeUnits() {
            return intInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS);
        }

        long globalMemory() {
            return longInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE);
        }

        /** One line for {@code ger info --devices}. */
        String describe() {
            return platformIndex + ":" + deviceIndex + " " + name() + " (" + typeName() + ", " + platformName()
                    + "), " + computeUnits() + " compute units, " + (globalMemory() >> 20) + " MiB global memory";
        }
    }

    /** Every device of every platform, in platform then device order (empty when there is no platform). */
    static List<DeviceRef> devices() {
        int[] count = new int[1];
        try {
            clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) {
                return List.of(); // an ICD loader with no platform installed behind it
            }
            throw new GerException("OpenCL clGetPlatformIDs failed: " + CL.stringFor_errorCode(e.getStatus()), e);
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        run("clGetPlatformIDs", () -> clGetPlatformIDs(platforms.length, platforms, null));
        List<DeviceRef> out = new ArrayList<>();
        for (int p = 0; p < platforms.length; p++) {
            cl_platform_id platform = platforms[p];
            int[] n = new int[1];
            try {
                clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (CLException e) {
                if (e.getStatus() == CL_DEVICE_NOT_FOUND) {
                    continue;
                }
                throw new GerException("OpenCL clGetDeviceIDs(platform " + p + ") failed: "
                        + CL.stringFor_errorCode(e.getStatus()), e);
            }
            cl_device_id[] ids = new cl_device_id[n[0]];
            run("clGetDeviceIDs", () -> clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null));
            for (int d = 0; d < ids.length; d++) {
                out.add(new DeviceRef(p, d, platform, ids[d]));
            }
        }
        return out;
    }

    static String string(cl_device_id device, int param) {
        return string("clGetDeviceInfo", (size, value, sizeRet) -> clGetDeviceInfo(device, param, size, value, sizeRet));
    }

    static String string(cl_platform_id platform, int param) {
        return string("clGetPlatformInfo", (size, value, sizeRet) -> clGetPlatformInfo(platform, param, size, value, sizeRet));
    }

    /** One object's one parameter of a clGet*Info query: {@code (param_value_size, param_value, param_value_size_ret)}. */
    @FunctionalInterface
    private interface InfoQuery {
        int query(long size, Pointer value, long[] sizeRet);
    }

    /** A string parameter: its size first, then its bytes. */
    private static String string(String what, InfoQuery q) {
        long[] size = new long[1];
        run(what, () -> q.query(0, null, size));
        byte[] bytes = new byte[(int) size[0]];
        run(what, () -> q.query(bytes.length, Pointer.to(bytes), null));
        return cString(bytes);
    }

    static long longInfo(cl_device_id device, int param) {
        long[] v = new long[1];
        run("clGetDeviceInfo", () -> clGetDeviceInfo(device, param, Sizeof.cl_long, Pointer.to(v), null));
        return v[0];
    }

    static int intInfo(cl_device_id device, int param) {
        int[] v = new int[1];
        run("clGetDeviceInfo", () -> clGetDeviceInfo(device, param, Sizeof.cl_int, Pointer.to(v), null));
        return v[0];
    }

    /** A NUL-terminated byte string as returned by the info queries. */
    static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).trim();
    }
}
