package ger.backend;

import ger.GerException;
import ger.backend.cuda.CudaBackend;
import ger.backend.java.JavaBackend;
import ger.backend.opencl.OpenClBackend;

import java.util.function.Consumer;

/** Opens a backend from its CLI spec: java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto. */
public final class Backends {
    private Backends() {
    }

    /**
     * @param spec   the --backend value
     * @param notice told which backend auto took and why it passed over the others
     */
    public static Backend open(String spec, Consumer<AutoChoice> notice) {
        String s = spec.trim().toLowerCase();
        if (s.equals("java")) {
            return new JavaBackend();
        }
        if (s.equals("cuda") || s.startsWith("cuda:")) {
            int device = s.equals("cuda") ? 0 : parseIndex(spec, s.substring(5));
            CudaBackend.Probe probe = CudaBackend.probe();
            if (!probe.available()) {
                throw new GerException("--backend " + spec + ": " + probe.detail());
            }
            return new CudaBackend(device);
        }
        if (s.equals("opencl") || s.startsWith("opencl:")) {
            OpenClBackend.Probe probe = OpenClBackend.probe();
            if (!probe.available()) {
                throw new GerException("--backend " + spec + ": " + probe.detail());
            }
            return OpenClBackend.open(spec);
        }
        if (s.equals("auto")) {
            return auto(notice);
        }
        throw new GerException("unknown --backend '" + spec + "' (expected java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto)");
    }

    /**
     * The fastest backend present: CUDA, then OpenCL on a GPU, then java. OpenCL on a CPU (PoCL) is
     * passed over: the java backend is as fast there and does the factorisations itself anyway.
     */
    private static Backend auto(Consumer<AutoChoice> notice) {
        CudaBackend.Probe cuda = CudaBackend.probe();
        if (cuda.available()) {
            notice.accept(new AutoChoice("backend auto: cuda", cuda.detail()));
            return new CudaBackend(0);
        }
        OpenClBackend.Probe opencl = OpenClBackend.probe();
        if (opencl.available() && opencl.gpu()) {
            notice.accept(new AutoChoice("backend auto: opencl (no cuda)", opencl.detail() + "; no cuda: " + cuda.detail()));
            return OpenClBackend.open("opencl");
        }
        notice.accept(new AutoChoice("backend auto: java (no cuda, no OpenCL GPU)", "no cuda: " + cuda.detail()
                + "; no OpenCL GPU: " + (opencl.available() ? "only " + opencl.detail() : opencl.detail())));
        return new JavaBackend();
    }

    /** What auto took, in a few words, and why it passed over the others, in full. */
    public record AutoChoice(String summary, String reasons) {
    }

    private static int parseIndex(String spec, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new GerException("--backend " + spec + ": '" + text + "' is not a device index");
        }
    }
}
