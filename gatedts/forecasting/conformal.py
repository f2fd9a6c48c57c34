"""Split-conformal prediction intervals for the Forecaster, per forecast step.

A copy of the fitted forecaster (same resolved transforms and window) is
refitted on the series without its last ``n_calibration + horizon - 1``
observations, then forecasts from each of the ``n_calibration`` origins that
follow, without refitting. The absolute errors at step ``h`` are the
conformity scores of that step; their ``ceil((n + 1) * coverage)``-th
smallest value is the conformal quantile (Vovk et al. 2005; Lei et al.
2018). With a log transform the errors are measured on the log scale, so the
intervals scale with the level of the series.

The scores are the same for every coverage, so a wider coverage, a higher rank of
the same scores, never gives a narrower interval. A series too short for
``n_calibration`` origins at this horizon is calibrated on as many as fit, with
a warning naming the horizon and the observations all of them would need; a
coverage ``c`` needs at least ``c / (1 - c)`` origins, or it warns too. A
series too short for even one origin gets the spread of the pretrained
network's quantiles (:mod:`gatedts.pretrained`) around the forecast instead,
with a warning (:func:`prior_interval`), for coverages up to 90%.

``Forecaster("auto")``, which has the pretrained network among its members,
takes the union of the conformal interval and that spread around its forecast
(:func:`pretrained_spread`; for a coverage above 90%, the 90% spread): on the
training parts of the development benchmark this moved the 90% intervals'
coverage from 86.3% to 91.7% and lowered their interval score (MSIS) from
9.08 to 8.90 (``benchmarks/README.md``).

A series is not exchangeable, and one block of consecutive origins may have
been calm: with ``calibration_folds=2`` (the default) a second block of
origins, just before the first and forecast by its own model, is scored the
same way, and the half-width at each step is the larger of the two
quantiles, never narrower than at an earlier step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from ..pretrained import QUANTILES
from ._series import check_coverage
from ._validation import check_positive_int
from .zeroshot import PretrainedNetwork, quantile_interval

__all__ = ["ConformalCalibration", "fit_before", "origins_needed", "pretrained_spread",
           "prior_interval"]


class ConformalCalibration:
    """The conformity scores of a fitted Forecaster, computed when first needed.

    One entry per horizon, number of origins and of folds: a list of arrays
    (origins, steps) of absolute errors, one per fold, the latest first. An
    entry is stored only once complete, so an interrupted calibration leaves
    nothing behind.

    Attributes
    ----------
    scores : dict of str to list of ndarray
        The entries computed so far.
    """

    def __init__(self) -> None:
        self.scores: dict[str, list[np.ndarray]] = {}

    def interval(self, forecaster: BaseEstimator, values: np.ndarray, point: np.ndarray,
                 coverage: float) -> tuple[np.ndarray, np.ndarray]:
        """The conformal interval ``(lower, upper)`` around ``point``, the forecast of
        ``forecaster`` (fitted, with this calibration) of ``len(point)`` steps after the
        history ``values``.

        A series too short for even one calibration origin gets the pretrained
        network's quantile spread around ``point`` instead (:func:`prior_interval`),
        with a warning."""
        try:
            self.fold_scores(forecaster, len(point))
        except ValueError as exc:
            return prior_interval(forecaster, values, point, coverage, reason=str(exc))
        half = self.half_widths(forecaster, len(point), coverage, stacklevel=5)
        transform = forecaster.target_transform_
        centre = transform.to_score_scale(point)
        lower, upper = (transform.from_score_scale(centre - half),
                        transform.from_score_scale(centre + half))
        if forecaster.combination_ is None:
            return lower, upper
        spread_lower, spread_upper = pretrained_spread(
            forecaster, values, point, min(coverage, QUANTILES[-1] - QUANTILES[0]))
        return np.minimum(lower, spread_lower), np.maximum(upper, spread_upper)

    def half_widths(self, forecaster: BaseEstimator, horizon: int, coverage: float, *,
                    stacklevel: int = 2) -> np.ndarray:
        """The interval's half-width at each of ``horizon`` steps, on the score scale
        (the log scale with a log): ``interval`` is the point forecast plus and minus
        them. Warns (at ``stacklevel``) when the calibration is too short."""
        coverage = check_coverage(coverage)
        folds = self.fold_scores(forecaster, horizon)
        n, n_asked = len(folds[0]), forecaster.n_calibration
        if n < n_asked:
            warnings.warn(
                f"a {horizon}-step horizon over {len(forecaster.y_)} observations leaves room "
                f"for {n} calibration forecast origin(s) of the n_calibration={n_asked} asked: "
                f"the intervals rest on {n} forecast(s) and may cover less than nominal; "
                f"{len(forecaster.y_) + n_asked - n} observations (or a shorter horizon) would "
                f"give all {n_asked}", UserWarning, stacklevel=stacklevel)
        if math.ceil((n + 1) * coverage) > n:
            warnings.warn(
                f"the {coverage:.0%} intervals are calibrated on {n} forecast origin(s), "
                f"fewer than the {origins_needed(coverage)} that {coverage:.0%} needs, so "
                f"they span the largest error seen and may cover less than that (raise "
                f"n_calibration)", UserWarning, stacklevel=stacklevel)
        # Per step, the larger of the folds' conformal quantiles; then never narrower
        # at a later step than at an earlier one.
        half = np.max([_conformal_quantile(scores, coverage) for scores in folds], axis=0)
        return np.maximum.accumulate(half)

    def fold_scores(self, forecaster: BaseEstimator, horizon: int) -> list[np.ndarray]:
        """Absolute errors per forecast step: one array (origins, steps) per fold, latest first.

        The same scores serve every coverage, so that a wider coverage, a higher rank
        of the same scores, never gives a narrower interval."""
        n_origins = check_positive_int(forecaster.n_calibration, "n_calibration")
        n_folds = check_positive_int(forecaster.calibration_folds, "calibration_folds")
        key = f"horizon={horizon} origins={n_origins} folds={n_folds}"  # str: files keep it
        if key in self.scores:
            return self.scores[key]
        resolved = clone(forecaster).set_params(
            seasonal_period=forecaster.seasonal_period_, log=forecaster.log_,
            difference=forecaster.difference_,
            seasonal_difference=forecaster.seasonal_difference_,
            local_level=forecaster.local_level_, member_weights=forecaster.member_weights_,
            verbose=0)
        n = len(forecaster.y_)
        # As many origins as the shorter calibration series leaves room for: with the
        # fitted window, else the "auto" window, which shrinks to fit the data. Fewer
        # origins than n_calibration make interval() warn.
        attempts = [(count, window) for count in range(n_origins, 0, -1)
                    for window in (forecaster.window_, "auto")]
        try:
            scores, count, window = _fold(forecaster, resolved, n, horizon, attempts)
        except ValueError as exc:
            raise ValueError(
                f"y has {n} observations, too few to calibrate intervals: not "
                f"even one forecast of {horizon} step(s) can be made by a model fitted before "
                f"the end ({exc})") from None
        folds = [scores]
        # Earlier folds: the same number of origins, each block before the previous one.
        for fold in range(1, n_folds):
            try:
                folds.append(_fold(forecaster, resolved, n - fold * count, horizon,
                                   [(count, window)])[0])
            except ValueError:  # the series is too short for more folds
                break
        self.scores[key] = folds
        return folds


def fit_before(resolved: BaseEstimator, y: np.ndarray, exog_frame: pd.DataFrame | None,
               end: int, horizon: int,
               attempts: list[tuple[int, int | str]]) -> tuple[BaseEstimator, int]:
    """``resolved`` fitted on ``y[:cut]``, ``cut = end - (count + horizon - 1)``, so that it
    forecasts ``horizon`` steps from each of the ``count`` origins after ``cut`` up to ``end``.

    ``attempts``: the ``(count, window)`` pairs to try, in turn; ``exog_frame``: the
    exog columns of ``y`` as a DataFrame, or None. Returns the fitted model and ``cut``
    of the first attempt that fits; raises ValueError with the last reason if none.
    """
    reason = "the series is shorter than the calibration span"
    for count, window in attempts:
        cut = end - (count + horizon - 1)
        if cut < 2:
            continue
        try:
            return resolved.set_params(window=window).fit(
                y[:cut], None if exog_frame is None else exog_frame.iloc[:cut]), cut
        except ValueError as exc:  # too short for the window
            reason = str(exc)
    raise ValueError(reason)


def prior_interval(forecaster: BaseEstimator, values: np.ndarray, point: np.ndarray,
                   coverage: float, *, reason: str) -> tuple[np.ndarray, np.ndarray]:
    """The interval of a forecast that cannot be calibrated: ``point`` plus the spread of
    the pretrained network's quantiles (:mod:`gatedts.pretrained`) after ``values``,
    below and above its median. It warns, naming ``reason``; a coverage wider than the
    network's quantiles raises a ValueError naming both."""
    try:
        bounds = pretrained_spread(forecaster, values, point, coverage)
    except ValueError as exc:
        raise ValueError(f"{reason}; nor can the pretrained network's quantiles stand in "
                         f"({exc})") from None
    warnings.warn(f"{reason}: the {coverage:.0%} interval is the pretrained network's "
                  f"quantile spread around the forecast, not calibrated on this series",
                  UserWarning, stacklevel=5)
    return bounds


