"""Elman tanh RNN on a CUDA device: the twin of :mod:`gatedts.nn.cpu.rnn`.

``h_t = tanh(xp_t + W_hh h_{t-1} + b_hh)`` with ``xp = x W_ihᵀ + b_ih``
precomputed; time-major device buffers ``xp`` (T, B, H), ``hs`` (T+1, B, H).
One launch per layer-sequence, ``W_hh`` (transposed forward) in shared memory
when it fits, one phase per step forward and two backward (see
:mod:`gatedts.nn.cuda.common`).
"""

import functools

from numba import cuda

from . import common as cc


@functools.cache
def _kernels(dtype):
    m = cc.device_functions(dtype)
    tanh, dtanh, preactivation = m.tanh, m.dtanh, m.preactivation
    backprop_hidden, nb_type, zero = m.backprop_hidden, m.nb_type, m.zero

    @cuda.jit
    def forward(xp, w_flat, b_hh, h0, hs, rows, w_in_shared):
        """The forward recurrence: ``tests/reference.py::rnn_step`` for every step
        (as ``reference.forward`` loops it); CPU twin ``gatedts.nn.cpu.rnn.rnn_forward``."""
        n_steps, H = xp.shape[0], h0.shape[1]
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, h0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hhᵀ (flat, if it fits), then per-row scratch
        wt, scratch = cc.stage_w_hh(w_flat, w_in_shared, True, H, smem, tid, n_threads)
        h_buf = scratch[: 2 * rows * H]
        cc.load_state(h0, h_buf, hs[0], lo, H, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps):
            cur, nxt = cc.ping_pong(t, rows, H)
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                h_off = cur + (p // H) * H  # h_{t-1} of batch row b in h_buf
                h_new = tanh(preactivation(xp, b_hh, wt, H, t, b, j, h_buf, h_off))
                h_buf[nxt + p] = h_new
                hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, hs, dhs, da, dh0, dh_total, rows, w_in_shared):
        """Exact BPTT: ``tests/reference.py::rnn_step_back`` for every step, last first
        (as ``reference.loss_and_grad`` loops it), ``da`` = dL/d(pre-activation);
        CPU twin ``gatedts.nn.cpu.rnn.rnn_backward``."""
        n_steps, H = dhs.shape[0], dhs.shape[2]
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, dh0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hh (flat, if it fits), then per-row scratch
        ws, scratch = cc.stage_w_hh(w_flat, w_in_shared, False, H, smem, tid, n_threads)
        d_pre, dh_next = scratch[: rows * H], scratch[rows * H : 2 * rows * H]
        cc.fill_pairs(dh_next, zero, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps - 1, -1, -1):
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                da_j = dh * dtanh(hs[t + 1, b, j])
                da[t, b, j] = da_j
                d_pre[p] = da_j
            cuda.syncthreads()
            backprop_hidden(ws, H, H, H, d_pre, dh_next, False, n_pairs, tid, n_threads)
            cuda.syncthreads()
        cc.store_pairs(dh_next, dh0, lo, H, n_pairs, tid, n_threads)

    return forward, backward


def rnn_forward_cuda(xp, w_hh, b_hh, h0, hs):
    """Run the recurrence on device arrays, filling ``hs`` as
    ``gatedts.nn.cpu.rnn.rnn_forward`` does."""
    B, H = h0.shape
    launch = cc.recurrence_launch(B, H, H * H, 2 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, h0, hs, launch.rows, launch.w_in_shared)


def rnn_backward_cuda(w_hh, hs, dhs, da, dh0, dh_total):
    """Exact BPTT on device arrays; fills ``da``, ``dh0``, ``dh_total`` as
    ``gatedts.nn.cpu.rnn.rnn_backward`` does."""
    B, H = dh0.shape
    launch = cc.recurrence_launch(B, H, H * H, 2 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, hs, dhs, da, dh0, dh_total, launch.rows,
                                   launch.w_in_shared)
