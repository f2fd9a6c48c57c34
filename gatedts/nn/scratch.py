"""Reusable scratch arrays for the forward and backward passes.

A training step needs a few buffers of T·B·G·H values per layer. Fresh
allocations of that size come from new pages of memory, and touching them for
the first time cost ~1 ms of page faults per step at (B, T, H) = (64, 48, 64),
a fifth of the step. Batches of one fit share their shapes, so each
(role, shape, dtype) gets one array per thread, reused by the next call.

Nothing built from these arrays may leave gatedts without a copy: the next
call overwrites them.
"""

import threading

import numpy as np

_MAX_BUFFERS = 64  # distinct (role, shape, dtype) kept per thread; then start afresh
_local = threading.local()


def scratch(role, shape, dtype):
    """An uninitialised array for ``role`` (any hashable), reused across calls."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    key = (role, tuple(shape), np.dtype(dtype).str)
    array = buffers.get(key)
    if array is None:
        if len(buffers) >= _MAX_BUFFERS:
            buffers.clear()
        array = buffers[key] = np.empty(shape, dtype=dtype)
    return array
