"""scikit-learn estimators: GRURegressor, LSTMRegressor, RNNRegressor.

They are fitted like ``MLPRegressor``: X holds one sequence per row, either
``(n_samples, n_timesteps)`` for one feature per step or
``(n_samples, n_timesteps, n_features)``; y is ``(n_samples,)`` or
``(n_samples, n_outputs)`` (e.g. a multi-step direct forecast). The network
is a stack of recurrent layers and a linear head on the last hidden state;
its parameters are ``params_``, a dict named like PyTorch's ``state_dict``
(see :mod:`gatedts.functional`). Training is mini-batch Adam or SGD with
global gradient-norm clipping, an optional learning-rate schedule, early
stopping on the most recent samples, and guards against divergence and
Ctrl-C (see :meth:`fit`).
"""

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .nn import functional as F
from .training import TrainingDivergedWarning, TrainingLoop

__all__ = ["GRURegressor", "LSTMRegressor", "RNNRegressor", "TrainingDivergedWarning"]

_PREDICT_CHUNK = 4096  # samples per predict call: bounds the forward-pass buffers


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _check_number(name, value, low, high=math.inf, *, integer=False, low_open=False):
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or not (value > low if low_open else value >= low) or value > high:
        bound = f"{'>' if low_open else '>='} {low}"
        bound += f" and <= {high}" if high < math.inf else ""
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} {bound}, got {value!r}")


