"""GRU recurrence on a CUDA device: the twin of ``cpu_gru``.

Same equations (gate order r, z, n; ``xp = x W_ihᵀ + b_ih`` precomputed)::

    r_t = σ(xp_r + W_hr h_{t-1} + b_hr)
    z_t = σ(xp_z + W_hz h_{t-1} + b_hz)
    n_t = tanh(xp_n + r_t ⊙ (W_hn h_{t-1} + b_hn))      reset_after=True  (PyTorch, cuDNN)
    n_t = tanh(xp_n + W_hn (r_t ⊙ h_{t-1}) + b_hn)      reset_after=False (Cho et al. 2014)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

and the same time-major device buffers: ``xp``, ``gates`` (T, B, 3H), ``hs``
(T+1, B, H), ``hn`` (T, B, H) = ``W_hn h_{t-1} + b_hn`` (reset_after) or
``r_t ⊙ h_{t-1}`` (Cho); going back ``dxp`` = dL/dxp and ``dhp`` = dL/d(the
recurrent pre-activation), both (T, B, 3H) and equal in Cho's form.

One launch per layer-sequence (see ``cuda_common``): a block owns ``rows``
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
    sigmoid, tanh, row_dot, col_dot = m.sigmoid, m.tanh, m.row_dot, m.col_dot
    backprop_hidden, nb_type, zero, one = m.backprop_hidden, m.nb_type, m.zero, m.one

    @cuda.jit
    def forward(xp, w_flat, b_hh, h0, reset_after, hs, gates, hn, rows, w_in_shared):
        n_steps, H = xp.shape[0], h0.shape[1]
        GH = 3 * H
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
                off = cur + (p // H) * H
                r = sigmoid(xp[t, b, j] + row_dot(wt, GH, j, h_buf, off)
                            + b_hh[j])
                z = sigmoid(xp[t, b, H + j] + row_dot(wt, GH, H + j, h_buf, off)
                            + b_hh[H + j])
                gates[t, b, j] = r
                gates[t, b, H + j] = z
                if reset_after:
                    a = row_dot(wt, GH, 2 * H + j, h_buf, off) + b_hh[2 * H + j]
                    n = tanh(xp[t, b, 2 * H + j] + r * a)
                    gates[t, b, 2 * H + j] = n
                    hn[t, b, j] = a
                    h_new = n + z * (h_buf[off + j] - n)
                    h_buf[nxt + p] = h_new
                    hs[t + 1, b, j] = h_new
                else:
                    rh[p] = r * h_buf[off + j]
                    hn[t, b, j] = rh[p]
            if not reset_after:  # W_hn (r ⊙ h) needs every unit's r ⊙ h of the row
                cuda.syncthreads()
                for p in range(tid, n_pairs, n_threads):
                    b, j = lo + p // H, p % H
                    off = cur + (p // H) * H
                    n = tanh(xp[t, b, 2 * H + j]
                             + row_dot(wt, GH, 2 * H + j, rh, (p // H) * H)
                             + b_hh[2 * H + j])
                    z = gates[t, b, H + j]
                    gates[t, b, 2 * H + j] = n
                    h_new = n + z * (h_buf[off + j] - n)
                    h_buf[nxt + p] = h_new
                    hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, reset_after, hs, gates, hn, dhs, dxp, dhp, dh0, dh_total, rows,
                 w_in_shared):
        n_steps, H = dhs.shape[0], dhs.shape[2]
        GH = 3 * H
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
                off = (p // H) * GH
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                z, n = gates[t, b, H + j], gates[t, b, 2 * H + j]
                dn = dh * (one - z) * (one - n * n)
                dz = dh * (hs[t, b, j] - n) * z * (one - z)
                dh_next[p] = dh * z
                dxp[t, b, H + j] = dz
                dxp[t, b, 2 * H + j] = dn
                dhp[t, b, H + j] = dz
                d_pre[off + H + j] = dz
                if reset_after:  # a_n = xp_n + r ⊙ (W_hn h + b_hn)
                    r = gates[t, b, j]
                    dr = dn * hn[t, b, j] * r * (one - r)
                    dxp[t, b, j] = dr
                    dhp[t, b, j] = dr
                    dhp[t, b, 2 * H + j] = dn * r
                    d_pre[off + j] = dr
                    d_pre[off + 2 * H + j] = dn * r
                else:
                    dhp[t, b, 2 * H + j] = dn
                    d_pre[off + 2 * H + j] = dn
            cuda.syncthreads()
            if not reset_after:  # dr needs dL/d(r ⊙ h) = W_hnᵀ dn: every unit's dn
                for p in range(tid, n_pairs, n_threads):
                    b, k = lo + p // H, p % H
                    off = (p // H) * GH
                    d_rh = col_dot(ws, H, 2 * H, 3 * H, k, d_pre, off)
                    r = gates[t, b, k]
                    dr = d_rh * hs[t, b, k] * r * (one - r)
                    dxp[t, b, k] = dr
                    dhp[t, b, k] = dr
                    d_pre[off + k] = dr
                    dh_next[p] += d_rh * r
                cuda.syncthreads()
            # dh_{t-1} += W_hhᵀ d_pre (in Cho's form W_hnᵀ dn went through r above)
            backprop_hidden(ws, H, GH, GH if reset_after else 2 * H, d_pre, dh_next, True, n_pairs,
                            tid, n_threads)
            cuda.syncthreads()
        cc.store_pairs(dh_next, dh0, lo, H, n_pairs, tid, n_threads)

    return forward, backward


def gru_forward_cuda(xp, w_hh, b_hh, h0, reset_after, hs, gates, hn):
    """Run the recurrence on device arrays, filling ``hs``, ``gates`` and ``hn``."""
    B, H = h0.shape
    launch = cc.recurrence_launch(B, H, 3 * H * H, 3 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, h0, bool(reset_after), hs, gates, hn,
                                  launch.rows, launch.w_in_shared)


def gru_backward_cuda(w_hh, reset_after, hs, gates, hn, dhs, dxp, dhp, dh0, dh_total):
    """Exact BPTT on device arrays; fills ``dxp``, ``dhp`` (T, B, 3H), ``dh0`` and
    ``dh_total`` as ``cpu_gru.gru_backward`` does (in Cho's form ``dhp`` may be
    ``dxp``: both hold the same values)."""
    B, H = dh0.shape
    launch = cc.recurrence_launch(B, H, 3 * H * H, 4 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, bool(reset_after), hs, gates, hn, dhs, dxp, dhp, dh0,
                                   dh_total, launch.rows, launch.w_in_shared)
