package ger.backend.cuda;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.BackendProvider;

/** The CUDA backend: {@code --backend cuda[:DEVICE]}; auto's first choice. */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String syntax() {
        return "cuda[:DEVICE]";
    }

    @Override
    public int autoOrder() {
        return 0;
    }

    @Override
    public Probe probe() {
        return CudaBackend.probe();
    }

    @Override
    public Backend open(String spec, Probe probe) {
        String s = spec.trim().toLowerCase();
        int device = s.equals("cuda") ? 0 : parseIndex(spec, s.substring("cuda:".length()));
        BackendProvider.requireAvailable(spec, probe);
        return new CudaBackend(device);
    }

    private static int parseIndex(String spec, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new GerException("--backend " + spec + ": '" + text + "' is not a device index");
        }
    }
}
