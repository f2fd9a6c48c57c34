"""Safe model files: :func:`save` and :func:`load`, without pickle.

A model file is one zip archive in numpy's ``.npz`` layout, opened with
``np.load(path, allow_pickle=False)``; ``.gdts`` is the suggested extension
(none is added or required). Members: ``metadata.json`` (UTF-8 JSON: ``format``
= "gatedts", ``format_version`` (int), ``gatedts_version``, ``class``,
``arrays`` (member names), ``tree``, ``sha256``) and ``a0.npy``, ``a1.npy``, ...

``tree`` describes the value. JSON null, bool, int, str and lists stand for
themselves; every JSON object is tagged ``{"$": kind, ...}`` with kind
``float`` (NaN, ±inf), ``tuple``, ``dict`` (str keys), ``array`` (a member),
``strarray`` (object array of str), ``scalar``, ``dtype``, ``rng`` (numpy
generator state), ``index``, ``series``, ``frame``, ``offset``, ``pdscalar``, or
``object``: an instance of an allow-listed gatedts class (``_REGISTRY``,
recorded by its public name such as ``"GRURegressor"``),
rebuilt as ``cls(**params)`` plus its saved attributes. Each class declares
the attributes it saves (``_REGISTRY``); a file holding another is refused. Loading never
unpickles, never evaluates text and imports only allow-listed gatedts modules.
``sha256`` covers the rest of the metadata (compact JSON) and every array
(name, dtype, shape, bytes): damage is detected even behind valid zip CRCs
(it is not a signature: safety comes from what the format can express).
Pandas values are checked at save time to load back exactly.

A fitted estimator keeps everything but its optimizer and learning-rate
schedule (the random generator state included): ``predict`` is bit-identical
after :func:`load`; the next ``partial_fit`` builds a fresh optimizer (zeroed
Adam moments), as after a divergence, so continued training is deterministic
but differs from training on without the round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import math
import os
import secrets
import struct
import zipfile
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._version import __version__

__all__ = ["FORMAT_VERSION", "ModelFileError", "load", "save"]

FORMAT = "gatedts"
# 3: the attributes each class declares (2: every attribute, classes by public name; 1: by
# module path). Versions 1 and 2 are still read, their attributes translated.
FORMAT_VERSION = 3
_META = "metadata.json"
_ARRAY_KINDS = "biufcUSMm"  # numeric, bool, str, bytes, datetime64, timedelta64: no objects
_BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")
_PANDAS_STR_DTYPES = ("str", "string", "object")
_TIME_UNITS = ("s", "ms", "us", "ns")


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message names the problem."""


def _after_load_recurrent(estimator):
    if hasattr(estimator, "params_") and not hasattr(estimator, "feature_mean_"):
        # Fitted before the estimators had `scaling`: the network saw X and y as given.
        estimator.scaling = None
        estimator.feature_mean_ = estimator.feature_scale_ = None
        estimator.target_mean_ = estimator.target_scale_ = None


def _estimator_v2(state, params):
    """The declared attributes of an estimator saved by gatedts 0.1 or 0.2 (format 1, 2)."""
    # interrupted_ recorded a Ctrl-C that kept a half-trained network; fits are now
    # atomic, so a saved estimator always finished its fit.
    state.pop("interrupted_", None)
    return state


def _after_load_forecaster(forecaster):
    # estimator_ is the first ensemble member, saved once in estimators_.
    if hasattr(forecaster, "estimators_"):
        forecaster.estimator_ = forecaster.estimators_[0]
        if not hasattr(forecaster, "combination_"):  # saved before "auto" combined by weights
            forecaster.combination_ = None


