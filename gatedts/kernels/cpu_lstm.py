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
their non-linearities. Only ``h W_hhᵀ`` is computed inside the time loop.
"""

import math

import numpy as np
from numba import njit

from .cpu_common import sigmoid


@njit(cache=True)
def lstm_forward(xp, w_hh, b_hh, peep, peephole, h0, c0, hs, cs, gates):
    """Run the recurrence, filling ``hs``, ``cs`` and ``gates`` in place."""
    n_steps, batch, _ = xp.shape
    H = h0.shape[1]
    hs[0] = h0
    cs[0] = c0
    hh = np.empty((batch, 4 * H), dtype=xp.dtype)
    for t in range(n_steps):
        np.dot(hs[t], w_hh.T, hh)
        for b in range(batch):
            for j in range(H):
                c_prev = cs[t, b, j]
                a_i = xp[t, b, j] + hh[b, j] + b_hh[j]
                a_f = xp[t, b, H + j] + hh[b, H + j] + b_hh[H + j]
                a_g = xp[t, b, 2 * H + j] + hh[b, 2 * H + j] + b_hh[2 * H + j]
                a_o = xp[t, b, 3 * H + j] + hh[b, 3 * H + j] + b_hh[3 * H + j]
                if peephole:
                    a_i += peep[0, j] * c_prev
                    a_f += peep[1, j] * c_prev
                i = sigmoid(a_i)
                f = sigmoid(a_f)
                g = math.tanh(a_g)
                c = f * c_prev + i * g
                if peephole:
                    a_o += peep[2, j] * c
                o = sigmoid(a_o)
                gates[t, b, j] = i
                gates[t, b, H + j] = f
                gates[t, b, 2 * H + j] = g
                gates[t, b, 3 * H + j] = o
                cs[t + 1, b, j] = c
                hs[t + 1, b, j] = o * math.tanh(c)


@njit(cache=True)
def lstm_backward(w_hh, peep, peephole, hs, cs, gates, dhs, da, dpeep, dh0, dc0, dh_total):
    """Exact BPTT through the recurrence.

    ``dhs`` (T, B, H) is dL/dh_t from outside the layer. Fills ``da`` (T, B, 4H)
    = dL/d(gate pre-activations), which is both dL/dxp and dL/d(W_hh h + b_hh);
    ``dpeep`` (3, H); ``dh0``, ``dc0`` (B, H); and ``dh_total`` (T, B, H), the
    full dL/dh_t including the path through later steps.
    """
    n_steps, batch, H = dhs.shape
    dtype = dhs.dtype
    dh_next = np.zeros((batch, H), dtype=dtype)
    dc_next = np.zeros((batch, H), dtype=dtype)
    d_rec = np.empty((batch, H), dtype=dtype)
    dpeep[:] = 0.0
    for t in range(n_steps - 1, -1, -1):
        for b in range(batch):
            for j in range(H):
                dh = dhs[t, b, j] + dh_next[b, j]
                dh_total[t, b, j] = dh
                i = gates[t, b, j]
                f = gates[t, b, H + j]
                g = gates[t, b, 2 * H + j]
                o = gates[t, b, 3 * H + j]
                c = cs[t + 1, b, j]
                c_prev = cs[t, b, j]
                tc = math.tanh(c)
                da_o = dh * tc * o * (1.0 - o)
                dc = dc_next[b, j] + dh * o * (1.0 - tc * tc)
                if peephole:
                    dc += da_o * peep[2, j]
                da_i = dc * g * i * (1.0 - i)
                da_f = dc * c_prev * f * (1.0 - f)
                da_g = dc * i * (1.0 - g * g)
                dc_prev = dc * f
                if peephole:
                    dc_prev += da_i * peep[0, j] + da_f * peep[1, j]
                    dpeep[0, j] += da_i * c_prev
                    dpeep[1, j] += da_f * c_prev
                    dpeep[2, j] += da_o * c
                dc_next[b, j] = dc_prev
                da[t, b, j] = da_i
                da[t, b, H + j] = da_f
                da[t, b, 2 * H + j] = da_g
                da[t, b, 3 * H + j] = da_o
        np.dot(da[t], w_hh, d_rec)
        for b in range(batch):
            for j in range(H):
                dh_next[b, j] = d_rec[b, j]
    dh0[:] = dh_next
    dc0[:] = dc_next
