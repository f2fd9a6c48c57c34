"""to_onnx and to_torch: the exported network predicts what ``predict`` does.

ONNX graphs run in onnxruntime (float32, 1e-5); torch modules in float64
(1e-10, the requirement being 1e-6). Each test skips when the package it
needs is missing.
"""

import os
import sys
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from helpers import VARIANT_IDS, VARIANTS, random_model
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import Ridge

from gatedts import Forecaster, GRURegressor, LSTMRegressor, RNNRegressor, persistence
from gatedts import functional as F
from gatedts.estimators import ESTIMATORS
from gatedts.export import to_onnx, to_torch

N_FEATURES, N_OUTPUTS, HIDDEN = 3, 2, 4
EXPORTERS = ["onnx", "torch"]
SCALING = ("feature_mean", "feature_scale", "target_mean", "target_scale")


def windows(n=6, n_steps=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n, n_steps, N_FEATURES))


def fitted(cell, reset_after=True, peephole=False, num_layers=1, dtype="float32", **options):
    """A fitted estimator whose weights are then made random, biases and peepholes included."""
    if cell == "gru":
        options["reset_after"] = reset_after
    if cell == "lstm":
        options["peephole"] = peephole
    model = ESTIMATORS[cell](HIDDEN, num_layers, max_iter=1, random_state=0, dtype=dtype,
                             **options)
    n_heads = N_OUTPUTS * (len(model.quantiles) if model.loss == "quantile" else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(windows(8), np.random.default_rng(1).standard_normal((8, N_OUTPUTS)))
    model.params_ = random_model(cell, N_FEATURES, [HIDDEN] * num_layers, n_heads,
                                 peephole=peephole, seed=num_layers, dtype=np.dtype(dtype))
    return model


def run_onnx(model, X, tmp_path, **kwargs):
    ort = pytest.importorskip("onnxruntime")
    path = to_onnx(model, tmp_path / "model.onnx", **kwargs)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"X": X.astype(np.float32)})[0]


def run_torch(model, X, **kwargs):
    torch = pytest.importorskip("torch")
    module = to_torch(model, **kwargs)
    with torch.no_grad():
        return module(torch.from_numpy(X.astype(module.head.weight.numpy().dtype))).numpy()


def run(exporter, model, X, tmp_path, **kwargs):
    """The exported network's output on X, and the tolerance it is held to."""
    if exporter == "onnx":
        return run_onnx(model, X, tmp_path, **kwargs), 1e-5
    return run_torch(model, X, **kwargs), 1e-6


def predictions(model, X):
    return np.reshape(model.predict(X.astype(model.dtype)), (len(X), -1))


