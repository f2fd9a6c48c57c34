"""Forecast accuracy metrics.

All metrics take array-likes or pandas objects of identical shape (a
``(n_windows, horizon)`` matrix of multi-step forecasts is fine) and average
over every element. Notation: ``y`` the observed values, ``ŷ`` the forecasts,
``e = y - ŷ`` the errors, ``n`` the number of elements.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_float_array, check_positive_int

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "mean_interval_width",
    "rmse",
    "smape",
]


def _pair(a, b, name_a: str = "y_true", name_b: str = "y_pred"):
    a = as_float_array(a, name_a)
    b = as_float_array(b, name_b)
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}"
        )
    return a, b


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error.

    .. math:: \\mathrm{MAE} = \\frac{1}{n} \\sum_i |y_i - \\hat y_i|

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.

    Returns
    -------
    float
    """
    y, yhat = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y - yhat)))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error.

    .. math:: \\mathrm{RMSE} = \\sqrt{\\frac{1}{n} \\sum_i (y_i - \\hat y_i)^2}

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.

    Returns
    -------
    float
    """
    y, yhat = _pair(y_true, y_pred)
    err = np.abs(y - yhat)
    # Factor out the largest error so squaring neither underflows nor overflows.
    largest = err.max()
    if largest == 0:
        return 0.0
    return float(largest * np.sqrt(np.mean((err / largest) ** 2)))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error, in percent.

    .. math:: \\mathrm{MAPE} = \\frac{100}{n} \\sum_i \\left|\\frac{y_i - \\hat y_i}{y_i}\\right|

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y_true`` contains a zero (MAPE is undefined; use :func:`smape` or
        :func:`mase`).
    """
    y, yhat = _pair(y_true, y_pred)
    zeros = np.flatnonzero(y.ravel() == 0)
    if zeros.size:
        pos = np.unravel_index(zeros[0], y.shape)
        where = int(pos[0]) if y.ndim == 1 else tuple(int(p) for p in pos)
        raise ValueError(
            f"mape is undefined: y_true contains zero at position {where}; "
            "use smape or mase instead"
        )
    return float(100.0 * np.mean(np.abs((y - yhat) / y)))


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    .. math:: \\mathrm{sMAPE} = \\frac{100}{n} \\sum_i
              \\frac{2 |y_i - \\hat y_i|}{|y_i| + |\\hat y_i|}

    with a term ``0/0`` (both ``y_i`` and ``ŷ_i`` zero) defined as 0.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.

    Returns
    -------
    float
    """
    y, yhat = _pair(y_true, y_pred)
    denom = np.abs(y) + np.abs(yhat)
    num = 2.0 * np.abs(y - yhat)
    terms = np.divide(num, denom, out=np.zeros_like(num), where=denom > 0)
    return float(100.0 * np.mean(terms))


def _naive_scale(y_train, seasonal_period: int) -> float:
    m = check_positive_int(seasonal_period, "seasonal_period")
    train = as_float_array(y_train, "y_train", ndim=1)
    if train.shape[0] <= m:
        raise ValueError(
            f"y_train has {train.shape[0]} observations; the seasonal-naive scale with "
            f"seasonal_period={m} needs at least {m + 1}"
        )
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike,
         seasonal_period: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    .. math:: \\mathrm{MASE} = \\frac{\\mathrm{MAE}(y, \\hat y)}
              {\\frac{1}{T - m} \\sum_{t=m+1}^{T} |x_t - x_{t-m}|}

    where ``x`` is the training series of length ``T`` and ``m`` the seasonal
    period: the forecast MAE relative to the in-sample MAE of the
    seasonal-naive forecast. Below 1 beats that naive forecast.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.
    y_train : array-like of shape (T,)
        The training series the forecasts were made from.
    seasonal_period : int, default 1
        ``m``; 1 scales by the naive (random walk) forecast.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y_train`` has at most ``m`` values or its seasonal-naive MAE is zero.
    """
    scale = _naive_scale(y_train, seasonal_period)
    if scale == 0:
        raise ValueError(
            "mase is undefined: the in-sample seasonal-naive MAE of y_train is zero "
            f"(y_train repeats itself with period {seasonal_period})"
        )
    return mae(y_true, y_pred) / scale


def coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Fraction of observations inside their prediction interval (bounds included).

    .. math:: \\frac{1}{n} \\sum_i \\mathbb{1}[l_i \\le y_i \\le u_i]

    Parameters
    ----------
    y_true, lower, upper : array-like
        Observations and interval bounds, same shape, ``lower <= upper``.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    y, lo = _pair(y_true, lower, "y_true", "lower")
    lo, hi = _check_interval(lo, upper)
    return float(np.mean((lo <= y) & (y <= hi)))


def mean_interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean width of prediction intervals.

    .. math:: \\frac{1}{n} \\sum_i (u_i - l_i)

    Parameters
    ----------
    lower, upper : array-like
        Interval bounds, same shape, ``lower <= upper``.

    Returns
    -------
    float
    """
    lo, hi = _check_interval(lower, upper)
    return float(np.mean(hi - lo))


def _check_interval(lower, upper):
    lo, hi = _pair(lower, upper, "lower", "upper")
    crossed = np.flatnonzero((lo > hi).ravel())
    if crossed.size:
        pos = np.unravel_index(crossed[0], lo.shape)
        where = int(pos[0]) if lo.ndim == 1 else tuple(int(p) for p in pos)
        raise ValueError(f"lower exceeds upper at position {where}")
    return lo, hi


def evaluate(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike | None = None,
             seasonal_period: int = 1) -> dict[str, float]:
    """All point-forecast metrics at once.

    Parameters
    ----------
    y_true, y_pred : array-like
        Observations and forecasts, same shape.
    y_train : array-like of shape (T,), optional
        Training series; when given, ``"mase"`` is included.
    seasonal_period : int, default 1
        Seasonal period of the MASE scale.

    Returns
    -------
    dict
        Keys ``"mae"``, ``"rmse"``, ``"mape"``, ``"smape"`` and, with
        ``y_train``, ``"mase"``. A metric undefined for these data (MAPE with a
        zero in ``y_true``, MASE with a zero scale) is ``nan`` instead of an
        error, so one awkward series does not abort a comparison. Invalid
        inputs (shape mismatch, NaN, ``y_train`` too short) still raise.
    """
    y, yhat = _pair(y_true, y_pred)
    result = {"mae": mae(y, yhat), "rmse": rmse(y, yhat)}
    result["mape"] = mape(y, yhat) if np.all(y != 0) else float("nan")
    result["smape"] = smape(y, yhat)
    if y_train is not None:
        scale = _naive_scale(y_train, seasonal_period)
        result["mase"] = result["mae"] / scale if scale > 0 else float("nan")
    return result
