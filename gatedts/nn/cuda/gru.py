"""GRU recurrence on a CUDA device: the twin of :mod:`gatedts.nn.cpu.gru`.

Same equations (gate order r, z, n; ``xp = x W_ihᵀ + b_ih`` precomputed)::

    r_t = σ(xp_r + W_hr h_{t-1} + b_hr)
    z_t = σ(xp_z + W_hz h_{t-1} + b_hz)
    n_t = tanh(xp_n + r_t ⊙ (W_hn h_{t-1} + b_hn))      reset_after=True  (PyTorch, cuDNN)
    n_t = tanh(xp_n + W_hn (r_t ⊙ h_{t-1}) + b_hn)      reset_after=False (Cho et al. 2014)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

and the same time-major device buffers: ``xp``, ``gates`` (T, B, 3H), ``hs``
(T+1, B, H), ``hn`` (T, B, H) = ``W_hn h_{t-1} + b_hn`` (reset_after) or
``r_t ⊙ h_{t-1}`` (Cho); going back ``dxp`` = dL/dxp and ``dhp`` = dL/d(the
recurrent pre-activation), both (T, B, 3H) and equal in Cho's form. The
kernels index a row of these by the gate offsets ``R, Z, N = 0, H, 2H``.

One launch per layer-sequence (see :mod:`gatedts.nn.cuda.common`): a block owns ``rows``
batch rows and loops over time. Shared memory holds ``W_hhᵀ`` (forward) or
``W_hh`` (backward) when it fits, the block's hidden states in two ping-pong
buffers (forward), and the per-step gate gradients that feed ``dh_{t-1}``
(backward). A step is one phase (reset_after) or two (Cho: ``r ⊙ h`` must be
complete before ``W_hn`` is applied) forward, two (reset_after) or three
(Cho: ``dr`` needs ``W_hnᵀ dn``) backward, each closed by ``cuda.syncthreads()``.
"""

import functools

from numba import cuda

from . import common as cc


