"""scikit-learn estimators: GRURegressor, LSTMRegressor, RNNRegressor.

They are fitted like ``MLPRegressor``: X holds one sequence per row, either
``(n_samples, n_timesteps, n_features)`` or a 2-D lag matrix, laid out
by itself when it is a framework's lag matrix (skforecast, mlforecast, darts,
sktime: see :mod:`gatedts.lag_columns`), else read as one feature per step
unless its layout is declared (``lag_order``, ``n_features_per_step``,
``feature_layout``, ``static_features``: see :func:`lags_to_sequences`); y is
``(n_samples,)`` or ``(n_samples, n_outputs)`` (e.g. a multi-step direct forecast),
and ``sample_weight`` weights the samples.
Inputs and targets are standardised inside (``scaling``), so raw values work.
The network is a stack of recurrent layers and a linear head on the last hidden state
(or, with ``head``, on it and an attention context, or on every step);
its parameters are ``params_``, a dict named like PyTorch's ``state_dict``
(see :mod:`gatedts.functional`). Training is mini-batch Adam or SGD with
global gradient-norm clipping, an optional learning-rate schedule, early
stopping on the most recent samples, and a guard against divergence (see
:meth:`fit` and :mod:`gatedts.training`). A fit that fails or is interrupted
(Ctrl-C) leaves the estimator as it was. :func:`on_epoch` (from
:mod:`gatedts.training`) calls a function after every epoch of the fits run in
a ``with`` block, e.g. to move a progress bar.

Every parameter is checked in ``fit`` and ``partial_fit`` against one table,
``_constraints`` (parameter name -> the values it accepts); a subclass adds the
entries of its cell's own parameters.
"""

