package ger.backend.kernel;

/**
 * The launch geometry of a portable kernel: a grid of gridX x gridY groups (CUDA blocks) of
 * blockX x blockY work-items (threads); z is 1. OpenCL's global size is the grid times the group.
 * Both device backends launch each kernel with the same factory, so the kernels index, and sum, alike;
 * the factories match how the kernels in kernels/portable index their work-items (see each file's comment).
 */
public record Launch(int gridX, int gridY, int blockX, int blockY) {
    /** Threads per block of every 1-D kernel (GER_BLOCK in dialect.h). */
    public static final int BLOCK = 256;
    /** Blocks of a *_partials reduction, and so the length of its partials buffer. */
    public static final int MAX_PARTIALS = 1024;
    /** Cap on the grid of a grid-stride kernel: enough to fill any GPU, each thread then loops. */
    static final int MAX_STRIDED_BLOCKS = 1 << 16;
    /** Side of a transpose tile and the rows of threads per tile (layout.h). */
    static final int TILE = 32;
    static final int TILE_ROWS = 8;
    /** The CUDA limit on gridDim.y. */
    static final int MAX_GRID_Y = 65535;

    public Launch {
        if (gridX < 1 || gridY < 1 || blockX < 1 || blockY < 1 || (long) blockX * blockY > 1024) {
            throw new IllegalArgumentException("bad launch geometry " + gridX + " x " + gridY + " blocks of "
                    + blockX + " x " + blockY + " threads");
        }
    }

    public static int ceilDiv(long n, int d) {
        return Math.toIntExact((n + d - 1) / d);
    }

    /** A 1-D grid-stride kernel over n elements (at least one block, so n = 0 is a valid no-op launch). */
    public static Launch strided(long n) {
        return new Launch((int) Math.clamp((n + BLOCK - 1) / BLOCK, 1, MAX_STRIDED_BLOCKS), 1, BLOCK, 1);
    }

    /**
     * A *_partials reduction over n elements: one partial per block, at most {@link #MAX_PARTIALS}
     * blocks and at most {@code resident} (the blocks of this kernel the GPU holds at once), so the
     * grid-stride loop runs in one wave: a second, partial wave would run on an idle GPU.
     */
    public static Launch partials(long n, int resident) {
        int cap = Math.clamp(resident, 1, MAX_PARTIALS);
        return new Launch((int) Math.clamp((n + BLOCK - 1) / BLOCK, 1, cap), 1, BLOCK, 1);
    }

    /** One block of {@link #BLOCK} threads (sum_partials, trace). */
    public static Launch singleBlock() {
        return new Launch(1, 1, BLOCK, 1);
    }

    /** transpose of a rows x cols matrix: one 32 x 32 tile per block of 32 x 8 threads. */
    public static Launch transpose(int rows, int cols) {
        int gridY = ceilDiv(Math.max(rows, 1), TILE);
        if (gridY > MAX_GRID_Y) {
            throw new IllegalArgumentException("transpose: " + rows + " rows exceed the grid limit of "
                    + (long) MAX_GRID_Y * TILE);
        }
        return new Launch(ceilDiv(Math.max(cols, 1), TILE), gridY, TILE, TILE_ROWS);
    }

    /**
     * column_sums over a rows x cols matrix: 32 columns per block of 32 x 8 threads (x), and the rows
     * cut into gridY slices of {@link #sliceRows} rows each (y), as {@link ColumnSlices} says;
     * column_sums_finish adds the slices' partials.
     */
    public static Launch columnSums(int rows, int cols) {
        int gridX = ceilDiv(Math.max(cols, 1), TILE);
        return new Launch(gridX, ColumnSlices.of(rows, gridX, MAX_GRID_Y).count(), TILE, TILE_ROWS);
    }

    /** The rows of each slice of a {@link #columnSums} launch (the last may have fewer). */
    public static int sliceRows(int rows, Launch columnSums) {
        return ceilDiv(Math.max(rows, 1), columnSums.gridY());
    }

    /** 32 work-items per row (topk_rank): 8 rows per group of 256. */
    public static Launch lanesPerRow(int rows) {
        return new Launch(ceilDiv(Math.max(rows, 1), BLOCK / 32), 1, BLOCK, 1);
    }
}
