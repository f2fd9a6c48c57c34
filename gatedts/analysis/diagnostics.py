"""Looking inside a fitted network: gate activations, attention and how far gradients reach.

``gate_traces`` returns what every gate did at every time step,
``attention_weights`` where a network with ``head="attention"`` looked, and
``gradient_reach`` the norm of dLoss/dh_t at every step t: how much the loss
still depends on the state t steps before the end, the vanishing (or
exploding) gradient measured on the user's own model and data. The per-epoch
gradient norm of a fit is the estimator's ``grad_norm_curve_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ..nn import functional as F

if TYPE_CHECKING:
    from ..estimators import GRURegressor, LSTMRegressor, RNNRegressor

    Recurrent = GRURegressor | LSTMRegressor | RNNRegressor


def _network(estimator):
    """The fitted network of ``estimator`` in float64: its spec and its parameters."""
    check_is_fitted(estimator, "params_")
    params = {k: v.astype(np.float64) for k, v in estimator.params_.items()}
    return estimator.network_spec_.replace(dtype=np.dtype(np.float64)), params


@overload
def gate_traces(estimator: Recurrent, X: ArrayLike, *, sample: None = None,
                index: ArrayLike | None = None) -> tuple[dict[str, np.ndarray], ...]: ...
@overload
def gate_traces(estimator: Recurrent, X: ArrayLike, *, sample: int,
                index: ArrayLike | None = None) -> pd.DataFrame: ...
def gate_traces(estimator: Recurrent, X: ArrayLike, *, sample: int | None = None,
                index: ArrayLike | None = None) -> tuple[dict[str, np.ndarray], ...] | pd.DataFrame:
    """Every gate activation of a fitted GRU/LSTM/RNN regressor on ``X``.

    Parameters
    ----------
    estimator : fitted GRURegressor, LSTMRegressor or RNNRegressor
    X : array-like (n_samples, n_timesteps[, n_features])
        As for ``estimator.predict`` (and scaled like it: the gates see the
        network's input).
    sample : int, optional
        Return the traces of this one sequence as a DataFrame instead.
    index : array-like of length n_timesteps, optional
        Row labels of that DataFrame (e.g. the window's timestamps).

    Returns
    -------
    tuple of dict or pandas.DataFrame
        Without ``sample``: one dict per layer mapping a name to a float64 array
        ``(n_samples, n_timesteps, H_k)``: GRU ``r`` (reset), ``z`` (update),
        ``n`` (candidate), ``h``; LSTM ``i``, ``f``, ``g``, ``o``, ``c`` (cell
        state), ``h``; RNN ``h``. With ``sample``: rows are time steps, columns
        a MultiIndex (layer, name, unit).
    """
    spec, params = _network(estimator)
    inputs = np.asarray(estimator.network_input(X), dtype=np.float64)
    traces = F.forward(spec, params, inputs, return_gates=True, check_input=False).gates
    assert traces is not None  # asked for
    if sample is None:
        return traces
    blocks = {(layer, name, unit): values[sample, :, unit]
              for layer, layer_traces in enumerate(traces)
              for name, values in layer_traces.items()
              for unit in range(values.shape[2])}
    frame = pd.DataFrame(blocks, index=index)
    frame.columns.names = ["layer", "name", "unit"]
    frame.index.name = frame.index.name or "step"
    return frame


def attention_weights(estimator: Recurrent, X: ArrayLike, *,
                      sample: int | None = None,
                      index: ArrayLike | None = None) -> np.ndarray | pd.Series:
    """The attention weights of a regressor fitted with ``head="attention"``.

    Parameters
    ----------
    estimator : fitted GRURegressor, LSTMRegressor or RNNRegressor with ``head="attention"``
    X : array-like (n_samples, n_timesteps[, n_features])
        As for ``estimator.predict``.
    sample : int, optional
        Return the weights of this one sequence as a Series instead.
    index : array-like of length n_timesteps, optional
        Labels of that Series (e.g. the window's timestamps).

    Returns
    -------
    ndarray (n_samples, n_timesteps) or pandas.Series
        Oldest step first; each row sums to 1 (see
        :meth:`~gatedts.GRURegressor.attention_weights`).
    """
    weights = estimator.attention_weights(X)
    if sample is None:
        return weights
    series = pd.Series(weights[sample], index=index, name="attention")
    series.index.name = series.index.name or "step"
    return series


def gradient_reach(estimator: Recurrent, X: ArrayLike, y: ArrayLike) -> pd.DataFrame:
    """Norm of dLoss/dh_t at every time step t, for every layer.

    The loss is the estimator's training loss (mean over samples and outputs)
    on ``(X, y)``, standardised like the training data when the estimator
    has ``scaling``; dLoss/dh_t is the full derivative, through every later
    step, as back-propagation computes it. A norm that falls by orders of
    magnitude towards the start of the window means the first steps barely
    influence training: the vanishing gradient.

    Parameters
    ----------
    estimator : fitted GRURegressor, LSTMRegressor or RNNRegressor
    X : array-like (n_samples, n_timesteps[, n_features])
    y : array-like (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    pandas.DataFrame
        One row per time step (``step`` 0 is the oldest; ``steps_to_end`` how
        far it lies from the last step), one column ``layer_k`` per layer:
        the Frobenius norm of dLoss/dh_t over samples and units.
    """
    spec, params = _network(estimator)
    X, y = estimator.network_input(X, y)
    _, _, inputs = F.loss_and_grad(spec, params, X.astype(np.float64), y, loss=estimator.loss,
                                   return_input_grads=True, check_input=False)
    n_steps = X.shape[1]
    frame = pd.DataFrame({f"layer_{k}": np.sqrt(np.einsum("bth,bth->t", dh, dh))
                          for k, dh in enumerate(inputs["dh"])})
    frame.index.name = "step"
    frame.insert(0, "steps_to_end", np.arange(n_steps - 1, -1, -1))
    return frame
