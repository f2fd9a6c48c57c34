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

import numpy as np
from sklearn.exceptions import NotFittedError

from .forecasting import Forecaster

__all__ = ["forecaster_onnx"]


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
        output ``y`` (batch, model_horizon_).
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
    if not hasattr(forecaster, "estimators_"):
        raise NotFittedError("this Forecaster is not fitted: call fit() before exporting it")
    horizon = forecaster.model_horizon_
    if forecaster.horizon != horizon:
        raise ValueError(f"the recursive strategy (horizon {forecaster.horizon}, model horizon "
                         f"{horizon}) has no whole-pipeline export yet; pass member=k to "
                         "export one network")
    if forecaster.future_exog_:
        raise ValueError("future-known exog columns have no whole-pipeline export yet; pass "
                         "member=k to export one network")
    networks = [network_model(k) for k in range(len(forecaster.estimators_))]
    onnx = importlib.import_module("onnx")
    return _Pipeline(onnx, forecaster).model(networks, coverage)


def _affine(transform, n_columns):
    """``(a, b)`` with ``transform(X) == X * a + b`` per column, checked on a third point."""
    probe = np.array([np.zeros(n_columns), np.ones(n_columns), np.full(n_columns, 2.0)])
    out = np.asarray(transform(probe), dtype=np.float64)
    a, b = out[1] - out[0], out[0]
    if not np.allclose(out[2], 2 * a + b, rtol=1e-12, atol=1e-12):
        raise ValueError("the scaler is not affine: only affine scalers (standard, minmax) "
                         "have a whole-pipeline export")
    return a, b


class _Pipeline:
    """The nodes and constants of one Forecaster's graph, built step by step."""

    def __init__(self, onnx, forecaster):
        self.onnx, self.f = onnx, forecaster
        self.nodes, self.initializers = [], []
        transform = forecaster.target_transform_
        self.n_lost, self.window = transform.n_lost_, forecaster.window_
        self.context = self.window + self.n_lost
        self.log = transform.log_transform_
        self.differencer = transform.differencer_

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

    def affine(self, x, a, b, name, inverse=False):
        if inverse:
            x = self.node("Sub", [x, self.constant(f"{name}_shift", b)], f"{name}_centred")
            return self.node("Div", [x, self.constant(f"{name}_scale", a)], name)
        x = self.node("Mul", [x, self.constant(f"{name}_scale", a)], f"{name}_scaled")
        return self.node("Add", [x, self.constant(f"{name}_shift", b)], name)

    # ---------------------------------------------------------------- linear maps

    def difference_matrix(self):
        """(window, context): the last ``window`` differenced values of a log-scale history."""
        if self.differencer is None:
            return np.eye(self.context)
        return np.column_stack([self.differencer.transform(e[:, None])[:, 0]
                                for e in np.eye(self.context)])

    def integration_matrices(self, horizon):
        """``(H_history, H_pred)``: the integrated forecast is ``z @ H_history.T + d @
        H_pred.T`` for a log-scale history ``z`` and forecast differences ``d``."""
        if self.differencer is None:
            return np.zeros((horizon, self.context)), np.eye(horizon)

        def integrate(pred, history):
            return self.differencer.inverse_transform(pred[:, None], history=history[:, None])[:, 0]

        zeros_pred, zeros_history = np.zeros(horizon), np.zeros(self.context)
        history = np.column_stack([integrate(zeros_pred, e) for e in np.eye(self.context)])
        pred = np.column_stack([integrate(e, zeros_history) for e in np.eye(horizon)])
        return history, pred

    # ---------------------------------------------------------------- the graph

    def model(self, networks, coverage):
        f, helper, tensor = self.f, self.onnx.helper, self.onnx.TensorProto.FLOAT
        horizon = f.model_horizon_
        inputs = [helper.make_tensor_value_info("y", tensor, ["batch", self.context])]
        z = "y"
        if self.log is not None:
            z = self.node("Add", [z, self.constant("log_offset", self.log.offset)], "y_offset")
            z = self.node("Log", [z], "y_log")
        target = self.matmul(z, self.difference_matrix(), "differenced")
        a, b = _affine(f.target_transform_.scaler_.transform, 1)
        target = self.affine(target, a, b, "target_scaled")
        level = None
        if f.local_level_:
            level = self.node("Slice", [target, self.constant("last_start", [-1], np.int64),
                                        self.constant("last_end", [self.window], np.int64),
                                        self.constant("last_axis", [1], np.int64)], "level")
            target = self.node("Sub", [target, level], "target_relative")
            target = self.node("Div", [target, self.constant("level_scale", f.level_scale_)],
                               "target_level_scaled")
        x = self.node("Unsqueeze", [target, self.constant("feature_axis", [2], np.int64)],
                      "X_target")
        if f.exog_columns_:
            n_exog = len(f.exog_columns_)
            inputs.append(helper.make_tensor_value_info("exog", tensor,
                                                        ["batch", self.context, n_exog]))
            exog = self.node("Slice", [
                "exog", self.constant("exog_start", [self.n_lost], np.int64),
                self.constant("exog_end", [self.context], np.int64),
                self.constant("exog_axis", [1], np.int64)], "exog_window")
            a, b = _affine(f.target_transform_.exog_scaler_.transform, n_exog)
            exog = self.affine(exog, a, b, "exog_scaled")
            x = self.node("Concat", [x, exog], "X", axis=2)
        pred = self.combine([self.network(k, net, x) for k, net in enumerate(networks)])
        pred = self.node("Mul", [pred, self.constant("restore_scale", f.level_scale_)],
                         "pred_level_scaled")
        if level is not None:
            pred = self.node("Add", [pred, level], "pred_level")
        a, b = _affine(f.target_transform_.scaler_.transform, 1)
        pred = self.affine(pred, a, b, "pred_unscaled", inverse=True)
        history, from_pred = self.integration_matrices(horizon)
        centre = self.matmul(pred, from_pred, "integrated_pred")
        if self.differencer is not None:
            centre = self.node("Add", [centre, self.matmul(z, history, "integrated_history")],
                               "integrated")
        outputs = {"forecast": centre}
        if coverage is not None:
            table = f.predict_interval(coverage, horizon=horizon)
            to_score = f.target_transform_.to_score_scale
            half = to_score(table["upper"].to_numpy()) - to_score(table["forecast"].to_numpy())
            half_name = self.constant("half_width", half)
            outputs["lower"] = self.node("Sub", [centre, half_name], "lower_score")
            outputs["upper"] = self.node("Add", [centre, half_name], "upper_score")
        results = []
        for name, value in outputs.items():
            if self.log is not None:
                value = self.node("Exp", [value], f"{name}_exp")
                value = self.node("Sub", [value, self.constant(f"{name}_offset",
                                                               self.log.offset)], f"{name}_raw")
            self.node("Identity", [value], name)
            results.append(helper.make_tensor_value_info(name, tensor, ["batch", horizon]))
        network = networks[0]
        graph = helper.make_graph(self.nodes, "gatedts_forecaster", inputs, results,
                                  self.initializers)
        proto = helper.make_model(graph, producer_name=network.producer_name,
                                  producer_version=network.producer_version,
                                  opset_imports=list(network.opset_import))
        proto.ir_version = network.ir_version
        proto.doc_string = (f"gatedts Forecaster: y (batch, {self.context}) raw observations"
                            f" -> forecast (batch, {horizon})")
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
