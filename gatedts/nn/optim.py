"""Optimizers, gradient clipping and learning-rate schedules over a parameter dict.

Parameters and gradients are ``dict[str, np.ndarray]`` with the same keys and
shapes (PyTorch ``state_dict`` names). Updates are those of ``torch.optim``,
done in place in the parameters' dtype with scratch buffers allocated once.
Weight decay (L2 added to the gradient) applies only to keys containing
``"weight"``, as scikit-learn's MLP decays only ``coefs_`` (decaying biases
would pull an LSTM's forget-gate bias to zero). A schedule owns the learning
rate per epoch and the training loop hands it on::

    for epoch in range(n_epochs):
        for X_batch, y_batch in batches:
            loss, grads = loss_and_grad(cell, params, X_batch, y_batch)
            clip_grad_norm(grads, max_norm)
            optimizer.step(params, grads, lr=schedule.lr)
        schedule.step(epoch + 1, val_loss)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np

__all__ = ["SGD", "Adam", "ConstantLR", "CosineLR", "InvScalingLR", "PlateauLR",
           "clip_grad_norm", "global_norm", "make_optimizer", "make_schedule"]


def check_number(name: str, value: float, low: float, high: float = math.inf, *,
                 high_closed: bool = False, integer: bool = False) -> float:
    """Return ``value`` as a float (or int) if within bounds, else raise a ValueError."""
    number = float(value)
    inside = low <= number and (number <= high if high_closed else number < high)  # NaN fails
    if not inside or (integer and (isinstance(value, bool) or not number.is_integer())):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} in "
                         f"[{low}, {high}{']' if high_closed else ')'}, got {value!r}")
    return int(number) if integer else number


class _Optimizer:
    """Shared bookkeeping: validation, weight decay, state, scratch buffers."""

    _state_names: tuple[str, ...] = ()

    def __init__(self, params, lr, weight_decay):
        self.lr = check_number("lr", lr, 0.0)
        self.weight_decay = check_number("weight_decay", weight_decay, 0.0)
        self.n_steps = 0
        self.state = {name: {k: np.zeros_like(p) for k, p in params.items()}
                      for name in self._state_names}
        self._buf = {k: np.empty_like(p) for k, p in params.items()}
        self._decayed = {k: np.empty_like(p) for k, p in params.items()
                         if self.weight_decay > 0 and "weight" in k}

    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray],
             lr: float | None = None) -> None:
        """Update ``params`` (the dict the optimizer was built for) in place.

        ``grads`` has the same keys and shapes and is left unchanged; ``lr``
        (e.g. ``schedule.lr``) overrides ``self.lr`` for this step.
        """
        lr = self.lr if lr is None else check_number("lr", lr, 0.0)
        if params.keys() != self._buf.keys():
            raise ValueError("params keys differ from those the optimizer was built with")
        for key, p in params.items():  # validate everything before touching anything
            if not p.shape == grads[key].shape == self._buf[key].shape:
                raise ValueError(f"shape mismatch for {key!r}: {p.shape}, {grads[key].shape}")
        self.n_steps += 1
        for key, p in params.items():
            g, buf = grads[key], self._buf[key]
            if key in self._decayed:  # torch: grad + weight_decay * param
                g = np.multiply(p, self.weight_decay, out=self._decayed[key])
                g += grads[key]
            self._update(key, p, g, buf, lr)

    def _update(self, key: str, p: np.ndarray, g: np.ndarray, buf: np.ndarray,
                lr: float) -> None:
        """One parameter's update in place, ``buf`` its scratch (each optimizer's rule)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, int | np.ndarray]:
        """Return a flat, npz-friendly copy: ``n_steps``, ``"<buffer>.<key>"`` arrays."""
        state = {f"{name}.{k}": a.copy() for name, arrays in self.state.items()
                 for k, a in arrays.items()}
        return {"n_steps": self.n_steps, **state}

    def load_state_dict(self, state: Mapping[str, int | np.ndarray]) -> None:
        """Restore a state from :meth:`state_dict` (or an npz file of it), in place."""
        for name, arrays in self.state.items():
            for k, a in arrays.items():
                value = np.asarray(state[f"{name}.{k}"])
                if value.shape != a.shape:
                    raise ValueError(f"{name}.{k} has shape {value.shape}, expected {a.shape}")
                np.copyto(a, value, casting="same_kind")
        self.n_steps = int(state["n_steps"])


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015) with the update of ``torch.optim.Adam``.

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g²``, then
    ``p -= lr / (1 - beta1**t) · m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.
    The moments take the shapes and dtypes of ``params``; betas lie in [0, 1);
    ``weight_decay`` times the parameter is added to the gradient of ``"weight"`` keys.
    """

    _state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: Mapping[str, np.ndarray], *, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        self.beta1 = check_number("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_number("beta2", beta2, 0.0, 1.0)
        self.eps = check_number("eps", eps, 0.0)
        super().__init__(params, lr, weight_decay)

    def _update(self, key, p, g, buf, lr):
        m, v = self.state["exp_avg"][key], self.state["exp_avg_sq"][key]
        # torch's lerp for a weight below 0.5: m + w (g - m)
        m += np.multiply(np.subtract(g, m, out=buf), 1.0 - self.beta1, out=buf)
        v *= self.beta2
        v += np.multiply(np.multiply(g, g, out=buf), 1.0 - self.beta2, out=buf)
        denom = np.sqrt(v, out=buf)
        denom /= math.sqrt(1.0 - self.beta2 ** self.n_steps)
        denom += self.eps
        step_size = lr / (1.0 - self.beta1 ** self.n_steps)
        p -= np.multiply(np.divide(m, denom, out=buf), step_size, out=buf)


class SGD(_Optimizer):
    """Stochastic gradient descent with the update of ``torch.optim.SGD`` (dampening 0).

    ``b = momentum · b + g`` then ``p -= lr · b``, or ``p -= lr · (g + momentum · b)``
    with ``nesterov``; ``p -= lr · g`` when ``momentum`` (in [0, 1)) is 0.
    ``weight_decay`` times the parameter is added to the gradient of ``"weight"`` keys.
    """

    def __init__(self, params: Mapping[str, np.ndarray], *, lr: float = 1e-2,
                 momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.momentum = check_number("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov requires momentum > 0")
        self._state_names = ("momentum_buffer",) if self.momentum > 0 else ()
        super().__init__(params, lr, weight_decay)

    def _update(self, key, p, g, buf, lr):
        if self.momentum > 0:
            b = self.state["momentum_buffer"][key]
            b *= self.momentum
            b += g
            g = np.add(g, np.multiply(b, self.momentum, out=buf), out=buf) if self.nesterov else b
        p -= np.multiply(g, lr, out=buf)


def make_optimizer(name: Literal["adam", "sgd"], params: Mapping[str, np.ndarray], *,
                   lr: float, momentum: float = 0.9, nesterovs_momentum: bool = True,
                   beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                   weight_decay: float = 0.0) -> Adam | SGD:
    """Build ``Adam`` (``name="adam"``) or ``SGD`` (``"sgd"``) from scikit-learn style arguments.

    ``momentum``, ``nesterovs_momentum`` (used when momentum > 0) go to SGD; ``beta1``,
    ``beta2``, ``epsilon`` to Adam; ``weight_decay`` (scikit-learn's ``alpha``) to both.
    """
    if name == "adam":
        return Adam(params, lr=lr, beta1=beta1, beta2=beta2, eps=epsilon,
                    weight_decay=weight_decay)
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay,
                   nesterov=bool(nesterovs_momentum) and momentum > 0)
    raise ValueError(f"name must be 'adam' or 'sgd', got {name!r}")


def global_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray]) -> float:
    """Return the L2 norm of a dict or iterable of arrays (float64 sum; inf/nan pass)."""
    total = 0.0
    for g in grads.values() if isinstance(grads, Mapping) else grads:
        flat = np.ravel(g)
        if flat.dtype != np.float64:  # float32 squares overflow above ~1.8e19
            flat = flat.astype(np.float64)
        total += float(np.dot(flat, flat))
    return math.sqrt(total)


def clip_grad_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray],
                   max_norm: float | None) -> float:
    """Rescale ``grads`` (dict or iterable) in place to a global L2 norm <= ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``, all arrays are multiplied by
    ``max_norm / (norm + 1e-6)`` when that is below 1; ``max_norm`` None or
    ``inf`` only measures. Returns the norm before clipping. A non-finite norm
    is returned as is, the gradients untouched: the caller decides what to do.
    """
    arrays = list(grads.values() if isinstance(grads, Mapping) else grads)
    norm = global_norm(arrays)
    max_norm = math.inf if max_norm is None else max_norm
    scale = check_number("max_norm", max_norm, 0.0, math.inf, high_closed=True) / (norm + 1e-6)
    if math.isfinite(norm) and scale < 1.0:
        for g in arrays:
            g *= scale
    return norm


class ConstantLR:
    """Constant learning rate, and the interface of every schedule.

    ``lr`` is the rate for the coming epoch. ``step(epoch, val_loss=None)``, called
    after each epoch with ``epoch`` the number completed (1 after the first),
    updates ``lr`` and returns it.
    """

    def __init__(self, lr: float) -> None:
        self.base_lr = self.lr = check_number("lr", lr, 0.0)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        check_number("epoch", epoch, 0, integer=True)
        return self.lr


class InvScalingLR(ConstantLR):
    """``lr / (epoch + 1) ** power_t``, ``epoch`` counting completed epochs.

    scikit-learn's MLP 'invscaling' counts samples seen instead, which ties
    the decay to the data size; epochs keep it a property of the schedule.
    """

    def __init__(self, lr: float, power_t: float = 0.5) -> None:
        super().__init__(lr)
        self.power_t = check_number("power_t", power_t, 0.0)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        self.lr = self.base_lr / (check_number("epoch", epoch, 0, integer=True) + 1) ** self.power_t
        return self.lr


class CosineLR(ConstantLR):
    """``eta_min + (lr - eta_min) (1 + cos(pi epoch / T_max)) / 2``, as CosineAnnealingLR.

    Held at ``eta_min`` after ``T_max`` epochs, where torch's would rise again.
    """

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(lr)
        self.T_max = check_number("T_max", T_max, 1, integer=True)
        self.eta_min = check_number("eta_min", eta_min, 0.0)

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        annealed = min(check_number("epoch", epoch, 0, integer=True), self.T_max)
        cosine = 1.0 + math.cos(math.pi * annealed / self.T_max)
        self.lr = self.eta_min + (self.base_lr - self.eta_min) * cosine / 2
        return self.lr


class PlateauLR(ConstantLR):
    """Multiply the rate by ``factor`` after ``patience`` epochs without improvement.

    torch's ``ReduceLROnPlateau``, 'min' mode, relative threshold: ``val_loss``
    improves when below ``best · (1 - threshold)``; the rate never goes below
    ``min_lr``. ``val_loss`` may be the training loss when nothing is held out.
    """

    def __init__(self, lr: float, factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, min_lr: float = 0.0) -> None:
        super().__init__(lr)
        self.factor = check_number("factor", factor, 0.0, 1.0)
        self.patience = check_number("patience", patience, 0, integer=True)
        self.threshold = check_number("threshold", threshold, 0.0, 1.0)
        self.min_lr = check_number("min_lr", min_lr, 0.0)
        self.best, self.num_bad_epochs = math.inf, 0

    def step(self, epoch: int, val_loss: float | None = None) -> float:
        check_number("epoch", epoch, 0, integer=True)
        if val_loss is None:
            raise ValueError("val_loss is required by PlateauLR.step")
        current = float(val_loss)
        if current < self.best * (1.0 - self.threshold):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > 1e-8:  # torch's eps: skip negligible cuts
                self.lr = new_lr
            self.num_bad_epochs = 0
        return self.lr


def make_schedule(name: Literal["constant", "invscaling", "cosine", "plateau"], lr: float, *,
                  max_iter: int | None = None, power_t: float = 0.5, eta_min: float = 0.0,
                  factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                  min_lr: float = 0.0) -> ConstantLR:
    """Build a schedule: "constant", "invscaling", "cosine" or "plateau".

    "cosine" needs ``max_iter`` (the number of epochs) as its ``T_max``. The
    other keywords go to the schedule that has them (see the classes).
    """
    if name == "constant":
        return ConstantLR(lr)
    if name == "invscaling":
        return InvScalingLR(lr, power_t)
    if name == "cosine":
        if max_iter is None:
            raise ValueError("max_iter is required by the 'cosine' schedule")
        return CosineLR(lr, max_iter, eta_min)
    if name == "plateau":
        return PlateauLR(lr, factor, patience, threshold, min_lr)
    raise ValueError(f"name must be 'constant', 'invscaling', 'cosine' or 'plateau', got {name!r}")
