"""The first two stages of a Forecaster: choosing the transforms, and applying them.

:func:`resolve_transforms` turns the Forecaster's "auto" settings into a
:class:`TransformChoice` on the training series (the tests of
:mod:`~gatedts.forecasting.seasonality`, optionally validated by
:func:`~gatedts.forecasting.selection.choose_transforms`).
:class:`TargetTransform` is that choice fitted: the target's logarithm
(:class:`~gatedts.forecasting.preprocessing.LogTransform`), its differences
(:class:`~gatedts.forecasting.preprocessing.Differencer`) and its scaler, plus
the scaler of the exogenous columns, each fitted on the training series only
and inverted on the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ._validation import check_positive_int
from .preprocessing import Differencer, LogTransform, Transformer, make_scaler
from .seasonality import (
    KPSS_CRITICAL_5PCT,
    SEASONAL_STRENGTH_THRESHOLD,
    infer_seasonal_period,
    kpss_statistic,
    prefers_log,
    seasonal_strength,
)
from .selection import choose_transforms

__all__ = ["TargetTransform", "TransformChoice", "resolve_seasonal_period", "resolve_transforms"]


@dataclass(frozen=True)
class TransformChoice:
    """The resolved transform settings of a Forecaster (its ``*_`` attributes)."""

    seasonal_period: int
    log: bool
    seasonal_difference: bool
    difference: int
    local_level: bool


def _flag(value, name):
    """True, False or "auto" (returned as is); anything else is an error."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True, False or 'auto', got {value!r}")


def resolve_seasonal_period(seasonal_period: int | None, index: pd.Index) -> int:
    """A Forecaster's season length: ``seasonal_period``, or when None the one of the
    index frequency (:func:`~gatedts.forecasting.seasonality.infer_seasonal_period`)."""
    return (infer_seasonal_period(index) if seasonal_period is None
            else check_positive_int(seasonal_period, "seasonal_period"))


def resolve_transforms(values: np.ndarray, index: pd.Index, *, seasonal_period: int | None,
                       log: bool | Literal["auto"], seasonal_difference: bool | Literal["auto"],
                       difference: int | Literal["auto"], local_level: bool | Literal["auto"],
                       validation_origins: int, horizon: int,
                       proxy: Callable) -> tuple[TransformChoice, pd.DataFrame]:
    """Resolve a Forecaster's "auto" transform settings on its training series.

    The tests of :mod:`~gatedts.forecasting.seasonality` give the prior; with
    ``validation_origins > 0``,
    :func:`~gatedts.forecasting.selection.choose_transforms` then scores every
    combination of the choices left on "auto" by an inner backtest of
    ``proxy`` (a cheap forecaster, ``proxy(**choice)``) and keeps the prior
    unless a combination beats it clearly.

    Parameters
    ----------
    values : ndarray of shape (n_obs,)
        The training series.
    index : pandas.Index
        Its index (the seasonal period is inferred from its frequency).
    seasonal_period, log, seasonal_difference, difference, local_level, validation_origins
        The Forecaster's parameters of the same names.
    horizon : int
        The model horizon (outputs of the network).
    proxy : callable
        ``proxy(seasonal_period=m, **choice)`` returns an unfitted forecaster.

    Returns
    -------
    TransformChoice
    pandas.DataFrame
        The validation table (empty when nothing was validated).
    """
    m = resolve_seasonal_period(seasonal_period, index)
    positive = bool(np.all(values > 0))
    prior: dict[str, Any] = {}
    options: dict[str, list] = {}
    prior["log"] = _flag(log, "log")
    if prior["log"] == "auto":
        prior["log"] = prefers_log(values, m)
        options["log"] = [False, True] if positive else [False]
    if prior["log"] and not positive:
        pos = int(np.argmax(values <= 0))
        raise ValueError(f"log=True needs a positive series, but y is {values[pos]!r} at "
                         f"position {pos}; use log=False")
    z = np.log(values) if prior["log"] else values
    prior["seasonal_difference"] = _flag(seasonal_difference, "seasonal_difference")
    if prior["seasonal_difference"] == "auto":
        # Only when the differenced series still holds two training windows of the
        # shortest "auto" window (one season: resolve_window) plus the horizon.
        room = m > 1 and len(z) - m >= max(2, m) + horizon
        prior["seasonal_difference"] = bool(
            room and seasonal_strength(z, m) >= SEASONAL_STRENGTH_THRESHOLD)
        options["seasonal_difference"] = [False, True] if room else [False]
    elif prior["seasonal_difference"] and m == 1:
        raise ValueError("seasonal_difference=True needs a seasonal_period > 1")
    if prior["seasonal_difference"]:
        if len(z) <= m + 2:
            raise ValueError(f"y has {len(z)} observations, too few for a seasonal "
                             f"difference of lag {m}")
        z = z[m:] - z[:-m]
    level = _flag(local_level, "local_level")
    if difference == "auto":
        prior["difference"] = int(level is False and len(z) >= 3
                                  and kpss_statistic(z) > KPSS_CRITICAL_5PCT)
        options["difference"] = [0, 1]
    else:
        d = difference
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 0:
            raise ValueError(f"difference must be a non-negative integer or 'auto', got {d!r}")
        prior["difference"] = int(d)
    n_origins = check_positive_int(validation_origins, "validation_origins", allow_zero=True)
    choice, scores = prior, pd.DataFrame()
    if n_origins and options:
        choice, scores = choose_transforms(
            values, lambda **c: proxy(seasonal_period=m, **c), prior, options,
            horizon=horizon, seasonal_period=m, n_origins=n_origins)
    # The local level replaces the first difference; a seasonally differenced
    # series is modelled as is.
    level = not choice["seasonal_difference"] if level == "auto" else level
    return TransformChoice(m, choice["log"], choice["seasonal_difference"], choice["difference"],
                           level), scores


