"""Encoder-decoder (seq2seq) networks for multi-step forecasts, on the CPU.

The encoder is the ordinary stack over ``X`` (B, T, F). Its final states
initialise a decoder: the same cell with the same layers and sizes, under the
keys ``decoder.weight_ih_l{k}``, ``decoder.weight_hh_l{k}``,
``decoder.bias_ih_l{k}``, ``decoder.bias_hh_l{k}`` (and
``decoder.weight_peephole_l{k}`` for a peephole LSTM), in PyTorch's layout.
Decoder layer k starts from encoder layer k's final ``h`` (and ``c`` for the
LSTM). The decoder runs one step per output; its layer 0 reads, at step j::

    u_j = [v_{j-1}, X_future[:, j]]          (O + F_fut values)

where ``v_{-1}`` is the last observed value of the O targets (``y_start``; by
default the first O features of X's last step, ``X[:, -1, :O]``) and
``v_{j-1}`` for j ≥ 1 is the true ``y[:, j-1]`` in training (teacher forcing)
and the decoder's own prediction at inference (free running). The head
(``head.weight`` (O, H_top), ``head.bias``) maps the decoder's top hidden
state at every step to the O targets: the prediction is (B, horizon, O).

Training (:func:`loss_and_grad`) is exact BPTT through the teacher-forced
decoder and into the encoder: every encoder layer receives the gradient of its
final ``h`` (and ``c``) from the decoder layer it initialises. The loss is the
mean over samples, steps and targets (``sample_weight`` per sample).

Everything is composed from the layer classes of :mod:`gatedts.nn.cpu.layers`
(the cell kernels are not touched, beyond the LSTM backward kernel's input for
a gradient on its final cell state). Dropout applies between the encoder's
layers only; the decoder has none. A residual network has residual stacks on
both sides: layer k > 0 of each outputs its states plus its input (through
``residual_proj_l{k}.weight``, for the decoder
``decoder.residual_proj_l{k}.weight``, where the widths change), while the
states passed from encoder to decoder and from step to step are the layers'
own. Not with bidirectional layers; CPU only. :mod:`gatedts.nn.functional`
validates the arguments and calls in.
"""

import numpy as np

from .core import Forward
from .cpu.common import linear_head, project_inputs, projection_grads
from .params import DECODER_PREFIX, layer_keys, residual_key
from .scratch import scratch

__all__ = ["DecoderInputs", "check_unused", "decoder_inputs", "forward", "loss_and_grad"]


def check_unused(inputs):
    """Refuse the decoder's own arguments (of :class:`~gatedts.nn.core.Inputs`) for a
    network without a decoder."""
    given = [name for name in ("horizon", "X_future", "y_start")
             if getattr(inputs, name) is not None]
    if given:
        raise ValueError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} only used "
                         "by an encoder-decoder network (decoder=True, 'decoder.*' keys)")


class DecoderInputs:
    """The decoder's checked inputs: ``start`` (B, O), ``future`` (horizon, B, F_fut)
    time-major, ``horizon``, and whether ``start`` was read from X (``from_X``)."""

    def __init__(self, start, future, horizon, from_X):
        self.start, self.future, self.horizon, self.from_X = start, future, horizon, from_X


def _as_array(value, name, dtype):
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity")
    return a.astype(dtype, copy=False)


