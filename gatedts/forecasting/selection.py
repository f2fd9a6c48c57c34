"""Choosing the Forecaster's "auto" transforms by validation on the training part.

The textbook tests of :mod:`~gatedts.forecasting.seasonality` (Guerrero for
the log, seasonal strength for the seasonal difference, KPSS for the
difference) give a first answer, the *prior*. A test answers a question about
the whole series, not "which pipeline forecasts this series best", and on
some series it is wrong: on wineind (monthly wine sales) KPSS asks for a
difference after the seasonal one, and the network forecasts twice as badly
as with none. So every combination of the choices left on "auto" is also
scored by a cheap inner backtest on the training data only:

* ``n_origins`` forecast origins at the end of the training series, ``horizon``
  apart, each forecasting ``horizon`` steps from the data before it;
* a *proxy* model, a ridge autoregression on the same windows (milliseconds
  to fit, where the network takes seconds), stands in for the network: the
  question is which transforms make the series easy to forecast, and a
  linear model answers it much like a recurrent one;
* the score is the mean MASE over the origins (each scaled by the in-sample
  seasonal-naive error before its origin).

The prior is kept unless a candidate beats it by more than ``margin``
(relative), so the tests decide when validation cannot tell the candidates
apart, and validation overrules them when it can.

Measured on the development benchmark (``benchmarks/accuracy.py``, 43 series,
3 origins, default GRU), this validation does not pay yet, so the
Forecaster's default is ``validation_origins=0``. With the local level (the
default since 0.2): mean MASE 1.17 without validation, 1.49 with 3 origins.
Before it: 1.52 with the tests alone, 1.96 validating every choice, 1.91
validating the difference only, 1.58 with the difference only and a 20%
margin. A ridge autoregression extrapolates differently from a tanh network,
so the proxy's preferences do not carry over (on wineind it prefers the
extra difference that doubles the network's error). A proxy that behaves like
the network, cheaply, is the next thing to try.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["choose_transforms", "inner_origins", "scaled_error"]

#: How much better (relative mean MASE) a candidate must be to overrule the tests.
MARGIN = 0.05


def inner_origins(n_obs: int, horizon: int, n_origins: int, min_train: int) -> list[int]:
    """The last ``n_origins`` forecast origins of a series of ``n_obs`` values.

    Origin ``o`` means: train on ``y[:o]``, forecast ``y[o:o + horizon]``. The
    last origin is ``n_obs - horizon``, the others ``horizon`` apart before it;
    origins leaving fewer than ``min_train`` training values are dropped.
    """
    last = n_obs - horizon
    origins = [last - k * horizon for k in range(n_origins)]
    return sorted(o for o in origins if o >= min_train)


def scaled_error(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray,
                 seasonal_period: int) -> float:
    """MAE of ``forecast`` relative to the in-sample seasonal-naive MAE of ``history``.

    The seasonal lag falls back to 1 when the history is shorter than two
    seasons; a constant history gives a scale of 1.
    """
    m = seasonal_period if len(history) > 2 * seasonal_period else 1
    scale = np.mean(np.abs(history[m:] - history[:-m])) if len(history) > m else 0.0
    return float(np.mean(np.abs(actual - forecast)) / (scale if scale > 0 else 1.0))


def choose_transforms(values: np.ndarray, make_proxy: Callable[..., Any], prior: Mapping[str, Any],
                      options: Mapping[str, Sequence[Any]], *, horizon: int, seasonal_period: int,
                      n_origins: int = 3,
                      margin: float = MARGIN) -> tuple[dict[str, Any], pd.DataFrame]:
    """Pick the transforms whose proxy forecasts best, keeping ``prior`` unless beaten.

    Parameters
    ----------
    values : ndarray (n_obs,)
        The training series.
    make_proxy : callable
        ``make_proxy(**choice)`` returns an unfitted forecaster with
        ``fit(y)`` and ``predict(horizon)`` for one combination of choices.
    prior : dict
        The tests' choices, e.g. ``{"log": True, "seasonal_difference": True,
        "difference": 1}``.
    options : dict of str to sequence
        The values to try for each choice left on "auto"; choices absent here
        are fixed at their ``prior`` value.
    horizon, seasonal_period : int
    n_origins : int, default 3
    margin : float, default :data:`MARGIN`

    Returns
    -------
    choice : dict
        The chosen values, same keys as ``prior``.
    table : pandas.DataFrame
        One row per candidate: its choices, ``score`` (mean MASE over the
        origins; NaN when it could not be fitted), ``prior`` and ``chosen``
        flags. Empty when the series is too short to validate.
    """
    names = list(prior)
    grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(
        *[options.get(name, [prior[name]]) for name in names])]
    origins = inner_origins(len(values), horizon, n_origins, min_train=2 * horizon + 10)
    if len(grid) == 1 or not origins:
        return dict(prior), pd.DataFrame()
    scores = [_score(values, make_proxy(**candidate), origins, horizon, seasonal_period)
              for candidate in grid]
    table = pd.DataFrame(grid)
    table["score"] = scores
    table["prior"] = [candidate == prior for candidate in grid]
    prior_score = table.loc[table["prior"], "score"].iloc[0] if table["prior"].any() else np.nan
    best = int(np.nanargmin(table["score"])) if np.isfinite(table["score"]).any() else None
    choice = dict(prior)
    if best is not None and not (np.isfinite(prior_score)
                                 and prior_score <= table["score"][best] * (1 + margin)):
        choice = grid[best]
    table["chosen"] = [candidate == choice for candidate in grid]
    return choice, table


def _score(values, proxy, origins, horizon, seasonal_period):
    errors = []
    for origin in origins:
        history = values[:origin]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast = np.asarray(proxy.fit(history).predict(horizon), dtype=float)
        except ValueError:  # too short for this candidate's differences or window
            return np.nan
        if not np.all(np.isfinite(forecast)):
            return np.nan
        errors.append(scaled_error(values[origin: origin + horizon], forecast, history,
                                   seasonal_period))
    return float(np.mean(errors))
