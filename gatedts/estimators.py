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
import sys
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import functional as F
from .optim import clip_grad_norm, make_optimizer, make_schedule

_PREDICT_CHUNK = 4096  # samples per predict call: bounds the forward-pass buffers


class TrainingDivergedWarning(ConvergenceWarning):
    """The loss or the gradient became NaN/inf; training stopped on finite weights."""


class _Diverged(Exception):
    pass


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


class _RecurrentRegressor(RegressorMixin, BaseEstimator):
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

    def _split(self, X, y, incremental):
        if not self.early_stopping or incremental:
            return X, y, None, None
        n_val = max(1, round(self.validation_fraction * len(X)))
        if len(X) - n_val < 1:
            raise ValueError(f"early_stopping needs at least 2 samples, got {len(X)}")
        # The most recent samples: for windows cut from a series, that is the
        # honest hold-out (no future window informs the weights).
        return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]

    def _train(self, X, y, n_epochs, incremental):
        X_train, y_train, X_val, y_val = self._split(X, y, incremental)
        y_train = y_train.astype(self.params_["head.bias"].dtype)
        n = len(X_train)
        batch = min(32 if self.batch_size == "auto" else int(self.batch_size), n)
        if self._optimizer is None or not incremental:
            self._optimizer = make_optimizer(
                self.solver, self.params_, lr=self.learning_rate_init, momentum=self.momentum,
                nesterovs_momentum=self.nesterovs_momentum, beta1=self.beta_1,
                beta2=self.beta_2, epsilon=self.epsilon, weight_decay=self.alpha)
            self._schedule = make_schedule(self.learning_rate, self.learning_rate_init,
                                           max_iter=self.max_iter, power_t=self.power_t)
        options = {"loss": self.loss, "check_input": False, **self._cell_options()}
        runner = None  # the GPU path keeps the parameters on the device (gatedts.cuda)
        if self.device != "cpu":
            from .cuda import training_runner
            runner = training_runner(self.device, self._cell, self.params_, X_train, y_train,
                                     self._optimizer, self.clip_norm, **options)
        last_good = {k: v.copy() for k, v in self.params_.items()}
        best = last_good
        converged = False
        try:
            for _ in range(n_epochs):
                start = time.perf_counter()
                order = self._rng.permutation(n) if self.shuffle else np.arange(n)
                loss_sum, norms = 0.0, []
                for first in range(0, n, batch):
                    idx = order[first : first + batch]
                    if runner is not None:  # same step on the device; loss and norm come back
                        loss, norm = runner.loss_and_clip(idx, self.dropout, self._rng)
                        grads = None
                    else:
                        with np.errstate(over="ignore", invalid="ignore"):  # checked below
                            loss, grads = F.loss_and_grad(
                                self._cell, self.params_, X_train[idx], y_train[idx],
                                dropout=self.dropout, random_state=self._rng, **options)
                        norm = clip_grad_norm(grads, self.clip_norm)
                    if not (math.isfinite(loss) and math.isfinite(norm)):
                        raise _Diverged(f"loss {loss:.4g}, gradient norm {norm:.4g}")
                    (runner or self._optimizer).step(self.params_, grads, lr=self._schedule.lr)
                    loss_sum += loss * len(idx)
                    norms.append(norm)
                if runner is not None:
                    runner.sync()  # weights and optimizer state to the host, once an epoch
                if not all(np.isfinite(p).all() for p in self.params_.values()):
                    raise _Diverged("the weights overflowed")
                self.n_iter_ += 1
                self.t_ += n
                self.loss_curve_.append(loss_sum / n)
                self.grad_norm_curve_.append(float(np.mean(norms)))
                self.learning_rate_curve_.append(self._schedule.lr)
                last_good = {k: v.copy() for k, v in self.params_.items()}
                improved, monitored = self._update_best(X_val, y_val)
                if improved:
                    best = last_good
                self._schedule.step(self.n_iter_, monitored)
                self._report(time.perf_counter() - start)
                if not incremental and self._no_improvement > self.n_iter_no_change:
                    converged = True
                    break
        except _Diverged as diverged:
            keep = best if self.early_stopping else last_good
            self.params_ = {k: v.copy() for k, v in keep.items()}
            self._optimizer = None
            warnings.warn(
                f"{type(self).__name__}: training diverged in epoch {self.n_iter_ + 1} "
                f"({diverged}); stopped and kept the last finite weights. Lower "
                "learning_rate_init or set clip_norm.", TrainingDivergedWarning, stacklevel=3)
            return
        except KeyboardInterrupt:
            keep = best if self.early_stopping else last_good
            self.params_ = {k: v.copy() for k, v in keep.items()}
            self._optimizer = None
            warnings.warn(f"{type(self).__name__}: training interrupted after "
                          f"{self.n_iter_} epoch(s); kept the best weights so far.",
                          RuntimeWarning, stacklevel=3)
            return
        if self.early_stopping and not incremental:
            self.params_ = {k: v.copy() for k, v in best.items()}
        if not converged and not incremental:
            warnings.warn(f"{type(self).__name__}: maximum iterations ({self.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=3)

    def _update_best(self, X_val, y_val):
        """Track the best epoch; returns (improved, value for the plateau schedule)."""
        if X_val is None:  # no hold-out (also partial_fit with early_stopping)
            if self.best_loss_ is None:
                self.best_loss_ = math.inf
            current = self.loss_curve_[-1]
            improved = current < self.best_loss_ - self.tol
            self.best_loss_ = min(self.best_loss_, current)
            monitored = current
        else:
            pred = self._predict_3d(X_val)
            score = r2_score(y_val, pred)
            self.validation_scores_.append(score)
            improved = score > self.best_validation_score_ + self.tol
            self.best_validation_score_ = max(self.best_validation_score_, score)
            monitored = F.loss_value(pred, y_val, self.loss)[0]
        self._no_improvement = 0 if improved else self._no_improvement + 1
        return improved, monitored

    def _report(self, seconds):
        if not self.verbose:
            return
        line = (f"Epoch {self.n_iter_:>4}: loss {self.loss_curve_[-1]:.6g}  "
                f"|grad| {self.grad_norm_curve_[-1]:.3g}  lr {self._schedule.lr:.3g}")
        if self.validation_scores_:
            line += f"  val R2 {self.validation_scores_[-1]:.4f}"
        print(f"{line}  {seconds:.2f}s", file=sys.stdout, flush=True)

    # ------------------------------------------------------------ prediction

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

    Parameters are those of :class:`GRURegressor`, with ``peephole`` in place
    of ``reset_after``:

    peephole : bool, default False
        Add diagonal peephole connections from the cell state to the input,
        forget and output gates (Gers & Schmidhuber 2000).
    """

    _cell = "lstm"

    def __init__(self, hidden_size=32, num_layers=1, *, peephole=False, dropout=0.0,
                 loss="mse", solver="adam", learning_rate_init=0.001, learning_rate="constant",
                 power_t=0.5, momentum=0.9, nesterovs_momentum=True, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, alpha=0.0001, clip_norm=1.0, batch_size="auto",
                 max_iter=200, shuffle=True, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 dtype="float32", device="cpu", verbose=0, warm_start=False):
        self.peephole = peephole
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
        return {"peephole": bool(self.peephole)}


class RNNRegressor(_RecurrentRegressor):
    """Elman tanh recurrent network regressor: the ungated baseline.

    Parameters are those of :class:`GRURegressor` without ``reset_after``.
    """

    _cell = "rnn"
