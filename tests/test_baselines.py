import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gatedts.forecasting.baselines import SeasonalNaive, damped_trend_forecast, theta_forecast


def test_naive_repeats_the_last_value():
    forecast = SeasonalNaive().fit(np.array([3.0, 1.0, 4.0])).predict(3)
    assert isinstance(forecast, np.ndarray)
    np.testing.assert_array_equal(forecast, [4, 4, 4])


def test_seasonal_naive_repeats_the_last_season():
    y = np.arange(10.0)  # last season of 4: 6, 7, 8, 9
    np.testing.assert_array_equal(SeasonalNaive(4).fit(y).predict(6), [6, 7, 8, 9, 6, 7])
    np.testing.assert_array_equal(SeasonalNaive(4).fit(y).predict(2), [6, 7])


def test_exactly_one_season_is_enough():
    np.testing.assert_array_equal(SeasonalNaive(3).fit([1.0, 2.0, 3.0]).predict(4), [1, 2, 3, 1])


def test_datetime_index_forecast_is_dated():
    idx = pd.date_range("2020-01-01", periods=24, freq="MS")
    y = pd.Series(np.arange(24.0), index=idx, name="passengers")
    forecast = SeasonalNaive(12).fit(y).predict(3)
    assert isinstance(forecast, pd.Series) and forecast.name == "passengers"
    pd.testing.assert_index_equal(forecast.index, pd.date_range("2022-01-01", periods=3, freq="MS"))
    np.testing.assert_array_equal(forecast, [12, 13, 14])


def test_inferred_freq_period_and_range_indexes():
    idx = pd.DatetimeIndex(["2021-03-01", "2021-03-02", "2021-03-03"])  # no freq set
    out = SeasonalNaive().fit(pd.Series([1.0, 2.0, 3.0], index=idx)).predict(2)
    assert list(out.index) == list(pd.to_datetime(["2021-03-04", "2021-03-05"]))
    y = pd.Series([1.0, 2.0], index=pd.period_range("2020Q3", periods=2, freq="Q"))
    out = SeasonalNaive().fit(y).predict(2)
    pd.testing.assert_index_equal(out.index, pd.PeriodIndex(["2021Q1", "2021Q2"], freq="Q"))
    out = SeasonalNaive().fit(pd.Series([5.0, 6.0])).predict(2)
    pd.testing.assert_index_equal(out.index, pd.RangeIndex(2, 4))


def test_errors():
    with pytest.raises(ValueError, match=r"y has 3 observations, shorter than one season \(s"):
        SeasonalNaive(4).fit(np.arange(3.0))
    irregular = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-06", "2020-01-07"])
    with pytest.raises(ValueError, match=r"cannot determine the frequency.*asfreq"):
        SeasonalNaive().fit(pd.Series(np.ones(4), index=irregular))  # fails at fit time
    with pytest.raises(ValueError, match="seasonal_period must be a positive integer, got 0"):
        SeasonalNaive(0).fit(np.ones(3))
    with pytest.raises(ValueError, match="y contains NaN at position 1"):
        SeasonalNaive().fit([1.0, np.nan])
    with pytest.raises(ValueError, match="y index is not monotonic increasing"):
        SeasonalNaive().fit(pd.Series([1.0, 2.0], index=[2, 1]))
    with pytest.raises(ValueError, match="horizon must be a positive integer, got 0"):
        SeasonalNaive().fit(np.ones(3)).predict(0)
    with pytest.raises(NotFittedError):
        SeasonalNaive().predict(2)


