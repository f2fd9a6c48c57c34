"""gatedts.lag_columns: a framework's lag layout, read from its column names or values.

The column lists are the ones skforecast 0.26, mlforecast 1.1, darts 0.48 and
sktime 1.2 produce (recorded from the frameworks; ``tests/test_ecosystem.py``
checks the same reading on their live output). For each, the layout puts
every (step, feature) at the column that holds it:

* the target's lags oldest first, a lagged covariate as a second feature
  (darts' components interleaved by lag, sktime's ``Lag`` by lag), every
  other column static;
* from values: a lag matrix of a series, in any column order, with
  covariates of several components; nothing read from non-consecutive rows
  or a constant or periodic target;
* gaps in the lags warn; duplicate lags and mixed conventions are refused;
  a declared layout the names contradict is refused.
"""

import warnings

import numpy as np
import pytest

from gatedts import GRURegressor
from gatedts.lag_columns import (
    LagGapWarning,
    layout_from_names,
    layout_from_values,
    read_layout,
)

# What each framework passes its regressor (3 lags, covariates "ex" and "ex2").
SKFORECAST = ["lag_1", "lag_2", "lag_3", "roll_mean_3", "ex", "ex2"]
SKFORECAST_MULTISERIES = ["lag_1", "lag_2", "lag_3", "_level_skforecast"]
MLFORECAST = ["ex", "st", "lag1", "lag2", "lag3", "rolling_mean_lag1_window_size3",
              "expanding_mean_lag1", "month"]
DARTS = ["y_target_lag-3", "y_target_lag-2", "y_target_lag-1", "ex_pastcov_lag-3",
         "ex2_pastcov_lag-3", "ex_pastcov_lag-2", "ex2_pastcov_lag-2", "ex_pastcov_lag-1",
         "ex2_pastcov_lag-1", "cal_futcov_lag0"]
SKTIME_GLOBAL = ["y_lag_1", "y_lag_2", "y_lag_3", "ex", "ex2"]
SKTIME_LAG = ["lag_1__y", "lag_1__ex", "lag_2__y", "lag_2__ex", "lag_3__y", "lag_3__ex"]


def _columns(names, layout):
    """The layout as names: ``[[name of step t, feature f] ...]``."""
    return [[names[c] for c in row] for row in layout.positions]


def test_skforecast_lags_newest_first_and_the_other_columns_static():
    layout = layout_from_names(SKFORECAST)
    assert layout.lags == (3, 2, 1) and layout.source == "skforecast column names"
    assert _columns(SKFORECAST, layout) == [
        [f"lag_{k}", "roll_mean_3", "ex", "ex2"] for k in (3, 2, 1)]
    assert layout.features == ("y", "roll_mean_3", "ex", "ex2")
    multiseries = layout_from_names(SKFORECAST_MULTISERIES)
    assert _columns(SKFORECAST_MULTISERIES, multiseries)[0] == ["lag_3", "_level_skforecast"]


def test_mlforecast_lag_transforms_and_date_features_are_static():
    layout = layout_from_names(MLFORECAST)
    assert _columns(MLFORECAST, layout) == [
        [f"lag{k}", "ex", "st", "rolling_mean_lag1_window_size3", "expanding_mean_lag1",
         "month"] for k in (3, 2, 1)]


def test_darts_covariate_components_interleaved_by_lag():
    layout = layout_from_names(DARTS)
    assert layout.lags == (3, 2, 1)
    assert _columns(DARTS, layout) == [
        [f"y_target_lag-{k}", f"ex_pastcov_lag-{k}", f"ex2_pastcov_lag-{k}", "cal_futcov_lag0"]
        for k in (3, 2, 1)]
    # Covariate lags other than the target's are static columns.
    names = ["y_target_lag-4", "y_target_lag-3", "y_target_lag-2", "y_target_lag-1",
             "ex_pastcov_lag-2", "ex_pastcov_lag-1"]
    assert _columns(names, layout_from_names(names))[0] == [
        "y_target_lag-4", "ex_pastcov_lag-2", "ex_pastcov_lag-1"]


@pytest.mark.parametrize("names", [SKTIME_GLOBAL, SKTIME_LAG], ids=["global", "Lag"])
def test_sktime_names(names):
    layout = layout_from_names(names)
    expected = ([[f"y_lag_{k}", "ex", "ex2"] for k in (3, 2, 1)] if names is SKTIME_GLOBAL
                else [[f"lag_{k}__y", f"lag_{k}__ex"] for k in (3, 2, 1)])
    assert _columns(names, layout) == expected


def test_names_of_no_framework_give_no_layout():
    assert layout_from_names(["a", "b", "lagged", "lag"]) is None


def test_gaps_duplicates_and_mixed_conventions():
    with pytest.warns(LagGapWarning, match=r"lags are \[1, 4\].*2 consecutive steps"):
        layout = layout_from_names(["lag1", "lag4"])
    assert layout.lags == (4, 1)
    with pytest.raises(ValueError, match="'lag_1' and 'lag_1' are both lag 1 of 'y'"):
        layout_from_names(["lag_1", "lag_2", "lag_1"])
    with pytest.raises(ValueError, match="conventions of"):
        layout_from_names(["lag1", "lag_1"])
    # A user's own lagged column next to mlforecast's lags is static.
    names = ["price_lag_1", "lag1", "lag2"]
    assert _columns(names, layout_from_names(names)) == [["lag2", "price_lag_1"],
                                                         ["lag1", "price_lag_1"]]


