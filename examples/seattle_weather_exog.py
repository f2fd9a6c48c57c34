"""Seattle daily maximum temperature with exogenous columns, past and future-known.
================================================================================

Three forecasters of ``temp_max`` one week ahead, scored by a rolling-origin
backtest over the last year:

* no exog: the temperature history alone;
* past exog: yesterday's ``temp_min``, ``precipitation`` and ``wind`` as
  extra input features (known only up to the forecast origin);
* plus calendar: also the day-of-year as ``sin``/``cos`` columns, which are
  known in advance and so given for the forecast days too (``future_exog``).

Usage::

    python examples/seattle_weather_exog.py [--fast] [--out DIR]
"""

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from gatedts import Forecaster, GRURegressor, backtest
from gatedts.analysis.plotting import plot_backtest
from gatedts.datasets import load_seattle_weather


def calendar(index):
    angle = 2 * np.pi * index.day_of_year / 365.25
    return pd.DataFrame({"doy_sin": np.sin(angle), "doy_cos": np.cos(angle)}, index=index)


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny network and two origins, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    weather = load_seattle_weather()
    y = weather["temp_max"]
    past = weather[["temp_min", "precipitation", "wind"]]
    horizon = 7
    n_origins = 2 if args.fast else 52
    variants = {
        "no exog": (None, None),
        "past exog": (past, None),
        "past exog + calendar": (past.join(calendar(y.index)), ["doy_sin", "doy_cos"]),
    }
    rows, results = [], {}
    for name, (exog, future) in variants.items():
        estimator = GRURegressor(hidden_size=4, max_iter=3, random_state=0) if args.fast \
            else "gru"
        forecaster = Forecaster(estimator, horizon=horizon, future_exog=future, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # refit=4: a new fit every 4 weeks, the new days fed in between (faster).
            result = backtest(forecaster, y, exog=exog, initial=len(y) - n_origins * horizon,
                              refit=4, coverage=0.8)
        results[name] = result
        rows.append(result.metrics.iloc[0].rename(name))
    rows.append(result.metrics.iloc[1])
    table = pd.DataFrame(rows)
    print(f"seattle temp_max, {n_origins} weekly origins x {horizon} days, 80% intervals")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    try:
        ax = plot_backtest(results["past exog + calendar"], y, baseline=True,
                           title="seattle temp_max: weekly forecasts with exogenous columns")
    except ImportError as exc:
        print(f"no plot: {exc}")
        return
    path = args.out / "seattle_weather_exog.png"
    ax.figure.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
