"""Invertible series transforms, fitted on the training part of a series only.

Every transform works on a 1-D series or a 2-D ``(n_obs, n_columns)`` array
(per column), returns the same number of dimensions it was given, keeps a
pandas index and name when given pandas input, and has an exact
``inverse_transform`` so forecasts can be mapped back to the original scale.
Each has ``get_feature_names_out`` (one output column per input column) and
``set_output``: with ``set_output(transform="pandas")`` (or in a pipeline set
so) ``transform`` returns a DataFrame even for array input.

``StandardScaler`` and ``MinMaxScaler`` are row-preserving and can sit in a
scikit-learn pipeline; ``Differencer`` shortens the series by the differencing
lags and is meant for the forecaster's target transform, not for a pipeline.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from ..estimators import CONSTANT_RTOL, mean_and_scale
from ._validation import as_float_array, check_n_features, check_positive_int

__all__ = [
    "Differencer",
    "IdentityTransform",
    "LogTransform",
    "MinMaxScaler",
    "StandardScaler",
    "make_scaler",
]

if TYPE_CHECKING:
    from typing_extensions import Self

#: What a transform returns: the dimensions and pandas type of its input.
Transformed: TypeAlias = np.ndarray | pd.Series | pd.DataFrame


class Transformer(Protocol):
    """What :func:`make_scaler` accepts and returns: scikit-learn's three methods."""

    def fit(self, X: Any, y: Any = None) -> Any: ...
    def transform(self, X: Any) -> Any: ...
    def inverse_transform(self, X: Any) -> Any: ...

def _as_columns(x, name: str = "X") -> tuple[np.ndarray, int]:
    """Validated float64 array viewed as 2-D ``(n_obs, n_columns)``, and its ndim."""
    arr = as_float_array(x, name, ndim=(1, 2))
    return (arr[:, None] if arr.ndim == 1 else arr), arr.ndim


def _restore(template, ndim: int, feature_names_out, values: np.ndarray, index=None):
    """Return ``values`` with the dimensions and pandas type of the input ``template``.

    A DataFrame gets the columns ``feature_names_out()`` (the transform's method).
    """
    if ndim == 1:
        values = values.reshape(-1)
    if isinstance(template, pd.Series):
        idx = template.index if index is None else index
        return pd.Series(values, index=idx, name=template.name)
    if isinstance(template, pd.DataFrame):
        idx = template.index if index is None else index
        return pd.DataFrame(values, index=idx, columns=feature_names_out())
    return values


