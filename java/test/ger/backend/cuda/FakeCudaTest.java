package ger.backend.cuda;

import ger.backend.Backend;
import ger.backend.Eigen;
import ger.backend.Svd;
import ger.tensor.Matrix;
import ger.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every CUDA backend operation against a fake CUDA (native/fake/fake_cuda.c, built here with cc):
 * catches what a GPU-less machine otherwise cannot, i.e. a binding whose Java types do not match its
 * descriptor, a wrong argument count, a copy outside its allocation (the fake checks bounds), a leak
 * (the fake counts live allocations), a failing lifecycle. Kernels do nothing there, so results are
 * only checked where plain copies produce them. Runs in a child JVM: libraries load once per process.
 */
class FakeCudaTest {
    private static final List<String> SONAMES = List.of("libcuda.so.1", "libcublas.so.13", "libcublasLt.so.13", "libcusolver.so.12");

    @Test
    void everyOperationRunsAgainstTheFake(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Path.of("native/fake/fake_cuda.c").toAbsolutePath();
        Path lib = dir.resolve("libfake_cuda.so");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", lib.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no C compiler (cc) to build the fake CUDA: " + e.getMessage());
            return;
        }
        String ccOutput = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), "cc failed:\n" + ccOutput);
        for (String soname : SONAMES) {
            Files.createSymbolicLink(dir.resolve(soname), lib);
        }
        Path fatbin = Files.writeString(dir.resolve("fake.fatbin"), "not a real fatbin");

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "-Dger.cuda.libs=" + dir, "-Dger.cuda.fatbin=" + fatbin, Child.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), "child JVM on the fake CUDA failed:\n" + output);
    }

    /** The child JVM: calls everything, checks what the fake makes checkable. */
    static final class Child {
        public static void main(String[] args) throws Throwable {
            var probe = CudaBackend.probe();
            check(probe.available() && probe.detail().startsWith("Fake GPU"), "probe: " + probe);
            MethodHandle outstanding = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup(Path.of(System.getProperty("ger.cuda.libs"), "libcuda.so.1"), Arena.global())
                            .find("fake_outstanding").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            Random r = new Random(7);
            try (CudaBackend b = new CudaBackend(0, CudaBackend.GemmPrecision.TF32X3)) {
                check(b.name().equals("cuda") && b.device().equals("Fake GPU"), b.toString());
                // The backend's scratch is the only live allocation; a large tensor freed goes back to the pool,
                // which keeps it: still free for ger though cuMemGetInfo counts it as used.
                long before = b.freeMemory();
                check(before < 3L << 30 && before > (3L << 30) - (1 << 20), "free memory " + before);
                Tensor big = b.allocate(4096, 4096);
                check(b.freeMemory() == before - 4096L * 4096 * Float.BYTES, "free memory with 64 MiB live: " + b.freeMemory());
                big.close();
                check(b.freeMemory() == before, "free memory after the 64 MiB went back to the pool: " + b.freeMemory());
                check(b.deviceDetails().contains("sm_90") && b.deviceDetails().contains("GEMMs 3xtf32"), b.deviceDetails());
                Matrix host = Matrix.zeros(37, 53);
                for (long i = 0; i < host.size(); i++) {
                    host.setFlat(i, r.nextFloat());
                }
                Tensor x = b.upload(host);
                equal(host, b.download(x), "upload then download");
                Tensor y = b.allocate(37, 53);
                b.copyRows(x, 0, y, 0, 37);
                equal(host, b.download(y), "copyRows, all rows");
                b.fill(y, 2.5f);
                check(b.download(y).get(36, 52) == 2.5f, "fill");
                b.copyRows(x, 30, y, 2, 7);
                check(b.download(y).get(2, 0) == host.get(30, 0) && b.download(y).get(9, 0) == 2.5f, "copyRows, a slice");
                b.uploadRows(host, 20, y, 30, 7);
                check(b.download(y).get(30, 5) == host.get(20, 5) && b.download(y).get(36, 52) == host.get(26, 52)
                        && b.download(y).get(29, 0) == 2.5f, "uploadRows, a slice to the last row");
                Matrix back = Matrix.zeros(10, 53);
                b.downloadRows(x, 36, back, 9, 1);
                check(back.get(9, 52) == host.get(36, 52) && back.get(8, 52) == 0f, "downloadRows, the last row");

                Tensor sq = b.allocate(53, 53);
                Tensor xt = b.allocate(53, 37);
                Tensor rows = b.allocate(5, 53);
                b.gatherRows(x, new int[] {3, 1, 36, 0, 3}, rows);
                b.transpose(x, xt);
                b.gemm(false, false, 1f, x, sq, 0f, y);
                b.gemm(true, true, 1f, xt, sq, 0.5f, y);
                b.gram(x, 0f, sq);
                b.gram(x, 1f, sq);
                b.axpy(0.5f, x, y);
                b.scale(y, 2f);
                b.cholesky(sq);
                b.triangularSolve(sq, true, xt);
                b.triangularSolve(sq, false, xt);
                try (Eigen e = b.symmetricEigenTopK(sq, 4)) {
                    check(e.values().length == 4 && e.vectors().rows() == 53 && e.vectors().cols() == 4, "eigen shapes");
                }
                try (Svd wide = b.svd(xt, 5); Svd tall = b.svd(x, 6)) {
                    check(wide.u().rows() == 53 && wide.vt().cols() == 37 && wide.s().length == 5, "svd wide shapes");
                    check(tall.u().rows() == 37 && tall.vt().cols() == 53 && tall.s().length == 6, "svd tall shapes");
                }
                Tensor bias = b.allocate(1, 53);
                b.addBiasRelu(y, bias, true);
                b.addRowVector(y, -1f, bias);
                b.columnMeans(x, bias);
                b.columnSums(x, bias);
                b.addDiagonal(sq, 1f);
                b.trace(sq);
                b.squaredError(x, y);
                b.squaredNorm(x);
                b.errorGradient(x, y, 0.5f, x);
                try (Backend.Sum sum = b.newSum()) {
                    b.errorGradient(x, y, 0.5f, x, sum);
                    check(sum.read() == 0.0, "a sum the fake's kernels never add to stays zero");
                }
                b.reluBackward(x, y);
                b.reluPenalty(x, y, 0.1f, y);
                long[] topk = b.topkCorrect(x, r.ints(37, 0, 53).toArray(), new int[] {1, 5});
                check(topk.length == 2, "topk");
                Tensor q = b.allocate(8, 53);
                Tensor p = b.allocate(11, 8);
                Tensor qh = b.allocate(37, 8);
                Tensor out = b.allocate(37, 11);
                Tensor bOut = b.allocate(1, 11);
                b.lowRankForward(x, q, p, bOut, true, qh, out);
                Tensor gp = b.allocate(37, 8);
                b.lowRankBackward(x, q, p, qh, out, gp, b.allocate(8, 53), b.allocate(11, 8), b.allocate(1, 11), b.allocate(37, 53));
                b.lowRankBackward(x, q, p, qh, out, gp, b.allocate(8, 53), b.allocate(11, 8), b.allocate(1, 11), null);
                b.sgdUpdate(x, y, b.allocate(37, 53), 0.1f, 0.9f, 1e-4f);
                try (Backend.Range range = b.range("fake")) {
                    check(b.timeMillis(() -> b.scale(x, 1f)) == 1.5f, "event timing");
                }
                b.synchronize();
                y.close();
                y.close();
                try {
                    y.rows();
                    ((CudaTensor) y).address();
                    throw new AssertionError("address of a closed tensor");
                } catch (IllegalStateException expected) {
                    // as it should
                }
            }
            check((int) outstanding.invokeExact() == 0, "device allocations left after close: " + (int) outstanding.invokeExact());
            System.out.println("fake CUDA: every operation ran, nothing leaked");
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }

        private static void equal(Matrix expected, Matrix got, String what) {
            for (long i = 0; i < expected.size(); i++) {
                check(expected.getFlat(i) == got.getFlat(i), what + ": element " + i);
            }
        }
    }
}
