"""The functional API and the training step on a CUDA device.

:func:`forward`, :func:`predict` and :func:`loss_and_grad` take the network
as a :class:`~gatedts.nn.spec.NetworkSpec` from :func:`device_network`, which
refuses what runs on the CPU only, and otherwise the arguments of their twins
in :mod:`gatedts.nn.functional` (which delegate here for ``device="cuda"``);
they return the same results: same losses, stacked layers,
initial states, dropout masks drawn on the host from the same generator. The
input checks, masks and results come from :mod:`gatedts.nn.core`, shared with
the CPU path. The forward pass, the loss, BPTT and every gradient run on the
device (kernels in this folder); the results are copied back.

For a fit, the parameters stay on the device: :func:`to_device` packs a
parameter dict into one flat device buffer with a view per key
(:class:`DeviceParams`), gradients and optimizer moments get the same
layout, and :class:`DeviceTraining` runs a mini-batch step whose only
device-to-host copy is the loss and the squared gradient norm (16 bytes), so
the host can stop on divergence before the update, as on the CPU. Clipping
and the Adam/SGD updates are those of :mod:`gatedts.nn.optim`, in the same
order and dtype (:mod:`gatedts.nn.cuda.optim`). The estimators use it through
:func:`training_runner`.

``import gatedts`` never imports this module; importing it imports
``numba.cuda``. Set ``NUMBA_ENABLE_CUDASIM=1`` before numba is imported to
run everything on Numba's CUDA simulator (how the tests run without a GPU).
"""

import math
from collections.abc import Mapping

import numpy as np
from numba import config, cuda

from .. import core
from ..core import Forward, layer_weights
from ..params import (
    has_attention,
    has_decoder,
    has_residual_projection,
    model_spec,
    network_spec,
)
from ..spec import NetworkSpec
from .common import colsum_cuda, fill_cuda, gather_time_major_cuda, gemm_cuda, multiply_cuda
from .layers import make_layer
from .optim import REDUCE_BLOCKS, DeviceOptimizer, clip_norm_to, loss_cuda, sum_cuda
from .scratch import Workspace, rows

__all__ = ["DeviceParams", "DeviceTraining", "device_network", "forward", "is_available",
           "loss_and_grad",
           "predict", "resolve_device", "to_device", "to_host", "training_runner"]

DEVICES = ("cpu", "cuda", "auto")
NO_GPU = ("device='cuda' but no CUDA GPU is available (numba.cuda.is_available() is False); "
          "use device='cpu' or 'auto'")


def is_available():
    """True when a CUDA GPU (or, with ``NUMBA_ENABLE_CUDASIM=1``, the simulator) is usable."""
    return bool(config.ENABLE_CUDASIM) or cuda.is_available()


