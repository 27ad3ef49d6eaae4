package ger.cli;

import ger.GerException;
import ger.backend.BackendProvider;
import ger.backend.cuda.CudaBackend;
import ger.backend.opencl.OpenClBackend;
import ger.io.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Tensors, shapes, dtypes and metadata of a file (safetensors, .npy, IDX), or the devices present.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "FILE",
            description = "a safetensors, NumPy or IDX file (IDX gzipped or not): its tensors with their dtypes and "
                    + "shapes, and its metadata; the format is told by the file's extension, else by its first bytes")
    Path file;

    @Option(names = "--devices", description = "list the CUDA and OpenCL devices")
    boolean devices;

    @Override
    public Integer call() {
        if (devices) {
            BackendProvider.Probe cuda = CudaBackend.probe();
            System.out.println("cuda: " + (cuda.available() ? cuda.detail() : "not available (" + cuda.detail() + ")"));
            BackendProvider.Probe opencl = OpenClBackend.probe();
            System.out.println("opencl: " + (opencl.available() ? "default " + opencl.detail() : "not available (" + opencl.detail() + ")"));
            if (opencl.available()) {
                OpenClBackend.listDevices().forEach(d -> System.out.println("  " + d));
            }
            System.out.println("java: always available");
        }
        if (file != null) {
            System.out.print(ModelFiles.describe(file));
        } else if (!devices) {
            throw new GerException("ger info needs a FILE or --devices");
        }
        return 0;
    }
}
