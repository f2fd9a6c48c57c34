"""Elman tanh RNN on the CPU: the ungated baseline, forward and exact BPTT.

With ``xp = x W_ihᵀ + b_ih`` computed for all time steps beforehand::

    h_t = tanh(xp_t + W_hh h_{t-1} + b_hh)

Buffers are time-major: ``xp`` (T, B, H), ``hs`` (T+1, B, H) with ``hs[0] = h0``.
Parallel batch chunks, one small product per step and SIMD loops, as in
``gatedts.nn.cpu.gru``.

The pure-numpy twins these kernels are tested against are
``tests/reference.py``'s ``rnn_step`` and ``rnn_step_back``.
"""

import numpy as np
from numba import njit, prange

from .common import (
    KERNEL_OPTIONS,
    accumulate_linear_grads,
    batch_chunks,
    chunk_grad_buffers,
    copy_rows,
    dtanh,
    flush_tiny,
    linear_head,
    matmul,
    project_rows,
    sum_chunk_grads,
    tanh,
)


@njit(**KERNEL_OPTIONS)
def _rnn_forward_rows(xp, w_rec, b_hh, h0, hs, lo, hi):
    n_steps, _, H = xp.shape
    hh = np.empty((hi - lo, H), dtype=xp.dtype)
    copy_rows(h0[lo:hi], hs[0, lo:hi])
    for t in range(n_steps):
        matmul(hs[t, lo:hi], w_rec, hh)
        for b in range(hi - lo):
            x, rec, h_new = xp[t, lo + b], hh[b], hs[t + 1, lo + b]
            for j in range(H):
                h_new[j] = tanh(x[j] + rec[j] + b_hh[j])


def rnn_forward(xp, w_hh, b_hh, h0, hs):
    """Run the recurrence, filling ``hs`` in place.

    ``tests/reference.py::rnn_step`` for every step, as ``reference.forward``
    loops it. Picks the compiled kernel as ``gru.gru_forward`` does.
    """
    w_rec = np.ascontiguousarray(w_hh.T)  # the step's product reads it row by row
    bounds = batch_chunks(h0.shape[0])
    if len(bounds) == 2:
        _rnn_forward_rows(xp, w_rec, b_hh, h0, hs, 0, bounds[1])
    else:
        _rnn_forward_chunks(xp, w_rec, b_hh, h0, hs, bounds)


@njit(parallel=True, **KERNEL_OPTIONS)
def _rnn_forward_chunks(xp, w_rec, b_hh, h0, hs, bounds):
    for c in prange(len(bounds) - 1):
        _rnn_forward_rows(xp, w_rec, b_hh, h0, hs, bounds[c], bounds[c + 1])


@njit(**KERNEL_OPTIONS)
def _rnn_backward_rows(w_hh, hs, dhs, da, dh0, dh_total, dw_t, db, lo, hi):
    n_steps, _, H = dhs.shape
    dh_next = np.zeros((hi - lo, H), dtype=dhs.dtype)
    for t in range(n_steps - 1, -1, -1):
        for b in range(hi - lo):
            d_out, dh, d = dhs[t, lo + b], dh_total[t, lo + b], da[t, lo + b]
            h, dnext = hs[t + 1, lo + b], dh_next[b]
            for j in range(H):
                dh[j] = flush_tiny(d_out[j] + dnext[j])
            for j in range(H):  # da = dh tanh'(a)
                d[j] = flush_tiny(dh[j] * dtanh(h[j]))
        matmul(da[t, lo:hi], w_hh, dh_next)
        accumulate_linear_grads(da[t, lo:hi], hs[t, lo:hi], dw_t, db)
    copy_rows(dh_next, dh0[lo:hi])


def rnn_backward(w_hh, hs, dhs, da, dh0, dh_total):
    """Exact BPTT: fills ``da`` (T, B, H) = dL/d(pre-activation), ``dh0`` and
    ``dh_total`` (T, B, H), the full dL/dh_t, and returns the gradients of
    ``W_hh`` and ``b_hh`` (``sum_chunk_grads``).

    ``tests/reference.py::rnn_step_back`` for every step, last first, as
    ``reference.loss_and_grad`` loops it: ``da`` is its ``da``. Picks the
    compiled kernel as ``gru.gru_forward`` does.
    """
    bounds = batch_chunks(dh0.shape[0])
    H = dh0.shape[1]
    dw_t, db = chunk_grad_buffers(len(bounds) - 1, H, H, dh0.dtype)
    if len(bounds) == 2:
        _rnn_backward_rows(w_hh, hs, dhs, da, dh0, dh_total, dw_t[0], db[0], 0, bounds[1])
    else:
        _rnn_backward_chunks(w_hh, hs, dhs, da, dh0, dh_total, dw_t, db, bounds)
    return sum_chunk_grads(dw_t, db)


@njit(parallel=True, **KERNEL_OPTIONS)
def _rnn_backward_chunks(w_hh, hs, dhs, da, dh0, dh_total, dw_t, db, bounds):
    for c in prange(len(bounds) - 1):
        _rnn_backward_rows(w_hh, hs, dhs, da, dh0, dh_total, dw_t[c], db[c], bounds[c],
                           bounds[c + 1])


@njit(**KERNEL_OPTIONS)
def rnn_predict(x, layers, head_weight, head_bias):
    """Inference in one serial call, for small batches.

    ``x`` (T, B, I), ``layers`` a tuple of (w_ihᵀ, w_hhᵀ, b_ih, b_hh) per
    layer, the weights transposed and C-contiguous (see
    ``lstm.lstm_predict``), zero initial states. Returns the head on the top
    layer's last state, (B, O): the prediction of
    ``tests/reference.py::forward``.
    """
    n_steps, batch, _ = x.shape
    # int64 like the first row training passes: a literal 0 would type as
    # Literal[int](0) and compile a second copy of the rows kernel
    first = np.int64(0)
    inputs = x.reshape(n_steps * batch, x.shape[2])  # (T·B, I): all steps' rows
    for k in range(len(layers)):
        w_in, w_rec, b_ih, b_hh = layers[k]
        H = w_rec.shape[0]
        xp = np.empty((n_steps, batch, H), dtype=x.dtype)
        project_rows(inputs, w_in, b_ih, xp.reshape(n_steps * batch, H))
        hs = np.empty((n_steps + 1, batch, H), dtype=x.dtype)
        _rnn_forward_rows(xp, w_rec, b_hh, np.zeros((batch, H), dtype=x.dtype), hs, first,
                          batch)
        inputs = hs.reshape((n_steps + 1) * batch, H)[batch:]
    return linear_head(inputs[(n_steps - 1) * batch:], head_weight, head_bias)
