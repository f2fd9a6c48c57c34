"""Sliding windows: from a series to the ``(batch, time, features)`` layout.

A window of length ``window`` ending at time ``t`` is the input; the next
``horizon`` target values ``y[t+1 : t+1+horizon]`` are the output. Feature 0 of
every window is the target itself, features ``1..k`` are the *past* values of
the exogenous columns over the same time steps (known-future covariates are
not included: at forecast time they would have to be forecast themselves).

Stride alignment
----------------
With ``stride > 1`` the windows are aligned to the **end** of the series: the
last window (the most recent information) is always kept, and earlier ones are
taken every ``stride`` steps backwards from it. When ``stride`` does not divide
``n_obs - window - horizon``, the remainder is dropped at the *start* of the
series, where the information is oldest.

Pipeline form
-------------
A scikit-learn ``Pipeline`` cannot change ``y`` or the number of rows inside
``transform``, so the series-to-samples step happens *before* the pipeline
(:func:`make_flat_windows`), and :class:`WindowTransformer` only reshapes the
flat lag rows ``(n_samples, window * n_features)`` into the 3-D layout the
recurrent estimators expect, one row in, one sequence out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..estimators import lags_to_sequences
from ._validation import (
    as_float_array,
    check_n_features,
    check_positive_int,
    check_series_index,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "MIN_WINDOWS",
    "WindowTransformer",
    "Windowing",
    "future_index",
    "last_window",
    "make_flat_windows",
    "make_windows",
    "resolve_window",
    "window_starts",
]

#: The "auto" window of a Forecaster shrinks to keep at least this many training windows.
MIN_WINDOWS = 10


def _stack_series(y, exog) -> np.ndarray:
    """Validate ``y`` (and ``exog``) and return the ``(n_obs, n_features)`` data."""
    if isinstance(y, (pd.Series, pd.DataFrame)):
        check_series_index(y.index, "y")
    y_arr = as_float_array(y, "y", ndim=1)
    if exog is None:
        return y_arr[:, None]
    exog_arr = as_float_array(exog, "exog", ndim=(1, 2))
    if exog_arr.ndim == 1:
        exog_arr = exog_arr[:, None]
    if exog_arr.shape[0] != y_arr.shape[0]:
        raise ValueError(
            f"exog has {exog_arr.shape[0]} rows but y has {y_arr.shape[0]} observations; "
            "they must be aligned in time"
        )
    if isinstance(exog, (pd.Series, pd.DataFrame)):
        check_series_index(exog.index, "exog")
        # Both labelled: positional stacking of differently labelled data is a silent bug.
        if isinstance(y, pd.Series) and not exog.index.equals(y.index):
            raise ValueError(
                "exog index does not match y index; align them first, e.g. "
                "exog = exog.reindex(y.index)"
            )
    return np.column_stack([y_arr, exog_arr])


def window_starts(n_obs: int, window: int, horizon: int = 1, stride: int = 1) -> np.ndarray:
    """Start positions of the windows :func:`make_windows` takes, in time order.

    Parameters
    ----------
    n_obs : int
        Length of the series.
    window, horizon, stride : int
        As in :func:`make_windows`.

    Returns
    -------
    numpy.ndarray of int
        ``starts[i]`` is the position of the first input step of window ``i``;
        its targets are ``y[starts[i] + window : starts[i] + window + horizon]``.
        The last start is always ``n_obs - window - horizon`` (end alignment).

    Raises
    ------
    ValueError
        If ``n_obs < window + horizon``.
    """
    window = check_positive_int(window, "window")
    horizon = check_positive_int(horizon, "horizon")
    stride = check_positive_int(stride, "stride")
    last = n_obs - window - horizon
    if last < 0:
        raise ValueError(
            f"y has {n_obs} observations, fewer than window + horizon = "
            f"{window} + {horizon} = {window + horizon}"
        )
    return np.arange(last % stride, last + 1, stride)


def make_windows(y: ArrayLike, window: int, horizon: int = 1, *, exog: ArrayLike | None = None,
                 stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into input windows and the targets that follow them.

    Parameters
    ----------
    y : array-like of shape (n_obs,) or pandas.Series
        Target series in time order. A pandas index must be monotonic
        increasing without duplicates.
    window : int
        Number of past time steps in each input window.
    horizon : int, default 1
        Number of future target values per window.
    exog : array-like of shape (n_obs, n_exog) or pandas.DataFrame, optional
        Exogenous series aligned with ``y`` (same length; same index if both are
        pandas). Their past values become features ``1..n_exog``.
    stride : int, default 1
        Step between consecutive windows. Windows are aligned to the end of the
        series, so the most recent window is always included.

    Returns
    -------
    X : numpy.ndarray of shape (n_windows, window, 1 + n_exog), float64
        ``X[i, j, 0] = y[s_i + j]`` and ``X[i, j, 1:] = exog[s_i + j]`` where
        ``s_i = window_starts(n_obs, window, horizon, stride)[i]``.
    Y : numpy.ndarray of shape (n_windows, horizon), float64
        ``Y[i, h] = y[s_i + window + h]``.

    Raises
    ------
    ValueError
        If the series is shorter than ``window + horizon``, contains NaN/inf,
        ``exog`` is not aligned with ``y``, the index is not increasing, or
        ``window``/``horizon``/``stride`` is not a positive integer.

    Notes
    -----
    The outputs are fresh arrays, never views of the input.

    Examples
    --------
    >>> X, Y = make_windows(np.arange(6.0), window=3, horizon=2)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.]])
    >>> Y
    array([[3., 4.],
           [4., 5.]])
    """
    data = _stack_series(y, exog)
    starts = window_starts(data.shape[0], window, horizon, stride)
    # sliding_window_view puts the window axis last, (n, features, window); transposing
    # the view is free, and the fancy index then makes one C-contiguous copy.
    X = sliding_window_view(data[: data.shape[0] - horizon], window, axis=0)
    X = X.transpose(0, 2, 1)[starts]
    Y = sliding_window_view(data[window:, 0], horizon)[starts].copy()
    return X, Y


