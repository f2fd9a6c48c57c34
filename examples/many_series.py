"""Forecasting 107 series at once with forecast_many: serial vs 2 workers, local vs global.
========================================================================================

The panel is cut from the bundled datasets, in the long format
(``unique_id``, ``ds``, ``y``): 52 weekly slices of the hourly San Francisco
temperatures and their daily mean, min and max; the four numeric Seattle
weather columns in eight half-years each; the 12 quarterly macrodata
columns; CO2 and sunspots in segments, and the airline passengers. Series
of different frequencies, lengths and units, 107 in all; the last 8 steps
of each are held out.

Local mode (one default GRU per series) runs serially (with the Numba
threads as configured, then with one thread), on 2 loky worker processes
and, when ``distributed`` is installed (``pip install 'gatedts[dask]'``), on
a 2-worker Dask ``LocalCluster`` through
``joblib.parallel_config(backend="dask")``; the forecasts are checked to be
bit-identical. Worker start-up (process spawn, imports, loading the cached
kernels) is timed apart from the throughput. Global mode trains one network
on the windows of all series. Accuracy: median MASE over the series against
the seasonal naive forecast.

Usage::

    python examples/many_series.py [--fast] [--out DIR]
"""

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from gatedts import Forecaster, GRURegressor, forecast_many
from gatedts.datasets import (
    load_airline,
    load_co2,
    load_macrodata,
    load_seattle_weather,
    load_sf_temps,
    load_sunspots,
)
from gatedts.forecasting.metrics import mase
from gatedts.forecasting.parallel import limit_threads, warm_up
from gatedts.forecasting.seasonality import infer_seasonal_period

HORIZON = 8


def build_panel():
    """The 107 series, long format."""
    series = {}
    hourly = load_sf_temps()
    for k in range(52):
        series[f"sf_temps/week{k + 1:02d}"] = hourly.iloc[k * 168: (k + 1) * 168]
    for how in ("mean", "min", "max"):
        series[f"sf_temps/daily_{how}"] = hourly.resample("D").agg(how)
    weather = load_seattle_weather()
    for column in ("precipitation", "temp_max", "temp_min", "wind"):
        for k in range(8):
            series[f"seattle/{column}/half{k + 1}"] = weather[column].iloc[k * 182: (k + 1) * 182]
    for column, values in load_macrodata().items():
        series[f"macro/{column}"] = values
    for name, y, n_parts in (("co2", load_co2(), 4), ("airline", load_airline(), 1),
                             ("sunspots", load_sunspots(), 3)):
        size = len(y) // n_parts
        for k in range(n_parts):
            series[f"{name}/part{k + 1}"] = y.iloc[k * size: (k + 1) * size]
    return pd.concat([pd.DataFrame({"unique_id": uid, "ds": y.index, "y": y.to_numpy()})
                      for uid, y in series.items()], ignore_index=True)


def split(df, horizon):
    last = df.groupby("unique_id")["ds"].rank(ascending=False) <= horizon
    return df[~last], df[last]


def timed(label, runs, n_series, call):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = call()
    seconds = time.perf_counter() - start
    runs.append({"run": label, "seconds": seconds, "series/s": n_series / seconds})
    return out


def run_dask(runs, train, forecaster, n_series, serial):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("distributed not installed: no Dask run (pip install 'gatedts[dask]')")
        return
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.run(warm_up, ("gru",))  # each worker imports gatedts and loads the kernels
        print(f"Dask LocalCluster start-up and warm-up: {time.perf_counter() - start:.1f} s")
        with joblib.parallel_config(backend="dask"):
            out = timed("local, Dask 2 workers", runs, n_series,
                        lambda: forecast_many(train, forecaster, n_jobs=2))
    check_identical(out, serial, "Dask")


def check_identical(out, serial, name):
    same = out.equals(serial)
    print(f"{name} forecasts bit-identical to serial: {same}")
    if not same:
        raise SystemExit(f"{name} forecasts differ from the serial ones")


