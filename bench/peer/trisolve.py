"""Triangular solves for the numpy reference (numpy has no solve_triangular and scipy is not assumed):
a blocked forward/back substitution, float64 inside, float32 out."""
import numpy as np

_BLOCK = 64


def solve_lower(low: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x = L^-1 b; L d x d lower triangular, b d x m."""
    low = low.astype(np.float64)
    x = b.astype(np.float64).copy()
    d = low.shape[0]
    for s in range(0, d, _BLOCK):
        e = min(s + _BLOCK, d)
        x[s:e] -= low[s:e, :s] @ x[:s]
        x[s:e] = np.linalg.solve(low[s:e, s:e], x[s:e])
    return x.astype(np.float32)


def solve_lower_transposed(low: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x = L^-T b; L d x d lower triangular, b d x m."""
    up = low.astype(np.float64).T
    x = b.astype(np.float64).copy()
    d = up.shape[0]
    for e in range(d, 0, -_BLOCK):
        s = max(e - _BLOCK, 0)
        x[s:e] -= up[s:e, e:] @ x[e:]
        x[s:e] = np.linalg.solve(up[s:e, s:e], x[s:e])
    return x.astype(np.float32)
