"""Airline passengers: GRU vs LSTM vs RNN vs seasonal naive on the 1960 hold-out.
==============================================================================

Every network is a ``Forecaster`` with its defaults (log transform, seasonal
difference, 24-month window, direct 12-step output, L2-regularised 32-unit
network), averaged over a few seeds; seasonal naive repeats 1959.

Usage::

    python examples/airline_gru_lstm_rnn.py [--fast] [--out DIR]
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from gatedts import Forecaster, GRURegressor, LSTMRegressor, RNNRegressor
from gatedts.datasets import load_airline
from gatedts.forecasting.baselines import SeasonalNaive
from gatedts.forecasting.metrics import mape, mase, smape

CELLS = {"GRU": GRURegressor, "LSTM": LSTMRegressor, "RNN": RNNRegressor}


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny networks, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    y = load_airline()
    train, test = y.iloc[:-12], y.iloc[-12:]
    seeds = [0] if args.fast else [0, 1, 2, 3, 4]
    rows, forecasts = [], {}
    for name, cls in CELLS.items():
        preds, start = [], time.perf_counter()
        for seed in seeds:
            # Fast mode swaps the default network for a tiny one; the pipeline is the same.
            estimator = (cls(hidden_size=4, max_iter=5, random_state=seed) if args.fast
                         else name.lower())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = Forecaster(estimator, horizon=12, random_state=seed).fit(train)
            preds.append(f.predict())
        seconds = (time.perf_counter() - start) / len(seeds)
        mapes = [mape(test, p) for p in preds]
        forecasts[name] = pd.concat(preds, axis=1).mean(axis=1)
        rows.append({"model": name, "MAPE": np.mean(mapes), "MAPE sd": np.std(mapes),
                     "sMAPE": np.mean([smape(test, p) for p in preds]),
                     "MASE": np.mean([mase(test, p, train, 12) for p in preds]),
                     "fit s": seconds})
    naive = SeasonalNaive(12).fit(train).predict(12)
    forecasts["seasonal naive"] = naive
    rows.append({"model": "seasonal naive", "MAPE": mape(test, naive), "MAPE sd": 0.0,
                 "sMAPE": smape(test, naive), "MASE": mase(test, naive, train, 12),
                 "fit s": 0.0})
    table = pd.DataFrame(rows).set_index("model")
    print(f"airline, 1960 held out, {len(seeds)} seed(s) per network "
          "(log-SARIMA(0,1,1)(0,1,1)12 reference: MAPE 2.90)")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    plot(y, test, forecasts, args.out / "airline_gru_lstm_rnn.png")


def plot(y, test, forecasts, path):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib not installed: no plot (pip install 'gatedts[plot]')")
        return
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    history = y.iloc[-48:]
    ax.plot(history.index, history.to_numpy(), color="0.2", label="observed")
    for k, (name, forecast) in enumerate(forecasts.items()):
        ax.plot(forecast.index, forecast.to_numpy(), color=f"C{k}", lw=1.6,
                ls=":" if name == "seasonal naive" else "-", label=name)
    ax.set_title("airline passengers: forecasts of 1960")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=120)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
