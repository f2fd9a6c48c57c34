"""Forecaster and backtest: index handling, transforms, strategies, exog, intervals."""

import itertools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ctrl_c_at_step
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge

from gatedts import BacktestResult, Forecaster, GRURegressor, backtest
from gatedts.datasets import load_airline
from gatedts.estimators import on_epoch
from gatedts.forecasting.forecaster import default_estimator, regular_index
from gatedts.forecasting.zeroshot import PretrainedNetwork


class MeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts the training mean of each output: a perfect model of a constant."""

    def fit(self, X, y):
        self.mean_ = np.mean(np.reshape(y, (len(y), -1)), axis=0)
        return self

    def predict(self, X):
        out = np.tile(self.mean_, (len(X), 1))
        return out[:, 0] if out.shape[1] == 1 else out


class CopyRegressor(RegressorMixin, BaseEstimator):
    """Predicts the input value ``lag`` steps before the end of the window, for every output."""

    def __init__(self, lag=1):
        self.lag = lag

    def fit(self, X, y):
        self.n_outputs_ = np.reshape(y, (len(y), -1)).shape[1]
        return self

    def predict(self, X):
        out = np.repeat(X[:, -self.lag][:, None], self.n_outputs_, axis=1)
        return out[:, 0] if self.n_outputs_ == 1 else out


PLAIN = {"log": False, "seasonal_difference": False, "difference": 0, "scaler": None,
         "local_level": False}


def monthly(values, start="2000-01"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"),
                     name="y")


def multiplicative(n=96):
    t = np.arange(n)
    return monthly(np.exp(0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12)) * 100)


# ---------------------------------------------------------------- index handling


def test_datetime_index_with_freq_gives_dated_forecast():
    y = multiplicative()
    pred = Forecaster(MeanRegressor(), horizon=4).fit(y).predict()
    assert isinstance(pred, pd.Series) and pred.name == "y"
    expected = pd.date_range(y.index[-1] + y.index.freq, periods=4, freq="MS")
    pd.testing.assert_index_equal(pred.index, expected)


def test_inferred_frequency():
    y = multiplicative()
    y.index = pd.DatetimeIndex(list(y.index))  # drops freq
    assert y.index.freq is None
    f = Forecaster(MeanRegressor(), horizon=3).fit(y)
    assert f.index_.freqstr == "MS" and f.seasonal_period_ == 12
    assert f.predict().index[0] == pd.Timestamp(y.index[-1]) + pd.offsets.MonthBegin()


def test_period_index():
    y = multiplicative(60)
    y.index = y.index.to_period("M")
    pred = Forecaster(MeanRegressor(), horizon=2).fit(y).predict()
    assert isinstance(pred.index, pd.PeriodIndex)
    assert list(pred.index.astype(str)) == ["2005-01", "2005-02"]


def test_array_and_integer_index():
    y = np.linspace(1.0, 50.0, 50)
    pred = Forecaster(MeanRegressor(), horizon=3).fit(y).predict()
    pd.testing.assert_index_equal(pred.index, pd.RangeIndex(50, 53))
    s = pd.Series(y, index=np.arange(0, 250, 5))
    pred = Forecaster(MeanRegressor(), horizon=2).fit(s).predict()
    assert list(pred.index) == [250, 255]


def test_quarterly_and_hourly_seasonal_period():
    q = pd.Series(np.arange(1.0, 41.0), index=pd.date_range("2000", periods=40, freq="QS"))
    assert Forecaster(MeanRegressor()).fit(q).seasonal_period_ == 4
    h = pd.Series(np.sin(np.arange(200) / 3) + 5,
                  index=pd.date_range("2020", periods=200, freq="h"))
    assert Forecaster(MeanRegressor()).fit(h).seasonal_period_ == 24


@pytest.mark.parametrize("make, message", [
    (lambda y: y.iloc[[0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] * 4], "duplicated"),
    (lambda y: y.iloc[::-1], "not monotonic"),
    (lambda y: y.drop(y.index[30]).set_axis(pd.DatetimeIndex(list(y.drop(y.index[30]).index))),
     "gap"),
    (lambda y: y.set_axis(y.index.astype(str)), "must be a DatetimeIndex"),
])
def test_bad_indexes(make, message):
    y = multiplicative(60)
    with pytest.raises(ValueError, match=message):
        Forecaster(MeanRegressor()).fit(make(y))


def test_gap_message_names_the_gap():
    y = multiplicative(60)
    gappy = y.drop(y.index[30])
    gappy.index = pd.DatetimeIndex(list(gappy.index))
    with pytest.raises(ValueError, match=r"2002-07-01 is missing after 2002-06-01.*asfreq"):
        Forecaster(MeanRegressor()).fit(gappy)


def test_period_index_gap():
    y = multiplicative(40)
    y.index = y.index.to_period("M")
    with pytest.raises(ValueError, match="gap"):
        Forecaster(MeanRegressor()).fit(y.drop(y.index[5]))


def test_too_few_timestamps_to_infer():
    with pytest.raises(ValueError, match="cannot infer the frequency"):
        regular_index(pd.DatetimeIndex(["2020-01-01", "2020-02-01"]))


@pytest.mark.parametrize("stamps, message", [
    # the first stamps are irregular: the frequency comes from the last ones
    (["01", "02", "04", "05", "06", "07"],
     r"y index has a gap at the D frequency: 2020-01-03 is missing after 2020-01-02; .*asfreq"),
    (["01", "02", "03", "04", "04 12:00", "05", "06", "07"],
     r"y index is irregular: 2020-01-04 12:00:00 is off the D frequency of the other "
     r"timestamps; .*asfreq"),
    (["01", "02", "04", "07", "08", "10", "13"],
     r"y index has no regular frequency \(irregular spacing\); .*asfreq"),
])
def test_irregular_index_messages(stamps, message):
    with pytest.raises(ValueError, match=message):
        regular_index(pd.DatetimeIndex([f"2020-01-{s}" for s in stamps]))


def test_nan_and_dataframe_and_short_series():
    y = multiplicative(60)
    y.iloc[7] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN at position 7"):
        Forecaster(MeanRegressor()).fit(y)
    with pytest.raises(ValueError, match="pick one"):
        Forecaster(MeanRegressor()).fit(pd.DataFrame({"a": [1.0] * 30, "b": [2.0] * 30}))
    with pytest.raises(ValueError, match="too short"):
        Forecaster(MeanRegressor(), window=10, horizon=5, **PLAIN).fit(np.arange(14.0))
    with pytest.raises(ValueError, match="too few"):
        Forecaster(MeanRegressor(), seasonal_difference=True).fit(multiplicative(13))


@pytest.mark.parametrize("horizon", [0, -1, 1.5, "3"])
def test_bad_horizon(horizon):
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        Forecaster(MeanRegressor(), horizon=horizon).fit(np.arange(1.0, 40.0))
    f = Forecaster(MeanRegressor(), horizon=2).fit(np.arange(1.0, 40.0))
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        f.predict(horizon)


def test_bad_parameters():
    y = np.arange(1.0, 40.0)
    for params, message in [({"strategy": "both"}, "strategy"), ({"log": "yes"}, "log"),
                            ({"difference": -1}, "difference"), ({"estimator": "cnn"}, "cnn"),
                            ({"window": 0}, "window"), ({"scaler": "robust"}, "scaler"),
                            ({"seasonal_difference": True}, "seasonal_period")]:
        with pytest.raises(ValueError, match=message):
            Forecaster(**{"estimator": MeanRegressor(), **params}).fit(y)
    with pytest.raises(ValueError, match="positive series"):
        Forecaster(MeanRegressor(), log=True).fit(np.r_[0.0, y])
    with pytest.raises(TypeError, match="estimator"):
        Forecaster(estimator=42).fit(y)


# ---------------------------------------------------------------- transforms


@pytest.mark.parametrize("difference", [0, 1])
def test_log_and_differencing_are_inverted_exactly(difference):
    """log y has a linear trend and a fixed season: a constant after seasonal differencing."""
    y = multiplicative(120)
    train, test = y.iloc[:-18], y.iloc[-18:]
    f = Forecaster(MeanRegressor(), horizon=18, log=True, seasonal_difference=True,
                   difference=difference).fit(train)
    assert f.seasonal_period_ == 12 and f.differencer_.n_lost_ == 12 + difference
    np.testing.assert_allclose(f.predict().to_numpy(), test.to_numpy(), rtol=1e-10)


def test_statistical_tests_on_airline():
    # The tests' answers alone (validation_origins=0); tests/test_selection.py checks
    # how the inner validation revises them.
    f = Forecaster(MeanRegressor(), horizon=12, validation_origins=0).fit(load_airline())
    assert (f.log_, f.seasonal_difference_, f.difference_) == (True, True, 0)
    assert f.window_ == 24


def test_statistical_tests_on_random_walk():
    rng = np.random.default_rng(0)
    y = pd.Series(np.cumsum(rng.normal(size=300)) - 50,
                  index=pd.date_range("2000", periods=300, freq="D"))
    f = Forecaster(MeanRegressor(), validation_origins=0, local_level=False).fit(y)
    assert (f.log_, f.seasonal_difference_, f.difference_) == (False, False, 1)
    # By default the local level takes the place of the difference.
    f = Forecaster(MeanRegressor(), validation_origins=0).fit(y)
    assert (f.local_level_, f.difference_) == (True, 0)


class SequenceRegressor(RegressorMixin, BaseEstimator):
    """Base of the test regressors that take (n, T, F) windows and several outputs."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags


