"""The ensemble stage of a Forecaster: training its members and combining their forecasts.

Every member is trained on the same windows (:func:`fit_members`) and their
forecasts are combined by the median (:func:`predict_members`). A regressor
without 3-D input support gets each window flattened into one row.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import get_tags

from ..estimators import ESTIMATORS
from ._progress import fit_bar

__all__ = ["fit_members", "fit_network", "model_label", "network_input", "predict_members"]


def fit_network(estimator, X, y, *, label="network", bar=False, **fit_params):
    """Fit one network of a forecast; Ctrl-C during its training raises KeyboardInterrupt.

    The estimators turn Ctrl-C into a graceful stop (best weights so far,
    ``interrupted_`` set, a RuntimeWarning): right for a direct ``fit``, but a
    forecast, an interval calibration or a backtest built on that network
    would go on half-trained without a word. Here the warning is swallowed and
    the interrupt passed on once the network has stopped. With ``bar``, a
    progress bar over its epochs (:func:`~gatedts.forecasting._progress.fit_bar`).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*training interrupted",
                                category=RuntimeWarning)
        with fit_bar(bar, label):
            estimator.fit(X, y, **fit_params)
    if getattr(estimator, "interrupted_", False):
        raise KeyboardInterrupt(f"{label}: training interrupted after "
                                f"{getattr(estimator, 'n_iter_', '?')} epoch(s)")
    return estimator


def model_label(estimator) -> str:
    """A network's name on its bar: "GRU" for a GRURegressor, else its class name."""
    name = type(estimator).__name__
    return name.removesuffix("Regressor") if type(estimator) in ESTIMATORS.values() else name


def network_input(estimator, X: np.ndarray) -> np.ndarray:
    """Windows ``X`` as ``estimator`` takes them: as is, or one flat row per window."""
    if get_tags(estimator).input_tags.three_d_array:
        return X
    return X.reshape(len(X), -1)


def fit_members(members, X, Y, X_future=None, *, decoder=False, verbose=0, labels=None,
                default_budget=False):
    """Train every member on windows ``X`` and targets ``Y`` (n_windows, horizon).

    ``default_budget``: the members are default networks, whose epoch budget
    is deliberate, so their max-iteration warning is not shown. ``verbose == 1``
    shows a progress bar per member, named by ``labels`` (default: the cell and
    the member's number). Returns ``members``, fitted in place.
    """
    y = Y[:, 0] if Y.shape[1] == 1 and not decoder else Y
    extra = {} if X_future is None else {"X_future": X_future}
    with warnings.catch_warnings():
        if default_budget:
            warnings.filterwarnings("ignore", message=".*maximum iterations",
                                    category=ConvergenceWarning)
        for k, estimator in enumerate(members):
            label = model_label(estimator) + (f" {k + 1}/{len(members)}" if len(members) > 1
                                              else "")
            label = label if labels is None else labels[k]
            fit_network(estimator, network_input(estimator, X), y, label=label,
                        bar=verbose == 1, **extra)
    return members


def predict_members(members, X: np.ndarray, X_future: np.ndarray | None = None) -> np.ndarray:
    """The members' predictions for windows ``X``, combined by their median."""
    X = network_input(members[0], X)
    extra = {} if X_future is None else {"X_future": X_future}
    preds = [np.reshape(estimator.predict(X, **extra), (len(X), -1)) for estimator in members]
    return preds[0] if len(preds) == 1 else np.median(preds, axis=0)