def _lag_matrix(series, lags):
    """Rows of ``series[t - k]`` for each lag k, for every t with all lags available."""
    start = max(lags)
    return np.stack([series[start - k:len(series) - k] for k in lags], axis=1), start


def test_values_show_the_target_lags_and_covariates_in_any_column_order():
    rng = np.random.default_rng(0)
    y_all, ex, ex2 = rng.normal(size=(3, 40))
    target, start = _lag_matrix(y_all, [1, 2, 3])  # newest first, as skforecast
    ex_lags, _ = _lag_matrix(ex, [3, 2, 1])  # oldest first
    ex2_lags, _ = _lag_matrix(ex2, [3, 2, 1])
    static = rng.normal(size=(len(target), 1))
    interleaved = np.stack([ex_lags, ex2_lags], axis=2).reshape(len(target), -1)  # darts
    X = np.hstack([target, interleaved, static])
    layout = layout_from_values(X, y_all[start:])
    np.testing.assert_array_equal(X[:, layout.positions], np.stack(
        [target[:, ::-1], ex_lags, ex2_lags, np.repeat(static, 3, axis=1)], axis=2))
    assert layout.lags == (3, 2, 1) and layout.source == "the values of X and y"
    # y of a direct strategy (the value h steps ahead) and 2-D y: the first column counts.
    layout = layout_from_values(X[:-2], np.column_stack([y_all[start:], y_all[start:] + 1])[:-2])
    assert layout.lags == (3, 2, 1)


def test_values_without_an_unambiguous_lag_structure_give_no_layout():
    rng = np.random.default_rng(1)
    series = rng.normal(size=30)
    X, start = _lag_matrix(series, [1, 2, 3])
    assert layout_from_values(X[::-1], series[start:][::-1]) is None  # not consecutive
    assert layout_from_values(rng.normal(size=X.shape), series[start:]) is None
    assert layout_from_values(X * 0, series[start:] * 0) is None  # constant
    periodic = np.tile([1.0, 2.0, 3.0, 4.0], 10)
    X, start = _lag_matrix(periodic, [1, 2, 5])  # lag 1 and lag 5 hold the same values
    assert layout_from_values(X, periodic[start:]) is None


def test_read_layout_checks_a_declared_layout_against_the_names():
    X = np.zeros((5, 6))
    declared = np.array([[2, 0, 1, 3, 4, 5], [1, 0, 1, 3, 4, 5]])
    assert read_layout(X, None, ["a", "b", "c", "d", "e", "f"], declared) is None
    lags, _ = _lag_matrix(np.arange(20.0) ** 2, [1, 2, 3])
    assert read_layout(lags, np.arange(3.0, 20.0) ** 2, None, None) is not None
    assert read_layout(lags, np.arange(3.0, 20.0) ** 2, None, declared) is None  # declared
    right = layout_from_names(SKFORECAST).positions
    np.testing.assert_array_equal(read_layout(X, None, SKFORECAST, right.copy()), right)
    with pytest.raises(ValueError, match=r"skforecast column names, which show the lags "
                                         r"\[1, 2, 3\]"):
        read_layout(X, None, SKFORECAST, right[::-1].copy())


def test_an_estimator_reads_the_layout_of_a_plain_lag_matrix_and_keeps_it():
    rng = np.random.default_rng(2)
    series = np.cumsum(rng.normal(size=60))
    X, start = _lag_matrix(series, list(range(1, 6)))  # newest first, no names
    model = GRURegressor(hidden_size=3, max_iter=2, random_state=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, series[start:])
    np.testing.assert_array_equal(model.column_layout_, [[4], [3], [2], [1], [0]])
    reference = GRURegressor(hidden_size=3, max_iter=2, random_state=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(X[:, ::-1], series[start:])  # the same windows, oldest first
    np.testing.assert_array_equal(reference.column_layout_, np.arange(5)[:, None])
    np.testing.assert_array_equal(model.predict(X[-3:]), reference.predict(X[-3:, ::-1]))


def test_columns_reordered_by_a_column_transformer_are_still_read():
    # The issue-27 case: scaling skforecast's exog column in a pipeline moves it first,
    # so negative static positions pointed at a lag; the values still show the layout.
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    series, exog = np.cumsum(rng.normal(size=50)), rng.normal(size=50)
    lags, start = _lag_matrix(series, [1, 2, 3])  # lag_1, lag_2, lag_3 (newest first)
    X = np.column_stack([lags, exog[start:]])
    scale_exog = ColumnTransformer([("exog", StandardScaler(), [3])], remainder="passthrough")
    pipeline = make_pipeline(scale_exog, GRURegressor(hidden_size=2, max_iter=1,
                                                      random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.fit(X, series[start:])
    # The network's X: scaled exog, lag_1, lag_2, lag_3: oldest lag first, exog static.
    np.testing.assert_array_equal(pipeline[-1].column_layout_, [[3, 0], [2, 0], [1, 0]])
