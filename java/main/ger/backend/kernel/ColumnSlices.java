package ger.backend.kernel;

/**
 * How a device backend's column sums cut the rows: {@code count} slices of {@code rows} rows each (the
 * last may have fewer, none is empty), as many as it takes to reach about {@link #TARGET_GROUPS}
 * work-groups, none shorter than {@link #MIN_ROWS}. Each slice's partial sums are added in slice order,
 * so the column_sums kernel sums in the same order on every device.
 */
public record ColumnSlices(int count, int rows) {
    /** Work-groups (CUDA blocks) the column sums aim for: several per SM, so the reads stream at DRAM speed. */
    public static final int TARGET_GROUPS = 1024;
    /** The fewest rows of a slice (fewer would only add partials). */
    public static final int MIN_ROWS = 64;

    /**
     * @param rows         the matrix's rows
     * @param columnGroups work-groups across the columns
     * @param maxCount     the most slices the launch can have (a grid limit)
     */
    public static ColumnSlices of(int rows, int columnGroups, int maxCount) {
        int height = Math.max(rows, 1);
        int count = Math.clamp(Math.min(Math.ceilDiv(height, MIN_ROWS), Math.ceilDiv(TARGET_GROUPS, columnGroups)), 1, maxCount);
        int nonEmpty = Math.ceilDiv(height, Math.ceilDiv(height, count));
        return new ColumnSlices(nonEmpty, Math.ceilDiv(height, nonEmpty));
    }
}
