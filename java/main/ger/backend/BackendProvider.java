package ger.backend;

import ger.GerException;

/**
 * One backend as {@link Backends} sees it: the {@code --backend} values that name it, whether it can
 * run here, and how to open it. Each backend's package holds its own, listed in
 * {@code META-INF/services/ger.backend.BackendProvider}, so that this package needs none of them.
 */
public interface BackendProvider {
    /** What probe found: whether the backend can open here, whether on a GPU, and the device or why not. */
    record Probe(boolean available, boolean gpu, String detail) {
    }

    /** The backend's name in auto's notice, e.g. {@code cuda}. */
    String name();

    /** The values it accepts, for the unknown-backend message, e.g. {@code cuda[:DEVICE]}. */
    String syntax();

    /** Whether this (trimmed, lower-case) {@code --backend} value names this backend: its name, alone or with ":...". */
    default boolean names(String spec) {
        return spec.equals(name()) || spec.startsWith(name() + ":");
    }

    /** Where auto tries it: lower first. */
    int autoOrder();

    /** What auto looked for when it passes this backend over, as in "no OpenCL GPU"; the name by default. */
    default String autoWants() {
        return name();
    }

    /** Whether the backend can open here; never throws. */
    Probe probe();

    /** Whether auto takes it, given its probe: a device backend only on a GPU, where it beats the java one. */
    default boolean autoTakes(Probe probe) {
        return probe.available() && probe.gpu();
    }

    /**
     * @param spec  the {@code --backend} value as given, one that {@link #names} accepts
     * @param probe what {@link #probe} found just now (auto has probed already; probing twice costs a
     *              platform enumeration on OpenCL)
     * @throws GerException naming the spec when it is malformed or the backend cannot open here
     */
    Backend open(String spec, Probe probe);

    /** Throws, naming the spec, unless the probe found the backend can open here. */
    static void requireAvailable(String spec, Probe probe) {
        if (!probe.available()) {
            throw new GerException("--backend " + spec + ": " + probe.detail());
        }
    }
}
