"""Seasonality and stationarity rules behind the "auto" choices of the Forecaster.

Each rule is a textbook one, so that a default can be explained in a sentence:

* seasonal period from the index frequency (monthly 12, quarterly 4, weekly
  52, daily 7, business-daily 5, hourly 24, ...): :func:`infer_seasonal_period`;
* log transform when the series is positive and its local spread grows with
  its level (Guerrero 1993, with the Box-Cox ``λ`` restricted to 0 or 1):
  :func:`prefers_log`;
* one seasonal difference when the seasonal strength of a classical
  decomposition is at least 0.64 (Wang, Smith & Hyndman 2006; the rule of R's
  ``forecast::nsdiffs``): :func:`seasonal_strength`;
* one ordinary difference when the KPSS test rejects level stationarity at
  5% (Kwiatkowski et al. 1992; the rule of ``forecast::ndiffs`` and
  ``pmdarima.ndiffs``): :func:`kpss_statistic`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import as_float_array, check_positive_int

__all__ = [
    "KPSS_CRITICAL_5PCT",
    "SEASONAL_STRENGTH_THRESHOLD",
    "infer_seasonal_period",
    "kpss_statistic",
    "prefers_log",
    "seasonal_strength",
]

#: 5% critical value of the KPSS level-stationarity statistic (Kwiatkowski et al. 1992, table 1).
KPSS_CRITICAL_5PCT = 0.463
#: Seasonal strength from which a seasonal difference is taken (Wang, Smith & Hyndman 2006).
SEASONAL_STRENGTH_THRESHOLD = 0.64

# Seasonal period of the calendar-based offsets, per unit of the offset's multiple.
_CALENDAR_PERIODS = {
    "Year": 1,
    "Quarter": 4,
    "SemiMonth": 24,
    "Month": 12,
    "Week": 52,
    "BusinessMonth": 12,
    "CustomBusinessMonth": 12,
    "BusinessDay": 5,
    "CustomBusinessDay": 5,
}


def infer_seasonal_period(freq: str | pd.DateOffset | pd.Index | None) -> int:
    """Usual seasonal period of a sampling frequency: observations per cycle.

    ======================  =====================================
    frequency               period (cycle)
    ======================  =====================================
    yearly                  1 (no seasonality assumed)
    quarterly               4 (year)
    monthly                 12 (year)
    semi-monthly            24 (year)
    weekly                  52 (year)
    business daily          5 (week)
    daily                   7 (week)
    hourly, 30 min, 15 min  24, 48, 96 (day)
    minutely, secondly      60 (hour, minute)
    ======================  =====================================

    A multiple of a unit divides the period when it can (``"2h"`` gives 12,
    ``"2QS"`` gives 2); otherwise, and for anything not listed, 1.

    Parameters
    ----------
    freq : str, pandas.DateOffset, pandas.Index or None
        A frequency alias (``"MS"``, ``"h"``), an offset, or a
        ``DatetimeIndex``/``PeriodIndex`` whose ``freq`` is used. ``None``
        and integer indexes give 1.

    Returns
    -------
    int
        At least 1.
    """
    if isinstance(freq, pd.Index):
        freq = getattr(freq, "freq", None)
    if freq is None:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    n = abs(int(getattr(offset, "n", 1))) or 1
    name = type(offset).__name__
    for key, period in _CALENDAR_PERIODS.items():
        if name.startswith((key, "B" + key)):
            return period // n if period % n == 0 and period > n else 1
    if name == "Day":
        return 7 // n if 7 % n == 0 and n < 7 else 1
    try:
        step = pd.Timedelta(offset)
    except (TypeError, ValueError):
        return 1
    per_day = pd.Timedelta(days=1) / step
    per_hour = pd.Timedelta(hours=1) / step
    per_minute = pd.Timedelta(minutes=1) / step
    for count, limit in ((per_day, 96), (per_hour, 120), (per_minute, 120)):
        if count > 1 and float(count).is_integer() and count <= limit:
            return int(count)
    return 1


def _values(y, name: str = "y") -> np.ndarray:
    return as_float_array(y, name, ndim=1)


def seasonal_strength(y: ArrayLike, seasonal_period: int) -> float:
    """Strength of seasonality ``F_S = max(0, 1 - var(R) / var(S + R))`` in ``[0, 1]``.

    ``S`` and ``R`` are the seasonal and remainder components of a classical
    additive decomposition: a centred moving average of one season is the
    trend, the seasonal component is the mean detrended value of each phase
    (centred to sum to zero), the remainder is what is left (Wang, Smith &
    Hyndman 2006; Hyndman & Athanasopoulos, *Forecasting: Principles and
    Practice*, 3rd ed., section 4.3).

    Parameters
    ----------
    y : array-like of shape (n_obs,)
        The series (already log-transformed if it is multiplicative).
    seasonal_period : int
        ``m``; 1 gives 0.

    Returns
    -------
    float
        0 when ``m == 1``, when there are fewer than two whole seasons left
        after trimming the moving average, or when the series is constant.
    """
    m = check_positive_int(seasonal_period, "seasonal_period")
    x = _values(y)
    n = x.shape[0]
    if m == 1 or n < 3 * m:
        return 0.0
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(weights) // 2
    trend = np.convolve(x, weights, mode="valid")
    detrended = x[half : n - half] - trend
    phase = np.arange(half, n - half) % m
    indices = np.bincount(phase, weights=detrended, minlength=m) / np.bincount(phase, minlength=m)
    seasonal = (indices - indices.mean())[phase]
    remainder = detrended - seasonal
    total = np.var(seasonal + remainder)
    if total == 0:
        return 0.0
    return float(max(0.0, 1.0 - np.var(remainder) / total))


def kpss_statistic(y: ArrayLike) -> float:
    """KPSS statistic for the null hypothesis of level stationarity.

    ``η = Σ S_t² / (n² σ̂²)`` with ``S_t`` the partial sums of the demeaned
    series and ``σ̂²`` the Newey-West long-run variance with Bartlett weights
    and ``⌊4 (n/100)^{1/4}⌋`` lags (Kwiatkowski, Phillips, Schmidt & Shin
    1992). Values above :data:`KPSS_CRITICAL_5PCT` (0.463) reject
    stationarity at 5%: the series needs differencing.

    Parameters
    ----------
    y : array-like of shape (n_obs,)

    Returns
    -------
    float
        0 for a constant series.
    """
    x = _values(y)
    n = x.shape[0]
    if n < 3:
        raise ValueError(f"the KPSS statistic needs at least 3 observations, got {n}")
    e = x - x.mean()
    lags = min(int(4 * (n / 100) ** 0.25), n - 1)
    variance = e @ e / n
    for k in range(1, lags + 1):
        variance += 2 * (1 - k / (lags + 1)) * (e[k:] @ e[:-k]) / n
    if variance <= 0:
        return 0.0
    partial = np.cumsum(e)
    return float(partial @ partial / (n * n * variance))


def prefers_log(y: ArrayLike, seasonal_period: int = 1) -> bool:
    """Whether a log transform stabilises the variance of a positive series.

    The series is cut into consecutive chunks (one season each, or 4
    observations without seasonality) and each chunk's standard deviation is
    compared with its mean. If the spread is more nearly proportional to the
    level (a smaller coefficient of variation of ``sd / mean`` across chunks)
    than constant (of ``sd``), the log is preferred: Guerrero's (1993) method
    for choosing the Box-Cox ``λ``, restricted to ``λ ∈ {0, 1}``.

    Parameters
    ----------
    y : array-like of shape (n_obs,)
    seasonal_period : int, default 1

    Returns
    -------
    bool
        False for a series with a non-positive value or fewer than 4 chunks.
    """
    m = check_positive_int(seasonal_period, "seasonal_period")
    x = _values(y)
    if np.any(x <= 0):
        return False
    length = m if m >= 2 else 4
    n_chunks = x.shape[0] // length
    if n_chunks < 4:
        return False
    chunks = x[x.shape[0] - n_chunks * length :].reshape(n_chunks, length)
    spread = chunks.std(axis=1, ddof=1)
    if np.all(spread == 0):
        return False
    relative = spread / chunks.mean(axis=1)
    return bool(_variation(relative) < _variation(spread))


def _variation(a: np.ndarray) -> float:
    mean = a.mean()
    return math.inf if mean == 0 else float(a.std(ddof=1) / mean)