class _RecurrentRegressor(TrainingLoop, RegressorMixin, BaseEstimator):
    """Shared implementation; use GRURegressor, LSTMRegressor or RNNRegressor."""

    _cell = None

    def __init__(self, hidden_size=32, num_layers=1, *, dropout=0.0, loss="mse",
                 solver="adam", learning_rate_init=0.001, learning_rate="constant",
                 power_t=0.5, momentum=0.9, nesterovs_momentum=True, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.loss = loss
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
        """Keyword arguments of the functional API specific to this cell."""
        return {}

    def _init_options(self):
        return {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------ validation

    def _validate_hyperparameters(self):
        sizes = (self.hidden_size,) if np.ndim(self.hidden_size) == 0 else self.hidden_size
        if len(sizes) == 0:
            raise ValueError("hidden_size must be a positive integer or a non-empty tuple")
        for size in sizes:
            _check_number("hidden_size", size, 1, integer=True)
        _check_number("num_layers", self.num_layers, 1, integer=True)
        if np.ndim(self.hidden_size) and self.num_layers not in (1, len(sizes)):
            raise ValueError(f"num_layers={self.num_layers} contradicts "
                             f"hidden_size={tuple(self.hidden_size)}")
        _check_number("dropout", self.dropout, 0.0, 0.99)
        _check_choice("loss", self.loss, F.LOSSES)
        _check_choice("solver", self.solver, ("adam", "sgd"))
        _check_choice("learning_rate", self.learning_rate,
                      ("constant", "invscaling", "cosine", "plateau"))
        _check_number("learning_rate_init", self.learning_rate_init, 0.0, low_open=True)
        _check_number("momentum", self.momentum, 0.0, 1.0)
        _check_number("beta_1", self.beta_1, 0.0, 0.999999)
        _check_number("beta_2", self.beta_2, 0.0, 0.999999)
        _check_number("epsilon", self.epsilon, 0.0, low_open=True)
        _check_number("alpha", self.alpha, 0.0)
        if self.clip_norm is not None:
            _check_number("clip_norm", self.clip_norm, 0.0, low_open=True)
        if self.batch_size != "auto":
            _check_number("batch_size", self.batch_size, 1, integer=True)
        _check_number("max_iter", self.max_iter, 1, integer=True)
        _check_number("tol", self.tol, 0.0)
        _check_number("validation_fraction", self.validation_fraction, 0.0, 0.99,
                      low_open=True)
        _check_number("n_iter_no_change", self.n_iter_no_change, 1, integer=True)
        if self.dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        _check_choice("device", self.device, ("cpu", "cuda", "auto"))

    def _validate_X(self, X, y=None, reset=True):
        dtype = np.dtype(self.dtype)
        if y is None:
            X = validate_data(self, X, reset=reset, allow_nd=True, dtype=dtype)
        else:
            X, y = validate_data(self, X, y, reset=reset, allow_nd=True, dtype=dtype,
                                 multi_output=True, y_numeric=True)
        if X.ndim == 2:
            X = X[:, :, None]
        elif X.ndim != 3:
            raise ValueError(f"X must be 2-D (n_samples, n_timesteps) or 3-D (n_samples, "
                             f"n_timesteps, n_features), got shape {X.shape}")
        if not reset and X.shape[2] != self.params_["weight_ih_l0"].shape[1]:
            raise ValueError(f"X has {X.shape[2]} feature(s) per time step, but "
                             f"{type(self).__name__} was fitted with "
                             f"{self.params_['weight_ih_l0'].shape[1]}")
        X = np.ascontiguousarray(X)
        if y is None:
            return X
        y = np.asarray(y, dtype=np.float64)  # cast to the training dtype per batch
        return X, (y[:, None] if y.ndim == 1 else y)

    # ------------------------------------------------------------ training

    def fit(self, X, y):
        """Fit the network to sequences X and targets y.

        Training runs for ``max_iter`` epochs or until the loss (or, with
        ``early_stopping``, the validation R² on the last
        ``validation_fraction`` of the samples in their given order) has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; early stopping
        restores the best weights. Reaching ``max_iter`` first warns
        ``ConvergenceWarning``. A NaN/inf loss or gradient stops training
        with :class:`TrainingDivergedWarning` and keeps the last finite
        weights (the best ones with early stopping). Ctrl-C stops training
        cleanly with the best weights so far.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self
        """
        self._validate_hyperparameters()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        X, y = self._validate_X(X, y, reset=True)
        if not (self.warm_start and hasattr(self, "params_")):
            self._initialize(X, y)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} output(s), the fitted model {self.n_outputs_}")
        self._train(X, y, self.max_iter, incremental=False)
        return self

    def partial_fit(self, X, y):
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Returns
        -------
        self
        """
        first = not hasattr(self, "params_")
        if first:
            self._validate_hyperparameters()
        X, y = self._validate_X(X, y, reset=first)
        if first:
            self._initialize(X, y)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} output(s), the fitted model {self.n_outputs_}")
        self._train(X, y, 1, incremental=True)
        return self

    def _initialize(self, X, y):
        self._rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31))
        self.n_outputs_ = y.shape[1]
        self.params_ = F.init_params(self._cell, X.shape[2], self.hidden_size, self.num_layers,
                                     self.n_outputs_, random_state=self._rng,
                                     dtype=np.dtype(self.dtype), **self._init_options())
        self.loss_curve_ = []
        self.grad_norm_curve_ = []
        self.learning_rate_curve_ = []
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_loss_ = math.inf if not self.early_stopping else None
        self.best_validation_score_ = -math.inf if self.early_stopping else None
        self.n_iter_ = 0
        self.t_ = 0
        self._optimizer = None
        self._no_improvement = 0

    def _predict_3d(self, X):
        out = [F.predict(self._cell, self.params_, X[i : i + _PREDICT_CHUNK],
                         check_input=False, **self._cell_options())
               for i in range(0, len(X), _PREDICT_CHUNK)]
        return np.concatenate(out).astype(np.float64)

    def _clean_X(self, X):
        """``X`` as an (n, T, F) array if it already is a clean one, else None.

        Skips scikit-learn's validation (tens of µs, most of the time of a
        one-window prediction) for a finite ndarray of the model's dtype and
        shape; anything else goes through ``_validate_X`` and its messages.
        """
        if type(X) is not np.ndarray or X.dtype != self.params_["head.bias"].dtype \
                or hasattr(self, "feature_names_in_"):
            return None
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] != self.n_features_in_ \
                or X.shape[2] != self.params_["weight_ih_l0"].shape[1]:
            return None
        X = np.ascontiguousarray(X)
        return X if np.isfinite(X).all() else None

    def predict(self, X):
        """Predict with the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64. The network runs in the model's dtype; a sample's
            prediction is the same bits whichever samples share its batch.
        """
        if not hasattr(self, "params_"):
            check_is_fitted(self, "params_")  # raises NotFittedError
        X_clean = self._clean_X(X)
        X = X_clean if X_clean is not None else self._validate_X(X, reset=False)
        pred = self._predict_3d(X)
        return pred[:, 0] if self.n_outputs_ == 1 else pred


class GRURegressor(_RecurrentRegressor):
    """Gated recurrent unit network regressor (Cho et al. 2014).

    Parameters
    ----------
    hidden_size : int or tuple of int, default 32
        Units per layer, or one size per layer like ``(128, 64)``.
    num_layers : int, default 1
        Number of stacked layers when ``hidden_size`` is an int.
    reset_after : bool, default True
        Apply the reset gate after the recurrent matrix product (PyTorch,
        Keras and cuDNN form); False is the original form of Cho et al.
    dropout : float, default 0.0
        Dropout between stacked layers during training.
    loss : {"mse", "mae", "huber"}, default "mse"
    solver : {"adam", "sgd"}, default "adam"
    learning_rate_init : float, default 0.001
    learning_rate : {"constant", "invscaling", "cosine", "plateau"}, default "constant"
        Epoch-wise schedule (see :mod:`gatedts.optim`); "plateau" divides the rate
        by 10 after 10 epochs without improvement of the monitored loss.
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
        validation score, time).
    warm_start : bool, default False
        Continue from the previous weights on ``fit``.

    Attributes
    ----------
    params_ : dict of str to ndarray
        Weights, named like PyTorch's ``state_dict`` (see :mod:`gatedts.functional`).
    loss_curve_ : list of float
        Mean training loss per epoch.
    grad_norm_curve_ : list of float
        Mean global gradient norm per epoch, before clipping.
    learning_rate_curve_ : list of float
        Learning rate used in each epoch.
    validation_scores_ : list of float or None
        Validation R² per epoch with ``early_stopping``.
    best_loss_, best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    t_ : int
        Training samples seen.
    n_features_in_ : int
        Columns of X at fit (time steps for 2-D X); predict needs the same.
    n_outputs_ : int
    """

    _cell = "gru"

    def __init__(self, hidden_size=32, num_layers=1, *, reset_after=True, dropout=0.0,
                 loss="mse", solver="adam", learning_rate_init=0.001, learning_rate="constant",
                 power_t=0.5, momentum=0.9, nesterovs_momentum=True, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.reset_after = reset_after
        super().__init__(
            hidden_size, num_layers, dropout=dropout, loss=loss, solver=solver,
            learning_rate_init=learning_rate_init, learning_rate=learning_rate,
            power_t=power_t, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, alpha=alpha, clip_norm=clip_norm,
            batch_size=batch_size, max_iter=max_iter, shuffle=shuffle, tol=tol,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, random_state=random_state, dtype=dtype,
            device=device, verbose=verbose, warm_start=warm_start)

    def _cell_options(self):
        return {"reset_after": bool(self.reset_after)}


class LSTMRegressor(_RecurrentRegressor):
    """Long short-term memory network regressor (Hochreiter & Schmidhuber 1997).

    Parameters are those of :class:`GRURegressor`, with ``peephole`` and
    ``forget_bias`` in place of ``reset_after``:

    peephole : bool, default False
        Add diagonal peephole connections from the cell state to the input,
        forget and output gates (Gers & Schmidhuber 2000).
    forget_bias : float, default 1.0
        Initial bias of the forget gate. 1 (Jozefowicz et al. 2015, Keras'
        ``unit_forget_bias``) starts the cell remembering about 73% of its
        state per step, which helps long dependencies; 0 (PyTorch's
        zero-mean start) starts it at 50%, which gave the Forecaster's
        default LSTM lower errors on the airline dev origins and on every
        bundled hold-out (:func:`gatedts.forecasting.default_estimator`).
    """

    _cell = "lstm"

    def __init__(self, hidden_size=32, num_layers=1, *, peephole=False, forget_bias=1.0,
                 dropout=0.0, loss="mse", solver="adam", learning_rate_init=0.001,
                 learning_rate="constant", power_t=0.5, momentum=0.9,
                 nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.peephole = peephole
        self.forget_bias = forget_bias
        super().__init__(
            hidden_size, num_layers, dropout=dropout, loss=loss, solver=solver,
            learning_rate_init=learning_rate_init, learning_rate=learning_rate,
            power_t=power_t, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, alpha=alpha, clip_norm=clip_norm,
            batch_size=batch_size, max_iter=max_iter, shuffle=shuffle, tol=tol,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, random_state=random_state, dtype=dtype,
            device=device, verbose=verbose, warm_start=warm_start)

    def _init_options(self):
        # init_params checks forget_bias (a finite number) before any weight exists
        return {"peephole": bool(self.peephole), "forget_bias": self.forget_bias}


class RNNRegressor(_RecurrentRegressor):
    """Elman tanh recurrent network regressor: the ungated baseline.

    Parameters are those of :class:`GRURegressor` without ``reset_after``.
    """

    _cell = "rnn"


ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
"""The estimator of each cell of :data:`gatedts.nn.cells.CELL_NAMES`, by name."""
