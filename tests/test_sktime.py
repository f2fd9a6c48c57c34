"""gatedts.integrations.sktime: the Forecaster as a native sktime forecaster.

Skipped without sktime (the ``sktime`` extra cannot be installed next to the
pandas of the main test environment; see pyproject.toml).

* sktime's own ``check_estimator`` passes on every ``get_test_params`` set;
* through the adapter, a forecast, its intervals and its quantiles are the
  Forecaster's own, to the bit, for PeriodIndex, DatetimeIndex and RangeIndex
  series, with relative or absolute horizons;
* exogenous columns: past covariates by default, future-known ones read
  from ``X`` in ``predict``;
* ``update`` refits, or without ``update_params`` forecasts from the longer
  series with the same network, as ``backtest(refit=False)`` does;
* in-sample horizons and bad input are refused with errors that say why;
* the README's sktime snippet runs.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge

from gatedts import Forecaster, GRURegressor, backtest
from gatedts.datasets import load_airline

pytest.importorskip("sktime")

from sktime.forecasting.base import ForecastingHorizon
from sktime.utils.estimator_checks import check_estimator

from gatedts.integrations.sktime import GatedtsForecaster

README = Path(__file__).resolve().parents[1] / "README.md"
RIDGE = Forecaster(Ridge(), window=12)

# sktime 1.2 announces a change of its default remember_data at the construction of each
# of its forecasters that leaves it on (its grid search; GatedtsForecaster declares it).
pytestmark = pytest.mark.filterwarnings("ignore:The default of config:FutureWarning")


def _reference(template, horizon, y=None, exog=None):
    """The Forecaster the adapter should have fitted (unfitted without ``y``)."""
    forecaster = clone(template).set_params(horizon=horizon)
    return forecaster if y is None else forecaster.fit(y, exog)


def assert_same_forecast(pred, expected):
    """Values to the bit, the same time labels and series name (sktime drops the index's)."""
    np.testing.assert_array_equal(pred.to_numpy(), expected.to_numpy())
    assert pred.index.equals(expected.index) and pred.name == expected.name


def test_sktime_check_estimator_passes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(GatedtsForecaster, raise_exceptions=True, verbose=False)
    assert results and set(results.values()) == {"PASSED"}


def test_the_adapter_fits_and_forecasts_without_a_warning():
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        y = _series("period")
        model = GatedtsForecaster(RIDGE).fit(y[:-1], fh=range(1, 13))
        model.update(y[-1:], update_params=False)
        model.predict()
    assert [str(r.message) for r in records] == []  # no FutureWarning of sktime 1.2 either
    assert model.get_config()["remember_data"] is False  # the adapter keeps the series


# 3 epochs, on purpose
@pytest.mark.filterwarnings("ignore::gatedts.estimators.MaxIterReachedWarning")
def test_airline_forecast_intervals_and_quantiles_are_the_forecasters():
    y = load_airline()
    template = Forecaster(GRURegressor(hidden_size=4, max_iter=3, scaling=None,
                                       random_state=0), random_state=0)
    model = GatedtsForecaster(template).fit(y, fh=np.arange(1, 13))
    reference = _reference(template, 12, y)
    assert model.forecaster_.horizon == 12 and model.forecaster_ is not template
    assert_same_forecast(model.predict(), reference.predict())

    intervals = model.predict_interval(coverage=[0.8, 0.9])
    assert list(intervals.columns) == [("passengers", c, end) for c in (0.8, 0.9)
                                       for end in ("lower", "upper")]
    for coverage in (0.8, 0.9):
        expected = reference.predict_interval(coverage)
        np.testing.assert_array_equal(intervals["passengers", coverage, "lower"],
                                      expected["lower"])
        np.testing.assert_array_equal(intervals["passengers", coverage, "upper"],
                                      expected["upper"])

    # Quantiles alpha and 1 - alpha: the ends of the interval of coverage 1 - 2 alpha.
    quantiles = model.predict_quantiles(alpha=[0.05, 0.5, 0.95])
    assert list(quantiles.columns) == [("passengers", a) for a in (0.05, 0.5, 0.95)]
    expected = reference.predict_interval(0.9)
    np.testing.assert_array_equal(quantiles["passengers", 0.05], expected["lower"])
    np.testing.assert_array_equal(quantiles["passengers", 0.5], expected["forecast"])
    np.testing.assert_array_equal(quantiles["passengers", 0.95], expected["upper"])


def _series(kind):
    values = load_airline().to_numpy()
    if kind == "period":
        return pd.Series(values, index=pd.period_range("1949-01", periods=144, freq="M"))
    if kind == "datetime":
        return pd.Series(values, index=pd.date_range("1949-01-01", periods=144, freq="MS"))
    return pd.Series(values)


@pytest.mark.parametrize("kind", ["period", "datetime", "range"])
def test_absolute_and_relative_horizons_pick_the_forecasters_steps(kind):
    y = _series(kind)
    reference = _reference(RIDGE, 7, y).predict()  # every step up to the last asked for
    relative = GatedtsForecaster(RIDGE).fit(y, fh=[2, 5, 7]).predict()
    absolute_fh = ForecastingHorizon(reference.index[[1, 4, 6]], is_relative=False)
    absolute = GatedtsForecaster(RIDGE).fit(y, fh=absolute_fh).predict()
    for pred in (relative, absolute):
        assert_same_forecast(pred, reference.iloc[[1, 4, 6]])


def test_in_sample_horizons_are_refused():
    y = _series("period")
    with pytest.raises(NotImplementedError, match="in-sample"):
        GatedtsForecaster(RIDGE).fit(y, fh=[-1, 0, 1])


def _with_exog():
    y = _series("datetime")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"driver": rng.normal(size=len(y)), "promo": rng.integers(0, 2, len(y))},
                     index=y.index).astype(float)
    return y + 20.0 * X["promo"], X