# ---------------------------------------------------------------- parity, every cell


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_onnx_graph_predicts_like_the_estimator(cell, reset_after, peephole, num_layers,
                                                tmp_path):
    onnx = pytest.importorskip("onnx")
    model = fitted(cell, reset_after, peephole, num_layers)
    X = windows()
    out = run_onnx(model, X, tmp_path)
    assert out.dtype == np.float32 and out.shape == (len(X), N_OUTPUTS)
    np.testing.assert_allclose(out, predictions(model, X), rtol=0, atol=1e-5)

    graph = onnx.load(tmp_path / "model.onnx").graph
    layers = [node for node in graph.node if node.op_type == cell.upper()]
    assert len(layers) == num_layers
    for node in layers:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attributes["hidden_size"] == HIDDEN
        if cell == "gru":
            assert attributes["linear_before_reset"] == int(reset_after)
        assert (len(node.input) == 8 and node.input[7] != "") == peephole
    dims = [[d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
            for value in (graph.input[0], graph.output[0])]
    assert dims == [["batch", "time", N_FEATURES], ["batch", N_OUTPUTS]]


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_torch_module_predicts_like_the_estimator(cell, reset_after, peephole, num_layers):
    torch = pytest.importorskip("torch")
    from gatedts.export import TorchRecurrent

    model = fitted(cell, reset_after, peephole, num_layers, dtype="float64")
    module = to_torch(model)
    X = windows()
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    assert out.dtype == np.float64 and not module.training
    np.testing.assert_allclose(out, predictions(model, X), rtol=0, atol=1e-10)
    # PyTorch's GRU is the reset-after form, and its LSTM has no peepholes.
    standard = reset_after and not peephole
    expected = getattr(torch.nn, cell.upper()) if standard else TorchRecurrent
    assert type(module.rnn) is expected and module.rnn.weight_ih_l0.dtype == torch.float64
    scaling = {"feature_mean", "feature_scale", "target_mean", "target_scale"}
    assert model.feature_mean_ is not None  # the estimators' default
    assert set(module.state_dict()) == scaling | {
        f"rnn.{k}" if not k.startswith("head.") else k for k in model.params_}


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_params_dict_with_layers_of_different_widths_and_any_shape(exporter, variant,
                                                                   tmp_path):
    cell, reset_after, peephole = variant
    params = random_model(cell, N_FEATURES, [5, 3], N_OUTPUTS, peephole=peephole, seed=3)
    options = {"reset_after": reset_after} if cell == "gru" else {}
    for X in (windows(4, 7), windows(1, 2, seed=1)):  # dynamic batch and time axes
        out, tol = run(exporter, params, X, tmp_path, **options)
        np.testing.assert_allclose(out, F.predict(cell, params, X, **options), rtol=0, atol=tol)


# ---------------------------------------------------------------- what predict adds


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_quantile_loss_exports_the_median_head_rows(exporter, tmp_path):
    model = fitted("lstm", loss="quantile", quantiles=(0.1, 0.5, 0.8))
    X = windows()
    out, tol = run(exporter, model, X, tmp_path)
    assert out.shape == (len(X), N_OUTPUTS)
    np.testing.assert_allclose(out, predictions(model, X), rtol=0, atol=tol)


def contract(model, X, reverse=False):
    """The prediction the scaling and lag-order contract defines, from the functional API."""
    X = (X - model.feature_mean_) / model.feature_scale_
    if reverse:
        X = X[:, ::-1]
    net = F.predict("gru", model.params_, X.astype(model.dtype))
    return net * model.target_scale_ + model.target_mean_


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_input_and_target_scaling_are_in_the_export(exporter, tmp_path):
    model = fitted("gru")
    model.feature_mean_, model.feature_scale_ = np.array([1.0, -2.0, 0.5]), np.array([2, 3, .5])
    model.target_mean_, model.target_scale_ = np.array([10.0, -4.0]), np.array([3.0, 0.25])
    X = 3 * windows()
    out, tol = run(exporter, model, X, tmp_path)
    np.testing.assert_allclose(out, contract(model, X), rtol=0, atol=10 * tol)
    if exporter == "torch":
        module = to_torch(model)
        assert {name for name, _ in module.named_buffers()} == set(SCALING)


def with_lag_order(model, lag_order, monkeypatch):
    """``model`` with ``lag_order`` set (faked while the estimators have no such parameter)."""
    if "lag_order" in model.get_params():
        return model.set_params(lag_order=lag_order)
    params = {**model.get_params(deep=False), "lag_order": lag_order}
    monkeypatch.setattr(model, "get_params", lambda deep=True: params)
    return model


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_newest_first_lags_are_reversed_in_the_export(exporter, tmp_path, monkeypatch):
    model = with_lag_order(fitted("gru"), "newest_first", monkeypatch)
    for name, value in zip(SCALING, ([0.0] * 3, [1.0] * 3, [0.0] * 2, [1.0] * 2), strict=True):
        setattr(model, f"{name}_", np.array(value))
    X = windows()
    out, tol = run(exporter, model, X, tmp_path)
    np.testing.assert_allclose(out, contract(model, X, reverse=True), rtol=0, atol=tol)
    assert np.abs(out - contract(model, X)).max() > 1e-3  # the order matters


def test_unknown_lag_order_is_refused(monkeypatch, tmp_path):
    model = with_lag_order(fitted("gru"), "sideways", monkeypatch)
    with pytest.raises(ValueError, match="lag_order 'sideways' has no export"):
        to_onnx(model, tmp_path / "m.onnx")


# ---------------------------------------------------------------- Forecaster


def forecaster(n_models=1, estimator=None):
    y = np.sin(np.arange(40) / 3) + np.arange(40) / 20
    model = estimator or GRURegressor(HIDDEN, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Forecaster(model, horizon=2, window=6, n_models=n_models, random_state=0).fit(y)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_forecaster_graph_maps_transformed_windows_to_transformed_outputs(exporter, tmp_path):
    f = forecaster()
    target, _ = f.target_transform_.transform(f.y_, None)
    # the window the network sees at predict(): relative to its last value
    X, level = f.network_input(), target[-1:, None]
    assert f.local_level_
    out, tol = run(exporter, f, X, tmp_path, member=0)  # without member, ONNX: the pipeline
    pred = f.windowing_.restore(out[0].astype(np.float64), level)
    np.testing.assert_allclose(f.target_transform_.inverse(pred, f.y_), f.predict(), rtol=0,
                               atol=100 * tol)


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_forecaster_ensemble_member(exporter, tmp_path):
    f = forecaster(n_models=2)  # without member: the whole forecast, median included
    X = windows(n_steps=f.window_)[:, :, :1]
    out, tol = run(exporter, f, X, tmp_path, member=1)
    np.testing.assert_allclose(out, predictions(f.estimators_[1], X), rtol=0, atol=tol)
    for member in (2, -1, 1.0, True):
        with pytest.raises(ValueError, match=r"member must be an integer in \[0, 2\)"):
            run(exporter, f, X, tmp_path, member=member)


# ---------------------------------------------------------------- 2-D layouts


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("layout", [
    {"n_features_per_step": 2, "static_features": [8]},
    {"n_features_per_step": 2, "static_features": [0], "lag_order": "newest_first",
     "feature_layout": "blocks"},
    {"n_features_per_step": 2, "static_features": ["c8"]},
], ids=["static-last", "static-first-newest-blocks", "named-static"])
def test_an_estimator_with_a_layout_takes_the_2d_X_of_predict(exporter, layout, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 9)) * 5 + 3
    data = pd.DataFrame(X, columns=[f"c{i}" for i in range(9)]) if "c8" in str(layout) else X
    dtype = "float32" if exporter == "onnx" else "float64"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GRURegressor(HIDDEN, max_iter=2, random_state=0, dtype=dtype, **layout).fit(
            data, X[:, 0] + X[:, 8])
    out, _ = run(exporter, model, X, tmp_path)
    expected = np.reshape(model.predict(data), (len(X), -1))
    np.testing.assert_allclose(out, expected, rtol=1e-4 if exporter == "onnx" else 1e-10)


# ---------------------------------------------------------------- whole Forecaster, ONNX

PIPELINE_NETWORK = {"hidden_size": HIDDEN, "max_iter": 3}
N_TRAIN = 100


def exog_frame(index):
    """Two exog columns over ``index``: a wave and a trend."""
    t = np.arange(len(index), dtype=float)
    return pd.DataFrame({"wave": np.sin(t / 2), "trend": t}, index=index)


def pipeline_forecaster(n_models=1, exog=False, **options):
    """A Forecaster on 100 months of airline passengers (and two exog columns)."""
    from gatedts.datasets import load_airline

    y = load_airline()[:N_TRAIN]
    network = {**PIPELINE_NETWORK, "dtype": options.pop("network_dtype", "float32")}
    f = Forecaster("gru", network_options=network, n_models=n_models,
                   horizon=options.pop("horizon", 3), random_state=0, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return f.fit(y, exog_frame(y.index) if exog else None)


def pipeline_inputs(f, batch_from=(0,)):
    """The inputs of ``f``'s whole-forecast export at the end of its training series and
    ``batch_from`` steps before it (``y``, and ``exog``, ``exog_future`` with exog columns),
    and the forecast_from arguments of each of those origins."""
    C, n, H = f.context_length_, len(f.y_), f.horizon
    exog = None if f.exog_ is None else exog_frame(np.arange(n + H)).to_numpy()
    feeds = {"y": np.stack([f.y_[n - cut - C: n - cut] for cut in batch_from])}
    if exog is not None:
        feeds["exog"] = np.stack([exog[n - cut - C: n - cut] for cut in batch_from])
    future = [f.exog_columns_.index(c) for c in f.future_exog_]
    if future:
        feeds["exog_future"] = np.stack([exog[n - cut: n - cut + H, future]
                                         for cut in batch_from])
    calls = [(f.y_[: n - cut], None if exog is None else exog[: n - cut],
              None if not future else exog[n - cut: n - cut + H, future])
             for cut in batch_from]
    return feeds, calls


def run_pipeline(f, tmp_path, coverage=None, batch_from=(0,)):
    """The ONNX forecast of ``f`` after its training series (and after earlier cuts of it,
    ``batch_from`` steps before the end), with what ``f`` itself says there."""
    ort = pytest.importorskip("onnxruntime")
    path = to_onnx(f, tmp_path / "forecaster.onnx", coverage=coverage)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds, calls = pipeline_inputs(f, batch_from)
    assert [i.name for i in session.get_inputs()] == list(feeds)
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(None, {k: v.astype(np.float32) for k, v in feeds.items()}),
                   strict=True))
    expected = [f.forecast_from(y, exog, exog_future, coverage=coverage)
                for y, exog, exog_future in calls]
    return got, expected


