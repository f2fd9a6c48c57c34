"""Airline passengers, inside the gates: a walk through GRU, LSTM and RNN forecasters.
===================================================================================

1. Fit RNN, GRU and LSTM forecasters on 1949-1959 with the same parameter
   budget (that of the default 32-unit GRU) and forecast 1960.
2. Gate heat maps over a year, the last 12 months of the input window
   (1959): GRU reset r and update z, LSTM input i, forget f and output o,
   units x months. In both cells a gate near 1 keeps the old state
   (GRU: h = (1 - z) n + z h_prev; LSTM: c = f c_prev + i g).
3. Gradient reach: the norm of dLoss/dh_t against the number of steps back,
   on the training windows (log scale), and the gradient norm per epoch.
4. The equal-budget comparison of ``gatedts compare``: a rolling-origin
   backtest (3 origins x 12 months), mean ± sd over 5 seeds.

Usage::

    python examples/airline_gates_walkthrough.py [--fast] [--out DIR]
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gatedts.analysis.compare import (
    compare_cells_on_series,
    comparison_figure,
    default_budget,
    describe_comparison,
    fit_at_origin,
    format_comparison,
    gate_frame,
    network,
    training_windows,
    window_gates,
)
from gatedts.analysis.diagnostics import gradient_reach
from gatedts.datasets import load_airline
from gatedts.forecasting.metrics import mape
from gatedts.nn.params import hidden_size_for_budget

GATES = [("gru", "r", "GRU reset gate r"), ("gru", "z", "GRU update gate z"),
         ("lstm", "i", "LSTM input gate i"), ("lstm", "f", "LSTM forget gate f"),
         ("lstm", "o", "LSTM output gate o")]


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny networks, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNGs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    y = load_airline()
    horizon, origin = 12, len(y) - 12
    budget = default_budget(horizon, 4 if args.fast else 32)
    max_iter = 5 if args.fast else None

    print(f"1. fit on {y.index[0]:%Y-%m} .. {y.index[origin - 1]:%Y-%m}, forecast 1960; "
          f"budget {budget} parameters per network")
    fitted = {}
    for cell in ("rnn", "gru", "lstm"):
        hidden = hidden_size_for_budget(cell, budget, 1, horizon)
        fitted[cell] = fit_at_origin(y, cell, hidden, horizon=horizon, origin=origin, seed=0,
                                     max_iter=max_iter)
        net = network(fitted[cell])
        print(f"   {cell.upper():>4}: {hidden:>3} units, {fitted[cell].estimator_.n_parameters_} "
              f"parameters, {net.n_iter_} epochs, MAPE 1960 "
              f"{mape(y.iloc[origin:], fitted[cell].predict()):.2f}%")

    print("\n2. gates over 1959 (the last 12 months of the input window), mean over units:")
    gates = {cell: window_gates(fitted[cell], steps=12) for cell in ("gru", "lstm")}
    frames = {label: gate_frame(gates[cell], name) for cell, name, label in GATES}
    means = pd.DataFrame({label: frame.mean(axis=1) for label, frame in frames.items()}).T
    means.columns = [f"{t:%b}" for t in means.columns]
    # How much any one unit's gate moves over the year: near 0, the gate is a constant.
    means["max swing"] = [(frame.max() - frame.min()).max() for frame in frames.values()]
    print(means.round(2).to_string())
    plot_gates(gates, args.out / "airline_gates_walkthrough.png")

    print("\n3. gradient reach on the training windows: |dL/dh_t| / |dL/dh_T|")
    reach, curves = {}, {}
    for cell, forecaster in fitted.items():
        X, Y = training_windows(forecaster)
        reach[cell.upper()] = gradient_reach(network(forecaster), X, Y)
        curves[cell.upper()] = network(forecaster).grad_norm_curve_
    window = len(next(iter(reach.values())))
    back = [k for k in (0, 1, 3, 6, 12, 18, window - 1) if k < window]
    ratios = pd.DataFrame({name: (frame.set_index("steps_to_end")["layer_0"]
                                  / frame["layer_0"].iloc[-1]).loc[back]
                           for name, frame in reach.items()})
    print(ratios.to_string(float_format=lambda v: f"{v:.3g}"))
    plot_gradients(reach, curves, args.out / "airline_gates_walkthrough_gradients.png")

    print("\n4. equal-budget comparison (what `gatedts compare` prints):")
    table = compare_cells_on_series(y, fast=args.fast)
    print(describe_comparison(table))
    print(format_comparison(table))
    try:
        save(comparison_figure(y, table), args.out / "airline_gates_walkthrough_comparison.png")
    except ImportError as exc:
        print(f"no plot: {exc}")
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


def plot_gates(gates, path):
    try:
        from matplotlib.figure import Figure

        from gatedts.analysis.plotting import plot_gate_heatmap
    except ImportError:
        print("matplotlib not installed: no plot (pip install 'gatedts[plot]')")
        return
    fig = Figure(figsize=(8, 11), layout="constrained")
    axes = fig.subplots(len(GATES), 1)
    for ax, (cell, name, label) in zip(axes, GATES, strict=True):
        plot_gate_heatmap(gate_frame(gates[cell], name), ax=ax, title=f"{label}, 1959")
    save(fig, path)


def plot_gradients(reach, curves, path):
    try:
        from matplotlib.figure import Figure

        from gatedts.analysis.plotting import plot_gradient_reach
    except ImportError:
        return
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_gradient_reach(reach, ax=left, title="gradient reach (trained networks)")
    for name, curve in curves.items():
        right.plot(np.arange(1, len(curve) + 1), curve, label=name)
    right.set(yscale="log", xlabel="epoch", ylabel="mean |gradient| (before clipping)",
              title="gradient norm during training")
    right.grid(alpha=0.3)
    right.legend(frameon=False)
    save(fig, path)


def save(fig, path):
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
