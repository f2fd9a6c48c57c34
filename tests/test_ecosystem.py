"""gatedts regressors inside skforecast, mlforecast, darts and sktime (each skipped if absent).

* The rows each framework hands its regressor, with lags, exogenous, static and
  date columns, are read as the sequences they stand for: by default (the
  layout read from the column names or values, ``gatedts.lag_columns``) and
  with the README's explicit settings alike; darts' lagged covariates of any
  number of components too.
* The recipes of ``benchmarks/ecosystem.py`` (each framework's own call on
  airline): a default ``GRURegressor`` forecasts exactly as on gatedts' own
  windows, close to Ridge; a declared layout the names contradict is refused.
  A default ``GRURegressor`` inside each framework's fit warns nothing.
* mlforecast's ``lags=[1, 4]`` warns that the lags skip steps.
* skforecast's ``weight_func`` reaches ``sample_weight``.
"""

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import LAYOUT_PRESETS
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from gatedts import GRURegressor
from gatedts.lag_columns import LagGapWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import ecosystem  # benchmarks/ecosystem.py: the recipes

N_OBS, P = 30, 3
TIMES = np.arange(N_OBS)
SERIES, EXOG = 10.0 * TIMES, 1000.0 + TIMES  # values that tell their time step


class Capture(RegressorMixin, BaseEstimator):
    """Keeps the X and sample_weight a framework fits it with; predicts zeros."""

    def fit(self, X, y, sample_weight=None):
        type(self).seen = (X, np.asarray(y), sample_weight)
        return self

    def predict(self, X):
        return np.zeros(len(X))


def _captured(framework, n_components=1):
    """The rows ``framework`` fits its regressor with: lags of SERIES plus covariates,
    ``n_components`` columns EXOG, EXOG + 1000, ..."""
    pytest.importorskip(ecosystem.RECIPES[framework][0])
    index = pd.date_range("2000-01-01", periods=N_OBS, freq="MS")
    y = pd.Series(SERIES, index=index, name="y")
    exog = pd.DataFrame({f"ex{i or ''}": EXOG + 1000.0 * i for i in range(n_components)},
                        index=index)  # "ex" (the name LAYOUT_PRESETS knows), "ex1", ...
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if framework == "skforecast":
            from skforecast.recursive import ForecasterRecursive
            ForecasterRecursive(estimator=Capture(), lags=P).fit(y=y, exog=exog)
        elif framework == "mlforecast":
            from mlforecast import MLForecast
            df = pd.DataFrame({"unique_id": "a", "ds": index, "y": SERIES, **exog, "st": 7.0})
            MLForecast(models=[Capture()], freq="MS", lags=list(range(1, P + 1)),
                       date_features=["month"]).fit(df, static_features=["st"])
        elif framework == "darts":
            from darts import TimeSeries
            from darts.models import SKLearnModel
            SKLearnModel(lags=P, lags_past_covariates=P, model=Capture()).fit(
                TimeSeries.from_series(y), past_covariates=TimeSeries.from_dataframe(exog))
        else:
            from sktime.forecasting.compose import make_reduction
            make_reduction(Capture(), window_length=P, strategy="recursive").fit(y, X=exog)
    return Capture.seen


def _expected_sequences(framework, y, n_components=1):
    """The sequences the rows of ``_captured(framework, n_components)`` stand for."""
    t = (y / 10.0).astype(int)  # the target's time step
    steps = t[:, None] + np.arange(-P, 0)  # the P steps before it, oldest first
    covariates = [EXOG + 1000.0 * i for i in range(n_components)]
    if framework in ("skforecast", "mlforecast"):  # covariates at the target time
        static = [c[t] for c in covariates] + ([np.full(len(t), 7.0), (t % 12) + 1.0]
                                               if framework == "mlforecast" else [])
        return np.concatenate([SERIES[steps][:, :, None],
                               np.repeat(np.stack(static, axis=1)[:, None], P, 1)], axis=2)
    return np.stack([SERIES[steps]] + [c[steps] for c in covariates], axis=2)


