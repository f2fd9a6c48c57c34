"""LSTM recurrence on the CPU: forward over a sequence and exact BPTT.

Gate order i, f, g, o as in PyTorch. With ``xp = x W_ihᵀ + b_ih`` computed for
all time steps beforehand and ``a = xp + W_hh h_{t-1} + b_hh``::

    i_t = σ(a_i + p_i ⊙ c_{t-1})        f_t = σ(a_f + p_f ⊙ c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(a_o + p_o ⊙ c_t)
    h_t = o_t ⊙ tanh(c_t)

The peephole terms (Gers & Schmidhuber 2000; diagonal weights ``peep`` of shape
(3, H) for i, f, o) are used only when ``peephole`` is true; PyTorch's
``nn.LSTM`` has none.

Buffers are time-major: ``xp`` (T, B, 4H), ``hs`` and ``cs`` (T+1, B, H) with
the initial states at index 0, ``gates`` (T, B, 4H) holding i, f, g, o after
their non-linearities. A row of ``xp``, ``gates``, ``b_hh``, ``h W_hhᵀ`` or
``da`` holds the four gates side by side, [i | f | g | o], so the kernels
index it by the gate offsets ``I, F, G, O = 0, H, 2H, 3H``: unit ``j`` of gate
g is ``act[G + j]`` (``act``, not ``g``, names a row of gate activations).
Parallel batch chunks, one small product per step, one SIMD loop per
equation and arguments grouped into tuples, as in ``gatedts.nn.cpu.gru``:
``weights`` (``w_rec, b_hh, peep``), ``outputs``/``saved`` (``hs, cs,
gates``), ``grads`` (``da, dh0, dc0, dh_total``), ``partials`` and
``row_range``.

The pure-numpy twins these kernels are tested against are
``tests/reference.py``'s ``lstm_step`` and ``lstm_step_back``.
"""

import numpy as np
from numba import njit, prange

from .common import (
    KERNEL_OPTIONS,
    accumulate_linear_grads,
    batch_chunks,
    chunk_grad_buffers,
    copy_rows,
    dsigmoid,
    dtanh,
    flush_tiny,
    linear_head,
    matmul,
    project_rows,
    sigmoid,
    sum_chunk_grads,
    tanh,
)


@njit(**KERNEL_OPTIONS)
def _lstm_forward_rows(xp, weights, peephole, h0, c0, outputs, row_range):
    # weights: W_hhᵀ, b_hh and the peepholes; outputs: the buffers the step fills;
    # row_range: the batch rows [lo, hi) of this chunk
    w_rec, b_hh, peep = weights
    hs, cs, gates = outputs
    lo, hi = row_range
    n_steps = xp.shape[0]
    H = h0.shape[1]
    I, F, G, O = 0, H, 2 * H, 3 * H  # gate offsets in a row of xp, rec, b_hh and gates  # noqa: E741
    zero = xp.dtype.type(0.0)
    rec = np.empty((hi - lo, 4 * H), dtype=xp.dtype)  # h W_hhᵀ of this step
    c = np.empty(H, dtype=xp.dtype)
    copy_rows(h0[lo:hi], hs[0, lo:hi])
    copy_rows(c0[lo:hi], cs[0, lo:hi])
    for t in range(n_steps):
        matmul(hs[t, lo:hi], w_rec, rec)
        for b in range(hi - lo):
            x, a, act = xp[t, lo + b], rec[b], gates[t, lo + b]
            c_prev, c_out, h_out = cs[t, lo + b], cs[t + 1, lo + b], hs[t + 1, lo + b]
            for j in range(H):  # i; peep rows are i, f, o
                p = peep[0, j] if peephole else zero
                act[I + j] = sigmoid(x[I + j] + a[I + j] + b_hh[I + j] + p * c_prev[j])
            for j in range(H):  # f
                p = peep[1, j] if peephole else zero
                act[F + j] = sigmoid(x[F + j] + a[F + j] + b_hh[F + j] + p * c_prev[j])
            for j in range(H):  # g
                act[G + j] = tanh(x[G + j] + a[G + j] + b_hh[G + j])
            for j in range(H):  # c_t = f c_{t-1} + i g
                c[j] = act[F + j] * c_prev[j] + act[I + j] * act[G + j]
            for j in range(H):
                c_out[j] = c[j]
            for j in range(H):  # o
                p = peep[2, j] if peephole else zero
                act[O + j] = sigmoid(x[O + j] + a[O + j] + b_hh[O + j] + p * c[j])
            for j in range(H):  # h_t = o tanh(c_t)
                h_out[j] = act[O + j] * tanh(c[j])


