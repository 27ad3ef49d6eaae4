// The CUDA translation unit of ger's kernels: the portable sources (kernels/portable), each compiled
// once as CUDA. native/Makefile builds it with nvcc into a fatbin; without one, the CUDA backend
// compiles the same file with NVRTC at run time (ger.backend.kernel.KernelSources), with the same options.
// The OpenCL backend compiles the same files as OpenCL C, so PoCL runs this logic in every CI run.
#include "dialect.h"
#include "elementwise.h"
#include "layout.h"
#include "reductions.h"
#include "relu_penalty.h"
#include "row_vector.h"
#include "tf32_split.h"
#include "topk.h"
#include "triangle.h"
