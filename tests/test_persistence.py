"""save/load: round trips, damaged and hostile files, atomic writes, pickle/joblib."""

import hashlib
import io
import json
import math
import os
import pickle
import stat
import sys
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LinearRegression

from gatedts import Forecaster, GRURegressor, LSTMRegressor, RNNRegressor, persistence
from gatedts.forecasting.baselines import SeasonalNaive
from gatedts.forecasting.preprocessing import (
    Differencer,
    IdentityTransform,
    LogTransform,
    MinMaxScaler,
    StandardScaler,
)
from gatedts.forecasting.windows import WindowTransformer
from gatedts.persistence import FORMAT_VERSION, load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = {"hidden_size": 4, "max_iter": 2, "random_state": 0}


def _data(n_steps=5, n_features=None, n_outputs=None, n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_steps) if n_features is None else (n, n_steps, n_features))
    y = rng.standard_normal(n if n_outputs is None else (n, n_outputs))
    return X, y


def _frame_data():
    X, y = _data()
    return pd.DataFrame(X, columns=[f"lag_{k}" for k in range(5, 0, -1)]), y


CASES = {
    "gru": lambda: (GRURegressor(**TINY), *_data()),
    "gru-cho-multioutput": lambda: (GRURegressor(reset_after=False, **TINY),
                                    *_data(n_outputs=3)),
    "lstm-peephole-3d": lambda: (LSTMRegressor(peephole=True, **TINY),
                                 *_data(n_features=2, n_outputs=2)),
    "rnn-float64": lambda: (RNNRegressor(dtype="float64", **TINY), *_data()),
    "rnn-unscaled": lambda: (RNNRegressor(scaling=None, **TINY), *_data()),
    "gru-stacked-sgd-early-stopping": lambda: (
        GRURegressor(hidden_size=(4, 3), max_iter=2, random_state=1, solver="sgd",
                     early_stopping=True, dtype=np.float64, learning_rate="plateau"),
        *_data(n_features=3)),
    "lstm-feature-names": lambda: (LSTMRegressor(**TINY), *_frame_data()),
}
FITTED_ATTRIBUTES = ("loss_curve_", "grad_norm_curve_", "learning_rate_curve_",
                     "validation_scores_", "best_loss_", "best_validation_score_", "n_iter_",
                     "t_", "n_features_in_", "n_outputs_")
SCALING_ATTRIBUTES = ("feature_mean_", "feature_scale_", "target_mean_", "target_scale_")


@pytest.fixture(params=list(CASES), ids=list(CASES))
def fitted(request):
    model, X, y = CASES[request.param]()
    return model.fit(X, y), X, y


def _bits(a):
    a = np.asarray(a)
    return a.dtype.str, a.shape, a.tobytes()


def _assert_same_params(a, b):
    assert list(a) == list(b)
    for key in a:
        assert _bits(a[key]) == _bits(b[key]), key


# ---------------------------------------------------------------- estimators


def test_round_trip_is_exact(fitted, tmp_path):
    model, X, _ = fitted
    path = save(model, tmp_path / "model.gdts")
    assert path == tmp_path / "model.gdts" and sorted(os.listdir(tmp_path)) == ["model.gdts"]
    loaded = load(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    _assert_same_params(loaded.params_, model.params_)
    assert _bits(loaded.predict(X)) == _bits(model.predict(X))
    for name in FITTED_ATTRIBUTES:
        assert getattr(loaded, name) == getattr(model, name), name
    for name in SCALING_ATTRIBUTES:
        assert _bits(getattr(loaded, name)) == _bits(getattr(model, name)), name
    if hasattr(model, "feature_names_in_"):
        assert loaded.feature_names_in_.dtype == object
        assert loaded.feature_names_in_.tolist() == model.feature_names_in_.tolist()
    assert not hasattr(loaded, "_optimizer")  # training state that is deliberately not saved


def test_file_layout_is_npz_with_json_metadata(tmp_path):
    X, y = _data()
    model = GRURegressor(**TINY).fit(X, y)
    path = save(model, tmp_path / "model.gdts")
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["metadata.json"])
        assert sorted(npz.files) == sorted(["metadata.json", *meta["arrays"]])
        weights = {k: npz[v["ref"]] for k, v in meta["tree"]["state"]["params_"]["v"].items()}
    assert list(meta) == ["format", "format_version", "gatedts_version", "class", "arrays",
                          "tree", "sha256"]
    assert meta["format"] == "gatedts" and meta["format_version"] == FORMAT_VERSION == 3
    assert meta["class"] == meta["tree"]["class"] == "GRURegressor"  # a public name, no module
    assert meta["tree"]["params"]["hidden_size"] == 4 and len(meta["sha256"]) == 64
    assert "_optimizer" not in meta["tree"]["state"] and "_rng" in meta["tree"]["state"]
    _assert_same_params(weights, model.params_)


