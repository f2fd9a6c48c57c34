"""Input checks of the Forecaster and backtests: series, index, exog, coverage.

A forecast has to be dated, so the index of ``y`` must be regular: a
DatetimeIndex with a frequency (set or inferable), a PeriodIndex without
gaps, or an integer index with a constant step. Errors name the offending
label and say how to fix the data (``y.asfreq(...)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import as_float_array, check_positive_int, check_series_index
from .windows import future_index

__all__ = ["check_coverage", "check_exog", "check_exog_future", "check_y", "regular_index",
           "resolve_future"]


def check_coverage(coverage):
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float, np.floating)) or not (
            0 < coverage < 1):
        raise ValueError(f"coverage must be a probability strictly between 0 and 1, "
                         f"got {coverage!r}")
    return float(coverage)


def check_y(y):
    """Float values, a regular index (DatetimeIndex with freq, PeriodIndex, RangeIndex), name."""
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(f"y must be a Series or 1-D array, got a DataFrame with "
                             f"{y.shape[1]} columns; pick one, e.g. y = df['{y.columns[0]}']")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        _refuse_non_numeric(y.dtype, "y", booleans=False)
        values = as_float_array(y, "y", ndim=1)
        return values, regular_index(y.index), y.name
    _refuse_non_numeric(getattr(y, "dtype", None), "y", booleans=False)
    values = as_float_array(y, "y", ndim=1)
    return values, pd.RangeIndex(len(values)), None


def _refuse_non_numeric(dtype, name, booleans):
    """TypeError for a dtype that holds no measurements: booleans (unless ``booleans``,
    e.g. 0/1 exogenous flags), categories, objects and text.

    ``as_float_array`` would turn booleans into 0/1 and objects holding numbers into
    floats; a series of them is almost always the wrong column, so it is refused by name.
    """
    if dtype is None:
        return
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype) or (
            pd.api.types.is_string_dtype(dtype)):
        raise TypeError(f"{name} must be numeric, got dtype {dtype}; convert it, e.g. "
                        f"pd.to_numeric({name}), or choose a numeric column")
    if pd.api.types.is_bool_dtype(dtype) and not booleans:
        raise TypeError(f"{name} must be numeric, got dtype {dtype}: booleans are not a "
                        f"series to forecast; if you mean 0/1, pass {name}.astype(float)")


def regular_index(index: pd.Index) -> pd.Index:
    """Check that a series index is regular and return it with its frequency set.

    Parameters
    ----------
    index : pandas.Index
        DatetimeIndex (``freq`` set or inferable), PeriodIndex without gaps,
        or an integer index with a constant step.

    Returns
    -------
    pandas.Index
        A DatetimeIndex gets its inferred ``freq``; other kinds are returned as is.

    Raises
    ------
    ValueError
        Duplicated, unsorted or missing labels; gaps or an irregular spacing
        (the message names the first irregular step and suggests ``asfreq``);
        an unsupported index type.
    """
    index = check_series_index(index, "y")
    if isinstance(index, pd.DatetimeIndex):
        if index.freq is not None:
            return index
        if len(index) < 3:
            raise ValueError(f"cannot infer the frequency of {len(index)} timestamps; set it, "
                             "e.g. y = y.asfreq('D')")
        inferred = pd.DatetimeIndex(index, freq="infer")
        if inferred.freq is None:
            raise ValueError(_irregularity(index))
        return inferred
    if isinstance(index, pd.PeriodIndex):
        expected = pd.period_range(index[0], periods=len(index), freq=index.freq)
        if not index.equals(expected):
            first = int(np.flatnonzero(index != expected)[0])
            raise ValueError(f"y index has a gap: {index[first - 1]} is followed by "
                             f"{index[first]}; make it regular with y = y.asfreq('{index.freqstr}')"
                             " and fill the gaps")
        return index
    if isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index.dtype):
        future_index(index, 1)  # raises for a non-constant step
        return index
    raise ValueError(f"y index must be a DatetimeIndex, PeriodIndex or integer index, got "
                     f"{type(index).__name__} of dtype {index.dtype}")


def _stamp(ts):
    return ts.date() if ts == ts.normalize() else ts


def _irregularity(index) -> str:
    """Say where a DatetimeIndex departs from the frequency of its first (or last) stamps."""
    advice = ("make it regular, e.g. y = y.asfreq('D') (or 'h', 'MS', ...), and fill the "
              "missing values")
    for part in (index[:4], index[-4:]):
        freq = pd.DatetimeIndex(part, freq="infer").freq
        if freq is None:
            continue
        expected = pd.date_range(index[0], index[-1], freq=freq)
        missing = expected.difference(index)
        if len(missing):
            before = index[index < missing[0]][-1]
            return (f"y index has a gap at the {freq.freqstr} frequency: {_stamp(missing[0])} "
                    f"is missing after {_stamp(before)}; {advice}")
        extra = index.difference(expected)
        if len(extra):
            return (f"y index is irregular: {_stamp(extra[0])} is off the {freq.freqstr} "
                    f"frequency of the other timestamps; {advice}")
    return f"y index has no regular frequency (irregular spacing); {advice}"


def check_exog(exog, y, n_obs, expected=None):
    """Float exog values (n_obs, n_exog) and column labels, or (None, []).

    ``expected``: the columns a fitted model reads (a DataFrame is reordered to
    them), or None for a new fit.
    """
    if isinstance(exog, pd.Series):
        exog = exog.to_frame()
    if expected is not None:
        if (exog is None) != (not expected):
            raise ValueError(f"the forecaster was fitted with the exog columns {expected}; "
                             "exog must have them" if expected else
                             "the forecaster was fitted without exog; exog must be None")
        if isinstance(exog, pd.DataFrame):
            missing = [c for c in expected if c not in exog.columns]
            if missing:
                raise ValueError(f"exog lacks the columns {missing} the forecaster was fitted on")
            exog = exog[expected]
    if exog is None:
        return None, []
    if isinstance(exog, pd.DataFrame):
        if isinstance(y, (pd.Series, pd.DataFrame)) and not exog.index.equals(y.index):
            raise ValueError("exog index does not match y index; align them first, e.g. "
                             "exog = exog.reindex(y.index)")
        for column, dtype in exog.dtypes.items():
            _refuse_non_numeric(dtype, f"exog[{column!r}]", booleans=True)
        values = as_float_array(exog, "exog", ndim=2)
        columns = list(exog.columns)
    else:
        values = as_float_array(exog, "exog", ndim=(1, 2))
        values = values[:, None] if values.ndim == 1 else values
        columns = list(range(values.shape[1]))
    if values.shape[0] != n_obs:
        raise ValueError(f"exog has {values.shape[0]} rows but y has {n_obs} observations; "
                         "they must be aligned in time")
    if expected is not None and len(columns) != len(expected):
        raise ValueError(f"exog has {len(columns)} columns; the forecaster was fitted on "
                         f"{len(expected)} ({expected})")
    return values, columns


def resolve_future(future_exog, columns, strategy="direct"):
    """The future-known columns among ``columns``; the recursive strategy needs all."""
    if future_exog is None or future_exog is False:
        future = []
    elif future_exog is True:
        future = list(columns)
    else:
        names = [future_exog] if isinstance(future_exog, (str, int)) else list(future_exog)
        missing = [c for c in names if c not in columns]
        if missing:
            raise ValueError(f"future_exog columns {missing} are not in exog (columns: {columns})")
        future = [c for c in columns if c in names]
    past_only = [c for c in columns if c not in future]
    if strategy == "recursive" and past_only:
        raise ValueError(
            f"strategy='recursive' needs future values of every exog column, but "
            f"{past_only} are past-only; list them in future_exog or use strategy='direct'")
    return future


def check_horizon(horizon, model_horizon: int, exog_columns, future_exog) -> int:
    """``horizon`` checked: a positive int, beyond ``model_horizon`` only when every exog
    column is future-known (the model is then iterated on its own forecasts)."""
    horizon = check_positive_int(horizon, "horizon")
    past_only = [c for c in exog_columns if c not in future_exog]
    if horizon > model_horizon and past_only:
        raise ValueError(
            f"horizon={horizon} exceeds the fitted horizon {model_horizon}: the model "
            f"would be iterated, which needs future values of the past-only exog columns "
            f"{past_only}; refit with horizon={horizon} or list them in future_exog")
    return horizon


def check_exog_future(exog_future, columns, future, n_rows, *, horizon, model_horizon,
                      index=None):
    """The exog rows of the forecast steps, all ``columns`` in fit order (past-only ones NaN).

    ``exog_future`` holds the ``future`` columns (a DataFrame with at least those,
    or an array of those or of all ``columns``) for at least ``n_rows`` steps
    (``horizon`` rounded up to whole model horizons); None without future-known
    columns. A DataFrame must start right after ``index`` (when dated).
    """
    if not future:
        if exog_future is not None:
            raise ValueError("exog_future was given, but the forecaster has no future-known "
                             "exog columns; set future_exog=[...] before fitting")
        return None
    if exog_future is None:
        raise ValueError(f"this forecaster uses the future values of {future}; "
                         f"pass exog_future with them for the next {n_rows} steps")
    mask = np.array([c in future for c in columns], dtype=bool)
    if isinstance(exog_future, pd.Series):
        exog_future = exog_future.to_frame()
    if isinstance(exog_future, pd.DataFrame):
        missing = [c for c in future if c not in exog_future.columns]
        if missing:
            raise ValueError(f"exog_future lacks the future_exog columns {missing}")
        if index is not None and not isinstance(index, pd.RangeIndex) and len(
                exog_future) >= n_rows:
            expected = future_index(index, n_rows)
            if not exog_future.index[:n_rows].equals(expected):
                raise ValueError(
                    f"exog_future must start right after the series, at {expected[0]}; "
                    f"its index starts at {exog_future.index[0]}")
        known = as_float_array(exog_future[future], "exog_future", ndim=2)
    else:
        known = as_float_array(exog_future, "exog_future", ndim=(1, 2))
        known = known[:, None] if known.ndim == 1 else known
        if known.shape[1] == len(columns):
            known = known[:, mask]
        elif known.shape[1] != len(future):
            raise ValueError(f"exog_future has {known.shape[1]} columns; expected the "
                             f"{len(future)} future_exog columns")
    if len(known) < n_rows:
        raise ValueError(f"exog_future has {len(known)} rows, but forecasting {horizon} "
                         f"steps with a model of horizon {model_horizon} needs {n_rows}")
    rows = np.full((n_rows, len(columns)), np.nan)
    rows[:, mask] = known[:n_rows]
    return rows

