"""gatedts.forecasting.plotting and Forecaster.plot: what a reader of the figures needs to see.

Labelled axes, the coverage of every shaded interval in the legend, and a
line style of its own for every model of a comparison.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from gatedts import Forecaster, GRURegressor, backtest
from gatedts.analysis import compare
from gatedts.datasets import load_airline
from gatedts.forecasting import plotting
from gatedts.forecasting.plotting import line_style, plot_backtest, plot_forecast, plot_forecaster

pytest.importorskip("matplotlib")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def fitted():
    return Forecaster(GRURegressor(hidden_size=2, max_iter=2, random_state=0), horizon=6).fit(
        load_airline())


def test_forecast_plot_labels_axes_and_coverage(fitted):
    y = load_airline()
    ax = plot_forecast(y, fitted.predict_interval(coverage=0.8), coverage=0.8)
    assert "80% prediction interval" in legend(ax)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "passengers")
    unnamed = plot_forecast(y.rename(None).rename_axis(None), fitted.predict())
    assert (unnamed.get_xlabel(), unnamed.get_ylabel()) == ("time", "value")


def test_plot_forecaster(fitted):
    ax = plot_forecaster(fitted, coverage=0.9)
    assert legend(ax) == ["observed", "90% prediction interval", "GRURegressor forecast"]
    assert ax.get_title() == "passengers: GRURegressor forecast, 6 steps"
    assert len(ax.lines[0].get_xdata()) == 60  # ten horizons of history
    point_only = plot_forecaster(fitted, coverage=None, horizon=3, history=24)
    assert legend(point_only) == ["observed", "GRURegressor forecast"]
    assert len(point_only.lines[1].get_xdata()) == 4  # joined to the last observation


def test_forecaster_plot(fitted):
    from matplotlib.axes import Axes

    ax = fitted.plot()
    assert isinstance(ax, Axes)
    assert legend(ax) == ["observed", "90% prediction interval", "GRURegressor forecast"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "passengers")
    assert len(ax.collections) == 1  # the shaded interval
    assert ax.get_title() == "passengers: GRURegressor forecast, 6 steps"


def test_forecaster_plot_options(fitted):
    from matplotlib.figure import Figure

    mine = Figure().subplots()
    ax = fitted.plot(coverage=0.8, horizon=3, ax=mine, history=24, title="airline")
    assert ax is mine
    assert "80% prediction interval" in legend(ax)
    assert ax.get_title() == "airline"
    observed, forecast = ax.lines
    assert len(observed.get_xdata()) == 24 and len(forecast.get_xdata()) == 4
    point_only = fitted.plot(coverage=None)
    assert legend(point_only) == ["observed", "GRURegressor forecast"]
    assert not point_only.collections


def test_forecaster_plot_before_fit_says_so():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster(horizon=3).plot()


def test_the_forecast_plots_are_importable_from_analysis_too():
    from gatedts.analysis import plotting as old

    for name in plotting.__all__:
        assert getattr(old, name) is getattr(plotting, name)


def test_backtest_plot_shows_the_band_in_the_legend():
    y = load_airline()
    result = backtest(Forecaster(GRURegressor(hidden_size=2, max_iter=2, random_state=0),
                                 horizon=6), y, initial=len(y) - 12, coverage=0.9)
    ax = plot_backtest(result, y)
    assert legend(ax) == ["observed", "GRURegressor", "90% prediction interval",
                          "seasonal naive"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "passengers")


def test_every_model_gets_its_own_line_style():
    styles = [line_style(k) for k in range(5)]
    for key in ("color", "ls", "marker"):
        values = [str(style[key]) for style in styles]
        assert len(set(values)) == len(values), key


def test_comparison_figure_lines_are_told_apart():
    y = load_airline()
    table = compare.compare_cells_on_series(y, cells=("rnn", "gru", "lstm"), horizon=6,
                                            fast=True)
    ax = compare.comparison_figure(y, table).axes[0]
    models = {line.get_label().split()[0]: line for line in ax.lines
              if line.get_label().split()[0] in ("RNN", "GRU", "LSTM")}
    assert len(models) == 3
    looks = {(line.get_linestyle(), line.get_marker()) for line in models.values()}
    assert len(looks) == 3
    assert np.all([line.get_marker() not in (None, "None", "") for line in models.values()])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "passengers")
