"""A fitted Forecaster's whole forecast as one ONNX graph: raw history in, forecast out.

The graph computes what :meth:`~gatedts.Forecaster.predict` computes from the
last ``context_length_`` observations, every step of the pipeline included::

    y ─ log ─ differences ─ scaler ─ local level ─ network(s) ─ median
                                                                  │
    forecast, lower, upper ◄─ exp ◄─ integrate ◄─ inverse scaler ◄┘

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

import numpy as np
from sklearn.exceptions import NotFittedError

from .forecasting import Forecaster

__all__ = ["PipelineConstants", "check_exportable", "forecaster_onnx", "pipeline_constants"]


def forecaster_onnx(forecaster: Forecaster, network_model: Callable, *, coverage=None):
    """The ONNX model of ``forecaster``'s whole forecast.

    Parameters
    ----------
    forecaster : Forecaster
        Fitted, with GRU, LSTM or RNN networks, the direct strategy (its
        ``horizon`` equal to ``model_horizon_``) and no future-known exog.
    network_model : callable
        Maps a member's index ``k`` to the ONNX model of the network of
        ``forecaster.estimators_[k]``: input ``X`` (batch, time, features),
        output ``y`` ``(batch, model_horizon_)``.
    coverage : float, optional
        Also output the conformal interval of this coverage, its per-step
        half-widths computed now by :meth:`Forecaster.predict_interval`.

    Returns
    -------
    onnx.ModelProto
        Inputs ``y`` (batch, ``context_length_``) and, with exog columns,
        ``exog`` (batch, ``context_length_``, n_exog): the last raw
        observations before the forecast; outputs ``forecast`` (batch,
        horizon) and, with ``coverage``, ``lower`` and ``upper``.
    """
    constants = pipeline_constants(forecaster, coverage)
    networks = [network_model(k) for k in range(len(forecaster.estimators_))]
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
    context, window, n_lost, horizon : int
        ``context_length_`` = ``window_`` + observations lost to differencing, and
        the forecast steps.
    log_offset : float or None
        ``log(y + offset)`` first, ``exp(z) - offset`` last; None without a log.
    difference : ndarray (window, context)
        The differenced window of a log-scale history ``z``: ``difference @ z``.
    target_scale, target_shift : ndarray (1,)
        The target scaler: ``d * target_scale + target_shift``.
    local_level : bool
    level_scale : float
    exog_scale, exog_shift : ndarray (n_exog,) or None
    integrate_history, integrate_pred : ndarray (horizon, context), (horizon, horizon)
        The log-scale forecast: ``integrate_history @ z + integrate_pred @ d``.
    half_width : ndarray (horizon,) or None
        The conformal half-widths on the log scale (with a log) of ``coverage``.
    """

    context: int
    window: int
    n_lost: int
    horizon: int
    log_offset: float | None
    difference: np.ndarray
    target_scale: np.ndarray
    target_shift: np.ndarray
    local_level: bool
    level_scale: float
    exog_scale: np.ndarray | None
    exog_shift: np.ndarray | None
    integrate_history: np.ndarray
    integrate_pred: np.ndarray
    half_width: np.ndarray | None


def check_exportable(forecaster: Forecaster) -> None:
    """Raise unless ``forecaster`` has a whole-forecast export."""
    if not hasattr(forecaster, "estimators_"):
        raise NotFittedError("this Forecaster is not fitted: call fit() before exporting it")
    if forecaster.horizon != forecaster.model_horizon_:
        raise ValueError(f"the recursive strategy (horizon {forecaster.horizon}, model horizon "
                         f"{forecaster.model_horizon_}) has no whole-pipeline export yet; pass "
                         "member=k to export one network")
    if forecaster.future_exog_:
        raise ValueError("future-known exog columns have no whole-pipeline export yet; pass "
                         "member=k to export one network")


def pipeline_constants(forecaster: Forecaster, coverage=None) -> PipelineConstants:
    """The :class:`PipelineConstants` of a fitted, exportable ``forecaster`` (with the
    half-widths of ``coverage``, calibrated now, when given)."""
    check_exportable(forecaster)
    transform, horizon = forecaster.target_transform_, forecaster.model_horizon_
    window, n_lost = forecaster.window_, transform.n_lost_
    context, differencer = window + n_lost, transform.differencer_
    if differencer is None:
        difference = np.eye(context)
        integrate_history, integrate_pred = np.zeros((horizon, context)), np.eye(horizon)
    else:
        def integrate(pred, history):
            return differencer.inverse_transform(pred[:, None], history=history[:, None])[:, 0]

        difference = np.column_stack([differencer.transform(e[:, None])[:, 0]
                                      for e in np.eye(context)])
        integrate_history = np.column_stack([integrate(np.zeros(horizon), e)
                                             for e in np.eye(context)])
        integrate_pred = np.column_stack([integrate(e, np.zeros(context))
                                          for e in np.eye(horizon)])
    target_scale, target_shift = _affine(transform.scaler_.transform, 1)
    exog_scale = exog_shift = None
    if forecaster.exog_columns_:
        exog_scale, exog_shift = _affine(transform.exog_scaler_.transform,
                                         len(forecaster.exog_columns_))
    half_width = None
    if coverage is not None:
        table = forecaster.predict_interval(coverage, horizon=horizon)
        to_score = transform.to_score_scale
        half_width = to_score(table["upper"].to_numpy()) - to_score(table["forecast"].to_numpy())
    log = transform.log_transform_
    return PipelineConstants(
        context, window, n_lost, horizon, None if log is None else float(log.offset),
        difference, target_scale, target_shift, bool(forecaster.local_level_),
        float(forecaster.level_scale_), exog_scale, exog_shift, integrate_history,
        integrate_pred, half_width)