def test_exogenous_columns_are_past_covariates_by_default():
    y, X = _with_exog()
    model = GatedtsForecaster(RIDGE).fit(y[:-6], X[:-6], fh=range(1, 7))
    expected = _reference(RIDGE, 6, y[:-6], X[:-6]).predict()
    assert_same_forecast(model.predict(), expected)
    assert_same_forecast(model.predict(X=X[-6:]), expected)  # future X unused


def test_future_known_columns_are_read_from_X_in_predict():
    y, X = _with_exog()
    template = clone(RIDGE).set_params(future_exog=["promo"])
    model = GatedtsForecaster(template).fit(y[:-6], X[:-6], fh=[3, 6])
    assert not model.get_tag("capability:non_contiguous_X")
    expected = _reference(template, 6, y[:-6], X[:-6]).predict(exog_future=X[-6:])
    assert_same_forecast(model.predict(X=X[-6:]), expected.iloc[[2, 5]])
    with pytest.raises(ValueError, match=r"future-known .*pass X to predict"):
        model.predict()
    with pytest.raises(ValueError, match="X has no row for 1960-12-01"):
        model.predict(X=X[-6:-1])


def test_update_without_refit_forecasts_from_the_new_observations():
    y = _series("datetime")
    model = GatedtsForecaster(RIDGE).fit(y[:100], fh=range(1, 13))
    network = model.forecaster_
    model.update(y[100:120], update_params=False)
    assert model.forecaster_ is network and model.cutoff[0] == y.index[119]
    # backtest(refit=False): the model fitted at origin 100 forecasts from origin 120.
    result = backtest(_reference(RIDGE, 12), y[:132], initial=100, step=20, refit=False,
                      coverage=None)
    expected = result.forecasts.query("origin == @y.index[119]")
    np.testing.assert_array_equal(model.predict().to_numpy(), expected["forecast"])
    assert model.predict().index.equals(pd.DatetimeIndex(expected["time"]))


def test_update_with_refit_fits_on_everything_seen():
    y, X = _with_exog()
    model = GatedtsForecaster(RIDGE).fit(y[:100], X[:100], fh=range(1, 4))
    model.update(y[100:120], X[100:120])
    assert_same_forecast(model.predict(), _reference(RIDGE, 3, y[:120], X[:120]).predict())
    with pytest.raises(ValueError, match="fitted with exogenous X: pass X to update"):
        model.update(y[120:125], update_params=False)


def test_bad_input_gets_a_clear_error():
    y = _series("datetime")
    with pytest.raises(TypeError, match=r"gatedts Forecaster or None, got Ridge.*Forecaster\("):
        GatedtsForecaster(Ridge()).fit(y, fh=1)
    model = GatedtsForecaster(RIDGE).fit(y[:100], fh=1)
    with pytest.raises(ValueError, match="gap"):
        model.update(y[110:120], update_params=False)


def test_reproducibility_is_declared_from_the_seeds():
    for seeded in (Forecaster(random_state=0),
                   Forecaster(GRURegressor(random_state=0), random_state=0)):
        assert GatedtsForecaster(seeded).get_tag("property:randomness") == "deterministic"
    for unseeded in (None, Forecaster(), Forecaster(GRURegressor(), random_state=0)):
        assert GatedtsForecaster(unseeded).get_tag("property:randomness") == "stochastic"


def test_the_readme_snippet_runs():
    # README python blocks fenced ```py need sktime; tests/test_readme.py leaves them to us.
    snippets = re.findall(r"```py\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert snippets and any("GatedtsForecaster" in s for s in snippets)
    namespace = {}
    for code in snippets:
        exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.forecaster_.horizon == 12
    assert model.predict().index[0] == pd.Period("1961-01", freq="M")


def test_nested_parameters_tune_in_sktimes_grid_search():
    from sktime.forecasting.model_selection import ForecastingGridSearchCV
    from sktime.split import ExpandingWindowSplitter

    cv = ExpandingWindowSplitter(fh=range(1, 13), initial_window=96, step_length=12)
    search = ForecastingGridSearchCV(GatedtsForecaster(RIDGE), cv,
                                     param_grid={"forecaster__window": [12, 24]},
                                     backend=None)  # in this process: no workers to start
    search.fit(_series("period"), fh=range(1, 13))
    assert len(search.cv_results_) == 2
    best = search.best_params_["forecaster__window"]
    assert search.best_forecaster_.forecaster_.window_ == best
