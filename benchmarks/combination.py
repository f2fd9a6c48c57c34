"""How ``Forecaster("auto")`` should weight its members: every rule from one set of fits.

For each series and origin of the development benchmark (``accuracy.py``'s
protocol, seed 0), one ``Forecaster("auto")`` is fitted on the training data
and two things are recorded per member (the networks, the pretrained network,
seasonal naive): its mean absolute error on the inner origins the Forecaster
chose its weights on (``member_scores_``), and its forecast of the window
after the origin. A weighting rule is a function of the inner errors, so every
rule (and every subset of members) is scored from the same fits::

    python benchmarks/combination.py --part tuning     # choose a rule: inner origins only
    python benchmarks/combination.py --part test       # the chosen rule on the test windows

``--add-fine-tuned STEPS:LR`` (repeatable) adds the pretrained network
fine-tuned on the series (``Forecaster("pretrained", network_options={"fine_tune":
...})``) as a candidate member, scored on the same inner origins, next to the
shipped network recomputed as ``zeroshot`` (:func:`fine_tuned_rows`)::

    python benchmarks/combination.py --part tuning --add-fine-tuned 50:1e-4

Fits are cached in ``benchmarks/results/combination_<part>.csv`` by series (with
the hash of the gatedts source that made them; delete the file to rerun). The
summary compares each rule with the statsforecast references that ``accuracy.py``
cached (run it first for them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy
from sklearn.base import clone
from sklearn.linear_model import Ridge

from gatedts import Forecaster
from gatedts.forecasting.baselines import damped_trend_forecast, theta_forecast
from gatedts.forecasting.combination import INNER_ORIGINS, drift_forecast
from gatedts.forecasting.conformal import fit_before

MEMBERS = ("gru", "lstm", "rnn", "pretrained", "seasonal_naive")
REFERENCES = ("AutoETS", "AutoARIMA", "AutoTheta", "Comb", "SeasonalNaive")
CANDIDATES = ("ridge", "drift", "theta", "damped_trend")  # scored by --add-candidates


def fit_rows(uid, y, h, m, part, origins=accuracy.ORIGINS) -> list[dict]:
    """One row per origin and member: inner error, weight given, test-window forecast."""
    rows = []
    if part == "tuning":
        try:
            y = accuracy.training_part(y, h)
        except ValueError:
            return rows
    values = y.to_numpy(dtype=np.float64)
    for origin in range(1, origins + 1):
        cut = len(y) - origin * h
        if cut < accuracy.min_train_length(h, m):
            continue
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = Forecaster("auto", horizon=h, random_state=0).fit(y.iloc[:cut])
                forecasts = f.combination_.member_forecasts(f, f.y_, f.exog_, None, h)
        except Exception as exc:  # recorded, left out of the summary
            rows.append({"series": uid, "origin": origin, "member": "", "error": str(exc)[:200]})
            continue
        seconds = time.perf_counter() - start
        scores = f.member_scores_.set_index("member")
        for member, forecast in zip(f.combination_.names, forecasts, strict=True):
            rows.append({"series": uid, "origin": origin, "member": member, "h": h, "m": m,
                         "n_train": cut, "inner_error": scores.loc[member, "score"],
                         "inner_origins": scores.loc[member, "origins"],
                         "weight": scores.loc[member, "weight"], "seconds": seconds,
                         "scale": accuracy.mase_scale(values[:cut], m),
                         "forecast": accuracy._fmt(forecast),
                         "actual": accuracy._fmt(values[cut: cut + h]), "error": ""})
    return rows


def candidate_rows(group: pd.DataFrame, y: pd.Series) -> list[dict]:
    """Rows of members "auto" did not have when the fits were cached, scored on the same
    inner origins as its members (``group``: one series-origin's rows): a ridge
    autoregression through the same pipeline (:func:`gatedts.forecasting.conformal.fit_before`
    with "auto"'s attempts), the drift forecast and the Theta method."""
    first = group.iloc[0]
    cut, h, count = int(first["n_train"]), int(first["h"]), int(first["inner_origins"])
    m = int(first["m"])
    values = y.to_numpy(dtype=np.float64)[:cut]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ridge = Forecaster(Ridge(alpha=1.0), horizon=h).fit(y.iloc[:cut])
        errors = dict.fromkeys(CANDIDATES, np.nan)
        if count:
            resolved = clone(ridge).set_params(
                seasonal_period=ridge.seasonal_period_, log=ridge.log_,
                difference=ridge.difference_, seasonal_difference=ridge.seasonal_difference_,
                local_level=ridge.local_level_)
            attempts = [(c, w) for c in range(INNER_ORIGINS, 0, -1)
                        for w in (ridge.window_, "auto")]
            model, inner_cut = fit_before(resolved, values, None, cut, h, attempts)
            origins = range(inner_cut, cut - h + 1)
            assert len(origins) == count, (first["series"], len(origins), count)
            errors["ridge"] = np.mean([np.abs(model.forecast_from(values[:o], horizon=h)
                                              .to_numpy() - values[o: o + h]).mean()
                                       for o in origins])
            errors["drift"] = np.mean([np.abs(drift_forecast(values[:o], h)
                                              - values[o: o + h]).mean() for o in origins])
            errors["theta"] = np.mean([np.abs(theta_forecast(values[:o], m, h)
                                              - values[o: o + h]).mean() for o in origins])
            errors["damped_trend"] = np.mean([np.abs(damped_trend_forecast(values[:o], m, h)
                                                     - values[o: o + h]).mean()
                                              for o in origins])
    forecasts = {"ridge": ridge.predict().to_numpy(), "drift": drift_forecast(values, h),
                 "theta": theta_forecast(values, m, h),
                 "damped_trend": damped_trend_forecast(values, m, h)}
    rows = []
    for member in CANDIDATES:
        rows.append({**first.to_dict(), "member": member, "inner_error": errors[member],
                     "weight": np.nan, "forecast": accuracy._fmt(forecasts[member])})
    return rows


def fine_tuned_name(setting: str) -> str:
    """The member name of a ``STEPS:LR`` fine-tuning setting."""
    steps, learning_rate = setting.split(":")
    return f"finetuned_{int(steps)}_{float(learning_rate):g}"


def fine_tuned_rows(group: pd.DataFrame, y: pd.Series, settings: list[str]) -> list[dict]:
    """Rows of the shipped pretrained network (``zeroshot``) and of it fine-tuned with
    each ``STEPS:LR`` setting, scored on the same inner origins as "auto"'s members
    (``group``: one series-origin's rows). As ``fit_before`` fits the networks once,
    the network is fine-tuned once on the data before the first inner origin and
    forecasts every inner origin from there; the window after the origin is
    forecast by one fine-tuned on all of the data before it."""
    first = group.iloc[0]
    cut, h, count = int(first["n_train"]), int(first["h"]), int(first["inner_origins"])
    values = y.to_numpy(dtype=np.float64)[:cut]
    members = {"zeroshot": None}
    for setting in settings:
        steps, learning_rate = setting.split(":")
        members[fine_tuned_name(setting)] = {"fine_tune": {"steps": int(steps),
                                                           "learning_rate": float(learning_rate)}}
    rows = []
    for member, options in members.items():
        if member in set(group["member"]):
            continue  # cached
        def fitted(end, options=options):
            return Forecaster("pretrained", horizon=h, network_options=options,
                              random_state=0).fit(y.iloc[:end])
        error = np.nan
        if count:
            inner_cut = cut - h + 1 - count
            model = fitted(inner_cut)
            error = np.mean([np.abs(model.forecast_from(values[:o], horizon=h).to_numpy()
                                    - values[o: o + h]).mean()
                             for o in range(inner_cut, cut - h + 1)])
        rows.append({**first.to_dict(), "member": member, "inner_error": error,
                     "weight": np.nan, "forecast": accuracy._fmt(fitted(cut).predict().to_numpy())})
    return rows


def weights(rule: str, errors: np.ndarray) -> np.ndarray:
    """The weights a rule gives members with inner mean absolute errors ``errors``."""
    n = len(errors)
    if not np.all(np.isfinite(errors)):
        return np.full(n, 1 / n)
    e = np.maximum(errors, 1e-12)
    if rule == "equal":
        w = np.ones(n)
    elif rule == "inverse":
        w = 1 / e
    elif rule == "inverse_squared":
        w = 1 / e**2
    elif rule == "select":
        w = (e == e.min()).astype(float)
    elif rule == "best_half":  # equal weights on the better half
        w = (e <= np.median(e)).astype(float)
    elif rule == "best3":
        w = (e <= np.sort(e)[min(2, n - 1)]).astype(float)
    else:
        raise ValueError(rule)
    return w / w.sum()


#: The members Forecaster("auto") has (its linear member scored as sklearn's Ridge here).
AUTO = ("gru", "lstm", "ridge", "pretrained", "seasonal_naive", "drift", "damped_trend")
RULES = ("equal", "inverse", "inverse_squared", "select", "best_half", "best3")
SUBSETS = {**{member: (member,) for member in (*MEMBERS, *CANDIDATES)},
           "all": MEMBERS, "networks": ("gru", "lstm", "rnn"),
           "no_naive": ("gru", "lstm", "rnn", "pretrained"),
           "gru+pretrained+naive": ("gru", "pretrained", "seasonal_naive"),
           "gru+lstm+pretrained+naive": ("gru", "lstm", "pretrained", "seasonal_naive"),
           "all+ridge": (*MEMBERS, "ridge"), "all+ridge+drift": (*MEMBERS, "ridge", "drift"),
           "gru+lstm+pretrained+naive+ridge": ("gru", "lstm", "pretrained", "seasonal_naive",
                                               "ridge"),
           "gru+lstm+pretrained+naive+ridge+drift": ("gru", "lstm", "pretrained",
                                                     "seasonal_naive", "ridge", "drift"),
           "gru+lstm+pretrained+naive+ridge+drift+theta": (
               "gru", "lstm", "pretrained", "seasonal_naive", "ridge", "drift", "theta"),
           "gru+lstm+pretrained+naive+ridge+drift+damped_trend": (
               "gru", "lstm", "pretrained", "seasonal_naive", "ridge", "drift", "damped_trend"),
           "gru+lstm+pretrained+naive+ridge+drift+theta+damped_trend": (
               "gru", "lstm", "pretrained", "seasonal_naive", "ridge", "drift", "theta",
               "damped_trend")}


def fine_tuned_subsets(names) -> dict[str, tuple[str, ...]]:
    """Subsets of the ``zeroshot`` and fine-tuned candidates: each alone, in place of
    "auto"'s pretrained member, and the fine-tuned ones added to "auto"."""
    candidates = [n for n in names if n == "zeroshot" or n.startswith("finetuned_")]
    subsets = {n: (n,) for n in candidates}
    for n in candidates:
        subsets[f"auto, {n} for pretrained"] = tuple(n if m == "pretrained" else m
                                                     for m in AUTO)
        if n != "zeroshot" and "zeroshot" in candidates:
            subsets[f"auto, zeroshot for pretrained, + {n}"] = (
                *("zeroshot" if m == "pretrained" else m for m in AUTO), n)
    return subsets


def summarise(frame: pd.DataFrame, references: pd.DataFrame) -> pd.DataFrame:
    frame = frame[frame["error"] == ""]
    out = []
    groups = list(frame.groupby(["series", "origin"], sort=False))
    subsets = {**SUBSETS, **fine_tuned_subsets(frame["member"].unique())}
    for subset, members in subsets.items():
        if not set(members) <= set(frame["member"]):
            continue  # candidates not scored yet (--add-candidates)
        for rule in RULES:
            if (len(members) == 1 or subset == "networks") and rule != "equal":
                continue  # one member, or the networks' equal mean: the old "auto"
            rows = []
            for (uid, origin), group in groups:
                if not set(members) <= set(group["member"]):
                    continue  # a candidate not scored on this series-origin
                g = group.set_index("member").loc[list(members)]
                w = weights(rule, g["inner_error"].to_numpy(dtype=float))
                forecast = w @ np.vstack([accuracy._parse(t) for t in g["forecast"]])
                actual = accuracy._parse(g["actual"].iloc[0])
                mase = np.mean(np.abs(forecast - actual)) / g["scale"].iloc[0]
                rows.append({"series": uid, "origin": origin, "MASE": mase})
            mine = pd.DataFrame(rows)
            line = {"members": subset, "rule": rule, "n": len(mine),
                    "mean MASE": mine["MASE"].mean()}
            for ref in REFERENCES:
                r = references[references["model"] == ref][["series", "origin", "MASE"]]
                both = mine.merge(r, on=["series", "origin"], suffixes=("", "_ref")).dropna()
                line[f"rel {ref}"] = accuracy._gmean(both["MASE"] / both["MASE_ref"])
                if ref == "SeasonalNaive":
                    per = both.groupby("series")[["MASE", "MASE_ref"]].mean()
                    line["beats SNaive %"] = 100 * float(np.mean(
                        np.where(per["MASE"] == per["MASE_ref"], 0.5,
                                 per["MASE"] < per["MASE_ref"])))
            out.append(line)
    return pd.DataFrame(out)


def reference_rows(part: str, series: dict, meta: pd.DataFrame) -> pd.DataFrame:
    """The cached statsforecast rows of this part, Comb derived."""
    frames = [accuracy.read_cache(accuracy.RESULTS, name)
              for name in ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive")]
    frame = pd.concat(frames, ignore_index=True)
    keys = {}
    for uid, y in series.items():
        h, m = int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"])
        if part == "tuning":
            try:
                y = accuracy.training_part(y, h)
            except ValueError:
                continue
        keys[uid] = accuracy.data_hash(y, h, m)
    frame = frame[frame["data"] == frame["series"].map(keys)]
    frame = pd.concat([frame, accuracy.comb_rows(frame, series if part == "test" else {
        uid: accuracy.training_part(series[uid], int(meta.loc[uid, "h"]))
        for uid in keys})], ignore_index=True)
    return frame


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("tuning", "test"), required=True)
    parser.add_argument("--origins", type=int, default=accuracy.ORIGINS,
                        help="origins per series, the last first (default %(default)s)")
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument("--add-candidates", action="store_true",
                        help="score a ridge autoregression, drift, the Theta method and the "
                             "damped trend on the same inner origins and add them to the cached "
                             "rows")
    parser.add_argument("--add-fine-tuned", action="append", default=[], metavar="STEPS:LR",
                        help="score the pretrained network fine-tuned with these settings "
                             "(and the shipped one, as zeroshot) and add them to the rows")
    parser.add_argument("--rules", default=",".join(RULES),
                        help="weighting rules to report (default: all)")
    args = parser.parse_args(argv)
    series, meta = accuracy.load_series()
    path = accuracy.RESULTS / f"combination_{args.part}.csv"
    source = accuracy.gatedts_source_hash()
    done = pd.read_csv(path, keep_default_na=False, dtype=str) if path.exists() else None
    if not args.summary_only:
        for uid, y in series.items():
            if done is not None and (done["series"] == uid).any():
                continue
            h, m = int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"])
            rows = [{**row, "source": source} for row in fit_rows(uid, y, h, m, args.part,
                                                                    args.origins)]
            new = pd.DataFrame(rows)
            done = new if done is None else pd.concat([done, new], ignore_index=True)
            tmp = path.with_suffix(".tmp")
            done.to_csv(tmp, index=False)
            os.replace(tmp, path)
            print(f"{uid}: {len(rows)} rows", flush=True)
    frame = pd.read_csv(path, keep_default_na=False)
    if args.add_candidates:
        frame = frame[~frame["member"].isin(CANDIDATES)]
        extra = []
        for (uid, _), group in frame[frame["member"] != ""].groupby(["series", "origin"],
                                                                     sort=False):
            h = int(meta.loc[uid, "h"])
            y = series[uid] if args.part == "test" else accuracy.training_part(series[uid], h)
            extra += candidate_rows(group, y)
        frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
        tmp = path.with_suffix(".tmp")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
        frame = pd.read_csv(path, keep_default_na=False)
    if args.add_fine_tuned:
        for (uid, _), group in frame[frame["member"] != ""].groupby(["series", "origin"],
                                                                     sort=False):
            h = int(meta.loc[uid, "h"])
            y = series[uid] if args.part == "test" else accuracy.training_part(series[uid], h)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                extra = fine_tuned_rows(group, y, args.add_fine_tuned)
            if extra:
                frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
                tmp = path.with_suffix(".tmp")
                frame.to_csv(tmp, index=False)
                os.replace(tmp, path)
                print(f"{uid}: {', '.join(r['member'] for r in extra)}", flush=True)
        frame = pd.read_csv(path, keep_default_na=False)
    for column in ("inner_error", "weight", "scale"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    table = summarise(frame, reference_rows(args.part, series, meta))
    table = table[table["rule"].isin(args.rules.split(","))]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    ok = frame[(frame["error"] == "") & frame["member"].isin(AUTO)]
    scored = ok.dropna(subset=["inner_error"])  # series-origins without an inner origin
    wins = scored.loc[scored.groupby(["series", "origin"])["inner_error"].idxmin(), "member"]
    given = pd.concat([pd.Series(weights("inverse_squared", g["inner_error"].to_numpy(float)),
                                 index=g["member"])
                       for _, g in ok.groupby(["series", "origin"], sort=False)])
    print(f"\nthe members of \"auto\" ({', '.join(AUTO)}; ridge is the linear member):")
    print("  series-origins where each had the lowest inner error:",
          wins.value_counts().to_dict())
    print("  mean weight (inverse squared inner error):",
          given.groupby(level=0).mean().round(3).to_dict())
    print("failed fits:", int((frame["member"] == "").sum()))


if __name__ == "__main__":
    main()
