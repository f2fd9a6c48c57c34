"""Forecaster: a dated series in, a dated forecast (and honest intervals) out.

The pipeline, every step fitted on the training series only and inverted on
the way out::

    y ─ log ─ seasonal difference ─ differences ─ scaler ─ windows ─ local level ─ network
                                                                                     │
    forecast ◄─ exp ◄─ integrate ◄─ inverse scaler ◄─ + last value, × level scale ◄──┘

The network sees windows of the last ``window`` transformed values (plus
exogenous columns) and outputs the next ``horizon`` values at once (direct
multi-output strategy) or one value that is fed back (recursive strategy).

With the *local level* on (the default unless a seasonal difference is taken),
every window, input and target alike, is expressed relative to the last input
value and divided by one scale per series (the root mean square of those
relative targets): the network forecasts the change from the last value, so a
bounded tanh network can follow a trend past the range it was trained on. This
is the local normalisation of Hewamalage, Bergmeir & Bandara (2021) and the
level normalisation of ES-RNN (Smyl 2020); it replaces the first difference.

Future-known exogenous columns (calendar effects, planned prices) extend each
input sequence by ``horizon`` steps: over those steps the target and the
past-only columns are zero, the future-known columns hold their future
values and a last feature flags the future part. A recurrent network then
reads what it knows about the future after the past, before the head emits
the forecast.

With ``decoder=True`` the network is an encoder-decoder (see
:class:`~gatedts.GRURegressor`'s ``decoder``): the encoder reads the window,
and a decoder emits the ``horizon`` values one step at a time, each step fed
the previous value (the window's last value at the first step, then its own
forecast) and, when there are future-known exogenous columns, their values
at that step, instead of the extended sequence above.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ..estimators import ESTIMATORS, MaxIterReachedWarning
from ..nn.cells import CELL_NAMES
from ._progress import fit_bar
from ._series import check_exog, check_y, regular_index, resolve_future
from ._validation import as_float_array, check_positive_int
from .backtesting import BacktestResult, backtest
from .conformal import ConformalIntervals
from .preprocessing import Differencer, make_scaler
from .seasonality import (
    KPSS_CRITICAL_5PCT,
    SEASONAL_STRENGTH_THRESHOLD,
    infer_seasonal_period,
    kpss_statistic,
    prefers_log,
    seasonal_strength,
)
from .selection import choose_transforms
from .windows import future_index, make_windows, window_starts

__all__ = ["BacktestResult", "Forecaster", "backtest", "default_estimator", "regular_index"]

_MIN_WINDOWS = 10  # the "auto" window shrinks to keep at least this many training windows
_AUTO_CELLS = CELL_NAMES  # the members of Forecaster("auto"), in turn
_SEQUENCE_HEAD_REFUSED = (
    "head='sequence' does not fit a Forecaster: its networks predict the horizon from a "
    "window (one target per future step), not one target per input step; use head='last' "
    "or head='attention'")


def default_estimator(cell: str = "gru", *, random_state=None, verbose: int = 0):
    """The network a :class:`Forecaster` trains when ``estimator`` is a cell name.

    One layer of 32 units, Adam at ``1e-3``, gradient-norm clipping at 1 (for
    the LSTM a forget-gate bias of 0: see :class:`~gatedts.LSTMRegressor`),
    ``scaling=None`` (the Forecaster standardises its windows itself),
    and ``alpha``, ``max_iter`` and ``batch_size`` on "auto", which the
    network resolves at ``fit`` from the number of training windows ``n``
    (:func:`gatedts.estimators.auto_settings`; the fitted values are
    ``alpha_``, ``max_iter_`` and ``batch_size_``):

    * L2 weight decay ``alpha = 4 / n``: a fixed Gaussian prior on the weights
      against the *summed* squared error of the windows, so it matters less as
      data grow. Small series are smoothed towards their mean instead of
      extrapolating the last swings; this is what makes a 32-unit network
      safe on 100 windows.
    * ``max_iter = clip(100_000 / n, 5, 300)`` epochs (a budget of 100,000
      window passes), stopping earlier when the training loss stalls
      (``tol=1e-4`` for 10 epochs): seconds on a few hundred windows, and a
      bounded cost on long series. Reaching it does not warn.
    * shuffled mini-batches of ``clip(n // 32, 32, 256)`` windows: 32 on
      short series, larger on long ones, where the cost of a step is mostly
      per call rather than per window.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"}, default "gru"
    random_state : int, RandomState or None
    verbose : int, default 0
        Print one line per epoch.

    Returns
    -------
    GRURegressor, LSTMRegressor or RNNRegressor
        An unfitted estimator; a Forecaster then sets its ``network_options`` on it.
    """
    if cell not in ESTIMATORS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(map(repr, ESTIMATORS))}")
    return ESTIMATORS[cell](
        hidden_size=32, alpha="auto", learning_rate_init=1e-3, batch_size="auto",
        max_iter="auto", clip_norm=1.0, scaling=None, random_state=random_state,
        verbose=verbose)


class Forecaster(ConformalIntervals, BaseEstimator):
    """Forecast a time series with a recurrent network (or any regressor).

    Parameters
    ----------
    estimator : {"gru", "lstm", "rnn", "auto"}, regressor or None, default None
        A cell name (``None`` means ``"gru"``) builds :func:`default_estimator`
        sized for the data at ``fit`` (with ``network_options`` on top); "auto"
        builds members of every cell in turn (GRU, LSTM, RNN, GRU, ...; at
        least one of each) and combines them. Any scikit-learn regressor is
        cloned and used as is (regressors
        without 3-D input support get each window flattened into one row, so
        ``Ridge()`` is a fine baseline; single-output ones, such as
        ``HistGradientBoostingRegressor()``, are wrapped in a
        ``MultiOutputRegressor`` when the direct strategy needs several outputs).
    window : int or "auto", default "auto"
        Input length. "auto" is two seasons, at least ``1.25 * horizon``
        (Hewamalage, Bergmeir & Bandara 2021) and at least 10 steps,
        shortened if needed so that at least 10 training windows remain.
    horizon : int, default 1
        Steps forecast by :meth:`predict` by default. With the direct
        strategy it is also the number of network outputs; forecasting
        further iterates the model on its own output.
    strategy : {"direct", "recursive"}, default "direct"
        "direct": one network outputs all ``horizon`` steps. "recursive": a
        one-step network is iterated, each forecast fed back as input.
    decoder : bool, default False
        Forecast the ``horizon`` steps with an encoder-decoder network
        (``decoder=True`` of the default networks): the decoder runs one step
        per forecast value, fed its previous value and the future-known exog
        of that step (``future_exog``). Trained with teacher forcing on the
        windows' next ``horizon`` values (relative to the window's last value
        with the local level). Only with the default networks (``estimator``
        a cell name or "auto") and ``strategy="direct"``; CPU only.
    scaler : {"standard", "minmax"}, None or transformer, default "standard"
        Applied to the transformed target and to the exogenous columns.
    seasonal_period : int or None, default None
        Season length ``m``; None infers it from the index frequency
        (:func:`gatedts.seasonality.infer_seasonal_period`: monthly 12,
        quarterly 4, weekly 52, daily 7, hourly 24, yearly 1), 1 for an array.
    seasonal_difference : bool or "auto", default "auto"
        Take one seasonal difference ``x[t] - x[t-m]``. "auto": when ``m > 1``
        and the seasonal strength (:func:`~gatedts.seasonality.seasonal_strength`)
        is at least 0.64.
    difference : int or "auto", default "auto"
        Number of ordinary differences after the seasonal one. "auto": 0,
        since the local level or the seasonal difference already removes a
        trend; with ``local_level=False`` (the 0.1 pipeline) 1 when the KPSS
        test rejects level stationarity at 5%
        (:func:`~gatedts.seasonality.kpss_statistic`), else 0.
    local_level : bool or "auto", default "auto"
        Express each window relative to its last (transformed) value and
        forecast the change from it, scaled per series (see above). "auto":
        on unless a seasonal difference is taken, where the seasonally
        differenced series is modelled as is. Chosen with ``difference``'s
        default on the development benchmark (``benchmarks/accuracy.py``, 43
        series, 3 rolling origins): the default GRU's mean MASE went from 1.52
        to 1.17 (yearly series: 2.73 to 1.61; wineind: 1.84 to 1.04, below
        seasonal naive's 1.06).
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
        combined by the median. "auto" trains at least 3 (one per cell).
    n_calibration : int, default 20
        Forecast origins used to calibrate :meth:`predict_interval` (more
        when the coverage asks for it).
    calibration_folds : int, default 2
        Blocks of ``n_calibration`` origins, one before the other, each
        forecast by its own model fitted before it; per step the interval
        takes the widest of their conformal quantiles. Each fold costs one
        fit. Chosen on the development benchmark (default GRU): the 90%
        intervals covered 84% of the observations with one fold, 88% with two.
    validation_origins : int, default 0
        Inner forecast origins at the end of the training series on which
        the choices left on "auto" (log, seasonal difference, difference) are
        validated by a ridge proxy (:mod:`~gatedts.forecasting.selection`);
        0 keeps the defaults' answers. Off by default: on the development
        benchmark (``benchmarks/accuracy.py``) 3 origins raised the default
        GRU's mean MASE from 1.17 to 1.49, because the linear proxy's
        preferences do not carry over to the network.
    network_options : dict or None, default None
        Parameters of the default networks (``estimator`` a cell name or
        "auto") set on top of :func:`default_estimator`'s choices, for every
        member and calibration fit: ``{"hidden_size": 16, "max_iter": 50}``.
        Any parameter of the cell's estimator (:class:`~gatedts.GRURegressor`,
        ...) but ``random_state``, which ``random_state`` sets per member; an
        unknown name is an error that lists the valid ones. ``{"head":
        "attention"}`` works; ``head="sequence"`` does not (a Forecaster's
        targets are the horizon, not one per input step). A regressor passed
        as ``estimator`` takes its own parameters instead.
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
        The ensemble members.
    estimator_ : fitted regressor
        The first member (the only one when ``n_models=1``).
    seasonal_period_, window_ : int
    log_, seasonal_difference_, local_level_ : bool
    difference_ : int
        The resolved transform choices.
    level_scale_ : float
        The local level's scale (1.0 without it).
    transform_scores_ : pandas.DataFrame
        The inner validation of the "auto" transforms: one row per candidate
        with its mean MASE (``score``) and whether it was the tests' answer
        (``prior``) and the one chosen (``chosen``); empty when nothing was
        validated.
    n_windows_ : int
        Training windows.
    index_ : pandas.Index
        Index of the training series (a DatetimeIndex with its ``freq`` set);
        a RangeIndex for array input.
    name_ : hashable
        Name of the training series.
    exog_columns_, future_exog_ : list
        All exogenous columns, and the future-known ones.
    model_horizon_ : int
        Outputs of the network: ``horizon`` (direct) or 1 (recursive).
    differencer_, scaler_, exog_scaler_ : transformer or None
        The fitted transforms (:class:`~gatedts.preprocessing.Differencer`, ...).
    fit_time_ : float
        Seconds spent in :meth:`fit`.
    model_name : str
        "GRU", "LSTM", "RNN" or the regressor's class name (a property).

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
                 n_models=1, n_calibration=20, calibration_folds=2, validation_origins=0,
                 network_options=None, random_state=None, verbose=0):
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
        self.validation_origins = validation_origins
        self.network_options = network_options
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, y, exog=None):
        """Choose the transforms, cut training windows and train the network.

        Parameters
        ----------
        y : pandas.Series or array-like of shape (n_obs,)
            The series, oldest first, without missing values. A Series index
            must be a DatetimeIndex with a frequency (set, or regular enough
            to infer), a PeriodIndex or an integer index with a constant step.
        exog : pandas.DataFrame or array-like of shape (n_obs, n_exog), optional
            Numeric exogenous columns aligned with ``y`` (same index).

        Returns
        -------
        self

        Raises
        ------
        KeyboardInterrupt
            Ctrl-C while a network trains. The estimators stop such a fit
            gracefully (``interrupted_``); the Forecaster passes the interrupt
            on once that network has stopped, so no fit, interval calibration,
            :func:`backtest` or :func:`~gatedts.forecast_many` goes on with a
            half-trained network.
        """
        start = time.perf_counter()
        horizon = check_positive_int(self.horizon, "horizon")
        if self.strategy not in ("direct", "recursive"):
            raise ValueError(f"strategy must be 'direct' or 'recursive', got {self.strategy!r}")
        values, self.index_, self.name_ = check_y(y)
        exog_values, self.exog_columns_ = check_exog(exog, y, len(values))
        self.future_exog_ = resolve_future(self.future_exog, self.exog_columns_)
        past_only = [c for c in self.exog_columns_ if c not in self.future_exog_]
        if self.strategy == "recursive" and past_only:
            raise ValueError(
                f"strategy='recursive' needs future values of every exog column, but "
                f"{past_only} are past-only; list them in future_exog or use strategy='direct'")
        self._check_decoder()
        self.model_horizon_ = horizon if self.strategy == "direct" else 1
        self._resolve_transforms(values)
        self._fit_transforms(values, exog_values)
        target, features = self._transform(values, exog_values)
        self.window_ = self._resolve_window(len(values), len(target), horizon)
        X, Y = self._training_windows(target, features)
        X_future = None
        if self.decoder and self.future_exog_:  # the decoder reads them step by step
            X, X_future = X[:, :self.window_, :-1], self._decoder_future(X)
        self.n_windows_ = len(X)
        n_models = check_positive_int(self.n_models, "n_models")
        if self._default_cell() == "auto":
            n_models = max(n_models, len(_AUTO_CELLS))
        self.estimators_ = [self._make_estimator(k) for k in range(n_models)]
        self.estimator_ = self.estimators_[0]
        with warnings.catch_warnings():
            if self._default_cell() is not None:  # so is a budget in network_options
                warnings.simplefilter("ignore", MaxIterReachedWarning)
            for k, estimator in enumerate(self.estimators_):
                label = _model_label(estimator) + (f" {k + 1}/{n_models}" if n_models > 1
                                                   else "")
                fit_network(estimator, self._model_input(X),
                            Y[:, 0] if Y.shape[1] == 1 and not self.decoder else Y,
                            label=label, bar=self.verbose == 1,
                            **({} if X_future is None else {"X_future": X_future}))
        self._y, self._exog = values, exog_values
        self._calibration = {}
        self.fit_time_ = time.perf_counter() - start
        return self

    def _check_decoder(self):
        """Refuse the settings an encoder-decoder forecaster cannot have."""
        if not isinstance(self.decoder, (bool, np.bool_)):
            raise ValueError(f"decoder must be True or False, got {self.decoder!r}")
        if not self.decoder:
            return
        if self._default_cell() is None:
            raise ValueError("decoder=True trains the default encoder-decoder networks: "
                             "estimator must be 'gru', 'lstm', 'rnn', 'auto' or None, not "
                             f"a {type(self.estimator).__name__}")
        if self.strategy != "direct":
            raise ValueError("decoder=True forecasts every step of the horizon with its "
                             "decoder; it needs strategy='direct', not 'recursive'")

    def _decoder_future(self, X):
        """A decoder's known-future covariates (n, horizon, k) from windows that
        ``_append_future`` extended."""
        # Feature 0 is the target, the exog columns follow, the flag is last.
        return np.ascontiguousarray(X[:, self.window_:, 1:-1][:, :, self._future_mask()])

    def _default_cell(self):
        """The cell name of a default network ("gru", "lstm", "rnn" or "auto"), else None."""
        if self.estimator is None:
            return "gru"
        if isinstance(self.estimator, str):
            name = self.estimator.lower()
            if name not in ESTIMATORS and name != "auto":
                raise ValueError(f"unknown estimator {self.estimator!r}; choose one of "
                                 f"{', '.join(map(repr, [*ESTIMATORS, 'auto']))} or pass a "
                                 "regressor")
            return name
        return None

    def _member_seed(self, member):
        """Seed of ensemble member ``member``: ``random_state`` itself for the first."""
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = seed.randint(2**31)
        if seed is None or member == 0:
            return seed
        return int(np.random.SeedSequence([int(seed), member]).generate_state(1)[0] >> 1)

    def _make_estimator(self, member=0):
        """Ensemble member ``member``: a default network or a clone of ``estimator``.

        "auto" cycles through the cells, so its members mix GRUs, LSTMs and RNNs.
        """
        cell = self._default_cell()
        seed = self._member_seed(member)
        if cell == "auto":
            cell = _AUTO_CELLS[member % len(_AUTO_CELLS)]
        if cell is not None:
            return self._default_network(cell, seed)
        self._check_no_network_options()
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "predict"):
            raise TypeError("estimator must be 'gru', 'lstm', 'rnn', 'auto', None or a regressor "
                            f"with fit and predict, got {type(self.estimator).__name__}")
        estimator = clone(self.estimator)
        if getattr(estimator, "head", None) == "sequence":
            raise ValueError(_SEQUENCE_HEAD_REFUSED)
        if member and "random_state" in estimator.get_params():
            estimator.set_params(random_state=seed)
        if self.model_horizon_ > 1 and not get_tags(estimator).target_tags.multi_output:
            estimator = MultiOutputRegressor(estimator)  # one model per step of the horizon
        return estimator

    def _check_no_network_options(self):
        if self.network_options is not None:
            raise ValueError(
                "network_options apply to the default networks (estimator 'gru', 'lstm', "
                f"'rnn' or 'auto'); set the parameters of your {type(self.estimator).__name__} "
                "on it instead")

    def _default_network(self, cell, seed):
        """:func:`default_estimator` for ``cell`` with ``network_options`` set on it."""
        network = default_estimator(cell, random_state=seed,
                                    verbose=int(self.verbose >= 2))
        if self.decoder:
            network.set_params(decoder=True)
        options = self.network_options
        if options is None:
            return network
        if not isinstance(options, Mapping):
            raise TypeError(f"network_options must be a dict of {type(network).__name__} "
                            f"parameters or None, got {type(options).__name__}")
        valid = sorted(set(network.get_params(deep=False)) - {"random_state", "decoder"})
        unknown = [name for name in options if name not in valid]
        if unknown:
            notes = []
            if "random_state" in unknown:
                notes.append("random_state is the Forecaster's own parameter, set per member")
            if "decoder" in unknown:
                notes.append("decoder is the Forecaster's own parameter")
            if self._default_cell() == "auto":
                notes.append("with 'auto' the options apply to every cell")
            raise ValueError(
                f"network_options: {', '.join(map(repr, unknown))} "
                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of "
                f"{type(network).__name__}{''.join(f' ({n})' for n in notes)}; valid: "
                f"{', '.join(valid)}")
        if options.get("head") == "sequence":
            raise ValueError(_SEQUENCE_HEAD_REFUSED)
        return network.set_params(**options)

    @property
    def model_name(self) -> str:
        """Short name of the model: "GRU", "LSTM", "RNN", "AUTO" or the regressor's class."""
        cell = self._default_cell()
        return cell.upper() if cell else type(self.estimator).__name__

    def _resolve_transforms(self, values):
        """Resolve the "auto" choices on the training series.

        The tests of :mod:`~gatedts.forecasting.seasonality` give the prior;
        with ``validation_origins > 0``,
        :func:`~gatedts.forecasting.selection.choose_transforms` then scores
        every combination of the choices left on "auto" by an inner backtest
        of a ridge proxy on the training series, and keeps the prior unless a
        combination beats it clearly (``transform_scores_`` has the table).
        """
        m = self.seasonal_period
        self.seasonal_period_ = (infer_seasonal_period(self.index_) if m is None
                                 else check_positive_int(m, "seasonal_period"))
        m = self.seasonal_period_
        positive = bool(np.all(values > 0))
        prior, options = {}, {}
        if self.log == "auto":
            prior["log"] = prefers_log(values, m)
            options["log"] = [False, True] if positive else [False]
        elif isinstance(self.log, (bool, np.bool_)):
            prior["log"] = bool(self.log)
        else:
            raise ValueError(f"log must be True, False or 'auto', got {self.log!r}")
        if prior["log"] and not positive:
            pos = int(np.argmax(values <= 0))
            raise ValueError(f"log=True needs a positive series, but y is {values[pos]!r} at "
                             f"position {pos}; use log=False")
        z = np.log(values) if prior["log"] else values
        if self.seasonal_difference == "auto":
            prior["seasonal_difference"] = bool(
                m > 1 and seasonal_strength(z, m) >= SEASONAL_STRENGTH_THRESHOLD)
            options["seasonal_difference"] = [False, True] if m > 1 else [False]
        elif isinstance(self.seasonal_difference, (bool, np.bool_)):
            prior["seasonal_difference"] = bool(self.seasonal_difference)
            if prior["seasonal_difference"] and m == 1:
                raise ValueError("seasonal_difference=True needs a seasonal_period > 1")
        else:
            raise ValueError("seasonal_difference must be True, False or 'auto', got "
                             f"{self.seasonal_difference!r}")
        if prior["seasonal_difference"]:
            if len(z) <= m + 2:
                raise ValueError(f"y has {len(z)} observations, too few for a seasonal "
                                 f"difference of lag {m}")
            z = z[m:] - z[:-m]
        if self.difference == "auto":
            legacy = self.local_level is False or self.local_level is np.False_
            prior["difference"] = int(legacy and len(z) >= 3
                                      and kpss_statistic(z) > KPSS_CRITICAL_5PCT)
            options["difference"] = [0, 1]
        else:
            d = self.difference
            if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 0:
                raise ValueError(f"difference must be a non-negative integer or 'auto', got {d!r}")
            prior["difference"] = int(d)
        n_origins = check_positive_int(self.validation_origins, "validation_origins",
                                       allow_zero=True)
        choice, self.transform_scores_ = prior, pd.DataFrame()
        if n_origins and options:
            choice, self.transform_scores_ = choose_transforms(
                values, self._proxy, prior, options, horizon=self.model_horizon_,
                seasonal_period=m, n_origins=n_origins)
        self.log_ = choice["log"]
        self.seasonal_difference_ = choice["seasonal_difference"]
        self.difference_ = choice["difference"]
        self.local_level_ = self._local_level(self.seasonal_difference_)

    def _local_level(self, seasonal_difference):
        """Whether the windows are taken relative to their last value (see the class doc)."""
        if self.local_level == "auto":
            return not seasonal_difference
        if isinstance(self.local_level, (bool, np.bool_)):
            return bool(self.local_level)
        raise ValueError(f"local_level must be True, False or 'auto', got {self.local_level!r}")

    def _proxy(self, **choice):
        """The cheap stand-in scored by the inner validation: a ridge autoregression."""
        return Forecaster(Ridge(alpha=1.0), window=self.window, horizon=self.model_horizon_,
                          scaler=self.scaler, seasonal_period=self.seasonal_period_, **choice)

    def _fit_transforms(self, values, exog_values):
        z = np.log(values) if self.log_ else values
        lag = self.seasonal_period_ if self.seasonal_difference_ else None
        self.differencer_ = None
        if lag or self.difference_:
            self.differencer_ = Differencer(order=self.difference_, seasonal_period=lag)
            try:
                z = self.differencer_.fit_transform(z[:, None])[:, 0]
            except ValueError:
                raise ValueError(f"y has {len(values)} observations, too few to difference "
                                 f"with lags {list(self.differencer_._lags())}") from None
        self.scaler_ = make_scaler(self.scaler).fit(z[:, None])
        self.exog_scaler_ = None
        if exog_values is not None:
            self.exog_scaler_ = make_scaler(self.scaler).fit(exog_values[self._n_lost():])

    def _n_lost(self):
        return 0 if self.differencer_ is None else self.differencer_.n_lost_

    def _resolve_window(self, n_obs, n_target, horizon):
        h = self.model_horizon_
        room = n_target - h + 1  # window + n_windows - 1
        if self.window == "auto":
            rule = max(2 * self.seasonal_period_, math.ceil(1.25 * horizon), 10)
            # Shrunk for short series, but never below one season (or 2 steps).
            floor = min(rule, max(2, self.seasonal_period_))
            window = max(floor, min(rule, room - _MIN_WINDOWS))
        else:
            window = check_positive_int(self.window, "window")
        if room - window < 1:  # fewer than 2 windows
            lost = self._n_lost()
            after = f" ({n_target} after differencing)" if lost else ""
            raise ValueError(
                f"y is too short: {n_obs} observations{after} cannot hold two training windows "
                f"of window={window} plus horizon={h}; it needs at least "
                f"{window + h + 1 + lost} (or use a smaller window or horizon)")
        return window

    # ------------------------------------------------------------ transforms

    def _transform(self, values, exog_values):
        """Scaled target and exog rows aligned with it, for a history of raw values."""
        z = np.log(values) if self.log_ else values
        if self.differencer_ is not None:
            z = self.differencer_.transform(z[:, None])[:, 0]
        target = self.scaler_.transform(z[:, None])[:, 0]
        features = None
        if exog_values is not None:
            features = self.exog_scaler_.transform(exog_values[self._n_lost():])
        return target, features

    def _inverse(self, pred, values):
        """Transformed-scale predictions following history ``values``, on the original scale."""
        z = self.scaler_.inverse_transform(pred[:, None])
        if self.differencer_ is not None:
            history = np.log(values) if self.log_ else values
            z = self.differencer_.inverse_transform(z, history=history[:, None])
        z = z[:, 0]
        return np.exp(z) if self.log_ else z

    def _future_mask(self):
        return np.array([c in self.future_exog_ for c in self.exog_columns_], dtype=bool)

    def _training_windows(self, target, features):
        X, Y = make_windows(target, self.window_, self.model_horizon_, exog=features)
        self.level_scale_ = 1.0
        if self.local_level_:
            change = Y - X[:, self.window_ - 1, :1]
            self.level_scale_ = float(np.sqrt(np.mean(change**2))) or 1.0
            X, _ = self._relative_to_level(X)
            Y = change / self.level_scale_
        if self.future_exog_:
            starts = window_starts(len(target), self.window_, self.model_horizon_)
            future = features * self._future_mask()  # past-only columns are unknown: 0
            block = sliding_window_view(future[self.window_:], self.model_horizon_, axis=0)
            X = _append_future(X, block[starts].transpose(0, 2, 1))
        return X, Y

    def _relative_to_level(self, X):
        """Windows ``X`` relative to their last target value, and those values.

        Without the local level, ``X`` unchanged and a level of 0.
        """
        if not self.local_level_:
            return X, np.zeros((len(X), 1))
        level = X[:, self.window_ - 1, :1].copy()
        X = X.copy()
        X[:, :self.window_, 0] = (X[:, :self.window_, 0] - level) / self.level_scale_
        return X, level

    def _model_input(self, X):
        if get_tags(self.estimators_[0]).input_tags.three_d_array:
            return X
        return X.reshape(len(X), -1)

    def _model_predict(self, X, X_future=None):
        """The members' predictions for windows ``X``, combined by their median."""
        X = self._model_input(X)
        extra = {} if X_future is None else {"X_future": X_future}
        preds = [np.reshape(estimator.predict(X, **extra), (len(X), -1))
                 for estimator in self.estimators_]
        return preds[0] if len(preds) == 1 else np.median(preds, axis=0)

    # ------------------------------------------------------------ forecasting

    def _forecast_block(self, values, exog_values, future_rows):
        """One model-horizon forecast following the raw history ``values``."""
        target, features = self._transform(values, exog_values)
        if len(target) < self.window_:
            raise ValueError(f"the history has {len(values)} observations, fewer than the "
                             f"window ({self.window_}) plus {self._n_lost()} lost to differencing")
        X = target[-self.window_:, None]
        if features is not None:
            X = np.column_stack([X, features[-self.window_:]])
        X = X[None]
        if self.future_exog_:
            # Past-only columns are NaN in future_rows: unknown, fed as 0 like in training.
            future = self.exog_scaler_.transform(np.nan_to_num(future_rows)) * self._future_mask()
            X = _append_future(X, future[None])
        X, level = self._relative_to_level(X)
        X_future = None
        if getattr(self, "decoder", False) and self.future_exog_:
            X, X_future = X[:, :self.window_, :-1], self._decoder_future(X)
        pred = np.reshape(self._model_predict(X, X_future), -1) * self.level_scale_ + level[0]
        return self._inverse(np.asarray(pred, dtype=np.float64), values)

    def _forecast_values(self, values, exog_values, future_rows, horizon):
        """Forecast ``horizon`` steps after ``values``, iterating blocks when needed.

        ``future_rows``: exog rows (all columns, past-only ones NaN) covering the
        steps forecast, or None without future-known columns.
        """
        h = self.model_horizon_
        out = []
        while len(out) < horizon:
            rows = None if future_rows is None else future_rows[len(out): len(out) + h]
            block = self._forecast_block(values, exog_values, rows)
            out.extend(block)
            if len(out) < horizon:
                values = np.concatenate([values, block])
                if exog_values is not None:
                    exog_values = np.vstack([exog_values, rows])
        return np.asarray(out[:horizon])

    def _check_horizon(self, horizon):
        check_is_fitted(self, "estimators_")
        horizon = check_positive_int(self.horizon if horizon is None else horizon, "horizon")
        past_only = [c for c in self.exog_columns_ if c not in self.future_exog_]
        if horizon > self.model_horizon_ and past_only:
            raise ValueError(
                f"horizon={horizon} exceeds the fitted horizon {self.model_horizon_}: the model "
                f"would be iterated, which needs future values of the past-only exog columns "
                f"{past_only}; refit with horizon={horizon} or list them in future_exog")
        return horizon

    def _rows_needed(self, horizon):
        return -(-horizon // self.model_horizon_) * self.model_horizon_

    def _check_exog_future(self, exog_future, horizon, index=None):
        """exog rows for the forecast steps, all columns in fit order (unknown ones NaN)."""
        if not self.future_exog_:
            if exog_future is not None:
                raise ValueError("exog_future was given, but the forecaster has no future-known "
                                 "exog columns; set future_exog=[...] before fitting")
            return None
        needed = self._rows_needed(horizon)
        if exog_future is None:
            raise ValueError(f"this forecaster uses the future values of {self.future_exog_}; "
                             f"pass exog_future with them for the next {needed} steps")
        if isinstance(exog_future, pd.Series):
            exog_future = exog_future.to_frame()
        if isinstance(exog_future, pd.DataFrame):
            missing = [c for c in self.future_exog_ if c not in exog_future.columns]
            if missing:
                raise ValueError(f"exog_future lacks the future_exog columns {missing}")
            if index is not None and not isinstance(index, pd.RangeIndex) and len(
                    exog_future) >= needed:
                expected = future_index(index, needed)
                if not exog_future.index[:needed].equals(expected):
                    raise ValueError(
                        f"exog_future must start right after the series, at {expected[0]}; "
                        f"its index starts at {exog_future.index[0]}")
            known = as_float_array(exog_future[self.future_exog_], "exog_future", ndim=2)
        else:
            known = as_float_array(exog_future, "exog_future", ndim=(1, 2))
            known = known[:, None] if known.ndim == 1 else known
            mask = self._future_mask()
            if known.shape[1] == len(self.exog_columns_):
                known = known[:, mask]
            elif known.shape[1] != len(self.future_exog_):
                raise ValueError(f"exog_future has {known.shape[1]} columns; expected the "
                                 f"{len(self.future_exog_)} future_exog columns")
        if len(known) < needed:
            raise ValueError(f"exog_future has {len(known)} rows, but forecasting {horizon} "
                             f"steps with a model of horizon {self.model_horizon_} needs "
                             f"{needed}")
        rows = np.full((needed, len(self.exog_columns_)), np.nan)
        rows[:, self._future_mask()] = known[:needed]
        return rows

    def _future_rows(self, exog, origin, horizon):
        """Rows of the known exog after ``origin`` as ``_forecast_values`` wants them.

        Used where the future is in the data (calibration, backtests): past-only
        columns are blanked, and the rows are padded with the last one where a
        model horizon runs past the end of the data.
        """
        if not self.future_exog_:
            return None
        needed = self._rows_needed(horizon)
        rows = exog[origin: origin + needed].copy()
        if len(rows) < needed:
            rows = np.vstack([rows, np.repeat(rows[-1:], needed - len(rows), axis=0)])
        rows[:, ~self._future_mask()] = np.nan
        return rows

    def predict(self, horizon=None, exog_future=None) -> pd.Series:
        """Forecast the steps after the training series.

        Parameters
        ----------
        horizon : int, optional
            Number of steps; defaults to the ``horizon`` parameter. Beyond the
            fitted model horizon the model is iterated on its own forecasts.
        exog_future : pandas.DataFrame or array-like, optional
            Required with ``future_exog``: the future-known columns for the
            forecast steps (at least the fitted horizon, rounded up to whole
            model horizons), indexed from the first forecast timestamp.

        Returns
        -------
        pandas.Series
            Indexed by the ``horizon`` timestamps after the training series.
        """
        horizon = self._check_horizon(horizon)
        rows = self._check_exog_future(exog_future, horizon, self.index_)
        values = self._forecast_values(self._y, self._exog, rows, horizon)
        return pd.Series(values, index=future_index(self.index_, horizon), name=self.name_)

    def plot(self, coverage=0.9, horizon=None, exog_future=None, *, ax=None, history=None,
             title=None):
        """Plot the end of the training series, the forecast and its prediction interval.

        Needs matplotlib (``pip install 'gatedts[plot]'``); see
        :func:`gatedts.forecasting.plotting.plot_forecaster`.

        Parameters
        ----------
        coverage : float or None, default 0.9
            Coverage of the interval (:meth:`predict_interval`), named in the
            legend ("90% prediction interval"); None draws the point forecast
            only.
        horizon, exog_future
            As in :meth:`predict`.
        ax : matplotlib Axes, optional
            Draw here; by default on a new figure (``ax.figure``).
        history : int, optional
            Observations shown; by default ten horizons (at least 48 steps).
        title : str, optional
            Default: the series, the model and the number of steps.

        Returns
        -------
        matplotlib.axes.Axes
            Time across, the series (by name) up.
        """
        from .plotting import plot_forecaster

        return plot_forecaster(self, coverage, horizon, exog_future, history=history, ax=ax,
                               title=title)

    # ------------------------------------------------------------ backtest

    def backtest(self, y, exog=None, *, initial, step=None, horizon=None, refit=True,
                 coverage=0.9, progress=False) -> BacktestResult:
        """Rolling-origin evaluation of this (unfitted) configuration; see :func:`backtest`."""
        return backtest(self, y, exog=exog, initial=initial, step=step, horizon=horizon,
                        refit=refit, coverage=coverage, progress=progress)


# ---------------------------------------------------------------- helpers


def fit_network(estimator, X, y, *, label="network", bar=False, **fit_params):
    """Fit one network of a forecast; Ctrl-C during its training raises KeyboardInterrupt.

    The estimators turn Ctrl-C into a graceful stop (best weights so far,
    ``interrupted_`` set, a RuntimeWarning): right for a direct ``fit``, but a
    forecast, an interval calibration or a backtest built on that network
    would go on half-trained without a word. Here the warning is swallowed and
    the interrupt passed on once the network has stopped. With ``bar``, a
    progress bar over its epochs (:func:`~gatedts.forecasting._progress.fit_bar`).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*training interrupted",
                                category=RuntimeWarning)
        with fit_bar(bar, label):
            estimator.fit(X, y, **fit_params)
    if getattr(estimator, "interrupted_", False):
        raise KeyboardInterrupt(f"{label}: training interrupted after "
                                f"{getattr(estimator, 'n_iter_', '?')} epoch(s)")
    return estimator


def _model_label(estimator):
    """A network's name on its bar: "GRU" for a GRURegressor, else its class name."""
    name = type(estimator).__name__
    return name.removesuffix("Regressor") if type(estimator) in ESTIMATORS.values() else name


def _append_future(X, future):
    """Extend sequences ``X`` (n, window, F) by future exog rows (n, h, k) and a flag."""
    n, window, n_features = X.shape
    h, k = future.shape[1], future.shape[2]
    out = np.zeros((n, window + h, n_features + 1))
    out[:, :window, :n_features] = X
    out[:, window:, n_features - k: n_features] = future
    out[:, window:, n_features] = 1.0
    return out