def lstm_forward(xp, w_hh, b_hh, peep, peephole, h0, c0, hs, cs, gates):
    """Run the recurrence, filling ``hs``, ``cs`` and ``gates`` in place.

    ``tests/reference.py::lstm_step`` for every step, as ``reference.forward``
    loops it. Picks the compiled kernel as ``gru.gru_forward`` does.
    """
    w_rec = np.ascontiguousarray(w_hh.T)  # the step's product reads it row by row
    weights, outputs = (w_rec, b_hh, peep), (hs, cs, gates)
    bounds = batch_chunks(h0.shape[0])
    if len(bounds) == 2:
        _lstm_forward_rows(xp, weights, peephole, h0, c0, outputs, (0, bounds[1]))
    else:
        _lstm_forward_chunks(xp, weights, peephole, h0, c0, outputs, bounds)


@njit(parallel=True, **KERNEL_OPTIONS)
def _lstm_forward_chunks(xp, weights, peephole, h0, c0, outputs, bounds):
    for c in prange(len(bounds) - 1):
        _lstm_forward_rows(xp, weights, peephole, h0, c0, outputs, (bounds[c], bounds[c + 1]))


@njit(**KERNEL_OPTIONS)
def _lstm_backward_rows(w_hh, peep, peephole, saved, dhs, dc_last, grads, partials, row_range):
    # saved: the forward pass's buffers; grads: the gradient buffers lstm_backward
    # fills; partials: this chunk's share of the W_hh and b_hh gradients
    hs, cs, gates = saved
    da, dh0, dc0, dh_total = grads
    dw_t, db = partials
    lo, hi = row_range
    n_steps, _, H = dhs.shape
    I, F, G, O = 0, H, 2 * H, 3 * H  # gate offsets in a row of gates and da  # noqa: E741
    nb = hi - lo
    dtype = dhs.dtype
    zero = dtype.type(0.0)
    dh_next = np.zeros((nb, H), dtype=dtype)  # dL/dh_{t-1} through step t
    dc_next = np.empty((nb, H), dtype=dtype)  # dL/dc_t, then dL/dc_{t-1}
    copy_rows(dc_last[lo:hi], dc_next)  # dL/dc_T from outside the layer (usually 0)
    tc = np.empty(H, dtype=dtype)  # tanh(c_t)
    for t in range(n_steps - 1, -1, -1):
        for b in range(nb):
            act, d = gates[t, lo + b], da[t, lo + b]  # d: dL/d(pre-activations) of the row
            c_prev, c_new = cs[t, lo + b], cs[t + 1, lo + b]
            d_out, dh, dnext, dc = dhs[t, lo + b], dh_total[t, lo + b], dh_next[b], dc_next[b]
            for j in range(H):
                dh[j] = flush_tiny(d_out[j] + dnext[j])
            for j in range(H):
                tc[j] = tanh(c_new[j])
            for j in range(H):  # da_o = dh tanh(c_t) σ'(a_o)
                d[O + j] = flush_tiny(dh[j] * tc[j] * dsigmoid(act[O + j]))
            for j in range(H):  # dc += dh o tanh'(c_t) + da_o p_o
                p = peep[2, j] if peephole else zero
                dc[j] += (dh[j] * act[O + j] * dtanh(tc[j])
                          + dh[j] * tc[j] * dsigmoid(act[O + j]) * p)
            for j in range(H):  # da_i = dc g σ'(a_i)
                d[I + j] = flush_tiny(dc[j] * act[G + j] * dsigmoid(act[I + j]))
            for j in range(H):  # da_f = dc c_{t-1} σ'(a_f)
                d[F + j] = flush_tiny(dc[j] * c_prev[j] * dsigmoid(act[F + j]))
            for j in range(H):  # da_g = dc i tanh'(a_g)
                d[G + j] = flush_tiny(dc[j] * act[I + j] * dtanh(act[G + j]))
            for j in range(H):  # dc_{t-1} = dc f + da_i p_i + da_f p_f
                p_i = peep[0, j] if peephole else zero
                p_f = peep[1, j] if peephole else zero
                dc[j] = flush_tiny(dc[j] * (act[F + j]
                                            + p_i * act[G + j] * dsigmoid(act[I + j])
                                            + p_f * c_prev[j] * dsigmoid(act[F + j])))
        matmul(da[t, lo:hi], w_hh, dh_next)
        accumulate_linear_grads(da[t, lo:hi], hs[t, lo:hi], dw_t, db)
    copy_rows(dh_next, dh0[lo:hi])
    copy_rows(dc_next, dc0[lo:hi])