def _network_input(X, y, **layout):
    """What a GRURegressor with ``layout`` fitted on (X, y) feeds its network."""
    model = GRURegressor(hidden_size=2, max_iter=1, random_state=0, scaling=None,
                         dtype="float64", **layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.network_input(X)


@pytest.mark.parametrize("framework", list(LAYOUT_PRESETS))
def test_each_frameworks_rows_are_read_as_sequences_by_default_and_with_the_settings(framework):
    X, y, _ = _captured(framework)
    expected = _expected_sequences(framework, y)
    np.testing.assert_array_equal(_network_input(X, y), expected)
    np.testing.assert_array_equal(_network_input(X, y, **LAYOUT_PRESETS[framework]), expected)


@pytest.mark.parametrize("framework", list(LAYOUT_PRESETS))
def test_covariates_of_three_components_are_read_by_default(framework):
    X, y, _ = _captured(framework, n_components=3)
    np.testing.assert_array_equal(_network_input(X, y), _expected_sequences(framework, y, 3))


def test_darts_forecasts_with_a_three_component_covariate():
    pytest.importorskip("darts")
    from darts import TimeSeries
    from darts.models import SKLearnModel

    train, _ = ecosystem.airline_split()
    rng = np.random.default_rng(0)
    covariates = pd.DataFrame(rng.normal(size=(len(train) + 12, 3)), columns=["a", "b", "c"],
                              index=pd.date_range(train.index[0], periods=len(train) + 12,
                                                  freq="MS"))
    model = SKLearnModel(lags=12, lags_past_covariates=12,
                         model=GRURegressor(max_iter=3, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(TimeSeries.from_series(train),
                  past_covariates=TimeSeries.from_dataframe(covariates))
    forecast = model.predict(3).values()[:, 0]
    assert model.model.column_layout_.shape == (12, 4)  # the target and a, b, c per step
    assert np.isfinite(forecast).all() and forecast.shape == (3,)


def test_mlforecast_lags_with_a_gap_warn():
    pytest.importorskip("mlforecast")
    from mlforecast import MLForecast

    train, _ = ecosystem.airline_split()
    df = pd.DataFrame({"unique_id": "airline", "ds": train.index, "y": train.to_numpy()})
    forecaster = MLForecast(models={"gru": GRURegressor(max_iter=2, random_state=0)},
                            freq="MS", lags=[1, 4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(LagGapWarning, match=r"lags are \[1, 4\].*2 consecutive steps"):
            forecaster.fit(df)


def _own_forecast(regressor):
    """The recursive forecast of ``regressor`` fitted on gatedts' own airline windows."""
    train, _ = ecosystem.airline_split()
    values = train.to_numpy()
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], ecosystem.LAGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        regressor.fit(X, values[ecosystem.LAGS:])
    history = list(values)
    for _ in range(ecosystem.HORIZON):
        history.append(regressor.predict(np.array(history[-ecosystem.LAGS:])[None])[0])
    return np.array(history[-ecosystem.HORIZON:])


@pytest.fixture(scope="module")
def own_forecast():
    return _own_forecast(GRURegressor(random_state=0))


def _frameworks_own_notice(record, framework):
    """A FutureWarning of the framework's own code (sktime 1.2 announces a default change
    at the construction of each of its forecasters, make_reduction's too)."""
    package = f"{framework}{os.sep}"
    return issubclass(record.category, FutureWarning) and package in record.filename


@pytest.mark.parametrize("framework", list(ecosystem.RECIPES))
def test_each_frameworks_recipe_forecasts_airline_like_gatedts_own_windows(framework,
                                                                         own_forecast):
    module, recipe, _, _ = ecosystem.RECIPES[framework]
    pytest.importorskip(module)
    train, test = ecosystem.airline_split()
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        forecast = recipe(GRURegressor(random_state=0), train, ecosystem.HORIZON)  # defaults
    # Quiet: no warning at the defaults (the epoch budget of max_iter="auto" is its own).
    assert [str(r.message) for r in records
            if not _frameworks_own_notice(r, framework)] == []
    np.testing.assert_allclose(forecast, own_forecast, rtol=1e-9)
    ridge, _ = ecosystem.run(framework, Ridge())
    gru_mape, ridge_mape = ecosystem.mape(forecast, test), ecosystem.mape(ridge, test)
    assert gru_mape < 5 and ridge_mape < 5, (gru_mape, ridge_mape)


def test_a_declared_layout_that_the_column_names_contradict_is_refused():
    X, y, _ = _captured("mlforecast")  # ex, st, lag1, lag2, lag3, month
    with pytest.raises(ValueError, match=r"mlforecast column names.*lags \[1, 2, 3\]"):
        _network_input(X, y, static_features=["ex", "st"])  # month is no time step


def test_skforecast_weight_func_reaches_sample_weight():
    pytest.importorskip("skforecast")
    from skforecast.recursive import ForecasterRecursive

    train, _ = ecosystem.airline_split()

    def before_1955_is_ignored(index):
        return np.where(index < "1955-01-01", 0.0, 1.0)

    model = GRURegressor(max_iter=2, random_state=0)
    forecaster = ForecasterRecursive(estimator=model, lags=12, weight_func=before_1955_is_ignored)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecaster.fit(y=train)
    fitted = forecaster.estimator
    assert fitted.t_ == 2 * np.sum(train.index[12:] >= "1955-01-01")  # only weighted rows