class _ColumnTransform(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Shared ``fit``/shape bookkeeping for the per-column transforms.

    One output column per input column: ``get_feature_names_out`` gives the
    column names seen in ``fit`` (``feature_names_in_``, for a DataFrame) or
    ``x0, x1, ...``, and ``set_output(transform="pandas")`` makes
    ``transform`` return DataFrames with those columns.
    """

    def _fit_columns(self, X) -> np.ndarray:
        X2, _ = _as_columns(X)
        _check_feature_names(self, X, reset=True)
        self.n_features_in_ = X2.shape[1]
        return X2

    def _columns(self, X):
        """Validated 2-D view of ``X``, and a function mapping results back to X's form."""
        check_is_fitted(self)
        _check_feature_names(self, X, reset=False)
        X2, ndim = _as_columns(X)
        if ndim == 1 and self.n_features_in_ != 1:
            raise ValueError(
                f"X is 1-D, but {type(self).__name__} was fitted on {self.n_features_in_} "
                f"features. Reshape your data to (n_obs, {self.n_features_in_})."
            )
        check_n_features(X2, self)
        return X2, partial(_restore, X, ndim, self.get_feature_names_out)


class StandardScaler(_ColumnTransform):
    """Centre each column on its training mean and divide by its standard deviation.

    ``z = (x - mean_) / scale_`` with the population standard deviation; a
    constant column gets ``scale_ = 1`` (it is only centred).

    Attributes
    ----------
    mean_, scale_ : numpy.ndarray of shape (n_columns,)
    n_features_in_ : int
    """

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Learn ``mean_`` and ``scale_`` from the training data ``X``."""
        self.mean_, self.scale_ = mean_and_scale(self._fit_columns(X))
        return self

    def transform(self, X: ArrayLike) -> Transformed:
        """Return ``(X - mean_) / scale_``."""
        X2, restore = self._columns(X)
        return restore((X2 - self.mean_) / self.scale_)

    def inverse_transform(self, X: ArrayLike) -> Transformed:
        """Return ``X * scale_ + mean_``."""
        X2, restore = self._columns(X)
        return restore(X2 * self.scale_ + self.mean_)


class MinMaxScaler(_ColumnTransform):
    """Map each column's training range onto ``feature_range`` linearly.

    ``z = lo + (x - data_min_) * (hi - lo) / data_range_``; a constant column
    gets ``data_range_ = 1`` (it maps to ``lo``). Values outside the training
    range map outside ``feature_range`` (no clipping: forecasts may leave it).

    Parameters
    ----------
    feature_range : tuple (lo, hi), default (0, 1)
        ``(-1, 1)`` matches the range of ``tanh`` units.

    Attributes
    ----------
    data_min_, data_range_ : numpy.ndarray of shape (n_columns,)
    n_features_in_ : int
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        self.feature_range = feature_range

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Learn ``data_min_`` and ``data_range_`` from the training data ``X``."""
        lo, hi = self.feature_range
        if not lo < hi:
            raise ValueError(f"feature_range must satisfy lo < hi, got {self.feature_range}")
        X2 = self._fit_columns(X)
        self.data_min_ = X2.min(axis=0)
        data_range = X2.max(axis=0) - self.data_min_
        constant = data_range <= CONSTANT_RTOL * np.maximum(np.abs(self.data_min_), 1.0)
        self.data_range_ = np.where(constant, 1.0, data_range)
        return self

    def transform(self, X: ArrayLike) -> Transformed:
        """Return ``lo + (X - data_min_) * (hi - lo) / data_range_``."""
        lo, hi = self.feature_range
        X2, restore = self._columns(X)
        return restore((X2 - self.data_min_) / self.data_range_ * (hi - lo) + lo)

    def inverse_transform(self, X: ArrayLike) -> Transformed:
        """Return ``data_min_ + (X - lo) * data_range_ / (hi - lo)``."""
        lo, hi = self.feature_range
        X2, restore = self._columns(X)
        return restore((X2 - lo) / (hi - lo) * self.data_range_ + self.data_min_)


class IdentityTransform(_ColumnTransform):
    """A transform that changes nothing (``make_scaler(None)``)."""

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Record the number of columns of ``X``."""
        self._fit_columns(X)
        return self

    def transform(self, X: ArrayLike) -> Transformed:
        """Return a float copy of ``X``."""
        X2, restore = self._columns(X)
        return restore(X2.copy())

    def inverse_transform(self, X: ArrayLike) -> Transformed:
        """Return a float copy of ``X``."""
        X2, restore = self._columns(X)
        return restore(X2.copy())


class LogTransform(_ColumnTransform):
    """Natural logarithm ``z = log(x + offset)``, inverse ``exp(z) - offset``.

    Parameters
    ----------
    offset : float, default 0.0
        Added before the logarithm, e.g. ``1.0`` for counts with zeros.
        Every ``x + offset`` must be positive.
    """

    def __init__(self, offset: float = 0.0):
        self.offset = offset

    def _check_positive(self, X2: np.ndarray) -> None:
        shifted = X2 + self.offset
        if (shifted <= 0).any():
            row, col = np.unravel_index(int(np.argmax(shifted <= 0)), shifted.shape)
            where = f"{row}" if X2.shape[1] == 1 else f"({row}, {col})"
            raise ValueError(
                "LogTransform needs x + offset > 0, but x at position "
                f"{where} is {float(X2[row, col])!r} with offset {self.offset!r}; "
                "use a larger offset or another transform"
            )

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Check that ``X + offset`` is positive."""
        if not np.isfinite(self.offset):
            raise ValueError(f"offset must be finite, got {self.offset!r}")
        self._check_positive(self._fit_columns(X))
        return self

    def transform(self, X: ArrayLike) -> Transformed:
        """Return ``log(X + offset)``."""
        X2, restore = self._columns(X)
        self._check_positive(X2)
        return restore(np.log(X2 + self.offset))

    def inverse_transform(self, X: ArrayLike) -> Transformed:
        """Return ``exp(X) - offset``."""
        X2, restore = self._columns(X)
        return restore(np.exp(X2) - self.offset)


class Differencer(_ColumnTransform):
    """Difference a series; integrate forecasts back from the end of training.

    The seasonal difference ``x[t] - x[t - seasonal_period]`` (if
    ``seasonal_period`` is given) is applied first, then ``order`` ordinary
    differences ``x[t] - x[t - 1]``. The output is shorter than the input by
    ``n_lost_ = (seasonal_period or 0) + order`` observations (the first ones).

    Parameters
    ----------
    order : int, default 1
        Number of lag-1 differences (``0`` allowed with ``seasonal_period``).
    seasonal_period : int, optional
        Lag of one seasonal difference, e.g. 12 for monthly data.

    Attributes
    ----------
    lags_ : tuple of int
        Lag of each differencing stage, in the order applied.
    n_lost_ : int
        ``sum(lags_)``, observations consumed at the start of the series.
    tails_ : list of numpy.ndarray
        For each stage, the last ``lag`` values of that stage's input in the
        training series: the starting point of :meth:`inverse_transform`.
    """

    def __init__(self, order: int = 1, seasonal_period: int | None = None):
        self.order = order
        self.seasonal_period = seasonal_period

    def _lags(self) -> tuple[int, ...]:
        order = self.order
        if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, np.integer)):
            raise ValueError(f"order must be a non-negative integer, got {order!r}")
        if order < 0:
            raise ValueError(f"order must be a non-negative integer, got {order!r}")
        lags = (1,) * int(order)
        if self.seasonal_period is not None:
            lags = (check_positive_int(self.seasonal_period, "seasonal_period"), *lags)
        if not lags:
            raise ValueError("Differencer needs order >= 1 or a seasonal_period")
        return lags

    @staticmethod
    def _tails(X2: np.ndarray, lags, name: str, need: int) -> list[np.ndarray]:
        if X2.shape[0] < need:
            raise ValueError(
                f"{name} has {X2.shape[0]} observations; differencing with lags "
                f"{list(lags)} needs at least {need}"
            )
        tails = []
        for lag in lags:
            tails.append(X2[-lag:].copy())
            X2 = X2[lag:] - X2[:-lag]
        return tails

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Remember the last training values each stage needs to integrate."""
        self.lags_ = self._lags()
        self.n_lost_ = sum(self.lags_)
        self.tails_ = self._tails(self._fit_columns(X), self.lags_, "X", self.n_lost_ + 1)
        return self

    def transform(self, X: ArrayLike) -> Transformed:
        """Difference ``X``; the result has ``len(X) - n_lost_`` rows.

        A pandas input keeps the index labels of the rows that remain.
        """
        X2, restore = self._columns(X)
        if X2.shape[0] <= self.n_lost_:
            raise ValueError(
                f"X has {X2.shape[0]} observations; differencing with lags "
                f"{list(self.lags_)} needs at least {self.n_lost_ + 1}"
            )
        for lag in self.lags_:
            X2 = X2[lag:] - X2[:-lag]
        index = X.index[self.n_lost_ :] if isinstance(X, (pd.Series, pd.DataFrame)) else None
        return restore(X2, index)

    def inverse_transform(self, X: ArrayLike, history: ArrayLike | None = None) -> Transformed:
        """Integrate differenced values that continue a series.

        Parameters
        ----------
        X : array-like of shape (n_steps,) or (n_steps, n_columns)
            Differenced values for the time steps right after the end of the
            training series (a forecast), or after ``history``.
        history : array-like, optional
            The observed series that ``X`` continues, at least ``n_lost_``
            values; defaults to the series given to ``fit``.

        Returns
        -------
        numpy.ndarray or pandas object
            The values on the original scale, same shape as ``X``.
        """
        X2, restore = self._columns(X)
        if history is None:
            tails = self.tails_
        else:
            hist, _ = _as_columns(history, "history")
            check_n_features(hist, self, "history")
            tails = self._tails(hist, self.lags_, "history", self.n_lost_)
        for tail in reversed(tails):
            X2 = _integrate(X2, tail)
        return restore(X2)


def _integrate(diff: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Solve ``x[t] = diff[t] + x[t - lag]`` given the ``lag`` values before ``x[0]``.

    Each of the ``lag`` phases is an independent cumulative sum, so pad to a
    whole number of seasons, cumsum over seasons, add the tail, and trim.
    """
    lag, n_cols = tail.shape
    n = diff.shape[0]
    n_seasons = -(-n // lag)
    padded = np.zeros((n_seasons * lag, n_cols))
    padded[:n] = diff
    out = np.cumsum(padded.reshape(n_seasons, lag, n_cols), axis=0) + tail
    return out.reshape(n_seasons * lag, n_cols)[:n]


_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}


def make_scaler(scaler: Literal["standard", "minmax", "none"] | Transformer | None
                ) -> Transformer:
    """Turn a scaler specification into an unfitted scaler object.

    Parameters
    ----------
    scaler : {"standard", "minmax", "none"}, None or transformer
        ``None``/``"none"`` gives :class:`IdentityTransform`; an object with
        ``fit``, ``transform`` and ``inverse_transform`` is cloned.

    Returns
    -------
    transformer
        A new, unfitted object.
    """
    if scaler is None or (isinstance(scaler, str) and scaler.lower() == "none"):
        return IdentityTransform()
    if isinstance(scaler, str):
        try:
            return _SCALERS[scaler.lower()]()
        except KeyError:
            choices = ", ".join(repr(k) for k in [*_SCALERS, "none"])
            msg = f"unknown scaler {scaler!r}; choose one of {choices} or None"
            raise ValueError(msg) from None
    if all(hasattr(scaler, m) for m in ("fit", "transform", "inverse_transform")):
        return clone(scaler) if hasattr(scaler, "get_params") else copy.deepcopy(scaler)
    raise TypeError(
        "scaler must be 'standard', 'minmax', None or an object with fit, transform "
        f"and inverse_transform, got {type(scaler).__name__}"
    )