def lstm_backward(w_hh, peep, peephole, hs, cs, gates, dhs, grads, dc_last=None):
    """Exact BPTT through the recurrence.

    ``tests/reference.py::lstm_step_back`` for every step, last first, as
    ``reference.loss_and_grad`` loops it: ``da`` is its (da_i, da_f, da_g,
    da_o).

    ``dhs`` (T, B, H) is dL/dh_t from outside the layer. ``grads`` = ``(da,
    dh0, dc0, dh_total)``, the buffers it fills: ``da`` (T, B, 4H) =
    dL/d(gate pre-activations), which is both dL/dxp and dL/d(W_hh h + b_hh)
    (the peephole gradient follows from it: Σ da_i ⊙ c_{t-1}, Σ da_f ⊙ c_{t-1},
    Σ da_o ⊙ c_t); ``dh0``, ``dc0`` (B, H); and ``dh_total`` (T, B, H), the full
    dL/dh_t including the path through later steps. ``dc_last`` (B, H), zeros
    when None, is dL/dc_T from outside the layer: the gradient on the final cell
    state, when that state goes on to initialise another layer (a decoder's).
    ``hs`` (T+1, B, H) are the forward pass's hidden states. Returns the
    gradients of ``W_hh`` and ``b_hh`` (``common.sum_chunk_grads``). Picks the
    compiled kernel as ``gru.gru_forward`` does.
    """
    batch, H = dhs.shape[1:]
    if dc_last is None:
        dc_last = np.zeros((batch, H), dtype=dhs.dtype)
    saved = (hs, cs, gates)
    bounds = batch_chunks(batch)
    dw_t, db = chunk_grad_buffers(len(bounds) - 1, H, 4 * H, dhs.dtype)
    if len(bounds) == 2:
        _lstm_backward_rows(w_hh, peep, peephole, saved, dhs, dc_last, grads, (dw_t[0], db[0]),
                            (0, bounds[1]))
    else:
        _lstm_backward_chunks(w_hh, peep, peephole, saved, dhs, dc_last, grads, (dw_t, db),
                              bounds)
    return sum_chunk_grads(dw_t, db)


@njit(parallel=True, **KERNEL_OPTIONS)
def _lstm_backward_chunks(w_hh, peep, peephole, saved, dhs, dc_last, grads, chunk_partials,
                          bounds):
    dw_t, db = chunk_partials  # every chunk's partial sums, (n_chunks, ...)
    for c in prange(len(bounds) - 1):
        _lstm_backward_rows(w_hh, peep, peephole, saved, dhs, dc_last, grads, (dw_t[c], db[c]),
                            (bounds[c], bounds[c + 1]))


@njit(**KERNEL_OPTIONS)
def lstm_predict(x, layers, head_weight, head_bias, peephole):
    """Inference in one serial call, for small batches.

    ``x`` (T, B, I), ``layers`` a tuple of (w_ihᵀ, w_hhᵀ, b_ih, b_hh, peep) per
    layer, the weights transposed and C-contiguous (the caller keeps them
    between calls: transposing a large matrix costs more than many steps),
    zero initial states. Returns the head on the top layer's last state,
    (B, O): the prediction of ``tests/reference.py::forward``.
    """
    n_steps, batch, _ = x.shape
    # int64 like the first row training passes: a literal 0 would type as
    # Literal[int](0) and compile a second copy of the rows kernel
    first = np.int64(0)
    inputs = x.reshape(n_steps * batch, x.shape[2])  # (T·B, I): all steps' rows
    for k in range(len(layers)):
        w_in, w_rec, b_ih, b_hh, peep = layers[k]
        H = w_rec.shape[0]
        xp = np.empty((n_steps, batch, 4 * H), dtype=x.dtype)
        project_rows(inputs, w_in, b_ih, xp.reshape(n_steps * batch, 4 * H))
        hs = np.empty((n_steps + 1, batch, H), dtype=x.dtype)
        zeros = np.zeros((batch, H), dtype=x.dtype)
        _lstm_forward_rows(xp, (w_rec, b_hh, peep), peephole, zeros, zeros,
                           (hs, np.empty_like(hs), np.empty_like(xp)), (first, batch))
        inputs = hs.reshape((n_steps + 1) * batch, H)[batch:]
    return linear_head(inputs[(n_steps - 1) * batch:], head_weight, head_bias)
