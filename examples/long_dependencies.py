"""How far back can RNN, GRU and LSTM remember? The adding problem and a recall task.

Each cell gets the same parameter budget, the same data and the same training
(Adam, clipping at 1), at growing sequence lengths; the table gives held-out
R² and whether it reached 0.9 ("solved"), and the plot shows R² against length.

    python examples/long_dependencies.py [--fast] [--out DIR]
"""

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from gatedts.analysis.tasks import compare_cells


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny budget, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    if args.fast:
        settings = {"lengths": (5, 20), "n_train": 256, "n_test": 128, "max_iter": 2,
                    "budget": 300}
    else:
        settings = {"lengths": (10, 50, 100, 200), "n_train": 2000, "n_test": 500,
                    "max_iter": 30, "budget": 2000}
    start = time.perf_counter()
    tables = [compare_cells(task, verbose=not args.fast, random_state=0, **settings)
              for task in ("adding", "recall")]
    table = pd.concat(tables, ignore_index=True)
    wide = table.pivot_table(index=["task", "length"], columns="cell", values="test_r2")
    print("held-out R² with equal parameter budgets (solved: R² >= 0.9)")
    print(wide[["rnn", "gru", "lstm"]].round(3).to_string())
    print()
    print(table[["task", "length", "cell", "hidden_size", "parameters", "solved",
                 "seconds_per_epoch"]].to_string(index=False))
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    plot(table, args.out / "long_dependencies.png")


def plot(table, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'gatedts[plot]'): no plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (task, part) in zip(axes, table.groupby("task"), strict=True):
        for cell, rows in part.groupby("cell"):
            ax.plot(rows["length"], rows["test_r2"].clip(lower=-0.2), marker="o", label=cell)
        ax.axhline(0.9, color="grey", linestyle=":", linewidth=1)
        ax.set(title=f"{task} task", xlabel="sequence length / lag", xscale="log")
    axes[0].set_ylabel("held-out R²")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
