"""Synthetic long-dependency tasks: where do RNN, GRU and LSTM stop learning?

Two classic probes of memory, as regression problems for the estimators:

* **adding problem** (Hochreiter & Schmidhuber 1997): each step carries a
  random number in [0, 1] and a marker; exactly two steps are marked, one in
  the first half and one in the second; the target is the sum of the two
  marked numbers. Predicting the mean (1.0) gives R² = 0.
* **recall**: each step carries a random number in [-1, 1]; the target is the
  number at the first step, ``lag`` steps before the end, with a marker on
  that step. Only a network that carries it through ``lag`` steps of
  distraction can score.

:func:`compare_cells` trains the three cells with (nearly) the same number of
parameters on the same data and reports held-out R² per task and length;
:func:`compare_architectures` does the same for one cell with the last-state
head, the attention head and bidirectional layers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from ..estimators import ESTIMATORS
from ..nn.cells import n_gates
from ..nn.params import hidden_size_for_budget, n_parameters
from .compare import CELLS


def adding_problem(n_samples: int, length: int, *,
                   random_state: int | np.random.Generator | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, length, 2): values and markers; ``y`` (n,): the sum of the marked values."""
    rng = np.random.default_rng(random_state)
    if length < 2:
        raise ValueError(f"length must be at least 2, got {length}")
    values = rng.uniform(0.0, 1.0, size=(n_samples, length))
    half = length // 2
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, length, size=n_samples)
    markers = np.zeros((n_samples, length))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=2), y


def recall_task(n_samples: int, lag: int, *,
                random_state: int | np.random.Generator | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, lag + 1, 2): values and a marker on step 0; ``y``: the value at step 0."""
    rng = np.random.default_rng(random_state)
    if lag < 1:
        raise ValueError(f"lag must be at least 1, got {lag}")
    values = rng.uniform(-1.0, 1.0, size=(n_samples, lag + 1))
    markers = np.zeros_like(values)
    markers[:, 0] = 1.0
    return np.stack([values, markers], axis=2), values[:, 0].copy()


TASKS = {"adding": adding_problem, "recall": recall_task}


def compare_cells(task: str = "adding", lengths: Iterable[int] = (10, 50, 100, 200), *,
                  budget: int = 2000, cells: Sequence[str] = CELLS, n_train: int = 2000,
                  n_test: int = 500, max_iter: int = 30, learning_rate_init: float = 0.01,
                  batch_size: int = 64, random_state: int = 0, solved_r2: float = 0.9,
                  verbose: bool = False) -> pd.DataFrame:
    """Train each cell on ``task`` at each length with the same parameter budget.

    Every cell sees the same training and test sets and the same training
    schedule (Adam, global-norm clipping at 1, ``max_iter`` epochs). A cell
    "solves" a length when its held-out R² reaches ``solved_r2``.

    Returns
    -------
    pandas.DataFrame
        One row per (length, cell): hidden size, parameter count, held-out R²,
        solved, seconds per epoch.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    rows = []
    for length in lengths:
        X, y = TASKS[task](n_train + n_test, length, random_state=random_state)
        for cell in cells:
            hidden = hidden_size_for_budget(cell, budget, X.shape[2])
            model = ESTIMATORS[cell](hidden_size=hidden, learning_rate_init=learning_rate_init,
                                     batch_size=batch_size, max_iter=max_iter, tol=0.0,
                                     random_state=random_state)
            r2, seconds = _fit_and_score(model, X, y, n_train)
            rows.append({"task": task, "length": length, "cell": cell, "hidden_size": hidden,
                         "parameters": n_parameters(cell, X.shape[2], hidden),
                         "test_r2": r2, "solved": r2 >= solved_r2,
                         "seconds_per_epoch": seconds / model.n_iter_})
            if verbose:
                print(f"{task} length {length:>4} {cell:>4}: R² {r2:6.3f} "
                      f"({seconds:.1f} s)", flush=True)
    return pd.DataFrame(rows)


