"""RNN vs GRU vs LSTM on one series, with equal parameter budgets and the same seeds.

:func:`compare_cells_on_series` is the honest version of the usual claims
("the GRU trains faster with fewer parameters", "the LSTM forecasts
better"): every cell gets the :class:`~gatedts.Forecaster` pipeline and the
library's default training recipe (:func:`~gatedts.forecasting.default_estimator`)
with one change, its hidden size, chosen so that all cells have (nearly) the
same number of weights. Each cell and seed is scored in the same
rolling-origin backtest, next to seasonal naive, and the table reports
mean ± sd over seeds. ``gatedts compare`` prints that table.

The helpers :func:`network`, :func:`training_windows` and :func:`window_gates`
open a fitted Forecaster up for :mod:`gatedts.diagnostics`: its network, the
windows it was trained on, and the gates on the window it forecasts from.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ..estimators import ESTIMATORS, MaxIterReachedWarning
from ..forecasting._series import check_y
from ..forecasting._validation import check_positive_int
from ..forecasting.backtesting import backtest
from ..forecasting.forecaster import Forecaster, default_estimator
from ..forecasting.seasonality import infer_seasonal_period
from ..nn.cells import CELL_NAMES, n_gates
from ..nn.params import init_params, n_parameters
from .diagnostics import gate_traces

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from typing_extensions import Self

    from ..estimators import GRURegressor, LSTMRegressor, RNNRegressor

__all__ = ["FAST", "VARIANTS", "SizedNetwork", "compare_cells_on_series", "comparison_figure",
           "default_budget", "default_horizon", "describe_comparison", "fit_at_origin",
           "format_comparison", "gate_frame", "network", "training_windows", "window_gates"]

CELLS = tuple(sorted(CELL_NAMES, key=n_gates))  # table order: fewest gates first
#: The architecture variants a comparison can add to each cell: name -> estimator
#: parameters set on the default network. "plain" is the default network itself.
VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "bidirectional": {"bidirectional": True},
    "residual": {"num_layers": 2, "residual": True},
    "attention": {"head": "attention"},
    "decoder": {"decoder": True},
}
REFERENCE_HIDDEN_SIZE = 32  # the default budget: the parameters of the default GRU
# CI-sized settings for ``fast=True``: arguments left as None take these values.
FAST: dict[str, Any] = {"seeds": 1, "reference_hidden_size": 4, "max_iter": 3, "n_origins": 1}
_DEFAULTS: dict[str, Any] = {"seeds": 5, "reference_hidden_size": REFERENCE_HIDDEN_SIZE,
                             "max_iter": None, "n_origins": 3}


class SizedNetwork(RegressorMixin, BaseEstimator):
    """The Forecaster's default network for ``cell``, with a given hidden size.

    At ``fit`` it builds :func:`~gatedts.forecasting.default_estimator` (whose
    weight decay, batch size and epoch budget follow the training windows as
    usual), overrides ``hidden_size`` (and ``max_iter`` if given) and fits it. Pass it to
    ``Forecaster(SizedNetwork("lstm", 27))``.

    Parameters
    ----------
    cell : {"rnn", "gru", "lstm"}, default "gru"
    hidden_size : int, default 32
    options : dict or None, default None
        Further estimator parameters set on the default network, such as the
        architecture of a :data:`VARIANTS` entry (``{"bidirectional": True}``).
    max_iter : int or None, default None
        Epoch cap; None keeps the default budget of 100,000 window passes.
    random_state : int or None, default None
    record : callable or None, default None
        Called with the fitted ``SizedNetwork`` after every fit. A function is
        shared, not copied, by ``clone``, so it sees the fits made inside a
        backtest (this is how :func:`compare_cells_on_series` times epochs).

    Attributes
    ----------
    estimator_ : GRURegressor, LSTMRegressor or RNNRegressor
        The fitted network.
    n_iter_ : int
        Epochs run.
    n_parameters_ : int
        Weights of the network, head included.
    fit_time_ : float
        Seconds spent in the network's ``fit``.
    """

    def __init__(self, cell="gru", hidden_size=32, *, options=None, max_iter=None,
                 random_state=None, record=None):
        self.cell = cell
        self.hidden_size = hidden_size
        self.options = options
        self.max_iter = max_iter
        self.random_state = random_state
        self.record = record

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Build the default network for ``len(X)`` windows, resized, and fit it."""
        model = default_estimator(self.cell, random_state=self.random_state)
        model.set_params(**(self.options or {}), hidden_size=self.hidden_size)
        if self.max_iter is not None:
            model.set_params(max_iter=self.max_iter)
        start = time.perf_counter()
        with warnings.catch_warnings():  # an epoch cap is deliberate
            warnings.simplefilter("ignore", MaxIterReachedWarning)
            model.fit(X, y)
        self.fit_time_ = time.perf_counter() - start
        self.estimator_ = model
        self.n_iter_ = model.n_iter_
        self.n_parameters_ = int(sum(v.size for v in model.params_.values()))
        self.n_features_in_ = model.n_features_in_
        if self.record is not None:
            self.record(self)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict with the fitted network."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)


