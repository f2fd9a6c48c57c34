"""LSTM recurrence on a CUDA device: the twin of :mod:`gatedts.nn.cpu.lstm`.

Same equations (gate order i, f, g, o; ``a = xp + W_hh h_{t-1} + b_hh``)::

    i_t = σ(a_i + p_i ⊙ c_{t-1})        f_t = σ(a_f + p_f ⊙ c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(a_o + p_o ⊙ c_t)
    h_t = o_t ⊙ tanh(c_t)

with the optional diagonal peepholes ``peep`` (3, H) used only when
``peephole`` is true, and the same time-major device buffers: ``xp``,
``gates`` (T, B, 4H), ``hs`` and ``cs`` (T+1, B, H); the kernels index a row
of ``xp``, ``gates`` and ``da`` by the gate offsets ``I, F, G, O = 0, H, 2H, 3H``.

One launch per layer-sequence (see :mod:`gatedts.nn.cuda.common`). Forward, a step is one
phase: shared memory holds ``W_hhᵀ`` (when it fits) and the block's hidden
states in ping-pong buffers; the cell state of a pair is only ever touched
by the thread that owns it, so it stays in ``cs``. Backward, a step is two
phases: the gate gradients ``da`` of every unit, then ``dh_{t-1} = W_hhᵀ da``;
``W_hh``, ``da`` and the carried ``dh``/``dc`` live in shared memory.
"""

import functools

from numba import cuda

from . import common as cc


