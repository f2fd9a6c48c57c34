"""scikit-learn estimators: GRURegressor, LSTMRegressor, RNNRegressor.

They are fitted like ``MLPRegressor``: X holds one sequence per row, either
``(n_samples, n_timesteps, n_features)`` or a 2-D lag matrix, laid out
by itself when it is a framework's lag matrix (skforecast, mlforecast, darts,
sktime: see :mod:`gatedts.lag_columns`), else read as one feature per step
unless its layout is declared (``lag_order``, ``n_features_per_step``,
``feature_layout``, ``static_features``: see :func:`lags_to_sequences`); y is
``(n_samples,)`` or ``(n_samples, n_outputs)`` (e.g. a multi-step direct
forecast), and ``sample_weight`` weights the samples.
Inputs and targets are standardised inside (``scaling``), so raw values work.
The network is a stack of recurrent layers and a linear head on the last hidden state
(or, with ``head``, on it and an attention context, or on every step);
its parameters are ``params_``, a dict named like PyTorch's ``state_dict``
(see :mod:`gatedts.functional`). Training is mini-batch Adam or SGD with
global gradient-norm clipping, an optional learning-rate schedule, early
stopping on the most recent samples, and guards against divergence and
Ctrl-C (see :meth:`fit` and :mod:`gatedts.training`). :func:`on_epoch` (from
:mod:`gatedts.training`) calls a function after every epoch of the fits run in
a ``with`` block, e.g. to move a progress bar.

Every parameter is checked in ``fit`` and ``partial_fit`` against one table,
``_constraints`` (parameter name -> the values it accepts); a subclass adds the
entries of its cell's own parameters.
"""

import inspect
import math
import numbers
from types import MappingProxyType

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .lag_columns import read_layout
from .nn import functional as F
from .nn.core import check_quantiles, check_sample_weight
from .training import (
    WEIGHTS_ON_CPU_ONLY,
    TrainingConfig,
    TrainingDivergedWarning,
    TrainingState,
    mean_one_weights,
    on_epoch,
    point_prediction,
    predict,
    train,
)

__all__ = ["GRURegressor", "LSTMRegressor", "RNNRegressor", "TrainingDivergedWarning",
           "lags_to_sequences", "mean_and_scale", "on_epoch"]


# ---------------------------------------------------------------- parameter constraints


class Interval:
    """Real numbers (or integers) between ``low`` and ``high``; None is unbounded.

    ``closed`` is "both", "left", "right" or "neither"; infinite ends are
    open, so NaN and ±inf are never inside. Booleans are not numbers here.
    """

    def __init__(self, low=None, high=None, *, closed="both", integer=False):
        self.low, self.high, self.closed, self.integer = low, high, closed, integer

    def __call__(self, value):
        kind = numbers.Integral if self.integer else numbers.Real
        if isinstance(value, bool | np.bool_) or not isinstance(value, kind):
            return False
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        return ((isinstance(value, numbers.Integral) or math.isfinite(value))
                and (self.low is None or (value >= self.low if left else value > self.low))
                and (self.high is None or (value <= self.high if right else value < self.high)))

    def describe(self, plural=False):
        noun = ("integer" if self.integer else "number") + ("s" if plural else "")
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>=' if self.closed in ('both', 'left') else '>'} {self.low}")
        if self.high is not None:
            bounds.append(f"{'<=' if self.closed in ('both', 'right') else '<'} {self.high}")
        noun = f"{noun} {' and '.join(bounds)}" if bounds else f"finite {noun}"
        return noun if plural else f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


class Options:
    """One of the strings ``names`` (or of ``aliases``, accepted but not advertised)."""

    def __init__(self, *names, aliases=()):
        self.names, self.aliases = names, aliases

    def __call__(self, value):
        if isinstance(value, str):
            return value in self.names
        return isinstance(value, type | np.dtype) and value in self.aliases

    def describe(self):
        quoted = ", ".join(map(repr, self.names))
        return quoted if len(self.names) == 1 else f"one of {quoted}"


