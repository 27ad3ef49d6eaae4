package ger.cli;

import ger.GerException;
import ger.backend.Backend;
import ger.backend.Backends;
import ger.method.Forward;
import ger.method.CompressionResult;
import ger.method.CompressionSession;
import ger.method.MethodName;
import ger.method.Options;
import ger.method.Progress;
import ger.model.CompressedLayer;
import ger.model.CompressedModel;
import ger.model.FcStack;
import ger.tensor.Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Run the same job on two backends and print, per phase, the largest relative difference "
                + "(||a - b|| / ||b||); exits 1 when the largest exceeds --tolerance.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = "--backend", required = true, description = "the backend under test, e.g. cuda or opencl")
    String backend;

    @Option(names = "--against", defaultValue = "java", description = "the reference backend (default ${DEFAULT-VALUE})")
    String against;

    @Mixin
    ModelMixin model;

    @Option(names = "--calib", required = true, paramLabel = "X.npy", description = "calibration rows (.npy or IDX)")
    Path calib;

    @Option(names = "--method", required = true, description = "lrd, as, ger-ic, ger, pq or bin")
    String method;

    @Mixin
    RankMixin ranks;

    @Option(names = "--tolerance", defaultValue = "1e-3", description = "largest relative difference allowed (default ${DEFAULT-VALUE})")
    double tolerance;

    @Mixin
    MethodOptionsMixin options;

    @Mixin
    Verbosity verbosity;

    /** A phase and its largest relative difference. */
    record Phase(String name, double difference) {
    }

    @Override
    public Integer call() {
        MethodName m = MethodName.parse(method);
        FcStack stack = model.load();
        RankMixin.Job job = ranks.job(m, stack, null);
        Matrix x = Inputs.features(calib);
        Options o = options.toOptions();
        List<Phase> phases = new ArrayList<>();
        try (Backend test = Backends.open(backend, verbosity.backendNotice());
             Backend ref = Backends.open(against, verbosity.backendNotice())) {
            phases.add(new Phase("forward (original model)",
                    relativeDifference(Forward.forward(test, stack, x), Forward.forward(ref, stack, x))));
            List<RankMixin.Job> jobs = switch (m) {
                case GER -> List.of(job.withMethod(MethodName.AS), job);
                case GER_IC -> List.of(job.withMethod(MethodName.LRD), job);
                default -> List.of(job);
            };
            try (CompressionSession a = Inputs.about(() -> new CompressionSession(test, stack, x, o, Progress.NONE), calib, model.model);
                 CompressionSession b = new CompressionSession(ref, stack, x, o, Progress.NONE)) {
                for (RankMixin.Job j : jobs) {
                    CompressionResult ra = j.run(a, stack.depth());
                    CompressionResult rb = j.run(b, stack.depth());
                    String phase = j.method() == m ? m.cliName() : j.method().cliName() + " (initialisation of " + m + ")";
                    requireSameForms(ra.model(), rb.model());
                    int depth = ra.model().layers().size();
                    for (int l = 0; l < depth - 1; l++) {
                        phases.add(new Phase(phase + ": " + ra.model().layers().get(l).name() + " pre-activations",
                                relativeDifference(Forward.forward(test, prefix(ra.model(), l), x),
                                        Forward.forward(ref, prefix(rb.model(), l), x))));
                    }
                    phases.add(new Phase(phase + ": compressed outputs",
                            relativeDifference(Forward.forward(test, ra.model(), x), Forward.forward(ref, rb.model(), x))));
                }
            }
            verbosity.line("validate " + test.name() + " (" + test.device() + ") against " + ref.name() + ", "
                    + job.describe(stack) + ", " + x.rows() + " calibration rows");
        }
        double worst = 0;
        for (Phase p : phases) {
            verbosity.line(String.format(java.util.Locale.ROOT, "%-60s %.3e", p.name(), p.difference()));
            worst = Math.max(worst, Double.isNaN(p.difference()) ? Double.POSITIVE_INFINITY : p.difference());
        }
        verbosity.line(String.format(java.util.Locale.ROOT, "max relative difference: %.3e", worst));
        return worst <= tolerance ? 0 : 1;
    }

    /**
     * Layers 0..last of a compressed model: its forward pass ends in layer last's pre-activation.
     * The weights themselves are not compared: directions the calibration rows never excite are
     * ill-determined and may differ between backends without changing any output.
     */
    private static CompressedModel prefix(CompressedModel m, int last) {
        return new CompressedModel(m.layers().subList(0, last + 1), Map.of());
    }

    private static void requireSameForms(CompressedModel a, CompressedModel b) {
        for (int l = 0; l < a.layers().size(); l++) {
            CompressedLayer la = a.layers().get(l);
            CompressedLayer lb = b.layers().get(l);
            if (!CompressCommand.form(la).equals(CompressCommand.form(lb))) {
                throw new GerException("layer " + la.name() + " is " + CompressCommand.form(la) + " on one backend and "
                        + CompressCommand.form(lb) + " on the other");
            }
        }
    }

    /** ||a - b||_F / ||b||_F, in double. */
    static double relativeDifference(Matrix a, Matrix b) {
        double diff = 0;
        double norm = 0;
        for (long i = 0, n = b.size(); i < n; i++) {
            double d = (double) a.getFlat(i) - b.getFlat(i);
            diff += d * d;
            norm += (double) b.getFlat(i) * b.getFlat(i);
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
