"""Tuning a GRU with GridSearchCV and TimeSeriesSplit, then forecasting with the winner.
=====================================================================================

The airline training years are transformed as the Forecaster does (log,
seasonal difference, standardisation), cut into flat lag rows
(``make_flat_windows``) and searched over ``hidden_size`` and the L2
penalty ``alpha`` inside a ``Pipeline(WindowTransformer, GRURegressor)``.
``TimeSeriesSplit(gap=horizon - 1)`` keeps every validation window after its
training windows, with no target shared between them. The best setting is
then handed to a ``Forecaster`` and compared with the defaults on 1960.

Usage::

    python examples/tuning_gridsearch.py [--fast] [--out DIR]
"""

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from gatedts import Forecaster, GRURegressor
from gatedts.datasets import load_airline
from gatedts.forecasting.metrics import mape
from gatedts.forecasting.windows import WindowTransformer, make_flat_windows


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="a 2-point grid of tiny networks (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    y = load_airline()
    train, test = y.iloc[:-12], y.iloc[-12:]
    window, horizon = 24, 12
    z = np.log(train).diff(12).dropna()
    z = (z - z.mean()) / z.std()
    X, Y = make_flat_windows(z, window, horizon)
    if args.fast:
        grid = {"gru__hidden_size": [4], "gru__alpha": [0.05, 0.5]}
        max_iter, splits = 3, 2
    else:
        grid = {"gru__hidden_size": [8, 32], "gru__alpha": [0.005, 0.015, 0.05, 0.15, 0.5]}
        max_iter, splits = 300, 3
    pipe = Pipeline([("windows", WindowTransformer(window, horizon)),
                     ("gru", GRURegressor(max_iter=max_iter, random_state=0))])
    search = GridSearchCV(pipe, grid, cv=TimeSeriesSplit(n_splits=splits, gap=horizon - 1),
                          scoring="neg_mean_squared_error")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, Y)
    results = pd.DataFrame(search.cv_results_)
    results = results.rename(columns=lambda c: c.replace("param_gru__", ""))
    results["cv_mse"] = -results["mean_test_score"]
    print(f"{len(X)} training windows, {splits} time-series folds")
    print(results[["hidden_size", "alpha", "cv_mse", "std_test_score"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    best = {k.split("__")[1]: v for k, v in search.best_params_.items()}
    print(f"best: {best}")
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tuned = Forecaster(GRURegressor(max_iter=max_iter, random_state=0, **best), window=window,
                           horizon=horizon).fit(train)
        rows["tuned GRU"] = mape(test, tuned.predict())
        default = Forecaster(GRURegressor(hidden_size=4, max_iter=3, random_state=0)
                             if args.fast else "gru", horizon=horizon, random_state=0).fit(train)
        rows["default GRU"] = mape(test, default.predict())
    print(pd.Series(rows, name="MAPE on 1960 (%)").to_string(float_format=lambda v: f"{v:.2f}"))
    plot(results, args.out / "tuning_gridsearch.png")


def plot(results, path):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib not installed: no plot (pip install 'gatedts[plot]')")
        return
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for k, (size, group) in enumerate(results.groupby("hidden_size")):
        group = group.sort_values("alpha")
        ax.errorbar(group["alpha"].astype(float), group["cv_mse"], yerr=group["std_test_score"],
                    marker="o", capsize=3, color=f"C{k}", label=f"hidden_size={size}")
    ax.set_xscale("log")
    ax.set_xlabel("alpha (L2 weight decay)")
    ax.set_ylabel("cross-validated MSE (standardised)")
    ax.set_title("GRU on airline: TimeSeriesSplit validation curve")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