# ---------------------------------------------------------------- settings


def default_horizon(y: ArrayLike) -> int:
    """One season of ``y`` (12 for monthly data), or 10 steps without seasonality."""
    _, index, _ = check_y(y)
    m = infer_seasonal_period(index)
    return m if m > 1 else 10


def default_budget(horizon: int, hidden_size: int = REFERENCE_HIDDEN_SIZE,
                   input_size: int = 1) -> int:
    """Weights of a one-layer GRU of ``hidden_size`` units with a ``horizon``-output head."""
    return n_parameters("gru", input_size, hidden_size, horizon)


def network_size(cell: str, hidden_size: int, horizon: int,
                 options: Mapping[str, Any] | None = None) -> int:
    """Weights (head included) of the default network for ``cell`` with ``hidden_size``
    units per layer, a ``horizon``-output head and the architecture ``options``."""
    options = dict(options or {})
    num_layers = options.pop("num_layers", 1)
    # A decoder's head emits one value per step, so its width does not grow with the horizon.
    outputs = 1 if options.get("decoder") else horizon
    params = init_params(cell, 1, hidden_size, num_layers, outputs, random_state=0, **options)
    return int(sum(v.size for v in params.values()))


def _hidden_sizes(models, budget, horizon):
    """For each (cell, variant): the hidden size whose network comes closest to ``budget``."""
    smallest = {m: network_size(m[0], 1, horizon, VARIANTS[m[1]]) for m in models}
    too_big = {m: n for m, n in smallest.items() if n > budget}
    if too_big:
        (cell, variant), n = max(too_big.items(), key=lambda item: item[1])
        raise ValueError(f"budget={budget} parameters is too small: a 1-unit "
                         f"{model_label(cell, variant)} with a {horizon}-step head already "
                         f"has {n}")
    hidden = {}
    for cell, variant in models:
        sizes = [smallest[cell, variant]]
        while sizes[-1] < budget:  # the count grows with the hidden size
            sizes.append(network_size(cell, len(sizes) + 1, horizon, VARIANTS[variant]))
        hidden[cell, variant] = min(range(1, len(sizes) + 1),
                                    key=lambda h, sizes=sizes: abs(sizes[h - 1] - budget))
    return hidden


def _check_variants(variants):
    variants = [variants] if isinstance(variants, str) else list(variants)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        what = (f"unknown variant(s) {', '.join(map(repr, unknown))}" if unknown
                else "no variants")
        raise ValueError(f"{what}; choose from {', '.join(VARIANTS)}")
    if len(set(variants)) != len(variants):
        raise ValueError(f"variants are repeated: {variants}")
    return variants


def model_label(cell: str, variant: str = "plain") -> str:
    """The table's name of ``cell`` in ``variant``: "GRU", "GRU bidirectional", ..."""
    return cell.upper() if variant == "plain" else f"{cell.upper()} {variant}"


def _check_cells(cells):
    cells = [cells] if isinstance(cells, str) else list(cells)
    unknown = [c for c in cells if c not in CELLS]
    if unknown or not cells:
        what = f"unknown cell(s) {', '.join(map(repr, unknown))}" if unknown else "no cells"
        raise ValueError(f"{what}; choose from {', '.join(CELLS)}")
    if len(set(cells)) != len(cells):
        raise ValueError(f"cells are repeated: {cells}")
    return cells