def test_loaded_model_trains_again_deterministically(fitted, tmp_path):
    model, X, y = fitted
    path = save(model, tmp_path / "model.gdts")
    loaded, again = load(path), load(str(path))
    loaded.partial_fit(X, y)
    again.partial_fit(X, y)
    assert loaded.n_iter_ == model.n_iter_ + 1
    assert all(np.isfinite(p).all() for p in loaded.params_.values())
    _assert_same_params(loaded.params_, again.params_)
    # The random generator is restored exactly: the original, once its optimizer
    # is dropped as load() drops it, takes the very same step.
    model._optimizer = None
    model.partial_fit(X, y)
    _assert_same_params(loaded.params_, model.params_)
    # fit() starts over from random_state, as for a fresh estimator.
    loaded.fit(X, y)
    _assert_same_params(loaded.params_, clone(model).fit(X, y).params_)


def test_loaded_early_stopping_model_fits_again(tmp_path):
    model, X, y = CASES["gru-stacked-sgd-early-stopping"]()
    loaded = load(save(model.fit(X, y), tmp_path / "model.gdts"))
    assert loaded.validation_scores_ == model.validation_scores_
    _assert_same_params(loaded.fit(X, y).params_, clone(model).fit(X, y).params_)


def test_loaded_early_stopping_model_partial_fits(tmp_path):
    model, X, y = CASES["gru-stacked-sgd-early-stopping"]()
    loaded = load(save(model.fit(X, y), tmp_path / "model.gdts"))
    assert loaded.partial_fit(X, y).n_iter_ == model.n_iter_ + 1


def test_random_state_objects_are_saved_exactly(tmp_path):
    X, y = _data()
    model = GRURegressor(hidden_size=4, max_iter=2, random_state=np.random.RandomState(7))
    model.fit(X, y)
    loaded = load(save(model, tmp_path / "m.gdts"))
    assert isinstance(loaded.random_state, np.random.RandomState)
    assert loaded.random_state is not model.random_state
    assert loaded.random_state.randint(2**31) == model.random_state.randint(2**31)
    assert _bits(loaded.predict(X)) == _bits(model.predict(X))


def test_pickle_and_joblib_keep_working(tmp_path):
    X, y = _data(n_outputs=2)
    model = LSTMRegressor(**TINY).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    for copy in (pickle.loads(pickle.dumps(model)), joblib.load(tmp_path / "model.joblib")):
        assert _bits(copy.predict(X)) == _bits(model.predict(X))
        assert copy.partial_fit(X, y).n_iter_ == model.n_iter_ + 1


@pytest.mark.parametrize("cls", [GRURegressor, LSTMRegressor, RNNRegressor, StandardScaler])
def test_unfitted_estimator_is_refused(cls, tmp_path):
    with pytest.raises(ValueError, match=f"cannot save an unfitted {cls.__name__}: call fit"):
        save(cls(), tmp_path / "m.gdts")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- transforms, pandas


