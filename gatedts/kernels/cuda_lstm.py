"""LSTM recurrence on a CUDA device: the twin of ``cpu_lstm``.

Same equations (gate order i, f, g, o; ``a = xp + W_hh h_{t-1} + b_hh``)::

    i_t = σ(a_i + p_i ⊙ c_{t-1})        f_t = σ(a_f + p_f ⊙ c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(a_o + p_o ⊙ c_t)
    h_t = o_t ⊙ tanh(c_t)

with the optional diagonal peepholes ``peep`` (3, H) used only when
``peephole`` is true, and the same time-major device buffers: ``xp``,
``gates`` (T, B, 4H), ``hs`` and ``cs`` (T+1, B, H).

One launch per layer-sequence (see ``cuda_common``). Forward, a step is one
phase: shared memory holds ``W_hhᵀ`` (when it fits) and the block's hidden
states in ping-pong buffers; the cell state of a pair is only ever touched
by the thread that owns it, so it stays in ``cs``. Backward, a step is two
phases: the gate gradients ``da`` of every unit, then ``dh_{t-1} = W_hhᵀ da``;
``W_hh``, ``da`` and the carried ``dh``/``dc`` live in shared memory.
"""

import functools

from numba import cuda

from .cuda_common import block_rows, device_functions, recurrence_launch


@functools.cache
def _kernels(dtype):
    m = device_functions(dtype)
    sigmoid, tanh, row_dot, col_dot = m.sigmoid, m.tanh, m.row_dot, m.col_dot
    stage_weights, nb_type, zero, one = m.stage_weights, m.nb_type, m.zero, m.one

    @cuda.jit
    def forward(xp, w_flat, b_hh, peep, peephole, h0, c0, hs, cs, gates, rows, w_in_shared):
        n_steps, H = xp.shape[0], h0.shape[1]
        GH = 4 * H
        lo, n_rows = block_rows(cuda.blockIdx.x, rows, h0.shape[0])
        n_pairs = n_rows * H
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        smem = cuda.shared.array(0, nb_type)
        n_w = w_flat.shape[0] if w_in_shared else 0
        h_buf = smem[n_w : n_w + 2 * rows * H]
        if w_in_shared:
            stage_weights(w_flat, smem, 4 * H, H, True, tid, n_threads)
        wt = smem[:n_w] if w_in_shared else w_flat  # W_hhᵀ, flat
        for p in range(tid, n_pairs, n_threads):
            b, j = lo + p // H, p % H
            h_buf[p] = h0[b, j]
            hs[0, b, j] = h0[b, j]
            cs[0, b, j] = c0[b, j]
        cuda.syncthreads()
        for t in range(n_steps):
            cur = (t % 2) * rows * H
            nxt = rows * H - cur
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                off = cur + (p // H) * H
                p_i = peep[0, j] if peephole else zero
                p_f = peep[1, j] if peephole else zero
                p_o = peep[2, j] if peephole else zero
                c_prev = cs[t, b, j]
                i = sigmoid(xp[t, b, j] + row_dot(wt, GH, j, h_buf, off)
                            + b_hh[j] + p_i * c_prev)
                f = sigmoid(xp[t, b, H + j] + row_dot(wt, GH, H + j, h_buf, off)
                            + b_hh[H + j] + p_f * c_prev)
                g = tanh(xp[t, b, 2 * H + j]
                         + row_dot(wt, GH, 2 * H + j, h_buf, off)
                         + b_hh[2 * H + j])
                c = f * c_prev + i * g
                o = sigmoid(xp[t, b, 3 * H + j]
                            + row_dot(wt, GH, 3 * H + j, h_buf, off)
                            + b_hh[3 * H + j] + p_o * c)
                gates[t, b, j] = i
                gates[t, b, H + j] = f
                gates[t, b, 2 * H + j] = g
                gates[t, b, 3 * H + j] = o
                cs[t + 1, b, j] = c
                h_new = o * tanh(c)
                h_buf[nxt + p] = h_new
                hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, peep, peephole, cs, gates, dhs, da, dh0, dc0, dh_total, rows,
                 w_in_shared):
        n_steps, H = dhs.shape[0], dhs.shape[2]
        GH = 4 * H
        lo, n_rows = block_rows(cuda.blockIdx.x, rows, dh0.shape[0])
        n_pairs = n_rows * H
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        smem = cuda.shared.array(0, nb_type)
        n_w = w_flat.shape[0] if w_in_shared else 0
        d_pre = smem[n_w : n_w + rows * GH]
        dh_next = smem[n_w + rows * GH : n_w + rows * (GH + H)]
        dc_next = smem[n_w + rows * (GH + H) : n_w + rows * (GH + 2 * H)]
        if w_in_shared:
            stage_weights(w_flat, smem, 4 * H, H, False, tid, n_threads)
        ws = smem[:n_w] if w_in_shared else w_flat  # W_hh, flat
        for p in range(tid, n_pairs, n_threads):
            dh_next[p] = zero
            dc_next[p] = zero
        cuda.syncthreads()
        for t in range(n_steps - 1, -1, -1):
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                off = (p // H) * GH
                p_i = peep[0, j] if peephole else zero
                p_f = peep[1, j] if peephole else zero
                p_o = peep[2, j] if peephole else zero
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                i, f = gates[t, b, j], gates[t, b, H + j]
                g, o = gates[t, b, 2 * H + j], gates[t, b, 3 * H + j]
                tc = tanh(cs[t + 1, b, j])
                da_o = dh * tc * o * (one - o)
                dc = dc_next[p] + dh * o * (one - tc * tc) + da_o * p_o
                da_i = dc * g * i * (one - i)
                da_f = dc * cs[t, b, j] * f * (one - f)
                da_g = dc * i * (one - g * g)
                da[t, b, j] = da_i
                da[t, b, H + j] = da_f
                da[t, b, 2 * H + j] = da_g
                da[t, b, 3 * H + j] = da_o
                d_pre[off + j] = da_i
                d_pre[off + H + j] = da_f
                d_pre[off + 2 * H + j] = da_g
                d_pre[off + 3 * H + j] = da_o
                dc_next[p] = dc * f + da_i * p_i + da_f * p_f
            cuda.syncthreads()
            for p in range(tid, n_pairs, n_threads):
                dh_next[p] = col_dot(ws, H, 0, GH, p % H, d_pre, (p // H) * GH)
            cuda.syncthreads()
        for p in range(tid, n_pairs, n_threads):
            b, j = lo + p // H, p % H
            dh0[b, j] = dh_next[p]
            dc0[b, j] = dc_next[p]

    return forward, backward


def lstm_forward_cuda(xp, w_hh, b_hh, peep, peephole, h0, c0, hs, cs, gates):
    """Run the recurrence on device arrays, filling ``hs``, ``cs`` and ``gates``."""
    B, H = h0.shape
    launch = recurrence_launch(B, H, 4 * H * H, 2 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, peep, bool(peephole), h0, c0, hs, cs, gates,
                                  launch.rows, launch.w_in_shared)


def lstm_backward_cuda(w_hh, peep, peephole, cs, gates, dhs, da, dh0, dc0, dh_total):
    """Exact BPTT on device arrays; fills ``da``, ``dh0``, ``dc0``, ``dh_total`` as
    ``cpu_lstm.lstm_backward`` does."""
    B, H = dh0.shape
    launch = recurrence_launch(B, H, 4 * H * H, 6 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, peep, bool(peephole), cs, gates, dhs, da, dh0, dc0,
                                   dh_total, launch.rows, launch.w_in_shared)
