"""gatedts regressors inside skforecast, mlforecast, darts and sktime, next to Ridge.

Each framework's own recursive call with 12 lags on the airline series (the
last 12 months held out), once with ``Ridge()`` and once with
``GRURegressor(lag_order=...)`` set for the framework's column layout (the
table of ``docs/user_guide/frameworks.md``), and once with ``scaling=None``
(the behaviour before the estimators standardised inside). ``tests/test_ecosystem.py`` runs the same
recipes. Frameworks that are not installed are skipped::

    python benchmarks/ecosystem.py
"""

import importlib.util
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from gatedts import GRURegressor
from gatedts.datasets import load_airline

HORIZON = LAGS = 12


def skforecast_forecast(regressor, train, horizon):
    from skforecast.recursive import ForecasterRecursive

    forecaster = ForecasterRecursive(estimator=regressor, lags=LAGS)
    forecaster.fit(y=train)
    return forecaster.predict(steps=horizon).to_numpy()


def mlforecast_forecast(regressor, train, horizon):
    from mlforecast import MLForecast

    df = pd.DataFrame({"unique_id": "airline", "ds": train.index, "y": train.to_numpy()})
    forecaster = MLForecast(models={"model": regressor}, freq="MS",
                            lags=list(range(1, LAGS + 1)))
    forecaster.fit(df)
    return forecaster.predict(horizon)["model"].to_numpy()


def darts_forecast(regressor, train, horizon):
    from darts import TimeSeries
    from darts.models import SKLearnModel

    model = SKLearnModel(lags=LAGS, model=regressor)
    model.fit(TimeSeries.from_series(train))
    return model.predict(horizon).values()[:, 0]


def sktime_forecast(regressor, train, horizon):
    from sktime.forecasting.compose import make_reduction

    forecaster = make_reduction(regressor, window_length=LAGS, strategy="recursive")
    forecaster.fit(train)
    return forecaster.predict(fh=np.arange(1, horizon + 1)).to_numpy()


# framework -> (module to import, recipe, lag_order of its layout, the call)
RECIPES = {
    "skforecast": ("skforecast", skforecast_forecast, "newest_first",
                   "ForecasterRecursive(estimator=model, lags=12)"),
    "mlforecast": ("mlforecast", mlforecast_forecast, "newest_first",
                   'MLForecast(models={"model": model}, freq="MS", lags=range(1, 13))'),
    "darts": ("darts", darts_forecast, "oldest_first", "SKLearnModel(lags=12, model=model)"),
    "sktime": ("sktime", sktime_forecast, "oldest_first",
               'make_reduction(model, window_length=12, strategy="recursive")'),
}


def airline_split():
    """The airline series as floats: all but the last 12 months, and those 12."""
    y = load_airline().astype(float)
    return y.iloc[:-HORIZON], y.iloc[-HORIZON:]


def mape(forecast, actual):
    return float(100 * np.mean(np.abs(np.asarray(forecast) - actual) / actual))


def run(framework, regressor):
    """(forecast, seconds) of ``regressor`` through ``framework``'s recipe on airline."""
    train, _ = airline_split()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and the frameworks' own notices
        forecast = RECIPES[framework][1](regressor, train, HORIZON)
    return np.asarray(forecast, dtype=float), time.perf_counter() - start


def main():
    _, test = airline_split()
    actual = test.to_numpy()
    print("| framework | call | time (GRU) | airline MAPE: GRU | GRU, scaling=None | Ridge |")
    print("|---|---|---|---|---|---|")
    for framework, (module, _, lag_order, call) in RECIPES.items():
        if importlib.util.find_spec(module) is None:
            print(f"| {framework} | not installed | | | | |")
            continue
        run(framework, GRURegressor(max_iter=1, lag_order=lag_order))  # imports, compilation
        gru, seconds = run(framework, GRURegressor(lag_order=lag_order, random_state=0))
        raw, _ = run(framework, GRURegressor(lag_order=lag_order, random_state=0,
                                             scaling=None))
        ridge, _ = run(framework, Ridge())
        print(f"| {framework} | `{call}` | {seconds:.1f} s | {mape(gru, actual):.2f}% | "
              f"{mape(raw, actual):.2f}% | {mape(ridge, actual):.2f}% |", flush=True)


if __name__ == "__main__":
    main()