class ZeroRegressor(SequenceRegressor):
    """Predicts 0 for every output, and keeps the training windows it was given."""

    def fit(self, X, y):
        self.X_, self.y_ = X, np.reshape(y, (len(y), -1))
        return self

    def predict(self, X):
        out = np.zeros((len(X), self.y_.shape[1]))
        return out[:, 0] if out.shape[1] == 1 else out


def test_local_level_windows_are_relative_to_their_last_value():
    y = np.cumsum(np.random.default_rng(0).normal(size=80)) + 50
    f = Forecaster(ZeroRegressor(), window=5, horizon=3, scaler=None, log=False,
                   local_level=True).fit(y)
    assert (f.local_level_, f.difference_) == (True, 0)
    X, Y = f.estimator_.X_, f.estimator_.y_
    # window k covers y[k:k+5] and targets y[k+5:k+8], all minus y[k+4], over one scale
    change = np.stack([y[k + 5: k + 8] - y[k + 4] for k in range(len(Y))])
    assert f.level_scale_ == pytest.approx(np.sqrt(np.mean(change**2)))
    np.testing.assert_allclose(Y, change / f.level_scale_, rtol=1e-12)
    np.testing.assert_allclose(X[3, :, 0], (y[3:8] - y[7]) / f.level_scale_, rtol=1e-12)
    assert np.all(X[:, -1, 0] == 0)
    # A network that forecasts no change forecasts the last value (the naive forecast).
    np.testing.assert_allclose(f.predict().to_numpy(), np.full(3, y[-1]), rtol=1e-12)


