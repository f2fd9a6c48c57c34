"""Reference forecasts every model has to beat."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import as_float_array, check_positive_int, check_series_index
from .windows import future_index

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LinearAutoregression", "SeasonalNaive"]


class SeasonalNaive(BaseEstimator):
    """Repeat the last observed season: ``ŷ[T + h] = y[T + h - m * ceil(h / m)]``.

    With ``seasonal_period=1`` this is the naive (random walk) forecast, the
    last value repeated.

    Parameters
    ----------
    seasonal_period : int, default 1
        Season length ``m`` in time steps (12 for monthly data with a yearly
        pattern, 24 for hourly data with a daily one).

    Attributes
    ----------
    last_season_ : numpy.ndarray of shape (seasonal_period,)
        The last ``m`` observations.
    index_ : pandas.Index or None
        Index of the fitted series (``None`` for array input).
    name_ : hashable or None
        Name of the fitted series.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4], index=pd.period_range("2020Q1", periods=4, freq="Q"))
    >>> SeasonalNaive(2).fit(y).predict(3)
    2021Q1    3.0
    2021Q2    4.0
    2021Q3    3.0
    Freq: Q-DEC, dtype: float64
    """

    def __init__(self, seasonal_period: int = 1):
        self.seasonal_period = seasonal_period

    def fit(self, y: ArrayLike, X: object = None) -> Self:
        """Remember the last season of ``y``.

        Parameters
        ----------
        y : array-like of shape (n_obs,) or pandas.Series
            A pandas index must be a ``DatetimeIndex`` with a frequency (set or
            inferable), a ``PeriodIndex`` or an integer index, so forecasts can
            be dated.
        X : ignored
            Present for API consistency.

        Returns
        -------
        self
        """
        m = check_positive_int(self.seasonal_period, "seasonal_period")
        if isinstance(y, pd.Series):
            check_series_index(y.index, "y")
        values = as_float_array(y, "y", ndim=1)
        if values.shape[0] < m:
            raise ValueError(
                f"y has {values.shape[0]} observations, shorter than one season "
                f"(seasonal_period={m})"
            )
        if isinstance(y, pd.Series):
            future_index(y.index, 1)  # fail now, not at predict, if it cannot be dated
            self.index_, self.name_ = y.index, y.name
        else:
            self.index_, self.name_ = None, None
        self.last_season_ = values[-m:].copy()
        return self

    def predict(self, horizon: int) -> pd.Series | np.ndarray:
        """Forecast the next ``horizon`` steps.

        Parameters
        ----------
        horizon : int
            Number of steps after the end of the fitted series.

        Returns
        -------
        pandas.Series or numpy.ndarray of shape (horizon,)
            A Series indexed by the next time labels (see
            :func:`gatedts.windows.future_index`) when fitted on a Series,
            otherwise an array.
        """
        check_is_fitted(self)
        horizon = check_positive_int(horizon, "horizon")
        values = np.resize(self.last_season_, horizon)
        if self.index_ is None:
            return values
        return pd.Series(values, index=future_index(self.index_, horizon), name=self.name_)


class LinearAutoregression(RegressorMixin, BaseEstimator):
    """Ridge regression of the targets on the flattened window: a linear autoregression.

    ``Forecaster("auto")``'s linear member: it reads the same windows as the
    networks (a window of ``n_steps`` steps and ``n_features`` features
    flattened to one row) and fits ``Y ≈ X W + b`` by least squares with the
    penalty ``alpha ‖W‖²`` (the intercept is not penalised), as scikit-learn's
    ``Ridge(alpha)`` does, one column of ``W`` per target.

    Parameters
    ----------
    alpha : float, default 1.0
        Strength of the L2 penalty.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_targets)
    intercept_ : ndarray of shape (n_targets,)
    n_features_in_ : int
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X: ArrayLike, y: ArrayLike, X_future: ArrayLike | None = None) -> Self:
        """Fit the coefficients on rows ``X`` (n, n_features) and targets ``y`` (n,) or
        (n, n_targets). ``X_future`` (a decoder's future-known covariates) is not used."""
        X = as_float_array(X, "X", ndim=2)
        Y = np.asarray(y, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y
        if len(Y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(Y)}")
        if not (isinstance(self.alpha, (int, float)) and np.isfinite(self.alpha)
                and self.alpha >= 0):
            raise ValueError(f"alpha must be a non-negative number, got {self.alpha!r}")
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        Xc = X - x_mean
        gram = Xc.T @ Xc + self.alpha * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(gram, Xc.T @ (Y - y_mean))
        self.intercept_ = y_mean - x_mean @ self.coef_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: ArrayLike, X_future: ArrayLike | None = None) -> np.ndarray:
        """``X W + b``: (n,) for one target, else (n, n_targets)."""
        check_is_fitted(self)
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but this model was fitted with "
                             f"{self.n_features_in_}")
        out = X @ self.coef_ + self.intercept_
        return out[:, 0] if out.shape[1] == 1 else out