def pretrained_spread(forecaster: BaseEstimator, values: np.ndarray, point: np.ndarray,
                      coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """``point`` minus and plus the distances from the pretrained network's median to the
    bounds of its central interval of ``coverage`` (at most 90%) after ``values``, with the
    forecaster's season length."""
    quantiles = PretrainedNetwork(forecaster.seasonal_period_).quantiles(values, len(point))
    lower, upper = quantile_interval(quantiles, coverage)
    median = quantiles[:, QUANTILES.index(0.5)]
    return point - (median - lower), point + (upper - median)


def _fold(forecaster, resolved, end, horizon, attempts):
    """Scores of one fold: a model fitted ``count + horizon - 1`` steps before ``end``
    (:func:`fit_before`) forecasts from each of the ``count`` origins after it, up to ``end``.

    Returns the scores, count and window of the first attempt that fits; raises
    ValueError with the last reason if none.
    """
    y = forecaster.y_[:end]
    exog = None if forecaster.exog_ is None else forecaster.exog_[:end]
    frame = None if exog is None else pd.DataFrame(exog, columns=forecaster.exog_columns_)
    model, cut = fit_before(resolved, y, frame, end, horizon, attempts)
    to_scores = forecaster.target_transform_.to_score_scale
    scores = []
    for origin in range(cut, end - horizon + 1):
        pred = model.forecast_from(
            y[:origin], None if exog is None else exog[:origin],
            model.windowing_.exog_future_from(exog, origin, horizon), horizon=horizon).to_numpy()
        actual = y[origin: origin + horizon]
        scores.append(np.abs(to_scores(actual) - to_scores(pred)))
    return np.array(scores), end - horizon + 1 - cut, model.window


def origins_needed(coverage: float) -> int:
    """Calibration forecasts that a finite conformal quantile at ``coverage`` needs."""
    return math.ceil(coverage / (1 - coverage) - 1e-9)


def _conformal_quantile(scores, coverage):
    """Per column, the ``ceil((n + 1) * coverage)``-th smallest of ``n`` scores (the largest
    when ``n`` is too small for that rank)."""
    n = len(scores)
    return np.sort(scores, axis=0)[min(math.ceil((n + 1) * coverage), n) - 1]
