"""Zero-shot accuracy of the pretrained network (``gatedts.pretrained``).

Two evaluations, reported separately::

    python benchmarks/pretrained.py                          # the shipped weights
    python benchmarks/pretrained.py --checkpoint RUN/best.npz --json out.json
    python benchmarks/pretrained.py --series y_co2,q_co2 --simulated 0   # a quick look

* **The development benchmark** (``benchmarks/data``), with the protocol of
  ``benchmarks/accuracy.py`` and its code: origins ``n − k·h`` for k = 1..3,
  MASE against the seasonal-naive in-sample scale, the 90% interval from the
  network's 0.05 and 0.95 quantiles, and its summary tables (geometric-mean
  relative MASE against statsforecast's AutoETS, AutoARIMA, AutoTheta and
  SeasonalNaive, wins, coverage). The references come from the accuracy
  benchmark's cache (``benchmarks/results``) when it holds them for the same
  data, else they are fitted here (statsforecast needed) and not cached. The
  R-derived series (m_wineind, m_airline) are left out, as in the pretraining.
  The network is not fitted: "s/fit" is the time of one warm forecast.
* **A simulated test set**: ``--simulated`` series per frequency drawn from
  :func:`gatedts.synthetic.simulate` with a seed neither the training stream
  nor the pretraining's validation uses, each frequency at its M4 horizon, the
  last horizon held out. Geometric-mean MASE relative to the seasonal-naive and
  naive forecasts, and the 90% coverage. Simulations are never the only evidence.

``--json`` writes the tables (Markdown lines) and the headline figures for
``python -m gatedts.pretrain export --benchmark``, which puts them in the model card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import accuracy as A  # benchmarks/accuracy.py: the protocol, the cache, the tables
import numpy as np
import pandas as pd

from gatedts.pretrain import EXCLUDED_SERIES, M4_HORIZONS, load_checkpoint
from gatedts.pretrained import PretrainedForecaster, load_pretrained
from gatedts.synthetic import FREQUENCIES, simulate

MODEL = "pretrained"
REFERENCES = ("AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive")
SIMULATED_SEED = 3_000_017
SIMULATED_LENGTHS = {"yearly": 40, "quarterly": 100, "monthly": 200, "weekly": 300,
                     "daily": 400, "business_daily": 300, "hourly": 600, "other": 100}


def zero_shot_rows(model, series, meta, n_origins):
    """One accuracy-benchmark row per series and origin for the pretrained network."""
    rows = []
    for uid, y in series.items():
        h, m = int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"])
        values = y.to_numpy(dtype=np.float64)
        for origin in range(1, n_origins + 1):
            cut = len(values) - origin * h
            start = time.perf_counter()
            forecast = model.forecast(values[:cut], h, m)
            seconds = time.perf_counter() - start
            lower, upper = forecast.interval(A.COVERAGE)
            row = {"model": MODEL, "series": uid, "origin": origin, "seed": 0, "h": h, "m": m,
                   "n_train": cut, "time_s": seconds, "total_s": seconds, "setup": "",
                   "warnings": "", "error": ""}
            row.update(A.scores(values[cut:cut + h], forecast.median, lower, upper,
                                A.mase_scale(values[:cut], m)))
            rows.append(row)
    return rows


def reference_rows(series, meta, n_origins, log):
    """The statsforecast references' rows: from the accuracy cache, else fitted now."""
    rows = []
    for name in REFERENCES:
        config = A.model_config(name, {})[1]
        cached = A.read_cache(A.RESULTS, name)
        cached = cached[(cached["config"] == config) & (cached["seed"] == 0)]
        for uid, y in series.items():
            h, m = int(meta.loc[uid, "h"]), int(meta.loc[uid, "m"])
            key = A.data_hash(y, h, m)
            have = cached[(cached["series"] == uid) & (cached["data"] == key)]
            missing = [o for o in range(1, n_origins + 1) if o not in set(have["origin"])]
            rows += have[have["origin"] <= n_origins].to_dict("records")
            if missing:
                log(f"fitting {name} on {uid}, origins {missing}")
                rows += A.evaluate_series(uid, y, h, m, key,
                                          [(name, config, o, 0) for o in missing], {})
    return rows


