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

The batch is cut into fixed chunks of rows (``batch_chunks``) that run their
whole time loop independently, in parallel; chunking depends only on the
batch size, so results are bit-identical for any number of threads. Within a
chunk only ``h W_hhᵀ`` (one BLAS call per step) is done inside the time loop,
and the gate arithmetic runs in loops over contiguous rows that compile to
SIMD code.
"""

import numpy as np
from numba import njit, prange

from .cpu_common import KERNEL_OPTIONS, batch_chunks, sigmoid, tanh


@njit(**KERNEL_OPTIONS)
def _gru_forward_rows(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn, lo, hi):
    n_steps = xp.shape[0]
    H = h0.shape[1]
    hh = np.empty((hi - lo, 3 * H if reset_after else 2 * H), dtype=xp.dtype)
    hh_n = np.empty((hi - lo, H), dtype=xp.dtype)
    w_rz = w_hh[: 2 * H]
    w_n = w_hh[2 * H :]
    hs[0, lo:hi] = h0[lo:hi]
    for t in range(n_steps):
        np.dot(hs[t, lo:hi], (w_hh if reset_after else w_rz).T, hh)
        for b in range(hi - lo):
            x, rec, g, h = xp[t, lo + b], hh[b], gates[t, lo + b], hs[t, lo + b]
            extra, h_new = hn[t, lo + b], hs[t + 1, lo + b]
            if reset_after:
                for j in range(H):
                    r = sigmoid(x[j] + rec[j] + b_hh[j])
                    z = sigmoid(x[H + j] + rec[H + j] + b_hh[H + j])
                    a = rec[2 * H + j] + b_hh[2 * H + j]
                    n = tanh(x[2 * H + j] + r * a)
                    g[j] = r
                    g[H + j] = z
                    g[2 * H + j] = n
                    extra[j] = a
                    h_new[j] = n + z * (h[j] - n)
            else:
                for j in range(H):
                    r = sigmoid(x[j] + rec[j] + b_hh[j])
                    g[j] = r
                    g[H + j] = sigmoid(x[H + j] + rec[H + j] + b_hh[H + j])
                    extra[j] = r * h[j]
        if not reset_after:
            np.dot(hn[t, lo:hi], w_n.T, hh_n)
            for b in range(hi - lo):
                x, rec, g, h = xp[t, lo + b], hh_n[b], gates[t, lo + b], hs[t, lo + b]
                h_new = hs[t + 1, lo + b]
                for j in range(H):
                    n = tanh(x[2 * H + j] + rec[j] + b_hh[2 * H + j])
                    z = g[H + j]
                    g[2 * H + j] = n
                    h_new[j] = n + z * (h[j] - n)


@njit(parallel=True, **KERNEL_OPTIONS)
def gru_forward(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn):
    """Run the recurrence, filling ``hs``, ``gates`` and ``hn`` in place."""
    bounds = batch_chunks(h0.shape[0])
    if len(bounds) == 2:  # one chunk: skip the parallel region's start-up cost
        _gru_forward_rows(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn, 0, bounds[1])
        return
    for c in prange(len(bounds) - 1):
        _gru_forward_rows(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn,
                          bounds[c], bounds[c + 1])


@njit(**KERNEL_OPTIONS)
def _gru_backward_rows(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhn, dh0, dh_total, lo, hi):
    n_steps, _, H = dhs.shape
    nb = hi - lo
    dtype = dhs.dtype
    one = dtype.type(1.0)
    dh_next = np.zeros((nb, H), dtype=dtype)
    da_rz = np.empty((nb, 2 * H), dtype=dtype)
    da_n = np.empty((nb, H), dtype=dtype)
    d_rec = np.empty((nb, H), dtype=dtype)  # via W_hn: dL/dh (reset_after) or dL/d(r ⊙ h)
    d_rz = np.empty((nb, H), dtype=dtype)
    w_rz = w_hh[: 2 * H]
    w_n = w_hh[2 * H :]
    for t in range(n_steps - 1, -1, -1):
        for b in range(nb):
            g, h = gates[t, lo + b], hs[t, lo + b]
            d_out, d_tot = dhs[t, lo + b], dh_total[t, lo + b]
            dn, drz, dnext = da_n[b], da_rz[b], dh_next[b]
            for j in range(H):
                dh = d_out[j] + dnext[j]
                d_tot[j] = dh
                z = g[H + j]
                n = g[2 * H + j]
                dn[j] = dh * (one - z) * (one - n * n)
                drz[H + j] = dh * (h[j] - n) * z * (one - z)
                dnext[j] = dh * z
        if reset_after:
            for b in range(nb):
                g, extra, d_extra = gates[t, lo + b], hn[t, lo + b], dhn[t, lo + b]
                dn, drz = da_n[b], da_rz[b]
                for j in range(H):
                    r = g[j]
                    drz[j] = dn[j] * extra[j] * r * (one - r)
                    d_extra[j] = dn[j] * r
            np.dot(dhn[t, lo:hi], w_n, d_rec)
            for b in range(nb):
                dnext, drec = dh_next[b], d_rec[b]
                for j in range(H):
                    dnext[j] += drec[j]
        else:
            np.dot(da_n, w_n, d_rec)
            for b in range(nb):
                g, h, d_extra = gates[t, lo + b], hs[t, lo + b], dhn[t, lo + b]
                dn, drz, dnext, drec = da_n[b], da_rz[b], dh_next[b], d_rec[b]
                for j in range(H):
                    r = g[j]
                    drz[j] = drec[j] * h[j] * r * (one - r)
                    d_extra[j] = dn[j]
                    dnext[j] += drec[j] * r
        np.dot(da_rz, w_rz, d_rz)
        for b in range(nb):
            dx, drz, dn, dnext, d2 = dxp[t, lo + b], da_rz[b], da_n[b], dh_next[b], d_rz[b]
            for j in range(2 * H):
                dx[j] = drz[j]
            for j in range(H):
                dx[2 * H + j] = dn[j]
                dnext[j] += d2[j]
    dh0[lo:hi] = dh_next


@njit(parallel=True, **KERNEL_OPTIONS)
def gru_backward(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhn, dh0, dh_total):
    """Exact BPTT through the recurrence.

    ``dhs`` (T, B, H) is dL/dh_t from outside the layer (the head, or the layer
    above). Fills ``dxp`` (T, B, 3H) = dL/dxp, ``dhn`` (T, B, H) = dL/d(the
    recurrent n term, ``W_hn h + b_hn`` or ``W_hn (r ⊙ h) + b_hn``), ``dh0``
    (B, H) and ``dh_total`` (T, B, H) = the full dL/dh_t, including the path
    through later steps.
    """
    bounds = batch_chunks(dh0.shape[0])
    if len(bounds) == 2:
        _gru_backward_rows(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhn, dh0, dh_total,
                           0, bounds[1])
        return
    for c in prange(len(bounds) - 1):
        _gru_backward_rows(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhn, dh0, dh_total,
                           bounds[c], bounds[c + 1])
