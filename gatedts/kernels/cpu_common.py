"""Scalar helpers shared by the CPU kernels."""

import math

from numba import njit


@njit(cache=True, inline="always")
def sigmoid(a):
    # exp(-a) overflows to inf for a < -709 (float64) and gives 1/inf = 0: no NaN.
    return 1.0 / (1.0 + math.exp(-a))
