"""The training loop of the recurrent estimators: epochs, early stopping, guards.

:func:`train` runs mini-batch epochs over ``functional.loss_and_grad`` (or the
GPU runner of ``gatedts.nn.cuda``), clips the global gradient norm, steps the
optimizer and the learning-rate schedule, stops early, and turns divergence
into a clean stop on finite weights. It reads its settings from a frozen
:class:`TrainingConfig` and updates a :class:`TrainingState` (weights,
optimizer, curves, counters); the estimator builds the first from its
parameters and the second from a copy of its fitted attributes
(``loss_curve_``, ``n_iter_``, ...), which it replaces only when
:func:`train` returns: an exception (Ctrl-C included) leaves the estimator as
it was. Nothing here reads or writes an estimator.

:func:`on_epoch` hooks a function into every epoch trained inside a ``with``
block, however deep the fits sit (a Forecaster's members, its calibration
fits, a backtest's refits): progress bars use it.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, fields

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from .nn import functional as F
from .nn.optim import clip_grad_norm, make_optimizer, make_schedule
from .nn.spec import NetworkSpec
from .nn.threads import single_threaded_blas

__all__ = ["AUTO_PRIOR", "AUTO_SAMPLE_PASSES", "MaxIterReachedWarning", "TrainingConfig",
           "TrainingDivergedWarning", "TrainingState", "auto_settings", "mean_one_weights",
           "on_epoch", "point_prediction", "predict", "train"]

PREDICT_CHUNK = 4096  # samples per predict call: bounds the forward-pass buffers
WEIGHTS_ON_CPU_ONLY = ("sample_weight trains on the CPU only (the CUDA loss kernel is "
                       "unweighted); use device='cpu'")


# What the "auto" values of alpha, max_iter and batch_size stand for, given the n
# samples a fit trains on (see auto_settings).
AUTO_PRIOR = 4.0  # alpha = AUTO_PRIOR / n
AUTO_SAMPLE_PASSES = 100_000  # max_iter = AUTO_SAMPLE_PASSES / n epochs, within 5..300


class TrainingDivergedWarning(ConvergenceWarning):
    """The loss or the gradient became NaN/inf; training stopped on finite weights."""


class MaxIterReachedWarning(ConvergenceWarning):
    """``fit`` ran its ``max_iter`` epochs without meeting the stopping rule.

    Not raised when ``max_iter="auto"``: the estimator chose that budget
    itself, so reaching it is the plan rather than a sign that the number a
    user gave was too small (``n_iter_ == max_iter_`` tells that it was reached).
    Filter it by this class, never by its message.
    """


def auto_settings(n_samples: int) -> dict[str, float]:
    """The numbers ``alpha="auto"``, ``max_iter="auto"`` and ``batch_size="auto"`` stand for.

    For a fit on ``n`` samples:

    * ``alpha = 4 / n``: a fixed Gaussian prior on the weights against the
      *summed* squared error of the samples, so it matters less as data grow;
    * ``max_iter = clip(round(100_000 / n), 5, 300)`` epochs, a budget of
      100,000 sample passes;
    * ``batch_size = clip(n // 32, 32, 256)`` (never more than the samples
      trained on): 32 up to 1,055 samples, larger beyond, where the cost of a
      step is mostly per call rather than per sample.

    Parameters
    ----------
    n_samples : int
        Samples the fit trains on (those of positive weight).

    Returns
    -------
    dict
        ``{"alpha": float, "max_iter": int, "batch_size": int}``.
    """
    return {"alpha": AUTO_PRIOR / n_samples,
            "max_iter": int(np.clip(round(AUTO_SAMPLE_PASSES / n_samples), 5, 300)),
            "batch_size": int(np.clip(n_samples // 32, 32, 256))}


class _Diverged(Exception):
    pass


# The functions on_epoch blocks have registered, outermost first. A context variable
# rather than a global: a block in one thread (or asyncio task) does not see
# another's fits.
#: What :func:`on_epoch` calls: ``callback(epoch, n_epochs, loss)``.
EpochCallback = Callable[[int, int, float], object]
_EPOCH_CALLBACKS: ContextVar[tuple[EpochCallback, ...]] = ContextVar(
    "gatedts_epoch_callbacks", default=())


@contextlib.contextmanager
def on_epoch(callback: EpochCallback) -> Iterator[EpochCallback]:
    """Call ``callback(epoch, n_epochs, loss)`` after every epoch trained in the block.

    Every :func:`train` run inside the ``with`` block calls it, whichever
    estimator runs it and however deeply it is nested (the members and
    calibration fits of a :class:`~gatedts.Forecaster`, the refits of a
    backtest). Blocks nest: the callbacks of every enclosing block are called,
    outermost first.

    Parameters
    ----------
    callback : callable
        Called as ``callback(epoch, n_epochs, loss)`` once an epoch has
        updated the weights and the curves, before the stopping rule is
        checked: ``epoch`` counts the epochs of this ``fit`` (or
        ``partial_fit``) call from 1, ``n_epochs`` is the most it will run
        (``max_iter`` for ``fit``, 1 for ``partial_fit``; it may stop
        earlier), ``loss`` is the epoch's mean training loss (the last
        value of ``loss_curve_``). An ``epoch`` of 1 starts a new fit. An
        exception raised by ``callback`` (KeyboardInterrupt too) ends the fit
        like any other error: the estimator is left as it was before the fit.

    Notes
    -----
    A context manager rather than an estimator parameter: nothing is stored
    on the estimators, so ``get_params``, ``clone``, pickling, saved files and
    ``check_estimator`` are unaffected, and one block reaches fits that a
    parameter would have to be threaded to (a Forecaster builds its networks
    itself). The hook is a context variable: fits in other threads or
    processes (joblib workers) do not call it.

    Examples
    --------
    >>> from gatedts.estimators import GRURegressor, on_epoch
    >>> losses = []
    >>> with on_epoch(lambda epoch, n_epochs, loss: losses.append(loss)):
    ...     GRURegressor(max_iter=3).fit(X, y)                  # doctest: +SKIP
    >>> len(losses)                                             # doctest: +SKIP
    3
    """
    if not callable(callback):
        raise TypeError(f"on_epoch needs a callable, got {type(callback).__name__}")
    token = _EPOCH_CALLBACKS.set((*_EPOCH_CALLBACKS.get(), callback))
    try:
        yield callback
    finally:
        _EPOCH_CALLBACKS.reset(token)


@dataclass(frozen=True)
class TrainingConfig:
    """The settings of :func:`train`: an estimator's training parameters, already validated.

    The fields named like an estimator parameter have its meaning (see
    :class:`gatedts.GRURegressor`), with ``alpha``, ``max_iter`` and
    ``batch_size`` resolved to numbers (:func:`auto_settings`); build one with
    :meth:`from_params`. ``spec`` is the network that trains,
    ``warn_at_max_iter`` whether reaching ``max_iter`` warns
    :class:`MaxIterReachedWarning` (not for a budget chosen by "auto"),
    ``name`` names the model in warnings.
    """

    spec: NetworkSpec
    loss: str
    quantiles: tuple
    dropout: float
    solver: str
    learning_rate_init: float
    learning_rate: str
    power_t: float
    momentum: float
    nesterovs_momentum: bool
    beta_1: float
    beta_2: float
    epsilon: float
    alpha: float
    clip_norm: float | None
    batch_size: int
    max_iter: int
    shuffle: bool
    tol: float
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    device: str
    verbose: int
    warn_at_max_iter: bool = True
    name: str = "model"

    @classmethod
    def from_params(cls, spec, params, *, resolved=None, name="model"):
        """The config of the network ``spec`` from an estimator's ``get_params()``; other
        keys are ignored.

        ``resolved`` maps the parameters set to "auto" to their numbers
        (:func:`auto_settings`).
        """
        own = {f.name for f in fields(cls)} - {"spec", "warn_at_max_iter", "name"}
        values = {**params, **(resolved or {})}
        unresolved = sorted(key for key in ("alpha", "max_iter", "batch_size")
                            if isinstance(values.get(key), str))
        if unresolved:
            raise ValueError(f"{', '.join(unresolved)} of 'auto' must be resolved (pass "
                             "resolved=auto_settings(n_samples))")
        return cls(spec=spec, warn_at_max_iter=params["max_iter"] != "auto", name=name,
                   **{key: values[key] for key in own})


@dataclass
class TrainingState:
    """Everything training changes, carried from one :func:`train` call to the next.

    ``params`` (updated in place by the optimizer; replaced when a stop
    restores other weights), the random generator, the optimizer and the
    schedule (None: :func:`train` builds fresh ones), the per-epoch curves,
    the best loss (or validation R² with early stopping), epochs run
    (``n_iter``), samples seen (``t``) and epochs since the last improvement.
    """

    params: dict
    rng: np.random.Generator
    loss_curve: list = field(default_factory=list)
    grad_norm_curve: list = field(default_factory=list)
    learning_rate_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    best_loss: float | None = None
    best_validation_score: float | None = None
    n_iter: int = 0
    t: int = 0
    no_improvement: int = 0
    optimizer: object = None
    schedule: object = None

    @classmethod
    def start(cls, params, rng, *, early_stopping):
        """The state of freshly initialised weights, before any epoch."""
        if early_stopping:
            return cls(params, rng, validation_scores=[], best_validation_score=-math.inf)
        return cls(params, rng, best_loss=math.inf)


def predict(spec, params, X, inputs=None, *, horizon=None):
    """The predictions of the network ``spec`` on (n, T, F) ``X`` as float64 (n, outputs),
    in bounded chunks.

    A sequence head's (n, T, O) come out as (n, T·O) (its targets are its steps), a
    decoder's (n, horizon, targets) as (n, horizon · targets). ``inputs``: more
    per-sample arrays for the network (a decoder's ``X_future``), sliced with ``X``;
    ``horizon``: a decoder's steps.
    """
    inputs = inputs or {}
    steps = {"horizon": horizon} if spec.decoder else {}
    out = [F.predict(spec, params, X[i : i + PREDICT_CHUNK], check_input=False, **steps,
                     **{key: a[i : i + PREDICT_CHUNK] for key, a in inputs.items()})
           for i in range(0, len(X), PREDICT_CHUNK)]
    return np.concatenate(out).astype(np.float64).reshape(len(X), -1)


def point_prediction(pred, quantiles):
    """The point forecast in a network output: all of it, or the quantile nearest 0.5.

    With ``quantiles`` the head gives each target's quantiles side by side.
    """
    if not quantiles:
        return pred
    middle = int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))
    return pred.reshape(len(pred), -1, len(quantiles))[:, :, middle]


def split(config, X, y, incremental, sample_weight=None, inputs=None):
    """(X, y, sample_weight, inputs) of the training part, then of the hold-out (or Nones).

    Early stopping holds out the most recent samples. ``inputs`` is a dict of
    more per-sample arrays (a decoder's ``X_future``), split alike.
    """
    inputs = inputs or {}
    if not config.early_stopping or incremental:
        return (X, y, sample_weight, inputs), (None, None, None, None)
    n_val = max(1, round(config.validation_fraction * len(X)))
    if len(X) - n_val < 1:
        raise ValueError(f"early_stopping needs at least 2 samples, got {len(X)}")
    # For windows cut from a series, the latest windows are the honest
    # hold-out: no future window informs the weights.
    w = (None, None) if sample_weight is None else (sample_weight[:-n_val],
                                                    sample_weight[-n_val:])
    return ((X[:-n_val], y[:-n_val], w[0], {k: a[:-n_val] for k, a in inputs.items()}),
            (X[-n_val:], y[-n_val:], w[1], {k: a[-n_val:] for k, a in inputs.items()}))


def mean_one_weights(sample_weight):
    """Weights rescaled to mean 1, or None when they are all equal (no weighting at all).

    Mean 1 makes a mini-batch's weighted mean loss an unbiased estimate of the
    weighted mean over all samples, so the loss and its gradients keep their
    scale whatever the scale of the weights.
    """
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return None
    return sample_weight / sample_weight.mean()


def train(config, state, X, y, n_epochs, *, incremental=False, sample_weight=None, inputs=None):
    """Run up to ``n_epochs`` epochs over (X, y), updating ``state`` in place.

    ``incremental`` (``partial_fit``) keeps the optimizer and schedule of
    ``state`` when it has them, holds nothing out, never stops early and
    never warns about convergence. Otherwise (``fit``) a fresh optimizer and
    schedule start, early stopping holds out the last ``validation_fraction``
    of the samples, and the loop stops after ``n_iter_no_change`` epochs
    without improvement, restoring the best weights with early stopping.

    Parameters
    ----------
    config : TrainingConfig
    state : TrainingState
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Contiguous, in the dtype of ``state.params``.
    y : ndarray of shape (n_samples, n_outputs)
    n_epochs : int
    incremental : bool, default False
    sample_weight : ndarray of shape (n_samples,), optional
        Positive weights (drop the zero ones first): each batch's loss is
        the mean of the samples' losses times their weights, rescaled to a
        mean of 1 over the training part; the validation R² is weighted too.
        Equal weights train exactly as no weights.
    inputs : dict of str to ndarray, optional
        More per-sample keyword arrays of the network (a decoder's
        ``X_future``), batched with ``X``.

    Returns
    -------
    TrainingState
        ``state``.

    Warns
    -----
    TrainingDivergedWarning
        A NaN/inf loss, gradient or weight: training stops on the last finite
        weights (the best ones with early stopping) and drops the optimizer.

    MaxIterReachedWarning
        ``fit`` ran ``n_epochs`` epochs without meeting the stopping rule
        (unless ``config.warn_at_max_iter`` is False).

    Notes
    -----
    After each epoch the callbacks of the enclosing :func:`on_epoch` blocks
    are called.
    """
    if sample_weight is not None and config.device != "cpu":
        raise ValueError(WEIGHTS_ON_CPU_ONLY)
    (X_train, y_train, w_train, in_train), validation = split(config, X, y, incremental,
                                                              sample_weight, inputs)
    w_train = mean_one_weights(w_train)
    validation = (*validation[:2], mean_one_weights(validation[2]), validation[3])
    y_train = y_train.astype(state.params["head.bias"].dtype)
    n = len(X_train)
    batch = min(int(config.batch_size), n)
    if state.optimizer is None or not incremental:
        state.optimizer = make_optimizer(
            config.solver, state.params, lr=config.learning_rate_init,
            momentum=config.momentum, nesterovs_momentum=config.nesterovs_momentum,
            beta1=config.beta_1, beta2=config.beta_2, epsilon=config.epsilon,
            weight_decay=config.alpha)
        state.schedule = make_schedule(config.learning_rate, config.learning_rate_init,
                                       max_iter=config.max_iter, power_t=config.power_t)
    options = {"loss": config.loss, "check_input": False}
    if config.loss == "quantile":
        options["quantiles"] = config.quantiles
    runner = None  # the GPU path keeps the parameters on the device
    if config.device != "cpu":
        from .nn.cuda.functional import training_runner
        runner = training_runner(config.device, config.spec, state.params, X_train, y_train,
                                 state.optimizer, config.clip_norm, loss=config.loss)
    last_good = best = _copy(state.params)
    converged = False
    callbacks = _EPOCH_CALLBACKS.get()
    # BLAS stays single-threaded for the whole loop, not only inside each
    # loss_and_grad: any multi-threaded BLAS call in between (a norm, a
    # score) leaves OpenBLAS threads spinning against the kernels' threads.
    # The warnings use stacklevel 5: train <- _train <- _fit <- fit/partial_fit <- caller.
    with single_threaded_blas():
        try:
            for epoch in range(1, n_epochs + 1):
                start = time.perf_counter()
                order = state.rng.permutation(n) if config.shuffle else np.arange(n)
                loss_sum, norms = 0.0, []
                for first in range(0, n, batch):
                    idx = order[first : first + batch]
                    if runner is not None:  # same step on the device; loss and norm come back
                        loss, norm = runner.loss_and_clip(idx, config.dropout, state.rng)
                        grads = None
                    else:
                        with np.errstate(over="ignore", invalid="ignore"):  # checked below
                            loss, grads = F.loss_and_grad(
                                config.spec, state.params, X_train[idx], y_train[idx],
                                sample_weight=None if w_train is None else w_train[idx],
                                dropout=config.dropout, random_state=state.rng, **options,
                                **{key: a[idx] for key, a in in_train.items()})
                        norm = clip_grad_norm(grads, config.clip_norm)
                    if not (math.isfinite(loss) and math.isfinite(norm)):
                        raise _Diverged(f"loss {loss:.4g}, gradient norm {norm:.4g}")
                    (runner or state.optimizer).step(state.params, grads, lr=state.schedule.lr)
                    loss_sum += loss * len(idx)
                    norms.append(norm)
                if runner is not None:
                    runner.sync()  # weights and optimizer state to the host, once an epoch
                if not all(np.isfinite(p).all() for p in state.params.values()):
                    raise _Diverged("the weights overflowed")
                state.n_iter += 1
                state.t += n
                state.loss_curve.append(loss_sum / n)
                state.grad_norm_curve.append(float(np.mean(norms)))
                state.learning_rate_curve.append(state.schedule.lr)
                last_good = _copy(state.params)
                improved, monitored = _update_best(config, state, *validation)
                if improved:
                    best = last_good
                state.schedule.step(state.n_iter, monitored)
                _report(config, state, time.perf_counter() - start)
                for callback in callbacks:
                    callback(epoch, n_epochs, state.loss_curve[-1])
                if not incremental and state.no_improvement > config.n_iter_no_change:
                    converged = True
                    break
        except _Diverged as stop:
            # Early stopping keeps the best weights, else the last finite ones; the
            # optimizer (whose moments may be inf) starts afresh next time.
            state.params = _copy(best if config.early_stopping else last_good)
            state.optimizer = None
            warnings.warn(f"{config.name}: training diverged in epoch {state.n_iter + 1} "
                          f"({stop}); stopped and kept the last finite weights. Lower "
                          "learning_rate_init or set clip_norm.", TrainingDivergedWarning,
                          stacklevel=5)
            return state
    if config.early_stopping and not incremental:
        state.params = _copy(best)
    if not converged and not incremental and config.warn_at_max_iter:
        warnings.warn(f"{config.name}: maximum iterations ({config.max_iter}) reached and "
                      "the optimization hasn't converged yet.", MaxIterReachedWarning,
                      stacklevel=5)
    return state


def _copy(params):
    return {k: v.copy() for k, v in params.items()}


def _update_best(config, state, X_val, y_val, w_val, in_val):
    """Track the best epoch; returns (improved, value for the plateau schedule)."""
    if X_val is None:  # no hold-out (also partial_fit with early_stopping)
        if state.best_loss is None:
            state.best_loss = math.inf
        current = state.loss_curve[-1]
        improved = current < state.best_loss - config.tol
        state.best_loss = min(state.best_loss, current)
        monitored = current
    else:
        horizon = y_val.shape[1] // config.spec.output_size  # a decoder's steps
        pred = predict(config.spec, state.params, X_val, in_val, horizon=horizon)
        quantiles = config.quantiles if config.loss == "quantile" else None
        score = r2_score(y_val, point_prediction(pred, quantiles), sample_weight=w_val)
        state.validation_scores.append(score)
        improved = score > state.best_validation_score + config.tol
        state.best_validation_score = max(state.best_validation_score, score)
        monitored = F.loss_value(pred, y_val, config.loss, quantiles=quantiles,
                                 sample_weight=w_val)[0]
    state.no_improvement = 0 if improved else state.no_improvement + 1
    return improved, monitored


def _report(config, state, seconds):
    if not config.verbose:
        return
    line = (f"Epoch {state.n_iter:>4}: loss {state.loss_curve[-1]:.6g}  "
            f"|grad| {state.grad_norm_curve[-1]:.3g}  lr {state.schedule.lr:.3g}")
    if state.validation_scores:
        line += f"  val R2 {state.validation_scores[-1]:.4f}"
    print(f"{line}  {seconds:.2f}s", file=sys.stdout, flush=True)