def _check_seeds(seeds: Any) -> list[int]:  # any user input: checked here
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        return list(range(check_positive_int(seeds, "seeds")))
    checked = [int(s) for s in seeds]
    if not checked:
        raise ValueError("seeds must be a positive integer or a non-empty list of seeds")
    return checked


def _warm_up(cell, options=None):
    """Compile (or load from cache) the kernels so epoch times exclude compilation."""
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SizedNetwork(cell, 2, options=options, max_iter=1, random_state=0).fit(
            rng.standard_normal((8, 4, 1)), rng.standard_normal((8, 2)))


# ---------------------------------------------------------------- comparison


def compare_cells_on_series(y: ArrayLike, *, cells: Sequence[str] = CELLS,
                            variants: Sequence[str] = ("plain",), horizon: int | None = None,
                            budget: int | None = None, seeds: int | Sequence[int] | None = None,
                            max_iter: int | None = None, n_origins: int | None = None,
                            initial: int | None = None, step: int | None = None,
                            fast: bool = False, progress: Callable[[str], object] | None = None,
                            return_runs: bool = False
                            ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest RNN, GRU and LSTM forecasters of ``y`` with equal parameter budgets.

    Each cell (in each architecture variant) is a :class:`~gatedts.Forecaster`
    (direct strategy, "auto" transforms and window) whose network is the
    default one (:func:`~gatedts.forecasting.default_estimator`: Adam, L2
    prior, epoch budget, early stop on a stalled loss) except for its hidden
    size and the variant's architecture. Every (cell, variant, seed) is
    refitted at each origin of the same rolling-origin backtest; seasonal
    naive is scored on the same origins.

    Parameters
    ----------
    y : pandas.Series or array-like
        The series (regular index), as for :meth:`Forecaster.fit`.
    cells : sequence of {"rnn", "gru", "lstm"}, default all three
    variants : sequence of str, default ("plain",)
        Architectures of each cell, names of :data:`VARIANTS`: "plain" (the
        default network), "bidirectional", "residual" (two residual layers),
        ... Every variant gets the same budget.
    horizon : int, optional
        Steps forecast from each origin (the network outputs all at once).
        Default :func:`default_horizon`: one season, or 10.
    budget : int, optional
        Parameter budget (weights including the head). Default: those of the
        library's default 32-unit GRU at this horizon (:func:`default_budget`);
        each network's hidden size is the one coming closest to it.
    seeds : int or sequence of int, default 5
        Number of seeds (0, 1, ...) or the seeds themselves.
    max_iter : int, optional
        Epoch cap; default the default network's budget (at most 300).
    n_origins : int, default 3
        Backtest origins when ``initial`` is not given: the last
        ``n_origins * horizon`` observations are forecast.
    initial, step : int, optional
        First origin (observations before it) and distance between origins
        (default ``horizon``), as for :func:`~gatedts.backtest`.
    fast : bool, default False
        CI-sized defaults for the arguments left None (:data:`FAST`): one
        seed, the budget of a 4-unit GRU, 3 epochs, one origin.
    progress : callable, optional
        Called with one line of text after each (cell, variant, seed) backtest.
    return_runs : bool, default False
        Also return the per-seed results.

    Returns
    -------
    table : pandas.DataFrame
        Index ``model`` (RNN, GRU, LSTM, each variant as "GRU bidirectional"
        after the cell's plain row, then ``seasonal naive (m=..)``);
        columns ``hidden_size``, ``parameters``, ``seconds_per_epoch`` (mean
        training time of one epoch, compilation excluded), ``epochs`` (mean
        epochs per fit), ``MASE``, ``MASE_sd``, ``sMAPE`` (%), ``sMAPE_sd``
        (sd over seeds; NaN with one seed). ``table.attrs`` holds the
        settings (horizon, budget, origins, seeds, ...).
    runs : pandas.DataFrame
        With ``return_runs=True``: one row per cell, variant and seed.
    """
    defaults = FAST if fast else _DEFAULTS
    seeds = _check_seeds(defaults["seeds"] if seeds is None else seeds)
    max_iter = defaults["max_iter"] if max_iter is None else check_positive_int(max_iter,
                                                                                "max_iter")
    cells = _check_cells(cells)
    variants = _check_variants(variants)
    values, index, name = check_y(y)
    series = pd.Series(values, index=index, name=name)
    horizon = default_horizon(series) if horizon is None else check_positive_int(horizon,
                                                                                 "horizon")
    step = horizon if step is None else check_positive_int(step, "step")
    if initial is None:
        n_origins = check_positive_int(defaults["n_origins"] if n_origins is None
                                       else n_origins, "n_origins")
        initial = len(values) - horizon - (n_origins - 1) * step
        if initial < 2:
            raise ValueError(f"y has {len(values)} observations, too few for {n_origins} "
                             f"origin(s) of horizon {horizon}; lower n_origins or horizon")
    else:
        initial = check_positive_int(initial, "initial")
    if budget is None:
        budget = default_budget(horizon, defaults["reference_hidden_size"])
    budget = check_positive_int(budget, "budget")
    models = [(cell, variant) for cell in cells for variant in variants]
    hidden = _hidden_sizes(models, budget, horizon)

    rows, baseline = [], None
    for cell, variant in models:
        _warm_up(cell, VARIANTS[variant])
        label = model_label(cell, variant)
        for seed in seeds:
            fits: list[Forecaster] = []
            model = SizedNetwork(cell, hidden[cell, variant], options=VARIANTS[variant],
                                 max_iter=max_iter, random_state=seed,
                                 record=lambda net, fits=fits: fits.append(
                                     (net.n_iter_, net.fit_time_, net.n_parameters_)))
            forecaster = Forecaster(model, horizon=horizon, random_state=seed)
            result = backtest(forecaster, series, initial=initial, step=step, horizon=horizon,
                              coverage=None)
            epochs, seconds, n_params = np.array(fits).T
            scores = result.metrics.iloc[0]
            baseline = result.metrics.iloc[1:]
            rows.append({"model": label, "cell": cell, "variant": variant, "seed": seed,
                         "hidden_size": hidden[cell, variant],
                         "parameters": int(n_params[0]), "epochs": float(epochs.mean()),
                         "seconds_per_epoch": float(seconds.sum() / epochs.sum()),
                         "backtest_seconds": result.fit_time,
                         "MASE": float(scores["MASE"]), "sMAPE": float(scores["sMAPE"])})
            if progress is not None:
                progress(f"{label:>4} seed {seed}: MASE {scores['MASE']:.3f}, "
                         f"sMAPE {scores['sMAPE']:.2f}% ({result.fit_time:.1f} s, "
                         f"{len(fits)} fits)")
    runs = pd.DataFrame(rows)
    table = _summarize(runs, baseline)
    origins = range(initial, len(values) - horizon + 1, step)  # as in backtest()
    table.attrs.update({
        "name": name, "n_obs": len(values), "horizon": horizon, "budget": budget,
        "initial": initial, "step": step, "n_origins": len(origins),
        "last_origin": origins[-1], "seeds": seeds, "max_iter": max_iter, "cells": cells,
        "variants": variants,
        "models": {model_label(*m): (*m, hidden[m]) for m in models}})
    return (table, runs) if return_runs else table


def _summarize(runs, baseline):
    grouped = runs.groupby("model", sort=False)
    table = grouped.agg(hidden_size=("hidden_size", "first"),
                        parameters=("parameters", "first"),
                        seconds_per_epoch=("seconds_per_epoch", "mean"),
                        epochs=("epochs", "mean"),
                        MASE=("MASE", "mean"), MASE_sd=("MASE", "std"),
                        sMAPE=("sMAPE", "mean"), sMAPE_sd=("sMAPE", "std"))
    naive = pd.DataFrame({"MASE": baseline["MASE"].to_numpy(),
                          "sMAPE": baseline["sMAPE"].to_numpy()}, index=baseline.index)
    table = pd.concat([table, naive])
    table[["hidden_size", "parameters"]] = table[["hidden_size", "parameters"]].astype("Int64")
    table.index.name = "model"
    return table


def format_comparison(table: pd.DataFrame, digits: int = 3) -> str:
    """The table of :func:`compare_cells_on_series` as text, scores as mean ± sd."""
    def pm(mean, sd, fmt):
        if pd.isna(mean):
            return "-"
        return f"{mean:{fmt}}" if pd.isna(sd) else f"{mean:{fmt}} ± {sd:{fmt}}"

    def number(value, fmt):
        return "-" if pd.isna(value) else f"{value:{fmt}}"

    text = pd.DataFrame({
        "hidden": [number(v, "d") for v in table["hidden_size"]],
        "params": [number(v, "d") for v in table["parameters"]],
        "ms/epoch": [number(1000 * v, ".2f") for v in table["seconds_per_epoch"]],
        "epochs": [number(v, ".0f") for v in table["epochs"]],
        "MASE": [pm(m, s, f".{digits}f") for m, s in zip(table["MASE"], table["MASE_sd"],
                                                         strict=True)],
        "sMAPE %": [pm(m, s, f".{digits - 1}f") for m, s in zip(
            table["sMAPE"], table["sMAPE_sd"], strict=True)],
    }, index=table.index)
    return text.to_string(justify="right")


def describe_comparison(table: pd.DataFrame) -> str:
    """One line saying what the table of :func:`compare_cells_on_series` measured."""
    a = table.attrs
    seeds = a["seeds"]
    seed_text = (f"{len(seeds)} seeds ({seeds[0]}..{seeds[-1]})" if len(seeds) > 1
                 else f"1 seed ({seeds[0]})")
    epochs = "default epoch budget" if a["max_iter"] is None else f"<= {a['max_iter']} epochs"
    return (f"{a['name'] or 'y'}: {a['n_obs']} observations; rolling-origin backtest, "
            f"{a['n_origins']} origin(s) x {a['horizon']} steps (first origin after "
            f"{a['initial']} observations, step {a['step']}); budget {a['budget']} parameters; "
            f"{seed_text}; {epochs}; mean ± sd over seeds")


# ---------------------------------------------------------------- inside a Forecaster


def network(forecaster: Forecaster) -> GRURegressor | LSTMRegressor | RNNRegressor:
    """The fitted recurrent regressor of a fitted Forecaster (unwrapping :class:`SizedNetwork`)."""
    check_is_fitted(forecaster, "estimator_")
    model = forecaster.estimator_
    model = getattr(model, "estimator_", model) if isinstance(model, SizedNetwork) else model
    if not hasattr(model, "params_") or not isinstance(model, tuple(ESTIMATORS.values())):
        raise TypeError(f"the forecaster's model is a {type(model).__name__}, not a GRU, "
                        "LSTM or RNN regressor")
    return cast("GRURegressor | LSTMRegressor | RNNRegressor", model)


def training_windows(forecaster: Forecaster) -> tuple[np.ndarray, np.ndarray]:
    """``(X, Y)``: the windows a fitted Forecaster's network was trained on.

    ``X`` is (n_windows, n_timesteps, n_features) on the network's scale
    (transformed, scaled), ``Y`` (n_windows, model_horizon): what
    :func:`~gatedts.diagnostics.gradient_reach` needs.
    """
    check_is_fitted(forecaster, "estimator_")
    target, features = forecaster.target_transform_.transform(forecaster.y_, forecaster.exog_)
    X, Y, _ = forecaster.windowing_.training_windows(target, features)
    return X, Y


def _input_window(forecaster):
    if forecaster.future_exog_:
        raise ValueError("window_gates does not support future-known exog columns")
    return forecaster.network_input(), forecaster.index_[-forecaster.window_:]


def window_gates(forecaster: Forecaster, steps: int | None = None) -> pd.DataFrame:
    """Gate activations of a fitted Forecaster's network on the window it forecasts from.

    Parameters
    ----------
    forecaster : fitted Forecaster with a GRU, LSTM or RNN network
    steps : int, optional
        Keep only the last ``steps`` time steps (e.g. 12 months).

    Returns
    -------
    pandas.DataFrame
        Rows: the dates of the input window (the last ``window_`` observations);
        columns (layer, name, unit) as in :func:`~gatedts.diagnostics.gate_traces`:
        GRU ``r z n h``, LSTM ``i f g o c h``, RNN ``h``.
    """
    X, index = _input_window(forecaster)
    frame = gate_traces(network(forecaster), X, sample=0, index=index)
    return frame if steps is None else frame.iloc[-check_positive_int(steps, "steps"):]


def gate_frame(traces: pd.DataFrame, name: str, layer: int = 0) -> pd.DataFrame:
    """One gate of a :func:`window_gates` frame: rows time steps, columns units."""
    names = traces.columns.get_level_values("name")
    mask = (traces.columns.get_level_values("layer") == layer) & (names == name)
    if not mask.any():
        raise KeyError(f"no gate {name!r} in layer {layer}; the traces hold "
                       f"{sorted(set(names))}")
    frame = traces.loc[:, mask]
    frame.columns = frame.columns.get_level_values("unit")
    return frame


# ---------------------------------------------------------------- figure

_HEATMAP_GATES = {"gru": ("z", "update gate z"), "lstm": ("f", "forget gate f"),
                  "rnn": ("h", "hidden state h")}


def fit_at_origin(y: pd.Series, cell: str, hidden_size: int, *, horizon: int, origin: int,
                  seed: int = 0, max_iter: int | None = None,
                  options: Mapping[str, Any] | None = None) -> Forecaster:
    """A Forecaster with a :class:`SizedNetwork` fitted on ``y[:origin]``."""
    model = SizedNetwork(cell, hidden_size, options=options, max_iter=max_iter,
                         random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Forecaster(model, horizon=horizon, random_state=seed).fit(y.iloc[:origin])


def comparison_figure(y: ArrayLike, table: pd.DataFrame, *, seed: int | None = None) -> Figure:
    """Forecasts from the last backtest origin and gate heat maps, as a matplotlib Figure.

    The networks of ``table`` (from :func:`compare_cells_on_series` on the
    same ``y``) are refitted at the last origin with the first seed; this
    reproduces the backtest's last models. Top: the forecasts of every cell
    and of seasonal naive against the actual values. Below, over the input
    window: the GRU update gate z and the LSTM forget gate f (units × time);
    near 1 both keep the previous state.
    """
    from ..forecasting.baselines import SeasonalNaive
    from ..forecasting.plotting import label_axes, line_style, require_matplotlib
    from .plotting import plot_gate_heatmap

    Figure = require_matplotlib()
    a = table.attrs
    values, index, name = check_y(y)
    series = pd.Series(values, index=index, name=name)
    seed = a["seeds"][0] if seed is None else seed
    origin, horizon = a["last_origin"], a["horizon"]
    fitted = {label: fit_at_origin(series, cell, hidden, horizon=horizon, origin=origin, seed=seed,
                                   max_iter=a["max_iter"], options=VARIANTS[variant])
              for label, (cell, variant, hidden) in a["models"].items()}
    # Heat maps of the plain networks (of the first variant when there is no plain one).
    first: dict[str, str] = {}
    for label, (cell, _, _) in a["models"].items():
        first.setdefault(cell, label)
    gated = [c for c in ("gru", "lstm") if c in first] or list(first)[:1]
    fig = Figure(figsize=(10, 3.6 + 2.6 * len(gated)), layout="constrained")
    grid = fig.add_gridspec(1 + len(gated), 1, height_ratios=[1.4] + [1] * len(gated))
    ax = fig.add_subplot(grid[0])
    shown = series.iloc[max(0, origin - 4 * horizon): origin + horizon]
    ax.plot(shown.index, shown.to_numpy(), color="0.2", lw=1.2, label="observed")
    for k, (label, forecaster) in enumerate(fitted.items()):
        forecast = forecaster.predict()
        ax.plot(forecast.index, forecast.to_numpy(), **line_style(k),
                label=f"{label} ({table.loc[label, 'parameters']} params)")
    m = fitted[first[gated[0]]].seasonal_period_
    m = m if origin > m else 1
    naive = cast(pd.Series, SeasonalNaive(m).fit(series.iloc[:origin]).predict(horizon))
    ax.plot(naive.index, naive.to_numpy(), color="0.5", lw=1.2, ls=":",
            label=f"seasonal naive (m={m})")
    ax.axvline(series.index[origin - 1], color="0.6", lw=0.8)
    ax.set_title(f"{name or 'y'}: forecasts from the last backtest origin (seed {seed})")
    label_axes(ax, series)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    for k, cell in enumerate(gated):
        gate, label = _HEATMAP_GATES[cell]
        frame = gate_frame(window_gates(fitted[first[cell]]), gate)
        plot_gate_heatmap(frame, ax=fig.add_subplot(grid[1 + k]),
                          title=f"{first[cell]} {label} over the input window (layer 0)",
                          vmin=0.0 if gate != "h" else -1.0)
    return fig
