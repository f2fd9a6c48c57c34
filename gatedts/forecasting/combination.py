"""The combination stage of ``Forecaster("auto")``: its members, weighted by evidence.

``Forecaster("auto")`` forecasts with seven kinds of member and combines them:

* the local networks it trains (a GRU and an LSTM at least, see
  :class:`~gatedts.forecasting.ensemble.Members`), each forecasting on its own;
* a linear autoregression on the same windows
  (:class:`~gatedts.forecasting.baselines.LinearAutoregression`);
* the pretrained network of :mod:`gatedts.pretrained`, zero-shot;
* seasonal naive (the last season repeated; the last value when ``m = 1``);
* drift (the last value plus the mean change of the history per step);
* Holt's damped trend on the seasonally adjusted series
  (:func:`~gatedts.forecasting.baselines.damped_trend_forecast`).

The weights come from inner rolling origins of the training series, the way
the conformal calibration makes its forecasts
(:func:`~gatedts.forecasting.conformal.fit_before`): a copy with the same
resolved transforms, combining its members with equal weights, is fitted
without the last ``INNER_ORIGINS + horizon - 1`` observations, and every
member forecasts ``horizon`` steps from each of the ``INNER_ORIGINS`` origins
that follow, without refitting (fewer origins when the series is short). A
member's score is its mean absolute error over those forecasts, and its weight
is proportional to the inverse of the squared score (Bates & Granger 1969):
members that forecast the recent past badly count little. When not even one
origin fits, the members get equal weights. (The members and the rule were
chosen on the training parts of the development benchmark:
``benchmarks/combination.py``, figures in ``benchmarks/README.md``.)

The weights are fitted values (``member_weights_``), which a calibration copy
of the Forecaster reuses, so that the intervals are those of the combination.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone

from .baselines import LinearAutoregression, SeasonalNaive, damped_trend_forecast
from .conformal import fit_before
from .ensemble import fit_members, model_label
from .pipeline import FittedStages, PreparedFit, forecast_path
from .zeroshot import PretrainedNetwork, zero_shot_forecast

__all__ = ["INNER_ORIGINS", "RULE_MEMBERS", "Combination", "drift_forecast", "fit_combination",
           "seasonal_naive_forecast"]

INNER_ORIGINS = 10
"""Inner forecast origins the weights of ``Forecaster("auto")`` are chosen on."""


def seasonal_naive_forecast(values: np.ndarray, season_length: int, horizon: int) -> np.ndarray:
    """:class:`~gatedts.forecasting.baselines.SeasonalNaive` after ``values`` (the last
    value when the season is 1 or longer than the history)."""
    m = season_length if 1 < season_length <= len(values) else 1
    return SeasonalNaive(m).fit(values).predict(horizon)


def drift_forecast(values: np.ndarray, horizon: int) -> np.ndarray:
    """The last value plus, per step ahead, the mean change over the history."""
    slope = (values[-1] - values[0]) / max(len(values) - 1, 1)
    return values[-1] + slope * np.arange(1, horizon + 1)


def _damped_trend(values, season_length, horizon):
    if len(values) < 3:  # too short to fit: the last value, like naive
        return np.full(horizon, values[-1])
    return damped_trend_forecast(values, season_length, horizon)


RULE_MEMBERS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "seasonal_naive": seasonal_naive_forecast,
    "drift": lambda values, season_length, horizon: drift_forecast(values, horizon),
    "damped_trend": _damped_trend,
}
"""The members that follow a fixed rule, by name: ``rule(values, season_length, horizon)``
is the forecast of ``horizon`` steps after ``values``. (A model saved before a rule
joined "auto" names the members it has, and keeps forecasting with those.)"""


class Combination:
    """The members of ``Forecaster("auto")`` beside its networks, and every member's weight.

    Parameters
    ----------
    names : list of str
        One name per member: the networks (``estimators_`` order), then
        ``"linear"``, ``"pretrained"`` and the rules of :data:`RULE_MEMBERS`
        (``"seasonal_naive"``, ``"drift"``, ``"damped_trend"``).
    weights : ndarray of shape (n_members,)
        Non-negative, summing to 1.
    linear : LinearAutoregression
        The linear member, fitted on the networks' training windows.
    pretrained : PretrainedNetwork
        The zero-shot member, with the season length it is told.
    scores : pandas.DataFrame
        One row per member: its mean absolute error on the inner origins
        (``score``, NaN when none fit), its ``weight`` and ``origins``, the
        number of inner origins.
    """

    def __init__(self, names: Sequence[str], weights: ArrayLike, linear: LinearAutoregression,
                 pretrained: PretrainedNetwork, scores: pd.DataFrame) -> None:
        self.names = list(names)
        self.weights = np.asarray(weights, dtype=float)
        self.linear = linear
        self.pretrained = pretrained
        self.scores = scores

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's arguments (what a saved file records)."""
        return {"names": self.names, "weights": self.weights, "linear": self.linear,
                "pretrained": self.pretrained, "scores": self.scores}

    def member_forecasts(self, forecaster: FittedStages, values: np.ndarray,
                         exog_values: np.ndarray | None, future_rows: np.ndarray | None,
                         horizon: int) -> np.ndarray:
        """Every member's forecast of ``horizon`` steps after ``values``:
        ``(n_members, horizon)``, in the order of :attr:`names`.

        ``forecaster`` is the fitted Forecaster whose stages the networks and the
        linear member use; ``future_rows`` as in
        :func:`~gatedts.forecasting.pipeline.forecast_path`.
        """
        models: list[Any] = [*forecaster.estimators_, self.linear]
        through_pipeline = [
            forecast_path(forecaster.target_transform_, forecaster.windowing_, [model],
                          values, exog_values, future_rows, horizon) for model in models]
        pretrained = zero_shot_forecast(self.pretrained, values, horizon, None)[0]
        season_length = self.pretrained.season_length
        rules = [RULE_MEMBERS[name](values, season_length, horizon)
                 for name in self.names if name in RULE_MEMBERS]
        return np.vstack([*through_pipeline, pretrained, *rules])

    def forecast(self, forecaster: FittedStages, values: np.ndarray,
                 exog_values: np.ndarray | None, future_rows: np.ndarray | None,
                 horizon: int) -> np.ndarray:
        """The weighted sum of :meth:`member_forecasts`."""
        return self.weights @ self.member_forecasts(forecaster, values, exog_values,
                                                    future_rows, horizon)


