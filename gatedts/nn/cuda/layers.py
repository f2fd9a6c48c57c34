"""One layer of each cell on a CUDA device: the twin of :mod:`gatedts.nn.cpu.layers`.

Each cell runs one layer's recurrence on the device, from a time-major input
projection ``xp`` (T, B, G·H), and going back turns dL/dh_t into dL/dxp and
writes the gradients of its recurrent parameters straight into the views of
the flat gradient buffer. Buffers come from a :class:`Workspace`, so a
training loop allocates them once per batch shape.
"""

from dataclasses import dataclass

from .common import colsum_cuda, gemm_cuda
from .gru import gru_backward_cuda, gru_forward_cuda
from .lstm import lstm_backward_cuda, lstm_forward_cuda
from .rnn import rnn_backward_cuda, rnn_forward_cuda
from .scratch import rows


@dataclass
class DeviceLayerCache:
    """What one layer's forward pass keeps for its backward pass (device arrays)."""

    x: object  # (T·B, I) the layer input, as rows
    hs: object  # (T+1, B, H) hidden states, hs[0] = h0
    gates: object  # (T, B, G·H) gate activations (the RNN keeps none: None)
    extra: object  # GRU: hn (T, B, H); LSTM: cell states (T+1, B, H); RNN: None


@dataclass
class DeviceLayerGrads:
    dxp: object  # (T, B, G·H) dL/d(x W_ihᵀ + b_ih)
    h0: object
    c0: object
    dh: object  # (T, B, H) full dL/dh_t


def _recurrent_grads(d_pre, inputs, dw, db):
    """dW = Σ_t d_preᵀ · input and db = Σ_t d_pre, over (T·B, ·) rows, into views."""
    gemm_cuda(d_pre, inputs, dw, trans_a=True)
    colsum_cuda(d_pre, db)


def _buffers(ws, k, dtype, **shapes):
    return [ws.get(f"{name}{k}", shape, dtype) for name, shape in shapes.items()]


class GRU:
    """One GRU layer on the device, in either reset form."""

    def __init__(self, reset_after=True):
        self.reset_after = bool(reset_after)

    def forward(self, ws, k, x, xp, w_hh, b_hh, peep, h0, c0):
        T, B, _ = xp.shape
        H = w_hh.shape[1]
        hs, gates, hn = _buffers(ws, k, xp.dtype, hs=(T + 1, B, H), gates=xp.shape, hn=(T, B, H))
        gru_forward_cuda(xp, w_hh, b_hh, h0, self.reset_after, hs, gates, hn)
        return DeviceLayerCache(x, hs, gates, hn)

    def backward(self, ws, k, cache, w_hh, peep, dhs, dw_hh, db_hh, dpeep):
        T, B, H = dhs.shape
        dxp, dh0, dh = _buffers(ws, k, dhs.dtype, dxp=cache.gates.shape, dh0=(B, H),
                                dh=dhs.shape)
        # In Cho's form dL/d(recurrent pre-activation) equals dL/dxp: one buffer.
        dhp = ws.get(f"dhp{k}", dxp.shape, dhs.dtype) if self.reset_after else dxp
        gru_backward_cuda(w_hh, self.reset_after, cache.hs, cache.gates, cache.extra, dhs,
                          (dxp, dhp, dh0, dh))
        h_prev = rows(cache.hs)[: T * B]
        if self.reset_after:
            _recurrent_grads(rows(dhp), h_prev, dw_hh, db_hh)
        else:  # r and z see h_{t-1}, n sees r ⊙ h_{t-1}
            _recurrent_grads(rows(dxp)[:, : 2 * H], h_prev, dw_hh[: 2 * H], db_hh[: 2 * H])
            _recurrent_grads(rows(dxp)[:, 2 * H :], rows(cache.extra), dw_hh[2 * H :],
                             db_hh[2 * H :])
        return DeviceLayerGrads(dxp, dh0, None, dh)


class LSTM:
    """One LSTM layer on the device, with or without peepholes."""

    def forward(self, ws, k, x, xp, w_hh, b_hh, peep, h0, c0):
        T, B, _ = xp.shape
        H = w_hh.shape[1]
        hs, cs, gates = _buffers(ws, k, xp.dtype, hs=(T + 1, B, H), cs=(T + 1, B, H),
                                 gates=xp.shape)
        lstm_forward_cuda(xp, w_hh, b_hh, _peep_or_zeros(ws, peep, H, xp.dtype), peep is not None,
                          h0, c0, hs, cs, gates)
        return DeviceLayerCache(x, hs, gates, cs)

    def backward(self, ws, k, cache, w_hh, peep, dhs, dw_hh, db_hh, dpeep):
        T, B, H = dhs.shape
        da, dh0, dc0, dh = _buffers(ws, k, dhs.dtype, da=cache.gates.shape, dh0=(B, H),
                                    dc0=(B, H), dh=dhs.shape)
        cs = cache.extra
        lstm_backward_cuda(w_hh, _peep_or_zeros(ws, peep, H, dhs.dtype), peep is not None,
                           cache.hs, cs, cache.gates, dhs, (da, dh0, dc0, dh))
        da2 = rows(da)
        _recurrent_grads(da2, rows(cache.hs)[: T * B], dw_hh, db_hh)
        if peep is not None:  # i and f look at c_{t-1}, o at c_t
            c_prev, c_new = rows(cs)[: T * B], rows(cs)[B:]
            colsum_cuda(da2[:, :H], dpeep[0], c_prev)
            colsum_cuda(da2[:, H : 2 * H], dpeep[1], c_prev)
            colsum_cuda(da2[:, 3 * H :], dpeep[2], c_new)
        return DeviceLayerGrads(da, dh0, dc0, dh)


class RNN:
    """One tanh RNN layer on the device."""

    def forward(self, ws, k, x, xp, w_hh, b_hh, peep, h0, c0):
        T, B, H = xp.shape
        (hs,) = _buffers(ws, k, xp.dtype, hs=(T + 1, B, H))
        rnn_forward_cuda(xp, w_hh, b_hh, h0, hs)
        return DeviceLayerCache(x, hs, None, None)

    def backward(self, ws, k, cache, w_hh, peep, dhs, dw_hh, db_hh, dpeep):
        T, B, H = dhs.shape
        da, dh0, dh = _buffers(ws, k, dhs.dtype, da=dhs.shape, dh0=(B, H), dh=dhs.shape)
        rnn_backward_cuda(w_hh, cache.hs, dhs, da, dh0, dh)
        _recurrent_grads(rows(da), rows(cache.hs)[: T * B], dw_hh, db_hh)
        return DeviceLayerGrads(da, dh0, None, dh)


def _peep_or_zeros(ws, peep, H, dtype):
    # The kernels take a (3, H) array either way, as on the CPU.
    if peep is not None:
        return peep
    return ws.zeros(f"no_peephole{H}", (3, H), dtype)


LAYERS = {"gru": GRU, "lstm": LSTM, "rnn": RNN}  # keys: gatedts.nn.cells.CELL_NAMES


def make_layer(name, *, reset_after=True):
    """The device layer object for the cell ``name`` (already checked by the caller)."""
    return GRU(reset_after) if name == "gru" else LAYERS[name]()
