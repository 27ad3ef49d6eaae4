package ger.backend.java;

import java.util.stream.IntStream;

/** Runs work on flat elements in parallel chunks, with reductions that do not depend on the thread count. */
final class ParallelChunks {
    /** Elements per parallel chunk. */
    private static final int CHUNK = 1 << 16;

    /** Work on the flat elements [from, to); returns its part of a sum (0 when there is none). */
    @FunctionalInterface
    interface Chunk {
        double run(long from, long to);
    }

    private ParallelChunks() {
    }

    /**
     * Runs body over [0, n) in chunks of CHUNK elements, in parallel, and adds the partial sums in chunk
     * order, so that a reduction gives the same double whatever the thread count.
     */
    static double run(long n, Chunk body) {
        int chunks = (int) ((n + CHUNK - 1) / CHUNK);
        if (chunks <= 1) {
            return body.run(0, n);
        }
        double[] partial = new double[chunks];
        IntStream.range(0, chunks).parallel()
                .forEach(c -> partial[c] = body.run((long) c * CHUNK, Math.min(n, (long) (c + 1) * CHUNK)));
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }
}
