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
public final class Fixtures {
    private Fixtures() {
    }

    /** What a {@link #javaBackendReplacing} backend does instead of one method; {@code real} is the java backend. */
    public interface Replacement {
        Object call(Object[] args, JavaBackend real) throws Throwable;
    }

    /** The java backend with every call of the method named {@code method} going to replacement instead (a test double). */
    public static Backend javaBackendReplacing(String method, Replacement replacement) {
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
    public static Matrix gaussian(Random r, int rows, int cols, double scale, double mean) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mean + scale * r.nextGaussian());
        }
        return Matrix.of(rows, cols, v);
    }

    /** A stack with dims[0] inputs; weights N(0, 2 / in) (ReLU-preserving scale), biases N(0.1, 0.05^2). */
    public static FcStack stack(Random r, int... dims) {
        List<DenseLayer> layers = new ArrayList<>();
        for (int l = 1; l < dims.length; l++) {
            layers.add(new DenseLayer("fc" + l, gaussian(r, dims[l], dims[l - 1], Math.sqrt(2.0 / dims[l - 1]), 0),
                    gaussian(r, 1, dims[l], 0.05, 0.1)));
        }
        return new FcStack(layers);
    }

    /** A random {@link #stack} and its calibration rows, n x dims[0], entries N(0.3, 1), both drawn from one seed. */
    public record Network(FcStack model, Matrix calib) {
        public static Network random(long seed, int n, int... dims) {
            Random r = new Random(seed);
            FcStack model = stack(r, dims);
            return new Network(model, gaussian(r, n, dims[0], 1, 0.3));
        }
    }

    /** s rounded to float32. */
    public static Matrix matrix(SimpleMatrix s) {
        Matrix m = Matrix.zeros(s.getNumRows(), s.getNumCols());
        for (int i = 0; i < s.getNumRows(); i++) {
            for (int j = 0; j < s.getNumCols(); j++) {
                m.set(i, j, (float) s.get(i, j));
            }
        }
        return m;
    }

    public static SimpleMatrix ejml(Matrix m) {
        SimpleMatrix s = new SimpleMatrix(m.rows(), m.cols());
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                s.set(i, j, m.get(i, j));
            }
        }
        return s;
    }

    /** The singular values of a, descending (float64). */
    public static double[] singularValues(SimpleMatrix a) {
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
    public static SimpleMatrix topLeftSingular(SimpleMatrix a, int k) {
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
    public static SimpleMatrix forward(List<SimpleMatrix> weights, List<SimpleMatrix> biases, SimpleMatrix x) {
        SimpleMatrix h = x;
        for (int l = 0; l < weights.size(); l++) {
            SimpleMatrix a = affine(h, weights.get(l), biases.get(l));
            h = l < weights.size() - 1 ? relu(a) : a;
        }
        return h;
    }

    /** h w^T + 1 bias: h n x in, w out x in, bias 1 x out. */
    public static SimpleMatrix affine(SimpleMatrix h, SimpleMatrix w, SimpleMatrix bias) {
        SimpleMatrix a = h.mult(w.transpose());
        for (int i = 0; i < a.getNumRows(); i++) {
            for (int j = 0; j < a.getNumCols(); j++) {
                a.set(i, j, a.get(i, j) + bias.get(0, j));
            }
        }
        return a;
    }

    /** max(0, a) element-wise, as a new matrix. */
    public static SimpleMatrix relu(SimpleMatrix a) {
        SimpleMatrix r = a.copy();
        for (int i = 0; i < r.getNumRows(); i++) {
            for (int j = 0; j < r.getNumCols(); j++) {
                r.set(i, j, Math.max(0, r.get(i, j)));
            }
        }
        return r;
    }

    /** The column means of a, 1 x cols. */
    public static SimpleMatrix columnMeans(SimpleMatrix a) {
        SimpleMatrix m = new SimpleMatrix(1, a.getNumCols());
        for (int j = 0; j < a.getNumCols(); j++) {
            m.set(0, j, a.extractMatrix(0, a.getNumRows(), j, j + 1).elementSum() / a.getNumRows());
        }
        return m;
    }

    /** a with its column means subtracted, as a new matrix. */
    public static SimpleMatrix centred(SimpleMatrix a) {
        SimpleMatrix mean = columnMeans(a);
        SimpleMatrix c = a.copy();
        for (int i = 0; i < a.getNumRows(); i++) {
            for (int j = 0; j < a.getNumCols(); j++) {
                c.set(i, j, a.get(i, j) - mean.get(0, j));
            }
        }
        return c;
    }

    /** ||a - b||_F / ||b||_F. */
    public static double relative(SimpleMatrix a, SimpleMatrix b) {
        return a.minus(b).normF() / b.normF();
    }

    /** ||Fhat - F|| / ||F|| over x (n x in) in float64 on the host, Fhat from the layers' dense weights. */
    public static double hostRelError(FcStack model, Matrix x, List<CompressedLayer> layers) {
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
