"""On a Dask cluster through joblib: same forecasts as serial, even when a worker dies.

A ``distributed.LocalCluster`` of two worker processes (one thread each,
loopback only) stands in for a real cluster; gatedts only sees joblib's
``parallel_config(backend="dask")``.
"""

import logging
import os
import signal

import joblib
import numba
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV

from gatedts import Forecaster, GRURegressor, forecast_many
from gatedts.forecasting.parallel import run_parallel

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(0)
    t = np.arange(48)
    return pd.concat([pd.DataFrame({
        "unique_id": f"s{k}", "ds": pd.date_range("2020-01-01", periods=48, freq="D"),
        "y": (10 + k) * (1 + 0.3 * np.sin(2 * np.pi * t / 7 + k)) + rng.normal(0, 0.3, 48)})
        for k in range(6)], ignore_index=True)


def forecaster(estimator=GRURegressor):
    return Forecaster(estimator(hidden_size=4, max_iter=4), window=14, horizon=3,
                      random_state=0)


def test_forecasts_on_dask_equal_serial_bit_for_bit(client, df):
    serial = forecast_many(df, forecaster())
    with joblib.parallel_config(backend="dask"):
        on_dask = forecast_many(df, forecaster())
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=True)


def test_a_killed_worker_is_replaced_and_the_results_are_complete(client, df, tmp_path):
    marker = tmp_path / "killed"

    class KillOnceGRU(GRURegressor):
        """A GRU whose first fit anywhere kills its worker process (SIGKILL)."""

        def fit(self, X, y):
            try:  # atomic: exactly one fit, in one worker, wins the marker
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return super().fit(X, y)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

    serial = forecast_many(df, forecaster())
    workers = set(client.scheduler_info()["workers"])
    with joblib.parallel_config(backend="dask"):
        on_dask = forecast_many(df, forecaster(KillOnceGRU))
    assert marker.exists() and int(marker.read_text()) != os.getpid()
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=True)
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != workers  # one was restarted


def test_grid_search_over_gatedts_estimators_on_dask(client):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 8, 2))
    y = X[:, -1, 0] - 0.5 * X[:, -2, 1] + 0.1 * rng.standard_normal(64)
    grid = {"hidden_size": [2, 4], "alpha": [1e-4, 1e-2]}
    search = GridSearchCV(GRURegressor(max_iter=3, random_state=0), grid, cv=2)
    serial = search.fit(X, y).cv_results_
    with joblib.parallel_config(backend="dask"):
        on_dask = GridSearchCV(GRURegressor(max_iter=3, random_state=0), grid, cv=2,
                               n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  serial["mean_test_score"])
    np.testing.assert_array_equal(on_dask.predict(X), search.predict(X))


def test_fitted_models_travel_to_workers_and_predict_the_same(client, df):
    y = df[df["unique_id"] == "s0"].set_index("ds")["y"].asfreq("D")
    model = forecaster().fit(y)
    remote = client.submit(lambda m: m.predict(), model).result()
    pd.testing.assert_series_equal(remote, model.predict(), check_exact=True)


def _threads():
    return numba.get_num_threads()


def test_tasks_run_with_one_numba_thread_on_workers(client):
    with joblib.parallel_config(backend="dask"):
        assert run_parallel(_threads, [()] * 4) == [1] * 4
