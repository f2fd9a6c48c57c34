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
(Cho), the one extra quantity each form needs for its backward pass. A row
of ``xp``, ``gates``, ``b_hh`` or ``h W_hhᵀ`` holds the three gates side by
side, [r | z | n], so the kernels index it by the gate offsets ``R, Z, N =
0, H, 2H``: unit ``j`` of gate n is ``act[N + j]``. Going
back, ``dxp`` is dL/dxp and ``dhp`` dL/d(the recurrent pre-activation ``W_hh h
+ b_hh``, or for Cho's n gate ``W_hn (r ⊙ h) + b_hn``); in Cho's form the two
are equal and the caller may pass one array for both.

The batch is cut into fixed chunks of rows (``batch_chunks``) that run their
whole time loop independently, in parallel; chunking depends only on the
batch size, so results are bit-identical for any number of threads. Within a
chunk only ``h W_hhᵀ`` (``cpu_common.matmul``) is done inside the time loop
(going back, also the chunk's share of the ``W_hh`` gradient, summed over
the chunks afterwards in chunk order), and the gate arithmetic runs in loops
over contiguous rows that compile to SIMD code. Each of those loops writes
every array at one position per iteration and reads arrays it writes only at
that position: LLVM cannot rule out overlap between, say, ``act[R + j]`` and
``act[N + j]`` for an unknown ``H`` and would otherwise leave the loop scalar.
Hence one loop per equation, with small scratch rows where an equation needs
another's result.

Arguments that travel together go as one tuple, unpacked by name on a
kernel's first lines: the step's ``weights`` (``w_rec, w_n, b_hh``), the
forward pass's ``outputs`` (``hs, gates, hn``, which the backward pass takes
back as ``saved``), the gradient buffers ``grads`` (``dxp, dhp, dh0,
dh_total``), a chunk's ``partials`` of the ``W_hh`` and ``b_hh`` gradients
(``dw_t, db``) and its ``row_range`` (``lo, hi``, int64 from every caller, so
each kernel compiles once per dtype).

The pure-numpy twins these kernels are tested against are
``tests/reference.py``'s ``gru_step`` and ``gru_step_back``.
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
def _gru_forward_rows(xp, weights, h0, reset_after, outputs, row_range):
    # weights: the transposed recurrent blocks and b_hh (see gru_forward); outputs:
    # the buffers the step fills; row_range: the batch rows [lo, hi) of this chunk
    w_rec, w_n, b_hh = weights
    hs, gates, hn = outputs
    lo, hi = row_range
    n_steps = xp.shape[0]
    H = h0.shape[1]
    R, Z, N = 0, H, 2 * H  # gate offsets in a row of xp, rec, b_hh and gates
    rec = np.empty((hi - lo, w_rec.shape[1]), dtype=xp.dtype)  # h W_hhᵀ of this step
    rec_n = np.empty((hi - lo, H), dtype=xp.dtype)  # Cho: (r ⊙ h) W_hnᵀ
    r = np.empty(H, dtype=xp.dtype)  # so that the n loop reads r from another array
    h_new = np.empty(H, dtype=xp.dtype)
    copy_rows(h0[lo:hi], hs[0, lo:hi])
    for t in range(n_steps):
        matmul(hs[t, lo:hi], w_rec, rec)
        for b in range(hi - lo):
            x, a, act = xp[t, lo + b], rec[b], gates[t, lo + b]
            h, hn_row = hs[t, lo + b], hn[t, lo + b]
            for j in range(H):
                r[j] = sigmoid(x[R + j] + a[R + j] + b_hh[R + j])
            for j in range(H):
                act[R + j] = r[j]
            for j in range(H):
                act[Z + j] = sigmoid(x[Z + j] + a[Z + j] + b_hh[Z + j])
            if reset_after:
                for j in range(H):  # W_hn h + b_hn
                    hn_row[j] = a[N + j] + b_hh[N + j]
                for j in range(H):
                    act[N + j] = tanh(x[N + j] + r[j] * hn_row[j])
            else:
                for j in range(H):  # r ⊙ h, which W_hn multiplies below
                    hn_row[j] = r[j] * h[j]
        if not reset_after:
            matmul(hn[t, lo:hi], w_n, rec_n)
            for b in range(hi - lo):
                x, a, act = xp[t, lo + b], rec_n[b], gates[t, lo + b]
                for j in range(H):
                    act[N + j] = tanh(x[N + j] + a[j] + b_hh[N + j])
        for b in range(hi - lo):
            act, h, out = gates[t, lo + b], hs[t, lo + b], hs[t + 1, lo + b]
            for j in range(H):  # h_t = (1 − z) n + z h_{t-1}
                h_new[j] = act[N + j] + act[Z + j] * (h[j] - act[N + j])
            for j in range(H):
                out[j] = h_new[j]


