package ger.cli;

import picocli.CommandLine.Mixin;

/** What every command that runs the methods takes: the backend with the verbosity, and the methods' knobs. */
final class MethodRunMixin {
    @Mixin
    BackendMixin backend;

    @Mixin
    MethodOptionsMixin options;
}
