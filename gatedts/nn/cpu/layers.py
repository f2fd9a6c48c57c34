"""One layer of each cell on the CPU: its buffers and its kernel calls.

Each class runs one layer's recurrence on a time-major input projection
``xp = x W_ihᵀ + b_ih`` of shape (T, B, G·H) and, going back, turns
dL/dh_t into dL/dxp plus the gradients of the recurrent parameters. What is
common to all cells (the input GEMMs, the head, stacking, dropout, losses)
lives in :mod:`gatedts.nn.functional`; what differs lives here, next to the
kernel call. The twin for the GPU is :mod:`gatedts.nn.cuda.layers`; the
registry :mod:`gatedts.nn.cells` says which class serves which cell.
"""

import weakref
from dataclasses import dataclass

import numpy as np

from ..scratch import scratch
from .gru import gru_backward, gru_forward, gru_predict
from .lstm import lstm_backward, lstm_forward, lstm_predict
from .rnn import rnn_backward, rnn_forward, rnn_predict


@dataclass
class LayerCache:
    """What one layer's forward pass keeps for its backward pass."""

    x: np.ndarray  # (T, B, I) the layer input
    hs: np.ndarray  # (T+1, B, H) hidden states, hs[0] = h0
    gates: np.ndarray | None  # (T, B, G·H) gate activations (None for the RNN)
    extra: np.ndarray | None  # GRU: hn (T, B, H); LSTM: cell states (T+1, B, H)


@dataclass
class LayerGrads:
    dxp: np.ndarray  # (T, B, G·H) dL/d(x W_ihᵀ + b_ih)
    w_hh: np.ndarray
    b_hh: np.ndarray
    peephole: np.ndarray | None
    h0: np.ndarray
    c0: np.ndarray | None
    dh: np.ndarray  # (T, B, H) full dL/dh_t


class GRU:
    """One GRU layer, in the PyTorch form (``reset_after=True``) or Cho et al.'s."""

    def __init__(self, reset_after=True):
        self.reset_after = bool(reset_after)

    def predict(self, x, params, n_layers):
        layers = []
        for w_ih, w_hh, b_ih, b_hh in _layer_tuples(params, n_layers):
            H = w_hh.shape[1]
            # the transposed blocks gru_forward builds: w_rec for the step's product
            if self.reset_after:  # w_n is unused: an empty array of the right type
                w_rec, w_n = transposed(w_hh), np.empty((0, 0), dtype=w_hh.dtype)
            else:
                w_rec = transposed(w_hh, slice(0, 2 * H))
                w_n = transposed(w_hh, slice(2 * H, 3 * H))
            layers.append((transposed(w_ih), w_rec, w_n, b_ih, b_hh))
        return gru_predict(x, tuple(layers), params["head.weight"], params["head.bias"],
                           self.reset_after)

    def forward(self, x, xp, w_hh, b_hh, peep, h0, c0, layer=0):
        T, B, _ = xp.shape
        H = w_hh.shape[1]
        hs = scratch(("hs", layer), (T + 1, B, H), xp.dtype)
        gates = scratch(("gates", layer), xp.shape, xp.dtype)
        hn = scratch(("hn", layer), (T, B, H), xp.dtype)
        gru_forward(xp, w_hh, b_hh, h0, self.reset_after, hs, gates, hn)
        return LayerCache(x, hs, gates, hn)

    def backward(self, cache, w_hh, peep, dhs, layer=0):
        B, H = dhs.shape[1:]
        dxp = scratch("dxp", cache.gates.shape, dhs.dtype)
        # In Cho's form dL/d(recurrent pre-activation) equals dL/dxp: one buffer.
        dhp = scratch("dhp", dxp.shape, dhs.dtype) if self.reset_after else dxp
        dh0 = np.empty((B, H), dtype=dhs.dtype)
        dh = scratch(("dh", layer), dhs.shape, dhs.dtype)
        dw, db = gru_backward(w_hh, self.reset_after, cache.hs, cache.gates, cache.extra, dhs,
                              (dxp, dhp, dh0, dh))
        return LayerGrads(dxp, dw, db, None, dh0, None, dh)


