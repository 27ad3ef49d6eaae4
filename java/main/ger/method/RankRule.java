package ger.method;

/**
 * When a rank-k factorisation of an out x in layer is worth storing (docs/method.md, "Compressed
 * form and compression rate"): only when k <= min(out, in) and k (out + in) < out in.
 */
public final class RankRule {
    private RankRule() {
    }

    /** Whether the layer stays dense at rank k. */
    public static boolean staysDense(int k, int out, int in) {
        return k > Math.min(out, in) || (long) k * (out + in) >= (long) out * in;
    }

    /** Why the layer stays dense at rank k, for the result's notes (null when it does not). */
    public static String denseReason(String layer, int k, int out, int in) {
        if (k > Math.min(out, in)) {
            return layer + ": rank " + k + " > min(out, in) = " + Math.min(out, in) + ", left dense";
        }
        if (staysDense(k, out, in)) {
            return layer + ": rank " + k + " stores " + k + " x (" + out + " + " + in + ") >= " + out + " x " + in
                    + " weights, left dense";
        }
        return null;
    }

    /** The largest rank at which the layer still shrinks (0 when none does). */
    public static int maxUsefulRank(int out, int in) {
        long k = ((long) out * in - 1) / ((long) out + in);
        return (int) Math.min(k, Math.min(out, in));
    }
}