class InstanceOf:
    """Instances of ``cls`` (a class or a tuple of classes), described as ``text``
    (``plural`` in a :class:`Sequence`)."""

    def __init__(self, cls, text, plural=None):
        self.cls, self.text, self.plural = cls, text, plural

    def __call__(self, value):
        return isinstance(value, self.cls)

    def describe(self, plural=False):
        return self.plural if plural else self.text


class Sequence:
    """A non-empty list, tuple or 1-D array whose every item is accepted by ``item``."""

    def __init__(self, item):
        self.item = item

    def __call__(self, value):
        if not isinstance(value, list | tuple | np.ndarray) or np.ndim(value) != 1:
            return False
        return len(value) > 0 and all(self.item(v) for v in value)

    def describe(self):
        return f"a non-empty sequence of {self.item.describe(plural=True)}"


def _accepts(constraint, value):
    return value is None if constraint is None else constraint(value)


def _describe(constraints):
    texts = ["None" if c is None else c.describe() for c in constraints]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"


def validate_params(params, constraints):
    """Raise a ValueError naming the first parameter whose value no constraint accepts.

    ``constraints`` maps each parameter name to a list of constraints (objects
    called with the value; None accepts None).
    """
    for name, allowed in constraints.items():
        value = params[name]
        if not any(_accepts(c, value) for c in allowed):
            raise ValueError(f"{name} must be {_describe(allowed)}, got {value!r}")


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
    "alpha": [_NON_NEGATIVE],
    "clip_norm": [_POSITIVE, None],
    "batch_size": [_SIZE, Options("auto")],
    "max_iter": [_SIZE],
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


# ---------------------------------------------------------------- scaling

# A column whose spread is below this (relative to its magnitude) is treated as
# constant: rounding alone produces a spread of a few ulps.
CONSTANT_RTOL = 10 * np.finfo(np.float64).eps


def mean_and_scale(X, sample_weight=None):
    """Per-column mean and population standard deviation of a 2-D ``X``, for standardising.

    With ``sample_weight`` (one per row) both are weighted, so that a weight
    of k counts a row k times. A constant column (spread within
    :data:`CONSTANT_RTOL` of its magnitude) gets scale 1, so it is only centred.

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,), float64
    """
    X = np.asarray(X, dtype=np.float64)
    if sample_weight is None:
        mean, scale = X.mean(axis=0), X.std(axis=0)
    else:
        mean = np.average(X, axis=0, weights=sample_weight)
        scale = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=sample_weight))
    return mean, np.where(scale <= CONSTANT_RTOL * np.maximum(np.abs(mean), 1.0), 1.0, scale)


# ---------------------------------------------------------------- column layout


def lags_to_sequences(X, *, n_features_per_step=1, lag_order="oldest_first",
                      feature_layout="interleaved", static_columns=()):
    """Sequences ``(n_samples, T, F)`` from a 2-D lag matrix of a declared layout.

    The columns outside ``static_columns`` are the lags: ``T`` time steps of
    ``n_features_per_step`` features each, step by step (``"interleaved"``:
    ``a[t0], b[t0], a[t1], b[t1], ...``) or feature by feature (``"blocks"``:
    ``a[t0], a[t1], ..., b[t0], b[t1], ...``), the steps ``"oldest_first"``
    or ``"newest_first"``. The static columns (values that belong to the
    sample, not to a step) are repeated at every step, after the lag
    features. The result runs from the oldest step to the newest.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns)
    n_features_per_step : int, default 1
    lag_order : {"oldest_first", "newest_first"}, default "oldest_first"
    feature_layout : {"interleaved", "blocks"}, default "interleaved"
    static_columns : sequence of int, default ()
        Positions of the static columns, in the order they are appended.

    Returns
    -------
    ndarray of shape (n_samples, T, n_features_per_step + len(static_columns))
        C-contiguous, in the dtype of ``X``.

    Examples
    --------
    skforecast's rows (``lag_1, lag_2, lag_3, exog``):

    >>> X = np.array([[30.0, 20.0, 10.0, 5.0]])
    >>> lags_to_sequences(X, lag_order="newest_first", static_columns=[3])[0]
    array([[10.,  5.],
           [20.,  5.],
           [30.,  5.]])
    """
    static = list(static_columns)
    n_lags, k = X.shape[1] - len(static), n_features_per_step
    if n_lags <= 0 or n_lags % k:
        raise ValueError(f"X has {n_lags} lag column(s) (of {X.shape[1]}, {len(static)} "
                         f"static), which is not a positive multiple of "
                         f"n_features_per_step={k}")
    lags = X[:, [c for c in range(X.shape[1]) if c not in static]] if static else X
    if feature_layout == "interleaved":
        sequences = lags.reshape(len(X), -1, k)
    else:
        sequences = lags.reshape(len(X), k, -1).transpose(0, 2, 1)
    if lag_order == "newest_first":
        sequences = sequences[:, ::-1]
    if static:
        repeated = np.broadcast_to(X[:, None, static], (*sequences.shape[:2], len(static)))
        sequences = np.concatenate([sequences, repeated], axis=2)
    return np.ascontiguousarray(sequences)