def run_torch_pipeline(f, coverage=None, batch_from=(0,)):
    """:func:`run_pipeline` with the torch module, in the networks' dtype."""
    torch = pytest.importorskip("torch")
    module = to_torch(f, coverage=coverage)
    dtype = module.members[0].head.weight.dtype
    feeds, calls = pipeline_inputs(f, batch_from)
    with torch.no_grad():
        out = module(*(torch.from_numpy(v).to(dtype) for v in feeds.values()))
    out = out if isinstance(out, tuple) else (out,)
    names = ["forecast", "lower", "upper"][: len(out)]
    got = {name: value.numpy() for name, value in zip(names, out, strict=True)}
    expected = [f.forecast_from(y, exog, exog_future, coverage=coverage)
                for y, exog, exog_future in calls]
    return got, expected


@pytest.mark.parametrize("options", [
    {"log": True, "seasonal_difference": True, "difference": 1, "local_level": False},
    {"log": False, "seasonal_difference": False, "difference": 0, "local_level": True},
    {"exog": True},
    {"n_models": 2},
    {"n_models": 3, "log": True, "seasonal_difference": True},
], ids=["log-seasonal-difference", "local-level", "exog", "ensemble-2", "ensemble-3"])
def test_forecaster_exports_its_whole_forecast(options, tmp_path):
    f = pipeline_forecaster(**options)
    if "log" in options:
        assert (f.log_, f.seasonal_difference_, f.local_level_) == (
            options["log"], options["seasonal_difference"], options.get("local_level", False))
    got, expected = run_pipeline(f, tmp_path, batch_from=(0, 5))
    assert list(got) == ["forecast"] and got["forecast"].shape == (2, 3)
    for row, table in zip(got["forecast"], expected, strict=True):
        np.testing.assert_allclose(row, table.to_numpy(), rtol=1e-4)