@functools.cache
def _kernels(dtype):
    m = cc.device_functions(dtype)
    sigmoid, tanh, dsigmoid, dtanh = m.sigmoid, m.tanh, m.dsigmoid, m.dtanh
    preactivation, backprop_hidden = m.preactivation, m.backprop_hidden
    nb_type, zero = m.nb_type, m.zero

    @cuda.jit(device=True)
    def peepholes(peep, peephole, j):
        if peephole:
            return peep[0, j], peep[1, j], peep[2, j]
        return zero, zero, zero

    @cuda.jit
    def forward(xp, w_flat, b_hh, peep, peephole, h0, c0, outputs, rows, w_in_shared):
        """The forward recurrence: ``tests/reference.py::lstm_step`` for every step
        (as ``reference.forward`` loops it); CPU twin ``gatedts.nn.cpu.lstm.lstm_forward``.
        ``outputs`` = ``(hs, cs, gates)``, the buffers it fills."""
        hs, cs, gates = outputs
        n_steps, H = xp.shape[0], h0.shape[1]
        GH = 4 * H
        # gate offsets in a row of xp, gates, b_hh and W_hh (E741: I and O name gates i, o)
        I, F, G, O = 0, H, 2 * H, 3 * H  # noqa: E741
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, h0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hhᵀ (flat, if it fits), then per-row scratch
        wt, scratch = cc.stage_w_hh(w_flat, w_in_shared, True, H, smem, tid, n_threads)
        h_buf = scratch[: 2 * rows * H]
        cc.load_state(h0, h_buf, hs[0], lo, H, n_pairs, tid, n_threads)
        cc.copy_pairs(c0, cs[0], lo, H, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps):
            cur, nxt = cc.ping_pong(t, rows, H)
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                h_off = cur + (p // H) * H  # h_{t-1} of batch row b in h_buf
                p_i, p_f, p_o = peepholes(peep, peephole, j)
                a_i = preactivation(xp, b_hh, wt, GH, t, b, I + j, h_buf, h_off)
                a_f = preactivation(xp, b_hh, wt, GH, t, b, F + j, h_buf, h_off)
                a_g = preactivation(xp, b_hh, wt, GH, t, b, G + j, h_buf, h_off)
                a_o = preactivation(xp, b_hh, wt, GH, t, b, O + j, h_buf, h_off)
                c_prev = cs[t, b, j]
                i = sigmoid(a_i + p_i * c_prev)
                f = sigmoid(a_f + p_f * c_prev)
                g = tanh(a_g)
                c = f * c_prev + i * g
                o = sigmoid(a_o + p_o * c)
                h_new = o * tanh(c)
                gates[t, b, I + j] = i
                gates[t, b, F + j] = f
                gates[t, b, G + j] = g
                gates[t, b, O + j] = o
                cs[t + 1, b, j] = c
                h_buf[nxt + p] = h_new
                hs[t + 1, b, j] = h_new
            cuda.syncthreads()

    @cuda.jit
    def backward(w_flat, peep, peephole, cs, gates, dhs, grads, rows, w_in_shared):
        """Exact BPTT: ``tests/reference.py::lstm_step_back`` for every step, last first
        (as ``reference.loss_and_grad`` loops it); CPU twin
        ``gatedts.nn.cpu.lstm.lstm_backward``. ``grads`` = ``(da, dh0, dc0, dh_total)``,
        the buffers it fills, ``da`` = (da_i, da_f, da_g, da_o)."""
        da, dh0, dc0, dh_total = grads
        n_steps, H = dhs.shape[0], dhs.shape[2]
        GH = 4 * H
        # gate offsets in a row of gates, da and d_pre
        I, F, G, O = 0, H, 2 * H, 3 * H  # noqa: E741
        tid, n_threads = cuda.threadIdx.x, cuda.blockDim.x
        lo, n_pairs = cc.block_pairs(cuda.blockIdx.x, rows, dh0.shape[0], H)
        smem = cuda.shared.array(0, nb_type)  # W_hh (flat, if it fits), then per-row scratch
        ws, scratch = cc.stage_w_hh(w_flat, w_in_shared, False, H, smem, tid, n_threads)
        # per row: the gate gradients, then dL/dh_t and dL/dc_t carried back
        d_pre = scratch[: rows * GH]
        dh_next = scratch[rows * GH : rows * (GH + H)]
        dc_next = scratch[rows * (GH + H) : rows * (GH + 2 * H)]
        cc.fill_pairs(dh_next, zero, n_pairs, tid, n_threads)
        cc.fill_pairs(dc_next, zero, n_pairs, tid, n_threads)
        cuda.syncthreads()
        for t in range(n_steps - 1, -1, -1):
            for p in range(tid, n_pairs, n_threads):
                b, j = lo + p // H, p % H
                d_off = (p // H) * GH  # batch row b's gate gradients in d_pre
                p_i, p_f, p_o = peepholes(peep, peephole, j)
                dh = dhs[t, b, j] + dh_next[p]
                dh_total[t, b, j] = dh
                i, f = gates[t, b, I + j], gates[t, b, F + j]
                g, o = gates[t, b, G + j], gates[t, b, O + j]
                tc = tanh(cs[t + 1, b, j])
                da_o = dh * tc * dsigmoid(o)
                dc = dc_next[p] + dh * o * dtanh(tc) + da_o * p_o
                da_i = dc * g * dsigmoid(i)
                da_f = dc * cs[t, b, j] * dsigmoid(f)
                da_g = dc * i * dtanh(g)
                da[t, b, I + j] = da_i
                da[t, b, F + j] = da_f
                da[t, b, G + j] = da_g
                da[t, b, O + j] = da_o
                d_pre[d_off + I + j] = da_i
                d_pre[d_off + F + j] = da_f
                d_pre[d_off + G + j] = da_g
                d_pre[d_off + O + j] = da_o
                dc_next[p] = dc * f + da_i * p_i + da_f * p_f
            cuda.syncthreads()
            backprop_hidden(ws, H, GH, GH, d_pre, dh_next, False, n_pairs, tid, n_threads)
            cuda.syncthreads()
        cc.store_pairs(dh_next, dh0, lo, H, n_pairs, tid, n_threads)
        cc.store_pairs(dc_next, dc0, lo, H, n_pairs, tid, n_threads)

    return forward, backward


def lstm_forward_cuda(xp, w_hh, b_hh, peep, peephole, h0, c0, hs, cs, gates):
    """Run the recurrence on device arrays, filling ``hs``, ``cs`` and ``gates`` as
    ``gatedts.nn.cpu.lstm.lstm_forward`` does."""
    B, H = h0.shape
    launch = cc.recurrence_launch(B, H, 4 * H * H, 2 * H, xp.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=True)
    launch(_kernels(xp.dtype)[0])(xp, w_flat, b_hh, peep, bool(peephole), h0, c0,
                                  (hs, cs, gates), launch.rows, launch.w_in_shared)


def lstm_backward_cuda(w_hh, peep, peephole, hs, cs, gates, dhs, grads):
    """Exact BPTT on device arrays; fills ``grads`` = ``(da, dh0, dc0, dh_total)``
    as ``gatedts.nn.cpu.lstm.lstm_backward`` does. ``hs`` is there for the CPU
    twin's argument order: the CPU kernel also sums the recurrent weight
    gradients from it, while on the device the layer does that in one GEMM
    afterwards (``gatedts.nn.cuda.layers``)."""
    B, H = dhs.shape[1:]
    launch = cc.recurrence_launch(B, H, 4 * H * H, 6 * H, dhs.dtype.itemsize)
    w_flat = launch.weights(w_hh, transposed=False)
    launch(_kernels(dhs.dtype)[1])(w_flat, peep, bool(peephole), cs, gates, dhs, grads,
                                   launch.rows, launch.w_in_shared)
