package ger.backend;

import ger.GerException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Opens a backend from its CLI spec: java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto. The
 * backends themselves come from their {@link BackendProvider}s, found by {@link ServiceLoader}.
 */
public final class Backends {
    /** In auto's order: CUDA, then OpenCL, then java. */
    private static final List<BackendProvider> PROVIDERS = ServiceLoader
            .load(BackendProvider.class, BackendProvider.class.getClassLoader()).stream()
            .map(ServiceLoader.Provider::get)
            .sorted(Comparator.comparingInt(BackendProvider::autoOrder))
            .toList();

    private Backends() {
    }

    /**
     * @param spec   the --backend value
     * @param notice told which backend auto took and why it passed over the others
     */
    public static Backend open(String spec, Consumer<AutoChoice> notice) {
        String s = spec.trim().toLowerCase();
        if (s.equals("auto")) {
            return auto(notice);
        }
        for (BackendProvider provider : PROVIDERS) {
            if (provider.names(s)) {
                return provider.open(spec, provider.probe());
            }
        }
        // listed from the one always present up to the fastest
        String expected = PROVIDERS.reversed().stream().map(BackendProvider::syntax).collect(Collectors.joining(", "));
        throw new GerException("unknown --backend '" + spec + "' (expected " + expected + " or auto)");
    }

    /**
     * The fastest backend present: CUDA, then OpenCL on a GPU, then java. OpenCL on a CPU (PoCL) is
     * passed over: the java backend is as fast there and does the factorisations itself anyway.
     */
    private static Backend auto(Consumer<AutoChoice> notice) {
        List<String> passedOver = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (BackendProvider provider : PROVIDERS) {
            BackendProvider.Probe probe = provider.probe();
            if (provider.autoTakes(probe)) {
                String summary = "backend auto: " + provider.name()
                        + (passedOver.isEmpty() ? "" : " (" + String.join(", ", passedOver) + ")");
                if (!probe.detail().isEmpty()) {
                    reasons.addFirst(probe.detail());
                }
                notice.accept(new AutoChoice(summary, String.join("; ", reasons)));
                return provider.open(provider.name(), probe);
            }
            passedOver.add("no " + provider.autoWants());
            reasons.add("no " + provider.autoWants() + ": " + (probe.available() ? "only " : "") + probe.detail());
        }
        // the java backend's provider always takes auto
        throw new IllegalStateException("META-INF/services/" + BackendProvider.class.getName() + " lists no java backend");
    }

    /** What auto took, in a few words, and why it passed over the others, in full. */
    public record AutoChoice(String summary, String reasons) {
    }
}
