"""Rolling-origin backtests: how a forecaster would have done, against seasonal naive.

At each origin ``t`` (``initial``, ``initial + step``, ...) the forecaster
knows ``y[:t]`` only: it is refitted there (or reused from an earlier origin,
see ``refit``), forecasts ``y[t : t + horizon]`` with its prediction
intervals, and the seasonal-naive forecast from the same data is scored
alongside. Nothing after an origin, not even a scaler statistic, reaches the
forecast made at it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone

from ._progress import progress_bar
from ._series import check_coverage, check_exog, check_y
from ._validation import check_positive_int
from .baselines import SeasonalNaive
from .metrics import coverage as interval_coverage
from .metrics import mae, mean_interval_width, rmse, smape

__all__ = ["BacktestResult", "backtest"]

#: A backtest's ``progress``: a bar (True), none, or ``progress(i, n_origins)`` per origin.
Progress = bool | Callable[[int, int], object]

METRIC_COLUMNS = ["MAE", "RMSE", "MAPE", "sMAPE", "MASE", "coverage", "width"]


@dataclass
class BacktestResult:
    """Forecasts and scores of a rolling-origin backtest.

    Attributes
    ----------
    forecasts : pandas.DataFrame
        One row per origin and step: ``origin`` (label of the last observation
        known), ``step`` (1..horizon), ``time`` (label of the forecast
        target), ``actual``, ``forecast``, ``lower``, ``upper`` and
        ``baseline`` (seasonal naive).
    metrics : pandas.DataFrame
        Rows: the model and ``"seasonal naive"``; columns MAE, RMSE, MAPE and
        sMAPE (percent), MASE (mean over origins of the MAE scaled by that
        origin's in-sample seasonal-naive MAE), ``coverage`` (fraction of the
        observations inside the intervals) and ``width`` (mean interval width).
        MAPE is NaN when the series has zeros.
    coverage_level : float or None
        Nominal coverage of the intervals.
    seasonal_period : int
        Season of the baseline and of the MASE scale.
    fit_time : float
        Seconds spent fitting and forecasting the model (not the baseline).
    """

    forecasts: pd.DataFrame
    metrics: pd.DataFrame
    coverage_level: float | None
    seasonal_period: int
    fit_time: float = field(default=0.0)

    @property
    def residuals(self) -> pd.DataFrame:
        """``actual - forecast``, one row per origin, one column per step."""
        frame = self.forecasts.assign(residual=self.forecasts["actual"]
                                      - self.forecasts["forecast"])
        return frame.pivot(index="origin", columns="step", values="residual")

    def by_step(self) -> pd.DataFrame:
        """MAE of the model and of the baseline at each forecast step."""
        frame = self.forecasts.assign(
            model=(self.forecasts["actual"] - self.forecasts["forecast"]).abs(),
            baseline=(self.forecasts["actual"] - self.forecasts["baseline"]).abs())
        return frame.groupby("step")[["model", "baseline"]].mean()

    def __str__(self) -> str:
        return self.metrics.to_string(float_format=lambda v: f"{v:.4g}")


def backtest(forecaster: BaseEstimator, y: ArrayLike, exog: ArrayLike | None = None, *,
             initial: float, step: int | None = None, horizon: int | None = None,
             refit: bool | int = True, coverage: float | None = 0.9,
             seasonal_period: int | None = None,
             progress: Progress = False) -> BacktestResult:
    """Rolling-origin evaluation of a forecaster, with the seasonal-naive baseline.

    Parameters
    ----------
    forecaster : Forecaster
        An unfitted configuration (it is cloned, never modified).
    y : pandas.Series or array-like of shape (n_obs,)
        The whole series, as for :meth:`Forecaster.fit`.
    exog : pandas.DataFrame or array-like, optional
        Exogenous columns aligned with ``y``; the future-known ones
        (``forecaster.future_exog``) are taken from the data after each origin.
    initial : int or float
        Observations before the first origin, or a fraction of ``len(y)``.
    step : int, optional
        Observations between origins; defaults to ``horizon`` (no overlap).
    horizon : int, optional
        Steps forecast from each origin; defaults to ``forecaster.horizon``.
    refit : bool or int, default True
        True refits at every origin; False fits once at the first origin and
        then only feeds the new observations in (fast); an integer ``k``
        refits every ``k`` origins.
    coverage : float or None, default 0.9
        Nominal coverage of the :meth:`Forecaster.predict_interval` intervals
        scored at every origin (each fitted model calibrates once); None skips
        them (faster).
    seasonal_period : int, optional
        Season of the baseline and of MASE; defaults to the forecaster's
        (resolved at the first fit).
    progress : bool or callable, default False
        True shows a one-line progress bar over the origins on stderr (tqdm),
        cleared when done. A callable is called as ``progress(i, n_origins)``
        after each origin instead, as in gatedts 0.1.

    Returns
    -------
    BacktestResult

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C while a network trains: the backtest stops there rather than
        score a half-trained network (see :meth:`Forecaster.fit
        <gatedts.Forecaster.fit>`).
    """
    values, index, name = check_y(y)
    exog_values, columns = check_exog(exog, y, len(values))
    n = len(values)
    horizon = check_positive_int(forecaster.horizon if horizon is None else horizon, "horizon")
    step = horizon if step is None else check_positive_int(step, "step")
    initial = _check_initial(initial, n)
    if coverage is not None:
        coverage = check_coverage(coverage)
    origins = list(range(initial, n - horizon + 1, step))
    if not origins:
        raise ValueError(f"initial={initial} leaves no room for a forecast: y has {n} "
                         f"observations and horizon={horizon}; lower initial")
    refit_every = _check_refit(refit)
    series = pd.Series(values, index=index, name=name)
    frame = None if exog_values is None else pd.DataFrame(exog_values, index=index,
                                                         columns=columns)
    rows, model, fit_time, scales = [], None, 0.0, []
    show_bar = bool(progress) and not callable(progress)
    with progress_bar(show_bar, len(origins), "backtest", " origin") as advance:
        for i, origin in enumerate(origins):
            start = time.perf_counter()
            if model is None or (refit_every and i % refit_every == 0):
                model = clone(forecaster).fit(series.iloc[:origin],
                                              None if frame is None else frame.iloc[:origin])
            history_exog = None if exog_values is None else exog_values[:origin]
            future = model.windowing_.exog_future_from(exog_values, origin, horizon)
            forecast = model.forecast_from(values[:origin], history_exog, future,
                                           horizon=horizon, coverage=coverage)
            if coverage is None:
                point, lower, upper = forecast.to_numpy(), np.full(horizon, np.nan), np.full(
                    horizon, np.nan)
            else:
                point, lower, upper = (forecast[c].to_numpy() for c in ("forecast", "lower",
                                                                          "upper"))
            fit_time += time.perf_counter() - start
            m = model.seasonal_period_ if seasonal_period is None else seasonal_period
            m = check_positive_int(m, "seasonal_period")
            if origin <= m:
                m = 1
            baseline = SeasonalNaive(m).fit(values[:origin]).predict(horizon)
            history = values[:origin]
            scales.append(np.mean(np.abs(history[m:] - history[:-m])) if origin > m else np.nan)
            targets = range(origin, min(origin + horizon, n))
            for j, t in enumerate(targets):
                rows.append((index[origin - 1], j + 1, index[t], values[t], point[j], lower[j],
                             upper[j], baseline[j]))
            advance()
            if callable(progress):
                progress(i + 1, len(origins))
    forecasts = pd.DataFrame(rows, columns=["origin", "step", "time", "actual", "forecast",
                                            "lower", "upper", "baseline"])
    m_used = m
    metrics = pd.DataFrame(
        [_scores(forecasts, "forecast", scales, coverage is not None),
         _scores(forecasts, "baseline", scales, False)],
        index=[model.model_name, f"seasonal naive (m={m_used})"], columns=METRIC_COLUMNS)
    return BacktestResult(forecasts, metrics, coverage, m_used, fit_time)


def _check_initial(initial: float, n: int) -> int:
    if isinstance(initial, float) and 0 < initial < 1:
        return round(initial * n)
    if isinstance(initial, bool) or not isinstance(initial, (int, np.integer)) or initial < 1:
        raise ValueError(f"initial must be a positive number of observations or a fraction "
                         f"in (0, 1), got {initial!r}")
    return int(initial)


def _check_refit(refit):
    if refit is True:
        return 1
    if refit is False:
        return 0
    return check_positive_int(refit, "refit")


def _scores(forecasts, column, scales, with_intervals):
    actual = forecasts["actual"].to_numpy()
    pred = forecasts[column].to_numpy()
    per_origin = forecasts.assign(err=np.abs(actual - pred)).groupby("origin", sort=False)["err"]
    scale = np.asarray(scales, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mase = per_origin.mean().to_numpy() / scale
    mase = mase[np.isfinite(mase)]
    out = {
        "MAE": mae(actual, pred),
        "RMSE": rmse(actual, pred),
        "MAPE": float(100 * np.mean(np.abs((actual - pred) / actual))) if np.all(actual != 0)
        else np.nan,
        "sMAPE": smape(actual, pred),
        "MASE": float(mase.mean()) if mase.size else np.nan,
        "coverage": np.nan,
        "width": np.nan,
    }
    if with_intervals:
        lower, upper = forecasts["lower"].to_numpy(), forecasts["upper"].to_numpy()
        out["coverage"] = interval_coverage(actual, lower, upper)
        out["width"] = mean_interval_width(lower, upper)
    return out
