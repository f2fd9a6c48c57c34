"""The training loop of the recurrent estimators: epochs, early stopping, guards.

``TrainingLoop`` is a mixin of ``estimators._RecurrentRegressor``: it runs
mini-batch epochs over ``functional.loss_and_grad`` (or the GPU runner of
``gatedts.cuda``), clips the global gradient norm, steps the optimizer and
the learning-rate schedule, keeps the scikit-learn fitted attributes
(``loss_curve_``, ``validation_scores_``, ``n_iter_``, ...) up to date, stops
early, and turns divergence and Ctrl-C into a clean stop on finite weights.
"""

import math
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from .nn import functional as F
from .nn.optim import clip_grad_norm, make_optimizer, make_schedule
from .nn.threads import single_threaded_blas


class TrainingDivergedWarning(ConvergenceWarning):
    """The loss or the gradient became NaN/inf; training stopped on finite weights."""


class _Diverged(Exception):
    pass


class TrainingLoop:
    """Mixin: the epoch loop of an estimator with the attributes set by ``_initialize``."""

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
        # BLAS stays single-threaded for the whole loop, not only inside each
        # loss_and_grad: any multi-threaded BLAS call in between (a norm, a
        # score) leaves OpenBLAS threads spinning against the kernels' threads.
        with single_threaded_blas():
            self._train_epochs(X, y, n_epochs, incremental)

    def _train_epochs(self, X, y, n_epochs, incremental):
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
            from .nn.cuda.functional import training_runner
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
