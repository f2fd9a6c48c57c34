"""gatedts regressors inside skforecast, mlforecast, darts and sktime (each skipped if absent).

* The rows each framework hands its regressor, with lags, exogenous, static and
  date columns, read with the README's layout settings, are the sequences they
  stand for.
* The recipes of ``benchmarks/ecosystem.py`` (each framework's own call on
  airline): with its ``lag_order`` the GRU forecasts exactly as on gatedts' own
  windows, close to Ridge; a wrong ``lag_order`` changes the forecast.
* skforecast's ``weight_func`` reaches ``sample_weight``.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import LAYOUT_PRESETS
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge

from gatedts import GRURegressor

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


def _captured(framework):
    """The rows ``framework`` fits its regressor with: lags of SERIES plus covariates."""
    pytest.importorskip(ecosystem.RECIPES[framework][0])
    index = pd.date_range("2000-01-01", periods=N_OBS, freq="MS")
    y = pd.Series(SERIES, index=index, name="y")
    exog = pd.DataFrame({"ex": EXOG}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if framework == "skforecast":
            from skforecast.recursive import ForecasterRecursive
            ForecasterRecursive(estimator=Capture(), lags=P).fit(y=y, exog=exog)
        elif framework == "mlforecast":
            from mlforecast import MLForecast
            df = pd.DataFrame({"unique_id": "a", "ds": index, "y": SERIES, "ex": EXOG,
                               "st": 7.0})
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


@pytest.mark.parametrize("framework", list(LAYOUT_PRESETS))
def test_the_readme_settings_read_each_frameworks_rows_as_sequences(framework):
    X, y, _ = _captured(framework)
    t = (y / 10.0).astype(int)  # the target's time step
    steps = t[:, None] + np.arange(-P, 0)  # the P steps before it, oldest first
    if framework in ("skforecast", "mlforecast"):  # covariates at the target time
        static = [EXOG[t]] + ([np.full(len(t), 7.0), (t % 12) + 1.0]
                              if framework == "mlforecast" else [])
        expected = np.concatenate([SERIES[steps][:, :, None],
                                   np.repeat(np.stack(static, axis=1)[:, None], P, 1)], axis=2)
    else:  # the covariate's own window
        expected = np.stack([SERIES[steps], EXOG[steps]], axis=2)
    model = GRURegressor(hidden_size=2, max_iter=1, random_state=0, scaling=None,
                         dtype="float64", **LAYOUT_PRESETS[framework])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    np.testing.assert_array_equal(model.network_input(X), expected)  # what the network sees


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


@pytest.mark.parametrize("framework", list(ecosystem.RECIPES))
def test_each_frameworks_recipe_forecasts_airline_like_gatedts_own_windows(framework,
                                                                         own_forecast):
    module, _, lag_order, _ = ecosystem.RECIPES[framework]
    pytest.importorskip(module)
    _, test = ecosystem.airline_split()
    forecast, _ = ecosystem.run(framework, GRURegressor(lag_order=lag_order, random_state=0))
    np.testing.assert_allclose(forecast, own_forecast, rtol=1e-9)
    ridge, _ = ecosystem.run(framework, Ridge())
    gru_mape, ridge_mape = ecosystem.mape(forecast, test), ecosystem.mape(ridge, test)
    assert gru_mape < 5 and ridge_mape < 5, (gru_mape, ridge_mape)
    other = {"newest_first": "oldest_first", "oldest_first": "newest_first"}[lag_order]
    reversed_lags, _ = ecosystem.run(framework, GRURegressor(lag_order=other, random_state=0))
    assert not np.allclose(reversed_lags, own_forecast, rtol=1e-3)


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
