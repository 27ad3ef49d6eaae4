package ger.backend;

/** A {@link Backend.Sum} in host memory, for backends whose reductions return to the host anyway. */
final class HostSum implements Backend.Sum {
    private double value;

    void add(double v) {
        value += v;
    }

    @Override
    public double read() {
        return value;
    }

    @Override
    public void close() {
    }
}
