"""Split-conformal prediction intervals for the Forecaster, per forecast step.

A copy of the fitted forecaster (same resolved transforms and window) is
refitted on the series without its last ``n_calibration + horizon - 1``
observations, then forecasts from each of the ``n_calibration`` origins that
follow, without refitting. The absolute errors at step ``h`` are the
conformity scores of that step; their ``ceil((n + 1) * coverage)``-th
smallest value is the conformal quantile (Vovk et al. 2005; Lei et al.
2018). With a log transform the errors are measured on the log scale, so the
intervals scale with the level of the series.

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
from sklearn.base import clone

from ._series import check_coverage
from ._validation import check_positive_int

__all__ = ["ConformalIntervals"]


class ConformalIntervals:
    """Mixin of :class:`~gatedts.forecasting.Forecaster`: ``predict_interval``."""

    def _score_transform(self, x):
        return np.log(x) if self.log_ else x

    def _calibration_scores(self, horizon, coverage):
        """|error| per forecast step: one array (origins, steps) per fold, the latest first."""
        needed = _origins_needed(coverage)
        n_origins = max(check_positive_int(self.n_calibration, "n_calibration"), needed)
        n_folds = check_positive_int(self.calibration_folds, "calibration_folds")
        key = f"horizon={horizon} origins={n_origins} folds={n_folds}"  # str: files keep it
        if key in self._calibration:
            return self._calibration[key]
        resolved = clone(self).set_params(
            seasonal_period=self.seasonal_period_, log=self.log_, difference=self.difference_,
            seasonal_difference=self.seasonal_difference_, local_level=self.local_level_,
            verbose=0)
        n = len(self._y)
        # The fitted window first; if the shorter calibration series cannot hold it, fewer
        # origins, then the "auto" window, which shrinks to fit the data; a short series
        # last, with fewer origins than the coverage needs (_interval warns).
        attempts = [(n_origins, self.window_), (needed, self.window_), (needed, "auto")]
        attempts += [(count, "auto") for count in range(needed - 1, 0, -1)]
        try:
            scores, count, window = self._fold_scores(resolved, n, horizon, attempts)
        except ValueError as exc:
            raise ValueError(
                f"y has {n} observations, too few to calibrate {coverage:.0%} intervals: not "
                f"even one forecast of {horizon} step(s) can be made by a model fitted before "
                f"the end ({exc})") from None
        folds = [scores]
        # Earlier folds: the same number of origins, each block before the previous one.
        for fold in range(1, n_folds):
            try:
                folds.append(self._fold_scores(resolved, n - fold * count, horizon,
                                               [(count, window)])[0])
            except ValueError:  # the series is too short for more folds
                break
        self._calibration[key] = folds
        return folds

    def _fold_scores(self, resolved, end, horizon, attempts):
        """Scores of one fold: a model fitted ``count + horizon - 1`` steps before ``end``
        forecasts from each of the ``count`` origins after it, up to ``end``.

        ``attempts``: the (count, window) pairs to try, in turn. Returns the scores, count
        and window of the first that fits; raises ValueError with the last reason if none.
        """
        y, exog = self._y[:end], None if self._exog is None else self._exog[:end]
        frame = None if exog is None else pd.DataFrame(exog, columns=self.exog_columns_)
        model, reason = None, "the series is shorter than the calibration span"
        for count, window in attempts:
            cut = end - (count + horizon - 1)
            if cut < 2:
                continue
            try:
                model = resolved.set_params(window=window).fit(
                    y[:cut], None if frame is None else frame.iloc[:cut])
                break
            except ValueError as exc:  # too short for the window
                reason = str(exc)
        if model is None:
            raise ValueError(reason)
        scores = []
        for origin in range(cut, end - horizon + 1):
            pred = model._forecast_values(y[:origin], None if exog is None else exog[:origin],
                                          model._future_rows(exog, origin, horizon), horizon)
            actual = y[origin: origin + horizon]
            scores.append(np.abs(self._score_transform(actual) - self._score_transform(pred)))
        return np.array(scores), count, window

    def _interval(self, point, horizon, coverage):
        folds = self._calibration_scores(horizon, coverage)
        n = len(folds[0])
        if math.ceil((n + 1) * coverage) > n:
            warnings.warn(
                f"the series is short: the {coverage:.0%} intervals are calibrated on {n} "
                f"forecast origin(s), fewer than the {_origins_needed(coverage)} that "
                f"{coverage:.0%} needs, so they span the largest error seen and may cover "
                "less than that", UserWarning, stacklevel=3)
        # Per step, the larger of the folds' conformal quantiles; then never narrower
        # at a later step than at an earlier one.
        half = np.max([_conformal_quantile(scores, coverage) for scores in folds], axis=0)
        half = np.maximum.accumulate(half)
        centre = self._score_transform(point)
        lower, upper = centre - half, centre + half
        if self.log_:
            lower, upper = np.exp(lower), np.exp(upper)
        return lower, upper

    def predict_interval(self, coverage=0.9, horizon=None, exog_future=None) -> pd.DataFrame:
        """Forecast with split-conformal prediction intervals, per horizon step.

        A copy of the forecaster (same resolved transforms and window) is
        fitted on the series without its last ``n_calibration + horizon - 1``
        observations and forecasts from each of the following
        ``n_calibration`` origins (fewer, down to the number the coverage
        needs, and then the "auto" window, when that shorter series cannot
        hold the fitted window). A series too short even for that is
        calibrated on as many origins as it holds, with a warning: the
        intervals then span the largest error seen. For every step ``h`` the
        conformal quantile is the ``ceil((n + 1) * coverage)``-th smallest
        absolute error at that step (on the log scale when ``log_``, giving
        intervals proportional to the level). Each of the
        ``calibration_folds`` blocks of origins (one before the other, each
        with its own model) gives one; the half-width is the largest, made
        non-decreasing over the steps. This runs once per horizon and coverage
        level, then is cached. :func:`backtest` reports the empirical
        coverage.

        Parameters
        ----------
        coverage : float, default 0.9
            Nominal probability that an interval holds the observation, in (0, 1).
        horizon, exog_future
            As in :meth:`predict`.

        Returns
        -------
        pandas.DataFrame
            Columns ``forecast``, ``lower``, ``upper``, indexed like :meth:`predict`.
        """
        coverage = check_coverage(coverage)
        point = self.predict(horizon, exog_future)
        lower, upper = self._interval(point.to_numpy(), len(point), coverage)
        return pd.DataFrame({"forecast": point.to_numpy(), "lower": lower, "upper": upper},
                            index=point.index)


def _origins_needed(coverage):
    """Calibration forecasts that a finite conformal quantile at ``coverage`` needs."""
    return math.ceil(coverage / (1 - coverage) - 1e-9)


def _conformal_quantile(scores, coverage):
    """Per column, the ``ceil((n + 1) * coverage)``-th smallest of ``n`` scores (the largest
    when ``n`` is too small for that rank)."""
    n = len(scores)
    return np.sort(scores, axis=0)[min(math.ceil((n + 1) * coverage), n) - 1]