def _fit_and_score(model, X, y, n_train):
    """Fit on the first ``n_train`` samples; held-out R² on the rest, and the fit's seconds."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:n_train], y[:n_train])
    seconds = time.perf_counter() - start
    return model.score(X[n_train:], y[n_train:]), seconds


# The architectures compare_architectures trains: estimator options.
ARCHITECTURES: dict[str, dict[str, Any]] = {"last": {}, "attention": {"head": "attention"},
                 "bidirectional": {"bidirectional": True}}


def architecture_parameters(cell: str, architecture: str, hidden_size: int, input_size: int,
                            output_size: int = 1) -> int:
    """Weights of a one-layer ``cell`` network of ``architecture`` (see :data:`ARCHITECTURES`).

    "last" is :func:`~gatedts.nn.params.n_parameters`; "attention" adds
    W_k, W_q (H, H), b_a, v (H,) and the head's context half; "bidirectional"
    doubles the layer and the head's input.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; expected one of "
                         f"{', '.join(ARCHITECTURES)}")
    H, n_out = hidden_size, output_size
    layer = n_gates(cell) * H * (input_size + H + 2)
    if architecture == "bidirectional":
        return 2 * layer + 2 * H * n_out + n_out
    if architecture == "attention":
        return layer + 2 * H * H + 2 * H + 2 * H * n_out + n_out
    return layer + H * n_out + n_out


def hidden_size_for_architecture(cell: str, architecture: str, budget: int, input_size: int,
                                 output_size: int = 1) -> int:
    """The hidden size whose one-layer ``architecture`` network comes closest to ``budget``."""
    return min(range(1, 1025), key=lambda H: abs(
        architecture_parameters(cell, architecture, H, input_size, output_size) - budget))


def compare_architectures(task: str = "recall", lengths: Iterable[int] = (10, 25, 50, 100), *,
                          cell: str = "gru", architectures: Sequence[str] = tuple(ARCHITECTURES),
                          budget: int = 2000, n_train: int = 2000, n_test: int = 500,
                          max_iter: int = 30, learning_rate_init: float = 0.01,
                          batch_size: int = 64, random_state: int = 0, solved_r2: float = 0.9,
                          verbose: bool = False) -> pd.DataFrame:
    """Train one ``cell`` with each head/direction option on ``task`` at each length,
    every architecture at (nearly) the same parameter budget.

    The architectures (:data:`ARCHITECTURES`): "last", the plain last-state head;
    "attention", ``head="attention"``; "bidirectional", ``bidirectional=True``.
    Same data and training as :func:`compare_cells`.

    Returns
    -------
    pandas.DataFrame
        One row per (length, architecture): hidden size, parameter count,
        held-out R², solved, seconds per epoch.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    rows = []
    for length in lengths:
        X, y = TASKS[task](n_train + n_test, length, random_state=random_state)
        for architecture in architectures:
            hidden = hidden_size_for_architecture(cell, architecture, budget, X.shape[2])
            model = ESTIMATORS[cell](hidden_size=hidden, learning_rate_init=learning_rate_init,
                                     batch_size=batch_size, max_iter=max_iter, tol=0.0,
                                     random_state=random_state, **ARCHITECTURES[architecture])
            r2, seconds = _fit_and_score(model, X, y, n_train)
            rows.append({"task": task, "length": length, "cell": cell,
                         "architecture": architecture, "hidden_size": hidden,
                         "parameters": sum(v.size for v in model.params_.values()),
                         "test_r2": r2, "solved": r2 >= solved_r2,
                         "seconds_per_epoch": seconds / model.n_iter_})
            if verbose:
                print(f"{task} length {length:>4} {cell} {architecture:>13}: R² {r2:6.3f} "
                      f"({seconds:.1f} s)", flush=True)
    return pd.DataFrame(rows)