def resolve_device(device):
    """``"cpu"`` or ``"cuda"`` for a ``device`` argument in ``("cpu", "cuda", "auto")``.

    ``"auto"`` is the GPU when there is one, else the CPU; it never picks the
    simulator, which only an explicit ``"cuda"`` uses.

    Raises
    ------
    ValueError
        ``device`` is not one of the three.
    RuntimeError
        ``"cuda"`` on a machine without a usable GPU (and not under the simulator).
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(map(repr, DEVICES))}, got {device!r}")
    if device == "cpu":
        return "cpu"
    if config.ENABLE_CUDASIM:
        return "cuda" if device == "cuda" else "cpu"
    if cuda.is_available():
        return "cuda"
    if device == "auto":
        return "cpu"
    raise RuntimeError(NO_GPU)


# ------------------------------------------------------------------ parameters on the device


class _Layout:
    """Where each key of a parameter dict lives in the flat buffer.

    Keys containing ``"weight"`` come first, so weight decay (which
    ``gatedts.nn.optim`` applies to those keys only) covers ``[0, n_decay)``.
    """

    def __init__(self, params):
        self.keys = tuple(params)
        self.dtype = np.dtype(next(iter(params.values())).dtype)
        order = [k for k in self.keys if "weight" in k] + [k for k in self.keys
                                                           if "weight" not in k]
        self.shapes = {k: tuple(params[k].shape) for k in self.keys}
        self.sizes = {k: int(np.prod(self.shapes[k], dtype=np.int64)) for k in self.keys}
        self.offsets = dict(zip(order, np.cumsum([0] + [self.sizes[k] for k in order]).tolist(),
                                strict=False))
        self.size = sum(self.sizes.values())
        self.n_decay = sum(self.sizes[k] for k in order if "weight" in k)
        self.order = tuple(order)

    def span(self, key):
        return slice(self.offsets[key], self.offsets[key] + self.sizes[key])

    def flatten(self, arrays):
        flat = np.empty(self.size, dtype=self.dtype)
        for k in self.order:
            flat[self.span(k)] = np.ravel(arrays[k])
        return flat

    def unflatten(self, flat, out=None):
        """The dict of ``flat``; written into the arrays of ``out`` when given."""
        result = {} if out is None else out
        for k in self.keys:
            part = flat[self.span(k)].reshape(self.shapes[k])
            if out is None:
                result[k] = part.copy()
            else:
                np.copyto(out[k], part)
        return result


class DeviceParams(Mapping):
    """A parameter (or gradient) dict on the device: one flat buffer, a view per key.

    It is a read-only mapping from the PyTorch-style keys to device arrays of
    the same shapes, so the shape logic of :mod:`gatedts.nn.params` applies.
    """

    def __init__(self, layout, flat):
        self.layout, self.flat = layout, flat
        self._views = {k: flat[layout.span(k)].reshape(layout.shapes[k]) for k in layout.keys}

    def __getitem__(self, key):
        return self._views[key]

    def __iter__(self):
        return iter(self.layout.keys)

    def __len__(self):
        return len(self.layout.keys)

    @property
    def dtype(self):
        return self.layout.dtype

    def empty_like(self):
        flat = cuda.device_array(self.layout.size, dtype=self.dtype)
        fill_cuda(flat.reshape(1, self.layout.size), 0.0)
        return DeviceParams(self.layout, flat)


def to_device(params):
    """Copy a parameter dict to the device as a :class:`DeviceParams` (one transfer)."""
    layout = _Layout(params)
    return DeviceParams(layout, cuda.to_device(layout.flatten(params)))


def to_host(dparams, out=None):
    """The numpy dict of a :class:`DeviceParams` (one transfer); fills ``out`` in place if given."""
    return dparams.layout.unflatten(dparams.flat.copy_to_host(), out)


# ------------------------------------------------------------------ the network on the device


def _forward_layers(cell_obj, dp, spec, x_tm, h0, c0, masks, ws):
    """Forward through every layer from the time-major device input (T, B, I)."""
    T, B, _ = x_tm.shape
    x = rows(x_tm)
    caches = []
    for k in range(spec.num_layers):
        w_ih, w_hh, b_ih, b_hh, peep = layer_weights(dp, k)
        if k > 0 and masks is not None:
            dropped = ws.get(f"x_dropped{k}", x.shape, spec.dtype)
            multiply_cuda(x, masks[k - 1], dropped)
            x = dropped
        xp = ws.get(f"xp{k}", (T, B, w_ih.shape[0]), spec.dtype)
        gemm_cuda(x, w_ih, rows(xp), trans_b=True, bias=b_ih)
        caches.append(cell_obj.forward(ws, k, x, xp, w_hh, b_hh, peep, h0[k], c0[k]))
        x = rows(caches[-1].hs)[B:]
    return caches


def _head(dp, caches, ws):
    hs = caches[-1].hs
    T, B = hs.shape[0] - 1, hs.shape[1]
    h_last = rows(hs)[T * B :]
    pred = ws.get("pred", (B, dp["head.weight"].shape[0]), dp.dtype)
    gemm_cuda(h_last, dp["head.weight"], pred, trans_b=True, bias=dp["head.bias"])
    return h_last, pred


def _loss_and_backward(cell_obj, dp, spec, caches, y, objective, masks, grads, ws,
                       want_input_grads):
    """Loss sum into ``stats[0]`` and every gradient into ``grads``; returns the stats
    buffer, the per-layer :class:`DeviceLayerGrads` and dL/dx of the first layer."""
    h_last, pred = _head(dp, caches, ws)
    B, n_out = pred.shape
    d_pred = ws.get("d_pred", (B, n_out), spec.dtype)
    values = ws.get("loss_values", (B, n_out), np.float64)
    stats = ws.get("stats", (2,), np.float64)
    loss_cuda(pred, y, objective.name, objective.huber_delta, d_pred, values)
    sum_cuda(values.reshape(B * n_out), stats, 0, ws.get("partials", (REDUCE_BLOCKS,), np.float64))
    gemm_cuda(d_pred, h_last, grads["head.weight"], trans_a=True)
    colsum_cuda(d_pred, grads["head.bias"])
    T = caches[-1].hs.shape[0] - 1
    dhs = ws.get("dhs_top", (T, B, spec.hidden_sizes[-1]), spec.dtype)
    fill_cuda(rows(dhs), 0.0)
    gemm_cuda(d_pred, dp["head.weight"], rows(dhs)[(T - 1) * B :])
    layer_grads = [None] * spec.num_layers
    for k in reversed(range(spec.num_layers)):
        w_ih, w_hh, _, _, peep = layer_weights(dp, k)
        cache = caches[k]
        g = cell_obj.backward(ws, k, cache, w_hh, peep, dhs, grads[f"weight_hh_l{k}"],
                              grads[f"bias_hh_l{k}"], grads.get(f"weight_peephole_l{k}"))
        dxp = rows(g.dxp)
        gemm_cuda(dxp, cache.x, grads[f"weight_ih_l{k}"], trans_a=True)
        colsum_cuda(dxp, grads[f"bias_ih_l{k}"])
        layer_grads[k] = g
        if k > 0 or want_input_grads:
            dx = ws.get(f"dx{k}", (T, B, cache.x.shape[1]), spec.dtype)
            gemm_cuda(dxp, w_ih, rows(dx))
            if k > 0 and masks is not None:
                multiply_cuda(rows(dx), masks[k - 1], rows(dx))
            dhs = dx
    return stats, layer_grads, dhs


def _device_spec(cell, dparams):
    """The :class:`~gatedts.nn.spec.NetworkSpec` that parameters already on the device
    show (their keys and shapes)."""
    hidden = []
    while f"weight_hh_l{len(hidden)}" in dparams:
        hidden.append(dparams[f"weight_hh_l{len(hidden)}"].shape[1])
    future = dparams["decoder.weight_ih_l0"].shape[1] - dparams["head.bias"].shape[0] \
        if "decoder.weight_ih_l0" in dparams else 0
    return NetworkSpec(cell, dparams["weight_ih_l0"].shape[1], tuple(hidden),
                       dparams["head.weight"].shape[0], dparams.dtype,
                       peephole="weight_peephole_l0" in dparams,
                       bidirectional="weight_ih_l0_reverse" in dparams,
                       residual=has_residual_projection(dparams),
                       head="attention" if has_attention(dparams) else "last",
                       decoder=has_decoder(dparams), future_size=future)


def device_network(cell, params, *, reset_after=True, bidirectional=None, residual=None,
                   head=None, decoder=None):
    """The :class:`~gatedts.nn.spec.NetworkSpec` of a call on the device, as
    :func:`gatedts.nn.params.network_spec` builds it, for a host dict or a
    :class:`DeviceParams`.

    Raises
    ------
    ValueError
        The network has a feature that runs on the CPU only
        (:data:`~gatedts.nn.spec.CPU_ONLY`), asked for (by the options or
        ``cell`` as a spec) or read from the keys of ``params``; checked first.
    """
    on_device = isinstance(params, DeviceParams)
    if isinstance(cell, NetworkSpec):
        cell.check_device("cuda")
        if on_device and _device_spec(cell.cell, params).replace(
                reset_after=cell.reset_after) != cell:
            raise ValueError("params do not match the network spec")
        return cell if on_device else network_spec(cell, params)
    shown = (_device_spec(cell, params) if on_device
             else model_spec(cell, params, check_finite=False))
    asked = {name: True for name, value in (("bidirectional", bidirectional),
                                            ("residual", residual), ("decoder", decoder))
             if value}
    if head not in (None, "last"):
        asked["head"] = head
    for refused in (shown, shown.replace(**asked)):
        refused.check_device("cuda")
    if on_device:
        return shown.replace(reset_after=bool(reset_after))
    return network_spec(cell, params, reset_after=reset_after, bidirectional=bidirectional,
                        residual=residual, head=head, decoder=decoder)


def _prepare(spec, params, X, inputs, check_input):
    """Checked X (host), host initial states and the device parameters."""
    if not isinstance(params, DeviceParams):
        params, X, h0, c0 = core.prepare(spec, params, X, inputs, check_input)
        return X, h0, c0, to_device(params)
    X = core.check_X(X, spec) if check_input else np.asarray(X, dtype=spec.dtype)
    core.check_c0(spec.cell, inputs.c0)
    batch = X.shape[0]
    return (X, core.check_states(inputs.h0, "h0", spec, batch),
            core.check_states(inputs.c0, "c0", spec, batch), params)


def _check_outputs(values, dparams, what, check_input):
    # As functional: a NaN/inf result becomes an error naming its cause.
    if check_input and not np.all(np.isfinite(values)):
        core.check_outputs(values, to_host(dparams), what)


def _upload_inputs(X, h0, c0, spec):
    x_tm = cuda.to_device(np.ascontiguousarray(X.transpose(1, 0, 2), dtype=spec.dtype))
    return x_tm, [cuda.to_device(h) for h in h0], [cuda.to_device(c) for c in c0]


def _upload_masks(masks, ws):
    if masks is None:
        return None
    out = []
    for k, mask in enumerate(masks):
        buf = ws.get(f"mask{k}", (mask.shape[0] * mask.shape[1], mask.shape[2]), mask.dtype)
        buf.copy_to_device(np.ascontiguousarray(mask).reshape(buf.shape))
        out.append(buf)
    return out


def forward(spec, params, X, inputs, *, return_gates=False, return_attention=False,
            check_input=True):
    """:func:`gatedts.nn.functional.forward` on the device; same result.

    ``spec`` comes from :func:`device_network` (which refuses what runs on
    the CPU only), ``inputs`` is a :class:`~gatedts.nn.core.Inputs` (its
    initial states; a decoder's arguments are refused before). ``params`` may
    be a host dict or a :class:`DeviceParams`.
    """
    if return_attention:
        raise ValueError("return_attention=True needs the attention head, which runs on the "
                         "CPU only; use device='cpu'")
    X, h0, c0, dp = _prepare(spec, params, X, inputs, check_input)
    ws = Workspace()
    x_tm, h0, c0 = _upload_inputs(X, h0, c0, spec)
    caches = _forward_layers(make_layer(spec.cell, reset_after=spec.reset_after), dp, spec,
                             x_tm, h0, c0, None, ws)
    _, pred = _head(dp, caches, ws)
    prediction = pred.copy_to_host()
    _check_outputs(prediction, dp, "prediction", check_input)
    hs = [c.hs.copy_to_host() for c in caches]
    extra = [None if c.extra is None else c.extra.copy_to_host() for c in caches]
    c_n = tuple(e[-1] for e in extra) if spec.cell == "lstm" else None
    gates = None
    if return_gates:
        gates = tuple(core.gate_traces(spec.cell, h, None if c.gates is None
                                       else c.gates.copy_to_host(), e)
                      for h, c, e in zip(hs, caches, extra, strict=True))
    return Forward(prediction, np.ascontiguousarray(hs[-1][1:].transpose(1, 0, 2)),
                   tuple(h[-1] for h in hs), c_n, gates)


def predict(spec, params, X, inputs, *, check_input=True):
    """:func:`gatedts.nn.functional.predict` on the device: ``(batch, output_size)`` on the
    host. Arguments as :func:`forward`."""
    X, h0, c0, dp = _prepare(spec, params, X, inputs, check_input)
    ws = Workspace()
    x_tm, h0, c0 = _upload_inputs(X, h0, c0, spec)
    caches = _forward_layers(make_layer(spec.cell, reset_after=spec.reset_after), dp, spec,
                             x_tm, h0, c0, None, ws)
    prediction = _head(dp, caches, ws)[1].copy_to_host()
    _check_outputs(prediction, dp, "prediction", check_input)
    return prediction


def loss_and_grad(spec, params, X, y, inputs, objective, *, dropout=0.0, random_state=None,
                  return_input_grads=False, check_input=True):
    """:func:`gatedts.nn.functional.loss_and_grad` on the device; same results.

    ``spec`` and ``inputs`` as in :func:`forward`; ``objective`` is a
    :class:`~gatedts.nn.core.Loss` (unweighted, no quantiles). With a host
    dict ``params`` the gradients come back as a host dict; with a
    :class:`DeviceParams` they stay on the device (a :class:`DeviceParams`).
    """
    core.check_loss(objective.name)
    X, h0, c0, dp = _prepare(spec, params, X, inputs, check_input)
    batch, n_steps, _ = X.shape
    y = (core.check_y(y, spec, batch) if check_input
         else np.asarray(y, dtype=spec.dtype).reshape(batch, -1))
    masks = core.dropout_masks(spec, batch, n_steps, dropout, random_state)
    ws = Workspace()
    x_tm, h0, c0 = _upload_inputs(X, h0, c0, spec)
    cell_obj = make_layer(spec.cell, reset_after=spec.reset_after)
    dmasks = _upload_masks(masks, ws)
    caches = _forward_layers(cell_obj, dp, spec, x_tm, h0, c0, dmasks, ws)
    grads = dp.empty_like()
    stats, layer_grads, dx = _loss_and_backward(
        cell_obj, dp, spec, caches, cuda.to_device(np.ascontiguousarray(y)), objective,
        dmasks, grads, ws, return_input_grads)
    value = float(stats.copy_to_host()[0]) / y.size
    _check_outputs(value, dp, "loss", check_input)
    if not isinstance(params, DeviceParams):
        grads = to_host(grads)
    if not return_input_grads:
        return value, grads
    return value, grads, {
        "X": np.ascontiguousarray(dx.copy_to_host().transpose(1, 0, 2)),
        "h0": tuple(g.h0.copy_to_host() for g in layer_grads),
        "c0": tuple(g.c0.copy_to_host() for g in layer_grads) if spec.cell == "lstm" else None,
        "dh": tuple(np.ascontiguousarray(g.dh.copy_to_host().transpose(1, 0, 2))
                    for g in layer_grads),
    }


# ------------------------------------------------------------------ training on the device


class DeviceTraining:
    """Mini-batch training steps with the parameters kept on the device.

    Built from the host ``params`` and ``optimizer`` (whose state it takes
    over) and the whole training set, uploaded once. Each step gathers its
    batch on the device; :meth:`sync` writes parameters and optimizer state
    back into the host objects (the estimators do so once per epoch).
    """

    def __init__(self, spec, params, X, y, optimizer, clip_norm, *, loss="mse",
                 huber_delta=1.0):
        spec.check_device("cuda")
        self.spec, self.params, self.clip_norm = spec, params, clip_norm
        self.objective = core.Loss(loss, huber_delta)
        self.cell_obj = make_layer(spec.cell, reset_after=spec.reset_after)
        self.dparams = to_device(params)
        self.dgrads = self.dparams.empty_like()
        self.optimizer = DeviceOptimizer(optimizer, self.dparams)
        self.X = cuda.to_device(np.ascontiguousarray(X, dtype=self.spec.dtype))
        y = np.ascontiguousarray(y, dtype=self.spec.dtype).reshape(len(y), 1, -1)
        self.y = cuda.to_device(y)
        self.ws = Workspace()

    def loss_and_clip(self, idx, dropout=0.0, rng=None):
        """Loss and gradient on the samples ``idx``, clipped; returns ``(loss, norm)``.

        The gradient norm is the one before clipping, as ``nn.optim.clip_grad_norm``.
        """
        spec, ws = self.spec, self.ws
        batch, n_steps = len(idx), self.X.shape[1]
        d_idx = ws.get("idx", (batch,), np.int64)
        d_idx.copy_to_device(np.ascontiguousarray(idx, dtype=np.int64))
        x_tm = ws.get("x_batch", (n_steps, batch, self.X.shape[2]), spec.dtype)
        gather_time_major_cuda(self.X, d_idx, x_tm)
        y = ws.get("y_batch", (1, batch, self.y.shape[2]), spec.dtype)
        gather_time_major_cuda(self.y, d_idx, y)
        states = [ws.zeros(f"zero_state{k}", (batch, H), spec.dtype)
                  for k, H in enumerate(spec.hidden_sizes)]
        masks = _upload_masks(core.dropout_masks(spec, batch, n_steps, dropout, rng), ws)
        caches = _forward_layers(self.cell_obj, self.dparams, spec, x_tm, states, states, masks,
                                 ws)
        stats, _, _ = _loss_and_backward(self.cell_obj, self.dparams, spec, caches,
                                         rows(y), self.objective, masks, self.dgrads, ws,
                                         False)
        sum_cuda(self.dgrads.flat, stats, 1, ws.get("partials", (REDUCE_BLOCKS,), np.float64),
                 square=True)
        loss_sum, norm_sq = stats.copy_to_host()
        norm = clip_norm_to(self.dgrads, math.sqrt(norm_sq), self.clip_norm)
        return loss_sum / (batch * self.y.shape[2]), norm

    def step(self, params=None, grads=None, lr=None):
        """The optimizer update on the device (the signature of ``nn.optim.Adam.step``)."""
        self.optimizer.step(self.dparams, self.dgrads, lr)

    def sync(self):
        """Write the parameters and the optimizer state back to the host objects."""
        to_host(self.dparams, self.params)
        self.optimizer.sync()


def training_runner(device, spec, params, X, y, optimizer, clip_norm, *, loss="mse"):
    """A :class:`DeviceTraining` of the network ``spec`` for ``device`` ("cuda" or
    "auto"), or None for the CPU."""
    if resolve_device(device) == "cpu":
        return None
    return DeviceTraining(spec, params, X, y, optimizer, clip_norm, loss=loss)
