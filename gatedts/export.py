"""Export a fitted network as a standard ONNX graph or a PyTorch module.

Both exports compute what ``predict`` computes, from one window to one
prediction::

    X ─ (X - feature_mean_) / feature_scale_ ─ time reversal (lag_order="newest_first")
      ─ recurrent layers ─ head on the last step ─ · target_scale_ + target_mean_

The scaling and time-reversal steps are there only when the estimator has them
(fitted attributes ``feature_mean_``, ``feature_scale_``, ``target_mean_``,
``target_scale_`` not None; parameter ``lag_order``). Input is 3-D
``(batch, time, features)``, a 2-D window matrix needs ``X[:, :, None]``, except
for an estimator whose 2-D ``X`` has a layout (``n_features_per_step``,
``feature_layout``, ``static_features`` not the defaults): it takes the same
2-D ``X`` as ``predict``, its columns gathered into sequences first. The
output is ``(batch, n_outputs)``, also for one output. With ``loss="quantile"``
the head keeps the rows of the quantile ``predict`` returns (the one nearest
0.5).

:func:`to_onnx` writes the ONNX operators ``GRU`` (``linear_before_reset=1``
for the reset-after form), ``LSTM`` (peepholes through its ``P`` input) and
``RNN``, one operator per stacked layer, with PyTorch's gate blocks permuted
to ONNX's order; any ONNX runtime (C++, C#, Java, JavaScript) then serves
the model without Python. :func:`to_torch` returns an ``nn.Module`` around
``nn.GRU/LSTM/RNN(batch_first=True)`` and an ``nn.Linear`` head.

Neither needs anything at import: ``onnx`` comes with ``pip install
'gatedts[onnx]'`` (``onnxruntime`` too, to run the graph), ``torch`` with
``[bench]`` or any PyTorch install.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from ._version import __version__
from .estimators import ESTIMATORS, GRURegressor, LSTMRegressor, RNNRegressor
from .export_pipeline import check_exportable, forecaster_onnx, pipeline_constants
from .forecasting import Forecaster
from .nn.cells import CELLS
from .nn.params import network_spec
from .nn.spec import NetworkSpec
from .persistence import write_atomically
from .training import point_prediction

__all__ = ["to_onnx", "to_torch"]

#: What can be exported: a fitted network, a Forecaster of one, or a params dict.
Exportable = GRURegressor | LSTMRegressor | RNNRegressor | Forecaster | Mapping[str, np.ndarray]

ONNX_OPSET = 17  # GRU/LSTM/RNN-14 and everything else used here; onnxruntime >= 1.11
ONNX_IR_VERSION = 8  # the IR of opset 17, so that older runtimes load the file

# Gate blocks of PyTorch's layout (the params dict) in ONNX's order:
# GRU r,z,n -> z,r,h; LSTM i,f,g,o -> i,o,f,c (peepholes i,f,o -> i,o,f).
_ONNX_GATES = {"gru": (1, 0, 2), "lstm": (0, 3, 1, 2), "rnn": (0,)}
_ONNX_PEEPHOLES = (0, 2, 1)
_LAG_ORDERS = ("oldest_first", "newest_first")


@dataclass(frozen=True)
class _Network:
    """What a prediction runs through, as plain arrays: the one input of both exports."""

    params: dict
    spec: NetworkSpec
    reverse_time: bool
    feature_mean: np.ndarray | None = None
    feature_scale: np.ndarray | None = None
    target_mean: np.ndarray | None = None
    target_scale: np.ndarray | None = None
    # (time, features): the column of a 2-D X read at each position of the sequence, for an
    # estimator whose 2-D X has a layout (n_features_per_step, feature_layout,
    # static_features); None: the input is 3-D already.
    columns: np.ndarray | None = None


def _network(model, member, reset_after):
    """The :class:`_Network` of a fitted estimator, a Forecaster's member or a params dict."""
    if isinstance(model, Forecaster):
        model = _forecaster_member(model, member)
    elif member is not None:
        raise ValueError("member picks one network of a Forecaster's ensemble; "
                         f"got member={member!r} with a {type(model).__name__}")
    if isinstance(model, Mapping):
        return _one_direction(_from_params(model, reset_after))
    if not isinstance(model, tuple(ESTIMATORS.values())):
        raise TypeError("expected a fitted GRURegressor, LSTMRegressor, RNNRegressor or "
                        f"Forecaster of one, or a params dict; got {type(model).__name__}")
    _no_reset_after(reset_after)
    return _one_direction(_from_estimator(model))