def decoder_inputs(spec, X, inputs, horizon=None):
    """Check the ``horizon``, ``X_future`` and ``y_start`` of ``inputs`` (a
    :class:`~gatedts.nn.core.Inputs`) against ``spec`` and ``X``.

    ``horizon`` (the steps of y in training) replaces ``inputs.horizon``; it
    may be None when ``X_future`` gives it.
    """
    X_future, y_start = inputs.X_future, inputs.y_start
    horizon = inputs.horizon if horizon is None else horizon
    batch, O, n_future = X.shape[0], spec.output_size, spec.future_size  # noqa: E741
    if X_future is None:
        if n_future:
            raise ValueError(f"the decoder expects {n_future} known-future covariate(s) per "
                             "step (decoder.weight_ih_l0 has "
                             f"{O} + {n_future} columns): pass X_future (batch, horizon, "
                             f"{n_future})")
        if horizon is None:
            raise ValueError("an encoder-decoder network needs the number of steps to "
                             "forecast: pass horizon (or X_future)")
        future = np.zeros((horizon, batch, 0), dtype=spec.dtype)
    else:
        if not n_future:
            raise ValueError("X_future was given, but the decoder takes no known-future "
                             "covariates (init_params(..., decoder=True, future_size=k) makes "
                             "one that does)")
        X_future = _as_array(X_future, "X_future", spec.dtype)
        if X_future.ndim != 3 or X_future.shape[0] != batch or X_future.shape[2] != n_future \
                or X_future.shape[1] == 0:
            raise ValueError(f"X_future has shape {X_future.shape}, expected ({batch}, horizon, "
                             f"{n_future}): X's batch, the steps to forecast, and the "
                             "decoder's known-future covariates")
        if horizon is not None and horizon != X_future.shape[1]:
            raise ValueError(f"horizon={horizon} but X_future covers {X_future.shape[1]} steps")
        horizon = X_future.shape[1]
        future = np.ascontiguousarray(X_future.transpose(1, 0, 2))
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    if y_start is None:
        if X.shape[2] < O:
            raise ValueError(f"X has {X.shape[2]} feature(s), fewer than the {O} target(s) "
                             "whose last values start the decoder (X[:, -1, :O]): pass y_start")
        start = np.ascontiguousarray(X[:, -1, :O])
    else:
        start = _as_array(y_start, "y_start", spec.dtype)
        shape = start.shape
        if start.ndim == 1 and O == 1:
            start = start[:, None]
        if start.shape != (batch, O):
            raise ValueError(f"y_start has shape {shape}, expected ({batch}, {O}): the "
                             "last observed value of each target")
        start = np.ascontiguousarray(start)
    return DecoderInputs(start, future, int(horizon), y_start is None)


def check_y_steps(y, spec, batch, horizon):
    """``y`` (batch, horizon) for one target or (batch, horizon, O), as (batch, horizon, O)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be a real numeric array, got dtype {y.dtype}")
    O = spec.output_size  # noqa: E741
    shape = y.shape
    if y.ndim == 2 and O == 1:
        y = y[:, :, None]
    if y.ndim != 3 or y.shape[0] != batch or y.shape[2] != O or y.shape[1] == 0 \
            or (horizon is not None and y.shape[1] != horizon):
        steps = "horizon" if horizon is None else horizon
        one = f" or ({batch}, {steps}) for one target" if O == 1 else ""
        raise ValueError(f"y has shape {shape}, expected ({batch}, {steps}, {O}){one}: one "
                         "value per sample, decoder step and target")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity")
    return y.astype(spec.dtype, copy=False)


# ------------------------------------------------------------------ stacks


def _weights(params, prefix, k):
    w_ih, w_hh, b_ih, b_hh, peep = layer_keys(k, peephole=True, prefix=prefix)
    return params[w_ih], params[w_hh], params[b_ih], params[b_hh], params.get(peep)


def _tag(prefix):
    """The name of a stack's scratch buffers."""
    return "dec" if prefix else "enc"


def _stack_forward(layer, params, prefix, x, states, masks, residual):
    """Run the stack ``prefix`` ("" the encoder, "decoder.") over time-major ``x`` from
    the initial ``states`` (lists h0, c0).

    Returns the layers' caches (in scratch buffers) and the top layer's output
    (T, B, H): its hidden states, plus its input when ``residual``.
    """
    h0, c0 = states
    tag = _tag(prefix)
    caches = []
    for k in range(len(h0)):
        if k > 0 and masks is not None:
            x = x * masks[k - 1]
        w_ih, w_hh, b_ih, b_hh, peep = _weights(params, prefix, k)
        xp = scratch((tag, "xp", k), (*x.shape[:2], w_ih.shape[0]), x.dtype)
        project_inputs(x, w_ih, b_ih, xp)
        cache = layer.forward(x, xp, w_hh, b_hh, peep, h0[k], c0[k], layer=(tag, k))
        caches.append(cache)
        out = cache.hs[1:]
        if residual and k > 0:
            proj = params.get(prefix + residual_key(k))
            out = out + (x if proj is None else x @ proj.T)
        x = out
    return caches, x


