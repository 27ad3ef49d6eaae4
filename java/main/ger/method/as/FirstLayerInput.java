package ger.method.as;

import ger.backend.Backend;
import ger.method.DeviceOps;
import ger.method.Rows;
import ger.tensor.Matrix;

/**
 * Layer 0's prepared input (the calibration rows whitened or factored, {@link LayerInput#of}), the
 * same at every rank: built on first use and kept until closed, so that the session hands it down to
 * AS and the rank budget rather than they call back into the session for it.
 */
public final class FirstLayerInput implements AutoCloseable {
    private final Backend b;
    private final Rows x;
    private final Matrix calib;
    private final double ridge;
    private final String layer;
    private LayerInput input;

    /** x: the session's calibration rows (not closed here); calib: the same rows on the host, for a streamed copy. */
    public FirstLayerInput(Backend b, Rows x, Matrix calib, double ridge, String layer) {
        this.b = b;
        this.x = x;
        this.calib = calib;
        this.ridge = ridge;
        this.layer = layer;
    }

    /** The input, prepared on the first call; owned here (callers do not close it). */
    public LayerInput get() {
        if (input == null) {
            // The device input is whitened in place, so it gets a copy; host rows are only read.
            Rows rows = switch (x) {
                case Rows.OnDevice d -> new Rows.OnDevice(b, DeviceOps.copy(b, d.tensor()), d.chunkRows());
                case Rows.OnHost h -> new Rows.OnHost(b, calib, false, h.chunkRows());
            };
            input = LayerInput.of(b, rows, ridge, layer);
        }
        return input;
    }

    @Override
    public void close() {
        if (input != null) {
            input.close();
        }
    }
}
