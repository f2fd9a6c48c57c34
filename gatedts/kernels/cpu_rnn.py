"""Elman tanh RNN on the CPU: the ungated baseline, forward and exact BPTT.

With ``xp = x W_ihᵀ + b_ih`` computed for all time steps beforehand::

    h_t = tanh(xp_t + W_hh h_{t-1} + b_hh)

Buffers are time-major: ``xp`` (T, B, H), ``hs`` (T+1, B, H) with ``hs[0] = h0``.
"""

import math

import numpy as np
from numba import njit


@njit(cache=True)
def rnn_forward(xp, w_hh, b_hh, h0, hs):
    """Run the recurrence, filling ``hs`` in place."""
    n_steps, batch, H = xp.shape
    hs[0] = h0
    hh = np.empty((batch, H), dtype=xp.dtype)
    for t in range(n_steps):
        np.dot(hs[t], w_hh.T, hh)
        for b in range(batch):
            for j in range(H):
                hs[t + 1, b, j] = math.tanh(xp[t, b, j] + hh[b, j] + b_hh[j])


@njit(cache=True)
def rnn_backward(w_hh, hs, dhs, da, dh0, dh_total):
    """Exact BPTT: fills ``da`` (T, B, H) = dL/d(pre-activation), ``dh0`` and
    ``dh_total`` (T, B, H), the full dL/dh_t."""
    n_steps, batch, H = dhs.shape
    dh_next = np.zeros((batch, H), dtype=dhs.dtype)
    for t in range(n_steps - 1, -1, -1):
        for b in range(batch):
            for j in range(H):
                dh = dhs[t, b, j] + dh_next[b, j]
                dh_total[t, b, j] = dh
                h = hs[t + 1, b, j]
                da[t, b, j] = dh * (1.0 - h * h)
        np.dot(da[t], w_hh, dh_next)
    dh0[:] = dh_next
