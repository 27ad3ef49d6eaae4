package ger.backend.kernel;

/**
 * A device kernel as its backend launches it: its name in the program and its parameters, one letter
 * each: p = a device buffer (CUDA: a Long address; OpenCL: a tensor or a cl_mem), u = 64-bit unsigned
 * count (Long), i = int (Integer), f = float (Float). The backends check every launch's arguments
 * against the letters, and tests check the letters against the sources.
 */
public interface KernelSignature {
    /** The kernel's name in the program. */
    String symbol();

    /** One letter per parameter (see the interface comment). */
    String parameters();
}