def _one_direction(network):
    """``network``, unless it is bidirectional, residual, has a head other than the
    last-state one or a decoder (no export of any of these yet).

    A params dict is residual when it holds a ``residual_proj_*`` key, and has
    the attention head when it holds ``attention.*`` keys; one of equal widths
    cannot say it is residual, nor any dict that it is read by the sequence
    head, and is exported as the plain network it describes.
    """
    if network.spec.bidirectional:
        raise ValueError("a bidirectional network has no ONNX or torch export yet; its params "
                         "dict loads into torch.nn.GRU/LSTM/RNN(bidirectional=True, "
                         "batch_first=True) with a dict copy (the head reads h_n)")
    if network.spec.residual:
        raise ValueError("a residual network (residual=True) has no ONNX or torch export yet")
    if network.spec.head != "last":
        raise ValueError(f"a network with head={network.spec.head!r} has no ONNX or torch "
                         "export yet (only head='last' exports)")
    if network.spec.decoder:
        raise ValueError("an encoder-decoder network (decoder=True, 'decoder.*' keys) has no "
                         "ONNX or torch export yet: its graph loops over the forecast steps")
    return network


def _forecaster_member(forecaster, member):
    if not hasattr(forecaster, "estimators_"):
        raise NotFittedError("this Forecaster is not fitted: call fit() before exporting it")
    members = forecaster.estimators_
    if isinstance(member, bool) or not isinstance(member, int | np.integer) \
            or not 0 <= member < len(members):
        raise ValueError(f"member must be an integer in [0, {len(members)}), got {member!r}")
    estimator = members[member]
    if not isinstance(estimator, tuple(ESTIMATORS.values())):
        raise TypeError(f"the Forecaster's model is a {type(estimator).__name__}, not a "
                        "GRU, LSTM or RNN regressor: only gatedts networks are exported")
    return estimator


def _from_params(params, reset_after):
    """A params dict, its cell read from the gate count G of ``weight_hh_l0`` (G·H, H)."""
    if "weight_hh_l0" not in params:
        raise ValueError("params has no 'weight_hh_l0': not a gatedts/PyTorch parameter dict")
    shape = np.shape(params["weight_hh_l0"])
    cells = {cell.n_gates: name for name, cell in CELLS.items()}
    G = shape[0] // shape[1] if len(shape) == 2 and shape[1] else None
    if G not in cells or G * shape[1] != shape[0]:
        raise ValueError(f"weight_hh_l0 has shape {shape}, not (G·H, H) with G gates, "
                         f"{' or '.join(f'{g} ({c.upper()})' for g, c in cells.items())}")
    cell = cells[G]
    if reset_after is not None and cell != "gru":
        raise ValueError(f"reset_after is a GRU option; these params are a {cell.upper()}'s")
    params = dict(params)
    spec = network_spec(cell, params, reset_after=True if reset_after is None else reset_after)
    return _Network(params, spec, reverse_time=False)


def _from_estimator(model):
    if not hasattr(model, "params_"):
        raise NotFittedError(f"this {type(model).__name__} is not fitted: call fit() before "
                             "exporting it")
    options = model.get_params(deep=False)
    lag_order = options.get("lag_order", "oldest_first")
    if lag_order not in _LAG_ORDERS:
        raise ValueError(f"lag_order {lag_order!r} has no export; expected one of {_LAG_ORDERS}")
    # The head rows of the quantile that predict returns (all of them without quantiles).
    levels = tuple(options["quantiles"]) if options["loss"] == "quantile" else ()
    params = dict(model.params_)
    params["head.weight"] = np.ascontiguousarray(
        point_prediction(params["head.weight"].T, levels).T)
    params["head.bias"] = point_prediction(params["head.bias"][None], levels)[0]
    scaling = {name: getattr(model, f"{name}_", None)
               for name in ("feature_mean", "feature_scale", "target_mean", "target_scale")}
    spec = model.network_spec_.replace(output_size=params["head.bias"].shape[0])
    scaling = {k: None if v is None else np.asarray(v, dtype=np.float64)
               for k, v in scaling.items()}
    columns = _layout_columns(model, scaling) if any(
        options.get(name, default) != default for name, default in
        (("n_features_per_step", 1), ("feature_layout", "interleaved"),
         ("static_features", None))) else None
    return _Network(params, spec, lag_order == "newest_first" and columns is None,
                    **scaling, columns=columns)