def accuracy(train, test, forecasts):
    """Median MASE (seasonal period from each series' frequency) per method."""
    rows = {name: [] for name in [*forecasts, "seasonal naive"]}
    for uid, history in train.groupby("unique_id"):
        y = history.set_index("ds")["y"]
        actual = test.loc[test["unique_id"] == uid, "y"].to_numpy()
        m = infer_seasonal_period(pd.DatetimeIndex(y.index, freq="infer"))
        for name, table in forecasts.items():
            pred = table.loc[table["unique_id"] == uid, "y_pred"].to_numpy()
            rows[name].append(mase(actual, pred, y.to_numpy(), m))
        naive = np.resize(y.to_numpy()[-m:], len(actual))
        rows["seasonal naive"].append(mase(actual, naive, y.to_numpy(), m))
    return pd.Series({name: np.median(v) for name, v in rows.items()}, name="median MASE")


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny networks, a few seconds per run (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    df = build_panel()
    train, test = split(df, HORIZON)
    n_series = df["unique_id"].nunique()
    estimator = GRURegressor(hidden_size=4, max_iter=2) if args.fast else "gru"
    forecaster = Forecaster(estimator, horizon=HORIZON, random_state=0)
    print(f"{n_series} series, {len(df)} rows, {os.cpu_count()} CPUs; horizon {HORIZON}; "
          f"{'tiny GRU (fast mode)' if args.fast else 'default GRU'} per series")
    warm_up(("gru",))
    runs = []
    serial = timed("local, serial", runs, n_series, lambda: forecast_many(train, forecaster))
    with limit_threads(1):  # what one core does alone: the baseline of the 2-worker runs
        one = timed("local, serial, 1 thread", runs, n_series,
                    lambda: forecast_many(train, forecaster))
    check_identical(one, serial, "1-thread")
    start = time.perf_counter()
    joblib.Parallel(n_jobs=2)(joblib.delayed(warm_up)(("gru",)) for _ in range(2))
    print(f"loky start-up and warm-up: {time.perf_counter() - start:.1f} s")
    loky = timed("local, loky 2 workers", runs, n_series,
                 lambda: forecast_many(train, forecaster, n_jobs=2))
    check_identical(loky, serial, "loky")
    run_dask(runs, train, forecaster, n_series, serial)
    glob = timed("global, serial", runs, n_series,
                 lambda: forecast_many(train, forecaster, mode="global"))
    table = pd.DataFrame(runs).set_index("run")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    print(accuracy(train, test, {"local GRU": serial, "global GRU": glob})
          .to_string(float_format=lambda v: f"{v:.3f}"))
    plot(table, df, train, {"local": serial, "global": glob}, args.out / "many_series.png")


def plot(table, df, train, forecasts, path):
    try:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib not installed: no plot (pip install 'gatedts[plot]')")
        return
    fig = Figure(figsize=(11, 6), layout="constrained")
    grid = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(grid[:, 0])
    bars = ax.barh(table.index[::-1], table["series/s"][::-1], color="C0")
    ax.bar_label(bars, fmt="%.1f", padding=2)
    ax.margins(x=0.2)
    ax.set_xlabel("series per second")
    ax.set_title(f"throughput, {df['unique_id'].nunique()} series")
    shown = ["sf_temps/week30", "seattle/temp_max/half3", "macro/real_gdp", "co2/part4"]
    for k, uid in enumerate(shown):
        ax = fig.add_subplot(grid[k // 2, 1 + k % 2])
        full = df[df["unique_id"] == uid].set_index("ds")["y"]
        ax.plot(full.iloc[-5 * HORIZON:], color="black", lw=1, label="actual")
        n_train = len(train[train["unique_id"] == uid])
        ax.axvline(full.index[n_train - 1], color="grey", lw=0.5)
        for j, (name, table_) in enumerate(forecasts.items()):
            pred = table_[table_["unique_id"] == uid]
            ax.plot(pred["ds"], pred["y_pred"], color=f"C{j + 1}", label=name)
        ax.set_title(uid, fontsize=9)
        locator = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(frameon=False, fontsize=8)
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
