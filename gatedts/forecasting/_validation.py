"""Shared input checks: user input in, clean float arrays (or a clear error) out.

Every public entry point of gatedts funnels its arrays through
:func:`as_float_array` so that a bad input fails at the boundary, with a
message that names the argument, instead of deep inside a Numba kernel.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "DataTypeError",
    "as_float_array",
    "check_n_features",
    "check_positive_int",
    "check_series_index",
]

# Axis names quoted in the error message when ``ndim=3`` and no layout is given:
# in this library a 3-D array is always a batch of sequences.
_DEFAULT_LAYOUTS = {3: "(batch, time, features)"}


class DataTypeError(TypeError, ValueError):
    """Input of a type that cannot be used as real numbers (e.g. complex).

    A ``TypeError`` by nature, and a ``ValueError`` too, because scikit-learn's
    estimator checks expect ``ValueError("Complex data not supported")``.
    """


def _describe_ndim(ndim: tuple[int, ...]) -> str:
    return " or ".join(f"{k}-D" for k in ndim)


def as_float_array(
    x,
    name: str,
    ndim: int | tuple[int, ...] | None = None,
    dtype=np.float64,
    allow_empty: bool = False,
    *,
    allow_nonfinite: bool = False,
    layout: str | None = None,
    copy: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a numeric numpy array, or raise an informative error.

    Parameters
    ----------
    x : array-like, pandas.Series or pandas.DataFrame
        Input data. pandas objects are converted through their values (the
        index is dropped; check it with :func:`check_series_index`).
    name : str
        Name of the argument, used in error messages (``"y"``, ``"X"``).
    ndim : int or tuple of int, optional
        Allowed number(s) of dimensions. ``None`` accepts any.
    dtype : numpy dtype, default float64
        Floating dtype of the result.
    allow_empty : bool, default False
        Accept arrays with no elements.
    allow_nonfinite : bool, default False
        Accept NaN and +-inf.
    layout : str, optional
        Axis names quoted in the dimension error, e.g. ``"(batch, time, features)"``
        (the default for ``ndim=3``).
    copy : bool, default False
        Always return a new array, never a view of (or the same object as) ``x``.

    Returns
    -------
    numpy.ndarray
        Array of dtype ``dtype``.

    Raises
    ------
    TypeError
        If ``x`` is not numeric: string, datetime, sparse, or an object array
        holding anything but numbers and missing values (``None``/``pd.NA``
        count as NaN). Complex input raises :class:`DataTypeError`.
    ValueError
        If ``x`` has the wrong number of dimensions, is empty, is ragged, or
        contains NaN/inf; the message names the first offending position.

    Notes
    -----
    The messages follow scikit-learn's wording where its estimator checks
    look for it ("Reshape your data", "0 feature(s)", "Complex data not
    supported", "sparse"), so estimators built on this pass
    ``parametrize_with_checks``.
    """
    labels = x.index if isinstance(x, (pd.Series, pd.DataFrame)) else None
    arr = _to_numpy(x, name, dtype)
    kind = arr.dtype.kind
    if kind == "O":
        arr = _from_object(arr, name, dtype)
    elif kind == "c":
        msg = f"{name} must be real, got dtype {arr.dtype}: Complex data not supported"
        raise DataTypeError(msg)
    elif kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=dtype, copy=True) if copy else np.asarray(arr, dtype=dtype)

    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if arr.ndim not in allowed:
            hint = layout if layout is not None else _DEFAULT_LAYOUTS.get(allowed[0], "")
            hint = f" {hint}" if hint and len(allowed) == 1 else ""
            msg = f"{name} must be {_describe_ndim(allowed)}{hint}, got shape {arr.shape}."
            if arr.ndim + 1 in allowed:
                msg += f" Reshape your data, e.g. {name}[..., None] if it has a single feature."
            raise ValueError(msg)
    if arr.size == 0 and not allow_empty:
        if arr.ndim >= 2 and arr.shape[0] > 0:
            raise ValueError(
                f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
            )
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not allow_nonfinite:
        _check_finite(arr, name, labels)
    return arr


def _is_real_dtype(dtype) -> bool:
    return (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    ) and not pd.api.types.is_complex_dtype(dtype)


def _to_numpy(x, name: str, dtype) -> np.ndarray:
    """Plain numpy array of ``x``; pandas missing values become NaN."""
    if sparse.issparse(x):
        raise TypeError(
            f"{name} is a sparse matrix, but sparse input is not supported; "
            f"convert it with {name}.toarray()"
        )
    if isinstance(x, pd.DataFrame):
        dtypes = x.dtypes
        bad = [
            c
            for c, t in dtypes.items()
            if not (_is_real_dtype(t) or pd.api.types.is_object_dtype(t))
        ]
        if bad:
            raise TypeError(f"{name} must be numeric, column {bad[0]!r} has dtype {dtypes[bad[0]]}")
        if all(_is_real_dtype(t) for t in dtypes):
            return x.to_numpy(dtype=dtype, na_value=np.nan)
        return x.to_numpy(dtype=object)
    if isinstance(x, (pd.Series, pd.Index)):
        if _is_real_dtype(x.dtype):
            return x.to_numpy(dtype=dtype, na_value=np.nan)
        if not pd.api.types.is_object_dtype(x.dtype):
            raise TypeError(f"{name} must be numeric, got dtype {x.dtype}")
        return x.to_numpy()
    try:
        return np.asarray(x)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None


