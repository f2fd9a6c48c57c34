"""The sequence layout of a framework's 2-D lag matrix, read from its column names or values.

skforecast, mlforecast, darts and sktime hand a regressor one row per
forecast time: the target's lags, its covariates' lags, and columns that
belong to the forecast time itself (exogenous values, window features, date
and static features). A recurrent network needs the lags as time steps.
:func:`read_layout` finds which column is which step of which feature:

* from the **column names** of a DataFrame, in each framework's convention:
  ``lag_1`` (skforecast), ``lag1`` (mlforecast), ``y_target_lag-3`` and
  ``ex_pastcov_lag-3`` (darts' ``lagged_feature_names``), ``y_lag_1``
  (sktime's global reduction) and ``lag_1__y`` (sktime's ``Lag``);
* or, for a plain array, from the **values**: a target lag ``k`` column holds
  ``y`` shifted by ``k`` rows, and the columns of a lagged covariate are
  shifted copies of each other. The frameworks' rows of one series are
  consecutive time points, so this reads skforecast's, darts' and sktime's
  arrays (which carry no names) whatever their column order.

The result is a :class:`LagLayout`: the position of every (step, feature) in
the row. Features whose lags are the target's become sequence features; any
other column is static (repeated at every step). Lags with gaps (mlforecast
``lags=[1, 4]``) are read as consecutive steps, with a :class:`LagGapWarning`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LagGapWarning", "LagLayout", "layout_from_names", "layout_from_values",
           "read_layout"]


class LagGapWarning(UserWarning):
    """The target's lags skip steps: the network reads them as consecutive steps."""


@dataclass(frozen=True)
class LagLayout:
    """Where each time step of each feature sits in a 2-D row.

    Attributes
    ----------
    positions : ndarray of shape (n_timesteps, n_features), int
        ``positions[t, f]`` is the column of feature ``f`` at step ``t``
        (oldest step first). A static feature has its one column at every step.
    lags : tuple of int
        The target's lags, oldest first (``lags[-1]`` is the most recent).
    features : tuple of str
        The features' names: the sequence features, then the static columns.
    source : str
        What the layout was read from, for messages.
    """

    positions: np.ndarray
    lags: tuple[int, ...]
    features: tuple[str, ...]
    source: str

    def sequences(self, X: np.ndarray) -> np.ndarray:
        """``(n_samples, n_timesteps, n_features)`` sequences of the rows of a 2-D ``X``."""
        return np.ascontiguousarray(X[:, self.positions])


# name pattern -> (feature of the match, lag of the match); the target's feature is
# the first one in column order (every framework puts the target's lags first).
_CONVENTIONS = {
    "skforecast": (re.compile(r"lag_(\d+)"), lambda m: "y", lambda m: int(m[1])),
    "mlforecast": (re.compile(r"lag(\d+)"), lambda m: "y", lambda m: int(m[1])),
    "darts": (re.compile(r"(.*)_(target|pastcov|futcov)_lag(-?\d+)"),
              lambda m: f"{m[1]}_{m[2]}", lambda m: -int(m[3])),
    "sktime": (re.compile(r"(.+)_lag_(\d+)"), lambda m: m[1], lambda m: int(m[2])),
    "sktime Lag": (re.compile(r"lag_(\d+)__(.+)"), lambda m: m[2], lambda m: int(m[1])),
}


def layout_from_names(names: Sequence[str]) -> LagLayout | None:
    """The layout that column ``names`` state, or None if they follow no framework's.

    Parameters
    ----------
    names : sequence of str
        The columns of X, in order.

    Returns
    -------
    LagLayout or None

    Raises
    ------
    ValueError
        If two columns name the same lag of a feature, or the names mix conventions.
    """
    names = [str(name) for name in names]
    found: dict[str, dict[str, dict[int, int]]] = {}
    for framework, (pattern, feature_of, lag_of) in _CONVENTIONS.items():
        lagged: dict[str, dict[int, int]] = {}
        for position, name in enumerate(names):
            match = pattern.fullmatch(name)
            if match is not None:
                steps = lagged.setdefault(feature_of(match), {})
                lag = lag_of(match)
                if lag in steps:
                    raise ValueError(f"X's columns {names[steps[lag]]!r} and {name!r} are "
                                     f"both lag {lag} of {feature_of(match)!r}")
                steps[lag] = position
        if lagged:
            found[framework] = lagged
    if not found:
        return None
    # A name set read by two conventions (a user's own "price_lag_1" next to mlforecast's
    # "lag1"): the one that reads more columns is the framework's, the rest are static.
    counts = {f: sum(len(steps) for steps in lagged.values()) for f, lagged in found.items()}
    framework = max(counts, key=lambda f: counts[f])
    if list(counts.values()).count(counts[framework]) > 1:
        raise ValueError(f"X's column names follow the lag conventions of "
                         f"{sorted(found)} equally: rename the columns or pass X as an array")
    return _layout(found[framework], len(names), names, f"{framework} column names")