class LSTM:
    """One LSTM layer; it has peepholes when the layer's peephole weights are given."""

    def predict(self, x, params, n_layers):
        peephole = "weight_peephole_l0" in params
        layers = tuple(
            (transposed(w_ih), transposed(w_hh), b_ih, b_hh,
             params[f"weight_peephole_l{k}"] if peephole
             else np.zeros((3, w_hh.shape[1]), dtype=x.dtype))
            for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(_layer_tuples(params, n_layers)))
        return lstm_predict(x, layers, params["head.weight"], params["head.bias"], peephole)

    def forward(self, x, xp, w_hh, b_hh, peep, h0, c0, layer=0):
        T, B, _ = xp.shape
        H = w_hh.shape[1]
        hs = scratch(("hs", layer), (T + 1, B, H), xp.dtype)
        cs = scratch(("cs", layer), (T + 1, B, H), xp.dtype)
        gates = scratch(("gates", layer), xp.shape, xp.dtype)
        lstm_forward(xp, w_hh, b_hh, _peep_or_zeros(peep, H, xp.dtype), peep is not None,
                     h0, c0, hs, cs, gates)
        return LayerCache(x, hs, gates, cs)

    def backward(self, cache, w_hh, peep, dhs, layer=0, dc_last=None):
        """``dc_last`` (B, H): dL/d(final cell state) from outside the layer, if any."""
        B, H = dhs.shape[1:]
        da = scratch("da", cache.gates.shape, dhs.dtype)
        dh0 = np.empty((B, H), dtype=dhs.dtype)
        dc0 = np.empty((B, H), dtype=dhs.dtype)
        dh = scratch(("dh", layer), dhs.shape, dhs.dtype)
        cs = cache.extra
        dw, db = lstm_backward(w_hh, _peep_or_zeros(peep, H, dhs.dtype), peep is not None,
                               cache.hs, cs, cache.gates, dhs, (da, dh0, dc0, dh), dc_last)
        dpeep = None
        if peep is not None:  # i and f look at c_{t-1}, o at c_t
            dpeep = np.stack([np.einsum("tbh,tbh->h", da[..., :H], cs[:-1]),
                              np.einsum("tbh,tbh->h", da[..., H : 2 * H], cs[:-1]),
                              np.einsum("tbh,tbh->h", da[..., 3 * H :], cs[1:])])
        return LayerGrads(da, dw, db, dpeep, dh0, dc0, dh)


class RNN:
    """One tanh RNN layer."""

    def predict(self, x, params, n_layers):
        layers = tuple((transposed(w_ih), transposed(w_hh), b_ih, b_hh)
                       for w_ih, w_hh, b_ih, b_hh in _layer_tuples(params, n_layers))
        return rnn_predict(x, layers, params["head.weight"], params["head.bias"])

    def forward(self, x, xp, w_hh, b_hh, peep, h0, c0, layer=0):
        T, B, H = xp.shape
        hs = scratch(("hs", layer), (T + 1, B, H), xp.dtype)
        rnn_forward(xp, w_hh, b_hh, h0, hs)
        return LayerCache(x, hs, None, None)

    def backward(self, cache, w_hh, peep, dhs, layer=0):
        B, H = dhs.shape[1:]
        da = scratch("da", dhs.shape, dhs.dtype)
        dh0 = np.empty((B, H), dtype=dhs.dtype)
        dh = scratch(("dh", layer), dhs.shape, dhs.dtype)
        dw, db = rnn_backward(w_hh, cache.hs, dhs, da, dh0, dh)
        return LayerGrads(da, dw, db, None, dh0, None, dh)


def _layer_tuples(params, n_layers):
    """(w_ih, w_hh, b_ih, b_hh) of every layer, for the one-call predict kernels."""
    return tuple((params[f"weight_ih_l{k}"], params[f"weight_hh_l{k}"], params[f"bias_ih_l{k}"],
                  params[f"bias_hh_l{k}"]) for k in range(n_layers))


_TRANSPOSED_MAX = 64  # cached arrays, and bytes held (copies and transposes); then start afresh
_TRANSPOSED_MAX_BYTES = 1 << 28
_TRANSPOSED_MIN_SIZE = 32768  # elements below which transposing costs less than checking
_transposed: dict = {}


def transposed(w, rows=None):
    """``w[rows].T`` as a C-contiguous array, kept for the next call with ``w``.

    The one-window predict kernels read the weights transposed (the step's
    product runs over rows of ``w_hhᵀ``). Transposing is a strided copy: at
    H = 256 the LSTM's ``w_hh`` took ~0.4 ms to transpose against ~10 µs per
    time step, so repeated predictions with the same weights reuse the copy.
    It is reused only while ``w`` is the same object holding the same bits
    (checked against a copy of ``w`` kept with it, so weights updated in
    place get a fresh transpose); the check reads ``w`` once, several times
    faster than transposing it. Small matrices are transposed every time.
    """
    if w.size < _TRANSPOSED_MIN_SIZE:
        return np.ascontiguousarray((w if rows is None else w[rows]).T)
    key = (id(w), None if rows is None else (rows.start, rows.stop))
    entry = _transposed.get(key)
    if entry is not None:
        ref, seen, w_t = entry
        if (ref() is w and seen.shape == w.shape and seen.dtype == w.dtype
                and np.array_equal(seen.view(_BITS[w.itemsize]), w.view(_BITS[w.itemsize]))):
            return w_t
    w_t = np.ascontiguousarray((w if rows is None else w[rows]).T)
    held = sum(seen.nbytes + kept.nbytes for _, seen, kept in _transposed.values())
    if len(_transposed) >= _TRANSPOSED_MAX or held + 2 * w.nbytes > _TRANSPOSED_MAX_BYTES:
        _transposed.clear()
    _transposed[key] = (weakref.ref(w), w.copy(), w_t)
    return w_t


_BITS = {4: np.uint32, 8: np.uint64}


def _peep_or_zeros(peep, H, dtype):
    # The kernels take a (3, H) array either way, so one compiled version serves both.
    return peep if peep is not None else np.zeros((3, H), dtype=dtype)
