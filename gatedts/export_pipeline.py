"""A fitted Forecaster's whole forecast as one ONNX graph: raw history in, forecast out.

The graph computes what :meth:`~gatedts.Forecaster.predict` computes from the
last ``context_length_`` observations (and their exog rows, and the
future-known exog of the forecast steps), every step of the pipeline included::

    y ─ log ─ differences ─ scaler ─ local level ─ network(s) ─ median
                                                                  │
    forecast, lower, upper ◄─ exp ◄─ integrate ◄─ inverse scaler ◄┘

A forecast longer than the networks' output (the recursive strategy) repeats
the step from the log to the integration ``horizon / model_horizon_`` times,
unrolled, as :func:`~gatedts.forecasting.pipeline.forecast_path` does: each
step's forecast (on the log scale) joins the history the next step reads, and
the future-known exog rows of its steps join the exog rows.

The differencing, its inverse and the scalers are linear (affine) maps; they
are read from the fitted transforms by applying them to unit vectors, so the
graph holds them as small constant matrices and never re-implements them.
:func:`gatedts.export.to_onnx` calls :func:`forecaster_onnx` for a Forecaster;
this module needs ``onnx`` only when called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.exceptions import NotFittedError

from .forecasting import Forecaster

if TYPE_CHECKING:
    from onnx import ModelProto

__all__ = ["PipelineConstants", "check_exportable", "forecaster_onnx", "pipeline_constants"]


def forecaster_onnx(forecaster: Forecaster, network_model: Callable, *,
                    coverage: float | None = None) -> ModelProto:
    """The ONNX model of ``forecaster``'s whole forecast.

    Parameters
    ----------
    forecaster : Forecaster
        Fitted, with GRU, LSTM or RNN networks, either strategy, any exog columns.
    network_model : callable
        Maps a member's index ``k`` to the ONNX model of the network of
        ``forecaster.estimators_[k]``: input ``X`` (batch, time, features),
        output ``y`` ``(batch, model_horizon_)``.
    coverage : float, optional
        Also output the conformal interval of this coverage, its per-step
        half-widths calibrated now (as :meth:`Forecaster.predict_interval` does).

    Returns
    -------
    onnx.ModelProto
        Inputs ``y`` (batch, ``context_length_``), the last raw observations
        before the forecast; with exog columns ``exog`` (batch,
        ``context_length_``, n_exog), their rows over the same steps; with
        future-known columns ``exog_future`` (batch, horizon, n_future), the
        ``future_exog_`` columns (in that order) over the forecast steps.
        Outputs ``forecast`` (batch, horizon) and, with ``coverage``,
        ``lower`` and ``upper``.
    """
    check_exportable(forecaster)
    networks = [network_model(k) for k in range(len(forecaster.estimators_))]
    constants = pipeline_constants(forecaster, coverage)
    onnx = importlib.import_module("onnx")
    return _Pipeline(onnx, constants).model(networks)


def _affine(transform, n_columns):
    """``(a, b)`` with ``transform(X) == X * a + b`` per column, checked on a third point."""
    probe = np.array([np.zeros(n_columns), np.ones(n_columns), np.full(n_columns, 2.0)])
    out = np.asarray(transform(probe), dtype=np.float64)
    a, b = out[1] - out[0], out[0]
    if not np.allclose(out[2], 2 * a + b, rtol=1e-12, atol=1e-12):
        raise ValueError("the scaler is not affine: only affine scalers (standard, minmax) "
                         "have a whole-pipeline export")
    return a, b


@dataclass(frozen=True)
class PipelineConstants:
    """A fitted Forecaster's forecast as constants: every step of the graph (ONNX) or
    module (torch) reads them.

    Attributes
    ----------
    context, window, n_lost : int
        ``context_length_`` = ``window_`` + observations lost to differencing.
    horizon, model_horizon : int
        The forecast steps, and the networks' outputs: each of the
        ``n_steps = horizon // model_horizon`` steps forecasts ``model_horizon`` of them.
    log_offset : float or None
        ``log(y + offset)`` first, ``exp(z) - offset`` last; None without a log.
    difference : ndarray (window, context)
        The differenced window of a log-scale history ``z``: ``difference @ z``.
    target_scale, target_shift : ndarray (1,)
        The target scaler: ``d * target_scale + target_shift``.
    local_level : bool
    level_scale : float
    exog_scale, exog_shift : ndarray (n_exog,) or None
        The exog scaler.
    future_columns : ndarray (n_future, n_exog) or None
        Without it, no future-known columns; else 1 where column ``j`` of
        ``exog_future`` is exog column ``i``.
    future_scale, future_shift : ndarray (n_exog,) or None
        The exog scaler on the future-known columns and 0 on the others, which
        the network sees as 0 over the forecast steps.
    integrate_history, integrate_pred : ndarray
        One step's log-scale forecast: ``integrate_history @ z + integrate_pred @ d``,
        shapes (model_horizon, context) and (model_horizon, model_horizon).
    half_width : ndarray (horizon,) or None
        The conformal half-widths on the log scale (with a log) of ``coverage``.
    """

    context: int
    window: int
    n_lost: int
    horizon: int
    model_horizon: int
    log_offset: float | None
    difference: np.ndarray
    target_scale: np.ndarray
    target_shift: np.ndarray
    local_level: bool
    level_scale: float
    exog_scale: np.ndarray | None
    exog_shift: np.ndarray | None
    future_columns: np.ndarray | None
    future_scale: np.ndarray | None
    future_shift: np.ndarray | None
    integrate_history: np.ndarray
    integrate_pred: np.ndarray
    half_width: np.ndarray | None

    @property
    def n_steps(self) -> int:
        """Network calls of a forecast: 1 (direct strategy) or ``horizon`` (recursive)."""
        return self.horizon // self.model_horizon


def check_exportable(forecaster: Forecaster) -> None:
    """Raise unless ``forecaster`` is fitted (its networks say themselves whether they
    have an export)."""
    if not hasattr(forecaster, "estimators_"):
        raise NotFittedError("this Forecaster is not fitted: call fit() before exporting it")
    if forecaster.combination_ is not None:
        raise ValueError("Forecaster('auto') weighs its networks with the pretrained network and "
                         "seasonal naive, which have no whole-forecast export; export one "
                         "network with member=k, or a Forecaster of one cell")


def pipeline_constants(forecaster: Forecaster,
                       coverage: float | None = None) -> PipelineConstants:
    """The :class:`PipelineConstants` of a fitted, exportable ``forecaster`` (with the
    half-widths of ``coverage``, calibrated now, when given)."""
    check_exportable(forecaster)
    transform, model_horizon = forecaster.target_transform_, forecaster.model_horizon_
    window, n_lost = forecaster.window_, transform.n_lost_
    context, differencer = window + n_lost, transform.differencer_
    if differencer is None:
        difference = np.eye(context)
        integrate_history = np.zeros((model_horizon, context))
        integrate_pred = np.eye(model_horizon)
    else:
        def integrate(pred, history):
            return differencer.inverse_transform(pred[:, None], history=history[:, None])[:, 0]

        difference = np.column_stack([differencer.transform(e[:, None])[:, 0]
                                      for e in np.eye(context)])
        integrate_history = np.column_stack([integrate(np.zeros(model_horizon), e)
                                             for e in np.eye(context)])
        integrate_pred = np.column_stack([integrate(e, np.zeros(context))
                                          for e in np.eye(model_horizon)])
    target_scale, target_shift = _affine(transform.scaler_.transform, 1)
    columns = forecaster.exog_columns_
    exog_scale = exog_shift = future_columns = future_scale = future_shift = None
    if columns:
        assert transform.exog_scaler_ is not None  # fitted with exog columns
        exog_scale, exog_shift = _affine(transform.exog_scaler_.transform, len(columns))
    if forecaster.future_exog_:
        future_columns = np.array([[float(c == f) for c in columns]
                                   for f in forecaster.future_exog_])
        known = future_columns.sum(axis=0)
        future_scale, future_shift = exog_scale * known, exog_shift * known
    half_width = None
    if coverage is not None:
        half_width = forecaster.calibration_.half_widths(forecaster, forecaster.horizon,
                                                         coverage, stacklevel=4)
    log = transform.log_transform_
    return PipelineConstants(
        context, window, n_lost, forecaster.horizon, model_horizon,
        None if log is None else float(log.offset), difference, target_scale, target_shift,
        bool(forecaster.local_level_), float(forecaster.level_scale_), exog_scale, exog_shift,
        future_columns, future_scale, future_shift, integrate_history, integrate_pred,
        half_width)


_END = np.iinfo(np.int64).max  # a Slice to the end of its axis


class _Pipeline:
    """The nodes and constants of one Forecaster's graph, built step by step. Node
    names are their outputs'; those of forecast step ``s`` start with ``step{s}/``."""

    def __init__(self, onnx, constants: PipelineConstants):
        self.onnx, self.c = onnx, constants
        self.nodes: list = []  # onnx.NodeProto
        self.initializers: dict = {}  # name -> onnx.TensorProto

    def constant(self, name, value, dtype=np.float32):
        """The initializer ``name``, stored once however many steps read it."""
        if name not in self.initializers:
            self.initializers[name] = self.onnx.numpy_helper.from_array(
                np.asarray(value, dtype), name)
        return name

    def ints(self, *values):
        return self.constant("ints_" + "_".join(map(str, values)), values, np.int64)

    def node(self, op, inputs, output, **attributes):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output,
                                                     **attributes))
        return output

    def slice(self, x, start, end, output, axis=1):
        return self.node("Slice", [x, self.ints(start), self.ints(end), self.ints(axis)], output)

    def matmul(self, x, matrix, name, output):
        """``x @ matrix.T`` for a (batch, n) ``x``."""
        return self.node("MatMul", [x, self.constant(name, matrix.T)], output)

    def affine(self, x, scale, shift, name, output, inverse=False):
        """``x * scale + shift`` (``(x - shift) / scale`` if ``inverse``)."""
        scale, shift = self.constant(f"{name}_scale", scale), self.constant(f"{name}_shift", shift)
        if inverse:
            return self.node("Div", [self.node("Sub", [x, shift], f"{output}_centred"), scale],
                             output)
        return self.node("Add", [self.node("Mul", [x, scale], f"{output}_scaled"), shift], output)

    def model(self, networks):
        c, helper, tensor = self.c, self.onnx.helper, self.onnx.TensorProto.FLOAT
        inputs = [helper.make_tensor_value_info("y", tensor, ["batch", c.context])]
        history = "y"
        if c.log_offset is not None:
            history = self.node("Add", [history, self.constant("log_offset", c.log_offset)],
                                "y_offset")
            history = self.node("Log", [history], "y_log")
        exog = future = None
        if c.exog_scale is not None:
            inputs.append(helper.make_tensor_value_info(
                "exog", tensor, ["batch", c.context, len(c.exog_scale)]))
            exog = self.slice("exog", c.n_lost, c.context, "exog_window")
            exog = self.affine(exog, c.exog_scale, c.exog_shift, "exog", "exog_scaled")
        if c.future_columns is not None:
            inputs.append(helper.make_tensor_value_info(
                "exog_future", tensor, ["batch", c.horizon, len(c.future_columns)]))
            future = self.node("MatMul", ["exog_future", self.constant(
                "future_columns", c.future_columns)], "exog_future_columns")
            future = self.affine(future, c.future_scale, c.future_shift, "future",
                                 "exog_future_scaled")
            # With the recursive strategy, later steps read them as past exog rows.
            exog = self.node("Concat", [exog, future], "exog_rows", axis=1)
        members = [self.onnx.compose.add_prefix(network, f"member{k}/").graph
                   for k, network in enumerate(networks)]
        blocks = []
        for step in range(c.n_steps):
            if step:  # the last context_length_ values, the forecast so far included
                history = self.node("Concat", [history, blocks[-1]], f"step{step}/extended",
                                    axis=1)
                history = self.slice(history, -c.context, _END, f"step{step}/history")
            blocks.append(self.step(step, members, history, exog, future))
        centre = blocks[0] if len(blocks) == 1 else self.node("Concat", blocks, "steps", axis=1)
        outputs = {"forecast": centre}
        if c.half_width is not None:
            half = self.constant("half_width", c.half_width)
            outputs["lower"] = self.node("Sub", [centre, half], "lower_score")
            outputs["upper"] = self.node("Add", [centre, half], "upper_score")
        results = []
        for name, value in outputs.items():
            if c.log_offset is not None:
                value = self.node("Exp", [value], f"{name}_exp")
                value = self.node("Sub", [value, self.constant("log_offset", c.log_offset)],
                                  f"{name}_raw")
            self.node("Identity", [value], name)
            results.append(helper.make_tensor_value_info(name, tensor, ["batch", c.horizon]))
        network = networks[0]
        graph = helper.make_graph(self.nodes, "gatedts_forecaster", inputs, results,
                                  list(self.initializers.values()))
        proto = helper.make_model(graph, producer_name=network.producer_name,
                                  producer_version=network.producer_version,
                                  opset_imports=list(network.opset_import))
        proto.ir_version = network.ir_version
        proto.doc_string = (f"gatedts Forecaster: y (batch, {c.context}) raw observations"
                            f" -> forecast (batch, {c.horizon})")
        return proto

    def step(self, step, members, history, exog, future):
        """Forecast step ``step``: the ``model_horizon`` log-scale values after the
        log-scale ``history`` (batch, context), reading the exog rows from row
        ``step * model_horizon`` of ``exog`` (past, then future) and ``future``."""
        c, prefix = self.c, f"step{step}/"
        target = self.matmul(history, c.difference, "difference", f"{prefix}differenced")
        target = self.affine(target, c.target_scale, c.target_shift, "target",
                             f"{prefix}target_scaled")
        level = None
        if c.local_level:
            level = self.slice(target, -1, c.window, f"{prefix}level")
            target = self.node("Sub", [target, level], f"{prefix}target_relative")
            target = self.node("Div", [target, self.constant("level_scale", c.level_scale)],
                               f"{prefix}target_level_scaled")
        x = self.node("Unsqueeze", [target, self.ints(2)], f"{prefix}X_target")
        start = step * c.model_horizon
        if exog is not None:
            rows = self.slice(exog, start, start + c.window, f"{prefix}exog_window")
            x = self.node("Concat", [x, rows], f"{prefix}X_window", axis=2)
        if future is not None:  # Windowing.inference_window: model_horizon rows more, flagged
            rows = self.slice(future, start, start + c.model_horizon, f"{prefix}future_rows")
            rows = self.node("Pad", [rows, self.ints(0, 0, 1, 0, 0, 1)], f"{prefix}future_padded")
            flag = np.zeros(len(c.future_scale) + 2)
            flag[-1] = 1.0
            rows = self.node("Add", [rows, self.constant("future_flag", flag)],
                             f"{prefix}future_flagged")
            x = self.node("Pad", [x, self.ints(0, 0, 0, 0, 0, 1)], f"{prefix}X_unflagged")
            x = self.node("Concat", [x, rows], f"{prefix}X_future", axis=1)
        preds = [self.network(member, prefix, x) for member in members]
        pred = self.combine(preds, prefix)
        pred = self.node("Mul", [pred, self.constant("level_scale", c.level_scale)],
                         f"{prefix}pred_level_scaled")
        if level is not None:
            pred = self.node("Add", [pred, level], f"{prefix}pred_level")
        pred = self.affine(pred, c.target_scale, c.target_shift, "target",
                           f"{prefix}pred_unscaled", inverse=True)
        block = self.matmul(pred, c.integrate_pred, "integrate_pred", f"{prefix}integrated_pred")
        if c.n_lost:
            block = self.node("Add", [block, self.matmul(
                history, c.integrate_history, "integrate_history",
                f"{prefix}integrated_history")], f"{prefix}integrated")
        return block

    def network(self, member, prefix, x):
        """A member's network graph (names prefixed by ``member{k}/``) reading ``x``, its
        nodes prefixed by ``prefix`` and its weights shared by every step."""
        graph = self.onnx.compose.add_prefix_graph(member, prefix, rename_initializers=False)
        for initializer in graph.initializer:
            self.initializers.setdefault(initializer.name, initializer)
        self.node("Identity", [x], graph.input[0].name)
        self.nodes.extend(graph.node)
        return graph.output[0].name

    def combine(self, preds, prefix):
        """The median of the members' (batch, model_horizon) predictions, as ``np.median``."""
        if len(preds) == 1:
            return preds[0]
        k = len(preds)
        stacked = self.node("Concat", [self.node("Unsqueeze", [p, self.ints(2)], f"{p}_member")
                                       for p in preds], f"{prefix}members", axis=2)
        ranked = f"{prefix}members_sorted"
        self.nodes.append(self.onnx.helper.make_node(
            "TopK", [stacked, self.ints(k)], [ranked, f"{prefix}members_order"], name=ranked,
            axis=2))
        middle = (k // 2,) if k % 2 else (k // 2 - 1, k // 2)
        picked = self.node("Gather", [ranked, self.ints(*middle)], f"{prefix}members_middle",
                           axis=2)
        return self.node("ReduceMean", [picked], f"{prefix}median", axes=[2], keepdims=0)
