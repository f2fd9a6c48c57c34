"""
GRU against LSTM: smaller, faster, better on long sequences?
============================================================

Two claims travel with the GRU: that it is *smaller and faster* than the
LSTM (three gate blocks instead of four), and that the LSTM, with its
separate cell state, is *better on long sequences*. This tutorial tests
both with gatedts' own tools: first at the same hidden size, then at the same
number of weights, which is the fair comparison.
"""

# %%
# Smaller? Count the weights
# --------------------------
# A one-layer cell with ``G`` gate blocks, ``H`` units and ``I`` inputs has
# ``G * H * (I + H + 2)`` recurrent weights and biases (G = 1 for the RNN,
# 3 for the GRU, 4 for the LSTM), plus the head.
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from gatedts.analysis.compare import compare_cells_on_series, default_budget
from gatedts.analysis.tasks import (
    architecture_parameters,
    compare_cells,
    hidden_size_for_architecture,
)
from gatedts.datasets import load_airline

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # short fits stop at max_iter

for hidden in (16, 32, 64):
    counts = {cell: architecture_parameters(cell, "last", hidden, input_size=1, output_size=12)
              for cell in ("rnn", "gru", "lstm")}
    print(f"H = {hidden:2d}: " + ", ".join(f"{c.upper()} {n}" for c, n in counts.items())
          + f"   GRU/LSTM {counts['gru'] / counts['lstm']:.2f}")

# %%
# At the same hidden size the GRU has about three quarters of the LSTM's
# weights, so "smaller" holds by construction. It also says that comparing
# a 32-unit GRU with a 32-unit LSTM gives the LSTM a third more capacity.
# The comparisons below give each cell the hidden size whose network comes
# closest to one budget:
budget = default_budget(12, 8)
for cell in ("rnn", "gru", "lstm"):
    print(f"{cell.upper():>4}: {hidden_size_for_architecture(cell, 'last', budget, 1, 12)} units "
          f"for a budget of {budget} weights")

# %%
# Faster and more accurate? A backtest at one budget
# --------------------------------------------------
# :func:`~gatedts.analysis.compare.compare_cells_on_series` is what
# ``gatedts compare`` prints: every cell a default ``Forecaster`` network at
# the same budget, the same seeds, the same rolling origins, with the
# training time per epoch (compilation excluded). Small here (2 seeds, 2
# origins, 40 epochs) to keep the build short.
y = load_airline()
table = compare_cells_on_series(y, budget=budget, seeds=2, max_iter=40, n_origins=2)
print(table[["hidden_size", "parameters", "seconds_per_epoch", "MASE", "MASE_sd"]].round(4)
      .to_string())

# %%
fig, (speed, error) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
cells = table.loc[["RNN", "GRU", "LSTM"]]
speed.bar(cells.index, 1000 * cells["seconds_per_epoch"], color=["C0", "C1", "C2"])
speed.set(ylabel="ms per epoch", title=f"training time at {budget} weights")
error.bar(cells.index, cells["MASE"], yerr=cells["MASE_sd"], color=["C0", "C1", "C2"])
error.axhline(table["MASE"].iloc[-1], color="grey", ls="--", lw=0.8, label="seasonal naive")
error.set(ylabel="MASE (lower is better)", title="airline, rolling origins")
error.legend(frameon=False)

# %%
# At one budget the GRU gets more units than the LSTM; whether it is faster
# per epoch then depends on the kernels and sizes, which is why the time is
# measured rather than assumed. The timings here come from whatever machine
# built this page, on tiny networks; ``benchmarks/README.md`` has the
# controlled ones (a training step against PyTorch, per cell and shape, on an
# idle machine: :doc:`/benchmarks`).
#
# Better on long sequences? The recall task
# -----------------------------------------
# The same budget for every cell on the recall task of
# :doc:`03_long_dependencies`, at a short and a long lag:
recall = compare_cells("recall", lengths=(10, 40), budget=600, n_train=600, n_test=200,
                       max_iter=10, random_state=0)
print(recall.pivot(index="length", columns="cell", values="test_r2").round(3).to_string())

# %%
# What the evidence says
# ----------------------
# * Smaller: yes per unit (3/4 of the LSTM's weights), and at an equal
#   budget the GRU gets more units instead.
# * Faster: per unit, a GRU step does 3/4 of the LSTM's multiply-adds; per
#   epoch at equal budget, see the measured table above and, for controlled
#   measurements, the benchmarks page.
# * Better on long sequences: the small fits above are a sketch, not a
#   verdict. ``python examples/long_dependencies.py`` runs the cells at full
#   size (2000 weights, 2000 sequences, up to 30 epochs, lags 10 to 200);
#   its results are not recorded in ``benchmarks/README.md``, so this page
#   quotes none. On real series, the earlier 43-series version of the
#   accuracy benchmark (:doc:`/benchmarks`) gave the default GRU a mean MASE
#   of 1.17 and the default LSTM 1.19: no general winner between the two cells.
