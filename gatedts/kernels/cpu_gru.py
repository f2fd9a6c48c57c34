"""GRU recurrence on the CPU: forward over a sequence and exact BPTT.

Gate order r, z, n as in PyTorch. With ``xp = x W_ihᵀ + b_ih`` computed for
all time steps beforehand (one GEMM, in ``gatedts.functional``)::

    r_t = σ(xp_r + W_hr h_{t-1} + b_hr)
    z_t = σ(xp_z + W_hz h_{t-1} + b_hz)
    n_t = tanh(xp_n + r_t ⊙ (W_hn h_{t-1} + b_hn))      reset_after=True  (PyTorch, cuDNN)
    n_t = tanh(xp_n + W_hn (r_t ⊙ h_{t-1}) + b_hn)      reset_after=False (Cho et al. 2014)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Buffers are time-major: ``xp`` (T, B, 3H), ``hs`` (T+1, B, H) with ``hs[0] = h0``,
``gates`` (T, B, 3H) holding r, z, n after their non-linearities, and ``hn``
(T, B, H) holding ``W_hn h_{t-1} + b_hn`` (reset_after) or ``r_t ⊙ h_{t-1}``
(Cho), the one extra quantity each form needs for its backward pass.
Only ``h W_hhᵀ`` is computed inside the time loop.
"""

import math

import numpy as np
from numba import njit

from .cpu_common import sigmoid


@njit(cache=True)
def gru_forward(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn):
    """Run the recurrence, filling ``hs``, ``gates`` and ``hn`` in place."""
    n_steps, batch, _ = xp.shape
    H = h0.shape[1]
    dtype = xp.dtype
    hs[0] = h0
    # Recurrent pre-activations: all three gates at once (reset_after), or r, z
    # first and n after r is known (Cho).
    hh = np.empty((batch, 3 * H if reset_after else 2 * H), dtype=dtype)
    hh_n = np.empty((batch, H), dtype=dtype)
    w_rz = w_hh[: 2 * H]
    w_n = w_hh[2 * H :]
    for t in range(n_steps):
        h = hs[t]
        np.dot(h, (w_hh if reset_after else w_rz).T, hh)
        for b in range(batch):
            for j in range(2 * H):
                gates[t, b, j] = sigmoid(xp[t, b, j] + hh[b, j] + b_hh[j])
        if reset_after:
            for b in range(batch):
                for j in range(H):
                    hn[t, b, j] = hh[b, 2 * H + j] + b_hh[2 * H + j]
        else:
            for b in range(batch):
                for j in range(H):
                    hn[t, b, j] = gates[t, b, j] * h[b, j]
            np.dot(hn[t], w_n.T, hh_n)
        for b in range(batch):
            for j in range(H):
                r = gates[t, b, j]
                z = gates[t, b, H + j]
                if reset_after:
                    a_n = xp[t, b, 2 * H + j] + r * hn[t, b, j]
                else:
                    a_n = xp[t, b, 2 * H + j] + hh_n[b, j] + b_hh[2 * H + j]
                n = math.tanh(a_n)
                gates[t, b, 2 * H + j] = n
                hs[t + 1, b, j] = (1.0 - z) * n + z * h[b, j]


@njit(cache=True)
def gru_backward(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhn, dh0, dh_total):
    """Exact BPTT through the recurrence.

    ``dhs`` (T, B, H) is dL/dh_t from outside the layer (the head, or the layer
    above). Fills ``dxp`` (T, B, 3H) = dL/dxp, ``dhn`` (T, B, H) = dL/d(the
    recurrent n term, ``W_hn h + b_hn`` or ``W_hn (r ⊙ h) + b_hn``), ``dh0``
    (B, H) and ``dh_total`` (T, B, H) = the full dL/dh_t, including the path
    through later steps.
    """
    n_steps, batch, H = dhs.shape
    dtype = dhs.dtype
    dh_next = np.zeros((batch, H), dtype=dtype)
    da_rz = np.empty((batch, 2 * H), dtype=dtype)
    da_n = np.empty((batch, H), dtype=dtype)
    d_rec = np.empty((batch, H), dtype=dtype)  # via W_hn: dL/dh (reset_after) or dL/d(r ⊙ h)
    d_rz = np.empty((batch, H), dtype=dtype)
    w_rz = w_hh[: 2 * H]
    w_n = w_hh[2 * H :]
    for t in range(n_steps - 1, -1, -1):
        h = hs[t]
        for b in range(batch):
            for j in range(H):
                dh = dhs[t, b, j] + dh_next[b, j]
                dh_total[t, b, j] = dh
                z = gates[t, b, H + j]
                n = gates[t, b, 2 * H + j]
                da_n[b, j] = dh * (1.0 - z) * (1.0 - n * n)
                da_rz[b, H + j] = dh * (h[b, j] - n) * z * (1.0 - z)
                dh_next[b, j] = dh * z
        if reset_after:
            for b in range(batch):
                for j in range(H):
                    r = gates[t, b, j]
                    da_rz[b, j] = da_n[b, j] * hn[t, b, j] * r * (1.0 - r)
                    dhn[t, b, j] = da_n[b, j] * r
            np.dot(dhn[t], w_n, d_rec)
            for b in range(batch):
                for j in range(H):
                    dh_next[b, j] += d_rec[b, j]
        else:
            np.dot(da_n, w_n, d_rec)
            for b in range(batch):
                for j in range(H):
                    r = gates[t, b, j]
                    da_rz[b, j] = d_rec[b, j] * h[b, j] * r * (1.0 - r)
                    dhn[t, b, j] = da_n[b, j]
                    dh_next[b, j] += d_rec[b, j] * r
        np.dot(da_rz, w_rz, d_rz)
        for b in range(batch):
            for j in range(2 * H):
                dxp[t, b, j] = da_rz[b, j]
            for j in range(H):
                dxp[t, b, 2 * H + j] = da_n[b, j]
                dh_next[b, j] += d_rz[b, j]
    dh0[:] = dh_next
