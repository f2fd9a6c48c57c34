"""How far back can RNN, GRU and LSTM remember? The adding problem and a recall task.
==================================================================================

Each cell gets the same parameter budget, the same data and the same training
(Adam, clipping at 1), at growing sequence lengths; the table gives held-out
R² and whether it reached 0.9 ("solved"), and the plot shows R² against length.
A second table compares architectures of the GRU on the recall task at the
same budget: the plain last-state head, the attention head (which can look
back at the marked step directly) and bidirectional layers (whose reverse
direction reads the marked step last), R² per lag, as a markdown table.

Usage::

    python examples/long_dependencies.py [--fast] [--only cells|architectures] [--out DIR]
"""

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from gatedts.analysis.tasks import compare_architectures, compare_cells


def main():
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--fast", action="store_true", default=bool(os.environ.get("GATEDTS_FAST")),
                        help="tiny budget, a few seconds (also GATEDTS_FAST=1)")
    parser.add_argument("--only", choices=("cells", "architectures"),
                        help="run one of the two comparisons")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNG")
    args = parser.parse_args()
    if args.fast:
        settings = {"lengths": (5, 20), "n_train": 256, "n_test": 128, "max_iter": 2,
                    "budget": 300}
        lags = (5, 20)
    else:
        settings = {"lengths": (10, 50, 100, 200), "n_train": 2000, "n_test": 500,
                    "max_iter": 30, "budget": 2000}
        lags = (10, 25, 50, 100)
    start = time.perf_counter()
    table = architectures = None
    if args.only != "architectures":
        tables = [compare_cells(task, verbose=not args.fast, random_state=0, **settings)
                  for task in ("adding", "recall")]
        table = pd.concat(tables, ignore_index=True)
        wide = table.pivot_table(index=["task", "length"], columns="cell", values="test_r2")
        print("held-out R² with equal parameter budgets (solved: R² >= 0.9)")
        print(wide[["rnn", "gru", "lstm"]].round(3).to_string())
        print()
        print(table[["task", "length", "cell", "hidden_size", "parameters", "solved",
                     "seconds_per_epoch"]].to_string(index=False))
        print()
    if args.only != "cells":
        architectures = compare_architectures(
            "recall", verbose=not args.fast, random_state=0,
            **{**settings, "lengths": lags})
        print(architecture_table(architectures))
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    plot(table, architectures, args.out / "long_dependencies.png")


def architecture_table(table):
    """Markdown: held-out R² per lag (rows) and architecture (columns), with their sizes."""
    names = list(dict.fromkeys(table["architecture"]))
    first = table.drop_duplicates("architecture").set_index("architecture")
    header = [f"{name} (H={first.loc[name, 'hidden_size']}, "
              f"{first.loc[name, 'parameters']} params)" for name in names]
    lines = [f"recall task, {table['cell'].iloc[0].upper()}, held-out R² per lag at equal "
             "parameter budget", "",
             "| lag | " + " | ".join(header) + " |",
             "|---:|" + "---:|" * len(names)]
    for lag, rows in table.groupby("length"):
        r2 = rows.set_index("architecture")["test_r2"]
        lines.append(f"| {lag} | " + " | ".join(f"{r2[name]:.3f}" for name in names) + " |")
    return "\n".join(lines)


def plot(table, architectures, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'gatedts[plot]'): no plot")
        return
    panels = ([] if table is None else list(table.groupby("task"))) + (
        [] if architectures is None else [("recall, GRU architectures", architectures)])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), sharey=True,
                             squeeze=False)
    for ax, (task, part) in zip(axes[0], panels, strict=True):
        column = "architecture" if "architecture" in part else "cell"
        for name, rows in part.groupby(column, sort=False):
            ax.plot(rows["length"], rows["test_r2"].clip(lower=-0.2), marker="o", label=name)
        ax.axhline(0.9, color="grey", linestyle=":", linewidth=1)
        ax.set(title=task if column == "architecture" else f"{task} task",
               xlabel="sequence length / lag", xscale="log")
        ax.legend()
    axes[0, 0].set_ylabel("held-out R²")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main()