def test_transforms_baselines_and_pandas_values_round_trip(tmp_path):
    index = pd.date_range("2000-01-01", periods=36, freq="MS", name="month")
    y = pd.Series(np.linspace(100.0, 200.0, 36) + np.tile(np.arange(12.0), 3), index=index,
                  name="passengers")
    frame = pd.DataFrame({"y": y, "code": [f"c{i % 3}" for i in range(36)],
                          "flag": np.arange(36) % 2 == 0}, index=index)
    X, Y = _data(n_outputs=2)
    tree = {
        "standard": StandardScaler().fit(y), "minmax": MinMaxScaler((-1, 1)).fit(frame[["y"]]),
        "identity": IdentityTransform().fit(y), "log": LogTransform(1.0).fit(y),
        "diff": Differencer(1, 12).fit(y), "naive": SeasonalNaive(12).fit(y),
        "windows": WindowTransformer(3).fit(np.zeros((4, 6))),
        "model": RNNRegressor(**TINY).fit(X, Y), "series": y, "frame": frame,
        "freq": index.freq, "last": index[-1], "period": pd.Period("2020Q3"),
        "step": pd.Timedelta(hours=2), "range": pd.RangeIndex(3, 30, 3, name=("a", 1)),
        "periods": pd.period_range("2020Q1", periods=5, freq="Q", name="quarter"),
        "hourly_tz": pd.date_range("2021-03-27", periods=50, freq="h", tz="Europe/Berlin"),
        "gaps": pd.DatetimeIndex(["2020-01-01", "2020-01-03", "2020-01-09"]),
        "deltas": pd.timedelta_range("1D", periods=3, freq="12h"), "labels": pd.Index(["a", "b"]),
        "objects": pd.Index(["x", "y"], dtype=object), "ints": pd.Index([3, 1, 2], name=0),
    }
    back = load(save(tree, tmp_path / "tree.gdts"))
    assert list(back) == list(tree)
    for name in ("standard", "minmax", "identity", "log", "diff"):
        data = frame[["y"]] if name == "minmax" else y
        assert _bits(back[name].transform(data)) == _bits(tree[name].transform(data))
        z = tree[name].transform(data)
        assert _bits(back[name].inverse_transform(z)) == _bits(tree[name].inverse_transform(z))
    assert back["diff"].lags_ == (12, 1) and type(back["diff"].tails_) is list
    pd.testing.assert_series_equal(back["naive"].predict(5), tree["naive"].predict(5))
    assert back["windows"].n_series_features_ == 2
    assert _bits(back["model"].predict(X)) == _bits(tree["model"].predict(X))
    pd.testing.assert_series_equal(back["series"], y, check_exact=True, check_freq=True)
    pd.testing.assert_frame_equal(back["frame"], frame, check_exact=True)
    for name, value in tree.items():
        if isinstance(value, pd.Index):
            pd.testing.assert_index_equal(back[name], value, exact=True, check_exact=True)
            assert getattr(back[name], "freq", None) == getattr(value, "freq", None), name
        elif not hasattr(value, "fit") and not isinstance(value, pd.Series | pd.DataFrame):
            assert type(back[name]) is type(value) and back[name] == value, name


class _SeriesSubclass(pd.Series):
    """Saved as a Series, it would load back as a plain Series: refused."""