def test_local_level_follows_a_trend_beyond_the_training_range():
    rng = np.random.default_rng(1)
    y = pd.Series(10 + 0.5 * np.arange(60) + rng.normal(scale=0.2, size=60),
                  index=pd.period_range("1950", periods=60, freq="Y"))
    future = 10 + 0.5 * np.arange(60, 66)
    f = Forecaster(LinearRegression(), horizon=6).fit(y)
    assert (f.local_level_, f.difference_, f.seasonal_period_) == (True, 0, 1)
    np.testing.assert_allclose(f.predict().to_numpy(), future, atol=1.0)
    assert f.predict().iloc[-1] > y.max() + 2


def test_local_level_auto_is_off_after_a_seasonal_difference():
    f = Forecaster(MeanRegressor(), horizon=12).fit(load_airline())
    assert (f.seasonal_difference_, f.local_level_, f.level_scale_) == (True, False, 1.0)
    f = Forecaster(MeanRegressor(), horizon=12, local_level=True).fit(load_airline())
    assert (f.seasonal_difference_, f.local_level_) == (True, True)
    with pytest.raises(ValueError, match="local_level must be True, False or 'auto'"):
        Forecaster(MeanRegressor(), local_level="yes").fit(load_airline())


def test_seasonal_difference_auto_leaves_room_for_training_windows():
    # 40 seasonal months and an 18-month horizon: after a seasonal difference 28 values
    # hold no two windows of a season plus the horizon, so "auto" does not take it.
    y = load_airline().iloc[:40]
    f = Forecaster(MeanRegressor(), horizon=18).fit(y)
    assert not f.seasonal_difference_ and len(f.predict()) == 18
    assert Forecaster(MeanRegressor(), horizon=18).fit(load_airline().iloc[:44]
                                                       ).seasonal_difference_
    with pytest.raises(ValueError, match="y is too short"):  # asked for, it is still taken
        Forecaster(MeanRegressor(), horizon=18, seasonal_difference=True).fit(y)


def test_scalers_fitted_on_training_data_only():
    y = np.r_[np.zeros(30), np.full(30, 100.0)]
    f = Forecaster(MeanRegressor(), **{**PLAIN, "scaler": "standard"}).fit(y[:30] + 1)
    assert f.scaler_.mean_[0] == pytest.approx(1.0)
    f = Forecaster(MeanRegressor(), **{**PLAIN, "scaler": "minmax"}, horizon=3).fit(
        np.arange(40.0))
    assert f.scaler_.data_min_[0] == 0 and f.scaler_.data_range_[0] == 39


# ---------------------------------------------------------------- strategies


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_strategies_continue_a_linear_recurrence_exactly(strategy):
    """Two sinusoids obey an exact order-4 linear recurrence: a linear model is perfect."""
    t = np.arange(200)
    y = np.sin(0.3 * t) + 0.5 * np.sin(1.1 * t) + 10
    f = Forecaster(LinearRegression(), window=4, horizon=6, strategy=strategy, **PLAIN)
    pred = f.fit(y[:190]).predict()
    np.testing.assert_allclose(pred.to_numpy(), y[190:196], atol=1e-8)
    assert f.model_horizon_ == (6 if strategy == "direct" else 1)


def test_recursive_feeds_forecasts_back():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    rec = Forecaster(CopyRegressor(lag=2), window=3, horizon=5, strategy="recursive",
                     **PLAIN).fit(y)
    np.testing.assert_array_equal(rec.predict().to_numpy(), [14, 15, 14, 15, 14])
    direct = Forecaster(CopyRegressor(lag=2), window=3, horizon=5, **PLAIN).fit(y)
    np.testing.assert_array_equal(direct.predict().to_numpy(), [14] * 5)


