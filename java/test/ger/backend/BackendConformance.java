package ger.backend;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

/**
 * The conformance suite every {@link Backend} runs: one test per operation, each on fresh random
 * inputs (the seed is in every failure message), odd shapes (37 x 53, 1 x n, n x 1), outputs poisoned
 * with NaN beforehand so an unwritten element fails, and the expected result computed in float64 on
 * the host from the same float32 inputs.
 *
 * <p>To plug a backend in, subclass it and return one instance from {@link #backend()} (the class is
 * {@code PER_CLASS}, so a field or a {@code @BeforeAll} can create it once; the suite closes it after
 * the last test; a {@code @BeforeAll} with {@code Assumptions.assumeTrue} skips the suite where the
 * device is missing, leaving it null). Override {@link #tolerance()} for a backend that is less exact.
 *
 * <p>Errors are relative: {@code max |got - expected| / max |expected|} over a tensor. Decompositions are
 * checked by their invariants (residuals, orthonormality, Eckart-Young), never by signs of vectors.
 *
 * <p>The tests live in one interface per operation family, named like the portable kernel files:
 * {@link TransferConformance}, {@link LayoutConformance}, {@link GemmConformance},
 * {@link ElementwiseConformance}, {@link CholeskyConformance}, {@link SymmetricEigenConformance},
 * {@link RowVectorConformance}, {@link TriangleConformance}, {@link ReductionsConformance},
 * {@link ReluPenaltyConformance}, {@link TopkConformance}, {@link LowRankConformance}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendConformance implements TransferConformance, LayoutConformance, GemmConformance,
        ElementwiseConformance, CholeskyConformance, SymmetricEigenConformance, RowVectorConformance,
        TriangleConformance, ReductionsConformance, ReluPenaltyConformance, TopkConformance, LowRankConformance {

    private final List<AutoCloseable> open = new ArrayList<>();

    @Override
    public double tolerance() {
        return 1e-4;
    }

    @Override
    public final <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        open.clear();
    }

    @AfterAll
    void closeBackend() {
        if (backend() != null) {
            backend().close();
        }
    }
}