@pytest.mark.parametrize("value, match", [
    (lambda: 0, "cannot save a value of type builtins.function"),
    ({"ok": 1, 2: "a"}, "dict keys must be str, got 2"),
    (np.array([1, "a"], dtype=object), "object arrays can be saved only when every element"),
    (np.zeros(2, dtype=[("a", "f8")]), "not supported"),
    (LinearRegression(), "sklearn.linear_model"),
    ({"m": GRURegressor(hidden_size=lambda: 4)}, "GRURegressor.hidden_size: cannot save"),
    (pd.MultiIndex.from_tuples([(1, 2)]), "cannot save a MultiIndex"),
    (pd.DateOffset(months=1), "would not load back exactly"),
    (pd.Series([1, None], dtype="Int64"), "Series: it would not load back exactly"),
    (_SeriesSubclass([1.0, 2.0]), "cannot save this _SeriesSubclass: it would not load back"),
])
def test_unsupported_values_are_refused_before_writing(value, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        save(value, tmp_path / "m.gdts")
    assert list(tmp_path.iterdir()) == []


class _ToyForecaster(BaseEstimator):
    """A stand-in for Forecaster: an estimator, transforms, an index and arrays."""

    def __init__(self, estimator=None, window=4):
        self.estimator = estimator
        self.window = window

    def fit(self, y):
        self.scaler_ = StandardScaler().fit(y)
        z = self.scaler_.transform(y).to_numpy()
        X = np.lib.stride_tricks.sliding_window_view(z[:-1], self.window)
        self.estimator_ = clone(self.estimator).fit(X, z[self.window:])
        self.index_, self.last_window_ = y.index, z[-self.window:].copy()
        self._history = {"scaled": z, "name": y.name}
        return self

    def predict(self):
        z = self.estimator_.predict(self.last_window_[None, :])
        index = pd.date_range(self.index_[-1], periods=2, freq=self.index_.freq)[1:]
        return pd.Series(self.scaler_.inverse_transform(z), index=index)


def test_nested_registered_objects_round_trip(tmp_path, monkeypatch):
    monkeypatch.setitem(persistence._REGISTRY, "_ToyForecaster", (
        _ToyForecaster.__module__, ("scaler_", "estimator_", "index_", "last_window_", "_history"),
        None, None))
    y = pd.Series(np.sin(np.arange(40.0)), name="y",
                  index=pd.date_range("2020-01-01", periods=40, freq="D"))
    forecaster = _ToyForecaster(GRURegressor(**TINY)).fit(y)
    loaded = load(save(forecaster, tmp_path / "toy.gdts"))
    assert type(loaded) is _ToyForecaster and loaded.estimator.get_params() == TINY | {
        k: v for k, v in GRURegressor().get_params().items() if k not in TINY}
    assert not hasattr(loaded.estimator, "params_")  # the unfitted template stays unfitted
    assert not hasattr(loaded.estimator_, "_optimizer")  # not saved
    assert loaded._history["name"] == "y"
    pd.testing.assert_series_equal(loaded.predict(), forecaster.predict(), check_exact=True)


def test_forecaster_round_trip(tmp_path):
    forecasting = pytest.importorskip("gatedts.forecasting")
    index = pd.date_range("2000-01-01", periods=48, freq="MS")
    y = pd.Series(np.sin(np.arange(48) / 2.0) + np.arange(48) / 10 + 5, index=index)
    forecaster = forecasting.Forecaster(GRURegressor(**TINY), window=6, horizon=3).fit(y)
    loaded = load(save(forecaster, tmp_path / "forecaster.gdts"))
    assert type(loaded) is forecasting.Forecaster
    pd.testing.assert_series_equal(loaded.predict(), forecaster.predict(), check_exact=True)


# ---------------------------------------------------------------- damaged and hostile files


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    X, y = _data(n_outputs=2)
    path = tmp_path_factory.mktemp("saved") / "model.gdts"
    save(GRURegressor(**TINY).fit(X, y), path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path, members, *, resign=True):
    """Write ``members`` as a zip with fresh CRCs and, if ``resign``, a fresh SHA-256.

    The digest is recomputed from the documented format, not by calling gatedts.
    """
    if resign:
        meta = json.loads(members["metadata.json"])
        meta.pop("sha256")
        digest = hashlib.sha256(json.dumps(meta, separators=(",", ":")).encode())
        for name in meta["arrays"]:
            arr = np.load(io.BytesIO(members[f"{name}.npy"]), allow_pickle=False)
            digest.update(json.dumps([name, arr.dtype.str, list(arr.shape)],
                                     separators=(",", ":")).encode())
            digest.update(arr.tobytes())
        meta["sha256"] = digest.hexdigest()
        members = {**members, "metadata.json": json.dumps(meta).encode()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _edit_meta(model_file, tmp_path, edit, *, resign=True):
    members = _members(model_file)
    meta = json.loads(members["metadata.json"])
    edit(meta)
    members["metadata.json"] = json.dumps(meta).encode()
    return _rewrite(tmp_path / "edited.gdts", members, resign=resign)


def test_rewritten_unchanged_file_loads(model_file, tmp_path):
    # The test helpers themselves produce loadable files: failures below are real.
    assert load(_edit_meta(model_file, tmp_path, lambda meta: None)).n_iter_ == 2


@pytest.mark.parametrize("keep", [0, 3, 30, 0.5, 0.9, -1])
def test_truncated_file(model_file, tmp_path, keep):
    data = model_file.read_bytes()
    n = int(keep * len(data)) if isinstance(keep, float) else keep % len(data)
    path = tmp_path / "cut.gdts"
    path.write_bytes(data[:n])
    with pytest.raises(ValueError, match="truncated"):
        load(path)


@pytest.mark.parametrize("where", ["metadata", "array", "central directory"])
def test_corrupted_bytes(model_file, tmp_path, where):
    data = bytearray(model_file.read_bytes())
    members = _members(model_file)
    offset = {"metadata": data.find(b'"format_version"') + 3,
              "array": data.find(members["a1.npy"]) + len(members["a1.npy"]) - 1,
              "central directory": data.rfind(b"a1.npy") - 2}[where]
    data[offset] ^= 0x40
    path = tmp_path / "bad.gdts"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupted"):
        load(path)


def test_tampered_array_fails_the_checksum(model_file, tmp_path):
    members = _members(model_file)
    arr = np.load(io.BytesIO(members["a0.npy"]))
    arr.flat[0] = np.nextafter(arr.flat[0], np.inf)
    buffer = io.BytesIO()
    np.save(buffer, arr)
    members["a0.npy"] = buffer.getvalue()
    path = _rewrite(tmp_path / "tampered.gdts", members, resign=False)  # CRCs are valid
    with pytest.raises(ValueError, match=r"integrity check \(SHA-256 mismatch\)"):
        load(path)


@pytest.mark.parametrize("edit", [
    lambda meta: meta["tree"]["params"].update(hidden_size=8),
    lambda meta: meta.update(gatedts_version="9.9"),
    lambda meta: meta.update(sha256="0" * 64),
    lambda meta: meta.pop("sha256"),
])
def test_tampered_metadata_fails_the_checksum(model_file, tmp_path, edit):
    with pytest.raises(ValueError, match="SHA-256 mismatch"):
        load(_edit_meta(model_file, tmp_path, edit, resign=False))


def test_missing_and_unexpected_members(model_file, tmp_path):
    members = _members(model_file)
    missing = {k: v for k, v in members.items() if k != "a1.npy"}
    with pytest.raises(ValueError, match=r"missing member a1\.npy"):
        load(_rewrite(tmp_path / "missing.gdts", missing, resign=False))
    with pytest.raises(persistence.ModelFileError, match="not a gatedts model file"):
        load(_rewrite(tmp_path / "nometa.gdts", {"a0.npy": members["a0.npy"]}, resign=False))
    with pytest.raises(ValueError, match=r"unexpected member\(s\) \['extra.npy'\]"):
        load(_rewrite(tmp_path / "extra.gdts", {**members, "extra.npy": members["a0.npy"]}))


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess.Popen",
                                  "sklearn.linear_model.LinearRegression",
                                  "gatedts.persistence.save", "gatedts_evil_module.Model", 42,
                                  "os.GRURegressor", "gatedts.persistence.GRURegressor"])