def _stack_backward(layer, params, prefix, caches, d_top, d_final, masks, grads, need_dx,
                    residual):
    """BPTT through a stack given dL/d(top layer's states) ``d_top`` (T, B, H_top).

    ``d_final``: None, or per layer dL/d(its final h) and dL/d(its final c)
    (or None) from outside (the decoder layer it initialises). Fills ``grads``
    under ``prefix``; returns per layer dL/dh0 and dL/dc0, and when
    ``need_dx`` dL/d(stack input) and per layer the full dL/dh_t (copies;
    else Nones).
    """
    dh_last, dc_last = (None, None) if d_final is None else d_final
    tag = _tag(prefix)
    n_layers = len(caches)
    dh0, dc0, dh_seq = [None] * n_layers, [None] * n_layers, [None] * n_layers
    dhs, dx = d_top, None
    for k in reversed(range(n_layers)):
        cache = caches[k]
        w_ih, w_hh, _, _, peep = _weights(params, prefix, k)
        keys = layer_keys(k, peephole=True, prefix=prefix)
        extra = {}
        d_out = dhs  # dL/d(the layer's output)
        if dh_last is not None:  # and its own final state
            dhs = dhs.copy()
            dhs[-1] += dh_last[k]
        if dc_last is not None and dc_last[k] is not None:
            extra["dc_last"] = dc_last[k]
        g = layer.backward(cache, w_hh, peep, dhs, layer=(tag, k), **extra)
        grads[keys[0]], grads[keys[2]], dx = projection_grads(g.dxp, cache.x, w_ih,
                                                              k > 0 or need_dx)
        grads[keys[1]] = g.w_hh
        grads[keys[3]] = g.b_hh
        if peep is not None:
            grads[keys[4]] = g.peephole
        dh0[k], dc0[k], dh_seq[k] = g.h0, g.c0, g.dh.copy() if need_dx else None
        if k > 0:
            if residual:  # the output gradient also reaches the input directly
                dx = dx + _residual_grad(params, prefix, grads, k, d_out, cache.x)
            if masks is not None:
                dx *= masks[k - 1]
            dhs = dx
    return dh0, dc0, (dx if need_dx else None), dh_seq


def _residual_grad(params, prefix, grads, k, d_out, x):
    """dL/d(input) of layer ``k``'s residual term given dL/d(output) ``d_out``; stores
    the projection's gradient in ``grads``."""
    key = prefix + residual_key(k)
    if key not in params:
        return d_out
    grads[key] = d_out.reshape(-1, d_out.shape[-1]).T @ x.reshape(-1, x.shape[-1])
    return d_out @ params[key]


def _final_states(caches, cell):
    h = [c.hs[-1].copy() for c in caches]
    c = [c.extra[-1].copy() for c in caches] if cell == "lstm" else [None] * len(caches)
    return h, c


def _head(params, h):
    """The head on (n, H) states, in the kernels' arithmetic (batch-independent)."""
    return linear_head(np.ascontiguousarray(h), params["head.weight"], params["head.bias"])


# ------------------------------------------------------------------ forward and training


