package ger.method;

import ger.GerException;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The compression methods, by their CLI names (docs/method.md, "Methods"). */
public enum MethodName {
    /** Truncated SVD of each weight (Denil et al.). */
    LRD("lrd"),
    /** The layer-wise asymmetric nonlinear solver alone (Zhang et al.). */
    AS("as"),
    /** LRD initialisation, then the global stage. */
    GER_IC("ger-ic"),
    /** AS initialisation, then the global stage. */
    GER("ger"),
    /** Product quantisation (Gong et al.): knob = sub-vector dimension. */
    PQ("pq"),
    /** Binarisation with a per-row scale: no knob. */
    BIN("bin");

    private final String cliName;

    MethodName(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether the method's knob is a rank k (lrd, as, ger-ic, ger). */
    public boolean isLowRank() {
        return this == LRD || this == AS || this == GER_IC || this == GER;
    }

    public static MethodName parse(String name) {
        for (MethodName m : values()) {
            if (m.cliName.equalsIgnoreCase(name.trim())) {
                return m;
            }
        }
        throw new GerException("unknown method '" + name + "' (expected one of "
                + Arrays.stream(values()).map(MethodName::cliName).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