def test_classes_outside_the_allow_list_are_refused(model_file, tmp_path, name):
    path = _edit_meta(model_file, tmp_path, lambda meta: meta["tree"].update({"class": name}))
    with pytest.raises(ValueError, match="is not a gatedts class that load\\(\\) may create"):
        load(path)
    assert "gatedts_evil_module" not in sys.modules


@pytest.mark.parametrize("attribute", ["__class__", "__dict__", "predict", "fit", "2x"])
def test_attributes_that_shadow_the_class_are_refused(model_file, tmp_path, attribute):
    path = _edit_meta(model_file, tmp_path,
                      lambda meta: meta["tree"]["state"].update({attribute: 1}))
    with pytest.raises(ValueError, match=f"attribute '{attribute}' of GRURegressor may not"):
        load(path)


@pytest.mark.parametrize("value, match", [
    ({"$": "eval", "v": "__import__('os')"}, "unknown value kind 'eval'"),
    ({"$": "array", "ref": "a99"}, "an array name is 'a99'"),
    ({"$": "dtype", "v": "O", "type": True}, "arrays of dtype object are not supported"),
    ({"$": "rng", "generator": True, "state": {"$": "dict", "v": {"bit_generator": "os"}}},
     "unknown bit generator 'os'"),
    ({"$": "float", "v": "1e308*10"}, r"a float is '1e308\*10'"),
    ({"$": "scalar", "dtype": "<i8", "v": "1"}, "is not a int64 scalar"),
    ({"$": "strarray", "shape": [1], "v": [1]}, "a str array holds a non-str"),
    ({"$": "index", "type": "period", "name": None, "freq": "D", "i8": [1, 2]},
     "bad index values"),
    ({"$": "strarray", "v": ["a"]}, r"cannot rebuild the saved object \(KeyError: 'shape'\)"),
])
def test_malformed_trees_are_refused(model_file, tmp_path, value, match):
    path = _edit_meta(model_file, tmp_path,
                      lambda meta: meta["tree"]["state"].update(n_outputs_=value))
    with pytest.raises(ValueError, match=match):
        load(path)