def layout_from_values(X: np.ndarray, y: np.ndarray, min_overlap: int = 3) -> LagLayout | None:
    """The layout shown by the values of a lag matrix ``X`` and its targets ``y``.

    Column ``c`` is the target's lag ``k`` when ``X[k:, c] == y[:-k]`` exactly
    (rows are consecutive time points); the columns of a lagged covariate are
    found as copies of one another shifted by the target's lag differences.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The targets; the first output is used (the step right after the lags).
    min_overlap : int, default 3
        The fewest rows a shifted copy must match over.

    Returns
    -------
    LagLayout or None
        None when the rows do not show an unambiguous lag structure (not
        consecutive, a constant or periodic target, two columns with the same lag).
    """
    X = np.asarray(X)
    target = np.asarray(y).reshape(len(y), -1)[:, 0].astype(X.dtype)
    n_columns = X.shape[1]
    target_lags = _shifted_copies(X, target, range(n_columns), min_overlap)
    if target_lags is None or not target_lags:
        return None
    lagged = {"y": {lag: column for column, lag in target_lags.items()}}
    if len(lagged["y"]) < len(target_lags):
        return None  # two columns hold the same lag
    grid = sorted(lagged["y"], reverse=True)
    newest = grid[-1]
    rest = [c for c in range(n_columns) if c not in target_lags]
    for anchor in rest:  # a covariate's newest column, if its older ones are all there
        if any(anchor in steps.values() for steps in lagged.values()):
            continue
        candidates = [c for c in rest if c != anchor
                      and not any(c in steps.values() for steps in lagged.values())]
        shifts = _shifted_copies(X[:, candidates], X[:, anchor], range(len(candidates)),
                                 min_overlap)
        if not shifts:
            continue  # no older copies (or a constant or periodic column): static
        steps = {newest + shift: candidates[index] for index, shift in shifts.items()}
        steps[newest] = anchor
        # An older column of a chain finds fewer copies than the grid: only the newest
        # one finds them all.
        if len(steps) == len(shifts) + 1 and sorted(steps, reverse=True) == grid:
            lagged[f"x{anchor}"] = steps
    return _layout(lagged, n_columns, [f"x{c}" for c in range(n_columns)],
                   "the values of X and y")


def _shifted_copies(X, reference, columns, min_overlap):
    """``{column: k}`` for the columns of ``X`` equal to ``reference`` shifted down k rows.

    None when the reference is too repetitive to tell (a constant or periodic
    series matches at several shifts).
    """
    n_rows = len(reference)
    if n_rows <= min_overlap or np.ptp(reference[:n_rows - 1]) == 0:
        return None
    rows, cols = np.nonzero(X[:n_rows - min_overlap + 1] == reference[0])
    found = {}
    for row, column in zip(rows.tolist(), cols.tolist(), strict=True):
        if row == 0 or column not in columns:
            continue
        if np.array_equal(X[row:, column], reference[:n_rows - row]):
            if column in found:
                return None  # one column, two shifts: periodic, ambiguous
            found[column] = row
    return found


def _layout(lagged, n_columns, names, source):
    """A LagLayout from ``{feature: {lag: column}}`` (target first); the rest static."""
    features = list(lagged)
    grid = sorted(lagged[features[0]], reverse=True)
    sequence = [f for f in features if sorted(lagged[f], reverse=True) == grid]
    used = {lagged[f][lag] for f in sequence for lag in grid}
    static = [c for c in range(n_columns) if c not in used]
    if len(grid) > 1 and np.any(np.diff(grid) != -1):
        warnings.warn(f"X's target lags are {sorted(grid)} (read from {source}): they skip "
                      f"steps, and the network reads them as {len(grid)} consecutive steps; "
                      f"give it lags without gaps (e.g. lags=range(1, {grid[0] + 1}))",
                      LagGapWarning, stacklevel=4)
    positions = np.array([[lagged[f][lag] for f in sequence] + static for lag in grid],
                         dtype=np.intp)
    return LagLayout(positions, tuple(grid), tuple([*sequence, *(names[c] for c in static)]),
                     source)


def read_layout(X: np.ndarray, y: np.ndarray | None, names: Sequence[str] | None,
                declared: np.ndarray | None) -> np.ndarray | None:
    """The (n_timesteps, n_features) column positions read from a 2-D ``X``, or None.

    The column ``names`` first; without them, and when no layout is declared,
    the values of ``X`` and ``y``. ``declared`` is the layout the estimator's
    options give (None at their defaults): it must agree with the names, and
    it stands for an array's values (they are not read).

    Returns
    -------
    ndarray of int or None
        :attr:`LagLayout.positions`; None when nothing was read (the options apply).

    Raises
    ------
    ValueError
        If the declared layout contradicts the column names.
    """
    layout = layout_from_names(names) if names is not None else None
    if layout is None and y is not None and declared is None:
        layout = layout_from_values(X, y)
    if layout is None:
        return None
    if declared is not None and not np.array_equal(declared, layout.positions):
        raise ValueError(
            f"the layout options (lag_order, n_features_per_step, feature_layout, "
            f"static_features) read X's columns differently from its {layout.source}, "
            f"which show the lags {sorted(layout.lags)} of the features "
            f"{list(layout.features)}: leave the options at their defaults to read them "
            "from the names, or pass X as 3-D sequences")
    return layout.positions
