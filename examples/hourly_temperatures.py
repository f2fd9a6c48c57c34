"""San Francisco hourly temperatures: a 48-hour forecast with conformal intervals.
===============================================================================

``load_sf_temps`` holds hourly climate normals: a smooth daily cycle on a
yearly one. The frequency ``h`` gives a 24-hour season, so the defaults take
a seasonal difference, a 48-hour window and ``clip(n // 32, 32, 256)``
windows per mini-batch. The interval coverage is checked by a backtest.

Usage::

    python examples/hourly_temperatures.py [--fast] [--out DIR]
"""

import argparse
import os
import warnings
from pathlib import Path

from gatedts import Forecaster, GRURegressor, backtest
from gatedts.analysis.plotting import plot_forecast
from gatedts.datasets import load_sf_temps


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="the last 60 days and a tiny network (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    y = load_sf_temps()
    if args.fast:
        y = y.iloc[-60 * 24:]
    horizon = 48
    estimator = GRURegressor(hidden_size=4, max_iter=2, random_state=0) if args.fast else "gru"
    forecaster = Forecaster(estimator, horizon=horizon, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(forecaster, y, initial=len(y) - 4 * horizon, step=horizon,
                          refit=False, coverage=0.9)
        forecaster.fit(y.iloc[:-horizon])
        table = forecaster.predict_interval(coverage=0.9)
    print(f"sf_temps: {len(y)} hours; seasonal period {forecaster.seasonal_period_}, "
          f"window {forecaster.window_}, {forecaster.n_windows_} training windows, "
          f"fit {forecaster.fit_time_:.1f} s")
    print(f"backtest, 4 origins x {horizon} hours, one fit (refit=False):")
    print(result)
    try:
        ax = plot_forecast(y.iloc[:-horizon], table, actual=y.iloc[-horizon:], history=7 * 24,
                           title="sf_temps: last 48 hours held out, 90% interval")
    except ImportError as exc:
        print(f"no plot: {exc}")
        return
    path = args.out / "hourly_temperatures.png"
    ax.figure.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