def gru_forward(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn):
    """Run the recurrence, filling ``hs``, ``gates`` and ``hn`` in place.

    ``tests/reference.py::gru_step`` for every step, as ``reference.forward``
    loops it. A plain function that picks the compiled kernel: a batch of one
    chunk runs in this thread and never compiles the parallel one (see
    ``batch_chunks``).
    """
    H = h0.shape[1]
    # Transposed copies, so the step's product reads weights row by row.
    w_rec = np.ascontiguousarray((w_hh if reset_after else w_hh[: 2 * H]).T)
    w_n = np.ascontiguousarray(w_hh[2 * H :].T)
    weights, outputs = (w_rec, w_n, b_hh), (hs, gates, hn)
    bounds = batch_chunks(h0.shape[0])
    if len(bounds) == 2:
        _gru_forward_rows(xp, weights, h0, reset_after, outputs, (0, bounds[1]))
    else:
        _gru_forward_chunks(xp, weights, h0, reset_after, outputs, bounds)


@njit(parallel=True, **KERNEL_OPTIONS)
def _gru_forward_chunks(xp, weights, h0, reset_after, outputs, bounds):
    for c in prange(len(bounds) - 1):
        _gru_forward_rows(xp, weights, h0, reset_after, outputs, (bounds[c], bounds[c + 1]))


@njit(**KERNEL_OPTIONS)
def _gru_backward_rows(w_hh, reset_after, saved, dhs, grads, partials, row_range):
    # saved: the forward pass's buffers; grads: the gradient buffers gru_backward
    # fills; partials: this chunk's share of the W_hh and b_hh gradients
    hs, gates, hn = saved
    dxp, dhp, dh0, dh_total = grads
    dw_t, db = partials
    lo, hi = row_range
    n_steps, _, H = dhs.shape
    R, Z, N = 0, H, 2 * H  # gate offsets in a row of gates, dxp, dhp and w_hh
    nb = hi - lo
    one = dhs.dtype.type(1.0)
    dh_next = np.zeros((nb, H), dtype=dhs.dtype)  # dL/dh_{t-1} through step t
    d_rec = np.empty((nb, H), dtype=dhs.dtype)  # (d recurrent pre-activation) W_hh
    d_rh = np.empty((nb, H), dtype=dhs.dtype)  # Cho: dL/d(r ⊙ h)
    w_rz = w_hh[:N]
    w_n = w_hh[N:]
    for t in range(n_steps - 1, -1, -1):
        for b in range(nb):
            act, h, hn_row = gates[t, lo + b], hs[t, lo + b], hn[t, lo + b]
            d_out, dh, dnext = dhs[t, lo + b], dh_total[t, lo + b], dh_next[b]
            dx, dp = dxp[t, lo + b], dhp[t, lo + b]
            for j in range(H):
                dh[j] = flush_tiny(d_out[j] + dnext[j])
            for j in range(H):  # da_n = dh (1 − z) tanh'(a_n)
                dx[N + j] = flush_tiny(dh[j] * (one - act[Z + j]) * dtanh(act[N + j]))
            for j in range(H):  # da_z = dh (h − n) σ'(a_z)
                dx[Z + j] = flush_tiny(dh[j] * (h[j] - act[N + j]) * dsigmoid(act[Z + j]))
            for j in range(H):
                dnext[j] = dh[j] * act[Z + j]
            if reset_after:  # a_n = xp_n + r ⊙ hn, hn = W_hn h + b_hn
                for j in range(H):  # da_r = da_n hn σ'(a_r)
                    dx[R + j] = flush_tiny(dx[N + j] * hn_row[j] * dsigmoid(act[R + j]))
                for j in range(H):
                    dp[R + j] = dx[R + j]
                for j in range(H):
                    dp[Z + j] = dx[Z + j]
                for j in range(H):  # d_hn = da_n r
                    dp[N + j] = flush_tiny(dx[N + j] * act[R + j])
        if reset_after:
            matmul(dhp[t, lo:hi], w_hh, d_rec)
            accumulate_linear_grads(dhp[t, lo:hi], hs[t, lo:hi], dw_t, db)
        else:  # a_n = xp_n + W_hn (r ⊙ h) + b_hn
            matmul(dxp[t, lo:hi, N:], w_n, d_rh)
            for b in range(nb):
                act, h, dx = gates[t, lo + b], hs[t, lo + b], dxp[t, lo + b]
                drh, dnext = d_rh[b], dh_next[b]
                for j in range(H):  # da_r = dL/d(r ⊙ h) h σ'(a_r)
                    dx[R + j] = flush_tiny(drh[j] * h[j] * dsigmoid(act[R + j]))
                for j in range(H):
                    dnext[j] += drh[j] * act[R + j]
            matmul(dxp[t, lo:hi, :N], w_rz, d_rec)
            for b in range(nb):
                dx, dp = dxp[t, lo + b], dhp[t, lo + b]
                for j in range(3 * H):  # a no-op when the caller passed dhp = dxp
                    dp[j] = dx[j]
            # r and z saw h_{t-1}, n saw r ⊙ h_{t-1}
            accumulate_linear_grads(dxp[t, lo:hi, :N], hs[t, lo:hi], dw_t[:, :N], db[:N])
            accumulate_linear_grads(dxp[t, lo:hi, N:], hn[t, lo:hi], dw_t[:, N:], db[N:])
        for b in range(nb):
            dnext, drec = dh_next[b], d_rec[b]
            for j in range(H):
                dnext[j] += drec[j]
    copy_rows(dh_next, dh0[lo:hi])