def _from_object(arr: np.ndarray, name: str, dtype) -> np.ndarray:
    """Convert an object array whose elements are all numbers (or missing)."""
    for pos, value in enumerate(arr.flat):
        if isinstance(value, (str, bytes, complex)):
            where = np.unravel_index(pos, arr.shape)
            where = _row(int(where[0])) if arr.ndim == 1 else tuple(int(p) for p in where)
            cls = DataTypeError if isinstance(value, complex) else TypeError
            raise cls(
                f"{name} must be numeric, got dtype object holding {value!r} at position {where}"
            )
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = np.nan
    try:
        return arr.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got dtype object: {exc}") from None


def _row(position: int) -> str:
    """A 0-based position as messages print it, with its 1-based row (as the command line
    and spreadsheets count)."""
    return f"{position} (row {position + 1})"


def _check_finite(arr: np.ndarray, name: str, labels) -> None:
    finite = np.isfinite(arr)
    if finite.all():
        return
    flat = int(np.argmin(finite.ravel()))
    pos = np.unravel_index(flat, arr.shape)
    value = arr[pos]
    what = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    where = str(tuple(int(p) for p in pos)) if arr.ndim > 1 else _row(int(pos[0]))
    if labels is not None and arr.ndim >= 1 and len(labels) == arr.shape[0]:
        label = f"index {labels[pos[0]]}"
        where = f"{where[:-1]}, {label})" if arr.ndim == 1 else f"{where} ({label})"
    raise ValueError(f"{name} contains {what} at position {where}")


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer, else raise.

    Parameters
    ----------
    value : object
        Candidate value. Python and numpy integers are accepted; ``bool`` and
        integral floats (``3.0``) are not.
    name : str
        Name of the parameter, used in the error message.
    allow_zero : bool, default False
        Accept 0 too (a non-negative integer).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``"window must be a positive integer, got 0"``.
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not integral or value < (0 if allow_zero else 1):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return int(value)


def check_series_index(index, name: str = "y") -> pd.Index:
    """Check that a time index is usable: no missing values, strictly increasing.

    Parameters
    ----------
    index : pandas.Index, pandas.Series or pandas.DataFrame
        The index to check (a pandas object's ``.index`` is used).
    name : str, default "y"
        Name of the object whose index it is, used in error messages.

    Returns
    -------
    pandas.Index
        The index itself.

    Raises
    ------
    ValueError
        If the index contains NaN/NaT, is not monotonic increasing or has a
        duplicated label; the message names the first offending label and
        its position.
    """
    if isinstance(index, (pd.Series, pd.DataFrame)):
        index = index.index
    if not isinstance(index, pd.Index):
        raise TypeError(f"{name} index must be a pandas Index, got {type(index).__name__}")
    if index.hasnans:
        pos = int(np.flatnonzero(index.isna())[0])
        raise ValueError(f"{name} index has a missing value at position {_row(pos)}")
    if index.is_monotonic_increasing and index.is_unique:
        return index
    decreasing = np.flatnonzero(np.asarray(index[1:] < index[:-1])) + 1
    duplicated = np.flatnonzero(index.duplicated())
    first_dec = decreasing[0] if decreasing.size else len(index)
    first_dup = duplicated[0] if duplicated.size else len(index)
    if first_dup < first_dec:
        raise ValueError(
            f"{name} index has a duplicated label {index[first_dup]} at position "
            f"{_row(int(first_dup))}"
        )
    raise ValueError(
        f"{name} index is not monotonic increasing: {index[first_dec]} at position "
        f"{_row(int(first_dec))} comes after {index[first_dec - 1]}"
    )


def check_n_features(X: np.ndarray, estimator, name: str = "X") -> None:
    """Check that ``X`` has as many features (last axis) as ``estimator`` was fitted with.

    Parameters
    ----------
    X : numpy.ndarray
        Validated input, features on the last axis.
    estimator : object
        Fitted object with an ``n_features_in_`` attribute.
    name : str, default "X"
        Name used in the error message.

    Raises
    ------
    ValueError
        With scikit-learn's wording, ``"X has 1 features, but GRURegressor is
        expecting 3 features as input"``.
    """
    expected = estimator.n_features_in_
    if X.shape[-1] != expected:
        raise ValueError(
            f"{name} has {X.shape[-1]} features, but {type(estimator).__name__} is "
            f"expecting {expected} features as input"
        )
