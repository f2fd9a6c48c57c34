"""Input handling shared by the CPU and CUDA paths of :mod:`gatedts.nn`.

Both :mod:`gatedts.nn.functional` and :mod:`gatedts.nn.cuda.functional`
import this module and nothing of each other: the checks of ``X``, ``y`` and
the initial states, the dropout masks, the loss table, the :class:`Forward`
result and the gate traces are written once, here, so the two devices accept
and return exactly the same things.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from .cells import get_cell
from .cpu.common import all_finite
from .params import as_rng, check_finite_params, layer_keys

LossName = Literal["mse", "mae", "huber", "quantile"]
LOSSES: tuple[str, ...] = get_args(LossName)


# ------------------------------------------------------------------ inputs


def check_X(X, spec):
    """``X`` as a C-contiguous (batch, time, features) array in the parameters' dtype."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must be a real numeric array, got dtype {X.dtype}")
    if X.ndim != 3:
        raise ValueError(f"X must be 3-D (batch, time, features), got shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"X is empty: shape {X.shape}")
    if X.shape[2] != spec.input_size:
        raise ValueError(
            f"X has {X.shape[2]} feature(s) but the parameters expect {spec.input_size} "
            f"(weight_ih_l0 has {spec.input_size} columns)"
        )
    X = np.ascontiguousarray(X, dtype=spec.dtype)
    if not all_finite(X):
        first = np.argwhere(~np.isfinite(X))[0].tolist()
        raise ValueError(f"X contains NaN or infinity, first at index {first}")
    return X


def check_states(states, name, spec, batch):
    """Initial states as a list of (B, H_k) arrays, one per layer (zeros when None).

    A bidirectional network has two per layer, in PyTorch's order: layer 0
    forward, layer 0 reverse, layer 1 forward, ...
    """
    sizes = spec.state_sizes
    if states is None:
        return [np.zeros((batch, H), dtype=spec.dtype) for H in sizes]
    if len(states) != len(sizes):
        per = (f"two states per layer ({len(sizes)}: forward then reverse of each layer, "
               "as PyTorch's (num_layers*2, batch, H))" if spec.bidirectional
               else f"one state per layer ({len(sizes)})")
        raise ValueError(f"{name} must hold {per}, got {len(states)}")
    out = []
    for k, (state, H) in enumerate(zip(states, sizes, strict=True)):
        state = np.asarray(state)
        if state.shape != (batch, H):
            raise ValueError(f"{name}[{k}] has shape {state.shape}, expected {(batch, H)}")
        if not np.all(np.isfinite(state)):
            raise ValueError(f"{name}[{k}] contains NaN or infinity")
        out.append(np.ascontiguousarray(state, dtype=spec.dtype))
    return out


def check_c0(cell, c0):
    if cell != "lstm" and c0 is not None:
        raise ValueError(f"c0 is only used by an LSTM, not a {cell.upper()}")


def check_y(y, spec, batch, n_quantiles=1):
    """``y`` as (batch, targets) in the parameters' dtype.

    ``targets`` is the head's output size, or that size divided by
    ``n_quantiles`` for the quantile loss (one output per target and quantile).
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be a real numeric array, got dtype {y.dtype}")
    if spec.output_size % n_quantiles:
        raise ValueError(f"the head has {spec.output_size} outputs, not a multiple of the "
                         f"{n_quantiles} quantiles")
    targets = spec.output_size // n_quantiles
    if y.ndim == 1 and targets == 1:
        y = y[:, None]
    if y.shape != (batch, targets):
        per = f" ({n_quantiles} quantiles each)" if n_quantiles > 1 else ""
        raise ValueError(
            f"y has shape {y.shape}, expected ({batch}, {targets}) to match X's batch "
            f"and the head's {spec.output_size} output(s){per}"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity")
    return y.astype(spec.dtype, copy=False)


def check_y_sequence(y, spec, batch, n_steps, n_quantiles=1):
    """``y`` of the sequence head as (batch, time, targets) in the parameters' dtype.

    One target vector per step: (batch, time, targets), or (batch, time) when
    there is one target (``targets`` as in :func:`check_y`).
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be a real numeric array, got dtype {y.dtype}")
    if spec.output_size % n_quantiles:
        raise ValueError(f"the head has {spec.output_size} outputs, not a multiple of the "
                         f"{n_quantiles} quantiles")
    targets = spec.output_size // n_quantiles
    if y.ndim == 2 and targets == 1:
        y = y[:, :, None]
    if y.shape != (batch, n_steps, targets):
        one = f" or ({batch}, {n_steps})" if targets == 1 else ""
        raise ValueError(
            f"y has shape {y.shape}, expected ({batch}, {n_steps}, {targets}){one} for "
            f"head='sequence': one target per time step (T = {n_steps}) of each of X's "
            f"{batch} sequences and each of the head's {spec.output_size} output(s)")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity")
    return y.astype(spec.dtype, copy=False)


def check_sample_weight(sample_weight, batch, targets=None):
    """``sample_weight`` as a float64 array of finite, non-negative weights: (batch,), one
    per sample, or, when ``targets`` is given, also (batch, targets), one per target of
    each sample."""
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be a real numeric array, got dtype {w.dtype}")
    if w.shape != (batch,) and (targets is None or w.shape != (batch, targets)):
        per_target = "" if targets is None else f", or ({batch}, {targets}): one per target"
        raise ValueError(f"sample_weight has shape {w.shape}, expected ({batch},): one weight "
                         f"per sample{per_target}")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(w < 0):
        first = tuple(int(i) for i in np.unravel_index(int(np.argmax(w < 0)), w.shape))
        index = first[0] if w.ndim == 1 else first
        raise ValueError(f"sample_weight must be non-negative, got {float(w[first])} at "
                         f"index {index}")
    return w


def check_loss(loss, quantiles=None):
    """Validate ``loss`` and return its quantiles as a tuple (empty unless "quantile")."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")
    if loss != "quantile":
        if quantiles is not None:
            raise ValueError(f"quantiles are only used by loss='quantile', not {loss!r}")
        return ()
    return check_quantiles(quantiles)


def check_quantiles(quantiles):
    """``quantiles`` as a tuple of distinct increasing floats strictly between 0 and 1."""
    if quantiles is None:
        raise ValueError("loss='quantile' needs quantiles, e.g. quantiles=(0.05, 0.5, 0.95)")
    values = np.atleast_1d(np.asarray(quantiles))
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf" or not (
            np.all((values > 0) & (values < 1)) and np.all(np.diff(values) > 0)):
        raise ValueError("quantiles must be increasing numbers strictly between 0 and 1, got "
                         f"{quantiles!r}")
    return tuple(float(q) for q in values)


@dataclass(frozen=True)
class Inputs:
    """What a call feeds the network besides ``X`` (and ``y``): the initial states
    (``h0``, ``c0``) and a decoder's ``horizon``, ``X_future`` and ``y_start``, as
    given to the functional API (checked by :func:`prepare` and
    :func:`gatedts.nn.decoder.decoder_inputs`)."""

    h0: object = None
    c0: object = None
    horizon: object = None
    X_future: object = None
    y_start: object = None


@dataclass(frozen=True)
class Loss:
    """A loss of :func:`loss_value`: its name, Huber's delta, the quantiles of the
    pinball loss (a tuple, empty for the other losses) and the sample weights."""

    name: str = "mse"
    huber_delta: float = 1.0
    quantiles: tuple = ()
    sample_weight: object = None

    def __call__(self, prediction, y):
        """``(value, d_value/d_prediction)``, see :func:`loss_value`."""
        return loss_value(prediction, y, self.name, self.huber_delta, self.quantiles or None,
                          self.sample_weight)


def prepare(spec, params, X, inputs, check_input, states=True):
    """Check ``X`` and the initial states of ``inputs`` for the network ``spec``, whose
    ``params`` were validated when the spec was built.

    Returns ``(params, X)`` (params made C-contiguous), plus the initial
    states ``h0`` and ``c0`` as lists per layer when ``states``. NaN/inf in
    the parameters shows up in the outputs, which :func:`check_outputs`
    inspects, so they are not scanned here.
    """
    if hasattr(params, "values") and not all(
            type(v) is np.ndarray and v.flags.c_contiguous for v in params.values()):
        params = {key: np.ascontiguousarray(value) for key, value in params.items()}
    if check_input:
        X = check_X(X, spec)
    check_c0(spec.cell, inputs.c0)
    if not states:
        return params, X
    batch = X.shape[0]
    return (params, X, check_states(inputs.h0, "h0", spec, batch),
            check_states(inputs.c0, "c0", spec, batch))


def check_outputs(values, params, what):
    """Turn a NaN/inf result into an error naming its cause, instead of returning it."""
    if np.isfinite(values).all():
        return
    check_finite_params(params)
    raise ValueError(f"the {what} overflowed to NaN/infinity although the inputs and all "
                     "parameters are finite: the weights are too large for this input")


def dropout_masks(spec, batch, n_steps, dropout, random_state):
    """Inverted-dropout keep masks for the inputs of layers 1..L-1 (PyTorch semantics)."""
    if dropout == 0.0 or spec.num_layers == 1:
        return None
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    rng = as_rng(random_state)
    scale = spec.dtype.type(1.0 / (1.0 - dropout))
    return [(rng.random((n_steps, batch, H * spec.num_directions)) >= dropout)
            .astype(spec.dtype) * scale for H in spec.hidden_sizes[:-1]]


def layer_weights(params, k, direction=0):
    """``(w_ih, w_hh, b_ih, b_hh, peephole or None)`` of layer ``k`` in ``direction``
    (0 forward, 1 the ``*_reverse`` weights of a bidirectional layer)."""
    w_ih, w_hh, b_ih, b_hh, peep = layer_keys(k, direction, peephole=True)
    return params[w_ih], params[w_hh], params[b_ih], params[b_hh], params.get(peep)


# ------------------------------------------------------------------ losses


def loss_value(prediction: np.ndarray, y: np.ndarray, loss: LossName = "mse",
               huber_delta: float = 1.0, quantiles: Sequence[float] | None = None,
               sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Mean loss over all elements and its gradient with respect to ``prediction``.

    ``"mse"`` is ``mean((ŷ − y)²)`` like ``torch.nn.functional.mse_loss``;
    ``"mae"`` is ``mean(|ŷ − y|)`` (gradient 0 at 0, like PyTorch); ``"huber"`` is
    ``mean(½e² if |e| ≤ δ else δ(|e| − ½δ))`` like ``torch.nn.functional.huber_loss``.
    ``"quantile"`` is the pinball loss averaged over targets and ``quantiles``:
    ``prediction`` (B, O·Q) holds, for each of the O columns of ``y`` (B, O),
    its Q quantiles side by side, and with ``u = y − ŷ`` the loss is
    ``mean(max(q·u, (q − 1)·u))`` (gradient ``−q`` where ``u > 0``, ``1 − q``
    where ``u < 0``, 0 at 0).

    With ``sample_weight`` (B,) every element of sample ``i`` counts ``w_i``
    times in that mean, as ``(w[:, None] * loss(..., reduction="none")).mean()``
    in PyTorch: weights of mean 1 keep the scale of the loss, and a weight of
    0 takes a sample out of the loss and of the gradient. With ``y`` of shape
    (B, O), ``sample_weight`` may also be (B, O), one weight per target of each
    sample: ``w[i, o]`` weights every element of target ``o`` of sample ``i``
    (for ``"quantile"``, all Q quantiles of that target), and a weight of 0
    takes that target out (e.g. future values not observed). The mean is still
    over all elements, masked ones included.
    """
    levels = check_loss(loss, quantiles)
    if loss == "quantile":
        value, grad = _pinball(prediction, y, np.asarray(levels, dtype=prediction.dtype))
    else:
        e = prediction - y
        n = e.size
        if loss == "mse":
            value, grad = np.square(e, dtype=np.float64), (2.0 / n) * e
        elif loss == "mae":
            value, grad = np.abs(e), np.sign(e) / n
        else:  # huber
            small = np.abs(e) <= huber_delta
            value = np.where(small, 0.5 * e * e, huber_delta * (np.abs(e) - 0.5 * huber_delta))
            grad = (np.where(small, e, huber_delta * np.sign(e)) / n).astype(e.dtype, copy=False)
    if sample_weight is not None:
        targets = y.shape[1] if y.ndim == 2 else None
        w = check_sample_weight(sample_weight, len(prediction), targets)
        w = w.reshape(*w.shape, *(1,) * (value.ndim - w.ndim))  # over each one's elements
        value, grad = value * w, grad * w.astype(grad.dtype)
    return float(np.mean(value, dtype=np.float64)), grad.reshape(prediction.shape)


def _pinball(prediction, y, q):
    """Element-wise pinball losses (B, O, Q) and the gradient of their mean (B, O·Q)."""
    batch, n_quantiles = len(prediction), len(q)
    u = y.reshape(batch, -1, 1) - prediction.reshape(batch, -1, n_quantiles)
    value = np.maximum(q * u, (q - 1) * u)
    grad = (np.where(u > 0, -q, 0) + np.where(u < 0, 1 - q, 0)) / u.size
    return value, grad.astype(prediction.dtype, copy=False)


# ------------------------------------------------------------------ results


@dataclass
class Forward:
    """Result of :func:`gatedts.nn.functional.forward`.

    Attributes
    ----------
    prediction : ndarray (batch, output_size), or (batch, time, output_size)
        The head's output: on the top layer's last hidden state (``"last"``),
        on it and the attention context (``"attention"``), or at every step
        (``"sequence"``, the second shape).
    sequence : ndarray (batch, time, hidden_size of the top layer)
        Every hidden state of the top layer (bidirectional: both directions
        side by side, width 2·H, as PyTorch's ``output``).
    h_n, c_n : tuple of ndarray (batch, H_k), one per layer (two per layer,
        forward then reverse, when bidirectional)
        Final hidden (and, for an LSTM, cell) states: pass them as ``h0``/``c0``
        to continue the sequence. ``c_n`` is None for the GRU and the RNN.
    gates : tuple of dict, one per layer, or None
        With ``return_gates=True``: every activation per time step, each
        ``(batch, time, H_k)``: GRU ``r``, ``z``, ``n`` (candidate), ``h``;
        LSTM ``i``, ``f``, ``g``, ``o``, ``c`` (cell state), ``h``; RNN ``h``.
        Sigmoid gates lie in (0, 1); ``n``, ``g`` and the RNN's ``h`` in (-1, 1).
    attention : ndarray (batch, time) or None
        With ``return_attention=True`` (attention head only): the attention
        weights α_t of every step, in time order; each row sums to 1.
    """

    prediction: np.ndarray
    sequence: np.ndarray
    h_n: tuple
    c_n: tuple | None
    gates: tuple | None = None
    attention: np.ndarray | None = None


def gate_traces(cell, hs, gates, extra):
    """One layer's activations as batch-first (B, T, H) copies, named as in :class:`Forward`.

    ``hs`` (T+1, B, H), ``gates`` (T, B, G·H) or None, ``extra`` the second
    state (T+1, B, H) for the LSTM: the host arrays of a layer's forward pass.
    """
    info = get_cell(cell)
    H = hs.shape[-1]
    out = {name: gates[..., k * H : (k + 1) * H] for k, name in enumerate(info.gate_names)}
    if info.state_name is not None:
        out[info.state_name] = extra[1:]
    out["h"] = hs[1:]
    return {name: a.transpose(1, 0, 2).copy() for name, a in out.items()}