def forward(layer, params, spec, X, states, inputs):
    """Encode ``X`` from the initial ``states`` (lists h0, c0) then decode
    ``inputs.horizon`` steps (``inputs``: :class:`DecoderInputs`), each fed its own
    previous prediction (free running). Returns a :class:`~gatedts.nn.core.Forward`
    whose ``prediction`` is (B, horizon, O), ``sequence`` the decoder's top outputs
    (B, horizon, H_top) and ``h_n``/``c_n`` the decoder's final states."""
    cell, residual = spec.cell, spec.residual
    x = np.ascontiguousarray(X.transpose(1, 0, 2))
    enc, _ = _stack_forward(layer, params, "", x, states, None, residual)
    h, c = _final_states(enc, cell)
    prev, steps, tops = inputs.start, [], []
    for j in range(inputs.horizon):
        u = np.concatenate([prev, inputs.future[j]], axis=1)[None]
        dec, top = _stack_forward(layer, params, DECODER_PREFIX, u, (h, c), None, residual)
        h, c = _final_states(dec, cell)
        prev = _head(params, top[0])
        steps.append(prev)
        tops.append(top[0].copy())
    prediction = np.stack(steps, axis=1)
    return Forward(prediction, np.stack(tops, axis=1), tuple(h),
                   tuple(c) if cell == "lstm" else None, None)


def loss_and_grad(layer, params, spec, data, states, inputs, objective, masks,
                  return_input_grads):
    """Mean loss of the teacher-forced decoder on ``data`` = ``(X, y)``, y (B, horizon,
    O), and its exact gradient; see :func:`gatedts.nn.functional.loss_and_grad`.

    ``states`` are the encoder's initial (h0, c0), ``inputs`` the
    :class:`DecoderInputs`, ``objective`` a :class:`~gatedts.nn.core.Loss`
    (no quantiles) and ``masks`` the encoder's dropout masks (or None).
    """
    X, y = data
    cell, residual = spec.cell, spec.residual
    x = np.ascontiguousarray(X.transpose(1, 0, 2))
    enc, _ = _stack_forward(layer, params, "", x, states, masks, residual)
    h, c = _final_states(enc, cell)
    y_tm = y.transpose(1, 0, 2)  # (horizon, B, O)
    fed = np.concatenate([inputs.start[None], y_tm[:-1]], axis=0)  # teacher forcing
    u = np.ascontiguousarray(np.concatenate([fed, inputs.future], axis=2))
    dec, top = _stack_forward(layer, params, DECODER_PREFIX, u, (h, c), None, residual)
    horizon, batch, H = top.shape
    top2 = top.reshape(-1, H)
    O = spec.output_size  # noqa: E741
    pred = _head(params, top2).reshape(horizon, batch, O)
    value, d_pred = objective(pred.transpose(1, 0, 2).reshape(batch, -1), y.reshape(batch, -1))
    d_pred = np.ascontiguousarray(
        d_pred.astype(spec.dtype, copy=False).reshape(batch, horizon, O).transpose(1, 0, 2))
    d2 = d_pred.reshape(-1, O)
    grads = {"head.weight": d2.T @ top2, "head.bias": d2.sum(axis=0)}
    d_top = d_pred @ params["head.weight"]
    dh_dec, dc_dec, du, _ = _stack_backward(layer, params, DECODER_PREFIX, dec, d_top, None,
                                            None, grads, return_input_grads, residual)
    d_enc = np.zeros_like(enc[-1].hs[1:])
    dh0, dc0, dx, dh_seq = _stack_backward(
        layer, params, "", enc, d_enc, (dh_dec, dc_dec if cell == "lstm" else None), masks,
        grads, return_input_grads, residual)
    grads = {key: np.ascontiguousarray(grads[key], dtype=spec.dtype) for key in params}
    if not return_input_grads:
        return value, grads
    dX = np.ascontiguousarray(dx.transpose(1, 0, 2))
    d_start = du[0, :, :O].copy()
    if inputs.from_X:  # X[:, -1, :O] also started the decoder
        dX[:, -1, :O] += d_start
    input_grads = {
        "X": dX,
        "h0": tuple(dh0),
        "c0": tuple(dc0) if cell == "lstm" else None,
        "dh": tuple(d.transpose(1, 0, 2).copy() for d in dh_seq),
        "y_start": d_start,
        "X_future": np.ascontiguousarray(du[:, :, O:].transpose(1, 0, 2)),
    }
    return value, grads, input_grads