@pytest.mark.parametrize("edit, match", [
    (lambda meta: meta.update(format_version=0), "is corrupted: invalid format_version 0"),
    (lambda meta: meta.update(format_version="1"), "is corrupted: invalid format_version '1'"),
    (lambda meta: meta.update(arrays="a0"), r"is corrupted: malformed array list in metadata"),
    (lambda meta: meta.update(arrays=[0]), r"is corrupted: malformed array list in metadata"),
])
def test_malformed_header_is_refused(model_file, tmp_path, edit, match):
    with pytest.raises(ValueError, match=match):
        load(_edit_meta(model_file, tmp_path, edit, resign=False))


@pytest.mark.parametrize("module", ["gatedts.no_such_module", "gatedts.persistence"])
def test_registered_class_missing_from_this_install(model_file, monkeypatch, module):
    monkeypatch.setitem(persistence._REGISTRY, "GRURegressor",
                        (module, *persistence._REGISTRY["GRURegressor"][1:]))
    with pytest.raises(ValueError, match="class 'GRURegressor' is not available in this gatedts"):
        load(model_file)


def test_newer_format_version_says_upgrade(model_file, tmp_path):
    newer = FORMAT_VERSION + 1
    path = _edit_meta(model_file, tmp_path, lambda meta: meta.update(format_version=newer))
    with pytest.raises(ValueError, match=(
            rf"written by a newer gatedts \(format {newer}, this version reads up to "
            rf"{FORMAT_VERSION}\): upgrade gatedts")):
        load(path)


def test_only_the_declared_attributes_are_saved_and_loaded(model_file, tmp_path):
    X, y = _data()
    model = GRURegressor(**TINY).fit(X, y)
    model.notes_ = "not declared"
    with np.load(save(model, tmp_path / "m.gdts"), allow_pickle=False) as npz:
        state = json.loads(npz["metadata.json"])["tree"]["state"]
    assert "notes_" not in state and "_optimizer" not in state
    assert set(state) <= set(persistence._REGISTRY["GRURegressor"][1])

    def add_attribute(meta):
        meta["tree"]["state"]["notes_"] = "smuggled"

    with pytest.raises(persistence.ModelFileError, match="attribute 'notes_' of GRURegressor"):
        load(_edit_meta(model_file, tmp_path, add_attribute))


class _Marker:
    """Unpickling this would create a file: proof that nothing is unpickled."""

    path = None

    def __reduce__(self):
        return open, (str(self.path), "w")


def test_pickled_object_member_is_never_unpickled(model_file, tmp_path):
    _Marker.path = tmp_path / "pwned"
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Marker()], dtype=object), allow_pickle=True)
    members = {**_members(model_file), "a0.npy": buffer.getvalue()}
    with pytest.raises(ValueError, match=r"corrupted or unsafe: member a0\.npy"):
        load(_rewrite(tmp_path / "pickled.gdts", members, resign=False))
    assert not _Marker.path.exists()


def _write_other(kind, path):
    if kind == "text":
        path.write_text("hidden_size = 4\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind in ("npy", "pickled npy", "npz"):
        with open(path, "wb") as file:  # a file object: numpy appends no extension
            if kind == "npy":
                np.save(file, np.arange(3.0))
            elif kind == "pickled npy":
                np.save(file, np.array([{"a": 1}], dtype=object), allow_pickle=True)
            else:
                np.savez(file, weights=np.ones(3))
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"a": 1}))
    else:  # a zip with a metadata.json of some other program
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("metadata.json", json.dumps({"format": "other", "version": 1}))


@pytest.mark.parametrize("kind", ["text", "empty", "npy", "pickled npy", "npz", "pickle",
                                  "foreign zip"])
def test_not_a_gatedts_file(tmp_path, kind):
    path = tmp_path / "other.gdts"
    _write_other(kind, path)
    with pytest.raises(ValueError, match="is not a gatedts model file"):
        load(path)


@pytest.mark.parametrize("text", [b'{"format": "gatedts", NaN', b'{"format": "gatedts", "x": NaN}',
                                  b'{"format": "gatedts", "x": -Infinity}'])
