"""The functional core: parameters in, predictions and exact gradients out.

Parameters are a plain ``dict[str, np.ndarray]`` named and shaped exactly like
the ``state_dict()`` of ``torch.nn.GRU / LSTM / RNN(batch_first=True)``
followed by an ``nn.Linear`` head whose keys are renamed ``head.*``:

============================  ============  ======================================
key                           shape         meaning
============================  ============  ======================================
``weight_ih_l{k}``            (G·H_k, I_k)  input weights of layer k
``weight_hh_l{k}``            (G·H_k, H_k)  recurrent weights of layer k
``bias_ih_l{k}``              (G·H_k,)      input bias
``bias_hh_l{k}``              (G·H_k,)      recurrent bias
``weight_peephole_l{k}``      (3, H_k)      LSTM only, optional: i, f, o peepholes
``head.weight``               (O, H_top)    linear head on the last hidden state
``head.bias``                 (O,)
``attention.key.weight``      (D, D)        attention head only: W_k
``attention.query.weight``    (D, D)        attention head only: W_q
``attention.bias``            (D,)          attention head only: b_a
``attention.score.weight``    (1, D)        attention head only: v
============================  ============  ======================================

The head (``head=``) reads the top layer's output sequence S (T steps of
width D = n_directions·H_top; with ``residual`` it includes the skip) and q,
what the plain head reads (PyTorch's ``h_n`` of the top layer, or the
residual top output at the last step):

===============  ===========================================  ===============  ============
``head``         prediction                                   ``head.weight``  shape
===============  ===========================================  ===============  ============
``"last"``       ``W q + b``                                  (O, D)           (B, O)
``"attention"``  ``W [context, q] + b`` with                  (O, 2·D)         (B, O)
                 ``context = Σ_t α_t s_t``,
                 ``α = softmax_t(v · tanh(W_k s_t + W_q q
                 + b_a))`` (Bahdanau's additive attention,
                 the last state q as the query)
``"sequence"``   ``W s_t + b`` at every step t                (O, D)           (B, T, O)
===============  ===========================================  ===============  ============

The attention width is A = D. ``head=None`` (the default) reads the dict:
"attention" iff it holds the ``attention.*`` keys, else "last"; the
sequence head has no parameters of its own, so it must be asked for. Its
targets are one per step: ``y`` (B, T, O), or (B, T) for one output, and the
loss is the mean over every step and output. Heads other than "last" run on
the CPU only.

A bidirectional network (``init_params(..., bidirectional=True)``, as
``torch.nn.GRU(bidirectional=True)``) adds the same four (or five) keys with
the suffix ``_reverse`` for every layer: the layer run backwards in time.
Layers above the first then see both directions side by side (``I_k =
2·H_{k-1}``) and the head reads the top layer's forward state at the last
step next to its reverse state at the first (``head.weight`` is (O, 2·H_top)).

A residual network (``residual=True``: each layer above the first adds its
input to its output) has ``residual_proj_l{k}.weight`` (H_k, H_{k-1}), no
bias, for every layer k whose width differs from the one below; a stack of
equal widths has no extra key, so the functions must be told
``residual=True`` (``residual=None`` reads the dict: residual iff it holds a
projection).

An encoder-decoder network (``decoder=True``, :mod:`gatedts.nn.decoder`) for
multi-step forecasts adds a decoder: the same cell, layers and sizes under
``decoder.weight_ih_l{k}`` etc. (``decoder.weight_peephole_l{k}`` for a
peephole LSTM), each decoder layer starting from the final state of its
encoder layer. It runs one step per output, its layer 0 reading the previous
value of the O targets and F_fut known-future covariates
(``decoder.weight_ih_l0`` is (G·H_0, O + F_fut)); the head maps its top state
at every step to the O targets, so predictions are (batch, horizon, O). The
value fed at step 0 is ``y_start``, by default the first O features of X's last
step (``X[:, -1, :O]``); then the true previous value in training (teacher
forcing) and the decoder's own prediction at inference. ``decoder=None`` reads
the dict (a decoder iff it holds ``decoder.*`` keys). With ``residual`` both
stacks are residual (the decoder's projections are
``decoder.residual_proj_l{k}.weight``). Not with bidirectional layers, no
dropout inside the decoder; CPU only.

G is 3 for the GRU (gates r, z, n), 4 for the LSTM (i, f, g, o) and 1 for the
RNN; ``I_0`` is the number of input features and ``I_k = H_{k-1}`` above it.
The dict alone says how many layers there are and how wide each is, so a
PyTorch ``state_dict`` loads with a dict copy (``{k: v.numpy() ...}``).

Every function takes the network either as a cell name and keywords
(``reset_after``, ``bidirectional``, ``residual``, ``head``, ``decoder``), from
which :func:`network_spec` builds a :class:`~gatedts.nn.spec.NetworkSpec`
together with what ``params`` show, or as that spec in place of the cell name.

Inputs are batch-first ``(batch, time, features)`` like ``batch_first=True``;
the kernels run time-major internally. All arithmetic is done in the dtype of
the parameters (float32 or float64).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import core, heads
from . import decoder as encdec
from .cells import cpu_layer
from .core import LOSSES, Forward, Inputs, Loss, LossName, layer_weights, loss_value
from .cpu.common import CHUNK_ROWS, project_inputs, projection_grads
from .params import (
    HEADS,
    ModelSpec,
    init_params,
    layer_keys,
    model_spec,
    network_spec,
    residual_key,
)
from .scratch import scratch
from .spec import Head, NetworkSpec
from .threads import single_threaded_blas  # also sets the OpenMP spin default (see threads)

__all__ = ["HEADS", "LOSSES", "Forward", "ModelSpec", "NetworkSpec", "forward", "init_params",
           "loss_and_grad", "loss_value", "model_spec", "network_spec", "predict"]

#: Where the kernels run: "auto" is the GPU when there is one.
Device = Literal["cpu", "cuda", "auto"]


def _on_device(device):
    """The CUDA twin module when ``device`` resolves to a GPU, else None (the CPU path).

    Imported on demand: :mod:`gatedts.nn.cuda` imports ``numba.cuda``, which a
    CPU user never needs.
    """
    if device == "cpu":
        return None
    cuda = import_module("gatedts.nn.cuda.functional")
    return cuda if cuda.resolve_device(device) == "cuda" else None


def _network(cell, params, options, check_input):
    """The :class:`NetworkSpec` of a call on the CPU: ``cell`` itself when it is one
    (checked against ``params``, unless ``check_input`` is off: its caller checked them,
    as the estimators do once per fit), else built from ``params`` and the keyword
    ``options``."""
    if not check_input and isinstance(cell, NetworkSpec) and options == _LEFT_TO_THE_SPEC:
        return cell
    return network_spec(cell, params, **options)


def _device_call(cuda, cell, params, options, inputs):
    """The spec of a call on the device, after refusing what runs on the CPU only."""
    spec = cuda.device_network(cell, params, **options)
    encdec.check_unused(inputs)  # only a decoder takes them, and the device has none
    return spec


def _run_layers(cell_obj, params, spec, X, states, keep_masks):
    """Forward through every layer: per layer, the caches of its directions (time-major),
    and the top layer's output sequence (T, B, n_directions·H).

    ``states`` are the lists ``(h0, c0)``. The reverse direction of a
    bidirectional layer is the same layer run on the time-reversed input, so
    its cache is in reversed time. In a residual stack, a layer above the
    first outputs its hidden states plus its input (through
    ``residual_proj_l{k}.weight`` where the widths differ).
    """
    h0, c0 = states
    x = np.ascontiguousarray(X.transpose(1, 0, 2))  # (T, B, I)
    n_dir = spec.num_directions
    caches = []
    for k in range(spec.num_layers):
        if k > 0 and keep_masks is not None:
            x = x * keep_masks[k - 1]
        layer = []
        for d in range(n_dir):
            w_ih, w_hh, b_ih, b_hh, peep = layer_weights(params, k, d)
            x_d = np.ascontiguousarray(x[::-1]) if d else x
            xp = scratch(("xp", k, d), (*x_d.shape[:2], w_ih.shape[0]), x_d.dtype)
            project_inputs(x_d, w_ih, b_ih, xp)
            state = k * n_dir + d
            layer.append(cell_obj.forward(x_d, xp, w_hh, b_hh, peep, h0[state], c0[state],
                                          layer=(k, d) if d else k))
        caches.append(layer)
        out = _layer_output(layer)
        if spec.residual and k > 0:
            proj = params.get(residual_key(k))
            out = out + (x if proj is None else x @ proj.T)
        x = out
    return caches, x


def _layer_output(layer):
    """A layer's hidden states (T, B, n_directions·H) in time order: the forward
    direction's, then the reverse direction's put back in time order."""
    if len(layer) == 1:
        return layer[0].hs[1:]
    return np.concatenate([layer[0].hs[1:], layer[1].hs[:0:-1]], axis=-1)


def _last_states(layer):
    """What the head reads: PyTorch's ``h_n`` of the layer, its directions side by side
    (the reverse direction's final state is the one at the first time step)."""
    if len(layer) == 1:
        return layer[0].hs[-1]
    return np.concatenate([c.hs[-1] for c in layer], axis=-1)


def _architecture(reset_after, bidirectional, residual, head, decoder):
    """The keyword options of a call that describe the network, for :func:`network_spec`."""
    return {"reset_after": reset_after, "bidirectional": bidirectional, "residual": residual,
            "head": head, "decoder": decoder}


_LEFT_TO_THE_SPEC = _architecture(True, None, None, None, None)  # the keywords' defaults


def forward(cell: str | NetworkSpec, params: Mapping[str, np.ndarray], X: ArrayLike, *,
            h0: ArrayLike | None = None,
            c0: ArrayLike | None = None, reset_after: bool = True,
            bidirectional: bool | None = None, residual: bool | None = None,
            head: Head | None = None, decoder: bool | None = None, horizon: int | None = None,
            X_future: ArrayLike | None = None, y_start: ArrayLike | None = None,
            return_gates: bool = False, return_attention: bool = False,
            check_input: bool = True, device: Device = "cpu") -> Forward:
    """Run the network over ``X`` and return a :class:`Forward`.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"} or NetworkSpec
        The cell, or the whole network as a :class:`NetworkSpec` (then
        ``reset_after``, ``bidirectional``, ``residual``, ``head`` and
        ``decoder`` stay unset: the spec says them, and ``params`` must match it).
    params : dict of str to ndarray
        See the module docstring for names and shapes.
    X : array-like (batch, time, features)
    h0, c0 : sequence of arrays (batch, H_k), one per layer, optional
        Initial hidden / cell states (zeros by default). A 3-D array
        ``(num_layers, batch, H)`` like PyTorch's also works. A bidirectional
        network takes two per layer, in PyTorch's ``(num_layers*2, batch, H)``
        order: layer 0 forward, layer 0 reverse, layer 1 forward, ...
    reset_after : bool, default True
        GRU only: PyTorch/cuDNN form (True) or Cho et al. 2014 (False).
    bidirectional : bool or None, default None
        Every layer also runs backwards in time (``*_reverse`` weights) and
        the two directions are concatenated, as
        ``torch.nn.GRU(bidirectional=True)``; the head reads PyTorch's
        ``h_n`` of the top layer (forward state at the last step, reverse
        state at the first). The params dict says which network it is: None
        takes that, True or False must agree with it. CPU only.
    residual : bool or None, default None
        Each layer above the first adds its input to its output (the
        sequence passed up, and the top layer's last output that the head
        reads), through ``residual_proj_l{k}.weight`` where the widths
        differ. None is residual iff ``params`` holds a projection, so a
        stack of equal widths needs ``residual=True``; True or False must
        agree with the projections in ``params``. Not with
        ``bidirectional``; CPU only. ``h_n``, ``c_n`` and the gates stay the
        layers' own states; ``sequence`` is the top layer's output.
    head : {"last", "attention", "sequence"} or None, default None
        What the linear head reads (see the module docstring): the last
        state, the attention context next to it, or every step (prediction
        (batch, time, O)). None reads ``params``: "attention" iff it holds
        the ``attention.*`` keys, else "last"; a given head must agree with
        them. Works with ``residual`` and ``bidirectional``; CPU only.
    decoder : bool or None, default None
        An encoder-decoder network (see the module docstring): the
        ``prediction`` is (batch, horizon, output_size), each step fed the
        decoder's own previous prediction; ``sequence`` holds the decoder's
        top outputs (batch, horizon, H_top) and ``h_n``/``c_n`` its final
        states. None is a decoder iff ``params`` holds ``decoder.*`` keys;
        True or False must agree. With ``residual`` the decoder is residual
        too. Not with ``bidirectional`` or ``return_gates``; CPU only.
    horizon : int, optional
        Decoder only: the number of steps to forecast (or given by
        ``X_future``).
    X_future : array-like (batch, horizon, F_fut), optional
        Decoder only: the known-future covariates of each decoder step;
        required when the decoder has them (F_fut > 0), refused otherwise.
    y_start : array-like (batch, output_size), optional
        Decoder only: the last observed value of the targets, fed at the
        first decoder step; by default ``X[:, -1, :output_size]``.
    return_gates : bool, default False
        Also return every gate activation (see :class:`Forward`); a
        bidirectional network gives one dict per layer and direction, in the
        order of ``h_n``, each in time order.
    return_attention : bool, default False
        Also return the attention weights (batch, time), in time order, as
        ``Forward.attention``; only with the attention head.
    check_input : bool, default True
        Validate ``params`` (against ``cell`` when it is a
        :class:`NetworkSpec`) and ``X``. Turn off only for inputs that were
        already checked (the estimators do, once per fit).
    device : {"cpu", "cuda", "auto"}, default "cpu"
        "cuda" runs on the GPU through :mod:`gatedts.nn.cuda` (same results);
        "auto" does when a GPU is available.

    Returns
    -------
    Forward
    """
    options = _architecture(reset_after, bidirectional, residual, head, decoder)
    inputs = Inputs(h0, c0, horizon, X_future, y_start)
    cuda = _on_device(device)
    if cuda is not None:
        spec = _device_call(cuda, cell, params, options, inputs)
        return cuda.forward(spec, params, X, inputs, return_gates=return_gates,
                            return_attention=return_attention, check_input=check_input)
    return _forward(_network(cell, params, options, check_input), params, X, inputs,
                    return_gates, return_attention, check_input)


def _forward(spec, params, X, inputs, return_gates, return_attention, check_input):
    """:func:`forward` on the CPU, for the network ``spec``."""
    if return_attention and spec.head != "attention":
        raise ValueError(f"return_attention=True needs the attention head, not "
                         f"head={spec.head!r} (init_params(..., head='attention') makes its "
                         "parameters)")
    if not spec.decoder:
        encdec.check_unused(inputs)
    elif return_gates:
        raise ValueError("return_gates is not supported with decoder=True")
    params, X, h0, c0 = core.prepare(spec, params, X, inputs, check_input)
    cell_obj = cpu_layer(spec)
    if spec.decoder:
        decoding = encdec.decoder_inputs(spec, X, inputs)
        result = encdec.forward(cell_obj, params, spec, X, (h0, c0), decoding)
        if check_input:
            core.check_outputs(result.prediction, params, "prediction")
        return result
    caches, top = _run_layers(cell_obj, params, spec, X, (h0, c0), None)
    prediction, head_cache = heads.forward(spec.head, params, top,
                                           _head_input(caches, top, spec.residual))
    if check_input:
        core.check_outputs(prediction, params, "prediction")
    # Copies: the caches live in reused scratch arrays (see scratch.py).
    directions = [c for layer in caches for c in layer]  # PyTorch's order of h_n
    h_n = tuple(c.hs[-1].copy() for c in directions)
    c_n = tuple(c.extra[-1].copy() for c in directions) if spec.cell == "lstm" else None
    gates = None
    if return_gates:
        gates = tuple(_time_order(core.gate_traces(spec.cell, c.hs, c.gates, c.extra), d)
                      for layer in caches for d, c in enumerate(layer))
    sequence = top.transpose(1, 0, 2).copy()
    attention = head_cache.alpha.T.copy() if return_attention else None
    return Forward(prediction, sequence, h_n, c_n, gates, attention)


def _head_input(caches, top, residual):
    """What the head reads: the top layer's output at the last step when residual
    (one direction only), else PyTorch's ``h_n`` of the top layer."""
    return np.ascontiguousarray(top[-1]) if residual else _last_states(caches[-1])


def _time_order(traces, direction):
    # The reverse direction ran on reversed time; (B, T, H) traces back in time order.
    if not direction:
        return traces
    return {name: a[:, ::-1].copy() for name, a in traces.items()}


def predict(cell: str | NetworkSpec, params: Mapping[str, np.ndarray], X: ArrayLike, *,
            h0: ArrayLike | None = None,
            c0: ArrayLike | None = None, reset_after: bool = True,
            bidirectional: bool | None = None, residual: bool | None = None,
            head: Head | None = None, decoder: bool | None = None, horizon: int | None = None,
            X_future: ArrayLike | None = None, y_start: ArrayLike | None = None,
            check_input: bool = True, device: Device = "cpu") -> np.ndarray:
    """The network's prediction: ``(batch, output_size)``; ``(batch, time,
    output_size)`` with ``head="sequence"``; with a decoder, its free-running
    forecast ``(batch, horizon, output_size)``.

    Same arguments as :func:`forward`; use :func:`forward` for the whole
    hidden-state sequence, the final states and the attention weights.
    """
    options = _architecture(reset_after, bidirectional, residual, head, decoder)
    inputs = Inputs(h0, c0, horizon, X_future, y_start)
    cuda = _on_device(device)
    if cuda is not None:
        spec = _device_call(cuda, cell, params, options, inputs)
        return cuda.predict(spec, params, X, inputs, check_input=check_input)
    spec = _network(cell, params, options, check_input)
    if (h0 is not None or c0 is not None or np.shape(X)[0] > CHUNK_ROWS or spec.bidirectional
            or spec.residual or spec.head != "last" or spec.decoder
            or inputs != _NO_INPUTS):
        return _forward(spec, params, X, inputs, False, False, check_input).prediction
    # The latency path for a few windows of a plain stack with the plain head: every
    # layer and the head in one call.
    params, sequences = core.prepare(spec, params, X, inputs, check_input, states=False)
    x = np.ascontiguousarray(sequences.transpose(1, 0, 2))
    prediction = cpu_layer(spec).predict(x, params, spec.num_layers)
    if check_input:
        core.check_outputs(prediction, params, "prediction")
    return prediction


_NO_INPUTS = Inputs()


# ------------------------------------------------------------------ loss and gradient


def loss_and_grad(cell: str | NetworkSpec, params: Mapping[str, np.ndarray], X: ArrayLike,
                  y: ArrayLike, *, loss: LossName = "mse", huber_delta: float = 1.0,
                  quantiles: Sequence[float] | None = None,
                  sample_weight: ArrayLike | None = None, h0: ArrayLike | None = None,
                  c0: ArrayLike | None = None, reset_after: bool = True,
                  bidirectional: bool | None = None, residual: bool | None = None,
                  head: Head | None = None, decoder: bool | None = None,
                  horizon: int | None = None, X_future: ArrayLike | None = None,
                  y_start: ArrayLike | None = None, dropout: float = 0.0,
                  random_state: int | np.random.Generator | np.random.RandomState | None = None,
                  return_input_grads: bool = False, check_input: bool = True,
                  device: Device = "cpu") -> tuple[Any, ...]:
    """Mean loss of the network on ``(X, y)`` and its exact gradient (BPTT).

    Parameters
    ----------
    cell, params, X, h0, c0, reset_after, bidirectional, residual, head, check_input, device
        As in :func:`forward` (``cell`` may be a :class:`NetworkSpec`).
    decoder, X_future, y_start
        As in :func:`forward`. With a decoder, step j ≥ 1 is fed the true
        ``y[:, j-1]`` (teacher forcing), the loss is the mean over samples,
        steps and targets, and the gradient flows back through the decoder
        into the encoder (exact BPTT); dropout applies between the encoder's
        layers only. Not with ``loss="quantile"``.
    horizon : int, optional
        Decoder only: if given, must equal the number of steps in ``y``.
    y : array-like (batch, output_size), or (batch,) for one output
        With ``loss="quantile"``: (batch, output_size / len(quantiles)), the
        head giving each target's quantiles side by side. With
        ``head="sequence"``, one target per step: (batch, time, output_size),
        or (batch, time) for one output (the loss is then the mean over every
        step and output). With a decoder: (batch, horizon, output_size), or
        (batch, horizon) for one target.
    loss : {"mse", "mae", "huber", "quantile"}, default "mse"
        Mean over all elements; see :func:`loss_value`.
    huber_delta : float, default 1.0
    quantiles : sequence of float in (0, 1), increasing, optional
        The levels of the pinball loss; only with ``loss="quantile"``.
    sample_weight : array-like (batch,) or (batch, n_targets) of non-negative float, optional
        Weight of each sample in the mean loss (see :func:`loss_value`): a
        weight of 0 removes the sample. Or, with ``y`` of shape (batch,
        n_targets) and a head "last" or "attention" without a decoder, one
        weight per target of each sample (for ``loss="quantile"`` it weights
        all the target's quantiles): a weight of 0 takes that target out of
        the loss and the gradient, e.g. to mask future values not observed.
        Per-step weights of ``head="sequence"`` or a decoder are refused: give
        those one weight per sample. CPU only.
    dropout : float in [0, 1), default 0.0
        Dropout on the inputs of layers above the first (training only), as
        ``nn.GRU(dropout=...)``; masks drawn from ``random_state``.
    return_input_grads : bool, default False
        Also return a dict with ``"X"`` (batch, time, features), ``"h0"`` and
        ``"c0"`` (tuples per layer), and ``"dh"``: per layer, the full
        dL/dh_t of shape (batch, time, H_k) — how far back the gradient reaches.
        A bidirectional network has two entries per layer in ``"h0"``, ``"c0"``
        and ``"dh"``, in the order of ``h_n`` (``"dh"`` in time order). With a
        decoder, ``"h0"``, ``"c0"`` and ``"dh"`` are the encoder's, ``"X"``
        includes the path through the default ``y_start``, and the dict adds
        ``"y_start"`` (batch, output_size) and ``"X_future"`` (batch,
        horizon, F_fut).

    Returns
    -------
    loss : float
    grads : dict of str to ndarray
        Same keys, shapes and dtype as ``params``.
    input_grads : dict, only with ``return_input_grads=True``
    """
    objective = Loss(loss, huber_delta, core.check_loss(loss, quantiles), sample_weight)
    if objective.quantiles and device != "cpu":
        raise ValueError("loss='quantile' runs on the CPU only; use device='cpu'")
    if sample_weight is not None and device != "cpu":
        raise ValueError("sample_weight runs on the CPU only (the CUDA loss kernel is "
                         "unweighted); use device='cpu'")
    options = _architecture(reset_after, bidirectional, residual, head, decoder)
    inputs = Inputs(h0, c0, horizon, X_future, y_start)
    cuda = _on_device(device)
    if cuda is not None:
        spec = _device_call(cuda, cell, params, options, inputs)
        return cuda.loss_and_grad(spec, params, X, y, inputs, objective, dropout=dropout,
                                  random_state=random_state,
                                  return_input_grads=return_input_grads,
                                  check_input=check_input)
    spec = _network(cell, params, options, check_input)
    with single_threaded_blas():  # the kernels bring their own threads (see threads.py)
        return _loss_and_grad(spec, params, X, y, inputs, objective, (dropout, random_state),
                              return_input_grads, check_input)


def _loss_and_grad(spec, params, X, y, inputs, objective, dropout, return_input_grads,
                   check_input):
    """:func:`loss_and_grad` on the CPU; ``dropout`` is ``(rate, random_state)``."""
    if not spec.decoder:
        encdec.check_unused(inputs)
    if np.ndim(objective.sample_weight) == 2 and (spec.decoder or spec.head == "sequence"):
        raise ValueError("a 2-D sample_weight (one weight per target) needs head='last' or "
                         "'attention' without a decoder; with head='sequence' or a decoder "
                         "give one weight per sample, shape (batch,)")
    params, X, h0, c0 = core.prepare(spec, params, X, inputs, check_input)
    batch, n_steps, _ = X.shape
    masks = core.dropout_masks(spec, batch, n_steps, *dropout)
    if spec.decoder:
        return _decoder_loss_and_grad(spec, params, X, y, (h0, c0), inputs, objective, masks,
                                      (return_input_grads, check_input))
    n_quantiles = max(1, len(objective.quantiles))
    if spec.head == "sequence":
        y = (core.check_y_sequence(y, spec, batch, n_steps, n_quantiles) if check_input
             else y.reshape(batch, n_steps, -1))
    else:
        y = core.check_y(y, spec, batch, n_quantiles) if check_input else y.reshape(batch, -1)
    cell_obj = cpu_layer(spec)
    caches, top = _run_layers(cell_obj, params, spec, X, (h0, c0), masks)
    q = _head_input(caches, top, spec.residual)
    prediction, head_cache = heads.forward(spec.head, params, top, q)
    value, d_pred = objective(prediction, y)
    if check_input:
        core.check_outputs(value, params, "loss")
    grads = {}
    d_top, d_q = heads.backward(spec.head, params, top, q, head_cache,
                                d_pred.astype(spec.dtype, copy=False), grads)
    dx, dh0, dc0, dh_seq = _backward_layers(cell_obj, params, spec, caches,
                                            _top_gradients(d_top, d_q, caches[-1],
                                                           spec.num_directions),
                                            (masks, return_input_grads), grads)
    grads = {key: np.ascontiguousarray(grads[key], dtype=spec.dtype) for key in params}
    if not return_input_grads:
        return value, grads
    input_grads = {
        "X": np.ascontiguousarray(dx.transpose(1, 0, 2)),
        "h0": tuple(dh0),
        "c0": tuple(dc0) if spec.cell == "lstm" else None,
        "dh": tuple(d.transpose(1, 0, 2).copy() for d in dh_seq),
    }
    return value, grads, input_grads


def _backward_layers(cell_obj, params, spec, caches, dhs, masks_and_dx, grads):
    """BPTT down the stack from ``dhs``, dL/dh_t of each direction of the top layer.

    ``masks_and_dx`` is ``(dropout masks, whether dL/dX is needed)``. Fills
    ``grads``; returns dL/dX (time-major, or None), and per state dL/dh0,
    dL/dc0 and the full dL/dh_t (in time order).
    """
    masks, need_input_grads = masks_and_dx
    n_dir = spec.num_directions
    n_states = spec.num_layers * n_dir
    dh0, dc0, dh_seq = [None] * n_states, [None] * n_states, [None] * n_states
    dx = None
    for k in reversed(range(spec.num_layers)):
        dx = None
        for d, cache in enumerate(caches[k]):
            w_ih, w_hh, _, _, peep = layer_weights(params, k, d)
            w_ih_key, w_hh_key, b_ih_key, b_hh_key, peep_key = layer_keys(k, d, peephole=True)
            g = cell_obj.backward(cache, w_hh, peep, dhs[d], layer=(k, d) if d else k)
            need_dx = k > 0 or need_input_grads
            grads[w_ih_key], grads[b_ih_key], dx_d = projection_grads(g.dxp, cache.x, w_ih, need_dx)
            grads[w_hh_key] = g.w_hh
            grads[b_hh_key] = g.b_hh
            if peep is not None:
                grads[peep_key] = g.peephole
            state = k * n_dir + d
            dh0[state], dc0[state] = g.h0, g.c0
            dh_seq[state] = g.dh[::-1] if d else g.dh
            if need_dx:
                dx = dx_d if d == 0 else dx + dx_d[::-1]  # the reverse input was x[::-1]
        if k > 0:
            if spec.residual:  # the layer's output gradient also reaches its input directly
                dx = dx + _residual_grad(params, grads, k, dhs[0], caches[k][0].x)
            if masks is not None:
                dx *= masks[k - 1]
            if n_dir == 1:
                dhs = [dx]
            else:  # the layer below: its forward half, and its reverse half in reversed time
                H = caches[k - 1][0].hs.shape[-1]
                dhs = [np.ascontiguousarray(dx[..., :H]), np.ascontiguousarray(dx[::-1, :, H:])]
    return dx, dh0, dc0, dh_seq


def _top_gradients(d_top, d_q, top_caches, n_dir):
    """dL/dh_t of each direction of the top layer (the reverse one in its own, reversed
    time), from the head's dL/dS (T, B, D) (None: zero) and dL/dq (None: zero).

    q is the top output at the last step, or (bidirectional) the forward state
    at the last step next to the reverse state at the first: with a residual
    top layer its output at the last step, which is what ``d_top`` also
    reaches through (the residual backward takes the forward direction's full
    gradient as dL/d(output)).
    """
    if d_top is None:
        T, B, H = top_caches[0].hs[1:].shape
        d_top = np.zeros((T, B, H * n_dir), dtype=top_caches[0].hs.dtype)
    else:
        d_top = np.array(d_top, dtype=top_caches[0].hs.dtype)  # a copy: d_q is added in
    if d_q is not None:
        if n_dir == 1:
            d_top[-1] += d_q
        else:
            H = d_top.shape[-1] // 2
            d_top[-1, :, :H] += d_q[:, :H]
            d_top[0, :, H:] += d_q[:, H:]  # the reverse direction's last state is at step 0
    if n_dir == 1:
        return [d_top]
    H = d_top.shape[-1] // 2
    return [np.ascontiguousarray(d_top[..., :H]), np.ascontiguousarray(d_top[::-1, :, H:])]


def _decoder_loss_and_grad(spec, params, X, y, states, inputs, objective, masks, flags):
    """:func:`loss_and_grad` of an encoder-decoder network (see :mod:`gatedts.nn.decoder`);
    ``flags`` is ``(return_input_grads, check_input)``."""
    return_input_grads, check_input = flags
    if objective.quantiles:
        raise ValueError("loss='quantile' is not supported with decoder=True: the decoder "
                         "feeds back one value per target")
    y = encdec.check_y_steps(y, spec, X.shape[0], inputs.horizon)
    decoding = encdec.decoder_inputs(spec, X, inputs, horizon=y.shape[1])
    result = encdec.loss_and_grad(cpu_layer(spec), params, spec, (X, y), states, decoding,
                                  objective, masks, return_input_grads)
    if check_input:
        core.check_outputs(result[0], params, "loss")
    return result


def _residual_grad(params, grads, k, d_out, x):
    """dL/d(input) of layer ``k``'s residual term given dL/d(output) ``d_out`` (T, B, H_k);
    stores the projection's gradient in ``grads``."""
    key = residual_key(k)
    if key not in params:
        return d_out
    grads[key] = d_out.reshape(-1, d_out.shape[-1]).T @ x.reshape(-1, x.shape[-1])
    return d_out @ params[key]
