"""Forecaster: a dated series in, a dated forecast (and honest intervals) out.

The Forecaster puts its stages together (:mod:`~gatedts.forecasting.pipeline`
draws the whole pipeline): the transforms chosen and fitted on the training
series (:mod:`~gatedts.forecasting.transforms`), the windows the network reads
(:class:`~gatedts.forecasting.windows.Windowing`: the last ``window``
transformed values and the exog columns, relative to the last value with the
*local level* of Hewamalage, Bergmeir & Bandara (2021) and ES-RNN (Smyl 2020),
extended by the future-known exog), the networks
(:mod:`~gatedts.forecasting.ensemble`), which output the next ``horizon``
values at once (direct strategy) or one value fed back (recursive), and the
conformal intervals (:mod:`~gatedts.forecasting.conformal`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted

from ._series import (
    check_coverage,
    check_exog,
    check_exog_future,
    check_horizon,
    check_y,
    regular_index,
    resolve_future,
)
from ._validation import check_positive_int
from .backtesting import BacktestResult, Progress, backtest
from .combination import fit_combination
from .conformal import ConformalCalibration
from .ensemble import Members, default_estimator, fit_members, fit_network
from .pipeline import FittedStages, PreparedFit, forecast_path, inference_window
from .transforms import TargetTransform, resolve_transforms
from .windows import Windowing, future_index, resolve_window
from .zeroshot import PretrainedNetwork, prepare_zero_shot, pretrained_member, zero_shot_forecast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from typing_extensions import Self

__all__ = ["BacktestResult", "Forecaster", "PreparedFit", "backtest", "default_estimator",
           "fit_network", "regular_index"]


class Forecaster(FittedStages, BaseEstimator):
    """Forecast a time series with a recurrent network (or any regressor).

    Parameters
    ----------
    estimator : {"gru", "lstm", "rnn", "auto", "pretrained"}, regressor or None, default None
        A cell name (``None`` means ``"gru"``) trains :func:`default_estimator`
        (with ``network_options`` on top). "auto" trains a GRU and an LSTM (in
        turn, ``n_models``) and combines them with a linear autoregression, the
        pretrained network, seasonal naive, drift and a damped trend, weighted by their
        errors on inner rolling origins (:mod:`~gatedts.forecasting.combination`). "pretrained":
        the network of :mod:`gatedts.pretrained` zero-shot, or fine-tuned on the series
        with ``network_options={"fine_tune": True}`` (:mod:`~gatedts.forecasting.zeroshot`:
        quantile intervals; no exog, transforms or window). A regressor is cloned and
        used as is: flattened windows without 3-D input (``Ridge()`` is a fine
        baseline), a ``MultiOutputRegressor`` around a single-output one.
    window : int or "auto", default "auto"
        Input length; "auto": :func:`~gatedts.forecasting.windows.resolve_window`.
    horizon : int, default 1
        Steps forecast by :meth:`predict` by default. With the direct
        strategy it is also the number of network outputs; forecasting
        further iterates the model on its own output.
    strategy : {"direct", "recursive"}, default "direct"
        "direct": one network outputs all ``horizon`` steps. "recursive": a
        one-step network is iterated, each forecast fed back as input.
    decoder : bool, default False
        Default networks with ``decoder=True`` (:class:`~gatedts.GRURegressor`):
        a decoder emits the horizon one step at a time, fed its previous value
        and that step's future-known exog. Needs ``strategy="direct"``.
    scaler : {"standard", "minmax"}, None or transformer, default "standard"
        Applied to the transformed target and to the exogenous columns.
    seasonal_period : int or None, default None
        Season length ``m``; None infers it from the index frequency
        (:func:`gatedts.seasonality.infer_seasonal_period`: monthly 12,
        quarterly 4, weekly 52, daily 7, hourly 24, yearly 1), 1 for an array.
    seasonal_difference : bool or "auto", default "auto"
        Take one seasonal difference ``x[t] - x[t-m]``. "auto": when ``m > 1``
        and the seasonal strength (:func:`~gatedts.seasonality.seasonal_strength`)
        is at least 0.64, if two windows of a season and the horizon remain after it.
    difference : int or "auto", default "auto"
        Number of ordinary differences after the seasonal one. "auto": 0,
        since the local level or the seasonal difference already removes a
        trend; with ``local_level=False`` (the 0.1 pipeline) 1 when the KPSS
        test rejects level stationarity at 5%
        (:func:`~gatedts.seasonality.kpss_statistic`), else 0.
    local_level : bool or "auto", default "auto"
        Express each window relative to its last (transformed) value and
        forecast the change from it, scaled per series
        (:class:`~gatedts.forecasting.windows.Windowing`). "auto": on unless a
        seasonal difference is taken.
    log : bool or "auto", default "auto"
        Model ``log(y)``. "auto": when ``y`` is positive and its spread grows
        with its level (:func:`~gatedts.seasonality.prefers_log`).
    future_exog : list, True or None, default None
        Columns of ``exog`` whose future values are known at forecast time
        (calendar, planned prices). Their values over the forecast horizon are
        given to :meth:`predict` as ``exog_future``. Other columns are used as
        past covariates only. True means every column.
    n_models : int, default 1
        Networks trained on the same windows with different seeds (member
        ``k > 0`` seeded from ``(random_state, k)``); their forecasts are
        combined by the median. "auto" trains at least 2 (a GRU, an LSTM).
    n_calibration : int, default 20
        Forecast origins calibrating :meth:`predict_interval`, the same for every
        coverage (intervals nest); coverage c needs c / (1 - c) (9 for 90%) or warns.
    calibration_folds : int, default 2
        Blocks of ``n_calibration`` origins, one before the other, each
        forecast by its own model fitted before it; per step the interval
        takes the widest of their conformal quantiles. Each fold costs one fit.
    member_weights : array-like or None, default None
        "auto" only: fixed weights of its members (``member_scores_.member``)
        instead of the inner origins' evidence.
    validation_origins : int, default 0
        Inner forecast origins at the end of the training series on which
        the choices left on "auto" (log, seasonal difference, difference) are
        validated by a ridge proxy (:mod:`~gatedts.forecasting.selection`);
        0 keeps the defaults' answers.
    network_options : dict or None, default None
        Parameters of the default networks set on top of
        :func:`default_estimator`'s, for every member and calibration fit:
        ``{"hidden_size": 16, "max_iter": 50}``. Any parameter of the cell's
        estimator but ``random_state`` and ``decoder`` (the Forecaster's own);
        not ``head="sequence"`` (the targets are the horizon, not one per
        input step).
    random_state : int, RandomState or None, default None
        Seed of the default network.
    verbose : int, default 0
        1: a progress bar on stderr for each network trained by :meth:`fit`
        (its epochs out of ``max_iter``, and the loss), left on screen when
        done; the calibration fits of :meth:`predict_interval` show none. 2:
        one line per epoch of the default networks instead (their own
        ``verbose``).

    Attributes
    ----------
    estimators_ : list of fitted regressors
    estimator_ : fitted regressor
        The ensemble members, and the first (the only one when ``n_models=1``).
    combination_ : Combination or None
        "auto": all members and their weights (``member_weights_``; the evidence
        as ``member_scores_``); None otherwise, where members are combined by the median.
    seasonal_period_, window_ : int
    log_, seasonal_difference_, local_level_ : bool
    difference_ : int
        The resolved transform choices.
    target_transform_ : TargetTransform
        The fitted transforms (:mod:`~gatedts.forecasting.transforms`); also
        as ``differencer_``, ``scaler_`` and ``exog_scaler_``.
    windowing_ : Windowing
        The windows (:mod:`~gatedts.forecasting.windows`), with ``level_scale_``;
        ``context_length_``: the raw observations a forecast reads.
    calibration_ : ConformalCalibration
        The interval calibration, computed when first needed.
    y_, exog_ : ndarray
        The training series and its exog columns (or None).
    transform_scores_ : pandas.DataFrame
        The inner validation of the "auto" transforms: one row per candidate
        with its mean MASE (``score``), whether it was the tests' answer (``prior``)
        and the one chosen (``chosen``); empty when nothing was validated.
    n_windows_ : int
        Training windows (0 for "pretrained").
    index_, name_ : pandas.Index, hashable
        Index (``freq`` set; a RangeIndex for an array) and name of the training series.
    exog_columns_, future_exog_ : list
        All exogenous columns, and the future-known ones.
    model_horizon_ : int
        Outputs of the network: ``horizon`` (direct) or 1 (recursive).
    fit_time_ : float
        Seconds spent in :meth:`fit`.

    Examples
    --------
    >>> from gatedts import Forecaster
    >>> from gatedts.datasets import load_airline
    >>> y = load_airline()
    >>> f = Forecaster(horizon=12, random_state=0).fit(y)        # doctest: +SKIP
    >>> f.predict().head(3)                                      # doctest: +SKIP
    >>> f.predict_interval(coverage=0.9)                         # doctest: +SKIP
    """

    def __init__(self, estimator=None, *, window="auto", horizon=1, strategy="direct",
                 decoder=False, scaler="standard", seasonal_period=None, seasonal_difference="auto",
                 difference="auto", log="auto", local_level="auto", future_exog=None,
                 n_models=1, n_calibration=20, calibration_folds=2, member_weights=None,
                 validation_origins=0, network_options=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.window = window
        self.horizon = horizon
        self.strategy = strategy
        self.decoder = decoder
        self.scaler = scaler
        self.seasonal_period = seasonal_period
        self.seasonal_difference = seasonal_difference
        self.difference = difference
        self.log = log
        self.local_level = local_level
        self.future_exog = future_exog
        self.n_models = n_models
        self.n_calibration = n_calibration
        self.calibration_folds = calibration_folds
        self.member_weights = member_weights
        self.validation_origins = validation_origins
        self.network_options = network_options
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, y: ArrayLike, exog: ArrayLike | None = None) -> Self:
        """Choose the transforms, cut training windows and train the network.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n_obs,)
            The series, oldest first, no missing values; indexed by a DatetimeIndex
            with a (set or inferable) frequency, a PeriodIndex or a regular integer index.
        exog : pandas.DataFrame or array-like of shape (n_obs, n_exog), optional
            Numeric exogenous columns aligned with ``y`` (same index).

        Returns
        -------
        self

        Raises
        ------
        KeyboardInterrupt
            Ctrl-C while a network trains, passed on once it has stopped
            (:func:`~gatedts.forecasting.ensemble.fit_network`). An interrupted or
            failed fit leaves the Forecaster as it was (unfitted, or its previous model).
        """
        return self.fit_prepared(self.prepare(y, exog))

    def prepare(self, y: ArrayLike, exog: ArrayLike | None = None) -> PreparedFit:
        """Everything :meth:`fit` does before training: the fitted transforms and
        the training windows of ``y`` (see :class:`PreparedFit`). The Forecaster
        is not modified."""
        start = time.perf_counter()
        horizon = check_positive_int(self.horizon, "horizon")
        if self.strategy not in ("direct", "recursive"):
            raise ValueError(f"strategy must be 'direct' or 'recursive', got {self.strategy!r}")
        values, index, name = check_y(y)
        if self._members().cell == "pretrained":
            return prepare_zero_shot(values, index, name, exog, self.future_exog,
                                     self.seasonal_period, horizon, start)
        exog_values, columns = check_exog(exog, y, len(values))
        future = resolve_future(self.future_exog, columns, self.strategy)
        self._members().check_decoder(self.strategy)
        model_horizon = horizon if self.strategy == "direct" else 1
        choice, scores = resolve_transforms(
            values, index, seasonal_period=self.seasonal_period, log=self.log,
            seasonal_difference=self.seasonal_difference, difference=self.difference,
            local_level=self.local_level, validation_origins=self.validation_origins,
            horizon=model_horizon, proxy=self._proxy(model_horizon))
        transform = TargetTransform.of(choice, self.scaler).fit(values, exog_values)
        target, features = transform.transform(values, exog_values)
        window = resolve_window(self.window, seasonal_period=choice.seasonal_period,
                                n_obs=len(values), n_target=len(target), horizon=horizon,
                                model_horizon=model_horizon, n_lost=transform.n_lost_)
        windowing = Windowing(window, model_horizon, local_level=choice.local_level,
                              future_mask=[c in future for c in columns], decoder=self.decoder)
        X, Y, X_future = windowing.fit_transform(target, features)
        return PreparedFit(values, exog_values, index, name, columns, future, choice, scores,
                           transform, windowing, X, Y, X_future, start)

    def fit_prepared(self, prepared: PreparedFit, members: Sequence[object] | None = None) -> Self:
        """Train the members on ``prepared`` windows (or take ``members``, fitted
        already) and make them, with its transforms, this Forecaster's model.

        The Forecaster changes only once everything has succeeded.
        """
        cell = self._members().cell
        if self.member_weights is not None and cell != "auto":
            raise ValueError("member_weights applies to Forecaster('auto') only")
        if members is None and cell == "pretrained":
            members = [pretrained_member(prepared, self.network_options, self._members().seed(0))]
        if members is None:
            members = self._members().build(prepared.windowing.horizon)
            fit_members(members, prepared.X, prepared.Y, prepared.X_future,
                        decoder=self.decoder, verbose=self.verbose,
                        default_budget=cell is not None)
        combination = fit_combination(self, prepared, members) if cell == "auto" else None
        fitted = prepared.fitted_attributes(members, combination)
        fitted["calibration_"] = ConformalCalibration()
        for name, value in fitted.items():
            setattr(self, name, value)
        return self

    def _members(self) -> Members:  # the ensemble stage of these settings
        return Members(self.estimator, n_models=self.n_models,
                       network_options=self.network_options, decoder=self.decoder,
                       random_state=self.random_state, verbose=self.verbose)

    @property
    def model_name(self) -> str:
        """Short name: "GRU", "LSTM", "RNN", "AUTO", "PRETRAINED" or the regressor's class."""
        cell = self._members().cell
        return cell.upper() if cell else type(self.estimator).__name__

    def _proxy(self, model_horizon):  # the inner validation's cheap ridge autoregression
        return partial(Forecaster, Ridge(alpha=1.0), window=self.window, horizon=model_horizon,
                       scaler=self.scaler)

    def _forecast(self, values, exog_values, exog_future, horizon, index, name, coverage):
        """What :meth:`predict`, :meth:`predict_interval` and :meth:`forecast_from` return."""
        if coverage is not None:
            coverage = check_coverage(coverage)
        horizon = check_horizon(self.horizon if horizon is None else horizon,
                                self.model_horizon_, self.exog_columns_, self.future_exog_)
        rows = check_exog_future(exog_future, self.exog_columns_, self.future_exog_,
                                 self.windowing_.rows_needed(horizon), horizon=horizon,
                                 model_horizon=self.model_horizon_, index=index)
        if isinstance(self.estimator_, PretrainedNetwork):
            point, bounds = zero_shot_forecast(self.estimator_, values, horizon, coverage)
        else:
            point = (forecast_path(self.target_transform_, self.windowing_, self.estimators_,
                                   values, exog_values, rows, horizon)
                     if self.combination_ is None else
                     self.combination_.forecast(self, values, exog_values, rows, horizon))
            bounds = (None if coverage is None
                      else self.calibration_.interval(self, values, point, coverage))
        dates = future_index(index, horizon)
        if coverage is None:
            return pd.Series(point, index=dates, name=name)
        return pd.DataFrame({"forecast": point, "lower": bounds[0], "upper": bounds[1]},
                            index=dates)

    def predict(self, horizon: int | None = None,
                exog_future: ArrayLike | None = None) -> pd.Series:
        """Forecast the steps after the training series.

        Parameters
        ----------
        horizon : int, optional
            Steps (default: the ``horizon`` parameter); beyond the fitted model horizon
            the model is iterated on its own forecasts.
        exog_future : pandas.DataFrame or array-like, optional
            Required with ``future_exog``: the future-known columns over the forecast steps
            (at least the fitted horizon, in whole model horizons), from the first one.

        Returns
        -------
        pandas.Series
            Indexed by the ``horizon`` timestamps after the training series.
        """
        check_is_fitted(self, "estimators_")
        return self._forecast(self.y_, self.exog_, exog_future, horizon, self.index_,
                              self.name_, None)

    def predict_interval(self, coverage: float = 0.9, horizon: int | None = None,
                         exog_future: ArrayLike | None = None) -> pd.DataFrame:
        """Forecast with split-conformal prediction intervals, per horizon step.

        A copy (same resolved transforms and window) is fitted without the last
        ``n_calibration + horizon - 1`` observations and forecasts from each of
        the ``n_calibration`` origins that follow (short series:
        :mod:`~gatedts.forecasting.conformal`). Per step, the half-width is the
        largest conformal quantile of the ``calibration_folds`` blocks, never
        narrower than at an earlier step (log scale when ``log_``); cached per
        horizon. "pretrained" takes its network's quantiles instead
        (:func:`~gatedts.forecasting.zeroshot.quantile_interval`).

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
        check_is_fitted(self, "estimators_")
        return self._forecast(self.y_, self.exog_, exog_future, horizon, self.index_,
                              self.name_, coverage)

    def forecast_from(self, y: ArrayLike, exog: ArrayLike | None = None,
                      exog_future: ArrayLike | None = None, *, horizon: int | None = None,
                      coverage: float | None = None) -> pd.Series | pd.DataFrame:
        """Forecast the steps after another history ``y`` with the fitted model and
        transforms, without refitting (backtests, calibration, the sktime adapter).

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n_obs,)
            The history: ``window_`` values after differencing (3 for "pretrained").
        exog : pandas.DataFrame or array-like, optional
            Its exog columns (those of ``fit``), aligned with ``y``.
        exog_future, horizon
            As in :meth:`predict`.
        coverage : float, optional
            Also return the conformal interval of :meth:`predict_interval`.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            As :meth:`predict` (:meth:`predict_interval` with ``coverage``), dated after ``y``.
        """
        check_is_fitted(self, "estimators_")
        values, index, name = check_y(y)
        exog_values = check_exog(exog, y, len(values), self.exog_columns_)[0]
        return self._forecast(values, exog_values, exog_future, horizon, index,
                              self.name_ if name is None else name, coverage)

    def network_input(self, exog_future: ArrayLike | None = None) -> np.ndarray:
        """The exact ``(1, n_steps, n_features)`` array the network forecasts the next
        model horizon from (before a regressor without 3-D input flattens it): the
        transformed target (relative to its last value with the local level), then the
        scaled exog columns; ``exog_future`` as in :meth:`predict` (a decoder reads the
        future-known columns separately). "pretrained": :mod:`gatedts.pretrained`'s features.
        """
        check_is_fitted(self, "estimators_")
        rows = check_exog_future(exog_future, self.exog_columns_, self.future_exog_,
                                 self.model_horizon_, horizon=self.model_horizon_,
                                 model_horizon=self.model_horizon_, index=self.index_)
        if isinstance(self.estimator_, PretrainedNetwork):
            return self.estimator_.network_input(self.y_)
        return inference_window(self.target_transform_, self.windowing_, self.y_, self.exog_,
                                rows)[0]

    def plot(self, coverage: float | None = 0.9, horizon: int | None = None,
             exog_future: ArrayLike | None = None, *, ax: Axes | None = None,
             history: int | None = None, title: str | None = None) -> Axes:
        """Plot the end of the training series, the forecast and its prediction interval:
        :func:`gatedts.forecasting.plotting.plot_forecaster` (needs matplotlib)."""
        from .plotting import plot_forecaster

        return plot_forecaster(self, coverage, horizon, exog_future, history=history, ax=ax,
                               title=title)

    def backtest(self, y: ArrayLike, exog: ArrayLike | None = None, *, initial: float,
                 step: int | None = None, horizon: int | None = None, refit: bool | int = True,
                 coverage: float | None = 0.9, progress: Progress = False) -> BacktestResult:
        """Rolling-origin evaluation of this (unfitted) configuration; see :func:`backtest`."""
        return backtest(self, y, exog=exog, initial=initial, step=step, horizon=horizon,
                        refit=refit, coverage=coverage, progress=progress)