def test_sklearn_basics():
    model = SeasonalNaive(7)
    assert model.get_params() == {"seasonal_period": 7}
    assert clone(model).seasonal_period == 7
    assert model.fit(np.arange(10.0)) is model


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)),
    st.integers(1, 12),
    st.integers(1, 30),
)
def test_forecast_is_periodic_and_continues_the_last_season(y, m, horizon):
    if len(y) < m:
        with pytest.raises(ValueError, match="shorter than one season"):
            SeasonalNaive(m).fit(y)
        return
    forecast = SeasonalNaive(m).fit(y).predict(horizon)
    assert forecast.shape == (horizon,)
    for h in range(1, horizon + 1):  # ŷ[T+h] = y[T + h - m*ceil(h/m)]
        assert forecast[h - 1] == y[len(y) - 1 + h - m * -(-h // m)]


# ---- the Theta method


def test_theta_matches_statsforecasts_standard_theta_on_airline():
    models = pytest.importorskip("statsforecast.models")
    from gatedts.datasets import load_airline

    y = load_airline().to_numpy(dtype=float)[:-12]
    expected = models.Theta(season_length=12).forecast(y, 12)["mean"]
    # the same method; the two optimisers of alpha stop a little apart
    np.testing.assert_allclose(theta_forecast(y, 12, 12), expected, rtol=5e-4)
    walk = np.cumsum(np.random.default_rng(0).normal(size=80)) + 50
    np.testing.assert_allclose(theta_forecast(walk, 1, 5),
                               models.Theta().forecast(walk, 5)["mean"], rtol=1e-5)


def test_theta_on_a_line_continues_it_at_half_its_slope_from_the_last_level():
    y = 3.0 + 2.0 * np.arange(50)  # SES trails a line; the drift is half its slope
    forecast = theta_forecast(y, 1, 4)
    assert np.all(np.diff(forecast) == pytest.approx(1.0))
    assert forecast[0] < y[-1] + 2


def test_theta_forecasts_a_constant_series_as_itself():
    np.testing.assert_allclose(theta_forecast(np.full(30, 7.5), 12, 6), 7.5)


def test_theta_seasonality_multiplicative_when_positive_additive_otherwise():
    t = np.arange(96)
    positive = 100 + t + np.tile([0.0, 5, 10, 5], 24)
    negative = positive - 300  # the same pattern, partly negative: added, not multiplied
    for forecast in (theta_forecast(positive, 4, 8), theta_forecast(negative, 4, 8)):
        assert np.argmax(forecast[:4]) == 2 and np.argmin(forecast[:4]) == 0  # the season
    # multiplicative: scale-equivariant; additive: shift-equivariant
    np.testing.assert_allclose(theta_forecast(10 * positive, 4, 8),
                               10 * theta_forecast(positive, 4, 8), rtol=1e-6)
    np.testing.assert_allclose(theta_forecast(negative - 100, 4, 8),
                               theta_forecast(negative, 4, 8) - 100, rtol=1e-6)
    assert not np.allclose(theta_forecast(positive, 4, 8) - 300, theta_forecast(negative, 4, 8),
                           rtol=1e-3)


def test_theta_errors():
    with pytest.raises(ValueError, match="at least 2 observations"):
        theta_forecast([1.0], 1, 3)
    with pytest.raises(ValueError, match="NaN"):
        theta_forecast([1.0, np.nan, 2.0], 1, 3)
    with pytest.raises(ValueError, match="horizon"):
        theta_forecast([1.0, 2.0, 3.0], 1, 0)


# ---- Holt's damped trend


def test_damped_trend_continues_a_trend_and_levels_off():
    y = 3.0 + 2.0 * np.arange(40)
    forecast = damped_trend_forecast(y, 1, 30)
    steps = np.diff(np.r_[y[-1], forecast])
    assert steps[0] == pytest.approx(2.0, rel=0.05)  # the trend goes on
    assert np.all(steps > 0) and np.all(np.diff(steps) < 0)  # ... and is damped


def test_damped_trend_keeps_the_season_and_a_constant():
    t = np.arange(96)
    y = 100 + 0.5 * t + np.tile([0.0, 5, 10, 5], 24)
    forecast = damped_trend_forecast(y, 4, 8)
    assert np.argmax(forecast[:4]) == 2 and np.argmin(forecast[:4]) == 0
    np.testing.assert_allclose(damped_trend_forecast(np.full(30, 7.5), 12, 6), 7.5)
    np.testing.assert_allclose(damped_trend_forecast(10 * y, 4, 8), 10 * forecast, rtol=1e-5)


def test_damped_trend_errors():
    with pytest.raises(ValueError, match="at least 3 observations"):
        damped_trend_forecast([1.0, 2.0], 1, 3)
    with pytest.raises(ValueError, match="values contains inf at position 1"):
        damped_trend_forecast([1.0, np.inf, 2.0, 3.0], 1, 3)