def last_window(y: ArrayLike, window: int, *, exog: ArrayLike | None = None) -> np.ndarray:
    """The most recent window, the input for forecasting beyond the end of ``y``.

    Parameters
    ----------
    y : array-like of shape (n_obs,) or pandas.Series
        Target series, ``n_obs >= window``.
    window : int
        Number of time steps.
    exog : array-like of shape (n_obs, n_exog) or pandas.DataFrame, optional
        Exogenous series aligned with ``y``.

    Returns
    -------
    numpy.ndarray of shape (1, window, 1 + n_exog), float64
        Same feature layout as :func:`make_windows`.
    """
    window = check_positive_int(window, "window")
    data = _stack_series(y, exog)
    if data.shape[0] < window:
        raise ValueError(f"y has {data.shape[0]} observations, fewer than window = {window}")
    return data[-window:][None].copy()


def make_flat_windows(y: ArrayLike, window: int, horizon: int = 1, *,
                      exog: ArrayLike | None = None,
                      stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """:func:`make_windows` with each window flattened into one tabular row.

    The row layout is time-major, ``[y_t0, exog_t0..., y_t1, exog_t1..., ...]``,
    which :class:`WindowTransformer` turns back into ``(window, n_features)``.

    Returns
    -------
    X : numpy.ndarray of shape (n_windows, window * (1 + n_exog))
    Y : numpy.ndarray of shape (n_windows, horizon)
    """
    X, Y = make_windows(y, window, horizon, exog=exog, stride=stride)
    return X.reshape(X.shape[0], -1), Y


class WindowTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator,
                        auto_wrap_output_keys=None):
    """Reshape flat lag rows into sequences, as a scikit-learn pipeline step.

    ``transform`` maps ``(n_samples, window * n_features)`` to
    ``(n_samples, window, n_features)`` using the time-major row layout of
    :func:`make_flat_windows`. It keeps one output sequence per input row, as a
    ``Pipeline`` requires (``transform`` cannot drop rows or change ``y``).
    Turning a series into rows and targets is done outside the pipeline, with
    :meth:`flat_windows` (which uses ``horizon`` and ``stride``)::

        wt = WindowTransformer(window=24, horizon=6)
        X_flat, Y = wt.flat_windows(y, exog=exog)
        pipe = make_pipeline(wt, GRURegressor())
        pipe.fit(X_flat, Y)

    Parameters
    ----------
    window : int
        Number of time steps per row.
    horizon : int, default 1
        Targets per window, used by :meth:`flat_windows` only.
    stride : int, default 1
        Step between windows (end-aligned), used by :meth:`flat_windows` only.

    Attributes
    ----------
    n_features_in_ : int
        Number of flat columns seen in ``fit`` (``window * n_series_features_``).
    n_series_features_ : int
        Number of features per time step in the output.

    Notes
    -----
    The output is 3-D, which no DataFrame can hold: ``transform`` returns an
    ndarray whatever the output configuration, ``set_output`` only accepts
    the setting (so that ``Pipeline.set_output(transform="pandas")`` works on a
    pipeline holding this step), and ``get_feature_names_out`` names the
    features of the last axis, ``windowtransformer0, windowtransformer1, ...``.
    """

    def __init__(self, window: int, horizon: int = 1, stride: int = 1):
        self.window = window
        self.horizon = horizon
        self.stride = stride

    def fit(self, X: ArrayLike, y: object = None) -> Self:
        """Learn the number of features per time step from ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window * n_features)
        y : ignored

        Returns
        -------
        self
        """
        window = check_positive_int(self.window, "window")
        check_positive_int(self.horizon, "horizon")
        check_positive_int(self.stride, "stride")
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] % window:
            raise ValueError(
                f"X has {X.shape[1]} columns, not a multiple of window = {window}; "
                "expected flat rows of window * n_features values"
            )
        self.n_features_in_ = X.shape[1]
        self.n_series_features_ = X.shape[1] // window
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Reshape flat rows into ``(n_samples, window, n_features)`` sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, window * n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples, window, n_features), float64
        """
        check_is_fitted(self)
        X = as_float_array(X, "X", ndim=2, copy=True)
        check_n_features(X, self)
        # The fitted layout, even after set_params(window=...).
        return lags_to_sequences(X, n_features_per_step=self.n_series_features_)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Flatten ``(n_samples, window, n_features)`` sequences into rows."""
        check_is_fitted(self)
        X = as_float_array(X, "X", ndim=3, copy=True)
        window = self.n_features_in_ // self.n_series_features_
        if X.shape[1:] != (window, self.n_series_features_):
            raise ValueError(
                f"X has shape {X.shape}, expected (n_samples, {window}, {self.n_series_features_})"
            )
        return X.reshape(X.shape[0], -1)

    @property
    def _n_features_out(self):
        """Features per step of the output (for ``get_feature_names_out``)."""
        return self.n_series_features_

    def set_output(self, *,
                   transform: Literal["default", "pandas", "polars"] | None = None) -> Self:
        """Accept an output setting; sequences stay ndarrays (see the class notes).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None

        Returns
        -------
        self
        """
        if transform not in (None, "default", "pandas", "polars"):
            raise ValueError(f"transform must be 'default', 'pandas', 'polars' or None, got "
                             f"{transform!r}")
        return self

    def flat_windows(self, y: ArrayLike, *,
                     exog: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Flat training rows and targets from a series, see :func:`make_flat_windows`."""
        return make_flat_windows(y, self.window, self.horizon, exog=exog, stride=self.stride)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


def future_index(index: pd.Index, horizon: int) -> pd.Index:
    """The ``horizon`` time labels that follow ``index``, to date a forecast.

    Parameters
    ----------
    index : pandas.Index, pandas.Series or pandas.DataFrame
        Index of the observed series (a pandas object's ``.index`` is used).
        Supported: ``DatetimeIndex`` with a ``freq`` (or one ``pd.infer_freq``
        can determine), ``PeriodIndex``, ``TimedeltaIndex`` with a ``freq``,
        ``RangeIndex`` and integer indexes with a constant step.
    horizon : int
        Number of future labels.

    Returns
    -------
    pandas.Index
        Same kind (and name, time zone) as ``index``.

    Raises
    ------
    ValueError
        If no frequency can be determined (set one, e.g. ``y = y.asfreq("D")``),
        if the index is empty, not increasing, or of an unsupported type.
    """
    horizon = check_positive_int(horizon, "horizon")
    if isinstance(index, (pd.Series, pd.DataFrame)):
        index = index.index
    index = check_series_index(index, "y")
    if len(index) == 0:
        raise ValueError("cannot extend an empty index")
    last = index[-1]
    if isinstance(index, pd.PeriodIndex):
        return pd.period_range(start=last + 1, periods=horizon, freq=index.freq, name=index.name)
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        freq = index.freq
        if freq is None and len(index) >= 3:
            # Same inference as pd.infer_freq, without its pandas-3 deprecation warning.
            freq = type(index)(index, freq="infer").freq
        if freq is None:
            raise ValueError(
                f"cannot determine the frequency of the {type(index).__name__}; set one, "
                "e.g. y = y.asfreq('D') (or 'h', 'MS', ...), before fitting"
            )
        make = pd.date_range if isinstance(index, pd.DatetimeIndex) else pd.timedelta_range
        return make(start=last + freq, periods=horizon, freq=freq, name=index.name)
    if isinstance(index, pd.RangeIndex):
        step = index.step
    elif pd.api.types.is_integer_dtype(index.dtype):
        steps = np.unique(np.diff(index.to_numpy()))
        if steps.size > 1:
            raise ValueError(
                "the integer index has no constant step "
                f"(steps {steps[:3].tolist()}...); cannot extend it"
            )
        step = int(steps[0]) if steps.size else 1
    else:
        raise ValueError(
            f"cannot extend an index of dtype {index.dtype}; use a DatetimeIndex with a "
            "frequency, a PeriodIndex or an integer index"
        )
    start = int(last) + step
    return pd.RangeIndex(start, start + horizon * step, step, name=index.name)


def resolve_window(window: int | Literal["auto"], *, seasonal_period: int, n_obs: int,
                   n_target: int, horizon: int, model_horizon: int, n_lost: int = 0) -> int:
    """A Forecaster's input length: ``window`` itself, or the "auto" rule.

    "auto" is two seasons, at least ``1.25 * horizon`` (Hewamalage, Bergmeir &
    Bandara 2021) and at least 10 steps, shortened (never below one season, or
    2 steps) so that at least :data:`MIN_WINDOWS` training windows remain.

    Parameters
    ----------
    window : int or "auto"
    seasonal_period : int
    n_obs, n_target : int
        Observations of the series, and values left after differencing.
    horizon, model_horizon : int
        Steps forecast, and outputs of the network.
    n_lost : int, default 0
        Observations lost to differencing (for the error message).

    Raises
    ------
    ValueError
        The series cannot hold two training windows.
    """
    room = n_target - model_horizon + 1  # window + n_windows - 1
    if isinstance(window, str) and window == "auto":
        rule = max(2 * seasonal_period, math.ceil(1.25 * horizon), 10)
        floor = min(rule, max(2, seasonal_period))
        length = max(floor, min(rule, room - MIN_WINDOWS))
    else:
        length = check_positive_int(window, "window")
    if room - length < 1:  # fewer than 2 windows
        after = f" ({n_target} after differencing)" if n_lost else ""
        raise ValueError(
            f"y is too short: {n_obs} observations{after} cannot hold two training windows "
            f"of window={length} plus horizon={model_horizon}; it needs at least "
            f"{length + model_horizon + 1 + n_lost} (or use a smaller window or horizon)")
    return length


class Windowing(BaseEstimator):
    """The windows a Forecaster's network reads: for training and for a forecast.

    A window is the last ``window`` transformed target values (feature 0) and
    the scaled exog columns over the same steps. With the *local level*, its
    target values and the targets that follow are taken relative to the
    window's last target value and divided by ``level_scale_``, one scale per
    series (the root mean square of those relative training targets). With
    future-known exog columns, each sequence is extended by ``horizon`` steps
    holding their values (the target and the past-only columns 0), and a last
    feature flags those steps; a decoder (``decoder=True``) reads them
    instead as its own covariates, one step per forecast value.

    Parameters
    ----------
    window : int
        Input length.
    horizon : int
        Outputs of the network (the model horizon).
    local_level : bool, default False
    future_mask : array-like of bool, optional
        Per exog column, whether its future values are known.
    decoder : bool, default False

    Attributes
    ----------
    level_scale_ : float
        The local level's scale (1.0 without it), set by :meth:`fit_transform`.
    """

    def __init__(self, window: int, horizon: int, *, local_level: bool = False,
                 future_mask=(), decoder: bool = False):
        self.window = window
        self.horizon = horizon
        self.local_level = local_level
        self.future_mask = future_mask
        self.decoder = decoder

    @property
    def mask(self) -> np.ndarray:
        """``future_mask`` as a boolean array."""
        return np.asarray(self.future_mask, dtype=bool).reshape(-1)

    @property
    def has_future(self) -> bool:
        """Whether some exog columns are known in the future."""
        return bool(self.mask.any())

    def fit_transform(self, target: np.ndarray, features: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Fit ``level_scale_`` on the training windows and return them (see
        :meth:`training_windows`)."""
        X, Y = make_windows(target, self.window, self.horizon, exog=features)
        level_scale = 1.0
        if self.local_level:
            change = Y - X[:, self.window - 1, :1]
            level_scale = float(np.sqrt(np.mean(change**2))) or 1.0
        self.level_scale_ = level_scale
        return self.training_windows(target, features)

    def training_windows(self, target: np.ndarray, features: np.ndarray | None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Training windows of a transformed series.

        Parameters
        ----------
        target : ndarray of shape (n,)
            The transformed target.
        features : ndarray of shape (n, n_exog) or None
            The scaled exog columns aligned with it.

        Returns
        -------
        X : ndarray of shape (n_windows, n_steps, n_features)
            The network's input sequences.
        Y : ndarray of shape (n_windows, horizon)
            Their targets.
        X_future : ndarray of shape (n_windows, horizon, n_future) or None
            The decoder's future covariates (``decoder`` with future-known exog).
        """
        X, Y = make_windows(target, self.window, self.horizon, exog=features)
        if self.local_level:
            Y = (Y - X[:, self.window - 1, :1]) / self.level_scale_
            X, _ = self._relative_to_level(X)
        if self.has_future:
            starts = window_starts(len(target), self.window, self.horizon)
            future = features * self.mask  # past-only columns are unknown: 0
            block = sliding_window_view(future[self.window:], self.horizon, axis=0)
            X = append_future(X, block[starts].transpose(0, 2, 1))
        X, X_future = self._split_decoder(X)
        return X, Y, X_future

    def inference_window(self, target: np.ndarray, features: np.ndarray | None,
                         future: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """The network's input for a forecast after a transformed history.

        Parameters
        ----------
        target, features
            As in :meth:`training_windows`; at least ``window`` values.
        future : ndarray of shape (horizon, n_exog), optional
            The scaled exog rows of the forecast steps (needed with future-known
            columns; the past-only ones are zeroed).

        Returns
        -------
        X : ndarray of shape (1, n_steps, n_features)
        X_future : ndarray of shape (1, horizon, n_future) or None
        level : ndarray of shape (1, 1)
            The level the forecast is relative to (0 without the local level):
            :meth:`restore` adds it back.
        """
        if len(target) < self.window:
            raise ValueError(f"the transformed history has {len(target)} values, fewer than "
                             f"the window ({self.window})")
        X = target[-self.window:, None]
        if features is not None:
            X = np.column_stack([X, features[-self.window:]])
        X = X[None]
        if self.has_future:
            X = append_future(X, (future * self.mask)[None])
        X, level = self._relative_to_level(X)
        return (*self._split_decoder(X), level)

    def rows_needed(self, horizon: int) -> int:
        """Future rows a forecast of ``horizon`` steps reads: whole model horizons."""
        return -(-horizon // self.horizon) * self.horizon

    def exog_future_from(self, exog: np.ndarray, origin: int,
                         horizon: int) -> np.ndarray | None:
        """The ``exog_future`` of a forecast of ``horizon`` steps from ``origin``, taken
        from data ``exog`` (all columns) that hold the future: the future-known
        columns, padded with the last row where a model horizon runs past the data;
        None without future-known columns."""
        if not self.has_future:
            return None
        n_rows = self.rows_needed(horizon)
        rows = exog[origin: origin + n_rows, self.mask]
        if len(rows) < n_rows:
            rows = np.vstack([rows, np.repeat(rows[-1:], n_rows - len(rows), axis=0)])
        return rows

    def restore(self, pred: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Network outputs for the window of ``level`` on the target's transformed scale."""
        return np.reshape(pred, -1) * self.level_scale_ + level[0]

    def _relative_to_level(self, X):
        """Windows ``X`` relative to their last target value, and those values (0
        without the local level)."""
        if not self.local_level:
            return X, np.zeros((len(X), 1))
        level = X[:, self.window - 1, :1].copy()
        X = X.copy()
        X[:, :self.window, 0] = (X[:, :self.window, 0] - level) / self.level_scale_
        return X, level

    def _split_decoder(self, X):
        """``(X, X_future)``: a decoder reads the future-known exog step by step."""
        if not (self.decoder and self.has_future):
            return X, None
        # Feature 0 is the target, the exog columns follow, the flag is last.
        future = X[:, self.window:, 1:-1][:, :, self.mask]
        return X[:, :self.window, :-1], np.ascontiguousarray(future)


def append_future(X: np.ndarray, future: np.ndarray) -> np.ndarray:
    """Extend sequences ``X`` (n, window, F) by future exog rows (n, h, k) and a flag."""
    n, window, n_features = X.shape
    h, k = future.shape[1], future.shape[2]
    out = np.zeros((n, window + h, n_features + 1))
    out[:, :window, :n_features] = X
    out[:, window:, n_features - k: n_features] = future
    out[:, window:, n_features] = 1.0
    return out
