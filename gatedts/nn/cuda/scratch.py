"""Device buffers reused across calls: the twin of :mod:`gatedts.nn.scratch`."""

import numpy as np
from numba import cuda

from .common import fill_cuda


class Workspace:
    """Device buffers by name, reallocated only when the shape or dtype changes."""

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype):
        return self._get(name, shape, dtype)[0]

    def zeros(self, name, shape, dtype):
        """A 2-D buffer of zeros that callers only read: filled when allocated."""
        array, fresh = self._get(name, shape, dtype)
        if fresh:
            fill_cuda(array, 0.0)
        return array

    def _get(self, name, shape, dtype):
        shape, dtype = tuple(int(s) for s in shape), np.dtype(dtype)
        array = self._arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = cuda.device_array(shape, dtype=dtype)
            self._arrays[name] = array
            return array, True
        return array, False


def rows(a):
    """A (T, B, F) device buffer seen as (T·B, F) rows (``a`` must be a whole buffer)."""
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2])
