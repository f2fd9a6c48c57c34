"""Elman tanh RNN on a CUDA device: the twin of ``cpu_rnn``.

``h_t = tanh(xp_t + W_hh h_{t-1} + b_hh)`` with ``xp = x W_ihᵀ + b_ih``
precomputed; time-major device buffers ``xp`` (T, B, H), ``hs`` (T+1, B, H).
One launch per layer-sequence, ``W_hh`` (transposed forward) in shared memory
when it fits, one phase per step forward and two backward (see
``cuda_common``).
"""

import functools

from numba import cuda

from .cuda_common import block_rows, device_functions, recurrence_launch


@functools.cache
def _kernels(dtype):
    m = device_functions(dtype)
    tanh, row_dot, col_dot = m.tanh, m.row_dot, m.col_dot
    stage_weights, nb_type, zero, one = m.stage_weights, m.nb_type, m.zero, m.one

    @cuda.jit
    def forward(xp, w_flat, b_hh, h0, hs, rows, w_in_shared):
        n_steps, H = xp.shape[0], h0.shape[1]
        lo, n_rows = block_rows(cuda.blockIdx.x, rows, h0.shape[0])
        n_pairs = n_rows * H
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        smem = cuda.shared.array(0, nb_type)
        n_w = w_flat.shape[0] if w_in_shared else 0
        h_buf = smem[n_w : n_w + 2 * rows * H]
        if w_in_shared:
            stage_weights(w_flat, smem, H, H, True, tid, n_threads)
        wt = smem[:n_w] if w_in_shared else w_flat  # W_hhᵀ, flat
        for p in range(tid, n_pairs, n_threads):
            b, j = lo + p // H, p % H
            h_buf[p] = h0[b, j]
            hs[0, b, j] = h0[b, j]
        cuda.syncthreads()
        for t in range(n_steps):
            cur = (t % 2) * rows * H
            nxt = rows * H - cur
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                h_new = tanh(xp[t, b, j]
                             + row_dot(wt, H, j, h_buf, cur + (p // H) * H)
                             + b_hh[j])
                h_buf[nxt + p] = h_new
                hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, hs, dhs, da, dh0, dh_total, rows, w_in_shared):
        n_steps, H = dhs.shape[0], dhs.shape[2]
        lo, n_rows = block_rows(cuda.blockIdx.x, rows, dh0.shape[0])
        n_pairs = n_rows * H
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        smem = cuda.shared.array(0, nb_type)
        n_w = w_flat.shape[0] if w_in_shared else 0
        d_pre = smem[n_w : n_w + rows * H]
        dh_next = smem[n_w + rows * H : n_w + 2 * rows * H]
        if w_in_shared:
            stage_weights(w_flat, smem, H, H, False, tid, n_threads)
        ws = smem[:n_w] if w_in_shared else w_flat  # W_hh, flat
        for p in range(tid, n_pairs, n_threads):
            dh_next[p] = zero
        cuda.syncthreads()
        for t in range(n_steps - 1, -1, -1):
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                h = hs[t + 1, b, j]
                d = dh * (one - h * h)
                da[t, b, j] = d
                d_pre[p] = d
            cuda.syncthreads()
            for p in range(tid, n_pairs, n_threads):
                dh_next[p] = col_dot(ws, H, 0, H, p % H, d_pre, (p // H) * H)
            cuda.syncthreads()
        for p in range(tid, n_pairs, n_threads):
            dh0[lo + p // H, p % H] = dh_next[p]

    return forward, backward


def rnn_forward_cuda(xp, w_hh, b_hh, h0, hs):
    """Run the recurrence on device arrays, filling ``hs``."""
    B, H = h0.shape
    launch = recurrence_launch(B, H, H * H, 2 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, h0, hs, launch.rows, launch.w_in_shared)


def rnn_backward_cuda(w_hh, hs, dhs, da, dh0, dh_total):
    """Exact BPTT on device arrays; fills ``da``, ``dh0``, ``dh_total`` as
    ``cpu_rnn.rnn_backward`` does."""
    B, H = dh0.shape
    launch = recurrence_launch(B, H, H * H, 2 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, hs, dhs, da, dh0, dh_total, launch.rows,
                                   launch.w_in_shared)
