"""Hold-out accuracy of the default Forecaster on every bundled series.

For each series the last ``horizon`` observations are held out, and
``Forecaster(cell, horizon=horizon, random_state=seed)`` -- every other
parameter at its default -- is fitted on the rest and forecasts them, for the
GRU, LSTM and RNN cells and 5 seeds; the seasonal-naive forecast (season
inferred from the frequency, 1 for yearly data) is the reference. The table
gives MAPE and sMAPE (%), MASE (scaled by the in-sample seasonal-naive MAE)
as mean ± standard deviation over the seeds, and the mean fit time.

    python benchmarks/accuracy.py                      # everything, ~10 min on 2 cores
    python benchmarks/accuracy.py --series airline     # the headline table, ~1 min
    python benchmarks/accuracy.py --seeds 1 --csv results.csv
    python benchmarks/accuracy.py --cells lstm         # one cell (and seasonal naive)

Hold-outs (documented choices, fixed before looking at any result):

=================  ===============================  ==========================
series             hold-out                         why
=================  ===============================  ==========================
airline            last 12 months (1960)            the classic test year
sunspots           last 20 years (1989-2008)        a long horizon, ~2 cycles
co2                last 24 months (2000-2001)       two seasons
seattle temp_max   last 14 days (Dec 2015)          two weeks of daily data
sf_temps           last 24 hours (31 Dec 2010)      one daily cycle
macrodata real_gdp last 8 quarters (2007Q4-2009Q3)  two years (the recession)
=================  ===============================  ==========================
"""

import argparse
import os
import platform
import time
import warnings

import numba
import numpy as np
import pandas as pd

from gatedts import Forecaster
from gatedts.datasets import (
    load_airline,
    load_co2,
    load_macrodata,
    load_seattle_weather,
    load_sf_temps,
    load_sunspots,
)
from gatedts.forecasting.baselines import SeasonalNaive
from gatedts.forecasting.metrics import mape, mase, smape
from gatedts.forecasting.seasonality import infer_seasonal_period

SERIES = {
    "airline": (load_airline, 12),
    "sunspots": (load_sunspots, 20),
    "co2": (load_co2, 24),
    "seattle_temp_max": (lambda: load_seattle_weather()["temp_max"], 14),
    "sf_temps": (load_sf_temps, 24),
    "macro_real_gdp": (lambda: load_macrodata()["real_gdp"], 8),
}
CELLS = ("gru", "lstm", "rnn")


def scores(test, pred, train, m):
    return {"MAPE": mape(test, pred) if np.all(test != 0) else np.nan,
            "sMAPE": smape(test, pred), "MASE": mase(test, pred, train, m)}


def evaluate(name, seeds, cells=CELLS):
    load, horizon = SERIES[name]
    y = load()
    train, test = y.iloc[:-horizon], y.iloc[-horizon:].to_numpy()
    m = infer_seasonal_period(y.index)
    rows = []
    for cell in cells:
        for seed in seeds:
            start = time.perf_counter()
            f = Forecaster(cell, horizon=horizon, random_state=seed).fit(train)
            pred = f.predict().to_numpy()
            seconds = time.perf_counter() - start
            rows.append({"series": name, "model": cell.upper(), "seed": seed,
                         **scores(test, pred, train, m), "fit_s": seconds,
                         "setup": f"log={int(f.log_)} D={int(f.seasonal_difference_)} "
                                  f"d={f.difference_} m={f.seasonal_period_} "
                                  f"window={f.window_} windows={f.n_windows_}"})
    pred = SeasonalNaive(m).fit(train).predict(horizon).to_numpy()
    rows.append({"series": name, "model": f"seasonal naive (m={m})", "seed": 0,
                 **scores(test, pred, train, m), "fit_s": 0.0, "setup": ""})
    return pd.DataFrame(rows), len(y), horizon


def summarise(frame):
    def fmt(values):
        values = values.to_numpy(dtype=float)
        if len(values) == 1 or np.all(values == values[0]):
            return f"{values.mean():.3g}"
        return f"{values.mean():.3g} ± {values.std():.2g}"

    table = frame.groupby("model", sort=False).agg(
        MAPE=("MAPE", fmt), sMAPE=("sMAPE", fmt), MASE=("MASE", fmt),
        fit_s=("fit_s", lambda v: f"{v.mean():.1f}"), setup=("setup", "first"))
    return table


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}, pandas {pd.__version__}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default=",".join(SERIES),
                        help=f"comma-separated subset of {', '.join(SERIES)}")
    parser.add_argument("--cells", default=",".join(CELLS),
                        help=f"comma-separated subset of {', '.join(CELLS)}")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per model (default 5)")
    parser.add_argument("--csv", help="also save every run to this CSV")
    args = parser.parse_args()
    names = [s.strip() for s in args.series.split(",") if s.strip()]
    unknown = [s for s in names if s not in SERIES]
    if unknown:
        parser.error(f"unknown series {unknown}; choose from {', '.join(SERIES)}")
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    if not cells or any(c not in CELLS for c in cells):
        parser.error(f"--cells must name some of {', '.join(CELLS)}, got {args.cells!r}")
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    print(f"machine: {machine()}")
    print(f"Forecaster defaults, seeds 0..{args.seeds - 1}; mean ± sd over seeds\n", flush=True)
    frames = []
    for name in names:
        start = time.perf_counter()
        frame, n_obs, horizon = evaluate(name, range(args.seeds), cells)
        frames.append(frame)
        print(f"== {name}: {n_obs} observations, last {horizon} held out "
              f"({time.perf_counter() - start:.0f} s)")
        print(summarise(frame).to_string(), "\n", flush=True)
    if args.csv:
        pd.concat(frames).to_csv(args.csv, index=False)
        print(f"saved {args.csv}")


if __name__ == "__main__":
    main()