def _forecaster_v2(state, params):
    """The declared attributes of a Forecaster saved by gatedts 0.1 or 0.2 (format 1, 2)."""
    from .forecasting.conformal import ConformalCalibration
    from .forecasting.preprocessing import LogTransform
    from .forecasting.transforms import TargetTransform
    from .forecasting.windows import Windowing

    # A file of gatedts 0.1 has estimator_ only: it was the whole model. Files from
    # before 0.2 forecast without the local level, with one calibration fold.
    params.setdefault("local_level", False)
    params.setdefault("calibration_folds", 1)
    if "estimator_" in state:
        state.setdefault("estimators_", [state["estimator_"]])
        del state["estimator_"]
    if "difference_" not in state:
        return state  # unfitted
    state.setdefault("local_level_", False)
    level_scale = state.pop("level_scale_", 1.0)
    m = state["seasonal_period_"]
    state["target_transform_"] = TargetTransform(
        log=state["log_"], seasonal_period=m if state["seasonal_difference_"] else None,
        difference=state["difference_"], scaler=params.get("scaler", "standard"),
    ).set_fitted(LogTransform().fit(state["_y"][:, None]) if state["log_"] else None,
                 state.pop("differencer_"), state.pop("scaler_"), state.pop("exog_scaler_"))
    future = state["future_exog_"]
    state["windowing_"] = Windowing(
        state["window_"], state["model_horizon_"], local_level=state["local_level_"],
        future_mask=[c in future for c in state["exog_columns_"]],
        decoder=params.get("decoder", False))
    state["windowing_"].level_scale_ = level_scale
    calibration = ConformalCalibration()
    calibration.scores = state.pop("_calibration", {})
    state["calibration_"] = calibration
    state["y_"], state["exog_"] = state.pop("_y"), state.pop("_exog")
    return state


# Files name a class by its stable public name, never by the module it lives in,
# so moving a module does not break a saved model. name -> (module, the attributes
# it saves, a translation of the attributes a file of format 1 or 2 saved, hook run
# after loading). Modules are imported only when used.
_FITTED_COLUMNS = ("n_features_in_", "feature_names_in_")
_ESTIMATOR = (
    ("_no_improvement", "_rng", "alpha_", "batch_size_", "max_iter_", "best_loss_",
     "column_layout_",
     "best_validation_score_", "feature_names_in_", "feature_mean_",
     "feature_scale_", "future_mean_", "future_scale_", "grad_norm_curve_",
     "learning_rate_curve_", "loss_curve_", "n_features_in_", "n_future_", "n_iter_",
     "n_outputs_", "params_", "t_", "target_mean_", "target_scale_", "validation_scores_"),
    _estimator_v2, _after_load_recurrent)
_PREPROCESSING = "gatedts.forecasting.preprocessing"
_REGISTRY = {
    **{f"{n}Regressor": ("gatedts.estimators", *_ESTIMATOR) for n in ("GRU", "LSTM", "RNN")},
    "StandardScaler": (_PREPROCESSING, (*_FITTED_COLUMNS, "mean_", "scale_"), None, None),
    "MinMaxScaler": (_PREPROCESSING, (*_FITTED_COLUMNS, "data_min_", "data_range_"), None,
                     None),
    "IdentityTransform": (_PREPROCESSING, _FITTED_COLUMNS, None, None),
    "LogTransform": (_PREPROCESSING, _FITTED_COLUMNS, None, None),
    "Differencer": (_PREPROCESSING, (*_FITTED_COLUMNS, "lags_", "n_lost_", "tails_"), None,
                    None),
    "WindowTransformer": ("gatedts.forecasting.windows",
                          ("n_features_in_", "n_series_features_"), None, None),
    "SeasonalNaive": ("gatedts.forecasting.baselines", ("index_", "last_season_", "name_"),
                      None, None),
    "LinearAutoregression": ("gatedts.forecasting.baselines",
                             ("coef_", "intercept_", "n_features_in_"), None, None),
    "TargetTransform": ("gatedts.forecasting.transforms",
                        ("log_transform_", "differencer_", "n_lost_", "scaler_", "exog_scaler_"),
                        None, None),
    "Windowing": ("gatedts.forecasting.windows", ("level_scale_",), None, None),
    "PretrainedNetwork": ("gatedts.forecasting.zeroshot", ("params_", "fine_tuning_"), None,
                          None),
    "ConformalCalibration": ("gatedts.forecasting.conformal", ("scores",), None, None),
    "Combination": ("gatedts.forecasting.combination", (), None, None),
    "Forecaster": ("gatedts.forecasting.forecaster", (
        "index_", "name_", "exog_columns_", "future_exog_", "model_horizon_",
        "seasonal_period_", "log_", "seasonal_difference_", "difference_", "local_level_",
        "transform_scores_", "target_transform_", "windowing_", "window_", "n_windows_",
        "estimators_", "combination_", "y_", "exog_", "calibration_", "fit_time_"),
        _forecaster_v2, _after_load_forecaster),
}
# Files written before version 0.2 named classes by module path.
_LEGACY_MODULES = ("gatedts.estimators", "gatedts.preprocessing", "gatedts.windows",
                   "gatedts.baselines", "gatedts.forecasting")


