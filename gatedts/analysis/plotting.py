"""Plots of gates and gradients (matplotlib, the ``plot`` extra).

They are built like the forecast and backtest plots of
:mod:`gatedts.forecasting.plotting` (headless Figures, matplotlib imported
on use, ``ax`` to draw into a figure of your own) and share its helpers.
Those plots stay importable from here, as in gatedts 0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from numpy.typing import ArrayLike

from ..estimators import ESTIMATORS
from ..forecasting.plotting import (
    axes_or_new,
    label_axes,
    line_style,
    plot_backtest,
    plot_forecast,
    plot_forecaster,
    require_matplotlib,
    save_figure,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..estimators import GRURegressor, LSTMRegressor, RNNRegressor

__all__ = ["label_axes", "line_style", "plot_attention", "plot_backtest", "plot_forecast",
           "plot_forecaster", "plot_gate_heatmap", "plot_gradient_reach", "plot_window",
           "require_matplotlib", "save_figure"]


def _time_labels(index):
    """Short tick labels: month names for monthly data, dates or numbers otherwise."""
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freqstr or (pd.DatetimeIndex(index, freq="infer").freqstr
                                 if len(index) > 2 else None) or ""
        if freq.startswith("M"):
            return [f"{t:%b}\n{t:%Y}" if k == 0 or t.month == 1 else f"{t:%b}"
                    for k, t in enumerate(index)]
        return [f"{t:%Y}" if freq.startswith(("Y", "A")) else f"{t:%Y-%m-%d}"
                for t in index]
    return [str(v) for v in index]


def plot_gate_heatmap(values: pd.DataFrame | ArrayLike, *, ax: Axes | None = None,
                      title: str | None = None, labels: Sequence[str] | None = None,
                      vmin: float | None = 0.0, vmax: float | None = 1.0,
                      cmap: str = "viridis",
                      colorbar: bool = True) -> Axes:
    """Heat map of one gate over time: units down, time steps across.

    Parameters
    ----------
    values : pandas.DataFrame or array-like of shape (n_timesteps, n_units)
        One gate of one sequence, rows time steps: e.g.
        ``gate_traces(model, X, sample=0, index=dates)[(0, "z")]``.
    ax : matplotlib Axes, optional
    title : str, optional
    labels : list of str, optional
        Tick labels of the time steps; by default from the DataFrame's index
        (month names for monthly dates).
    vmin, vmax : float or None, default 0 and 1
        Colour range; gates lie in (0, 1), tanh outputs in (-1, 1). None: the
        data's own minimum or maximum.
    cmap : str, default "viridis"
    colorbar : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np

    ax = axes_or_new(ax)
    if isinstance(values, pd.DataFrame):
        if labels is None:
            labels = _time_labels(values.index)
        values = values.to_numpy()
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (n_timesteps, n_units), got shape {values.shape}")
    n_steps, n_units = values.shape
    image = ax.imshow(values.T, aspect="auto", interpolation="nearest", cmap=cmap,
                      vmin=vmin, vmax=vmax, origin="lower")
    every = max(1, n_steps // 24)
    ticks = np.arange(0, n_steps, every)
    ax.set_xticks(ticks)
    if labels is not None:
        ax.set_xticklabels([labels[k] for k in ticks.tolist()], fontsize=7)
    ax.set_ylabel("unit")
    ax.set_yticks(np.unique(np.linspace(0, n_units - 1, min(n_units, 5)).round().astype(int)))
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    return ax


def plot_gradient_reach(reach: pd.DataFrame | dict[str, pd.DataFrame], *,
                        ax: Axes | None = None, layer: str | None = None,
                        normalize: bool = True, title: str | None = None) -> Axes:
    """Norm of dLoss/dh_t against the number of steps back, log scale, one line per model.

    Parameters
    ----------
    reach : pandas.DataFrame or dict of str to pandas.DataFrame
        :func:`gatedts.diagnostics.gradient_reach` output, or several keyed by
        a label (e.g. ``{"RNN": ..., "GRU": ..., "LSTM": ...}``).
    ax : matplotlib Axes, optional
    layer : str, optional
        Column to draw (``"layer_0"``, ...); default the first layer, whose
        states carry the input furthest back.
    normalize : bool, default True
        Divide by the norm at the last step, so the lines show the decay.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    frames = reach if isinstance(reach, dict) else {"": reach}
    for label, frame in frames.items():
        column = layer or next(c for c in frame.columns if c.startswith("layer_"))
        norms = frame[column].to_numpy()
        if normalize:
            norms = norms / norms[frame["steps_to_end"].to_numpy() == 0][0]
        ax.plot(frame["steps_to_end"].to_numpy(), norms, marker=".", label=label or None)
    ax.set_yscale("log")
    ax.set_xlabel("steps before the end of the window")
    ax.set_ylabel("‖dL/dh_t‖ / ‖dL/dh_T‖" if normalize else "‖dL/dh_t‖")
    ax.set_title(title if title is not None else "how far back the gradient reaches")
    ax.grid(alpha=0.3, which="both")
    if any(frames):
        ax.legend(frameon=False)
    return ax



def plot_attention(weights: pd.Series | ArrayLike, *, ax: Axes | None = None,
                   title: str | None = None, labels: Sequence[str] | None = None,
                   color: str = "C1") -> Axes:
    """Bar chart of one window's attention weights, time steps across (as the heat maps).

    Parameters
    ----------
    weights : pandas.Series or array-like of shape (n_timesteps,)
        One sequence's weights, oldest step first: e.g.
        ``attention_weights(model, X, sample=0, index=dates)``.
    ax : matplotlib Axes, optional
    title : str, optional
    labels : list of str, optional
        Tick labels of the time steps; by default from the Series' index.
    color : str, default "C1"

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np

    ax = axes_or_new(ax)
    if isinstance(weights, pd.Series):
        if labels is None:
            labels = _time_labels(weights.index)
        weights = weights.to_numpy()
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1:
        raise ValueError(f"weights must be 1-D (n_timesteps,), got shape {weights.shape}")
    n_steps = len(weights)
    # Same x positions as plot_gate_heatmap (step k at x = k), so the panels line up.
    ax.bar(np.arange(n_steps), weights, width=0.8, color=color)
    ax.set_xlim(-0.5, n_steps - 0.5)
    every = max(1, n_steps // 24)
    ticks = np.arange(0, n_steps, every)
    ax.set_xticks(ticks)
    if labels is not None:
        ax.set_xticklabels([labels[k] for k in ticks.tolist()], fontsize=7)
    ax.set_ylabel("attention weight")
    ax.set_ylim(0, max(float(weights.max()) * 1.1, 1e-12))
    ax.set_title(title if title is not None else "attention weights")
    ax.grid(alpha=0.3, axis="y")
    return ax


_WINDOW_GATES = {"gru": ("z", "update gate z", 0.0), "lstm": ("f", "forget gate f", 0.0),
                 "rnn": ("h", "hidden state h", -1.0)}


def plot_window(estimator: GRURegressor | LSTMRegressor | RNNRegressor, X: ArrayLike, *,
                sample: int = 0,
                gate: str | None = None, layer: int = 0,
                index: ArrayLike | None = None) -> Figure:
    """One window's gate heat map and, for an attention network, its attention weights below.

    Parameters
    ----------
    estimator : fitted GRURegressor, LSTMRegressor or RNNRegressor
    X : array-like (n_samples, n_timesteps[, n_features])
        As for ``estimator.predict``.
    sample : int, default 0
        The window to draw.
    gate : str, optional
        The gate of :func:`~gatedts.analysis.diagnostics.gate_traces` to draw;
        default the GRU update gate ``z``, the LSTM forget gate ``f``, the
        RNN's ``h``.
    layer : int, default 0
    index : array-like of length n_timesteps, optional
        Labels of the time steps (e.g. the window's dates).

    Returns
    -------
    matplotlib.figure.Figure
        The heat map (units × steps) on top; with ``head="attention"`` a bar
        chart of the attention weights under it, on the same steps.
    """
    from .diagnostics import attention_weights, gate_traces

    Figure = require_matplotlib()
    cell = cell_name(estimator)
    default, label, vmin = _WINDOW_GATES[cell]
    gate = gate or default
    label = label if gate == default else f"gate {gate}"
    traces = gate_traces(estimator, X, sample=sample, index=index)
    names = traces.columns.get_level_values("name")
    mask = (traces.columns.get_level_values("layer") == layer) & (names == gate)
    if not mask.any():
        raise KeyError(f"no gate {gate!r} in layer {layer}; the traces hold "
                       f"{sorted(set(names))}")
    frame = traces.loc[:, mask]
    frame.columns = frame.columns.get_level_values("unit")
    attention = getattr(estimator, "head", "last") == "attention"
    fig = Figure(figsize=(10, 5.2 if attention else 3.0), layout="constrained")
    grid = fig.add_gridspec(2 if attention else 1, 1)
    top = fig.add_subplot(grid[0])
    plot_gate_heatmap(frame, ax=top, vmin=vmin if gate != "c" else None,
                      vmax=1.0 if gate != "c" else None,
                      title=f"{cell.upper()} {label} (layer {layer}), window {sample}")
    if attention:
        weights = attention_weights(estimator, X, sample=sample, index=index)
        plot_attention(weights, ax=fig.add_subplot(grid[1], sharex=top),
                       title="attention weights over the same window")
    return fig


def cell_name(estimator) -> str:
    """"gru", "lstm" or "rnn": the cell of a recurrent regressor."""
    for name, cls in ESTIMATORS.items():
        if isinstance(estimator, cls):
            return name
    raise TypeError(f"a GRU, LSTM or RNN regressor was expected, got {type(estimator).__name__}")