def benchmark(model, series_names=None, n_origins=3, log=print):
    """The development-benchmark tables and headline figures of ``model``."""
    series, meta = A.load_series()
    keep = [u for u in series if u not in EXCLUDED_SERIES
            and (series_names is None or u in series_names)]
    series = {u: series[u] for u in keep}
    meta = meta.loc[keep]
    model.forecast(np.arange(40.0), 6, 4)  # warm: compilation is not timed
    frame = pd.DataFrame(zero_shot_rows(model, series, meta, n_origins)
                         + reference_rows(series, meta, n_origins, log))
    frame = frame.reindex(columns=A.COLUMNS)
    tables = A.summarise(frame, meta, [MODEL, *REFERENCES])
    point = tables["point"].set_index("model")
    mine = frame[frame["model"] == MODEL]
    headline = {"series": len(series), "origins": n_origins,
                "warm_forecast_ms_median": 1000 * float(mine["time_s"].median()),
                "warm_forecast_ms_max": 1000 * float(mine["time_s"].max()),
                "coverage_90": float(mine["coverage"].mean())}
    for column in point.columns:
        if column.startswith(("relMASE", "wins")):
            headline[column] = float(point.loc[MODEL, column])
    return tables, headline


def simulated(model, n_per_frequency, log=print):
    """Geometric-mean MASE of ``model`` relative to seasonal naive and naive, and the 90%
    coverage, on simulated series (one table row per frequency and one overall)."""
    rng = np.random.default_rng(SIMULATED_SEED)
    records = []
    for freq, length in SIMULATED_LENGTHS.items():
        h, m = M4_HORIZONS[freq], FREQUENCIES[freq][0]
        sims = simulate(n_per_frequency, length, frequencies=freq, random_state=rng)
        for values in sims.values:
            train, actual = values[:-h], values[-h:]
            scale = A.mase_scale(train, m)
            if not scale > 0:
                continue
            forecast = model.forecast(train, h, m)
            lower, upper = forecast.interval(A.COVERAGE)
            lag = m if len(train) >= m else 1
            snaive = np.tile(train[-lag:], -(-h // lag))[:h]
            records.append({"frequency": freq,
                            "MASE": np.mean(np.abs(actual - forecast.median)) / scale,
                            "SNaive": np.mean(np.abs(actual - snaive)) / scale,
                            "Naive": np.mean(np.abs(actual - train[-1])) / scale,
                            "coverage": np.mean((actual >= lower) & (actual <= upper))})
    frame = pd.DataFrame(records)
    rows = []
    for freq, part in [*frame.groupby("frequency", sort=False), ("all", frame)]:
        rows.append({"frequency": freq, "series": len(part),
                     "relMASE SNaive": A._gmean(part["MASE"] / part["SNaive"]),
                     "relMASE Naive": A._gmean(part["MASE"] / part["Naive"]),
                     "wins SNaive": 100 * np.mean(part["MASE"] < part["SNaive"]),
                     "coverage": 100 * part["coverage"].mean()})
    table = A._format(pd.DataFrame(rows), {"relMASE SNaive": 3, "relMASE Naive": 3,
                                           "wins SNaive": 0, "coverage": 1})
    return table, {k: float(v) for k, v in rows[-1].items() if k not in ("frequency",)}


def load_model(args):
    if args.checkpoint:
        params, _, meta = load_checkpoint(args.checkpoint)
        return PretrainedForecaster(params, {k: meta[k] for k in (
            "steps", "windows_seen", "cpu_hours")}), f"checkpoint {Path(args.checkpoint).name}"
    model = load_pretrained(args.weights)
    return model, f"weights {args.weights or 'shipped with gatedts'}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="a folder of weights.npz + metadata.json "
                        "(default: the shipped weights)")
    parser.add_argument("--checkpoint", help="a pretraining checkpoint instead of weights")
    parser.add_argument("--series", help="comma-separated series (default: all)")
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--simulated", type=int, default=100,
                        help="simulated test series per frequency (0: skip)")
    parser.add_argument("--json", help="write the tables and figures here")
    args = parser.parse_args(argv)
    model, source = load_model(args)
    names = set(args.series.split(",")) if args.series else None
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    tables, headline = benchmark(model, names, args.origins, log)
    steps = model.metadata.get("steps")
    header = (f"Zero-shot pretrained GRU ({source}, {steps} steps, "
              f"{model.metadata.get('windows_seen')} windows) on the development benchmark, "
              f"{headline['series']} series x {args.origins} origins; {A.machine()}")
    lines = [A.report(tables, header)]
    result = {"description": header, "development": headline}
    if args.simulated:
        table, overall = simulated(model, args.simulated, log)
        lines += [f"Simulated test set ({args.simulated} series per frequency, seed "
                  f"{SIMULATED_SEED}, last M4 horizon held out):", "", A.markdown(table), ""]
        result["simulated"] = overall
    text = "\n".join(lines)
    print(text)
    if args.json:
        result["markdown"] = text.splitlines()
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
