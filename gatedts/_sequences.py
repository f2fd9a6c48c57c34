"""The estimators' input layout and scaling: lag matrices to sequences, and the
standardisation statistics (re-exported by :mod:`gatedts.estimators`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

__all__ = ["CONSTANT_RTOL", "lags_to_sequences", "mean_and_scale", "static_positions"]


# ---------------------------------------------------------------- scaling

# A column whose spread is below this (relative to its magnitude) is treated as
# constant: rounding alone produces a spread of a few ulps.
CONSTANT_RTOL = 10 * np.finfo(np.float64).eps


def mean_and_scale(X: np.ndarray, sample_weight: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population standard deviation of a 2-D ``X``, for standardising.

    With ``sample_weight`` (one per row) both are weighted, so that a weight
    of k counts a row k times. A constant column (spread within
    :data:`CONSTANT_RTOL` of its magnitude) gets scale 1, so it is only centred.

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,), float64
    """
    X = np.asarray(X, dtype=np.float64)
    if sample_weight is None:
        mean, scale = X.mean(axis=0), X.std(axis=0)
    else:
        mean = np.average(X, axis=0, weights=sample_weight)
        scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sample_weight))
    return mean, np.where(scale <= CONSTANT_RTOL * np.maximum(np.abs(mean), 1.0), 1.0, scale)


# ---------------------------------------------------------------- column layout


def lags_to_sequences(X: np.ndarray, *, n_features_per_step: int = 1,
                      lag_order: Literal["oldest_first", "newest_first"] = "oldest_first",
                      feature_layout: Literal["interleaved", "blocks"] = "interleaved",
                      static_columns: Sequence[int] = ()) -> np.ndarray:
    """Sequences ``(n_samples, T, F)`` from a 2-D lag matrix of a declared layout.

    The columns outside ``static_columns`` are the lags: ``T`` time steps of
    ``n_features_per_step`` features each, step by step (``"interleaved"``:
    ``a[t0], b[t0], a[t1], b[t1], ...``) or feature by feature (``"blocks"``:
    ``a[t0], a[t1], ..., b[t0], b[t1], ...``), the steps ``"oldest_first"``
    or ``"newest_first"``. The static columns (values that belong to the
    sample, not to a step) are repeated at every step, after the lag
    features. The result runs from the oldest step to the newest.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    n_features_per_step : int, default 1
    lag_order : {"oldest_first", "newest_first"}, default "oldest_first"
    feature_layout : {"interleaved", "blocks"}, default "interleaved"
    static_columns : sequence of int, default ()
        Positions of the static columns, in the order they are appended.

    Returns
    -------
    ndarray of shape (n_samples, T, n_features_per_step + len(static_columns))
        C-contiguous, in the dtype of ``X``.

    Examples
    --------
    skforecast's rows (``lag_1, lag_2, lag_3, exog``):

    >>> X = np.array([[30.0, 20.0, 10.0, 5.0]])
    >>> lags_to_sequences(X, lag_order="newest_first", static_columns=[3])[0]
    array([[10.,  5.],
           [20.,  5.],
           [30.,  5.]])
    """
    static = list(static_columns)
    n_lags, k = X.shape[1] - len(static), n_features_per_step
    if n_lags <= 0 or n_lags % k:
        raise ValueError(f"X has {n_lags} lag column(s) (of {X.shape[1]}, {len(static)} "
                         f"static), which is not a positive multiple of "
                         f"n_features_per_step={k}")
    lags = X[:, [c for c in range(X.shape[1]) if c not in static]] if static else X
    if feature_layout == "interleaved":
        sequences = lags.reshape(len(X), -1, k)
    else:
        sequences = lags.reshape(len(X), k, -1).transpose(0, 2, 1)
    if lag_order == "newest_first":
        sequences = sequences[:, ::-1]
    if static:
        repeated = np.broadcast_to(X[:, None, static], (*sequences.shape[:2], len(static)))
        sequences = np.concatenate([sequences, repeated], axis=2)
    return np.ascontiguousarray(sequences)


def static_positions(static_features, n_columns, names):
    """The positions (0 .. n_columns - 1) of ``static_features`` in a 2-D X.

    Parameters
    ----------
    static_features : sequence of int or of str, or None
        Positions (negative ones count from the end) or column names.
    n_columns : int
        Columns of X.
    names : list of str
        X's column names (empty when X had none).

    Returns
    -------
    tuple of int
    """
    if static_features is None:
        return ()
    if isinstance(static_features[0], str):
        if not names:
            raise ValueError(f"static_features {list(static_features)} are column names, "
                             "but X was fitted without column names: pass a DataFrame, or "
                             "give positions")
        missing = [name for name in static_features if name not in names]
        if missing:
            raise ValueError(f"static_features {missing} are not columns of X")
        positions = [names.index(name) for name in static_features]
    else:
        outside = [int(p) for p in static_features if not -n_columns <= p < n_columns]
        if outside:
            raise ValueError(f"static_features positions {outside} are outside the "
                             f"{n_columns} columns of X")
        positions = [int(p) % n_columns for p in static_features]
    if len(set(positions)) < len(positions):
        raise ValueError(f"static_features names a column twice: {list(static_features)}")
    return tuple(positions)
