package ger.backend.opencl;

import ger.backend.Backend;
import ger.backend.BackendProvider;

/** The OpenCL backend: {@code --backend opencl[:PLATFORM:DEVICE]}; auto takes it only on a GPU. */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String syntax() {
        return "opencl[:PLATFORM:DEVICE]";
    }

    @Override
    public int autoOrder() {
        return 1;
    }

    @Override
    public String autoWants() {
        return "OpenCL GPU";
    }

    @Override
    public Probe probe() {
        return OpenClBackend.probe();
    }

    @Override
    public Backend open(String spec, Probe probe) {
        BackendProvider.requireAvailable(spec, probe);
        return OpenClBackend.open(spec);
    }
}