def test_direct_iterates_beyond_its_horizon_and_truncates_below():
    y = multiplicative(120)
    f = Forecaster(MeanRegressor(), horizon=6, log=True, seasonal_difference=True,
                   difference=0).fit(y.iloc[:-24])
    long = f.predict(24)
    np.testing.assert_allclose(long.to_numpy(), y.iloc[-24:].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(f.predict(2).to_numpy(), long.iloc[:2].to_numpy())


# ---------------------------------------------------------------- exogenous


def drivers(n=150, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.date_range("2010", periods=n, freq="D")
    x = pd.DataFrame({"promo": rng.normal(size=n), "noise": rng.normal(size=n)}, index=index)
    return x, index


def test_past_exog_lagged_driver():
    x, index = drivers()
    y = pd.Series(np.r_[0.0, 3.0 * x["promo"].to_numpy()[:-1]] + 10, index=index)
    f = Forecaster(LinearRegression(), window=3, horizon=1, **PLAIN).fit(y, exog=x)
    pred = f.predict()
    assert pred.iloc[0] == pytest.approx(3.0 * x["promo"].iloc[-1] + 10)
    assert f.exog_columns_ == ["promo", "noise"] and f.future_exog_ == []


def test_one_column_frame_y_exog_series_and_all_future_exog():
    x, index = drivers()
    y = pd.Series(2.0 * x["promo"].to_numpy() + 5, index=index, name="sales")
    f = Forecaster(LinearRegression(), window=3, horizon=2, future_exog=True, **PLAIN)
    f.fit(y.to_frame().iloc[:140], exog=x["promo"].iloc[:140])  # a Series exog is one column
    assert f.exog_columns_ == ["promo"] and f.future_exog_ == ["promo"]
    pred = f.predict(exog_future=x[["promo"]].iloc[140:142])
    assert pred.name == "sales"
    np.testing.assert_allclose(pred.to_numpy(), y.iloc[140:142].to_numpy(), atol=1e-8)


def test_future_exog_is_aligned():
    x, index = drivers()
    y = pd.Series(2.0 * x["promo"].to_numpy() + 5, index=index)
    train, future = slice(None, 140), slice(140, 145)
    f = Forecaster(LinearRegression(), window=3, horizon=5, future_exog=["promo"], **PLAIN)
    f.fit(y.iloc[train], exog=x.iloc[train])
    pred = f.predict(exog_future=x.iloc[future])
    np.testing.assert_allclose(pred.to_numpy(), y.iloc[future].to_numpy(), atol=1e-8)
    arr = f.predict(exog_future=x.iloc[future][["promo"]].to_numpy())
    np.testing.assert_allclose(arr.to_numpy(), pred.to_numpy())


def test_exog_errors():
    x, index = drivers()
    y = pd.Series(np.arange(150.0), index=index)
    with pytest.raises(ValueError, match="does not match"):
        Forecaster(MeanRegressor()).fit(y, exog=x.iloc[::-1])
    with pytest.raises(ValueError, match="rows"):
        Forecaster(MeanRegressor()).fit(y.to_numpy(), exog=x.to_numpy()[:-1])
    with pytest.raises(ValueError, match="not in exog"):
        Forecaster(MeanRegressor(), future_exog=["price"]).fit(y, exog=x)
    with pytest.raises(ValueError, match="recursive"):
        Forecaster(MeanRegressor(), strategy="recursive").fit(y, exog=x)
    with pytest.raises(TypeError, match="numeric"):
        Forecaster(MeanRegressor()).fit(y, exog=x.assign(kind="a"))
    past = Forecaster(MeanRegressor(), horizon=3, **PLAIN).fit(y, exog=x)
    with pytest.raises(ValueError, match="past-only"):
        past.predict(5)
    with pytest.raises(ValueError, match="no future-known"):
        past.predict(exog_future=x.iloc[:3])
    fut = Forecaster(MeanRegressor(), horizon=3, future_exog=["promo"], **PLAIN).fit(y, exog=x)
    with pytest.raises(ValueError, match="pass exog_future"):
        fut.predict()
    later = pd.DataFrame({"promo": [0.0] * 3}, index=pd.date_range("2020", periods=3))
    with pytest.raises(ValueError, match="must start right after"):
        fut.predict(exog_future=later)
    with pytest.raises(ValueError, match="rows"):
        fut.predict(exog_future=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="lacks"):
        fut.predict(exog_future=later.rename(columns={"promo": "x"}))


# ---------------------------------------------------------------- intervals


def noisy_seasonal(n=400, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return monthly(50 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(size=n), "1900-01")


def test_predict_interval_shape_and_order():
    y = noisy_seasonal(200)
    f = Forecaster(LinearRegression(), horizon=6, log=False).fit(y)
    table = f.predict_interval(coverage=0.8)
    assert list(table.columns) == ["forecast", "lower", "upper"] and len(table) == 6
    assert (table["lower"] <= table["forecast"]).all()
    assert (table["forecast"] <= table["upper"]).all()
    pd.testing.assert_index_equal(table.index, f.predict().index)
    wider = f.predict_interval(coverage=0.95)
    assert (wider["upper"] - wider["lower"] >= table["upper"] - table["lower"] - 1e-12).all()
    with pytest.raises(ValueError, match="coverage"):
        f.predict_interval(coverage=1.0)


def test_interval_coverage_near_nominal():
    y = noisy_seasonal(520, seed=3)
    f = Forecaster(LinearRegression(), window=12, horizon=3, log=False, n_calibration=60)
    result = backtest(f, y, initial=300, step=1, horizon=3, refit=False, coverage=0.9)
    assert 0.82 <= result.metrics.iloc[0]["coverage"] <= 0.97


def test_log_intervals_are_multiplicative():
    y = multiplicative(200) * np.exp(np.random.default_rng(0).normal(0, 0.02, 200))
    f = Forecaster(LinearRegression(), horizon=4, log=True, seasonal_difference=True,
                   difference=0).fit(y)
    t = f.predict_interval(0.9)
    ratio_low, ratio_high = t["forecast"] / t["lower"], t["upper"] / t["forecast"]
    np.testing.assert_allclose(ratio_low, ratio_high, rtol=1e-10)


def test_interval_calibration_shrinks_a_window_too_long_for_it():
    # 30 values, window 19: the calibration model, fitted 10 steps before the end,
    # cannot hold two windows of 19 plus 2; it falls back to the "auto" window.
    y = np.arange(1.0, 31.0)
    f = Forecaster(CopyRegressor(), window=19, horizon=2, **PLAIN).fit(y)
    intervals = f.predict_interval(0.9)
    assert np.all(intervals["lower"] <= intervals["forecast"])
    assert np.all(intervals["forecast"] <= intervals["upper"])


def test_calibration_folds_take_the_widest_quantile_per_step():
    # y rises by 2 per step, then by 1 over its last 12 values; the copy model forecasts
    # the last value, so its error is the rise: 1 and 2 in the latest fold, whose
    # forecasts see only the slow part, 2 and 4 in the fold before it.
    steps = np.r_[np.full(40, 2.0), np.ones(12)]
    y = np.cumsum(steps)
    def half_width(folds):
        f = Forecaster(CopyRegressor(), window=3, horizon=2, n_calibration=10,
                       calibration_folds=folds, **PLAIN).fit(y)
        interval = f.predict_interval(0.8)
        return (interval["upper"] - interval["forecast"]).to_numpy()
    np.testing.assert_allclose(half_width(1), [1.0, 2.0])
    np.testing.assert_allclose(half_width(2), [2.0, 4.0])


class OffsetRegressor(SequenceRegressor):
    """Forecasts the last input value plus a fixed offset per output step."""

    def __init__(self, offsets=(0.0, 2.0)):
        self.offsets = offsets

    def fit(self, X, y):
        return self

    def predict(self, X):
        return X[:, -1, :1] + np.asarray(self.offsets)


def test_interval_never_narrows_with_the_step():
    # On y = t the offsets (0, 2) miss step 1 by 1 and hit step 2 exactly: the step-2
    # half-width is raised to step 1's.
    f = Forecaster(OffsetRegressor(), window=3, horizon=2, **PLAIN).fit(np.arange(60.0))
    interval = f.predict_interval(0.9)
    np.testing.assert_allclose(interval["forecast"], [59.0, 61.0])
    np.testing.assert_allclose(interval["upper"] - interval["forecast"], [1.0, 1.0])


def test_short_series_intervals_from_fewer_origins_with_a_warning():
    # 12 values, window 3, horizon 2: a model fitted on 12 - (20 + 1) values is
    # impossible; 7 origins fit (cut at 4, the "auto" window shrunk to 2), fewer than
    # the 20 of n_calibration, and fewer than the 9 that 90% needs.
    f = Forecaster(CopyRegressor(), window=3, horizon=2, **PLAIN).fit(np.arange(1.0, 13.0))
    with pytest.warns(UserWarning, match="calibrated on 7 forecast origin.*fewer than the 9"):
        interval = f.predict_interval(0.9)
    # the copy model is off by 1 at step 1 and 2 at step 2, at every origin
    np.testing.assert_allclose(interval["upper"] - interval["forecast"], [1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f.predict_interval(0.8)  # 4 origins are enough for 80%, not for n_calibration
    assert [str(w.message)[:67] for w in caught] == [
        "a 2-step horizon over 12 observations leaves room for 7 calibration"]
    assert "25 observations (or a shorter horizon) would give all 20" in str(caught[0].message)


def test_intervals_nest_over_coverages_whatever_the_order_asked():
    # The case of issue 27: a 36-step horizon over 108 observations, where 80% and 90%
    # were calibrated on different origins, or the same 4 when 80% came first.
    y = load_airline()[:108]
    coverages = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]
    widths = {}
    for order in (coverages, coverages[::-1]):
        f = Forecaster(Ridge(), horizon=36, random_state=0).fit(y)
        for coverage in order:
            with pytest.warns(UserWarning, match="a 36-step horizon over 108 observations "
                              "leaves room for 13 calibration forecast origin"):
                table = f.predict_interval(coverage)
            width = (table["upper"] - table["lower"]).to_numpy()
            np.testing.assert_array_equal(widths.setdefault(coverage, width), width)
    for narrow, wide in itertools.pairwise(coverages):
        assert np.all(widths[wide] >= widths[narrow]), (narrow, wide)
    assert np.any(widths[0.9] > widths[0.8])


def test_too_short_to_calibrate_takes_the_pretrained_quantile_spread():
    y = np.array([3.0, 5, 4, 6, 5])
    f = Forecaster(MeanRegressor(), window=3, horizon=2, **PLAIN).fit(y)
    with pytest.warns(UserWarning, match="too few to calibrate intervals.*the 90% interval is "
                      "the pretrained network's quantile spread around the forecast"):
        table = f.predict_interval(0.9)
    quantiles = PretrainedNetwork(1).quantiles(y, 2)
    median, lowest, highest = quantiles[:, 3], quantiles[:, 0], quantiles[:, -1]
    np.testing.assert_allclose(table["upper"] - table["forecast"], highest - median)
    np.testing.assert_allclose(table["forecast"] - table["lower"], median - lowest)
    with pytest.warns(UserWarning, match="quantile spread"):
        narrow = f.predict_interval(0.5)
    assert (narrow["lower"] >= table["lower"]).all() and (narrow["upper"] <= table["upper"]).all()
    with pytest.raises(ValueError, match=r"too few to calibrate.*nor can the pretrained "
                       r"network's quantiles stand in .*coverage=0\.95"):
        f.predict_interval(0.95)


# ---------------------------------------------------------------- backtest


def test_backtest_table_structure():
    y = noisy_seasonal(240)
    f = Forecaster(LinearRegression(), horizon=6, log=False)
    result = f.backtest(y, initial=180, refit=2, coverage=0.8)
    assert isinstance(result, BacktestResult)
    assert list(result.forecasts.columns) == ["origin", "step", "time", "actual", "forecast",
                                              "lower", "upper", "baseline"]
    assert len(result.forecasts) == 10 * 6  # origins 180, 186, ..., 234
    assert list(result.metrics.columns) == ["MAE", "RMSE", "MAPE", "sMAPE", "MASE",
                                            "coverage", "width"]
    assert result.metrics.index[0] == "LinearRegression"
    assert result.metrics.index[1] == "seasonal naive (m=12)"
    assert np.isnan(result.metrics.iloc[1]["coverage"])
    assert result.metrics.iloc[0]["MASE"] < result.metrics.iloc[1]["MASE"]
    assert result.residuals.shape == (10, 6)
    assert result.by_step().shape == (6, 2)
    assert "MASE" in str(result)
    first = result.forecasts.iloc[0]
    assert first["origin"] == y.index[179] and first["time"] == y.index[180]


def test_backtest_has_no_lookahead():
    y = noisy_seasonal(160)
    f = Forecaster(LinearRegression(), horizon=4, log=False)
    a = backtest(f, y, initial=120, horizon=4, coverage=None)
    spoiled = y.copy()
    spoiled.iloc[124:] = 1e6  # after the first origin's targets
    b = backtest(f, spoiled, initial=120, horizon=4, coverage=None)
    np.testing.assert_allclose(a.forecasts["forecast"].iloc[:4], b.forecasts["forecast"].iloc[:4])
    assert np.isnan(a.forecasts["lower"]).all()


def test_backtest_baseline_is_naive_before_a_full_season():
    y = monthly(np.arange(1.0, 25.0))  # seasonal period 12
    f = Forecaster(MeanRegressor(), window=3, horizon=2, **PLAIN)
    result = backtest(f, y, initial=10, step=2, coverage=None)
    assert result.seasonal_period == 12
    short = result.forecasts[result.forecasts["origin"] < y.index[12]]  # origins 10 and 12
    assert len(short) == 4
    np.testing.assert_array_equal(short["baseline"], [10.0, 10.0, 12.0, 12.0])  # last values
    later = result.forecasts[result.forecasts["origin"] >= y.index[12]]
    np.testing.assert_array_equal(later["baseline"], later["actual"] - 12.0)  # seasonal naive


def test_backtest_refit_false_fits_once_and_errors():
    y = noisy_seasonal(160)
    f = Forecaster(LinearRegression(), horizon=4, log=False)
    once = backtest(f, y, initial=0.75, step=2, refit=False, coverage=None)
    assert once.forecasts["origin"].nunique() == len(range(120, 157, 2))
    for kwargs, message in [({"initial": 158}, "no room"), ({"initial": 0}, "initial"),
                            ({"initial": 100, "refit": 0}, "refit"),
                            ({"initial": 100, "step": 0}, "step")]:
        with pytest.raises(ValueError, match=message):
            backtest(f, y, **kwargs)


def test_backtest_progress_bar_over_the_origins(capsys):
    y = noisy_seasonal(160)
    f = Forecaster(LinearRegression(), horizon=4, log=False)
    quiet = backtest(f, y, initial=148, coverage=0.8)
    assert capsys.readouterr().err == ""
    shown = backtest(f, y, initial=148, coverage=0.8, progress=True)
    err = capsys.readouterr().err
    assert "backtest" in err and "/3" in err and "origin" in err  # origins 148, 152, 156
    assert "\r" in err and "\n" not in err  # one line, redrawn
    pd.testing.assert_frame_equal(shown.forecasts, quiet.forecasts)
    pd.testing.assert_frame_equal(shown.metrics, quiet.metrics)
    calls = []  # gatedts 0.1's callback
    backtest(f, y, initial=148, coverage=None, progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 3), (2, 3), (3, 3)] and capsys.readouterr().err == ""
    f.backtest(y, initial=148, coverage=None, progress=True)  # the method passes it on
    assert "backtest" in capsys.readouterr().err


def test_backtest_with_future_exog():
    x, index = drivers(200)
    y = pd.Series(2.0 * x["promo"].to_numpy() + 5, index=index)
    f = Forecaster(LinearRegression(), window=3, horizon=2, future_exog="promo", **PLAIN)
    result = backtest(f, y, exog=x, initial=150, coverage=None)
    assert result.metrics.iloc[0]["MAE"] < 1e-8


# ---------------------------------------------------------------- sklearn API, networks


def test_sklearn_conventions():
    f = Forecaster("lstm", horizon=3, window=8, random_state=1)
    assert f.get_params()["estimator"] == "lstm"
    assert clone(f).get_params() == f.get_params()
    assert not hasattr(f, "estimator_")
    g = Forecaster(GRURegressor(hidden_size=4))
    assert "estimator__hidden_size" in g.get_params(deep=True)
    assert clone(g).estimator is not g.estimator


def test_default_estimator_configuration():
    est = default_estimator("gru", random_state=3)
    assert isinstance(est, GRURegressor)
    assert est.hidden_size == 32 and est.random_state == 3
    # The data-dependent choices are the estimator's "auto", resolved at fit.
    assert (est.alpha, est.max_iter, est.batch_size) == ("auto", "auto", "auto")
    lstm = default_estimator("lstm")
    assert lstm.forget_bias == 0.0 and lstm.alpha == est.alpha  # the GRU recipe otherwise
    # The Forecaster standardises its windows itself: its networks scale nothing more.
    assert est.scaling is None and lstm.scaling is None and GRURegressor().scaling == "standard"
    with pytest.raises(ValueError, match="unknown cell"):
        default_estimator("cnn")


def test_small_network_end_to_end():
    y = load_airline()
    est = GRURegressor(hidden_size=4, max_iter=3, random_state=0)
    f = Forecaster(est, horizon=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = f.fit(y).predict()
    assert len(pred) == 12 and np.isfinite(pred).all()
    assert pred.index[0] == pd.Timestamp("1961-01-01")
    assert f.model_name == "GRURegressor"


def test_single_output_regressors_are_wrapped_for_the_direct_strategy():
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.multioutput import MultiOutputRegressor

    y = load_airline()
    hgb = HistGradientBoostingRegressor(max_iter=20, random_state=0)
    f = Forecaster(hgb, horizon=12, n_models=2, random_state=0).fit(y.iloc[:-12])
    assert isinstance(f.estimator_, MultiOutputRegressor) and len(f.estimator_.estimators_) == 12
    seeds = [m.estimator.random_state for m in f.estimators_]
    assert seeds[0] == 0 and seeds[1] != 0  # each member seeded before wrapping
    pred = f.predict()
    assert len(pred) == 12 and np.isfinite(pred).all()
    # One output (horizon 1 or the recursive strategy): nothing to wrap; nor multi-output models.
    for options in ({"horizon": 1}, {"horizon": 12, "strategy": "recursive"}):
        assert type(Forecaster(hgb, **options).fit(y).estimator_) is HistGradientBoostingRegressor
    assert type(Forecaster(LinearRegression(), horizon=12).fit(y).estimator_) is LinearRegression


# ---------------------------------------------------------------- Ctrl-C, progress, options

TINY_NETWORKS = {"hidden_size": 4, "max_iter": 5}


def test_ctrl_c_in_a_member_is_passed_on_not_forecast_from(monkeypatch):
    y = load_airline()
    f = Forecaster("gru", horizon=12, n_models=2, network_options=TINY_NETWORKS, random_state=0)
    steps = ctrl_c_at_step(monkeypatch, 6)  # 4 batches an epoch: in the first member's 2nd
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            f.fit(y)
    assert len(steps) == 6  # the second member never started
    # The interrupted member is left unfitted, and says nothing: the interrupt goes on.
    assert not [w for w in caught if "interrupted" in str(w.message)]
    # An interrupted first fit leaves the Forecaster unfitted, not half fitted.
    assert not [name for name in vars(f) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        f.predict()


@pytest.mark.parametrize("failure", [KeyboardInterrupt, ValueError])
def test_an_interrupted_or_failed_refit_keeps_the_previous_model(monkeypatch, failure):
    y = load_airline()
    f = Forecaster("gru", horizon=3, network_options=TINY_NETWORKS, n_calibration=3,
                   calibration_folds=1, random_state=0).fit(y[:100])
    before = vars(f).copy()
    point, interval = f.predict(), f.predict_interval(0.8)

    def fail(epoch, n_epochs, loss):
        raise failure("stop")

    with on_epoch(fail), pytest.raises(failure):
        f.fit(y)  # another series: every fitted attribute would change
    assert vars(f) == before
    pd.testing.assert_series_equal(f.predict(), point)
    pd.testing.assert_frame_equal(f.predict_interval(0.8), interval)


def test_an_interrupted_calibration_leaves_no_partial_scores():
    y = load_airline()
    f = Forecaster("gru", horizon=3, network_options=TINY_NETWORKS, n_calibration=3,
                   random_state=0).fit(y[:100])
    fits = []

    def second_fold(epoch, n_epochs, loss):
        fits.append(epoch)
        if len(fits) > TINY_NETWORKS["max_iter"]:  # in the second fold's fit
            raise KeyboardInterrupt

    with on_epoch(second_fold), pytest.raises(KeyboardInterrupt):
        f.predict_interval(0.8)
    assert f.calibration_.scores == {}
    table = f.predict_interval(0.8)  # calibrated afresh, both folds
    assert len(next(iter(f.calibration_.scores.values()))) == 2
    assert (table["lower"] < table["forecast"]).all()


def test_interval_calibration_and_backtest_stop_on_ctrl_c(monkeypatch):
    y = load_airline()
    f = Forecaster("gru", horizon=12, network_options=TINY_NETWORKS, random_state=0)
    fitted = clone(f).fit(y)
    steps = ctrl_c_at_step(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        fitted.predict_interval(coverage=0.9)  # in the first calibration fit
    assert len(steps) == 2
    monkeypatch.undo()
    steps = ctrl_c_at_step(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        backtest(f, y, initial=108, step=12, coverage=None)
    assert len(steps) == 3  # no later origin was fitted


def test_verbose_shows_one_bar_per_network(capsys):
    y = load_airline()
    f = Forecaster("auto", horizon=12, network_options={"hidden_size": 4, "max_iter": 3},
                   random_state=0, verbose=1).fit(y)
    out, err = capsys.readouterr()
    assert out == ""
    bars = [line.rsplit("\r", 1)[-1] for line in err.strip().split("\n")]  # last states
    assert [bar.split(":")[0] for bar in bars] == ["GRU 1/2", "LSTM 2/2"]  # not the inner copy
    assert all("| 3/3 [" in bar and "loss" in bar for bar in bars), bars
    f.predict_interval()
    assert capsys.readouterr() == ("", "")  # the calibration fits show nothing
    f.set_params(verbose=2).fit(y)
    out, err = capsys.readouterr()
    assert err == "" and out.count("Epoch ") == 6  # the networks' own lines instead
    Forecaster(Ridge(), horizon=12, verbose=1).fit(y)  # no epochs, no bar
    assert capsys.readouterr() == ("", "")


def test_network_options_set_every_network():
    y = load_airline()
    options = {"hidden_size": 4, "max_iter": 3, "num_layers": 2}
    f = Forecaster("auto", horizon=12, network_options=options, random_state=0)
    caps = []
    with on_epoch(lambda epoch, n_epochs, loss: caps.append(n_epochs)):
        f.fit(y)
        f.predict_interval()
    # 3 epochs of a GRU and an LSTM, for the forecast, the inner origins' copy and 2 folds
    assert caps == [3] * (3 * 2 * 4)
    assert [(m.hidden_size, m.num_layers) for m in f.estimators_] == [(4, 2)] * 2
    default = default_estimator("lstm", random_state=f.estimators_[1].random_state)
    assert f.estimators_[1].get_params() == default.set_params(**options).get_params()
    assert clone(f).get_params()["network_options"] == options
    for bad, error, message in [
            ({"hidden_sise": 3}, ValueError, "'hidden_sise' is not a parameter of GRURegressor; "
                                             "valid: alpha, batch_size"),
            ({"random_state": 1}, ValueError, "the Forecaster's own parameter"),
            ([("max_iter", 3)], TypeError, "must be a dict")]:
        with pytest.raises(error, match=re.escape(message)):
            Forecaster("gru", horizon=12, network_options=bad).fit(y)
    with pytest.raises(ValueError, match=r"'peephole' is not a parameter of GRURegressor "
                                         r"\(with 'auto' the options apply to every cell\)"):
        Forecaster("auto", horizon=12, network_options={"peephole": True}).fit(y)
    with pytest.raises(ValueError, match="set the parameters of your Ridge on it instead"):
        Forecaster(Ridge(), horizon=12, network_options={"alpha": 2.0}).fit(y)


def test_default_gru_on_airline_beats_seasonal_naive():
    """The headline claim, at one seed: the 1960 hold-out (seasonal naive: 9.99%)."""
    y = load_airline()
    f = Forecaster(horizon=12, random_state=0).fit(y.iloc[:-12])
    mape = np.mean(np.abs(f.predict().to_numpy() / y.iloc[-12:].to_numpy() - 1)) * 100
    assert mape < 3.5
    assert f.model_name == "GRU" and re.fullmatch(r"\d+", str(f.n_windows_))