@functools.cache
def _kernels(dtype):
    m = cc.device_functions(dtype)
    sigmoid, tanh, dsigmoid, dtanh = m.sigmoid, m.tanh, m.dsigmoid, m.dtanh
    row_dot, preactivation, col_dot = m.row_dot, m.preactivation, m.col_dot
    backprop_hidden, nb_type, zero, one = m.backprop_hidden, m.nb_type, m.zero, m.one

    @cuda.jit
    def forward(xp, w_flat, b_hh, h0, reset_after, outputs, rows, w_in_shared):
        """The forward recurrence: ``tests/reference.py::gru_step`` for every step
        (as ``reference.forward`` loops it); CPU twin ``gatedts.nn.cpu.gru.gru_forward``.
        ``outputs`` = ``(hs, gates, hn)``, the buffers it fills."""
        hs, gates, hn = outputs
        n_steps, H = xp.shape[0], h0.shape[1]
        GH = 3 * H
        R, Z, N = 0, H, 2 * H  # gate offsets in a row of xp, gates, b_hh and W_hh
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, h0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hhᵀ (flat, if it fits), then per-row scratch
        wt, scratch = cc.stage_w_hh(w_flat, w_in_shared, True, H, smem, tid, n_threads)
        h_buf, rh = scratch[: 2 * rows * H], scratch[2 * rows * H : 3 * rows * H]
        cc.load_state(h0, h_buf, hs[0], lo, H, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps):
            cur, nxt = cc.ping_pong(t, rows, H)
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                h_off = cur + (p // H) * H  # h_{t-1} of batch row b in h_buf
                r = sigmoid(preactivation(xp, b_hh, wt, GH, t, b, R + j, h_buf, h_off))
                z = sigmoid(preactivation(xp, b_hh, wt, GH, t, b, Z + j, h_buf, h_off))
                gates[t, b, R + j] = r
                gates[t, b, Z + j] = z
                if reset_after:
                    hn_j = row_dot(wt, GH, N + j, h_buf, h_off) + b_hh[N + j]  # W_hn h + b_hn
                    n = tanh(xp[t, b, N + j] + r * hn_j)
                    gates[t, b, N + j] = n
                    hn[t, b, j] = hn_j
                    h_new = n + z * (h_buf[h_off + j] - n)  # (1 − z) n + z h_{t-1}
                    h_buf[nxt + p] = h_new
                    hs[t + 1, b, j] = h_new
                else:
                    rh[p] = r * h_buf[h_off + j]
                    hn[t, b, j] = rh[p]
            if not reset_after:  # W_hn (r ⊙ h) needs every unit's r ⊙ h of the row
                cuda.syncthreads()
                for p in range(tid, n_pairs, n_threads):
                    b, j = lo + p // H, p % H
                    h_off = cur + (p // H) * H
                    n = tanh(xp[t, b, N + j]
                             + row_dot(wt, GH, N + j, rh, (p // H) * H)
                             + b_hh[N + j])
                    z = gates[t, b, Z + j]
                    gates[t, b, N + j] = n
                    h_new = n + z * (h_buf[h_off + j] - n)  # (1 − z) n + z h_{t-1}
                    h_buf[nxt + p] = h_new
                    hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, reset_after, hs, gates, hn, dhs, grads, rows, w_in_shared):
        """Exact BPTT: ``tests/reference.py::gru_step_back`` for every step, last first
        (as ``reference.loss_and_grad`` loops it); CPU twin ``gatedts.nn.cpu.gru.gru_backward``.
        ``grads`` = ``(dxp, dhp, dh0, dh_total)``, the buffers it fills: ``dxp`` is the
        reference's ``da_x`` = (da_r, da_z, da_n), ``dhp`` (da_r, da_z, d_hn)."""
        dxp, dhp, dh0, dh_total = grads
        n_steps, H = dhs.shape[0], dhs.shape[2]
        GH = 3 * H
        R, Z, N = 0, H, 2 * H  # gate offsets in a row of dxp, dhp, gates and d_pre
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, dh0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hh (flat, if it fits), then per-row scratch
        ws, scratch = cc.stage_w_hh(w_flat, w_in_shared, False, H, smem, tid, n_threads)
        # per row: the gate gradients that reach h_{t-1}, then dL/dh_t carried back
        d_pre, dh_next = scratch[: rows * GH], scratch[rows * GH : rows * (GH + H)]
        cc.fill_pairs(dh_next, zero, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps - 1, -1, -1):
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                d_off = (p // H) * GH  # batch row b's gate gradients in d_pre
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                z, n = gates[t, b, Z + j], gates[t, b, N + j]
                da_n = dh * (one - z) * dtanh(n)
                da_z = dh * (hs[t, b, j] - n) * dsigmoid(z)
                dh_next[p] = dh * z
                dxp[t, b, Z + j] = da_z
                dxp[t, b, N + j] = da_n
                dhp[t, b, Z + j] = da_z
                d_pre[d_off + Z + j] = da_z
                if reset_after:  # a_n = xp_n + r ⊙ hn, hn = W_hn h + b_hn
                    r = gates[t, b, R + j]
                    da_r = da_n * hn[t, b, j] * dsigmoid(r)
                    d_hn = da_n * r
                    dxp[t, b, R + j] = da_r
                    dhp[t, b, R + j] = da_r
                    dhp[t, b, N + j] = d_hn
                    d_pre[d_off + R + j] = da_r
                    d_pre[d_off + N + j] = d_hn
                else:
                    dhp[t, b, N + j] = da_n
                    d_pre[d_off + N + j] = da_n
            cuda.syncthreads()
            if not reset_after:  # da_r needs dL/d(r ⊙ h) = W_hnᵀ da_n: every unit's da_n
                for p in range(tid, n_pairs, n_threads):
                    b, j = lo + p // H, p % H
                    d_off = (p // H) * GH
                    d_rh = col_dot(ws, H, N, N + H, j, d_pre, d_off)
                    r = gates[t, b, R + j]
                    da_r = d_rh * hs[t, b, j] * dsigmoid(r)
                    dxp[t, b, R + j] = da_r
                    dhp[t, b, R + j] = da_r
                    d_pre[d_off + R + j] = da_r
                    dh_next[p] += d_rh * r
                cuda.syncthreads()
            # dh_{t-1} += W_hhᵀ d_pre; in Cho's form over the r and z rows only
            # (W_hnᵀ da_n went through r above)
            backprop_hidden(ws, H, GH, GH if reset_after else N, d_pre, dh_next, True, n_pairs,
                            tid, n_threads)
            cuda.syncthreads()
        cc.store_pairs(dh_next, dh0, lo, H, n_pairs, tid, n_threads)

    return forward, backward


def gru_forward_cuda(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn):
    """Run the recurrence on device arrays, filling ``hs``, ``gates`` and ``hn``
    as ``gatedts.nn.cpu.gru.gru_forward`` does."""
    B, H = h0.shape
    launch = cc.recurrence_launch(B, H, 3 * H * H, 3 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, h0, bool(reset_after), (hs, gates, hn),
                                  launch.rows, launch.w_in_shared)


def gru_backward_cuda(w_hh, reset_after, hs, gates, hn, dhs, grads):
    """Exact BPTT on device arrays; fills ``grads`` = ``(dxp, dhp, dh0, dh_total)``
    as ``gatedts.nn.cpu.gru.gru_backward`` does (in Cho's form ``dhp`` may be
    ``dxp``: both hold the same values)."""
    B, H = dhs.shape[1:]
    launch = cc.recurrence_launch(B, H, 3 * H * H, 4 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, bool(reset_after), hs, gates, hn, dhs, grads,
                                   launch.rows, launch.w_in_shared)