# ---------------------------------------------------------------- docstrings

_LAYERS_DOC = """\
    hidden_size : int or sequence of int, default 32
        Units per layer, or one size per layer like ``(128, 64)``.
    num_layers : int, default 1
        Number of stacked layers when ``hidden_size`` is an int.
    bidirectional : bool, default False
        Every layer also reads the window backwards and passes both
        directions on, as ``torch.nn.GRU(bidirectional=True)`` (twice the
        weights; the head sees the forward state at the last step and the
        backward state at the first). CPU only.
    residual : bool, default False
        Each layer above the first adds its input to its output (a residual
        stack); where a layer's width differs from the one below, that input
        goes through a learned projection ``residual_proj_l{k}.weight``. Not
        with ``bidirectional``; CPU only.
    head : {"last", "attention", "sequence"}, default "last"
        What the linear head reads (see :mod:`gatedts.functional`): the top
        layer's last state; ``"attention"``, additive (Bahdanau) attention
        over every step with the last state as query, the head reading the
        context next to it (:meth:`attention_weights` gives the weights);
        ``"sequence"``, every step: y is ``(n_samples, n_timesteps)``, one
        target per step in time order (oldest first, whatever
        ``lag_order``), and ``predict`` returns that shape. CPU only.
    decoder : bool, default False
        An encoder-decoder network for a multi-step target: y is (n_samples,
        horizon), one target's next ``horizon`` values. The encoder reads X;
        its final states start a decoder of the same cell and sizes
        (``decoder.*`` weights) that runs one step per value of y, fed the
        previous value: the target's last value in X at the first step, then
        the true previous value in training (teacher forcing) and its own
        prediction in ``predict``. The target's last value is feature 0 of
        X's last time step (after ``lag_order``, ``n_features_per_step``,
        ``feature_layout`` and ``static_features`` have laid X out: the first
        lag column of a one-feature lag matrix, the first feature of a 3-D X),
        so X must hold the target itself first. With ``scaling`` the target
        is standardised by one mean and scale over all its steps, which feature
        0 of X shares. Known-future covariates of the forecast steps go to
        ``fit`` and ``predict`` as ``X_future`` (n_samples, horizon,
        n_future). With ``residual`` both encoder and decoder are residual.
        Not with ``bidirectional`` or ``loss="quantile"``; no dropout inside
        the decoder; CPU only.
"""