def gru_backward(w_hh, reset_after, hs, gates, hn, dhs, grads):
    """Exact BPTT through the recurrence.

    ``tests/reference.py::gru_step_back`` for every step, last first, as
    ``reference.loss_and_grad`` loops it: ``dxp`` is its ``da_x`` = (da_r,
    da_z, da_n) and ``dhp`` (da_r, da_z, d_hn).

    ``dhs`` (T, B, H) is dL/dh_t from outside the layer (the head, or the layer
    above). ``grads`` = ``(dxp, dhp, dh0, dh_total)``, the buffers it fills:
    ``dxp`` and ``dhp`` (T, B, 3H) (see the module docstring), ``dh0`` (B, H)
    and ``dh_total`` (T, B, H) = the full dL/dh_t, including the path through
    later steps. Returns the gradients of ``W_hh`` and ``b_hh``
    (``common.sum_chunk_grads``). Picks the compiled kernel as ``gru_forward``
    does.
    """
    saved = (hs, gates, hn)
    batch, H = dhs.shape[1:]
    bounds = batch_chunks(batch)
    dw_t, db = chunk_grad_buffers(len(bounds) - 1, H, 3 * H, dhs.dtype)
    if len(bounds) == 2:
        _gru_backward_rows(w_hh, reset_after, saved, dhs, grads, (dw_t[0], db[0]), (0, bounds[1]))
    else:
        _gru_backward_chunks(w_hh, reset_after, saved, dhs, grads, (dw_t, db), bounds)
    return sum_chunk_grads(dw_t, db)


@njit(parallel=True, **KERNEL_OPTIONS)
def _gru_backward_chunks(w_hh, reset_after, saved, dhs, grads, chunk_partials, bounds):
    dw_t, db = chunk_partials  # every chunk's partial sums, (n_chunks, ...)
    for c in prange(len(bounds) - 1):
        _gru_backward_rows(w_hh, reset_after, saved, dhs, grads, (dw_t[c], db[c]),
                           (bounds[c], bounds[c + 1]))


@njit(**KERNEL_OPTIONS)
def gru_predict(x, layers, head_weight, head_bias, reset_after):
    """Inference in one serial call, for small batches.

    ``x`` (T, B, I), ``layers`` a tuple of (w_ihᵀ, w_rec, w_n, b_ih, b_hh)
    per layer, with the transposed, C-contiguous weights ``gru_forward``
    builds (``w_rec`` = ``w_hhᵀ``, or the r and z rows' in Cho's form, ``w_n``
    the n rows', unused and may be empty with ``reset_after``), which the
    caller keeps between calls (see
    ``lstm.lstm_predict``); zero initial states. Returns the head on the top
    layer's last state, (B, O): the prediction of
    ``tests/reference.py::forward``.
    """
    n_steps, batch, _ = x.shape
    # int64 like the first row training passes: a literal 0 would type as
    # Literal[int](0) and compile a second copy of the rows kernel
    first = np.int64(0)
    inputs = x.reshape(n_steps * batch, x.shape[2])  # (T·B, I): all steps' rows
    for k in range(len(layers)):
        w_in, w_rec, w_n, b_ih, b_hh = layers[k]
        H = w_rec.shape[0]
        xp = np.empty((n_steps, batch, 3 * H), dtype=x.dtype)
        project_rows(inputs, w_in, b_ih, xp.reshape(n_steps * batch, 3 * H))
        hs = np.empty((n_steps + 1, batch, H), dtype=x.dtype)
        outputs = (hs, np.empty_like(xp), np.empty((n_steps, batch, H), dtype=x.dtype))
        _gru_forward_rows(xp, (w_rec, w_n, b_hh), np.zeros((batch, H), dtype=x.dtype),
                          reset_after, outputs, (first, batch))
        inputs = hs.reshape((n_steps + 1) * batch, H)[batch:]
    return linear_head(inputs[(n_steps - 1) * batch:], head_weight, head_bias)
