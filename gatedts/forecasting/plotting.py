"""Plots of forecasts and backtests (matplotlib, the ``plot`` extra).

:meth:`Forecaster.plot` draws with :func:`plot_forecaster`; the gate and
gradient plots of :mod:`gatedts.analysis.plotting` share the helpers here.
matplotlib is imported inside the functions, never with ``import gatedts``.
The figures are built with :class:`matplotlib.figure.Figure` rather than
pyplot, so they work headless (scripts, CI) without choosing a backend; pass
``ax`` to draw into a figure of your own (e.g. from ``plt.subplots()``).
"""

from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .backtesting import BacktestResult

__all__ = ["axes_or_new", "label_axes", "line_style", "plot_backtest", "plot_forecast",
           "plot_forecaster", "require_matplotlib", "save_figure"]

# Line styles of the models drawn on one axes: colour, dash and marker all differ, so a
# line stays visible where it runs on top of another (and in black and white).
_LINE_STYLES = (("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ((0, (5, 1, 1, 1)), "v"))


def require_matplotlib() -> type[Figure]:
    """Import matplotlib, or raise ImportError saying how to install it."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'gatedts[plot]' "
                          "(or pip install matplotlib)") from None
    return Figure


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (9, 4)) -> Axes:
    """``ax``, or the axes of a new matplotlib figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    Figure = require_matplotlib()
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def _x(index):
    return index.to_timestamp() if isinstance(index, pd.PeriodIndex) else index


def line_style(k: int) -> dict[str, Any]:
    """Keyword arguments of ``ax.plot`` for the ``k``-th model of a plot (colour ``Ck``).

    Every model gets its own colour, dash pattern and marker.
    """
    dashes, marker = _LINE_STYLES[k % len(_LINE_STYLES)]
    return {"color": f"C{k}", "ls": dashes, "marker": marker, "markersize": 4,
            "markevery": 1 + k % 2, "lw": 1.5}


def _interval_label(coverage):
    return "prediction interval" if coverage is None else f"{coverage:.0%} prediction interval"


def label_axes(ax: Axes, y: pd.Series) -> None:
    """Time across, the series (by name) up."""
    ax.set_xlabel(y.index.name or "time")
    ax.set_ylabel(y.name if y.name is not None else "value")


def plot_forecast(y: pd.Series, forecast: pd.Series | pd.DataFrame, *,
                  actual: pd.Series | None = None, history: int | None = None,
                  ax: Axes | None = None, title: str | None = None, label: str = "forecast",
                  coverage: float | None = None) -> Axes:
    """Plot a series, its forecast and (optionally) the prediction interval.

    Parameters
    ----------
    y : pandas.Series
        The observed series the forecast continues.
    forecast : pandas.Series or pandas.DataFrame
        :meth:`Forecaster.predict` output, or :meth:`Forecaster.predict_interval`
        output (columns ``forecast``, ``lower``, ``upper``: the interval is shaded).
    actual : pandas.Series, optional
        Held-out observations over the forecast period, drawn for comparison.
    history : int, optional
        Plot only the last ``history`` observations of ``y``.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made (``ax.figure``).
    title : str, optional
    label : str, default "forecast"
        Legend label of the forecast line.
    coverage : float, optional
        Nominal coverage of the interval, shown in the legend ("90% prediction
        interval").

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    shown = y if history is None else y.iloc[-history:]
    ax.plot(_x(shown.index), shown.to_numpy(), color="0.2", lw=1.2, label="observed")
    if isinstance(forecast, pd.DataFrame):
        point = forecast["forecast"]
        if {"lower", "upper"} <= set(forecast.columns):
            ax.fill_between(_x(forecast.index), forecast["lower"].to_numpy(),
                            forecast["upper"].to_numpy(), color="C0", alpha=0.2, lw=0,
                            label=_interval_label(coverage))
    else:
        point = forecast
    # Start the forecast line at the last observation so the two read as one path.
    joined = pd.concat([shown.iloc[-1:], point]) if len(shown) else point
    ax.plot(_x(joined.index), joined.to_numpy(), color="C0", lw=1.8, label=label)
    if actual is not None:
        ax.plot(_x(actual.index), actual.to_numpy(), color="C3", lw=1.2, ls="--",
                label="actual")
    ax.set_title(title if title is not None else (y.name or ""))
    label_axes(ax, y)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    return ax


def plot_forecaster(forecaster: BaseEstimator, coverage: float | None = 0.9,
                    horizon: int | None = None, exog_future: ArrayLike | None = None, *,
                    history: int | None = None, ax: Axes | None = None,
                    title: str | None = None) -> Axes:
    """Plot a fitted Forecaster's training series, forecast and prediction interval.

    Parameters
    ----------
    forecaster : fitted Forecaster
    coverage : float or None, default 0.9
        Coverage of the conformal interval (:meth:`Forecaster.predict_interval`);
        None draws the point forecast only.
    horizon, exog_future
        As in :meth:`Forecaster.predict`.
    history : int, optional
        Plot only the last ``history`` observations; by default ten horizons
        (at least 48 steps).
    ax : matplotlib Axes, optional
    title : str, optional
        Default: the model and the horizon.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if coverage is None:
        forecast = forecaster.predict(horizon, exog_future)
    else:
        forecast = forecaster.predict_interval(coverage, horizon, exog_future)
    y = pd.Series(forecaster.y_, index=forecaster.index_, name=forecaster.name_)
    if history is None:
        history = max(10 * len(forecast), 48)
    if title is None:
        title = f"{y.name or 'y'}: {forecaster.model_name} forecast, {len(forecast)} steps"
    return plot_forecast(y, forecast, history=history, ax=ax, title=title, coverage=coverage,
                         label=f"{forecaster.model_name} forecast")


def plot_backtest(result: BacktestResult, y: pd.Series, *, ax: Axes | None = None,
                  title: str | None = None, baseline: bool = True) -> Axes:
    """Plot the forecasts of every backtest origin over the observed series.

    Parameters
    ----------
    result : BacktestResult
    y : pandas.Series
        The series that was backtested.
    ax : matplotlib Axes, optional
    title : str, optional
    baseline : bool, default True
        Also draw the seasonal-naive forecasts (dotted).

    The intervals of every origin are shaded, labelled by their nominal
    coverage in the legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    frame = result.forecasts
    first = frame["origin"].iloc[0]
    start = max(0, y.index.get_loc(first) - 3 * int(frame["step"].max()))
    shown = y.iloc[start:]
    ax.plot(_x(shown.index), shown.to_numpy(), color="0.2", lw=1.2, label="observed")
    for k, (_, group) in enumerate(frame.groupby("origin", sort=False)):
        times = _x(pd.Index(group["time"]))
        ax.plot(times, group["forecast"].to_numpy(), color="C0", lw=1.5,
                label=result.metrics.index[0] if k == 0 else None)
        if group["lower"].notna().all():
            ax.fill_between(times, group["lower"].to_numpy(), group["upper"].to_numpy(),
                            color="C0", alpha=0.12, lw=0,
                            label=_interval_label(result.coverage_level) if k == 0 else None)
        if baseline:
            ax.plot(times, group["baseline"].to_numpy(), color="C1", lw=1, ls=":",
                    label="seasonal naive" if k == 0 else None)
    ax.set_title(title if title is not None else f"backtest: {y.name or ''}")
    label_axes(ax, y)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    return ax


def save_figure(ax: Axes | Figure, path: str | PathLike, dpi: float = 120) -> str | PathLike:
    """Save the figure holding ``ax`` (or a Figure) to ``path`` and return the path."""
    fig = cast("Figure", getattr(ax, "figure", ax))
    fig.savefig(path, dpi=dpi)
    return path
