"""The Forecaster's stages put together: a series prepared for training, and the
forecast of a history by the fitted stages.

The pipeline, every step fitted on the training series only and inverted on
the way out::

    y ─ log ─ seasonal difference ─ differences ─ scaler ─ windows ─ local level ─ network
                                                                                     │
    forecast ◄─ exp ◄─ integrate ◄─ inverse scaler ◄─ + last value, × level scale ◄──┘

:class:`~gatedts.forecasting.transforms.TargetTransform` holds the steps up to
the scaler, :class:`~gatedts.forecasting.windows.Windowing` the windows and the
local level, :mod:`~gatedts.forecasting.ensemble` the networks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .ensemble import Regressor, predict_members
from .preprocessing import Differencer, Transformer
from .transforms import TargetTransform, TransformChoice
from .windows import Windowing

__all__ = ["FittedStages", "PreparedFit", "forecast_path", "inference_window"]


class FittedStages:
    """The fitted stages' state under the Forecaster's attribute names of gatedts 0.2
    (a base class of the Forecaster, which sets the three attributes declared here)."""

    window_: int
    windowing_: Windowing
    target_transform_: TargetTransform
    combination_: Any  # a combination.Combination for "auto", else None (that module imports this)
    estimators_: list[Regressor]

    @property
    def level_scale_(self) -> float:
        """The local level's scale; 1.0 without one."""
        return self.windowing_.level_scale_

    @property
    def context_length_(self) -> int:
        """The raw observations a forecast reads: the window and those lost to differencing."""
        return self.window_ + self.target_transform_.n_lost_

    @property
    def differencer_(self) -> Differencer | None:
        """The fitted Differencer, or None."""
        return self.target_transform_.differencer_

    @property
    def scaler_(self) -> Transformer:
        """The target's scaler."""
        return self.target_transform_.scaler_

    @property
    def exog_scaler_(self) -> Transformer | None:
        """The exog columns' scaler, or None."""
        return self.target_transform_.exog_scaler_

    @property
    def member_weights_(self) -> np.ndarray | None:
        """"auto": the weight of each member (``combination_.names``); None otherwise."""
        return None if self.combination_ is None else self.combination_.weights

    @property
    def member_scores_(self) -> pd.DataFrame | None:
        """"auto": each member's inner-origin error and weight; None otherwise."""
        return None if self.combination_ is None else self.combination_.scores


@dataclass
class PreparedFit:
    """A series ready for training: what :meth:`Forecaster.prepare` returns.

    Attributes
    ----------
    values, exog_values : ndarray
        The raw series and its exog columns (or None).
    index, name, exog_columns, future_exog
        Its index, name, exog columns and the future-known ones.
    choice : TransformChoice
    transform_scores : pandas.DataFrame
    target_transform : TargetTransform
    windowing : Windowing
    X, Y, X_future : ndarray
        The training windows (:meth:`Windowing.training_windows`).
    start_time : float
        ``time.perf_counter()`` at the start of the fit.
    """

    values: np.ndarray
    exog_values: np.ndarray | None
    index: pd.Index
    name: object
    exog_columns: list
    future_exog: list
    choice: TransformChoice
    transform_scores: pd.DataFrame
    target_transform: TargetTransform
    windowing: Windowing
    X: np.ndarray
    Y: np.ndarray
    X_future: np.ndarray | None
    start_time: float

    def fitted_attributes(self, members: Sequence[object],
                          combination: Any) -> dict[str, object]:
        """The fitted attributes of a Forecaster made of these stages, ``members`` (its
        ``estimators_``) and ``combination`` (its ``combination_``), but the calibration."""
        choice = self.choice
        return {
            "index_": self.index, "name_": self.name, "exog_columns_": self.exog_columns,
            "future_exog_": self.future_exog, "model_horizon_": self.windowing.horizon,
            "log_": choice.log, "seasonal_period_": choice.seasonal_period,
            "difference_": choice.difference, "seasonal_difference_": choice.seasonal_difference,
            "local_level_": choice.local_level, "transform_scores_": self.transform_scores,
            "target_transform_": self.target_transform, "windowing_": self.windowing,
            "window_": self.windowing.window, "n_windows_": len(self.X),
            "estimators_": list(members), "estimator_": members[0], "combination_": combination,
            "y_": self.values, "exog_": self.exog_values,
            "fit_time_": time.perf_counter() - self.start_time,
        }


def inference_window(transform: TargetTransform, windowing: Windowing, values: np.ndarray,
                     exog_values: np.ndarray | None, future_rows: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The network's input after the raw history ``values`` (and its exog rows):
    ``(X, X_future, level)`` of :meth:`Windowing.inference_window`.

    ``future_rows``: the exog rows of the forecast steps (all columns, unknown ones
    NaN), or None without future-known columns.
    """
    target, features = transform.transform(values, exog_values)
    if len(target) < windowing.window:
        raise ValueError(f"the history has {len(values)} observations, fewer than the "
                         f"window ({windowing.window}) plus {transform.n_lost_} lost to "
                         "differencing")
    future = None if future_rows is None else transform.transform_exog(future_rows)
    return windowing.inference_window(target, features, future)


def forecast_path(transform: TargetTransform, windowing: Windowing, members: Sequence[Regressor],
                  values: np.ndarray, exog_values: np.ndarray | None,
                  future_rows: np.ndarray | None, horizon: int) -> np.ndarray:
    """Forecast ``horizon`` steps after ``values`` with fitted stages, feeding each model
    horizon's forecast back as history when ``horizon`` is longer.

    ``future_rows``: exog rows (all columns, past-only ones NaN) covering the steps
    forecast, or None without future-known columns.
    """
    h = windowing.horizon
    out: list[float] = []
    while len(out) < horizon:
        rows = None if future_rows is None else future_rows[len(out): len(out) + h]
        X, X_future, level = inference_window(transform, windowing, values, exog_values, rows)
        pred = windowing.restore(predict_members(members, X, X_future), level)
        block = transform.inverse(np.asarray(pred, dtype=np.float64), values)
        out.extend(block)
        if len(out) < horizon:
            values = np.concatenate([values, block])
            if exog_values is not None:
                assert rows is not None  # future rows come with exog columns
                exog_values = np.vstack([exog_values, rows])
    return np.asarray(out[:horizon])
