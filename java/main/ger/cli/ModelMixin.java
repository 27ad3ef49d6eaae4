package ger.cli;

import ger.io.ModelFiles;
import ger.model.FcStack;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** --model and --layers: the FC stack to work on. */
final class ModelMixin {
    @Option(names = "--model", required = true, paramLabel = "M.safetensors",
            description = "FC stack in PyTorch nn.Linear convention (<name>.weight out x in, <name>.bias)")
    Path model;

    @Option(names = "--layers", split = ",", paramLabel = "a,b,c",
            description = "layer names in order (default: all, in the numeric order of their names)")
    List<String> layers;

    FcStack load() {
        return ModelFiles.loadStack(model, layers);
    }
}
