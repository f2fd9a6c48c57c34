"""Rolling-origin accuracy of gatedts against statsforecast references on real series.

The development benchmark of issues 14 and 25: the series of
``benchmarks/data/`` (written by ``benchmarks/make_series.py``: monthly,
quarterly, yearly, weekly, daily and hourly, several domains, M4 horizons,
no series of the R dataset collections), several forecast origins per
series, gatedts Forecasters against statsforecast's AutoETS, AutoARIMA,
AutoTheta, their mean (M4's "Comb"), SeasonalNaive and Naive::

    pip install -e '.[bench]'                        # statsforecast, for the references
    python benchmarks/accuracy.py                    # gru, lstm and the references, cached
    python benchmarks/accuracy.py --quick            # smoke test: 3 short series, 1 origin, gru
    python benchmarks/accuracy.py --point-only --models gru,lstm   # no intervals: ~3x faster
    python benchmarks/accuracy.py --models gru,AutoETS --series yearly,m_core_cpi
    python benchmarks/accuracy.py --part tuning      # inner origins: for choosing defaults
    python benchmarks/accuracy.py --gatedts-config 'gru5={"estimator": "gru", "n_models": 5}' \\
        --models gru5,gru,AutoETS --markdown accuracy.md

Protocol (fixed before any result was seen)
-------------------------------------------
* **Origins.** ``--origins`` (default 3) per series: the last at ``n - h``,
  each earlier one ``h`` steps before (``n - 2h``, ``n - 3h``), so the test
  windows tile the last ``3h`` observations. Origin ``k`` trains on
  ``y[:n - k*h]`` and forecasts the ``h`` values after it; nothing after the
  origin is seen (every "auto" choice of a model is made on its training part).
* **The split.** The data before the first of the ``ORIGINS`` = 3 test
  windows, ``training_part(y, h)``, is all that choosing a default may look
  at: ``--part tuning`` cuts every series to it, whatever ``--origins`` says,
  and runs ``--origins`` inner origins inside it, never reading a test
  window; training parts too short for them are left out and listed
  (``--origins 1`` keeps more of the short series).
* **Minimum length.** Every series has at least ``min_length(h, m)`` =
  ``3h + h + 2 max(m, 1) + 1`` observations: its first training part holds a
  seasonal difference, one window of a season and ``h`` targets.
* **Models.** gatedts: ``Forecaster(**config, horizon=h, random_state=seed)``
  for each configuration of ``GATEDTS_CONFIGS`` (``gru``, ``lstm``, ``rnn``,
  ``auto``: a cell name and every other parameter at its default;
  ``pretrained``: the zero-shot network), seeds ``0..S-1``.
  Add a configuration in that dict, or on the command line with
  ``--gatedts-config NAME=JSON`` (keyword arguments of ``Forecaster``).
  References: statsforecast ``AutoETS``, ``AutoARIMA``, ``AutoTheta`` and
  ``SeasonalNaive`` with ``season_length=m``, and ``Naive``. AutoARIMA runs
  with ``approximation=None``, which is R's ``auto.arima`` rule (approximate
  likelihood during the order search when ``n > 150`` or ``m > 12``, final fit
  exact); statsforecast's default (never approximate) takes ~10 minutes per
  fit on the weekly CO2 series. ``Comb``: the mean of the AutoETS, AutoARIMA
  and AutoTheta point forecasts (no intervals), derived from their cached
  forecasts whenever all three run.
* **Metrics** per series, origin and model. MASE: mean absolute error over
  the in-sample MAE of the seasonal-naive forecast (lag ``m``, lag 1 when
  ``m = 1``) on the training part. sMAPE (M4): ``200/h * sum |y - f| /
  (|y| + |f|)``. 90% intervals (gatedts ``predict_interval(coverage=0.9)``,
  statsforecast ``level=[90]``): coverage (share of the ``h`` values inside),
  mean width divided by the MASE scale, and MSIS (M4's scaled interval
  score at alpha = 0.1). Time: fit + point forecast (``time_s``), and with the
  intervals (``total_s``; gatedts calibrates its intervals with a second
  fit). Every process warms up (fits each model once on a toy series) before
  timing, so compilation is not counted.
* **Summary.** Per model: mean MASE and sMAPE over series-origins;
  geometric mean over series-origins of MASE(model) / MASE(reference), for
  each reference; wins: share of series where the model's MASE averaged over
  origins is lower than the reference's (a tie counts half); interval coverage,
  width and MSIS; mean seconds per fit. Seeds are averaged per series-origin
  first. A per-frequency table and a per-series table (MASE averaged over
  origins) follow. A fit that raises is recorded with its error and left out
  of its model's means (column "failed fits"; its series is left out of the
  wins); a gatedts fit whose ``predict_interval`` raises (a series too short
  to calibrate) keeps its point forecast (column "no interval"). For each
  gatedts model, a table gives its relMASE against each reference and its
  wins over seasonal naive by frequency and for the short series (fewer than
  ``SHORT`` observations).

Cache
-----
Results go to ``benchmarks/results/<model>.csv``, one row per (series,
origin, seed), keyed also by a hash of the model's configuration (for
gatedts: the keyword arguments and a hash of the gatedts source files; for
statsforecast: the arguments and its version) and a hash of the series
data. A rerun computes only the missing keys: a change of gatedts code or of
a configuration reruns that model, nothing else. ``--refresh`` recomputes.
``--quick`` uses a temporary results folder unless ``--results`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
COVERAGE = 0.9

#: gatedts configurations: name -> keyword arguments of Forecaster (horizon and
#: random_state are set by the benchmark). Extend here or with --gatedts-config.
GATEDTS_CONFIGS: dict[str, dict] = {
    "gru": {"estimator": "gru"},
    "lstm": {"estimator": "lstm"},
    "rnn": {"estimator": "rnn"},
    "auto": {"estimator": "auto"},
    "pretrained": {"estimator": "pretrained"},  # zero-shot: no training
}
#: statsforecast models: name -> (class name, uses season_length, extra kwargs).
REFERENCE_MODELS: dict[str, tuple[str, bool, dict]] = {
    "AutoETS": ("AutoETS", True, {}),
    "AutoARIMA": ("AutoARIMA", True, {"approximation": None}),
    "AutoTheta": ("AutoTheta", True, {}),
    "SeasonalNaive": ("SeasonalNaive", True, {}),
    "Naive": ("Naive", False, {}),
}
#: the references every model is compared with in the summary, and their short names
COMPARED = {"AutoETS": "ETS", "AutoARIMA": "ARIMA", "AutoTheta": "Theta", "Comb": "Comb",
            "SeasonalNaive": "SNaive"}
#: M4's "Comb" benchmark: the mean of these references' point forecasts, derived from
#: their cached forecasts (no fit of its own) when all of them are run.
COMB_MEMBERS = ("AutoETS", "AutoARIMA", "AutoTheta")
#: forecast origins per series: the test windows tile the last ORIGINS * h observations
ORIGINS = 3
#: series shorter than this are "short" in the report
SHORT = 100
DEFAULT_MODELS = ("gru", "lstm", "auto", *REFERENCE_MODELS)
QUICK_MODELS = ("gru", *REFERENCE_MODELS)  # one cell: a cold start compiles it in ~1 min
QUICK_SERIES = ("m_emp_government", "q_de_inflation", "y_fertility_usa")
FREQUENCY_KINDS = {"monthly": "m_", "quarterly": "q_", "yearly": "y_", "weekly": "w_",
                   "daily": "d_", "hourly": "h_"}

KEY = ["model", "config", "series", "data", "origin", "seed"]
COLUMNS = [*KEY, "cutoff", "n_train", "h", "m", "MASE", "sMAPE", "coverage", "width",
           "MSIS", "time_s", "total_s", "setup", "warnings", "error", "forecast", "lower",
           "upper"]


# ------------------------------------------------------------------ data


def min_train_length(h: int, m: int) -> int:
    """The shortest training part the protocol admits, for horizon ``h`` and period ``m``.

    ``h + 2 * max(m, 1) + 1``: what the default Forecaster needs at the least
    to forecast after a seasonal difference (``m`` values lost, then one
    window of a season and ``h`` targets, and one more row), and enough for
    the seasonal references to see two seasons.
    """
    return h + 2 * max(m, 1) + 1


def min_length(h: int, m: int, origins: int = ORIGINS) -> int:
    """The shortest series the protocol admits: ``origins`` test windows after the minimum."""
    return origins * h + min_train_length(h, m)


def training_part(y: pd.Series, h: int, origins: int = ORIGINS) -> pd.Series:
    """The data before the first test origin: all that choosing a default may look at.

    The test windows are the last ``origins * h`` observations; origin ``k``
    (1 = last) forecasts ``y[n - k*h : n - (k-1)*h]`` from ``y[:n - k*h]``.
    ``--part tuning`` runs the same protocol on this training part (inner
    origins), so that defaults are chosen without reading a test window.
    """
    if len(y) <= origins * h:
        raise ValueError(f"{y.name}: {len(y)} observations leave no training part before "
                         f"{origins} test windows of {h}")
    return y.iloc[:len(y) - origins * h]


def load_series(data_dir: Path = DATA) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """The benchmark series as dated pandas Series (index ``freq`` set), and their metadata."""
    meta = pd.read_csv(data_dir / "metadata.csv").set_index("unique_id")
    long = pd.read_csv(data_dir / "series.csv")
    series = {}
    for uid, rows in long.groupby("unique_id", sort=False):
        freq = meta.loc[uid, "frequency"]
        index = pd.DatetimeIndex(pd.to_datetime(rows["ds"], format="ISO8601"))
        y = pd.Series(rows["y"].to_numpy(dtype=np.float64), index=index, name=uid)
        series[uid] = y.asfreq(freq)
        assert len(series[uid]) == len(y) == meta.loc[uid, "n"], uid
    return {uid: series[uid] for uid in meta.index}, meta


def data_hash(y: pd.Series, h: int, m: int) -> str:
    digest = hashlib.sha1(np.ascontiguousarray(y.to_numpy(dtype=np.float64)).tobytes())
    digest.update(f"{h},{m},{y.index[0]},{y.index.freqstr}".encode())
    return digest.hexdigest()[:10]


# ------------------------------------------------------------------ metrics


def mase_scale(train: np.ndarray, m: int) -> float:
    lag = m if m > 1 and len(train) > m else 1
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def smape(actual, forecast) -> float:
    denominator = np.abs(actual) + np.abs(forecast)
    terms = np.divide(np.abs(actual - forecast), denominator,
                      out=np.zeros_like(denominator), where=denominator > 0)
    return float(200 * np.mean(terms))


def scores(actual, forecast, lower, upper, scale) -> dict:
    out = {"MASE": float(np.mean(np.abs(actual - forecast)) / scale),
           "sMAPE": smape(actual, forecast), "coverage": np.nan, "width": np.nan,
           "MSIS": np.nan}
    if lower is not None:
        alpha = 1 - COVERAGE
        below = np.maximum(lower - actual, 0)
        above = np.maximum(actual - upper, 0)
        out["coverage"] = float(np.mean((actual >= lower) & (actual <= upper)))
        out["width"] = float(np.mean(upper - lower)) / scale
        out["MSIS"] = float(np.mean(upper - lower + 2 / alpha * (below + above))) / scale
    return out


# ------------------------------------------------------------------ models


def gatedts_source_hash() -> str:
    """Hash of the imported gatedts' source files: a code change invalidates the cache."""
    import gatedts

    root = Path(gatedts.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def model_config(name: str, gatedts_configs: dict, intervals: bool = True) -> tuple[str, str]:
    """(kind, config hash) of a model name; gatedts runs without intervals hash apart."""
    if name in gatedts_configs:
        config = {"kwargs": gatedts_configs[name], "source": gatedts_source_hash()}
        if not intervals:
            config["intervals"] = False
        blob = json.dumps(config, sort_keys=True, default=repr)
        return "gatedts", hashlib.sha1(blob.encode()).hexdigest()[:10]
    if name in REFERENCE_MODELS:
        blob = json.dumps({"model": REFERENCE_MODELS[name], "statsforecast":
                           importlib.metadata.version("statsforecast")}, sort_keys=True,
                          default=repr)
        return "statsforecast", hashlib.sha1(blob.encode()).hexdigest()[:10]
    raise KeyError(name)


def _warning_text(caught) -> str:
    counts = Counter(f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught)
    return " | ".join(f"{text} (x{n})" if n > 1 else text for text, n in counts.items())


def run_gatedts(kwargs, train: pd.Series, h: int, seed: int, intervals: bool = True) -> dict:
    from gatedts import Forecaster

    out = {"setup": "", "error": ""}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        f = Forecaster(**kwargs, horizon=h, random_state=seed).fit(train)
        point = f.predict().to_numpy()
        out["time_s"] = time.perf_counter() - start
        out["forecast"] = point
        out["lower"] = out["upper"] = None
        if not intervals:
            out["total_s"] = out["time_s"]
        else:
            try:
                interval = f.predict_interval(coverage=COVERAGE)
                out["lower"] = interval["lower"].to_numpy()
                out["upper"] = interval["upper"].to_numpy()
            except ValueError as exc:  # a series too short to calibrate: point forecast only
                out["error"] = f"predict_interval: {exc}"
            out["total_s"] = time.perf_counter() - start
    setup = {name: getattr(f, f"{name}_", None) for name in
             ("log", "seasonal_difference", "difference", "seasonal_period", "window",
              "n_windows")}
    setup["n_iter"] = getattr(f.estimator_, "n_iter_", None)
    out["setup"] = " ".join(f"{k}={int(v) if isinstance(v, (bool, np.bool_)) else v}"
                            for k, v in setup.items() if v is not None)
    out["warnings"] = _warning_text(caught)
    return out


def run_reference(name: str, train: pd.Series, h: int, m: int) -> dict:
    import statsforecast.models as sf

    cls_name, seasonal, extra = REFERENCE_MODELS[name]
    model = getattr(sf, cls_name)(**({"season_length": m} if seasonal else {}), **extra)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = model.forecast(y=train.to_numpy(dtype=np.float64), h=h, level=[90])
        seconds = time.perf_counter() - start
    return {"forecast": np.asarray(result["mean"], dtype=np.float64),
            "lower": np.asarray(result["lo-90"], dtype=np.float64),
            "upper": np.asarray(result["hi-90"], dtype=np.float64),
            "time_s": seconds, "total_s": seconds, "setup": "", "error": "",
            "warnings": _warning_text(caught)}


_WARMED: set[str] = set()


def warm_up(name: str, gatedts_configs: dict) -> None:
    """Fit a model once on a toy series so that compilation is not timed."""
    if name in _WARMED:
        return
    _WARMED.add(name)
    toy = pd.Series(10 + np.sin(np.arange(96) * 2 * np.pi / 12) + 0.01 * np.arange(96),
                    index=pd.date_range("2000-01-01", periods=96, freq="MS"))
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in gatedts_configs:
            run_gatedts(gatedts_configs[name], toy, 3, 0)
        else:
            run_reference(name, toy, 3, 12)


def _fmt(values) -> str:
    return "" if values is None else " ".join(f"{v:.8g}" for v in values)


def evaluate_series(uid, y, h, m, data_key, tasks, gatedts_configs,
                    intervals=True) -> list[dict]:
    """Run the (model, config, origin, seed) ``tasks`` of one series; one row each."""
    rows = []
    values = y.to_numpy(dtype=np.float64)
    for model, config, origin, seed in tasks:
        warm_up(model, gatedts_configs)
        cut = len(y) - origin * h
        train, actual = y.iloc[:cut], values[cut: cut + h]
        scale = mase_scale(values[:cut], m)
        row = {"model": model, "config": config, "series": uid, "data": data_key,
               "origin": origin, "seed": seed, "cutoff": str(y.index[cut - 1]),
               "n_train": cut, "h": h, "m": m}
        try:
            if model in gatedts_configs:
                out = run_gatedts(gatedts_configs[model], train, h, seed, intervals)
            else:
                out = run_reference(model, train, h, m)
        except Exception as exc:  # a failed fit is a result: record it, go on
            row.update({"MASE": np.nan, "sMAPE": np.nan, "coverage": np.nan, "width": np.nan,
                        "MSIS": np.nan, "time_s": np.nan, "total_s": np.nan, "setup": "",
                        "warnings": "", "error": f"{type(exc).__name__}: {exc}"[:300]})
            rows.append(row)
            continue
        row.update(scores(actual, out["forecast"], out["lower"], out["upper"], scale))
        row.update({key: out[key] for key in ("time_s", "total_s", "setup", "warnings", "error")})
        row.update({"forecast": _fmt(out["forecast"]), "lower": _fmt(out["lower"]),
                    "upper": _fmt(out["upper"])})
        rows.append(row)
    return rows


def _parse(text: str) -> np.ndarray:
    return np.array([float(v) for v in text.split()], dtype=np.float64)


def comb_rows(frame: pd.DataFrame, series: dict[str, pd.Series]) -> pd.DataFrame:
    """M4's Comb: per series and origin, the mean of the COMB_MEMBERS' point forecasts.

    Scored like a model (point metrics only); missing where a member failed.
    """
    members = frame[frame["model"].isin(COMB_MEMBERS)]
    rows = []
    for (uid, _), group in members.groupby(["series", "origin"], sort=False):
        if set(group["model"]) != set(COMB_MEMBERS) or (group["forecast"] == "").any():
            continue
        first = group.iloc[0]
        forecast = np.mean([_parse(text) for text in group["forecast"]], axis=0)
        values = series[uid].to_numpy(dtype=np.float64)
        cut, h, m = int(first["n_train"]), int(first["h"]), int(first["m"])
        row = {column: first[column] for column in
               ("series", "data", "origin", "seed", "cutoff", "n_train", "h", "m")}
        row.update(scores(values[cut: cut + h], forecast, None, None,
                          mase_scale(values[:cut], m)))
        row.update({"model": "Comb", "config": "mean of " + "+".join(COMB_MEMBERS),
                    "time_s": group["time_s"].sum(), "total_s": group["total_s"].sum(),
                    "setup": "", "warnings": "", "error": "", "forecast": _fmt(forecast),
                    "lower": "", "upper": ""})
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


# ------------------------------------------------------------------ cache


def cache_path(results: Path, model: str) -> Path:
    return results / f"{model}.csv"


def read_cache(results: Path, model: str) -> pd.DataFrame:
    path = cache_path(results, model)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""],
                        dtype={c: str for c in ("config", "data", "setup", "warnings", "error",
                                                "forecast", "lower", "upper", "cutoff")})
    for column in ("setup", "warnings", "error", "forecast", "lower", "upper"):
        frame[column] = frame[column].fillna("")
    return frame


