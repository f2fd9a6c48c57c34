"""Bad input anywhere public fails early with an error that names the problem.

One table: (what is called, the exception, a pattern of its message). Forecaster
and command-line cases live in their own test modules next to the code.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from gatedts import GRURegressor, LSTMRegressor
from gatedts import datasets as D
from gatedts import functional as F
from gatedts.forecasting import baselines as B
from gatedts.forecasting import metrics as M
from gatedts.forecasting import preprocessing as P
from gatedts.forecasting import windows as W

PARAMS = F.init_params("gru", 1, 4)
SERIES = pd.Series(np.arange(30.0), index=pd.date_range("2020", periods=30, freq="D"))
X2 = np.zeros((10, 5))


def _fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GRURegressor(hidden_size=4, max_iter=1).fit(X2, X2[:, 0])


CASES = [
    # functional API
    ("functional: NaN in X", lambda: F.predict("gru", PARAMS, np.full((2, 3, 1), np.nan)),
     ValueError, r"X contains NaN or infinity, first at index \[0, 0, 0\]"),
    ("functional: inf in X", lambda: F.predict("gru", PARAMS, np.full((2, 3, 1), -np.inf)),
     ValueError, "X contains NaN or infinity"),
    ("functional: 2-D X", lambda: F.predict("gru", PARAMS, np.zeros((2, 3))),
     ValueError, r"X must be 3-D \(batch, time, features\), got shape \(2, 3\)"),
    ("functional: str X", lambda: F.predict("gru", PARAMS, np.full((2, 3, 1), "a")),
     TypeError, "X must be a real numeric array, got dtype <U1"),
    ("functional: complex X", lambda: F.predict("gru", PARAMS, np.zeros((2, 3, 1), complex)),
     TypeError, "got dtype complex128"),
    ("functional: feature count", lambda: F.predict("gru", PARAMS, np.zeros((2, 3, 2))),
     ValueError, "X has 2 feature.* parameters expect 1"),
    ("functional: empty X", lambda: F.predict("gru", PARAMS, np.zeros((0, 3, 1))),
     ValueError, r"X is empty: shape \(0, 3, 1\)"),
    ("functional: unknown cell", lambda: F.predict("gruu", PARAMS, np.zeros((2, 3, 1))),
     ValueError, "unknown cell 'gruu'; expected one of gru, lstm, rnn"),
    ("functional: missing key",
     lambda: F.predict("gru", {k: v for k, v in PARAMS.items() if k != "bias_hh_l0"},
                       np.zeros((2, 3, 1))),
     ValueError, "params is missing 'bias_hh_l0'"),
    ("functional: NaN weight",
     lambda: F.predict("gru", {**PARAMS, "weight_hh_l0": np.full((12, 4), np.nan, np.float32)},
                       np.zeros((2, 3, 1))),
     ValueError, "parameter 'weight_hh_l0' contains NaN"),
    # estimators
    ("estimator: NaN in X", lambda: GRURegressor().fit(np.full((4, 3), np.nan), np.zeros(4)),
     ValueError, "Input X contains NaN"),
    ("estimator: inf in y", lambda: GRURegressor().fit(np.zeros((4, 3)), np.full(4, np.inf)),
     ValueError, "Input y contains infinity"),
    ("estimator: 1-D X", lambda: GRURegressor().fit(np.zeros(4), np.zeros(4)),
     ValueError, "Expected 2D array, got 1D array"),
    ("estimator: 4-D X", lambda: GRURegressor().fit(np.zeros((4, 3, 1, 1)), np.zeros(4)),
     ValueError, r"X must be 2-D \(n_samples, n_columns\) or 3-D"),
    ("estimator: empty X", lambda: GRURegressor().fit(np.zeros((0, 3)), np.zeros(0)),
     ValueError, "Found array with 0 sample"),
    ("estimator: str X", lambda: GRURegressor().fit(np.full((4, 3), "a"), np.zeros(4)),
     ValueError, "could not convert string to float"),
    ("estimator: complex X", lambda: GRURegressor().fit(np.zeros((4, 3), complex), np.zeros(4)),
     ValueError, "Complex data not supported"),
    ("estimator: feature count at predict", lambda: _fitted().predict(np.zeros((2, 4))),
     ValueError, "X has 4 features, but GRURegressor is expecting 5"),
    ("estimator: per-step features at predict", lambda: _fitted().predict(np.zeros((2, 5, 2))),
     ValueError, "X has 2 feature.* per time step, but GRURegressor was fitted with 1"),
    ("estimator: unfitted", lambda: LSTMRegressor().predict(X2),
     NotFittedError, "not fitted yet"),
    ("estimator: hidden_size 0", lambda: GRURegressor(hidden_size=0).fit(X2, X2[:, 0]),
     ValueError, "hidden_size must be an integer >= 1 or a non-empty sequence of integers >= 1, "
                 "got 0"),
    ("estimator: negative learning rate",
     lambda: GRURegressor(learning_rate_init=-1).fit(X2, X2[:, 0]),
     ValueError, "learning_rate_init must be a number > 0.0, got -1"),
    ("estimator: NaN forget_bias",
     lambda: LSTMRegressor(forget_bias=np.nan).fit(X2, X2[:, 0]),
     ValueError, "forget_bias must be a finite number, got nan"),
    ("estimator: batch_size 'big'", lambda: GRURegressor(batch_size="big").fit(X2, X2[:, 0]),
     ValueError, "batch_size must be an integer >= 1 or 'auto', got 'big'"),
    # windows
    ("windows: series too short", lambda: W.make_windows(np.arange(5.0), 4, 2),
     ValueError, r"y has 5 observations, fewer than window \+ horizon = 4 \+ 2 = 6"),
    ("windows: NaN", lambda: W.make_windows(np.array([1, np.nan, 3, 4, 5.0]), 2),
     ValueError, "y contains NaN at position 1"),
    ("windows: unsorted timestamps", lambda: W.make_windows(SERIES.iloc[::-1], 3),
     ValueError, "y index is not monotonic increasing"),
    ("windows: duplicated timestamps",
     lambda: W.make_windows(pd.concat([SERIES.iloc[:3], SERIES.iloc[2:5]]), 2),
     ValueError, "y index has a duplicated label 2020-01-03"),
    ("windows: window 0", lambda: W.make_windows(SERIES, 0),
     ValueError, "window must be a positive integer, got 0"),
    ("windows: negative horizon", lambda: W.make_windows(SERIES, 3, -1),
     ValueError, "horizon must be a positive integer, got -1"),
    ("windows: exog length", lambda: W.make_windows(np.arange(10.0), 3, exog=np.zeros((9, 1))),
     ValueError, "exog has 9 rows but y has 10 observations"),
    ("windows: 2-D y", lambda: W.make_windows(np.zeros((10, 2)), 3),
     ValueError, r"y must be 1-D, got shape \(10, 2\)"),
    ("windows: gaps without a frequency",
     lambda: W.future_index(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-05"]), 2),
     ValueError, "cannot determine the frequency of the DatetimeIndex"),
    # transforms, metrics, baselines, datasets
    ("scaler: NaN", lambda: P.StandardScaler().fit(np.array([1.0, np.nan])),
     ValueError, "X contains NaN at position 1"),
    ("log: non-positive value", lambda: P.LogTransform().fit(np.array([1.0, 0.0])),
     ValueError, "LogTransform needs x \\+ offset > 0"),
    ("unknown scaler", lambda: P.make_scaler("robust"),
     ValueError, "unknown scaler 'robust'"),
    ("metrics: shapes", lambda: M.mae(np.zeros(3), np.zeros(4)),
     ValueError, r"same shape, got \(3,\) and \(4,\)"),
    ("metrics: MAPE with a zero", lambda: M.mape(np.zeros(3), np.ones(3)),
     ValueError, "mape is undefined: y_true contains zero at position 0"),
    ("metrics: MASE training too short",
     lambda: M.mase(np.ones(3), np.ones(3), np.ones(2), seasonal_period=12),
     ValueError, "y_train has 2 observations"),
    ("datasets: unknown name", lambda: D.load_dataset("airplane"),
     ValueError, "unknown dataset 'airplane'; available datasets: airline"),
    ("seasonal naive: shorter than a season", lambda: B.SeasonalNaive(12).fit(np.arange(5.0)),
     ValueError, "shorter than one season"),
]


@pytest.mark.parametrize(("call", "error", "message"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_raises_a_named_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
