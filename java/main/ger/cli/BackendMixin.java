package ger.cli;

import ger.backend.Backend;
import ger.backend.Backends;
import picocli.CommandLine.Option;

/** --backend, shared by every command that computes. */
final class BackendMixin {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "java, opencl[:PLATFORM:DEVICE], cuda[:DEVICE] or auto (cuda, else OpenCL on a GPU, else java); default ${DEFAULT-VALUE}")
    String spec;

    Backend open() {
        return Backends.open(spec, System.err::println);
    }
}