def write_cache(results: Path, model: str, new_rows: list[dict]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    old = read_cache(results, model)
    new = pd.DataFrame(new_rows).reindex(columns=COLUMNS)
    frame = pd.concat([df for df in (old, new) if len(df)], ignore_index=True)
    frame = frame.drop_duplicates(subset=KEY, keep="last")
    frame = frame.sort_values(["config", "series", "origin", "seed"], kind="stable")
    path = cache_path(results, model)
    tmp = path.with_suffix(".tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n", float_format="%.6g")
    os.replace(tmp, path)


# ------------------------------------------------------------------ summary


def _gmean(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.exp(np.mean(np.log(np.clip(x, 1e-12, None))))) if len(x) else np.nan


def _wins(per_series: pd.DataFrame, model: str, ref: str) -> float:
    """% of series whose mean MASE is below the reference's (ties count half)."""
    both = per_series[[model, ref]].dropna().to_numpy()
    wins = (both[:, 0] < both[:, 1]).sum() + 0.5 * (both[:, 0] == both[:, 1]).sum()
    return 100 * wins / len(both) if len(both) else np.nan


def group_table(mase: pd.DataFrame, per_series: pd.DataFrame, meta: pd.DataFrame,
                model: str, refs: list[str]) -> pd.DataFrame:
    """relMASE of ``model`` against each reference and its wins over seasonal naive, by
    frequency, for the short series, and for the short series of each frequency."""
    kind = meta["frequency"].map(_kind_of)
    groups = [("all", list(meta.index))]
    groups += [(k, list(kind.index[kind == k])) for k in FREQUENCY_KINDS if (kind == k).any()]
    short = meta["n"] < SHORT
    groups.append((f"short (n < {SHORT})", list(meta.index[short])))
    groups += [(f"short {k}", list(kind.index[short & (kind == k)])) for k in FREQUENCY_KINDS
               if (short & (kind == k)).any()]
    rows = []
    for label, ids in groups:
        part = mase[mase.index.get_level_values("series").isin(ids)]
        entry = {"series": label, "count": int(per_series.loc[
            per_series.index.isin(ids), model].notna().sum())}
        for ref in refs:
            if ref != "SeasonalNaive":
                entry[f"relMASE {COMPARED[ref]}"] = _gmean(part[model] / part[ref])
        if "SeasonalNaive" in refs:
            entry["% beating SNaive"] = _wins(per_series.loc[per_series.index.isin(ids)],
                                              model, "SeasonalNaive")
        rows.append(entry)
    table = pd.DataFrame(rows)
    return _format(table, {c: (0 if c.startswith("%") else 3) for c in table.columns
                           if c not in ("series", "count")})


def summarise(frame: pd.DataFrame, meta: pd.DataFrame, models: list[str]) -> dict:
    """The tables of the report, as DataFrames (values already formatted)."""
    by_origin = (frame.groupby(["model", "series", "origin"], sort=False)
                 [["MASE", "sMAPE", "coverage", "width", "MSIS", "time_s", "total_s"]]
                 .mean().reset_index())
    mase = by_origin.pivot(index=["series", "origin"], columns="model", values="MASE")
    per_series = mase.groupby(level="series").mean()
    complete = mase.notna().groupby(level="series").all()  # every origin has a forecast
    per_series = per_series.where(complete)
    failures = frame.assign(failed=frame["MASE"].isna(),
                            no_interval=frame["error"].str.startswith("predict_interval"))
    refs = [r for r in COMPARED if r in mase.columns]
    rows = []
    for model in models:
        if model not in mase.columns:
            continue
        sub = by_origin[by_origin["model"] == model]
        row = {"model": model, "series": int(per_series[model].notna().sum()),
               "mean MASE": sub["MASE"].mean(), "median MASE": sub["MASE"].median(),
               "mean sMAPE": sub["sMAPE"].mean()}
        for ref in refs:
            row[f"relMASE {COMPARED[ref]}"] = _gmean(mase[model] / mase[ref])
        for ref in refs:
            row[f"wins {COMPARED[ref]}"] = _wins(per_series, model, ref)
        f = failures[failures["model"] == model]
        row.update({"coverage": 100 * sub["coverage"].mean(), "width": sub["width"].mean(),
                    "MSIS": sub["MSIS"].mean(), "failed fits": int(f["failed"].sum()),
                    "no interval": int(f["no_interval"].sum()),
                    "s/fit": sub["time_s"].mean(), "s/fit incl. intervals": sub["total_s"].mean()})
        rows.append(row)
    summary = pd.DataFrame(rows)
    point_cols = ["model", "series", "mean MASE", "median MASE", "mean sMAPE"] + [
        c for c in summary.columns if c.startswith(("relMASE", "wins"))]
    other_cols = ["model", "coverage", "width", "MSIS", "failed fits", "no interval", "s/fit",
                  "s/fit incl. intervals"]
    point = _format(summary[point_cols], {"mean MASE": 3, "median MASE": 3, "mean sMAPE": 2,
                                          **{c: 3 for c in point_cols if c.startswith("rel")},
                                          **{c: 0 for c in point_cols if c.startswith("wins")}})
    other = _format(summary[other_cols], {"coverage": 1, "width": 2, "MSIS": 2, "s/fit": 2,
                                          "s/fit incl. intervals": 2})

    kind = meta["frequency"].map(_kind_of)
    per_series_kind = per_series.join(kind.rename("kind"))
    kinds = [k for k in FREQUENCY_KINDS if k in set(per_series_kind["kind"])]
    by_kind = {}
    mase_kind = mase.join(kind.rename("kind"), on="series")
    for model in [m for m in models if m in mase.columns]:
        entry = {"model": model}
        for k in kinds:
            entry[f"{k} ({int((per_series_kind['kind'] == k).sum())})"] = \
                per_series_kind.loc[per_series_kind["kind"] == k, model].mean()
        by_kind[model] = entry
    freq_mase = _format(pd.DataFrame(by_kind.values()), dict.fromkeys(
        [c for c in next(iter(by_kind.values())) if c != "model"], 3)) if by_kind else None
    freq_rel = None
    if refs:
        ref = refs[0]
        rel_rows = []
        for model in [m for m in models if m in mase.columns]:
            entry = {"model": model}
            for k in kinds:
                part = mase_kind[mase_kind["kind"] == k]
                entry[k] = _gmean(part[model] / part[ref])
            rel_rows.append(entry)
        freq_rel = _format(pd.DataFrame(rel_rows), dict.fromkeys(kinds, 3))

    groups = {model: group_table(mase, per_series, meta, model, refs) for model in models
              if model in mase.columns and model not in REFERENCE_MODELS and model != "Comb"}

    table = per_series[[m for m in models if m in per_series.columns]].copy()
    best = table.idxmin(axis=1)
    shown = table.map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    for uid, model in best.items():
        if isinstance(model, str):
            shown.loc[uid, model] = f"**{shown.loc[uid, model]}**"
    info = meta.loc[shown.index, ["frequency", "n", "h"]]
    per_series_table = pd.concat([info, shown], axis=1).reset_index(names="series")
    per_series_table = per_series_table.iloc[
        np.argsort([list(FREQUENCY_KINDS).index(_kind_of(f))
                    for f in per_series_table["frequency"]], kind="stable")]

    notes = []
    for model in models:
        f = frame[frame["model"] == model]
        for column, label in (("error", "error"), ("warnings", "warning")):
            where: dict[str, set] = {}
            fits: Counter = Counter()
            for uid, text in zip(f["series"], f[column], strict=True):
                # The gist of a message: no repeat count, no numbers (they vary per series).
                gists = {re.sub(r"\d+", "N", re.sub(r" \(x\d+\)$", "", message))[:160]
                         for message in text.split(" | ") if message}
                fits.update(gists)
                for gist in gists:
                    where.setdefault(gist, set()).add(uid)
            for gist, n in fits.most_common():
                listed = sorted(where[gist])
                notes.append(f"{model}, {label} in {n} fits ({', '.join(listed[:6])}"
                             f"{', ...' if len(listed) > 6 else ''}): {gist}")
    return {"point": point, "other": other, "freq_mase": freq_mase, "freq_rel": freq_rel,
            "freq_ref": refs[0] if refs else None, "groups": groups,
            "per_series": per_series_table,
            "notes": notes}


def _kind_of(freq: str) -> str:
    if freq.startswith("W"):
        return "weekly"
    return {"MS": "monthly", "QS-JAN": "quarterly", "YS-JAN": "yearly", "D": "daily",
            "B": "daily", "h": "hourly"}[freq]


def _format(frame: pd.DataFrame, digits: dict) -> pd.DataFrame:
    frame = frame.copy().astype(object)
    for column, d in digits.items():
        frame[column] = [("" if pd.isna(v) else f"{v:.{d}f}") for v in frame[column]]
    return frame


def markdown(frame: pd.DataFrame) -> str:
    def cell(v):
        return str(v).replace("|", "\\|")
    header = "| " + " | ".join(map(cell, frame.columns)) + " |"
    align = "|" + "|".join(" ---: " if _numeric(frame[c]) else " --- "
                           for c in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([header, align, *body])


def _numeric(column) -> bool:
    values = [str(v).strip("*") for v in column if str(v)]
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return bool(values)


def report(tables: dict, header: str) -> str:
    parts = [header, "", "Point forecasts (MASE and sMAPE means over series-origins; "
             "relMASE: geometric mean of MASE / reference MASE; wins: % of series with a "
             "lower MASE than the reference, averaged over origins):", "",
             markdown(tables["point"]), "",
             "90% intervals (coverage %, width / MASE scale, MSIS) and seconds per fit:", "",
             markdown(tables["other"]), ""]
    for model, table in tables["groups"].items():
        parts += [f"{model} against the references by frequency and for the short series "
                  "(relMASE: geometric mean over series-origins; % of series whose MASE, "
                  "averaged over origins, is below seasonal naive's):", "", markdown(table), ""]
    if tables["freq_mase"] is not None:
        parts += ["Mean MASE by frequency (number of series):", "",
                  markdown(tables["freq_mase"]), ""]
    if tables["freq_rel"] is not None:
        parts += [f"Relative MASE against {tables['freq_ref']} by frequency (geometric mean):",
                  "", markdown(tables["freq_rel"]), ""]
    parts += ["MASE per series (mean over origins; best in bold):", "",
              markdown(tables["per_series"]), ""]
    if tables["notes"]:
        parts += ["Errors and warnings:", ""] + [f"* {note}" for note in tables["notes"]] + [""]
    return "\n".join(parts)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as handle:
        cpu = next(line.split(":", 1)[1].strip() for line in handle
                   if line.startswith("model name"))
    versions = []
    for package in ("gatedts", "numpy", "numba", "pandas", "scikit-learn", "statsforecast"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            + ", ".join(versions))


# ------------------------------------------------------------------ main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models",
                        help="comma-separated models: gatedts configurations "
                             f"({', '.join(GATEDTS_CONFIGS)}, or --gatedts-config names) and "
                             f"references ({', '.join(REFERENCE_MODELS)}); 'references' means "
                             f"all references (default: {','.join(DEFAULT_MODELS)}; with "
                             f"--quick {','.join(QUICK_MODELS)})")
    parser.add_argument("--series", default="all",
                        help="comma-separated series ids and/or frequencies "
                             f"({', '.join(FREQUENCY_KINDS)}); default all")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..S-1 of gatedts models")
    parser.add_argument("--origins", type=int, default=ORIGINS,
                        help="forecast origins per series (test windows)")
    parser.add_argument("--part", choices=("test", "tuning"), default="test",
                        help="'test': --origins origins in the last observations (the "
                             "reported figures); 'tuning': --origins inner origins inside each "
                             f"training part (the data before the last {ORIGINS} test windows), "
                             "for choosing defaults without reading a test window (default "
                             "test)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel series (joblib)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: series {', '.join(QUICK_SERIES)}, 1 origin, "
                             "the gru and the references, a temporary results folder")
    parser.add_argument("--gatedts-config", action="append", default=[], metavar="NAME=JSON",
                        help="add a gatedts configuration: Forecaster keyword arguments as "
                             "JSON, e.g. 'gru5={\"estimator\": \"gru\", \"n_models\": 5}'")
    parser.add_argument("--point-only", action="store_true",
                        help="gatedts models: point forecasts only, no interval calibration "
                             "(about a third of the time; cached apart)")
    parser.add_argument("--results", type=Path, help=f"cache folder (default {RESULTS})")
    parser.add_argument("--refresh", action="store_true", help="recompute cached results")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument("--list", action="store_true", help="list the series and models")
    return parser, parser.parse_args(argv)


def _has_statsforecast() -> bool:
    try:
        importlib.metadata.version("statsforecast")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def main(argv=None) -> int:
    parser, args = parse_args(argv)
    gatedts_configs = dict(GATEDTS_CONFIGS)
    for item in args.gatedts_config:
        name, sep, blob = item.partition("=")
        try:
            kwargs = json.loads(blob)
        except json.JSONDecodeError as exc:
            parser.error(f"--gatedts-config {item!r}: {exc}")
        if (not sep or not name or not isinstance(kwargs, dict)
                or name in (*REFERENCE_MODELS, "Comb")):
            parser.error(f"--gatedts-config wants NAME={{json object}}, got {item!r}")
        gatedts_configs[name.strip()] = kwargs
    series, meta = load_series()
    if args.models is None:
        args.models = ",".join(QUICK_MODELS if args.quick else DEFAULT_MODELS)
        if not _has_statsforecast():
            args.models = ",".join(m for m in args.models.split(",")
                                   if m not in REFERENCE_MODELS)
            print("statsforecast is not installed (pip install -e '.[bench]'): "
                  "running the gatedts models only", flush=True)
    models = []
    for name in (s.strip() for s in args.models.split(",") if s.strip()):
        models += list(REFERENCE_MODELS) if name == "references" else [name]
    unknown = [m for m in models if m not in gatedts_configs and m not in REFERENCE_MODELS]
    if unknown or not models:
        parser.error(f"unknown models {unknown}; choose from "
                     f"{', '.join([*gatedts_configs, *REFERENCE_MODELS])}")
    if args.list:
        print(meta[["frequency", "m", "h", "n", "domain", "source"]].to_string())
        print("models:", ", ".join([*gatedts_configs, *REFERENCE_MODELS]))
        return 0
    if args.quick:
        names = list(QUICK_SERIES)
        args.origins = 1
    elif args.series == "all":
        names = list(series)
    else:
        names = []
        for item in (s.strip() for s in args.series.split(",") if s.strip()):
            if item in FREQUENCY_KINDS:
                names += [u for u in series if u.startswith(FREQUENCY_KINDS[item])]
            elif item in series:
                names.append(item)
            else:
                parser.error(f"unknown series {item!r}; see --list")
    names = list(dict.fromkeys(names))
    if args.seeds < 1 or args.origins < 1 or args.jobs < 1:
        parser.error("--seeds, --origins and --jobs must be positive")
    hm = {uid: (int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"])) for uid in names}
    test_origins = args.origins if args.part == "test" else ORIGINS
    too_short = [uid for uid in names if len(series[uid]) < min_length(*hm[uid], test_origins)]
    if too_short:
        parser.error(f"{', '.join(too_short)}: shorter than the protocol's minimum for "
                     f"{test_origins} origins (min_length)")
    if args.part == "tuning":
        # The ORIGINS test windows are cut off before anything runs, whatever --origins says:
        # the inner origins see the training parts only.
        series = {uid: training_part(series[uid], hm[uid][0]) for uid in names}
        skipped = [uid for uid in names
                   if len(series[uid]) < min_length(*hm[uid], args.origins)]
        names = [uid for uid in names if uid not in skipped]
        if skipped:
            print(f"part 'tuning': {len(skipped)} training parts too short for "
                  f"{args.origins} inner origins, left out: {', '.join(skipped)}", flush=True)
        if not names:
            parser.error("no training part is long enough for the inner origins")
    results = args.results
    tmpdir = None
    if results is None:
        if args.quick:
            tmpdir = tempfile.TemporaryDirectory(prefix="gatedts-accuracy-")
            results = Path(tmpdir.name)
        else:
            results = RESULTS

    if any(m in REFERENCE_MODELS for m in models) and not _has_statsforecast():
        parser.error("the references need statsforecast: pip install -e '.[bench]', "
                     "or choose gatedts models only with --models")
    configs = {m: model_config(m, gatedts_configs, not args.point_only) for m in models}
    seeds_of = {m: range(args.seeds) if kind == "gatedts" else range(1)
                for m, (kind, _) in configs.items()}
    keys = {uid: data_hash(series[uid], int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"]))
            for uid in names}
    cached = {m: read_cache(results, m) for m in models}
    todo: dict[str, list] = {uid: [] for uid in names}
    for m in models:
        have = set() if args.refresh else set(
            cached[m][["config", "series", "data", "origin", "seed"]].itertuples(False, None))
        for uid in names:
            for origin in range(1, args.origins + 1):
                for seed in seeds_of[m]:
                    if (configs[m][1], uid, keys[uid], origin, seed) not in have:
                        todo[uid].append((m, configs[m][1], origin, seed))
    todo = {uid: tasks for uid, tasks in todo.items() if tasks}
    print(f"machine: {machine()}", flush=True)
    n_tasks = sum(map(len, todo.values()))
    print(f"{len(names)} series, models {', '.join(models)}, {args.origins} origins, "
          f"{args.seeds} seed(s): {n_tasks} fits to run, the rest cached in {results}",
          flush=True)

    if todo:
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        jobs = [(uid, series[uid], int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"]), keys[uid],
                 tasks, gatedts_configs, not args.point_only) for uid, tasks in todo.items()]
        if args.jobs == 1:
            outputs = (evaluate_series(*job) for job in jobs)
        else:
            from joblib import Parallel, delayed

            outputs = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
                delayed(evaluate_series)(*job) for job in jobs)
        start = time.perf_counter()
        for rows in outputs:
            for m in models:
                mine = [r for r in rows if r["model"] == m]
                if mine:
                    write_cache(results, m, mine)
            uid = rows[0]["series"]
            took = sum(r["total_s"] for r in rows if not math.isnan(r["total_s"]))
            bad = sum(1 for r in rows if r["error"])
            print(f"  {uid:<26} {len(rows):3d} fits {took:7.1f} s"
                  f"{f', {bad} with errors' if bad else ''}"
                  f"  [{time.perf_counter() - start:6.0f} s]", flush=True)

    frames = []
    for m in models:
        frame = read_cache(results, m)
        frame = frame[(frame["config"] == configs[m][1]) & frame["series"].isin(names)
                      & frame["origin"].between(1, args.origins)
                      & frame["seed"].isin(list(seeds_of[m]))]
        frame = frame[frame["data"] == frame["series"].map(keys)]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    if all(m in models for m in COMB_MEMBERS):
        frame = pd.concat([frame, comb_rows(frame, series)], ignore_index=True)
        models.insert(models.index(COMB_MEMBERS[-1]) + 1, "Comb")
    shown = meta.loc[names].assign(n=[len(series[uid]) for uid in names])
    tables = summarise(frame, shown, models)
    part = ("test windows" if args.part == "test" else
            "inner origins of the training parts (test windows unseen)")
    header = (f"{len(names)} series, {args.origins} origin(s) on the {part}, gatedts seeds "
              f"0..{args.seeds - 1}{' (point forecasts only)' if args.point_only else ''}"
              f"\nmachine: {machine()}")
    text = report(tables, header)
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
        print(f"wrote {args.markdown}")
    if tmpdir is not None:
        tmpdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