def member_names(networks: Sequence[object]) -> list[str]:
    """The names of the members of an "auto" Forecaster with these networks."""
    return [model_label(network).lower() for network in networks] + [
        "linear", "pretrained", *RULE_MEMBERS]


def check_member_weights(weights: ArrayLike, n_members: int) -> np.ndarray:
    """``weights`` as an array of ``n_members`` non-negative values summing to 1."""
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (n_members,) or not np.all(np.isfinite(weights)) \
            or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(f"member_weights must be {n_members} non-negative finite numbers, "
                         f"not all 0 (one per member: the networks, then the linear, "
                         f"pretrained, seasonal naive, drift and damped-trend members), "
                         f"got {weights!r}")
    return weights / weights.sum()


def fit_combination(forecaster: BaseEstimator, prepared: PreparedFit,
                    networks: Sequence[object]) -> Combination:
    """The :class:`Combination` of ``forecaster`` (an "auto" Forecaster being fitted on
    ``prepared``, with the fitted ``networks``): its ``member_weights`` when given, else
    weights chosen on inner origins (see the module docstring)."""
    names = member_names(networks)
    linear = LinearAutoregression()
    fit_members([linear], prepared.X, prepared.Y, prepared.X_future, decoder=forecaster.decoder)
    pretrained = PretrainedNetwork.shipped(prepared.choice.seasonal_period)
    if forecaster.member_weights is not None:
        weights = check_member_weights(forecaster.member_weights, len(names))
        scores = pd.DataFrame({"member": names, "score": np.nan, "weight": weights,
                               "origins": 0})
        return Combination(names, weights, linear, pretrained, scores)
    errors, n_origins = inner_errors(forecaster, prepared, len(names))
    if n_origins == 0:
        weights = np.full(len(names), 1 / len(names))
    else:
        inverse = 1 / np.maximum(errors, 1e-12 * max(errors.max(), 1e-300)) ** 2
        weights = inverse / inverse.sum()
    scores = pd.DataFrame({"member": names, "score": errors, "weight": weights,
                           "origins": n_origins})
    return Combination(names, weights, linear, pretrained, scores)


def inner_errors(forecaster: BaseEstimator, prepared: PreparedFit,
                 n_members: int) -> tuple[np.ndarray, int]:
    """Each member's mean absolute error over the inner origins, and their number
    (NaN errors and 0 when not even one origin fits)."""
    choice, horizon = prepared.choice, forecaster.horizon
    resolved = clone(forecaster).set_params(
        seasonal_period=choice.seasonal_period, log=choice.log,
        difference=choice.difference, seasonal_difference=choice.seasonal_difference,
        local_level=choice.local_level, verbose=0,
        member_weights=np.full(n_members, 1 / n_members))
    y, n = prepared.values, len(prepared.values)
    frame = None if prepared.exog_values is None else pd.DataFrame(
        prepared.exog_values, columns=prepared.exog_columns)
    attempts = [(count, window) for count in range(INNER_ORIGINS, 0, -1)
                for window in (prepared.windowing.window, "auto")]
    try:
        model, cut = fit_before(resolved, y, frame, n, horizon, attempts)
    except ValueError:  # too short for even one inner origin
        return np.full(n_members, np.nan), 0
    exog = prepared.exog_values
    errors = []
    for origin in range(cut, n - horizon + 1):
        forecasts = model.combination_.member_forecasts(
            model, y[:origin], None if exog is None else exog[:origin],
            model.windowing_.exog_future_from(exog, origin, horizon), horizon)
        errors.append(np.abs(forecasts - y[origin: origin + horizon]).mean(axis=1))
    return np.mean(errors, axis=0), len(errors)