import copy
import inspect
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._constraints import InstanceOf, Interval, Options, Sequence, validate_params
from ._estimator_docs import docstring
from ._sequences import CONSTANT_RTOL, lags_to_sequences, mean_and_scale, static_positions
from .lag_columns import read_layout
from .nn import functional as F
from .nn.core import check_quantiles, check_sample_weight
from .nn.spec import NetworkSpec
from .training import (
    WEIGHTS_ON_CPU_ONLY,
    MaxIterReachedWarning,
    TrainingConfig,
    TrainingDivergedWarning,
    TrainingState,
    auto_settings,
    mean_one_weights,
    on_epoch,
    point_prediction,
    predict,
    train,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["CONSTANT_RTOL", "GRURegressor", "LSTMRegressor", "MaxIterReachedWarning",
           "RNNRegressor", "TrainingDivergedWarning", "auto_settings", "lags_to_sequences",
           "mean_and_scale", "on_epoch"]


# ---------------------------------------------------------------- parameter constraints

_BOOL = InstanceOf((bool, np.bool_), "a bool")
_SIZE = Interval(1, integer=True)
_POSITIVE = Interval(0.0, closed="neither")
_NON_NEGATIVE = Interval(0.0)

# What the docstrings (below) say each parameter accepts.
_CONSTRAINTS = MappingProxyType({
    "hidden_size": [_SIZE, Sequence(_SIZE)],
    "num_layers": [_SIZE],
    "bidirectional": [_BOOL],
    "residual": [_BOOL],
    "head": [Options(*F.HEADS)],
    "decoder": [_BOOL],
    "scaling": [Options("standard"), None],
    "lag_order": [Options("oldest_first", "newest_first")],
    "n_features_per_step": [_SIZE],
    "feature_layout": [Options("interleaved", "blocks")],
    "static_features": [Sequence(Interval(integer=True)),
                        Sequence(InstanceOf(str, "a column name", "column names")), None],
    "dropout": [Interval(0.0, 0.99)],
    "loss": [Options(*F.LOSSES)],
    "quantiles": [Sequence(Interval(0.0, 1.0, closed="neither"))],
    "solver": [Options("adam", "sgd")],
    "learning_rate_init": [_POSITIVE],
    "learning_rate": [Options("constant", "invscaling", "cosine", "plateau")],
    "power_t": [_NON_NEGATIVE],
    "momentum": [Interval(0.0, 1.0)],
    "nesterovs_momentum": [_BOOL],
    "beta_1": [Interval(0.0, 0.999999)],
    "beta_2": [Interval(0.0, 0.999999)],
    "epsilon": [_POSITIVE],
    "alpha": [_NON_NEGATIVE, Options("auto")],
    "clip_norm": [_POSITIVE, None],
    "batch_size": [_SIZE, Options("auto")],
    "max_iter": [_SIZE, Options("auto")],
    "shuffle": [_BOOL],
    "tol": [_NON_NEGATIVE],
    "early_stopping": [_BOOL],
    "validation_fraction": [Interval(0.0, 0.99, closed="right")],
    "n_iter_no_change": [_SIZE],
    "random_state": [Interval(0, 2**32 - 1, integer=True),
                     InstanceOf(np.random.RandomState, "a RandomState instance"), None],
    "dtype": [Options("float32", "float64", aliases=(np.float32, np.float64))],
    "device": [Options("cpu", "cuda", "auto")],
    "verbose": [Interval(0, integer=True), _BOOL],
    "warm_start": [_BOOL],
})


# ---------------------------------------------------------------- estimators

# TrainingState field -> the estimator attribute that keeps it between calls.
_STATE_ATTRIBUTES = {
    "params": "params_", "loss_curve": "loss_curve_", "grad_norm_curve": "grad_norm_curve_",
    "learning_rate_curve": "learning_rate_curve_", "validation_scores": "validation_scores_",
    "best_loss": "best_loss_", "best_validation_score": "best_validation_score_",
    "n_iter": "n_iter_", "t": "t_", "no_improvement": "_no_improvement", "rng": "_rng",
    "optimizer": "_optimizer", "schedule": "_schedule",
}


class _RecurrentRegressor(RegressorMixin, BaseEstimator):
    """Shared implementation; use GRURegressor, LSTMRegressor or RNNRegressor."""

    _cell: str  # each subclass's cell
    _constraints = _CONSTRAINTS

    def __init__(self, hidden_size=32, num_layers=1, *, bidirectional=False, residual=False,
                 head="last", decoder=False,
                 scaling="standard", lag_order="oldest_first", n_features_per_step=1,
                 feature_layout="interleaved", static_features=None, dropout=0.0,
                 loss="mse", quantiles=(0.05, 0.5, 0.95), solver="adam",
                 learning_rate_init=0.001, learning_rate="constant", power_t=0.5,
                 momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter="auto", shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.residual = residual
        self.head = head
        self.decoder = decoder
        self.scaling = scaling
        self.lag_order = lag_order
        self.n_features_per_step = n_features_per_step
        self.feature_layout = feature_layout
        self.static_features = static_features
        self.dropout = dropout
        self.loss = loss
        self.quantiles = quantiles
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.clip_norm = clip_norm
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.dtype = dtype
        self.device = device
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------ hooks

    def _architecture(self, n_inputs, n_outputs, n_future):
        """The :class:`~gatedts.nn.spec.NetworkSpec` these parameters make for ``n_inputs``
        features, ``n_outputs`` targets and ``n_future`` known-future covariates.

        Raises ValueError for options that do not combine (the spec's table).
        """
        params = self.get_params(deep=False)
        sizes = (tuple(self.hidden_size) if np.ndim(self.hidden_size)
                 else (self.hidden_size,) * self.num_layers)
        return NetworkSpec(self._cell, n_inputs, sizes, self._head_size(n_outputs),
                           np.dtype(self.dtype), bidirectional=self.bidirectional,
                           residual=self.residual, head=self.head, decoder=self.decoder,
                           future_size=n_future if self.decoder else 0,
                           **{name: params[name] for name in ("reset_after", "peephole")
                              if name in params})

    @property
    def network_spec_(self) -> NetworkSpec:
        """The fitted network (a :class:`~gatedts.nn.spec.NetworkSpec`): read from
        ``params_`` and the architecture parameters. AttributeError before ``fit``."""
        if "params_" not in vars(self):
            raise AttributeError(f"{type(self).__name__} is not fitted: no network_spec_")
        params = self.get_params(deep=False)
        return F.network_spec(self._cell, self.params_,
                              reset_after=params.get("reset_after", True),
                              bidirectional=self.bidirectional, residual=self.residual,
                              head=self.head, decoder=self.decoder)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------ validation

    def _validate_params(self):
        """Check every parameter against ``_constraints``, then the rules that join them:
        the architecture's (combinations, devices: :class:`~gatedts.nn.spec.NetworkSpec`)
        and the loss's."""
        validate_params(self.get_params(deep=False), self._constraints)
        if np.ndim(self.hidden_size) and self.num_layers not in (1, len(self.hidden_size)):
            raise ValueError(f"num_layers={self.num_layers} contradicts "
                             f"hidden_size={tuple(self.hidden_size)}")
        self._architecture(1, 1, 0).check_device(self.device)  # before any data is read
        if self.loss == "quantile":
            check_quantiles(self.quantiles)
            if self.device != "cpu":
                raise ValueError("loss='quantile' trains on the CPU only; use device='cpu'")
            if self.decoder:
                raise ValueError("decoder=True is not supported with loss='quantile'")

    def _validate_X(self, X, y=None, reset=True):
        dtype = np.dtype(self.dtype)
        if y is None:
            X = validate_data(self, X, reset=reset, allow_nd=True, dtype=dtype)
        else:
            X, y = validate_data(self, X, y, reset=reset, allow_nd=True, dtype=dtype,
                                 multi_output=True, y_numeric=True)
        if X.ndim not in (2, 3):
            raise ValueError(f"X must be 2-D (n_samples, n_columns) or 3-D (n_samples, "
                             f"n_timesteps, n_features), got shape {X.shape}")
        if reset:  # a framework's lag columns lay themselves out: gatedts.lag_columns
            self.column_layout_ = None if X.ndim == 3 else read_layout(
                X, y, getattr(self, "feature_names_in_", None), self._declared_layout(X))
        X = self._as_sequences(X)
        if not reset:
            self._check_fitted_shapes(X)
        if y is None:
            return X
        y = np.asarray(y, dtype=np.float64)  # cast to the training dtype per batch
        return X, (y[:, None] if y.ndim == 1 else y)

    def _as_sequences(self, X):
        """A validated 2-D or 3-D ``X`` as contiguous (n, T, F) sequences, oldest step first."""
        if X.ndim == 3:
            if (self.n_features_per_step, self.feature_layout, self.static_features) != (
                    1, "interleaved", None):
                raise ValueError("n_features_per_step, feature_layout and static_features "
                                 "describe the columns of a 2-D X; a 3-D X has its features "
                                 f"on its last axis already (got shape {X.shape})")
            return np.ascontiguousarray(X[:, ::-1] if self.lag_order == "newest_first" else X)
        layout = getattr(self, "column_layout_", None)
        if layout is not None:
            return np.ascontiguousarray(X[:, layout])
        return lags_to_sequences(X, **self._layout_options(X.shape[1]))

    def _layout_options(self, n_columns):
        return {"n_features_per_step": self.n_features_per_step, "lag_order": self.lag_order,
                "feature_layout": self.feature_layout,
                "static_columns": self._static_columns(n_columns)}

    def _declared_layout(self, X):
        """The column each step of each feature is read from, as the layout options give a
        2-D ``X``; None when they are at their defaults."""
        if (self.lag_order, self.n_features_per_step, self.feature_layout,
                self.static_features) == ("oldest_first", 1, "interleaved", None):
            return None
        return lags_to_sequences(np.arange(X.shape[1])[None],
                                 **self._layout_options(X.shape[1]))[0]

    def _static_columns(self, n_columns):
        """The positions (0 .. n_columns - 1) of ``static_features`` in a 2-D X."""
        return static_positions(self.static_features, n_columns,
                                list(getattr(self, "feature_names_in_", ())))

    def _check_fitted_shapes(self, X, y=None):
        """X (n, T, F) and y (n, n_outputs) fit the fitted network."""
        n_inputs = self.params_["weight_ih_l0"].shape[1]
        if X.shape[2] != n_inputs:
            raise ValueError(f"X has {X.shape[2]} feature(s) per time step, but "
                             f"{type(self).__name__} was fitted with {n_inputs}")
        if y is not None and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} output(s), the fitted model {self.n_outputs_}")
        n_heads = self.params_["head.bias"].shape[0]
        if n_heads != self._head_size(self.n_outputs_):
            raise ValueError(f"the fitted network has {n_heads} outputs, which loss="
                             f"{self.loss!r} with quantiles={self.quantiles!r} does not "
                             "match: fit without warm_start after changing them")

    def _head_size(self, n_outputs):
        """The network's outputs for ``n_outputs`` targets: one per target and quantile
        (per step with the sequence head, whose targets are its steps); a decoder's one
        per step."""
        if self.decoder:
            return 1
        per_step = 1 if self.head == "sequence" else n_outputs
        return per_step * len(self._levels() or (None,))

    def _check_sequence_targets(self, X, y):
        """With ``head="sequence"``, ``y`` holds one column per time step of ``X``."""
        if self.head == "sequence" and y.shape[1] != X.shape[1]:
            raise ValueError(
                f"head='sequence' takes one target per time step: y must have T = {X.shape[1]} "
                f"column(s) (the time steps of X, oldest first), got {y.shape[1]}")

    def _levels(self):
        """The quantiles of the quantile loss as a tuple; () for the other losses."""
        return tuple(float(q) for q in self.quantiles) if self.loss == "quantile" else ()

    # ------------------------------------------------------------ training

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None, *,
            X_future: ArrayLike | None = None) -> "Self":
        """Fit the network to sequences X and targets y.

        Training runs for ``max_iter`` epochs or until the loss (or, with
        ``early_stopping``, the validation R² on the last
        ``validation_fraction`` of the samples in their given order) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; early stopping
        restores the best weights. Reaching a ``max_iter`` given as a number
        first warns :class:`MaxIterReachedWarning` (a ``ConvergenceWarning``).
        A NaN/inf loss or gradient stops training with
        :class:`TrainingDivergedWarning` and keeps the last finite weights (the
        best ones with early stopping). A fit that raises, Ctrl-C
        (KeyboardInterrupt) included, leaves the estimator exactly as it was
        before the call (unfitted after a first fit) and re-raises.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)
            A 2-D X is read in the declared layout (``lag_order``,
            ``n_features_per_step``, ``feature_layout``, ``static_features``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights: each sample's loss (and its share of the
            scaling statistics and of the validation R²) counts that many
            times; a weight of 0 removes the sample, equal weights change
            nothing. CPU only.
        X_future : array-like of shape (n_samples, horizon, n_future), optional
            With ``decoder=True``: known-future covariates of each of the
            ``horizon`` steps of y, read by the decoder next to the previous
            value (standardised per covariate with ``scaling``). Then
            ``predict`` needs them too.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False, X_future=X_future)

    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    *, X_future: ArrayLike | None = None) -> "Self":
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            As in :meth:`fit`.
        X_future : array-like of shape (n_samples, horizon, n_future), optional
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=True, X_future=X_future)

    def _fit(self, X, y, sample_weight, incremental, X_future=None):
        """Validate, (re)initialise if needed, train, and keep the training state; all or
        nothing: on any exception (KeyboardInterrupt too) the attributes are put back as
        they were and the exception goes on.

        ``fit`` trains ``max_iter`` epochs from new weights (the current ones
        with ``warm_start``) and a new optimizer; ``partial_fit``
        (``incremental``) one epoch from the current weights and optimizer.
        """
        before = dict(vars(self))  # training works on copies: these objects stay intact
        try:
            return self._train(X, y, sample_weight, incremental, X_future)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    def _train(self, X, y, sample_weight, incremental, X_future):
        self._validate_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        if sample_weight is not None and self.device != "cpu":
            raise ValueError(WEIGHTS_ON_CPU_ONLY)
        fitted = hasattr(self, "params_")
        resume = fitted and (incremental or self.warm_start)
        # fit re-learns n_features_in_ (a warm start may change the window length);
        # partial_fit keeps it.
        X, y = self._validate_X(X, y, reset=not (incremental and fitted))
        self._check_sequence_targets(X, y)
        X_future = self._validate_future(X_future, len(X), y.shape[1])
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(X))
            kept = sample_weight > 0
            if not kept.any():
                raise ValueError("sample_weight is zero for every sample: nothing to fit")
            # A zero weight removes its sample, from the scaling and the batches too.
            X, y, sample_weight = X[kept], y[kept], mean_one_weights(sample_weight[kept])
            X_future = None if X_future is None else X_future[kept]
        if resume:
            self._check_fitted_shapes(X, y)
            self._check_future(X_future)
        else:
            self._initialize(X, y, sample_weight, X_future)
        self._resolve_auto(len(X), keep=resume and incremental)
        X, y = self._scale_inputs(X), self._scale_targets(y)
        inputs = None if X_future is None else {"X_future": self._scale_future(X_future)}
        config = TrainingConfig.from_params(
            self.network_spec_, self.get_params(deep=False),
            resolved={"alpha": self.alpha_, "max_iter": self.max_iter_,
                      "batch_size": self.batch_size_},
            name=type(self).__name__)
        # A copy (weights, curves, optimizer, generator), so that an interrupted
        # training leaves the attributes intact. The optimizer is not in saved files.
        state = copy.deepcopy(TrainingState(**{
            field: getattr(self, attribute) for field, attribute in _STATE_ATTRIBUTES.items()
            if hasattr(self, attribute)}))
        train(config, state, X, y, 1 if incremental else self.max_iter_,
              incremental=incremental, sample_weight=sample_weight, inputs=inputs)
        self._set_state(state)
        return self

    def _resolve_auto(self, n_samples, keep):
        """Set ``alpha_``, ``max_iter_`` and ``batch_size_``: the parameters, "auto" resolved
        for ``n_samples`` (``keep``: as the call that initialised the weights resolved it)."""
        auto = auto_settings(n_samples)
        for name in ("alpha", "max_iter", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, str):  # "auto"
                value = getattr(self, f"{name}_", None) if keep else None
                value = auto[name] if value is None else value
            setattr(self, f"{name}_", value)

    def _set_state(self, state):
        for field, attribute in _STATE_ATTRIBUTES.items():
            setattr(self, attribute, getattr(state, field))

    def _initialize(self, X, y, sample_weight=None, X_future=None):
        """New weights, training state and scaling for (n, T, F) ``X`` and 2-D ``y``."""
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31))
        self.n_outputs_ = y.shape[1]
        self.n_future_ = 0 if X_future is None else X_future.shape[2]
        self.feature_mean_ = self.feature_scale_ = self.target_mean_ = self.target_scale_ = None
        self.future_mean_ = self.future_scale_ = None
        if self.scaling == "standard":
            per_step = None if sample_weight is None else np.repeat(sample_weight, X.shape[1])
            self.feature_mean_, self.feature_scale_ = mean_and_scale(
                X.reshape(-1, X.shape[2]), per_step)
            self.target_mean_, self.target_scale_ = mean_and_scale(y, sample_weight)
            if self.decoder:
                self._share_target_scale(y, sample_weight)
                if X_future is not None:
                    per_step = (None if sample_weight is None
                                else np.repeat(sample_weight, X_future.shape[1]))
                    self.future_mean_, self.future_scale_ = mean_and_scale(
                        X_future.reshape(-1, X_future.shape[2]), per_step)
        spec = self._architecture(X.shape[2], self.n_outputs_, self.n_future_)
        params = F.init_params(spec, random_state=rng,
                               forget_bias=self.get_params(deep=False).get("forget_bias", 1.0))
        self._set_state(TrainingState.start(params, rng, early_stopping=self.early_stopping))

    def _share_target_scale(self, y, sample_weight):
        """A decoder's scaling: one mean and scale for every step of the target, shared by
        feature 0 of X (the target's past), so the value the decoder starts from and the
        values it feeds back are on one scale."""
        per_step = None if sample_weight is None else np.repeat(sample_weight, y.shape[1])
        mean, scale = mean_and_scale(y.reshape(-1, 1), per_step)
        self.target_mean_ = np.repeat(mean, y.shape[1])
        self.target_scale_ = np.repeat(scale, y.shape[1])
        self.feature_mean_[0], self.feature_scale_[0] = mean[0], scale[0]

    def _validate_future(self, X_future, n_samples, horizon):
        """``X_future`` as a float (n, horizon, n_future) array, or None; only with a decoder."""
        if X_future is None:
            if self.decoder and getattr(self, "n_future_", 0):
                raise ValueError(f"{type(self).__name__} was fitted with {self.n_future_} "
                                 "known-future covariate(s): pass X_future")
            return None
        if not self.decoder:
            raise ValueError("X_future (known-future covariates) is only used with "
                             "decoder=True")
        X_future = np.asarray(X_future, dtype=np.dtype(self.dtype))
        if X_future.ndim != 3 or X_future.shape[:2] != (n_samples, horizon) \
                or X_future.shape[2] == 0:
            raise ValueError(f"X_future has shape {X_future.shape}, expected ({n_samples}, "
                             f"{horizon}, n_future): one row of covariates per sample and "
                             "forecast step")
        if not np.all(np.isfinite(X_future)):
            raise ValueError("X_future contains NaN or infinity")
        return X_future

    def _check_future(self, X_future):
        n_future = 0 if X_future is None else X_future.shape[2]
        if n_future != getattr(self, "n_future_", 0):
            raise ValueError(f"X_future has {n_future} covariate(s), the fitted model "
                             f"{getattr(self, 'n_future_', 0)}")

    def _scale_future(self, X_future):
        if getattr(self, "future_mean_", None) is None:
            return X_future
        return ((X_future - self.future_mean_) / self.future_scale_).astype(X_future.dtype)

    # ------------------------------------------------------------ scaling

    def _scale_inputs(self, X):
        """What the network sees of a validated (n, T, F) ``X``, in the model's dtype."""
        if self.feature_mean_ is None:
            return X
        scaled = X - self.feature_mean_
        scaled /= self.feature_scale_
        return scaled.astype(X.dtype)

    def _scale_targets(self, y):
        """The network's training targets for a validated 2-D float64 ``y``."""
        return y if self.target_mean_ is None else (y - self.target_mean_) / self.target_scale_

    def network_input(self, X: ArrayLike, y: ArrayLike | None = None
                      ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """``X`` (and ``y``) as the fitted network sees them: validated, laid out, scaled.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps, n_features), or a tuple with y too
            X in the model's dtype, oldest step first, standardised with
            ``feature_mean_`` and ``feature_scale_`` (y, as float64 (n_samples,
            n_outputs), with the target's): what ``gatedts.functional`` takes
            with ``network_spec_`` and ``params_``.
        """
        check_is_fitted(self, "params_")
        if y is None:
            return self._scale_inputs(self._validate_X(X, reset=False))
        X, y = self._validate_X(X, y, reset=False)
        return self._scale_inputs(X), self._scale_targets(y)

    # ------------------------------------------------------------ prediction

    def _clean_X(self, X):
        """``X`` as an (n, T, F) array if it already is a clean one, else None.

        Skips scikit-learn's validation (tens of µs, most of the time of a
        one-window prediction) for a finite ndarray of the model's dtype and
        shape; anything else goes through ``_validate_X`` and its messages.
        """
        if type(X) is not np.ndarray or X.dtype != self.params_["head.bias"].dtype \
                or hasattr(self, "feature_names_in_") or X.ndim not in (2, 3) \
                or X.shape[0] == 0 or X.shape[1] != self.n_features_in_ \
                or not np.isfinite(X).all():
            return None
        X = self._as_sequences(X)
        return X if X.shape[2] == self.params_["weight_ih_l0"].shape[1] else None

    def predict(self, X: ArrayLike, *, X_future: ArrayLike | None = None) -> np.ndarray:
        """Predict with the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)
        X_future : array-like of shape (n_samples, horizon, n_future), optional
            Required when a decoder was fitted with known-future covariates.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64. The network runs in the model's dtype; a sample's
            prediction is the same bits whichever samples share its batch.
            With ``loss="quantile"``, the quantile nearest 0.5. With
            ``head="sequence"``: (n_samples, n_timesteps), one prediction per
            step, oldest first. With ``decoder=True``, the ``horizon`` steps
            (n_outputs) forecast by the decoder, each fed its own previous
            prediction.
        """
        pred = point_prediction(self._network_outputs(X, X_future), self._levels())
        return pred[:, 0] if self.n_outputs_ == 1 and self.head != "sequence" else pred

    def predict_quantiles(self, X: ArrayLike) -> np.ndarray:
        """Every quantile of a network trained with ``loss="quantile"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_quantiles) or (n_samples, n_outputs, n_quantiles)
            In the order of ``quantiles``. The network does not force them to
            be increasing; they come out so when the network fits well.
        """
        levels = self._levels()
        if not levels:
            raise ValueError(f"predict_quantiles needs loss='quantile', not {self.loss!r}")
        pred = self._network_outputs(X).reshape(-1, self.n_outputs_, len(levels))
        return pred[:, 0] if self.n_outputs_ == 1 else pred

    def attention_weights(self, X: ArrayLike) -> np.ndarray:
        """The attention weights of a network fitted with ``head="attention"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_columns) or (n_samples, n_timesteps, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_timesteps)
            float64, each row summing to 1: how much the context the head
            reads takes from each time step, oldest step first (after
            ``lag_order``: as the network reads the window).
        """
        check_is_fitted(self, "params_")
        if self.head != "attention":
            raise ValueError(f"attention_weights needs head='attention', not {self.head!r}")
        sequences = self._scale_inputs(self._validate_X(X, reset=False))
        spec = self.network_spec_
        out = [F.forward(spec, self.params_, sequences[i : i + 1024], check_input=False,
                         return_attention=True).attention
               for i in range(0, len(sequences), 1024)]
        return np.concatenate(cast("list[np.ndarray]", out)).astype(np.float64)

    def _network_outputs(self, X, X_future=None):
        """The head's outputs on the scale of y: per target, or per target and quantile."""
        if not hasattr(self, "params_"):
            check_is_fitted(self, "params_")  # raises NotFittedError
        X_clean = self._clean_X(X)
        X = X_clean if X_clean is not None else self._validate_X(X, reset=False)
        X_future = self._validate_future(X_future, len(X), self.n_outputs_)
        self._check_future(X_future)
        inputs = None if X_future is None else {"X_future": self._scale_future(X_future)}
        outputs = predict(self.network_spec_, self.params_, self._scale_inputs(X), inputs,
                          horizon=self.n_outputs_)
        if self.target_mean_ is None:
            return outputs
        scale, mean = self.target_scale_, self.target_mean_
        levels = self._levels()
        if levels:  # a target's quantiles sit side by side
            scale, mean = np.repeat(scale, len(levels)), np.repeat(mean, len(levels))
        outputs *= scale
        outputs += mean
        return outputs


_SHARED_PARAMETERS = tuple(inspect.signature(_RecurrentRegressor.__init__).parameters)[1:]


def _store_shared(estimator, arguments):
    """The rest of a subclass's ``__init__``: the shared parameters, from its ``locals()``."""
    _RecurrentRegressor.__init__(estimator, **{k: arguments[k] for k in _SHARED_PARAMETERS})


class GRURegressor(_RecurrentRegressor):
    __doc__ = docstring(
        "Gated recurrent unit network regressor (Cho et al. 2014).", """\
    reset_after : bool, default True
        Apply the reset gate after the recurrent matrix product (PyTorch,
        Keras and cuDNN form); False is the original form of Cho et al.
""")

    _cell = "gru"
    _constraints = MappingProxyType({**_CONSTRAINTS, "reset_after": [_BOOL]})

    def __init__(self, hidden_size=32, num_layers=1, *, bidirectional=False, residual=False,
                 head="last", decoder=False,
                 reset_after=True,
                 scaling="standard", lag_order="oldest_first", n_features_per_step=1,
                 feature_layout="interleaved", static_features=None, dropout=0.0, loss="mse",
                 quantiles=(0.05, 0.5, 0.95), solver="adam", learning_rate_init=0.001,
                 learning_rate="constant", power_t=0.5, momentum=0.9, nesterovs_momentum=True,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, alpha=0.0001, clip_norm=1.0,
                 batch_size="auto", max_iter="auto", shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None, dtype="float32",
                 device="cpu", verbose=0, warm_start=False):
        self.reset_after = reset_after
        _store_shared(self, locals())


class LSTMRegressor(_RecurrentRegressor):
    __doc__ = docstring(
        "Long short-term memory network regressor (Hochreiter & Schmidhuber 1997).", """\
    peephole : bool, default False
        Add diagonal peephole connections from the cell state to the input,
        forget and output gates (Gers & Schmidhuber 2000).
    forget_bias : float, default 0.0
        Initial bias of the forget gate. 0 (PyTorch's zero-mean start) starts
        the cell keeping 50% of its state per step; 1 (Jozefowicz et al.
        2015, Keras' ``unit_forget_bias``) about 73%, which can help long
        dependencies. 0 gave the Forecaster's default LSTM lower errors on the
        airline dev origins and on every bundled hold-out
        (:func:`gatedts.forecasting.default_estimator`), and trains faster
        under a strong L2 penalty: with scikit-learn's
        ``check_regressors_train`` (which sets ``alpha=0.01``) the LSTM
        reaches R² 0.75 in 200 epochs, against 0.40 with 1.
""")

    _cell = "lstm"
    _constraints = MappingProxyType({**_CONSTRAINTS, "peephole": [_BOOL],
                                     "forget_bias": [Interval()]})

    def __init__(self, hidden_size=32, num_layers=1, *, bidirectional=False, residual=False,
                 head="last", decoder=False,
                 peephole=False, forget_bias=0.0, scaling="standard", lag_order="oldest_first",
                 n_features_per_step=1, feature_layout="interleaved", static_features=None,
                 dropout=0.0, loss="mse", quantiles=(0.05, 0.5, 0.95), solver="adam",
                 learning_rate_init=0.001, learning_rate="constant", power_t=0.5, momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8, alpha=0.0001,
                 clip_norm=1.0, batch_size="auto", max_iter="auto", shuffle=True, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 random_state=None, dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.peephole = peephole
        self.forget_bias = forget_bias
        _store_shared(self, locals())


class RNNRegressor(_RecurrentRegressor):
    __doc__ = docstring("Elman tanh recurrent network regressor: the ungated baseline.")

    _cell = "rnn"


ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
"""The estimator of each cell of :data:`gatedts.nn.cells.CELL_NAMES`, by name."""
