package ger.backend.java;

import ger.tensor.Matrix;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The ReLU-penalty step of AS (docs/method.md, Step II): reluPenalty, in parallel chunks, each a
 * vector of elements at a time with the Vector API.
 * Kernel: kernels/portable/relu_penalty.h. Conformance: ger.backend.ReluPenaltyConformance.
 */
final class ReluPenalty {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, VectorShape.forBitSize(FLOATS.vectorBitSize()));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private ReluPenalty() {
    }

    /**
     * z = the minimiser over z of (relu(preAct) - relu(z))^2 + lambda (z - yPrime)^2, element-wise;
     * returns the objective at it, summed in double.
     */
    static double reluPenalty(Matrix yPrime, Matrix preAct, float lambda, Matrix z) {
        return ParallelChunks.run(z.size(), (from, to) -> reluPenalty(yPrime.segment(), preAct.segment(), lambda, z.segment(), from, to));
    }

    /**
     * Step II on the flat elements [from, to), a vector of them at a time: the same float operations
     * in the same order as the scalar tail (so z is the same whatever the split); the objective is
     * summed in double, lane by lane, then across lanes.
     */
    private static double reluPenalty(MemorySegment yPrime, MemorySegment preAct, float lambda, MemorySegment z,
                                      long from, long to) {
        DoubleVector sum = DoubleVector.zero(DOUBLES);
        long i = from;
        for (long end = to - FLOATS.length(); i <= end; i += FLOATS.length()) {
            long off = i * Float.BYTES;
            FloatVector y = FloatVector.fromMemorySegment(FLOATS, yPrime, off, ORDER);
            FloatVector t = FloatVector.fromMemorySegment(FLOATS, preAct, off, ORDER).max(0f);
            FloatVector z0 = y.min(0f);
            FloatVector d0 = z0.sub(y);
            FloatVector cost0 = t.mul(t).add(d0.mul(lambda).mul(d0));
            FloatVector z1 = y.mul(lambda).add(t).div(1 + lambda).max(0f);
            FloatVector e1 = t.sub(z1);
            FloatVector d1 = z1.sub(y);
            FloatVector cost1 = e1.mul(e1).add(d1.mul(lambda).mul(d1));
            VectorMask<Float> positive = cost1.compare(VectorOperators.LE, cost0);
            z0.blend(z1, positive).intoMemorySegment(z, off, ORDER);
            FloatVector cost = cost0.blend(cost1, positive);
            sum = sum.add(cost.convertShape(VectorOperators.F2D, DOUBLES, 0))
                    .add(cost.convertShape(VectorOperators.F2D, DOUBLES, 1));
        }
        double objective = sum.reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            long off = i * Float.BYTES;
            float y = yPrime.get(Matrix.FLOAT, off);
            float t = Math.max(0f, preAct.get(Matrix.FLOAT, off));
            float z0 = Math.min(0f, y);
            float cost0 = t * t + lambda * (z0 - y) * (z0 - y);
            float z1 = Math.max(0f, (lambda * y + t) / (1 + lambda));
            float cost1 = (t - z1) * (t - z1) + lambda * (z1 - y) * (z1 - y);
            boolean positive = cost1 <= cost0;
            z.set(Matrix.FLOAT, off, positive ? z1 : z0);
            objective += positive ? cost1 : cost0;
        }
        return objective;
    }
}