def _layout_columns(model, scaling):
    """(time, features): which column of a 2-D X the network reads at each position,
    read from ``network_input`` of a row holding each column's own position."""
    probe = np.arange(model.n_features_in_, dtype=np.float64)[None]
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        probe = pd.DataFrame(probe, columns=names)
    seen = np.asarray(model.network_input(probe), dtype=np.float64)[0]
    if scaling["feature_scale"] is not None:
        seen = seen * scaling["feature_scale"]
    if scaling["feature_mean"] is not None:
        seen = seen + scaling["feature_mean"]
    return np.rint(seen).astype(np.int64)


def _no_reset_after(reset_after):
    if reset_after is not None:
        raise ValueError("reset_after is only for a params dict; an estimator's own "
                         "reset_after is used")


def _require(module, extra):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this export needs {module}: pip install 'gatedts[{extra}]'") from None


# ------------------------------------------------------------------ ONNX


def to_onnx(model_or_params: Exportable, path: str | os.PathLike, *, member: int | None = None,
            reset_after: bool | None = None, coverage: float | None = None) -> Path:
    """Write a fitted network, or a Forecaster's whole forecast, as an ONNX graph, atomically.

    Parameters
    ----------
    model_or_params : estimator, Forecaster or dict
        A fitted :class:`~gatedts.GRURegressor`, :class:`~gatedts.LSTMRegressor`
        or :class:`~gatedts.RNNRegressor`; a fitted :class:`~gatedts.Forecaster`
        whose model is one of them; or a params dict of :mod:`gatedts.functional`
        (its cell is read from the shapes: G·H rows of ``weight_hh_l0`` per H
        columns, 3 for the GRU, 4 for the LSTM, 1 for the RNN).

        The graph of a Forecaster (or of the ``forecaster_`` of a fitted
        sktime ``GatedtsForecaster``) is its whole forecast
        (:func:`gatedts.export_pipeline.forecaster_onnx`), either strategy
        (the recursive one unrolled over its ``horizon``): input ``y``
        (batch, ``context_length_``), the last raw observations; with exog
        columns ``exog`` (batch, ``context_length_``, n_exog), their rows
        over the same steps; with future-known ones ``exog_future`` (batch,
        horizon, n_future), the ``future_exog_`` columns over the forecast
        steps, as :meth:`~gatedts.Forecaster.predict` takes them. Output
        ``forecast`` (batch, horizon) in the series' units, the median of an
        ensemble's networks. With ``member=k`` it is the network of member
        ``k`` alone, from the windows it sees to outputs on the transformed
        scale.
    path : str or os.PathLike
        Destination (``.onnx`` suggested). Written to a temporary file and
        renamed: an interrupted export leaves no partial file.
    member : int, optional
        With a Forecaster, export the network of member ``k`` alone (0 for a
        single network) instead of the whole forecast.
    reset_after : bool, optional
        GRU params dict only: the form it was trained in (True, the default,
        is PyTorch's). Estimators carry their own.
    coverage : float, optional
        Forecaster only: also output ``lower`` and ``upper``, the conformal
        interval of :meth:`~gatedts.Forecaster.predict_interval` at this
        coverage, its per-step half-widths calibrated now and stored.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ImportError
        ``onnx`` is not installed.
    NotFittedError
        The estimator or Forecaster is not fitted.
    TypeError, ValueError
        Not an exportable model; an option without an ONNX form.

    Notes
    -----
    The graph of a network has one input ``X`` of shape (batch, time,
    features), or (batch, n_columns) for an estimator with a 2-D layout, and
    one output ``y`` of shape (batch, n_outputs), both float32 with dynamic
    batch and time axes. It is float32 whatever the model's dtype: onnxruntime runs
    the recurrent operators in float32 only. Opset 17, IR version 8.
    """
    forecaster = getattr(model_or_params, "forecaster_", model_or_params)  # sktime adapter
    if isinstance(forecaster, Forecaster) and member is None:
        _no_reset_after(reset_after)
        onnx = _require("onnx", "onnx")
        proto = forecaster_onnx(
            forecaster, lambda k: _onnx_model(onnx, _network(forecaster, k, None)),
            coverage=coverage)
    else:
        if coverage is not None:
            raise ValueError("coverage is for the whole forecast of a Forecaster")
        network = _network(model_or_params, member, reset_after)
        onnx = _require("onnx", "onnx")
        proto = _onnx_model(onnx, network)
    onnx.checker.check_model(proto, full_check=True)
    data = proto.SerializeToString()
    path = Path(path)
    write_atomically(path, lambda file: file.write(data))
    return path