class _Pipeline:
    """The nodes and constants of one Forecaster's graph, built step by step."""

    def __init__(self, onnx, constants: PipelineConstants):
        self.onnx, self.c = onnx, constants
        self.nodes: list = []  # onnx.NodeProto
        self.initializers: list = []  # onnx.TensorProto

    def constant(self, name, value, dtype=np.float32):
        array = np.asarray(value, dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, output, **attributes):
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=output,
                                                     **attributes))
        return output

    def matmul(self, x, matrix, name):
        """``x @ matrix.T`` for a (batch, n) ``x``."""
        return self.node("MatMul", [x, self.constant(f"{name}_matrix", matrix.T)], name)

    def affine(self, x, scale, shift, name, inverse=False):
        if inverse:
            x = self.node("Sub", [x, self.constant(f"{name}_shift", shift)], f"{name}_centred")
            return self.node("Div", [x, self.constant(f"{name}_scale", scale)], name)
        x = self.node("Mul", [x, self.constant(f"{name}_scale", scale)], f"{name}_scaled")
        return self.node("Add", [x, self.constant(f"{name}_shift", shift)], name)

    def model(self, networks):
        c, helper, tensor = self.c, self.onnx.helper, self.onnx.TensorProto.FLOAT
        inputs = [helper.make_tensor_value_info("y", tensor, ["batch", c.context])]
        z = "y"
        if c.log_offset is not None:
            z = self.node("Add", [z, self.constant("log_offset", c.log_offset)], "y_offset")
            z = self.node("Log", [z], "y_log")
        target = self.matmul(z, c.difference, "differenced")
        target = self.affine(target, c.target_scale, c.target_shift, "target_scaled")
        level = None
        if c.local_level:
            level = self.node("Slice", [target, self.constant("last_start", [-1], np.int64),
                                        self.constant("last_end", [c.window], np.int64),
                                        self.constant("last_axis", [1], np.int64)], "level")
            target = self.node("Sub", [target, level], "target_relative")
            target = self.node("Div", [target, self.constant("level_scale", c.level_scale)],
                               "target_level_scaled")
        x = self.node("Unsqueeze", [target, self.constant("feature_axis", [2], np.int64)],
                      "X_target")
        if c.exog_scale is not None:
            inputs.append(helper.make_tensor_value_info(
                "exog", tensor, ["batch", c.context, len(c.exog_scale)]))
            exog = self.node("Slice", [
                "exog", self.constant("exog_start", [c.n_lost], np.int64),
                self.constant("exog_end", [c.context], np.int64),
                self.constant("exog_axis", [1], np.int64)], "exog_window")
            exog = self.affine(exog, c.exog_scale, c.exog_shift, "exog_scaled")
            x = self.node("Concat", [x, exog], "X", axis=2)
        pred = self.combine([self.network(k, net, x) for k, net in enumerate(networks)])
        pred = self.node("Mul", [pred, self.constant("restore_scale", c.level_scale)],
                         "pred_level_scaled")
        if level is not None:
            pred = self.node("Add", [pred, level], "pred_level")
        pred = self.affine(pred, c.target_scale, c.target_shift, "pred_unscaled", inverse=True)
        centre = self.matmul(pred, c.integrate_pred, "integrated_pred")
        if c.n_lost:
            centre = self.node("Add", [centre, self.matmul(z, c.integrate_history,
                                                           "integrated_history")], "integrated")
        outputs = {"forecast": centre}
        if c.half_width is not None:
            half = self.constant("half_width", c.half_width)
            outputs["lower"] = self.node("Sub", [centre, half], "lower_score")
            outputs["upper"] = self.node("Add", [centre, half], "upper_score")
        results = []
        for name, value in outputs.items():
            if c.log_offset is not None:
                value = self.node("Exp", [value], f"{name}_exp")
                value = self.node("Sub", [value, self.constant(f"{name}_offset", c.log_offset)],
                                  f"{name}_raw")
            self.node("Identity", [value], name)
            results.append(helper.make_tensor_value_info(name, tensor, ["batch", c.horizon]))
        network = networks[0]
        graph = helper.make_graph(self.nodes, "gatedts_forecaster", inputs, results,
                                  self.initializers)
        proto = helper.make_model(graph, producer_name=network.producer_name,
                                  producer_version=network.producer_version,
                                  opset_imports=list(network.opset_import))
        proto.ir_version = network.ir_version
        proto.doc_string = (f"gatedts Forecaster: y (batch, {c.context}) raw observations"
                            f" -> forecast (batch, {c.horizon})")
        return proto

    def network(self, k, network, x):
        """Member ``k``'s network graph, its names prefixed, reading ``x``."""
        prefixed = self.onnx.compose.add_prefix(network, f"member{k}/")
        graph = prefixed.graph
        self.node("Identity", [x], graph.input[0].name)
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        return graph.output[0].name

    def combine(self, preds):
        """The median of the members' (batch, horizon) predictions, as ``np.median``."""
        if len(preds) == 1:
            return preds[0]
        k = len(preds)
        axis = self.constant("member_axis", [2], np.int64)
        stacked = self.node("Concat", [self.node("Unsqueeze", [p, axis], f"{p}_member")
                                       for p in preds], "members", axis=2)
        ranked = "members_sorted"
        self.nodes.append(self.onnx.helper.make_node(
            "TopK", [stacked, self.constant("n_members", [k], np.int64)],
            [ranked, "members_order"], name=ranked, axis=2))
        middle = [k // 2] if k % 2 else [k // 2 - 1, k // 2]
        picked = self.node("Gather", [ranked, self.constant("middle", middle, np.int64)],
                           "members_middle", axis=2)
        return self.node("ReduceMean", [picked], "median", axes=[2], keepdims=0)
