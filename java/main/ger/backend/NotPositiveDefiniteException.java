package ger.backend;

/** A Cholesky factorisation met a pivot that is not positive (the matrix is singular or indefinite). */
public final class NotPositiveDefiniteException extends RuntimeException {
    private final int pivot;

    public NotPositiveDefiniteException(int pivot, int order) {
        super("matrix of order " + order + " is not positive definite (pivot " + pivot + ")");
        this.pivot = pivot;
    }

    /** The 0-based index of the first failing pivot. */
    public int pivot() {
        return pivot;
    }
}