class _GraphBuilder:
    """The nodes and initializers (float32 unless said) of one ONNX graph."""

    def __init__(self, onnx):
        self.helper, self.numpy_helper = onnx.helper, onnx.numpy_helper
        self.nodes, self.initializers = [], []

    def constant(self, name, value, dtype=np.float32):
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def node(self, op, inputs, output, **attributes):
        outputs = output if isinstance(output, list) else [output]
        self.nodes.append(self.helper.make_node(op, inputs, outputs, name=outputs[-1],
                                                **attributes))
        return outputs[-1]


def _onnx_gates(cell, value, H):
    """A weight or bias of PyTorch's layout with its gate blocks in ONNX's order.

    A leading axis of size 1 is added: ONNX's ``num_directions``.
    """
    order = list(_ONNX_GATES[cell])
    return value.reshape(len(order), H, *value.shape[1:])[order].reshape(1, -1, *value.shape[1:])


def _onnx_model(onnx, network):
    spec, params, cell = network.spec, network.params, network.spec.cell
    g = _GraphBuilder(onnx)
    x = "X"
    if network.columns is not None:  # a 2-D X of a layout: gathered into sequences
        x = g.node("Gather", [x, g.constant("layout_columns", network.columns, np.int64)],
                   "X_sequences", axis=1)
    if network.feature_mean is not None:
        x = g.node("Sub", [x, g.constant("feature_mean", network.feature_mean)], "X_centred")
    if network.feature_scale is not None:
        x = g.node("Div", [x, g.constant("feature_scale", network.feature_scale)], "X_scaled")
    if network.reverse_time:  # lag_order="newest_first": the network reads oldest first
        x = g.node("Slice", [x, g.constant("reverse_start", [-1], np.int64),
                             g.constant("reverse_end", [np.iinfo(np.int64).min], np.int64),
                             g.constant("time_axis", [1], np.int64),
                             g.constant("reverse_step", [-1], np.int64)], "X_oldest_first")
    x = g.node("Transpose", [x], "X_time_major", perm=[1, 0, 2])
    for k, H in enumerate(spec.hidden_sizes):
        W, R, Wb, Rb = (_onnx_gates(cell, params[f"{key}_l{k}"], H)
                        for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        inputs = [x, g.constant(f"W_l{k}", W), g.constant(f"R_l{k}", R),
                  g.constant(f"B_l{k}", np.concatenate([Wb, Rb], axis=1))]
        attributes = {"hidden_size": H}
        if cell == "gru":
            attributes["linear_before_reset"] = int(spec.reset_after)
        if spec.peephole:  # inputs 4 to 6 (sequence_lens, initial_h, initial_c) left out
            peep = params[f"weight_peephole_l{k}"][list(_ONNX_PEEPHOLES)].reshape(1, -1)
            inputs += ["", "", "", g.constant(f"P_l{k}", peep)]
        top = k == spec.num_layers - 1
        # Y (time, 1, batch, H) feeds the next layer; the top layer's last state Y_h the head.
        outputs = ["", f"h_last_l{k}"] if top else [f"h_l{k}"]
        y = g.node(cell.upper(), inputs, outputs, **attributes)  # ONNX's GRU, LSTM, RNN
        axis = g.constant(f"direction_axis_l{k}", [0 if top else 1], np.int64)
        x = g.node("Squeeze", [y, axis], "h_last" if top else f"h_seq_l{k}")
    y = g.node("Gemm", [x, g.constant("head.weight", params["head.weight"]),
                        g.constant("head.bias", params["head.bias"])], "head", transB=1)
    if network.target_scale is not None:
        y = g.node("Mul", [y, g.constant("target_scale", network.target_scale)], "y_scaled")
    if network.target_mean is not None:
        y = g.node("Add", [y, g.constant("target_mean", network.target_mean)], "y_shifted")
    g.node("Identity", [y], "y")
    helper, tensor = onnx.helper, onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes, f"gatedts_{cell}",
        [helper.make_tensor_value_info("X", tensor, ["batch", "time", spec.input_size]
                                       if network.columns is None  # else every column read:
                                       else ["batch", int(network.columns.max()) + 1])],
        [helper.make_tensor_value_info("y", tensor, ["batch", spec.output_size])],
        g.initializers)
    proto = helper.make_model(graph, producer_name="gatedts", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    proto.ir_version = ONNX_IR_VERSION
    proto.doc_string = (f"gatedts {cell.upper()} network: X (batch, time, features) -> "
                        "y (batch, outputs)")
    return proto


# ------------------------------------------------------------------ PyTorch


def to_torch(model_or_params: Exportable, *, member: int | None = None,
             reset_after: bool | None = None, coverage: float | None = None) -> Any:
    """A PyTorch module computing the fitted network's predictions, or a Forecaster's
    whole forecast, weights loaded.

    Parameters
    ----------
    model_or_params, member, reset_after, coverage
        As in :func:`to_onnx`. A Forecaster (without ``member``) gives a
        :class:`gatedts.export.TorchForecaster`: ``forward(y, exog=None,
        exog_future=None)`` takes the inputs of the ONNX graph (the last
        ``context_length_`` raw observations, their exog rows, the
        future-known exog of the forecast steps) and returns the forecast
        (batch, horizon) in the series' units, or ``(forecast, lower,
        upper)`` with ``coverage``; its ``members`` are TorchNetwork
        modules, combined by their median.

    Returns
    -------
    gatedts.export.TorchNetwork or gatedts.export.TorchForecaster
        An ``nn.Module`` in the parameters' dtype, in eval mode. Its
        ``forward(X)`` takes a (batch, time, features) tensor and returns
        (batch, n_outputs). ``rnn`` is ``nn.GRU/LSTM/RNN(batch_first=True)``,
        whose ``state_dict()`` has exactly the keys of the params dict, and
        ``head`` the ``nn.Linear``; the scaling (when the estimator has it)
        is in the buffers ``feature_mean``, ``feature_scale``,
        ``target_mean``, ``target_scale``. Three networks have no ``nn.GRU/
        LSTM`` form: a reset-before GRU (``reset_after=False``; PyTorch's
        GRU is the reset-after form), an LSTM with peepholes, and layers of
        different widths. Their ``rnn`` is a :class:`gatedts.export.TorchRecurrent`
        with the same parameter names, which runs the recurrence step by step.

    Raises
    ------
    ImportError
        ``torch`` is not installed.
    NotFittedError, TypeError, ValueError
        As in :func:`to_onnx`.
    """
    forecaster = getattr(model_or_params, "forecaster_", model_or_params)  # sktime adapter
    if isinstance(forecaster, Forecaster) and member is None:
        _no_reset_after(reset_after)
        check_exportable(forecaster)
        networks = [_network(forecaster, k, None) for k in range(len(forecaster.estimators_))]
        constants = pipeline_constants(forecaster, coverage)
        _require("torch", "bench")
        classes = _torch_classes()
        return classes["TorchForecaster"](constants, [classes["TorchNetwork"](network)
                                                      for network in networks])
    if coverage is not None:
        raise ValueError("coverage is for the whole forecast of a Forecaster")
    network = _network(model_or_params, member, reset_after)
    _require("torch", "bench")
    return _torch_classes()["TorchNetwork"](network)


@functools.cache
def _torch_classes():
    """The torch module classes, built on first use so that importing gatedts needs no torch.

    They are published as attributes of this module (see ``__getattr__``), so
    ``torch.save(module)`` pickles them by name.
    """
    import torch
    from torch import nn

    class TorchRecurrent(nn.Module):
        """Stacked GRU/LSTM/RNN layers in plain torch operations, step by step.

        For the networks ``nn.GRU/LSTM/RNN`` cannot hold: a reset-before GRU,
        an LSTM with peepholes, layers of different widths. Parameters are
        named as in the params dict; ``forward`` returns the top layer's
        hidden states (batch, time, H) and the last state of every layer.
        The equations are those of :mod:`gatedts.nn.cpu.gru`, ``.lstm`` and
        ``.rnn``.
        """

        def __init__(self, cell, params, reset_after):
            super().__init__()
            self.cell, self.reset_after = cell, reset_after
            self.num_layers = sum(key.startswith("weight_ih_l") for key in params)
            for key, value in params.items():
                self.register_parameter(key, nn.Parameter(torch.from_numpy(value.copy())))

        def forward(self, x):
            last = []
            for k in range(self.num_layers):
                w_hh, b_hh = getattr(self, f"weight_hh_l{k}"), getattr(self, f"bias_hh_l{k}")
                xp = x @ getattr(self, f"weight_ih_l{k}").T + getattr(self, f"bias_ih_l{k}")
                h = xp.new_zeros(xp.shape[0], w_hh.shape[1])
                c = torch.zeros_like(h)
                steps = []
                for t in range(xp.shape[1]):
                    h, c = self._step(k, xp[:, t], h, c, w_hh, b_hh)
                    steps.append(h)
                x = torch.stack(steps, dim=1)
                last.append(h)
            return x, tuple(last)

        def _step(self, k, xp, h, c, w_hh, b_hh):
            if self.cell == "rnn":
                return torch.tanh(xp + h @ w_hh.T + b_hh), c
            if self.cell == "gru":
                H = h.shape[1]
                rec = h @ w_hh[: 2 * H].T + b_hh[: 2 * H]
                r, z = torch.sigmoid(xp[:, : 2 * H] + rec).chunk(2, dim=1)
                if self.reset_after:
                    n = torch.tanh(xp[:, 2 * H:] + r * (h @ w_hh[2 * H:].T + b_hh[2 * H:]))
                else:
                    n = torch.tanh(xp[:, 2 * H:] + (r * h) @ w_hh[2 * H:].T + b_hh[2 * H:])
                return (1 - z) * n + z * h, c
            a_i, a_f, a_g, a_o = (xp + h @ w_hh.T + b_hh).chunk(4, dim=1)
            peep = getattr(self, f"weight_peephole_l{k}", None)
            if peep is not None:
                a_i, a_f = a_i + peep[0] * c, a_f + peep[1] * c
            c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
            if peep is not None:
                a_o = a_o + peep[2] * c
            return torch.sigmoid(a_o) * torch.tanh(c), c

    class TorchNetwork(nn.Module):
        """A gatedts network as a PyTorch module (see :func:`gatedts.export.to_torch`)."""

        def __init__(self, network):
            super().__init__()
            spec = network.spec
            dtype = getattr(torch, spec.dtype.name)
            params = {key: np.ascontiguousarray(value) for key, value in network.params.items()}
            layers = {key: value for key, value in params.items() if not key.startswith("head.")}
            standard = (len(set(spec.hidden_sizes)) == 1 and not spec.peephole
                        and (spec.cell != "gru" or spec.reset_after))
            if standard:
                module = getattr(nn, spec.cell.upper())  # nn.GRU, nn.LSTM, nn.RNN
                self.rnn = module(spec.input_size, spec.hidden_sizes[0], spec.num_layers,
                                  batch_first=True, dtype=dtype)
                self.rnn.load_state_dict({k: torch.from_numpy(v) for k, v in layers.items()})
            else:
                self.rnn = TorchRecurrent(spec.cell, layers, spec.reset_after)
            self.head = nn.Linear(spec.hidden_sizes[-1], spec.output_size, dtype=dtype)
            self.head.load_state_dict({"weight": torch.from_numpy(params["head.weight"]),
                                       "bias": torch.from_numpy(params["head.bias"])})
            self.reverse_time = network.reverse_time
            self.register_buffer("columns", None if network.columns is None
                                 else torch.from_numpy(network.columns))
            for name in ("feature_mean", "feature_scale", "target_mean", "target_scale"):
                value = getattr(network, name)
                self.register_buffer(name, None if value is None
                                     else torch.from_numpy(value.astype(spec.dtype)))
            self.eval()

        def forward(self, X):
            if self.columns is not None:  # a 2-D X of a layout: gathered into sequences
                X = X[:, self.columns]
            if self.feature_mean is not None:
                X = X - self.feature_mean
            if self.feature_scale is not None:
                X = X / self.feature_scale
            if self.reverse_time:
                X = X.flip(1)
            y = self.head(self.rnn(X)[0][:, -1])
            if self.target_scale is not None:
                y = y * self.target_scale
            if self.target_mean is not None:
                y = y + self.target_mean
            return y

    class TorchForecaster(nn.Module):
        """A Forecaster's whole forecast as a module (see :func:`gatedts.export.to_torch`)."""

        def __init__(self, constants, members):
            super().__init__()
            self.members = nn.ModuleList(members)
            dtype = members[0].head.weight.dtype
            for name in ("context", "window", "n_lost", "model_horizon", "n_steps",
                         "log_offset", "local_level", "level_scale"):
                setattr(self, name, getattr(constants, name))
            for name in ("difference", "target_scale", "target_shift", "exog_scale",
                         "exog_shift", "future_columns", "future_scale", "future_shift",
                         "integrate_history", "integrate_pred", "half_width"):
                value = getattr(constants, name)
                self.register_buffer(name, None if value is None
                                     else torch.as_tensor(value, dtype=dtype))
            self.eval()

        def forward(self, y, exog=None, exog_future=None):
            z = y if self.log_offset is None else torch.log(y + self.log_offset)
            rows = future = None
            if self.exog_scale is not None:
                rows = exog[:, self.n_lost:] * self.exog_scale + self.exog_shift
            if self.future_columns is not None:
                future = exog_future @ self.future_columns * self.future_scale + self.future_shift
                rows = torch.cat([rows, future], dim=1)  # the past rows of later steps
            blocks = []
            for step in range(self.n_steps):  # the recursive strategy: forecasts fed back
                if step:
                    z = torch.cat([z, blocks[-1]], dim=1)[:, -self.context:]
                start = step * self.model_horizon
                blocks.append(self.step(
                    z, None if rows is None else rows[:, start: start + self.window],
                    None if future is None else future[:, start: start + self.model_horizon]))
            centre = torch.cat(blocks, dim=1)
            out = [centre]
            if self.half_width is not None:
                out += [centre - self.half_width, centre + self.half_width]
            if self.log_offset is not None:
                out = [torch.exp(value) - self.log_offset for value in out]
            return out[0] if len(out) == 1 else tuple(out)

        def step(self, z, exog_rows, future_rows):
            """The log-scale forecast of one network call after the log-scale history ``z``,
            with the scaled exog rows of its window and of its forecast steps."""
            target = z @ self.difference.T * self.target_scale + self.target_shift
            level = target[:, -1:] if self.local_level else None
            if level is not None:
                target = (target - level) / self.level_scale
            X = target[:, :, None]
            if exog_rows is not None:
                X = torch.cat([X, exog_rows], dim=2)
            if future_rows is not None:  # the forecast steps' rows: target 0, flag 1
                flag = torch.ones_like(future_rows[:, :, :1])
                future_rows = torch.cat([torch.zeros_like(flag), future_rows, flag], dim=2)
                X = torch.cat([nn.functional.pad(X, (0, 1)), future_rows], dim=1)
            preds = torch.stack([member(X) for member in self.members])
            pred = torch.quantile(preds, 0.5, dim=0) * self.level_scale  # np.median's middle
            if level is not None:
                pred = pred + level
            pred = (pred - self.target_shift) / self.target_scale
            return pred @ self.integrate_pred.T + z @ self.integrate_history.T

    classes = {"TorchRecurrent": TorchRecurrent, "TorchNetwork": TorchNetwork,
               "TorchForecaster": TorchForecaster}
    for name, cls in classes.items():
        cls.__module__, cls.__qualname__ = __name__, name
    return classes


def __getattr__(name):
    if name in ("TorchRecurrent", "TorchNetwork", "TorchForecaster"):
        _require("torch", "bench")
        return _torch_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