@pytest.mark.parametrize("n_models", [1, 2])
def test_forecaster_exports_its_intervals(n_models, tmp_path):
    f = pipeline_forecaster(n_models=n_models, log=True, n_calibration=9, calibration_folds=1)
    got, expected = run_pipeline(f, tmp_path, coverage=0.9, batch_from=(0, 4))
    assert list(got) == ["forecast", "lower", "upper"]
    for k, table in enumerate(expected):
        for name in got:
            np.testing.assert_allclose(got[name][k], table[name].to_numpy(), rtol=1e-4)
    assert np.all(got["lower"] < got["forecast"]) and np.all(got["forecast"] < got["upper"])


# The recursive strategy and future-known exog, with intervals: each export in float32.
FED_BACK = {
    "recursive-log-seasonal-difference": {
        "strategy": "recursive", "horizon": 4, "log": True, "seasonal_difference": True,
        "difference": 0},
    "future-exog": {"exog": True, "future_exog": ["wave"], "local_level": True},
    "ensemble-future-exog": {"exog": True, "future_exog": True, "n_models": 3, "log": True},
    "recursive-ensemble-exog": {"exog": True, "future_exog": True, "n_models": 2,
                                "strategy": "recursive", "local_level": True},
}


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("options", list(FED_BACK.values()), ids=list(FED_BACK))
def test_recursive_strategy_and_future_exog_are_exported(exporter, options, tmp_path):
    f = pipeline_forecaster(**options, n_calibration=9, calibration_folds=1)
    assert f.model_horizon_ == (1 if options.get("strategy") == "recursive" else f.horizon)
    if exporter == "onnx":
        got, expected = run_pipeline(f, tmp_path, coverage=0.9, batch_from=(0, 5))
    else:
        got, expected = run_torch_pipeline(f, coverage=0.9, batch_from=(0, 5))
    assert list(got) == ["forecast", "lower", "upper"]
    for k, table in enumerate(expected):
        for name in got:
            np.testing.assert_allclose(got[name][k], table[name].to_numpy(), rtol=1e-4)
    assert got["forecast"].shape == (2, f.horizon)


@pytest.mark.parametrize("options", [
    {"log": True, "seasonal_difference": True, "difference": 1, "local_level": False},
    {"exog": True, "local_level": True},
    {"n_models": 2},
    FED_BACK["recursive-ensemble-exog"],
    FED_BACK["future-exog"],
], ids=["log-seasonal-difference", "exog-local-level", "ensemble-2", "recursive-ensemble-exog",
        "future-exog"])
def test_forecaster_whole_forecast_as_a_torch_module(options):
    pytest.importorskip("torch")
    f = pipeline_forecaster(**options, network_dtype="float64", n_calibration=9,
                            calibration_folds=1)
    got, expected = run_torch_pipeline(f, coverage=0.9, batch_from=(0, 3))
    for k, table in enumerate(expected):
        for name in got:
            np.testing.assert_allclose(got[name][k], table[name].to_numpy(), rtol=1e-10)