def test_unreadable_metadata(model_file, tmp_path, text):
    members = {**_members(model_file), "metadata.json": text}
    with pytest.raises(ValueError, match=r"is corrupted: unreadable metadata\.json"):
        load(_rewrite(tmp_path / "json.gdts", members, resign=False))


def test_member_that_is_not_an_npy_file(model_file, tmp_path):
    members = {**_members(model_file), "a0.npy": b"not an array"}  # numpy returns the bytes
    with pytest.raises(ValueError, match=r"is corrupted: member a0\.npy is not an array"):
        load(_rewrite(tmp_path / "bytes.gdts", members, resign=False))


def test_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.gdts")
    with pytest.raises(FileNotFoundError):
        save({"a": 1}, tmp_path / "no-such-dir" / "m.gdts")


# ---------------------------------------------------------------- atomic save


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_interrupted_save_keeps_the_existing_file(tmp_path, monkeypatch, error):
    X, y = _data()
    path = tmp_path / "model.gdts"
    save(GRURegressor(**TINY).fit(X, y), path)
    before = path.read_bytes()
    written = []

    def failing_write(file, arr):
        if written:  # the second array: the archive is half written
            raise error
        written.append(arr)
        np.lib.format.write_array(file, arr, allow_pickle=False)

    monkeypatch.setattr(persistence, "_write_array", failing_write)
    with pytest.raises(type(error)):
        save(LSTMRegressor(**TINY).fit(X, y), path)
    assert written and path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.gdts"]  # no temporary file left
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError, match="no"):
        save({"new": 1}, tmp_path / "new.gdts")
    assert os.listdir(tmp_path) == ["model.gdts"]


def test_file_mode_follows_umask_or_existing_file(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save({"a": 1}, str(tmp_path / "a.gdts"))
        assert isinstance(path, Path) and stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o600)
        save({"a": 2}, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and load(path) == {"a": 2}
    finally:
        os.umask(umask)


# ---------------------------------------------------------------- properties (hypothesis)


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        if a.dtype == object:
            return b.dtype == object and a.shape == b.shape and a.tolist() == b.tolist()
        return _bits(a) == _bits(b)  # bit for bit, NaN payloads included
    if isinstance(a, np.generic) and not isinstance(a, np.floating):
        return _bits(a) == _bits(b)  # NaT, complex NaN
    if isinstance(a, float | np.floating):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    return a == b


_DTYPES = [np.float32, np.float64, np.dtype(">f8"), np.float16, np.int8, np.int32, np.int64,
           np.uint16, np.uint64, np.bool_, np.complex128, np.dtype("<U4"), np.dtype("M8[s]")]
_arrays = st.sampled_from(_DTYPES).flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
_str_arrays = st.lists(st.text(max_size=5), max_size=5).map(
    lambda values: np.array(values, dtype=object).reshape(len(values), *([1] * (len(values) % 2))))
_leaves = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
           | _arrays | _arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()]) | _str_arrays
           | st.sampled_from([np.float32, np.dtype("int16"), np.bool_]))
_trees = st.recursive(_leaves, lambda children: (
    st.lists(children, max_size=4) | st.lists(children, max_size=4).map(tuple)
    | st.dictionaries(st.text(max_size=6), children, max_size=4)), max_leaves=25)


def _round_trip(value):
    # fsync only costs time here; durability is tested with the atomic saves above.
    with tempfile.TemporaryDirectory() as directory, mock.patch.object(os, "fsync"):
        return load(save(value, Path(directory) / "value.gdts"))


@settings(max_examples=300, deadline=None)
@given(_trees)
def test_any_tree_round_trips_exactly(tree):
    assert _same(_round_trip(tree), tree)


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(st.sampled_from(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                               "head.weight", "head.bias", "x.y/z"]),
                              st.sampled_from([np.float32, np.float64]).flatmap(
                                  lambda dtype: hnp.arrays(dtype, hnp.array_shapes(max_dims=2))),
                              min_size=1),
       curve=st.lists(st.floats(), max_size=8))