def _class_name(cls):
    """The name a file records for ``cls``: its registered public name, else None."""
    name = cls.__qualname__
    entry = _REGISTRY.get(name)
    return name if entry is not None and cls.__module__ == entry[0] else None


def _resolve(name):
    """The allow-listed class called ``name``; nothing else is ever imported."""
    if type(name) is str and name not in _REGISTRY:
        module, _, short = name.rpartition(".")
        if module in _LEGACY_MODULES and short in _REGISTRY:
            name = short
    if type(name) is not str or name not in _REGISTRY:
        raise ModelFileError(f"class {name!r} is not a gatedts class that load() may create")
    module = _REGISTRY[name][0]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ModelFileError(f"class {name!r} is not available in this gatedts ({exc})") from None


# ------------------------------------------------------------------ encoding


def _check_dtype(dtype, error):
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise error(f"arrays of dtype {dtype} are not supported (numeric, bool, str, "
                    "datetime64 and timedelta64 only)")
    return dtype


def _encode(value, arrays):
    """JSON-able description of ``value``; its arrays are added to ``arrays``."""
    enc = partial(_encode, arrays=arrays)
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if kind is list:
        return [enc(v) for v in value]
    if kind is tuple:
        return {"$": "tuple", "v": [enc(v) for v in value]}
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise TypeError(f"dict keys must be str, got {key!r}")
        return {"$": "dict", "v": {k: enc(v) for k, v in value.items()}}
    if kind is np.ndarray:
        return _encode_array(value, arrays)
    if isinstance(value, np.generic):
        if value.dtype.kind in "biu" or (value.dtype.kind == "f" and value.dtype.itemsize <= 8):
            item = value.item()
            return {"$": "scalar", "dtype": value.dtype.str,
                    "v": enc(float(item) if value.dtype.kind == "f" else item)}
        return {"$": "scalar", "array": _encode_array(np.asarray(value), arrays)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        dtype = _check_dtype(np.dtype(value), TypeError)
        return {"$": "dtype", "v": dtype.str, "type": not isinstance(value, np.dtype)}
    if kind is np.random.Generator:
        return {"$": "rng", "generator": True, "state": enc(value.bit_generator.state)}
    if kind is np.random.RandomState:
        return {"$": "rng", "generator": False, "state": enc(value.get_state(legacy=False))}
    if kind in (pd.Timestamp, pd.Period, pd.Timedelta):
        return _checked({"$": "pdscalar", "index": enc(pd.Index([value]))}, value, arrays)
    if isinstance(value, (pd.Index, pd.Series, pd.DataFrame, pd.offsets.BaseOffset)):
        return _checked(_encode_pandas(value, enc), value, arrays)
    if _class_name(kind) is not None:
        return _encode_object(value, arrays)
    raise TypeError(f"cannot save a value of type {kind.__module__}.{kind.__qualname__}")


def _encode_array(arr, arrays):
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        if not all(type(v) is str for v in flat):
            raise TypeError("object arrays can be saved only when every element is a str")
        return {"$": "strarray", "shape": list(arr.shape), "v": flat}
    _check_dtype(arr.dtype, TypeError)
    name = f"a{len(arrays)}"
    arrays[name] = arr
    return {"$": "array", "ref": name}


def _encode_pandas(value, enc):
    if isinstance(value, pd.offsets.BaseOffset):
        return {"$": "offset", "v": value.freqstr}
    if isinstance(value, pd.Series):
        return {"$": "series", "dtype": str(value.dtype), "values": enc(value.to_numpy()),
                "index": enc(value.index), "name": enc(value.name)}
    if isinstance(value, pd.DataFrame):
        return {"$": "frame", "index": enc(value.index), "columns": enc(value.columns),
                "dtypes": [str(d) for d in value.dtypes],
                "values": [enc(value.iloc[:, i].to_numpy()) for i in range(value.shape[1])]}
    out = {"$": "index", "name": enc(value.name)}
    if type(value) is pd.RangeIndex:
        return {**out, "type": "range", "start": value.start, "stop": value.stop,
                "step": value.step}
    if type(value) is pd.PeriodIndex:
        return {**out, "type": "period", "freq": value.freqstr, "i8": enc(value.asi8.copy())}
    if type(value) in (pd.DatetimeIndex, pd.TimedeltaIndex):
        tz = getattr(value, "tz", None)
        return {**out, "type": "datetime" if type(value) is pd.DatetimeIndex else "timedelta",
                "unit": value.unit, "tz": None if tz is None else str(tz),
                "freq": value.freqstr, "i8": enc(value.asi8.copy())}
    if type(value) is pd.Index:
        return {**out, "type": "base", "dtype": str(value.dtype), "values": enc(value.to_numpy())}
    raise TypeError(f"cannot save a {type(value).__name__}")


def _checked(encoded, value, arrays):
    """``encoded``, after checking that it decodes back to ``value`` exactly."""
    try:
        ok, why = _same_pandas(_decode(encoded, arrays), value), ""
    except (ValueError, TypeError, KeyError) as exc:
        ok, why = False, f": {exc}"
    if not ok:
        raise TypeError(f"cannot save this {type(value).__name__}: it would not load back "
                        f"exactly (unsupported dtype, timezone or frequency{why})")
    return encoded


def _same_pandas(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(b, pd.Index):
        return (a.equals(b) and a.dtype == b.dtype and a.names == b.names
                and getattr(a, "freq", None) == getattr(b, "freq", None))
    if isinstance(b, pd.Series):
        return a.equals(b) and a.dtype == b.dtype and a.name == b.name and _same_pandas(
            a.index, b.index)
    if isinstance(b, pd.DataFrame):
        return (a.equals(b) and list(a.dtypes) == list(b.dtypes)
                and _same_pandas(a.index, b.index) and _same_pandas(a.columns, b.columns))
    return a == b  # offsets and pandas scalars


def _encode_object(obj, arrays):
    name = _class_name(type(obj))
    saved = _REGISTRY[name][1]
    params = obj.get_params(deep=False) if hasattr(obj, "get_params") else {}
    state = {k: getattr(obj, k) for k in saved if hasattr(obj, k)}
    out = {"$": "object", "class": name, "params": {}, "state": {}}
    for part, values in (("params", params), ("state", state)):
        for name, value in values.items():
            try:
                out[part][name] = _encode(value, arrays)
            except TypeError as exc:
                raise TypeError(f"{type(obj).__name__}.{name}: {exc}") from None
    return out


# ------------------------------------------------------------------ decoding


def _need(value, kind, what, choices=None):
    """``value`` if it has type ``kind`` (and is one of ``choices``), else a ModelFileError."""
    if type(value) is not kind or (choices is not None and value not in choices):
        raise ModelFileError(f"malformed metadata: {what} is {value!r}")
    return value


def _dtype(text):
    try:
        return _check_dtype(np.dtype(_need(text, str, "a dtype")), ModelFileError)
    except TypeError as exc:
        raise ModelFileError(f"malformed metadata: bad dtype {text!r} ({exc})") from None


def _pandas_dtype(text):
    return text if text in _PANDAS_STR_DTYPES else _dtype(text)


def _decode(x, arrays, version=FORMAT_VERSION):
    if x is None or type(x) in (bool, int, float, str):
        return x
    dec = partial(_decode, arrays=arrays, version=version)
    if type(x) is list:
        return [dec(v) for v in x]
    kind = _need(x, dict, "a value").get("$")
    if kind == "object":
        return _decode_object(x, dec, arrays, version)
    if kind not in _DECODERS:
        raise ModelFileError(f"malformed metadata: unknown value kind {kind!r}")
    return _DECODERS[kind](x, dec, arrays)


def _decode_strarray(x, dec, arrays):
    values = _need(x["v"], list, "a str array")
    if not all(type(v) is str for v in values):
        raise ModelFileError("malformed metadata: a str array holds a non-str")
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape([_need(n, int, "a dimension") for n in x["shape"]])


def _decode_scalar(x, dec, arrays):
    if "array" in x:
        return dec(x["array"])[()]
    dtype = _dtype(x["dtype"])
    value = dec(x["v"])
    expected = {"b": bool, "i": int, "u": int, "f": float}.get(dtype.kind)
    if type(value) is not expected:
        raise ModelFileError(f"malformed metadata: {value!r} is not a {dtype} scalar")
    return dtype.type(value)


def _decode_rng(x, dec, arrays):
    state = _need(dec(x["state"]), dict, "a generator state")
    name = state.get("bit_generator")
    if name not in _BIT_GENERATORS:
        raise ModelFileError(f"malformed metadata: unknown bit generator {name!r}")
    bit_generator = getattr(np.random, name)()
    if x["generator"]:
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    legacy = np.random.RandomState(bit_generator)
    legacy.set_state(state)
    return legacy


def _decode_index(x, dec, arrays):
    kind, name = x["type"], dec(x["name"])
    if kind == "range":
        return pd.RangeIndex(*(_need(x[k], int, k) for k in ("start", "stop", "step")), name=name)
    if kind == "base":
        return pd.Index(dec(x["values"]), dtype=_pandas_dtype(x["dtype"]), name=name)
    i8 = dec(x["i8"])
    if type(i8) is not np.ndarray or i8.dtype != np.int64 or i8.ndim != 1:
        raise ModelFileError("malformed metadata: bad index values")
    freq = x["freq"] if x["freq"] is None else _need(x["freq"], str, "a frequency")
    if kind == "period":
        return pd.PeriodIndex.from_ordinals(i8, freq=freq, name=name)
    _need(kind, str, "an index type", ("datetime", "timedelta"))
    _need(x["unit"], str, "a time unit", _TIME_UNITS)
    cls = pd.DatetimeIndex if kind == "datetime" else pd.TimedeltaIndex
    index = cls(i8.view(f"{'M' if kind == 'datetime' else 'm'}8[{x['unit']}]"), name=name)
    if kind == "datetime" and x["tz"] is not None:
        index = index.tz_localize("UTC").tz_convert(_need(x["tz"], str, "a timezone"))
    return index if freq is None else cls(index, freq=freq)


def _decode_frame(x, dec, arrays):
    index = dec(x["index"])
    columns = [pd.Series(dec(v), index=index, dtype=_pandas_dtype(d))
               for v, d in zip(_need(x["values"], list, "columns"), x["dtypes"], strict=True)]
    frame = pd.DataFrame(dict(enumerate(columns)), index=index)
    frame.columns = dec(x["columns"])
    return frame


def _decode_object(x, dec, arrays, version):
    cls = _resolve(x["class"])
    _, saved, translate, hook = _REGISTRY[cls.__name__]
    params = {k: dec(v) for k, v in _need(x["params"], dict, "params").items()}
    state = {k: dec(v) for k, v in _need(x["state"], dict, "state").items()}
    if version < 3 and translate is not None:
        state = translate(state, params)
    obj = cls(**params)
    for name, value in state.items():
        if name not in saved:
            raise ModelFileError(f"attribute {name!r} of {cls.__name__} may not be set by load()")
        setattr(obj, name, value)
    if hook is not None:
        hook(obj)
    return obj


_DECODERS = {
    "float": lambda x, dec, arrays: float(_need(x["v"], str, "a float", ("nan", "inf", "-inf"))),
    "tuple": lambda x, dec, arrays: tuple(dec(v) for v in _need(x["v"], list, "a tuple")),
    "dict": lambda x, dec, arrays: {k: dec(v) for k, v in _need(x["v"], dict, "a dict").items()},
    "array": lambda x, dec, arrays: arrays[_need(x["ref"], str, "an array name", arrays)],
    "strarray": _decode_strarray,
    "scalar": _decode_scalar,
    "dtype": lambda x, dec, arrays: _dtype(x["v"]).type if x["type"] else _dtype(x["v"]),
    "rng": _decode_rng,
    "index": _decode_index,
    "series": lambda x, dec, arrays: pd.Series(dec(x["values"]), index=dec(x["index"]),
                                               name=dec(x["name"]),
                                               dtype=_pandas_dtype(x["dtype"])),
    "frame": _decode_frame,
    "offset": lambda x, dec, arrays: pd.tseries.frequencies.to_offset(_need(x["v"], str, "freq")),
    "pdscalar": lambda x, dec, arrays: dec(x["index"])[0],
}


# ------------------------------------------------------------------ files


def _dumps(meta):
    return json.dumps(meta, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _digest(meta, arrays):
    """SHA-256 over ``meta`` (without ``sha256``) and the arrays it lists."""
    digest = hashlib.sha256(_dumps(meta).encode())
    for name in meta["arrays"]:
        arr = arrays[name]
        digest.update(_dumps([name, arr.dtype.str, list(arr.shape)]).encode())
        digest.update(arr.tobytes(order="C"))
    return digest.hexdigest()


def _write_array(file, arr):
    np.lib.format.write_array(file, arr, allow_pickle=False)


def save(obj: object, path: str | os.PathLike) -> str | os.PathLike:
    """Save a fitted model (or any supported value) to one file, atomically.

    The data go to a temporary file in the same directory, are flushed to disk,
    and the file is renamed onto ``path``: an interrupted save leaves no partial
    file and never destroys an existing one.

    Parameters
    ----------
    obj : object
        A fitted GRU/LSTM/RNN regressor, gatedts transform, baseline or
        ``Forecaster``; or a tree of None, bool, int, float, str, list, tuple,
        dict (str keys), numpy arrays (no objects but str) and scalars, pandas
        Index, Series, DataFrame, offsets, timestamps and such objects.
    path : str or os.PathLike
        Destination, used as given (``.gdts`` suggested, nothing appended).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        ``obj`` is an unfitted estimator (``NotFittedError``).
    TypeError
        ``obj`` holds an unsupported value; the message says where.
    """
    path = Path(os.fspath(path))
    cls_path = _class_name(type(obj))
    if cls_path is not None and hasattr(obj, "fit"):
        try:
            check_is_fitted(obj)
        except NotFittedError:
            raise NotFittedError(f"cannot save an unfitted {type(obj).__name__}: call fit() "
                                 "before save()") from None
    arrays: dict[str, np.ndarray] = {}
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "gatedts_version": __version__,
            "class": cls_path, "arrays": None, "tree": _encode(obj, arrays)}
    meta["arrays"] = list(arrays)
    meta["sha256"] = _digest(meta, arrays)

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(_META, _dumps(meta))
            for name, arr in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    _write_array(member, arr)

    write_atomically(path, write)
    return path


def write_atomically(path, write):
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it onto ``path``.

    The data are flushed to disk before the rename, so an interruption (an
    error, Ctrl-C) leaves no partial file and never destroys an existing one;
    replacing a file keeps its permissions.
    """
    path = Path(os.fspath(path))
    # Mode 0o666 lets the umask apply as for any new file (mkstemp would give 0o600).
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):  # replacing a file keeps its mode
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _read(npz, path):
    """Metadata (with ``sha256`` popped) and arrays of an open archive."""
    if _META not in npz.files:
        raise ModelFileError(f"{path} is not a gatedts model file (a zip/npz without {_META})")
    raw = npz[_META]
    try:
        meta = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (AttributeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path} is corrupted: unreadable {_META} ({exc!r})") from None
    if type(meta) is not dict or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a gatedts model file ({_META} has no gatedts format)")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{path} is corrupted: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer gatedts (format {version}, this "
                         f"version reads up to {FORMAT_VERSION}): upgrade gatedts")
    names = meta.get("arrays")
    if type(names) is not list or not all(type(n) is str for n in names):
        raise ModelFileError(f"{path} is corrupted: malformed array list in {_META}")
    members = set(npz.zip.namelist())
    extra = members - {_META, *(f"{name}.npy" for name in names)}
    if extra:
        raise ModelFileError(f"{path} is corrupted: unexpected member(s) {sorted(extra)}")
    arrays = {}
    for name in names:
        if f"{name}.npy" not in members:
            raise ModelFileError(f"{path} is corrupted: missing member {name}.npy")
        try:
            arr = npz[name]
        except ValueError as exc:  # e.g. short data, or an object array (pickle refused)
            raise ModelFileError(
                f"{path} is corrupted or unsafe: member {name}.npy ({exc})") from None
        if type(arr) is not np.ndarray:
            raise ModelFileError(f"{path} is corrupted: member {name}.npy is not an array")
        arrays[name] = arr
    return meta, arrays


def load(path: str | os.PathLike) -> object:
    """Load what :func:`save` wrote, never unpickling or running code from the file.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    object
        The saved object; an estimator predicts bit-identically (see the module
        notes for its training state).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Not a gatedts model file; truncated or corrupted; SHA-256 mismatch;
        missing member; class outside the allow-list; newer format version.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        head = file.read(4)
        if head != b"PK\x03\x04":
            problem = "empty or truncated" if len(head) < 4 else "not a zip archive"
            raise ModelFileError(f"{path} is not a gatedts model file ({problem})")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as npz:
                meta, arrays = _read(npz, path)
        except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, OSError,
                NotImplementedError, RuntimeError) as exc:  # RuntimeError: "encrypted" bit
            raise ModelFileError(f"{path} is truncated or corrupted ({exc})") from None
    expected = meta.pop("sha256", None)
    if _digest(meta, arrays) != expected:
        raise ModelFileError(f"{path} failed its integrity check (SHA-256 mismatch): the file is "
                         "corrupted or was modified after saving")
    try:
        return _decode(meta["tree"], arrays, meta["format_version"])
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:
        raise ModelFileError(f"{path}: cannot rebuild the saved object "
                         f"({type(exc).__name__}: {exc})") from None
