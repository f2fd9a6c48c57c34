"""
Gradient reach per time step: RNN, GRU and LSTM
===============================================

Backpropagation through time computes :math:`\\partial L / \\partial h_t`
for every step :math:`t` of the window by the chain rule through every later
step,

.. math::

   \\frac{\\partial L}{\\partial h_t} = \\frac{\\partial L}{\\partial h_{t+1}}
   \\frac{\\partial h_{t+1}}{\\partial h_t},

so the signal reaching step :math:`t` is a product of :math:`T - t`
Jacobians. For the plain tanh RNN that Jacobian is
:math:`\\mathrm{diag}(1 - h_{t+1}^2)\\, W_{hh}`: when its norm stays below 1
the product shrinks geometrically (the vanishing gradient), above 1 it can
explode. The GRU's :math:`h_t = (1 - z_t) n_t + z_t h_{t-1}` adds a direct
path scaled by :math:`z_t`, and the LSTM's cell :math:`c_t = f_t c_{t-1} +
\\ldots` one scaled by :math:`f_t`: gates near 1 let the gradient through.

:func:`~gatedts.analysis.diagnostics.gradient_reach` measures it on a fitted
network and real data: the norm of :math:`\\partial L / \\partial h_t` at
every step.
"""

# %%
# Three networks, one budget
# --------------------------
# Windows of 48 months of the logged airline series (each relative to its
# last value), a 12-month target, and the three cells sized to the same
# number of weights (about 800).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts.analysis.diagnostics import gradient_reach
from gatedts.analysis.plotting import plot_gradient_reach
from gatedts.analysis.tasks import hidden_size_for_architecture
from gatedts.datasets import load_airline
from gatedts.forecasting.windows import make_windows

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # short fits stop at max_iter

series = np.log(load_airline().to_numpy(float))
X, Y = make_windows(series, window=48, horizon=12)      # (n, 48, 1), (n, 12)
level = X[:, -1]
X, Y = X - level[:, None], Y - level

estimators = {"rnn": RNNRegressor, "gru": GRURegressor, "lstm": LSTMRegressor}
budget = 800
reach, curves = {}, {}
for cell, Estimator in estimators.items():
    hidden = hidden_size_for_architecture(cell, "last", budget, input_size=1, output_size=12)
    model = Estimator(hidden_size=hidden, max_iter=60, random_state=0).fit(X, Y)
    reach[cell.upper()] = gradient_reach(model, X, Y)
    curves[cell.upper()] = model.grad_norm_curve_
    weights = sum(v.size for v in model.params_.values())
    print(f"{cell.upper():>4}: {hidden} units, {weights} weights, "
          f"{model.n_iter_} epochs, final loss {model.loss_curve_[-1]:.4f}")

# %%
# The reach
# ---------
# Each line is :math:`\lVert \partial L / \partial h_t \rVert` against the number of
# steps before the end of the window, divided by its value at the last step
# (log scale). On the right, the gradient norm of every epoch of the fits.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
plot_gradient_reach(reach, ax=left, title="gradient reach over a 48-month window")
for name, curve in curves.items():
    right.plot(np.arange(1, len(curve) + 1), curve, label=name)
right.set(yscale="log", xlabel="epoch", ylabel="mean |gradient| (before clipping)",
          title="gradient norm during training")
right.legend(frameon=False)

# %%
# The ratio at a few distances, as numbers:
back = [0, 6, 12, 24, 47]
ratios = {name: frame.set_index("steps_to_end")["layer_0"].loc[back]
          / frame["layer_0"].iloc[-1] for name, frame in reach.items()}
for name, ratio in ratios.items():
    print(f"{name:>4}: " + "  ".join(f"{k:>2} back {v:9.3g}" for k, v in ratio.items()))

# %%
# Reading it
# ----------
# The textbook picture predicts that the RNN's line falls fastest. The
# measurement need not agree: it depends on the trained weights (a tanh RNN
# whose units stay out of saturation and whose recurrent matrix is small
# passes a slowly shrinking gradient) and on how far training went, so read
# the figure rather than the prediction.
#
# A line that drops by orders of magnitude says the first months of the
# window hardly move the loss, so training hardly learns from them: they
# might as well not be in the window. The measurement is of these trained
# networks on these windows; it changes with training (the gates learn when
# to open) and with the data. ``gradient_reach`` takes any fitted regressor
# and any windows, so the same check runs on your own model.