def test_param_dicts_round_trip_bit_for_bit(params, curve):
    back = _round_trip({"params_": params, "loss_curve_": curve})
    _assert_same_params(back["params_"], params)
    assert _same(back["loss_curve_"], curve)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 30), freq=st.sampled_from(["D", "h", "MS", "W-SUN", "15min", "B"]),
       tz=st.sampled_from([None, "UTC", "Europe/Berlin", "America/New_York"]),
       period=st.sampled_from([None, "M", "Q-NOV", "D", "W-MON", "h", "Y"]),
       name=st.none() | st.text(max_size=4), values=st.floats() | st.text(max_size=3))
def test_dated_series_round_trip(n, freq, tz, period, name, values):
    if period:
        index = pd.period_range("2000-01-01", periods=n, freq=period)
    else:
        index = pd.date_range("2000-01-03", periods=n, freq=freq, tz=tz)
    series = pd.Series([values] * n, index=index, name=name,
                       dtype=str if isinstance(values, str) else float)
    back = _round_trip({"y": series, "index": index, "freq": index.freq})
    pd.testing.assert_series_equal(back["y"], series, check_exact=True, check_freq=True)
    pd.testing.assert_index_equal(back["index"], index, exact=True)
    assert back["index"].freq == index.freq and back["freq"] == index.freq


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "small.gdts"
    tree = {"params_": {"w": np.arange(6.0).reshape(2, 3)}, "hidden_size": (4, 2), "x": 1.5}
    save(tree, path)
    return path, tree


@settings(max_examples=300, deadline=None)
@given(position=st.floats(0.0, 1.0, exclude_max=True), mask=st.integers(1, 255))
def test_a_flipped_byte_never_loads_as_different_data(small_file, position, mask):
    path, tree = small_file
    data = bytearray(path.read_bytes())
    data[int(position * len(data))] ^= mask
    with tempfile.TemporaryDirectory() as directory:
        damaged = Path(directory) / "damaged.gdts"
        damaged.write_bytes(bytes(data))
        try:
            back = load(damaged)
        except ValueError:
            return
    assert _same(back, tree)  # only zip bookkeeping (timestamps, ...) was hit


def test_forecaster_with_calibrated_intervals_round_trip(tmp_path):
    index = pd.date_range("2000-01-01", periods=48, freq="MS")
    y = pd.Series(np.sin(np.arange(48) / 2.0) + np.arange(48) / 10 + 5, index=index)
    forecaster = Forecaster(GRURegressor(**TINY), window=6, horizon=3, n_calibration=9).fit(y)
    intervals = forecaster.predict_interval(coverage=0.9)  # caches calibration scores
    loaded = load(save(forecaster, tmp_path / "calibrated.gdts"))
    pd.testing.assert_frame_equal(loaded.predict_interval(coverage=0.9), intervals,
                                  check_exact=True)


def test_an_estimator_saved_before_scaling_existed_loads_unscaled(tmp_path):
    # Such a file has neither the `scaling` parameter nor the fitted scaling: its
    # network was trained on X and y as given, so it must load with scaling=None.
    model, X, y = CASES["rnn-unscaled"]()
    model.fit(X, y)

    def forget_scaling(meta):
        del meta["tree"]["params"]["scaling"]
        for name in SCALING_ATTRIBUTES:
            del meta["tree"]["state"][name]

    loaded = load(_edit_meta(save(model, tmp_path / "model.gdts"), tmp_path, forget_scaling))
    assert loaded.scaling is None and loaded.feature_mean_ is None
    assert _bits(loaded.predict(X)) == _bits(model.predict(X))
    assert RNNRegressor().scaling == "standard"  # what the file would get without the hook


def test_a_file_written_before_the_package_layout_changed_still_loads():
    # Written by gatedts 0.1.0 at commit 2bcb6e8, when classes were recorded by
    # module path ("gatedts.forecasting.Forecaster", "gatedts.estimators.LSTMRegressor")
    # and those modules were flat: an LSTM Forecaster in float64, with its forecast.
    data = Path(__file__).parent / "data"
    forecaster = load(data / "forecaster_v0.1.0.gdts")
    expected = json.loads((data / "forecaster_v0.1.0.json").read_text())
    assert type(forecaster) is Forecaster and type(forecaster.estimator_) is LSTMRegressor
    assert not hasattr(forecaster.estimator_, "interrupted_")  # dropped: fits are atomic
    forecast = forecaster.predict()
    assert [str(t) for t in forecast.index] == expected["index"]
    np.testing.assert_allclose(forecast.to_numpy(), expected["values"], rtol=1e-12)
