"""Gate traces and gradient reach of fitted estimators."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts import functional as F
from gatedts.analysis.diagnostics import gate_traces, gradient_reach

NAMES = {GRURegressor: ["r", "z", "n", "h"], LSTMRegressor: ["i", "f", "g", "o", "c", "h"],
         RNNRegressor: ["h"]}


def _fitted(cls, hidden=(5, 3), **kw):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 7, 2))
    y = X[:, -2:, 0].sum(axis=1)
    model = cls(hidden_size=hidden, max_iter=3, random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model, X, y


@pytest.mark.parametrize("cls", [GRURegressor, LSTMRegressor, RNNRegressor])
def test_gate_traces_shapes_ranges_and_equations(cls):
    model, X, _ = _fitted(cls)
    traces = gate_traces(model, X)
    assert len(traces) == 2
    for layer, H in zip(traces, (5, 3), strict=True):
        assert list(layer) == NAMES[cls]
        for name, values in layer.items():
            assert values.shape == (20, 7, H) and values.dtype == np.float64
            if name in ("r", "z", "i", "f", "o"):
                assert np.all((values > 0) & (values < 1)), name
            elif name != "c":
                assert np.all(np.abs(values) < 1), name
    top = traces[-1]
    X_model = model.network_input(X).astype(np.float64)  # what the network sees: scaled X
    assert not np.allclose(X_model, X, atol=0.01)
    seq = F.forward(model.network_spec_.replace(dtype=np.dtype(np.float64)),
                    {k: v.astype(float) for k, v in model.params_.items()}, X_model).sequence
    np.testing.assert_allclose(top["h"], seq, rtol=1e-12)
    h_prev = np.concatenate([np.zeros_like(top["h"][:, :1]), top["h"][:, :-1]], axis=1)
    if cls is GRURegressor:
        np.testing.assert_allclose(top["h"], (1 - top["z"]) * top["n"] + top["z"] * h_prev,
                                   atol=1e-12)
    if cls is LSTMRegressor:
        c_prev = np.concatenate([np.zeros_like(top["c"][:, :1]), top["c"][:, :-1]], axis=1)
        np.testing.assert_allclose(top["c"], top["f"] * c_prev + top["i"] * top["g"], atol=1e-12)
        np.testing.assert_allclose(top["h"], top["o"] * np.tanh(top["c"]), atol=1e-12)


def test_gate_traces_frame_for_one_sequence():
    model, X, _ = _fitted(LSTMRegressor, hidden=4)
    index = pd.date_range("2020-01-01", periods=7, freq="D")
    frame = gate_traces(model, X, sample=3, index=index)
    assert frame.shape == (7, 6 * 4)
    assert frame.columns.names == ["layer", "name", "unit"]
    assert (frame.index == index).all()
    expected = gate_traces(model, X)[0]["f"][3, :, 2]
    np.testing.assert_array_equal(frame[(0, "f", 2)].to_numpy(), expected)


def _fd_reach(model, X, y, eps=1e-6):
    """dLoss/dh_t of the top layer by central differences: run to t, nudge h_t, run on."""
    spec = model.network_spec_.replace(dtype=np.dtype(np.float64))
    params = {k: v.astype(float) for k, v in model.params_.items()}
    y = y.reshape(len(y), -1)

    def loss_with(t, b, unit, delta):
        first = F.forward(spec, params, X[:, : t + 1])
        h = [s.copy() for s in first.h_n]
        h[-1][b, unit] += delta
        if t + 1 == X.shape[1]:
            pred = h[-1] @ params["head.weight"].T + params["head.bias"]
        else:
            pred = F.predict(spec, params, X[:, t + 1 :], h0=h, c0=first.c_n)
        return F.loss_value(pred, y, model.loss)[0]

    T, B, H = X.shape[1], X.shape[0], params["head.weight"].shape[1]
    grad = np.zeros((B, T, H))
    for t in range(T):
        for b in range(B):
            for u in range(H):
                grad[b, t, u] = (loss_with(t, b, u, eps) - loss_with(t, b, u, -eps)) / (2 * eps)
    return np.sqrt(np.einsum("bth,bth->t", grad, grad))


@pytest.mark.parametrize("cls", [GRURegressor, LSTMRegressor, RNNRegressor])
@pytest.mark.parametrize("hidden", [3, (4, 3)], ids=["1layer", "2layers"])
def test_gradient_reach_equals_finite_differences(cls, hidden):
    model, X, y = _fitted(cls, hidden=hidden, dtype="float64")
    X, y = X[:3], y[:3]
    reach = gradient_reach(model, X, y)
    assert list(reach.columns) == ["steps_to_end"] + [f"layer_{k}" for k in range(np.size(hidden))]
    assert reach["steps_to_end"].tolist() == [6, 5, 4, 3, 2, 1, 0]
    # The training loss: on the standardised X and y the network is trained on.
    np.testing.assert_allclose(reach.iloc[:, -1].to_numpy(),
                               _fd_reach(model, *model.network_input(X, y)), rtol=1e-6)


def test_rnn_gradient_vanishes_faster_than_lstm_on_long_windows():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((32, 60, 1))
    y = X[:, -1, 0]
    reach = {}
    # The LSTM with the long-memory start (forget gate at 73%); at 50%, its default,
    # its cell state halves at every step and the gradient fades as fast.
    for cls, options in ((RNNRegressor, {}), (LSTMRegressor, {"forget_bias": 1.0})):
        model = cls(hidden_size=8, max_iter=1, random_state=0, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        r = gradient_reach(model, X, y)["layer_0"].to_numpy()
        reach[cls] = r[0] / r[-1]  # oldest step relative to the last
    assert reach[RNNRegressor] < reach[LSTMRegressor]