def test_sktime_adapter_exports_its_forecaster(tmp_path):
    pytest.importorskip("sktime")
    from gatedts.integrations.sktime import GatedtsForecaster

    f = pipeline_forecaster()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adapter = GatedtsForecaster(f).fit(pd.Series(f.y_, index=f.index_), fh=[1, 2, 3])
    a = to_onnx(adapter, tmp_path / "adapter.onnx").read_bytes()
    assert a == to_onnx(adapter.forecaster_, tmp_path / "forecaster.onnx").read_bytes()


def test_forecaster_pipeline_refusals(tmp_path):
    with pytest.raises(ValueError, match="coverage is for the whole forecast"):
        to_onnx(fitted("gru"), tmp_path / "m.onnx", coverage=0.9)
    with pytest.raises(ValueError, match="coverage is for the whole forecast"):
        to_torch(fitted("gru"), coverage=0.9)
    auto = Forecaster("auto", horizon=2, network_options={"hidden_size": 3, "max_iter": 2},
                      random_state=0).fit(np.sin(np.arange(40.0)))
    for export in (partial(to_onnx, path=tmp_path / "auto.onnx"), to_torch):
        with pytest.raises(ValueError, match=r"Forecaster\('auto'\) weighs its networks with "
                           "the pretrained network and seasonal naive"):
            export(auto)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_bad_models_are_refused_with_the_reason(exporter, tmp_path):
    # Checked before onnx or torch is imported: the messages come without them too.
    def export(model, **kwargs):
        if exporter == "onnx":
            return to_onnx(model, tmp_path / "m.onnx", **kwargs)
        return to_torch(model, **kwargs)

    for unfitted in (GRURegressor(), LSTMRegressor(), RNNRegressor()):
        with pytest.raises(NotFittedError, match=f"this {type(unfitted).__name__} is not fitted"):
            export(unfitted)
    with pytest.raises(NotFittedError, match="this Forecaster is not fitted"):
        export(Forecaster())
    with pytest.raises(TypeError, match="the Forecaster's model is a Ridge"):
        export(forecaster(estimator=Ridge()))
    for other in (Ridge(), "model.gdts", [1.0]):
        with pytest.raises(TypeError, match=r"expected a fitted GRURegressor.*got"):
            export(other)
    model = fitted("gru")
    with pytest.raises(ValueError, match="member picks one network of a Forecaster"):
        export(model, member=0)
    with pytest.raises(ValueError, match="reset_after is only for a params dict"):
        export(model, reset_after=False)
    lstm = random_model("lstm", 2, 3)
    with pytest.raises(ValueError, match="reset_after is a GRU option; these params are a LSTM"):
        export(lstm, reset_after=True)
    with pytest.raises(ValueError, match="params has no 'weight_hh_l0'"):
        export({})
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape \(6, 3\), not \(G·H, H\)"):
        export({**lstm, "weight_hh_l0": np.zeros((6, 3))})
    with pytest.raises(ValueError, match=r"params is missing 'head\.bias'"):
        export({k: v for k, v in lstm.items() if k != "head.bias"})
    assert list(tmp_path.iterdir()) == []


def test_missing_packages_name_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.setitem(sys.modules, "torch", None)
    params = random_model("rnn", 2, 3)
    with pytest.raises(ImportError, match=r"needs onnx: pip install 'gatedts\[onnx\]'"):
        to_onnx(params, tmp_path / "m.onnx")
    with pytest.raises(ImportError, match=r"needs torch: pip install 'gatedts\[bench\]'"):
        to_torch(params)


# ---------------------------------------------------------------- files and pickling


def test_interrupted_export_keeps_the_existing_file(tmp_path, monkeypatch):
    pytest.importorskip("onnx")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous model")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(persistence.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        to_onnx(random_model("gru", 2, 3), path)
    assert os.listdir(tmp_path) == ["model.onnx"] and path.read_bytes() == b"previous model"


def test_torch_module_saves_and_loads_whole(tmp_path):
    torch = pytest.importorskip("torch")
    import gatedts.export

    module = to_torch(random_model("lstm", 2, [3, 2], peephole=True))
    torch.save(module, tmp_path / "module.pt")
    loaded = torch.load(tmp_path / "module.pt", weights_only=False)
    assert type(loaded) is gatedts.export.TorchNetwork
    X = torch.from_numpy(windows()[:, :, :2])
    with torch.no_grad():
        np.testing.assert_array_equal(loaded(X).numpy(), module(X).numpy())
    with pytest.raises(AttributeError, match="has no attribute 'TorchNothing'"):
        gatedts.export.TorchNothing
