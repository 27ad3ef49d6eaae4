package ger.backend.java;

import ger.backend.Backend;
import ger.backend.BackendProvider;

/** The java backend: {@code --backend java}; always available, and auto's last resort. */
public final class JavaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "java";
    }

    @Override
    public String syntax() {
        return "java";
    }

    /** No device to choose: "java" alone. */
    @Override
    public boolean names(String spec) {
        return spec.equals("java");
    }

    @Override
    public int autoOrder() {
        return 2;
    }

    /** Nothing to report: it runs on the host, always. */
    @Override
    public Probe probe() {
        return new Probe(true, false, "");
    }

    @Override
    public boolean autoTakes(Probe probe) {
        return true;
    }

    @Override
    public Backend open(String spec, Probe probe) {
        return new JavaBackend();
    }
}
