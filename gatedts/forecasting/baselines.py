"""Reference forecasts every model has to beat."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit
from numpy.typing import ArrayLike
from scipy.optimize import minimize, minimize_scalar
from scipy.signal import lfilter
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import as_float_array, check_positive_int, check_series_index
from .windows import future_index

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LinearAutoregression", "SeasonalNaive", "damped_trend_forecast",
           "theta_forecast"]


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


def theta_forecast(values: ArrayLike, season_length: int, horizon: int) -> np.ndarray:
    """The standard Theta method's forecast of ``horizon`` steps after ``values``.

    As Assimakopoulos & Nikolopoulos (2000) in the form of Hyndman & Billah
    (2003), the way M4 ran it: when the series is seasonal (at least three
    seasons, and the autocorrelation at lag ``season_length`` significant at
    90%), it is divided by the indices of a classical multiplicative
    decomposition (subtracted, additive, when a value is not positive); simple
    exponential smoothing, its ``alpha`` in [0.1, 0.99] chosen by the squared
    one-step errors, gives the level ``ℓ``, and half the slope ``b`` of a
    least-squares line through the series is added as drift:
    ``ŷ[n + h] = ℓ + b / 2 · (h − 1 + (1 − (1 − alpha)^n) / alpha)``, then
    seasonalised again.

    Parameters
    ----------
    values : array-like of shape (n,)
        Finite history, at least 2 observations.
    season_length : int
        ``m``: 12 for monthly data with a yearly season, 1 for none.
    horizon : int

    Returns
    -------
    ndarray of shape (horizon,)
    """
    adjustment, x, horizon = _SeasonalAdjustment.of(values, season_length, horizon,
                                                    minimum=2, method="the Theta method")
    n = len(x)

    def one_step_sse(alpha):
        errors = x[1:] - _ses_levels(x, alpha)[:-1]
        return errors @ errors

    alpha = minimize_scalar(one_step_sse, bounds=(0.1, 0.99), method="bounded").x
    slope = np.polyfit(np.arange(n), x, 1)[0]
    steps = np.arange(horizon)
    forecast = _ses_levels(x, alpha)[-1] + 0.5 * slope * (steps + (1 - (1 - alpha) ** n) / alpha)
    return adjustment.restore(forecast, n)


def damped_trend_forecast(values: ArrayLike, season_length: int, horizon: int) -> np.ndarray:
    """Holt's linear method with a damped trend (Gardner & McKenzie 1985), seasonally
    adjusted: M4's "Damped" benchmark.

    The series is seasonally adjusted as in :func:`theta_forecast`; the level
    ``ℓ`` and trend ``b`` then follow ``ŷ_t = ℓ + φ b``,
    ``ℓ ← ŷ_t + alpha e_t`` and ``b ← φ b + beta e_t`` (``e_t = x_t − ŷ_t``),
    from ``ℓ = x_1`` and ``b = x_2 − x_1``, with ``alpha`` in [0.01, 0.99],
    ``beta`` in [0, alpha] and ``φ`` in [0.8, 0.98] chosen by the squared
    one-step errors. The forecast ``ℓ + (φ + … + φ^h) b`` levels off instead of
    extrapolating the trend for ever, then is seasonalised again.

    Parameters
    ----------
    values : array-like of shape (n,)
        Finite history, at least 3 observations.
    season_length : int
        ``m``: 12 for monthly data with a yearly season, 1 for none.
    horizon : int

    Returns
    -------
    ndarray of shape (horizon,)
    """
    adjustment, x, horizon = _SeasonalAdjustment.of(values, season_length, horizon,
                                                    minimum=3, method="the damped-trend method")
    n = len(x)
    fitted = minimize(lambda p: _damped_trend_pass(x, p[0], p[0] * p[1], p[2])[0],
                      x0=[0.5, 0.1, 0.9], bounds=[(0.01, 0.99), (0.0, 1.0), (0.8, 0.98)],
                      method="L-BFGS-B")
    alpha, beta_share, phi = fitted.x
    _, level, trend = _damped_trend_pass(x, alpha, alpha * beta_share, phi)
    forecast = level + trend * np.cumsum(phi ** np.arange(1, horizon + 1))
    return adjustment.restore(forecast, n)


@njit(cache=True)
def _damped_trend_pass(x, alpha, beta, phi):  # pragma: no cover (compiled)
    """One pass of the damped-trend recursions over ``x``: the sum of squared one-step
    errors, and the last level and trend."""
    level, trend = x[0], x[1] - x[0]
    sse = 0.0
    for t in range(1, len(x)):
        predicted = level + phi * trend
        error = x[t] - predicted
        sse += error * error
        level = predicted + alpha * error
        trend = phi * trend + beta * error
    return sse, level, trend


def _ses_levels(x, alpha):
    """Simple exponential smoothing's levels ``ℓ_t = alpha x_t + (1 − alpha) ℓ_{t−1}``
    from ``ℓ_0 = x_0``."""
    return lfilter([alpha], [1, alpha - 1], x, zi=[(1 - alpha) * x[0]])[0]


def _seasonal(y, m):
    """Whether ``y`` holds three seasons of ``m`` and its autocorrelation at lag ``m``
    exceeds the 90% limit ``1.645 √((1 + 2 Σ_{k<m} r_k²) / n)``."""
    n = len(y)
    if m < 2 or n < 3 * m:
        return False
    centred = y - y.mean()
    variance = centred @ centred
    if variance == 0:
        return False
    r = np.array([centred[k:] @ centred[:n - k] for k in range(1, m + 1)]) / variance
    return bool(abs(r[-1]) > 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / n))


def _seasonal_indices(y, m, multiplicative):
    """The ``m`` seasonal indices of a classical decomposition (a centred moving
    average as the trend), normalised to mean 1 (multiplicative) or 0 (additive)."""
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    middle = y[offset: offset + len(trend)]
    detrended = middle / trend if multiplicative else middle - trend
    position = (np.arange(len(trend)) + offset) % m
    indices = np.array([detrended[position == j].mean() for j in range(m)])
    return indices / indices.mean() if multiplicative else indices - indices.mean()


class _SeasonalAdjustment:
    """The classical decomposition M4's benchmarks adjust a series with: when ``y`` is
    seasonal (:func:`_seasonal`), its indices, divided out (multiplicative, all values
    positive) or subtracted (additive); otherwise nothing."""

    def __init__(self, y, m):
        self.m = m
        self.seasonal = _seasonal(y, m)
        self.multiplicative = bool(np.all(y > 0))
        self.indices = _seasonal_indices(y, m, self.multiplicative) if self.seasonal else None

    @classmethod
    def of(cls, values, season_length, horizon, minimum, method):
        """Check a method's arguments; return the adjustment of ``values``, the adjusted
        series and ``horizon``."""
        y = as_float_array(values, "values", ndim=1)
        m = check_positive_int(season_length, "season_length")
        horizon = check_positive_int(horizon, "horizon")
        if len(y) < minimum:
            raise ValueError(f"{method} needs at least {minimum} observations, got {len(y)}")
        adjustment = cls(y, m)
        return adjustment, adjustment.remove(y), horizon

    def remove(self, y):
        """``y`` seasonally adjusted."""
        if not self.seasonal:
            return y
        season = self.indices[np.arange(len(y)) % self.m]
        return y / season if self.multiplicative else y - season

    def restore(self, forecast, n):
        """A forecast of the adjusted series made after ``n`` observations, seasonalised."""
        if not self.seasonal:
            return forecast
        season = self.indices[np.arange(n, n + len(forecast)) % self.m]
        return forecast * season if self.multiplicative else forecast + season
