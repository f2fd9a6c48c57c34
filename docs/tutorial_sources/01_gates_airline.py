"""
Gate activations over a year of airline data
============================================

A GRU unit updates its state with two gates (the PyTorch form,
``reset_after=True``, gatedts' default):

.. math::

   r_t &= \\sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\\\
   z_t &= \\sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\\\
   n_t &= \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{t-1} + b_{hn})) \\\\
   h_t &= (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}

The update gate :math:`z` decides how much of the old state to keep (near 1:
keep it), the reset gate :math:`r` how much of it enters the candidate
:math:`n`. The LSTM keeps a separate cell state with three gates:

.. math::

   c_t = f_t \\odot c_{t-1} + i_t \\odot g_t, \\qquad h_t = o_t \\odot \\tanh(c_t)

with the forget gate :math:`f` (near 1: keep the cell), the input gate
:math:`i` and the output gate :math:`o`. Here both cells forecast the
monthly airline passengers of 1960 from a 24-month window, and we look at
what every gate did during 1959, the last year of that window.
"""

# %%
# Two forecasters
# ---------------
# Default ``Forecaster`` pipelines (the "auto" transforms and window) with
# 16-unit networks and at most 100 epochs, fitted on 1949-1959.
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from gatedts import Forecaster
from gatedts.analysis.compare import gate_frame, window_gates
from gatedts.analysis.plotting import plot_gate_heatmap
from gatedts.datasets import load_airline
from gatedts.forecasting.metrics import mape

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # short fits stop at max_iter

y = load_airline()
train, test = y.iloc[:-12], y.iloc[-12:]
forecasters = {}
for cell in ("gru", "lstm"):
    forecasters[cell] = Forecaster(cell, horizon=12, random_state=0,
                                   network_options={"hidden_size": 16, "max_iter": 100})
    forecasters[cell].fit(train)
    f = forecasters[cell]
    print(f"{cell.upper():>4}: log {f.log_}, seasonal difference {f.seasonal_difference_}, "
          f"window {f.window_} months, MAPE on 1960 {mape(test, f.predict()):.1f}%")

# %%
# The gates during 1959
# ---------------------
# :func:`~gatedts.analysis.compare.window_gates` runs the fitted network on the
# window it forecasts from and returns every activation, one row per month;
# :func:`~gatedts.analysis.compare.gate_frame` picks one gate (months x units).
gates = {cell: window_gates(f, steps=12) for cell, f in forecasters.items()}
panels = [("gru", "r", "GRU reset gate r"), ("gru", "z", "GRU update gate z"),
          ("lstm", "i", "LSTM input gate i"), ("lstm", "f", "LSTM forget gate f"),
          ("lstm", "o", "LSTM output gate o")]
fig, axes = plt.subplots(len(panels), 1, figsize=(8, 11), layout="constrained")
for ax, (cell, name, label) in zip(axes, panels, strict=True):
    plot_gate_heatmap(gate_frame(gates[cell], name), ax=ax, title=f"{label}, 1959")

# %%
# Each heat map has one row per unit and one column per month. The mean over
# the units, and how far any one unit's gate swings over the year:
means = pd.DataFrame({label: gate_frame(gates[cell], name).mean(axis=1)
                      for cell, name, label in panels}).T
means.columns = [f"{t:%b}" for t in means.columns]
means["max swing"] = [(gate_frame(gates[c], n).max() - gate_frame(gates[c], n).min()).max()
                      for c, n, _ in panels]
print(means.round(2).to_string())

# %%
# What to look for
# ----------------
# A unit whose update or forget gate stays near 1 all year is a slow memory:
# it carries its state across months (the level, the trend). A unit whose
# gate swings with the months reacts to the season; when the Forecaster logs
# and seasonally differences the series (the choices printed above), the
# input is the standardised change from a year before. A gate that barely
# moves (a small
# "max swing") acts as a constant. These networks are small and briefly
# trained, for the sake of the build; ``examples/airline_gates_walkthrough.py``
# does the same at the default budget, with the gradient reach and the
# equal-budget comparison (:ref:`its gallery page
# <sphx_glr_auto_examples_airline_gates_walkthrough.py>`).
