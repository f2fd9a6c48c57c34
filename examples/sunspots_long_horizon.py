"""Sunspots: a 22-year forecast (two solar cycles), direct vs recursive strategy.
==============================================================================

Yearly data have no calendar season, so the window is ``1.25 * horizon``
(28 years) and the reference is the naive forecast. The direct strategy
outputs all 22 years at once; the recursive one feeds each forecast back,
which lets errors compound over a long horizon. A rolling-origin backtest
(three origins, 22 years each) scores both.

Usage::

    python examples/sunspots_long_horizon.py [--fast] [--out DIR]
"""

import argparse
import os
import warnings
from pathlib import Path

import pandas as pd

from gatedts import Forecaster, GRURegressor, backtest
from gatedts.analysis.plotting import plot_forecast
from gatedts.datasets import load_sunspots


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny network, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    y = load_sunspots()
    horizon = 22
    n_origins = 1 if args.fast else 3
    tables, fitted = [], {}
    for strategy in ("direct", "recursive"):
        estimator = GRURegressor(hidden_size=4, max_iter=3, random_state=0) if args.fast \
            else "gru"
        forecaster = Forecaster(estimator, horizon=horizon, strategy=strategy, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = backtest(forecaster, y, initial=len(y) - n_origins * horizon,
                              coverage=None)
            fitted[strategy] = forecaster.fit(y.iloc[:-horizon])
        tables.append(result.metrics.rename(index={result.metrics.index[0]:
                                                   f"GRU {strategy}"}))
    # Model rows first, then the baseline (identical in both backtests).
    table = pd.concat([t.iloc[:1] for t in tables] + [tables[0].iloc[1:]])
    table = table.drop(columns=["coverage", "width"])
    print(f"sunspots, {n_origins} rolling origin(s) x {horizon} years "
          f"(window {fitted['direct'].window_}, differences {fitted['direct'].difference_})")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    plot(y, horizon, fitted, args.out / "sunspots_long_horizon.png")


def plot(y, horizon, fitted, path):
    try:
        ax = plot_forecast(y.iloc[:-horizon], fitted["direct"].predict(),
                           actual=y.iloc[-horizon:], history=120, label="GRU direct")
    except ImportError as exc:
        print(f"no plot: {exc}")
        return
    recursive = fitted["recursive"].predict()
    ax.plot(recursive.index, recursive.to_numpy(), color="C2", lw=1.6, label="GRU recursive")
    ax.legend(loc="upper left", frameon=False)
    ax.set_title(f"sunspots: last {horizon} years held out")
    ax.figure.savefig(path, dpi=120)
    print(f"saved {path}")

if __name__ == "__main__":
    main()