class TargetTransform(BaseEstimator):
    """A Forecaster's fitted transforms: log, differences and scaler of the target,
    scaler of the exogenous columns.

    Parameters
    ----------
    log : bool, default False
        Take the logarithm first.
    seasonal_period : int or None, default None
        Lag of a seasonal difference, taken next (None: none).
    difference : int, default 0
        Ordinary differences after it.
    scaler : {"standard", "minmax"}, None or transformer, default "standard"
        As :func:`~gatedts.forecasting.preprocessing.make_scaler` takes it.

    Attributes
    ----------
    log_transform_ : LogTransform or None
    differencer_ : Differencer or None
    scaler_, exog_scaler_ : transformer (``exog_scaler_`` None without exog)
    n_lost_ : int
        Observations lost at the start of the series to differencing.
    """

    def __init__(self, log: bool = False, seasonal_period: int | None = None,
                 difference: int = 0, scaler="standard"):
        self.log = log
        self.seasonal_period = seasonal_period
        self.difference = difference
        self.scaler = scaler

    @classmethod
    def of(cls, choice: TransformChoice, scaler: str | Transformer | None = "standard"
           ) -> TargetTransform:
        """The (unfitted) transforms of a :class:`TransformChoice`."""
        return cls(log=choice.log, difference=choice.difference, scaler=scaler,
                   seasonal_period=choice.seasonal_period if choice.seasonal_difference else None)

    def fit(self, values: np.ndarray, exog_values: np.ndarray | None) -> TargetTransform:
        """Fit every transform on the training series (and its exog rows)."""
        log = LogTransform().fit(values[:, None]) if self.log else None
        z = values if log is None else log.transform(values[:, None])[:, 0]
        lags = ([self.seasonal_period] if self.seasonal_period else []) + [1] * int(
            self.difference)
        differencer = None
        if lags:
            differencer = Differencer(order=self.difference, seasonal_period=self.seasonal_period)
            try:
                z = differencer.fit_transform(z[:, None])[:, 0]
            except ValueError:
                raise ValueError(f"y has {len(values)} observations, too few to difference "
                                 f"with lags {lags}") from None
        n_lost = sum(lags)  # the differencer's n_lost_
        scaler = make_scaler(self.scaler).fit(z[:, None])
        exog_scaler = None
        if exog_values is not None:
            exog_scaler = make_scaler(self.scaler).fit(exog_values[n_lost:])
        return self.set_fitted(log, differencer, scaler, exog_scaler)

    def set_fitted(self, log_transform: LogTransform | None, differencer: Differencer | None,
                   scaler: Transformer, exog_scaler: Transformer | None) -> TargetTransform:
        """Take transforms fitted elsewhere as this one's fitted state (a model file of
        gatedts 0.2 or earlier saved them one by one)."""
        self.log_transform_, self.differencer_ = log_transform, differencer
        self.n_lost_ = 0 if differencer is None else differencer.n_lost_
        self.scaler_, self.exog_scaler_ = scaler, exog_scaler
        return self

    def _log(self, values):
        if self.log_transform_ is None:
            return values
        return self.log_transform_.transform(values[:, None])[:, 0]

    def transform(self, values: np.ndarray, exog_values: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray | None]:
        """The scaled target of a history of raw values, and its exog rows scaled and aligned.

        Returns
        -------
        target : ndarray of shape ``(n_obs - n_lost_,)``
        features : ndarray of shape ``(n_obs - n_lost_, n_exog)`` or None
        """
        z = self._log(values)
        if self.differencer_ is not None:
            z = self.differencer_.transform(z[:, None])[:, 0]
        target = self.scaler_.transform(z[:, None])[:, 0]
        features = None
        if exog_values is not None:
            assert self.exog_scaler_ is not None  # fitted with exog columns
            features = self.exog_scaler_.transform(exog_values[self.n_lost_:])
        return target, features

    def transform_exog(self, rows: np.ndarray) -> np.ndarray:
        """Scale exog rows of future steps (NaN, an unknown value, is fed as 0)."""
        assert self.exog_scaler_ is not None  # fitted with exog columns
        return self.exog_scaler_.transform(np.nan_to_num(rows))

    def inverse(self, pred: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Transformed-scale predictions following the raw history ``values``, on the
        original scale."""
        z = self.scaler_.inverse_transform(pred[:, None])
        if self.differencer_ is not None:
            z = self.differencer_.inverse_transform(z, history=self._log(values)[:, None])
        z = z[:, 0]
        return z if self.log_transform_ is None else self.log_transform_.inverse_transform(z)

    def to_score_scale(self, values: np.ndarray) -> np.ndarray:
        """Values on the scale conformity scores are measured on: the log scale with a log."""
        return self._log(np.asarray(values, dtype=np.float64))

    def from_score_scale(self, values: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`to_score_scale`."""
        if self.log_transform_ is None:
            return values
        return self.log_transform_.inverse_transform(values)
