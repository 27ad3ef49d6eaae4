package ger.method;

import ger.backend.Backend;
import ger.backend.java.JavaBackend;
import ger.model.CompressedLayer;
import ger.model.DenseLayer;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.ejml.simple.SimpleMatrix;
import org.ejml.simple.SimpleSVD;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random problems and float64 host references (EJML) for the method tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** What a {@link #javaBackendReplacing} backend does instead of one method; {@code real} is the java backend. */
    interface Replacement {
        Object call(Object[] args, JavaBackend real) throws Throwable;
    }

    /** The java backend with every call of the method named {@code method} going to replacement instead (a test double). */
    static Backend javaBackendReplacing(String method, Replacement replacement) {
        JavaBackend real = new JavaBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, m, args) -> {
                    if (m.getName().equals(method)) {
                        return replacement.call(args, real);
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** rows x cols, entries N(mean, scale^2). */
    static Matrix gaussian(Random r, int rows, int cols, double scale, double mean) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + scale * r.nextGaussian());
        }
        return Matrix.of(rows, cols, v);
    }

    /** A stack with dims[0] inputs; weights N(0, 2 / in) (ReLU-preserving scale), biases N(0.1, 0.05^2). */
    static FcStack stack(Random r, int... dims) {
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 1; l < dims.length; l++) {
            layers.add(new DenseLayer("fc" + l, gaussian(r, dims[l], dims[l - 1], Math.sqrt(2.0 / dims[l - 1]), 0),
                    gaussian(r, 1, dims[l], 0.05, 0.1)));
        }
        return new FcStack(layers);
    }

    static SimpleMatrix ejml(Matrix m) {
        SimpleMatrix s = new SimpleMatrix(m.rows(), m.cols());
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                s.set(i, j, m.get(i, j));
            }
        }
        return s;
    }

    /** The singular values of a, descending (float64). */
    static double[] singularValues(SimpleMatrix a) {
        double[] s = a.svd(true).getSingularValues().clone();
        java.util.Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            double t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }

    /** The top-k left singular vectors of a (rows x k), by descending singular value. */
    static SimpleMatrix topLeftSingular(SimpleMatrix a, int k) {
        SimpleSVD<SimpleMatrix> svd = a.svd(true);
        double[] w = svd.getSingularValues();
        Integer[] order = new Integer[w.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(w[y], w[x]));
        SimpleMatrix u = new SimpleMatrix(a.getNumRows(), k);
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < a.getNumRows(); i++) {
                u.set(i, j, svd.getU().get(i, order[j]));
            }
        }
        return u;
    }

    /** The host float64 forward of a dense stack (weights out x in), relu on all but the last layer. */
    static SimpleMatrix forward(List<SimpleMatrix> weights, List<SimpleMatrix> biases, SimpleMatrix x) {
        SimpleMatrix h = x;
        for (int l = 0; l < weights.size(); l++) {
            SimpleMatrix a = h.mult(weights.get(l).transpose());
            for (int i = 0; i < a.getNumRows(); i++) {
                for (int j = 0; j < a.getNumCols(); j++) {
                    double v = a.get(i, j) + biases.get(l).get(0, j);
                    a.set(i, j, l < weights.size() - 1 ? Math.max(0, v) : v);
                }
            }
            h = a;
        }
        return h;
    }

    /** ||a - b||_F / ||b||_F. */
    static double relative(SimpleMatrix a, SimpleMatrix b) {
        return a.minus(b).normF() / b.normF();
    }

    /** ||Fhat - F|| / ||F|| over x (n x in) in float64 on the host, Fhat from the layers' dense weights. */
    static double hostRelError(FcStack model, Matrix x, List<CompressedLayer> layers) {
        List<SimpleMatrix> w = new ArrayList<>();
        List<SimpleMatrix> bias = new ArrayList<>();
        List<SimpleMatrix> w0 = new ArrayList<>();
        List<SimpleMatrix> bias0 = new ArrayList<>();
        for (int l = 0; l < model.depth(); l++) {
            w.add(ejml(layers.get(l).denseWeight()));
            bias.add(ejml(layers.get(l).bias()));
            w0.add(ejml(model.layer(l).weight()));
            bias0.add(ejml(model.layer(l).bias()));
        }
        SimpleMatrix xs = ejml(x);
        return relative(forward(w, bias, xs), forward(w0, bias0, xs));
    }
}