_INPUT_DOC = """\
    scaling : {"standard"} or None, default "standard"
        Standardise inputs and targets on the training data, as
        neuralforecast's ``scaler_type``: the network sees
        ``(X - feature_mean_) / feature_scale_`` (per feature, over all
        samples and time steps) and learns ``(y - target_mean_) /
        target_scale_``, and predictions are mapped back. A raw lag matrix
        (values in the hundreds, which saturate the gates) then trains like a
        standardised one. A constant column gets scale 1. The scaling is
        learnt when the weights are initialised (``fit``, or the first
        ``partial_fit``) and kept by later ``partial_fit`` calls and by
        ``warm_start``. None feeds X and y to the network as given.
    lag_order : {"oldest_first", "newest_first"}, default "oldest_first"
        Order of the time steps in X: the lag columns of a 2-D X, axis 1 of a
        3-D X. sktime and darts pass lags oldest first; skforecast and
        mlforecast newest first (``lag_1`` first). The network always reads
        them from the oldest to the newest.
    n_features_per_step : int, default 1
        Features per time step in the lag columns of a 2-D X (a lagged
        target and lagged covariates): its ``T * n_features_per_step`` lag
        columns become ``(n_samples, T, n_features_per_step)``. A 3-D X has
        its features on the last axis already.
    feature_layout : {"interleaved", "blocks"}, default "interleaved"
        How those features sit in the lag columns: step by step
        (``a[t0], b[t0], a[t1], b[t1], ...``, as
        :func:`~gatedts.forecasting.windows.make_flat_windows`) or feature by
        feature (``a[t0], a[t1], ..., b[t0], b[t1], ...``, as sktime's and
        darts' lagged covariates).
    static_features : sequence of int or of str, optional
        Columns of a 2-D X that are not on the time axis (exogenous values at
        the forecast time, date features, static covariates, series ids), by
        position (negative positions count from the end) or by name (X a
        DataFrame). Each is repeated at every time step as an extra feature
        after the lag features, instead of being read as one more time step.
        See :func:`lags_to_sequences`. Left at their defaults, these four
        options are read from a framework's lag matrix (its column names, or
        its values: :mod:`gatedts.lag_columns`); set, they are checked
        against its column names.
"""

_TRAINING_DOC = """\
    dropout : float, default 0.0
        Dropout between stacked layers during training.
    loss : {"mse", "mae", "huber", "quantile"}, default "mse"
        "quantile": the pinball loss, one network output per target and
        quantile; ``predict`` gives the quantile nearest 0.5 and
        :meth:`predict_quantiles` all of them.
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Increasing levels in (0, 1) for ``loss="quantile"`` (ignored otherwise).
    solver : {"adam", "sgd"}, default "adam"
    learning_rate_init : float, default 0.001
    learning_rate : {"constant", "invscaling", "cosine", "plateau"}, default "constant"
        Epoch-wise schedule (see :mod:`gatedts.nn.optim`); "plateau" divides the
        rate by 10 after 10 epochs without improvement of the monitored loss.
    power_t : float, default 0.5
        Exponent of "invscaling".
    momentum : float, default 0.9
        SGD momentum.
    nesterovs_momentum : bool, default True
    beta_1, beta_2, epsilon : float
        Adam's constants.
    alpha : float, default 0.0001
        L2 penalty on weights (not biases), added to the gradient.
    clip_norm : float or None, default 1.0
        Clip the global gradient norm to this value (None: no clipping).
    batch_size : int or "auto", default "auto"
        ``min(32, n_samples)`` for "auto".
    max_iter : int, default 200
        Maximum number of epochs.
    shuffle : bool, default True
        Shuffle samples every epoch.
    tol : float, default 1e-4
        Minimum improvement of the loss (or validation R²) that counts.
    early_stopping : bool, default False
        Hold out the last ``validation_fraction`` of the samples (the most
        recent windows), stop when their R² stops improving and restore the
        best weights.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10
    random_state : int, RandomState or None
        Seeds initialisation, shuffling and dropout: the same seed gives
        bit-identical weights.
    dtype : {"float32", "float64"}, default "float32"
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where ``fit`` trains: "cuda" keeps the weights on the GPU (Numba CUDA
        kernels, same results as the CPU up to rounding; a clear error without a
        GPU), "auto" uses the GPU when there is one. ``predict`` runs on the CPU.
    verbose : int, default 0
        Print one line per epoch (loss, gradient norm, learning rate,
        validation score, time). For a progress bar or any other per-epoch
        hook, see :func:`gatedts.estimators.on_epoch`.
    warm_start : bool, default False
        Continue from the previous weights on ``fit``.

    Attributes
    ----------
    params_ : dict of str to ndarray
        Weights, named like PyTorch's ``state_dict`` (see :mod:`gatedts.functional`).
    feature_mean_, feature_scale_ : ndarray of shape (n_features,) or None
        The input standardisation of ``scaling="standard"``, per feature
        (per time step's feature, not per column of a 2-D X); None without it.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,) or None
        The target standardisation; None without scaling.
    loss_curve_ : list of float
        Mean training loss per epoch (on the standardised targets with
        ``scaling``).
    grad_norm_curve_ : list of float
        Mean global gradient norm per epoch, before clipping.
    learning_rate_curve_ : list of float
        Learning rate used in each epoch.
    validation_scores_ : list of float or None
        Validation R² per epoch with ``early_stopping``.
    best_loss_, best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    interrupted_ : bool
        Whether Ctrl-C (a KeyboardInterrupt) stopped the last ``fit`` or
        ``partial_fit`` early; its weights are then the best so far. A
        :class:`~gatedts.Forecaster` that finds it set passes the interrupt on
        (raises KeyboardInterrupt) rather than forecast with a half-trained
        network.
    t_ : int
        Training samples seen.
    n_features_in_ : int
        Columns of a 2-D X at fit (time steps of a 3-D X); predict needs the same.
    column_layout_ : ndarray of shape (n_timesteps, n_features) or None
        The column of a 2-D X that each step of each feature is read from,
        when fit found a framework's lag layout in X's column names or values
        (:func:`gatedts.lag_columns.read_layout`); None when the layout
        options apply.
    n_outputs_ : int
        Targets per sample (with ``head="sequence"``, the time steps).
"""


