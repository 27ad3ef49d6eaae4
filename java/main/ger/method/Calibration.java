package ger.method;

import ger.backend.Backend;
import ger.method.as.FirstLayerInput;
import ger.model.FcStack;

import java.util.List;

/**
 * What a session prepares once from its model and calibration rows, the same for every job: the rows
 * x (n x d_0, on the device or streamed from the host), the original network's pre-activation A_l of
 * every layer (n x d_l, where x lives; the last is the logits F(x)) and AS's prepared input of layer 0.
 * The session hands it down to AS and the rank budget, which read it; the session closes what it holds.
 */
public record Calibration(Backend backend, FcStack model, Rows x, List<Rows> preActivations,
                          FirstLayerInput firstInput) {
}