def _docstring(summary, cell_parameters=""):
    """A class docstring: the shared parameters, with the cell's own after ``num_layers``."""
    return (f"{summary}\n\n    Parameters\n    ----------\n"
            f"{_LAYERS_DOC}{cell_parameters}{_INPUT_DOC}{_TRAINING_DOC}")


# ---------------------------------------------------------------- estimators

# TrainingState field -> the estimator attribute that keeps it between calls.
_STATE_ATTRIBUTES = {
    "params": "params_", "loss_curve": "loss_curve_", "grad_norm_curve": "grad_norm_curve_",
    "learning_rate_curve": "learning_rate_curve_", "validation_scores": "validation_scores_",
    "best_loss": "best_loss_", "best_validation_score": "best_validation_score_",
    "n_iter": "n_iter_", "t": "t_", "no_improvement": "_no_improvement", "rng": "_rng",
    "interrupted": "interrupted_",
    "optimizer": "_optimizer", "schedule": "_schedule",
}


class _RecurrentRegressor(RegressorMixin, BaseEstimator):
    """Shared implementation; use GRURegressor, LSTMRegressor or RNNRegressor."""

    _cell: str | None = None  # the subclass's cell
    _constraints = _CONSTRAINTS

    def __init__(self, hidden_size=32, num_layers=1, *, bidirectional=False, residual=False,
                 head="last", decoder=False,
                 scaling="standard", lag_order="oldest_first", n_features_per_step=1,
                 feature_layout="interleaved", static_features=None, dropout=0.0,
                 loss="mse", quantiles=(0.05, 0.5, 0.95), solver="adam",
                 learning_rate_init=0.001, learning_rate="constant", power_t=0.5,
                 momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
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

    def _cell_options(self):
        """Keyword arguments of the functional API: the architecture, and this cell's own."""
        options = {"bidirectional": bool(self.bidirectional), "residual": bool(self.residual),
                   "head": self.head}
        if self.decoder:  # only then: decoder=False would leave predict's fast path
            options.update(decoder=True, horizon=getattr(self, "n_outputs_", None))
        return options

    def _init_options(self):
        return {"bidirectional": bool(self.bidirectional), "residual": bool(self.residual),
                "head": self.head}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------ validation

    def _validate_params(self):
        """Check every parameter against ``_constraints``, then their one joint rule."""
        validate_params(self.get_params(deep=False), self._constraints)
        if self.loss == "quantile":
            check_quantiles(self.quantiles)
            if self.device != "cpu":
                raise ValueError("loss='quantile' trains on the CPU only; use device='cpu'")
        if self.bidirectional and self.device != "cpu":
            raise ValueError("bidirectional=True trains on the CPU only; use device='cpu'")
        if self.residual and self.device != "cpu":
            raise ValueError("residual=True trains on the CPU only; use device='cpu'")
        if self.residual and self.bidirectional:
            raise ValueError("residual=True is not supported with bidirectional=True")
        if self.head != "last" and self.device != "cpu":
            raise ValueError(f"head={self.head!r} trains on the CPU only; use device='cpu'")
        if self.decoder:
            if self.device != "cpu":
                raise ValueError("decoder=True trains on the CPU only; use device='cpu'")
            if self.bidirectional:
                raise ValueError("decoder=True is not supported with bidirectional=True")
            if self.loss == "quantile":
                raise ValueError("decoder=True is not supported with loss='quantile'")
            if self.head != "last":
                raise ValueError(f"decoder=True is not supported with head={self.head!r}")
        if np.ndim(self.hidden_size) and self.num_layers not in (1, len(self.hidden_size)):
            raise ValueError(f"num_layers={self.num_layers} contradicts "
                             f"hidden_size={tuple(self.hidden_size)}")

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
        return lags_to_sequences(X, n_features_per_step=self.n_features_per_step,
                                 lag_order=self.lag_order, feature_layout=self.feature_layout,
                                 static_columns=self._static_columns(X.shape[1]))

    def _declared_layout(self, X):
        """The positions the layout options give a 2-D ``X``; None at their defaults."""
        if (self.lag_order, self.n_features_per_step, self.feature_layout,
                self.static_features) == ("oldest_first", 1, "interleaved", None):
            return None
        return lags_to_sequences(np.arange(X.shape[1])[None], static_columns=self._static_columns(
            X.shape[1]), n_features_per_step=self.n_features_per_step, lag_order=self.lag_order,
            feature_layout=self.feature_layout)[0]

    def _static_columns(self, n_columns):
        """The positions (0 .. n_columns - 1) of ``static_features`` in a 2-D X."""
        wanted = self.static_features
        if wanted is None:
            return ()
        if isinstance(wanted[0], str):
            names = list(getattr(self, "feature_names_in_", ()))
            if not names:
                raise ValueError(f"static_features {list(wanted)} are column names, but X "
                                 "was fitted without column names: pass a DataFrame, or "
                                 "give positions")
            missing = [name for name in wanted if name not in names]
            if missing:
                raise ValueError(f"static_features {missing} are not columns of X")
            positions = [names.index(name) for name in wanted]
        else:
            outside = [int(p) for p in wanted if not -n_columns <= p < n_columns]
            if outside:
                raise ValueError(f"static_features positions {outside} are outside the "
                                 f"{n_columns} columns of X")
            positions = [int(p) % n_columns for p in wanted]
        if len(set(positions)) < len(positions):
            raise ValueError(f"static_features names a column twice: {list(wanted)}")
        return tuple(positions)

    def _check_fitted_shapes(self, X, y=None):
        """X (n, T, F) and y (n, n_outputs) fit the fitted network."""
        n_inputs = self.params_["weight_ih_l0"].shape[1]
        if X.shape[2] != n_inputs:
            raise ValueError(f"X has {X.shape[2]} feature(s) per time step, but "
                             f"{type(self).__name__} was fitted with {n_inputs}")
        if y is not None and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} output(s), the fitted model {self.n_outputs_}")
        n_heads = self.params_["head.bias"].shape[0]
        if n_heads != self._n_heads():
            raise ValueError(f"the fitted network has {n_heads} outputs, which loss="
                             f"{self.loss!r} with quantiles={self.quantiles!r} does not "
                             "match: fit without warm_start after changing them")

    def _n_heads(self):
        """The network's outputs: one per target and quantile (per step with the sequence
        head, whose targets are its steps); a decoder's one per step."""
        if self.decoder:
            return 1
        per_step = 1 if self.head == "sequence" else self.n_outputs_
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

    def fit(self, X, y, sample_weight=None, *, X_future=None):
        """Fit the network to sequences X and targets y.

        Training runs for ``max_iter`` epochs or until the loss (or, with
        ``early_stopping``, the validation R² on the last
        ``validation_fraction`` of the samples in their given order) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; early stopping
        restores the best weights. Reaching ``max_iter`` first warns
        ``ConvergenceWarning``. A NaN/inf loss or gradient stops training
        with :class:`TrainingDivergedWarning` and keeps the last finite
        weights (the best ones with early stopping). Ctrl-C stops training
        cleanly with the best weights so far, warns ``RuntimeWarning`` and
        sets ``interrupted_``.

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

    def partial_fit(self, X, y, sample_weight=None, *, X_future=None):
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
        """Validate, (re)initialise if needed, train, and keep the training state.

        ``fit`` trains ``max_iter`` epochs from new weights (the current ones
        with ``warm_start``) and a new optimizer; ``partial_fit``
        (``incremental``) one epoch from the current weights and optimizer.
        """
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
        X, y = self._scale_inputs(X), self._scale_targets(y)
        inputs = None if X_future is None else {"X_future": self._scale_future(X_future)}
        config = TrainingConfig.from_params(self._cell, self.get_params(deep=False),
                                            cell_options=self._cell_options(),
                                            name=type(self).__name__)
        state = TrainingState(**{field: getattr(self, attribute)  # optimizer: not in files
                                 for field, attribute in _STATE_ATTRIBUTES.items()
                                 if hasattr(self, attribute)})
        try:
            train(config, state, X, y, 1 if incremental else self.max_iter,
                  incremental=incremental, sample_weight=sample_weight, inputs=inputs)
        finally:  # also on an error: the attributes describe the weights reached
            self._set_state(state)
        return self

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
        options = self._init_options()
        if self.decoder:
            options.update(decoder=True, future_size=self.n_future_)
        params = F.init_params(self._cell, X.shape[2], self.hidden_size, self.num_layers,
                               self._n_heads(), random_state=rng, dtype=np.dtype(self.dtype),
                               **options)
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

    def _network_input(self, X, y=None):
        """``X`` (and ``y``) as the fitted network sees them: validated, laid out, scaled."""
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

    def predict(self, X, *, X_future=None):
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

    def predict_quantiles(self, X):
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

    def attention_weights(self, X):
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
        X = self._scale_inputs(self._validate_X(X, reset=False))
        out = [F.forward(self._cell, self.params_, X[i : i + 1024], check_input=False,
                         return_attention=True, **self._cell_options()).attention
               for i in range(0, len(X), 1024)]
        return np.concatenate(out).astype(np.float64)

    def _network_outputs(self, X, X_future=None):
        """The head's outputs on the scale of y: per target, or per target and quantile."""
        if not hasattr(self, "params_"):
            check_is_fitted(self, "params_")  # raises NotFittedError
        X_clean = self._clean_X(X)
        X = X_clean if X_clean is not None else self._validate_X(X, reset=False)
        X_future = self._validate_future(X_future, len(X), self.n_outputs_)
        self._check_future(X_future)
        inputs = None if X_future is None else {"X_future": self._scale_future(X_future)}
        outputs = predict(self._cell, self.params_, self._scale_inputs(X), self._cell_options(),
                          inputs)
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
    __doc__ = _docstring(
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
                 batch_size="auto", max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None, dtype="float32",
                 device="cpu", verbose=0, warm_start=False):
        self.reset_after = reset_after
        _store_shared(self, locals())

    def _cell_options(self):
        return {**super()._cell_options(), "reset_after": bool(self.reset_after)}


class LSTMRegressor(_RecurrentRegressor):
    __doc__ = _docstring(
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
        ``check_regressors_train`` (which sets ``alpha=0.01``) the default
        LSTM reaches R² 0.75 in 200 epochs, against 0.40 with 1.
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
                 clip_norm=1.0, batch_size="auto", max_iter=200, shuffle=True, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 random_state=None, dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.peephole = peephole
        self.forget_bias = forget_bias
        _store_shared(self, locals())

    def _init_options(self):
        return {**super()._init_options(), "peephole": bool(self.peephole),
                "forget_bias": self.forget_bias}


class RNNRegressor(_RecurrentRegressor):
    __doc__ = _docstring("Elman tanh recurrent network regressor: the ungated baseline.")

    _cell = "rnn"


ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
"""The estimator of each cell of :data:`gatedts.nn.cells.CELL_NAMES`, by name."""
