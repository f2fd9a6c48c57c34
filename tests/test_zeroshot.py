"""Forecaster("pretrained"): the shipped network as a Forecaster's model, no training."""

import numpy as np
import pandas as pd
import pytest

from gatedts import Forecaster
from gatedts.forecasting import zeroshot
from gatedts.persistence import load, save
from gatedts.pretrained import QUANTILES


def _monthly(n=60, level=100.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)
    return pd.Series(values, index=pd.date_range("2015-01-01", periods=n, freq="MS"), name="y")


def test_forecasts_dated_after_the_series_with_its_season_length():
    y = _monthly()
    f = Forecaster("pretrained", horizon=6).fit(y)
    forecast = f.predict()
    assert f.seasonal_period_ == 12 and f.n_windows_ == 0 and f.model_name == "PRETRAINED"
    assert len(forecast) == 6 and forecast.name == "y"
    assert forecast.index[0] == pd.Timestamp("2020-01-01") and forecast.index.freqstr == "MS"
    assert np.all(np.isfinite(forecast))
    # The season length given to the network is the Forecaster's resolution.
    told = Forecaster("pretrained", horizon=6, seasonal_period=1).fit(y)
    assert told.estimator_.season_length == 1
    assert not np.allclose(told.predict(), forecast)
    assert f.network_input().shape == (1, len(y), 7)


def test_long_horizon_is_forecast_in_chunks():
    f = Forecaster("pretrained", horizon=60).fit(_monthly())
    assert len(f.predict()) == 60 and np.all(np.isfinite(f.predict()))


def test_intervals_are_ordered_nested_and_from_the_quantiles():
    y = _monthly()
    f = Forecaster("pretrained", horizon=8).fit(y)
    quantiles = f.estimator_.quantiles(y.to_numpy(), 8)
    widths = {}
    for coverage in (0.5, 0.8, 0.85, 0.9):
        frame = f.predict_interval(coverage)
        assert np.all(frame["lower"] <= frame["forecast"])
        assert np.all(frame["forecast"] <= frame["upper"])
        widths[coverage] = frame
    np.testing.assert_array_equal(widths[0.9]["lower"], quantiles[:, QUANTILES.index(0.05)])
    np.testing.assert_array_equal(widths[0.9]["upper"], quantiles[:, QUANTILES.index(0.95)])
    np.testing.assert_array_equal(widths[0.8]["lower"], quantiles[:, QUANTILES.index(0.1)])
    for narrow, wide in [(0.5, 0.8), (0.8, 0.85), (0.85, 0.9)]:
        assert np.all(widths[wide]["lower"] <= widths[narrow]["lower"])
        assert np.all(widths[narrow]["upper"] <= widths[wide]["upper"])
    with pytest.raises(ValueError, match=r"coverage=0\.95 needs quantiles beyond"):
        f.predict_interval(0.95)


def test_scale_and_shift_equivariant():
    y = _monthly()
    base = Forecaster("pretrained", horizon=5).fit(y).predict_interval(0.8)
    moved = Forecaster("pretrained", horizon=5).fit(3.0 * y + 1000.0).predict_interval(0.8)
    np.testing.assert_allclose(moved.to_numpy(), 3.0 * base.to_numpy() + 1000.0, rtol=1e-5)


def test_forecast_from_and_backtest_need_no_training():
    y = _monthly(72)
    f = Forecaster("pretrained", horizon=4).fit(y.iloc[:48])
    direct = Forecaster("pretrained", horizon=4).fit(y.iloc[:60]).predict_interval(0.9)
    pd.testing.assert_frame_equal(f.forecast_from(y.iloc[:60], coverage=0.9), direct)
    result = Forecaster("pretrained", horizon=4).backtest(y, initial=48, step=4)
    assert result.forecasts["lower"].notna().all() and len(result.forecasts) == 24


def test_save_load_round_trip(tmp_path):
    f = Forecaster("pretrained", horizon=6).fit(_monthly())
    loaded = load(save(f, tmp_path / "pretrained.gdts"))
    pd.testing.assert_frame_equal(loaded.predict_interval(0.9), f.predict_interval(0.9),
                                  check_exact=True)
    assert loaded.estimator_.weights_id == zeroshot.shipped_weights_id()


def test_other_shipped_weights_are_refused():
    f = Forecaster("pretrained", horizon=3).fit(_monthly())
    f.estimator_.weights_id = "0" * 16
    with pytest.raises(ValueError, match=r"made with the pretrained weights 0+, but this gatedts"):
        f.predict()


def test_exog_is_refused():
    y = _monthly()
    exog = pd.DataFrame({"x": np.arange(len(y), dtype=float)}, index=y.index)
    with pytest.raises(ValueError, match="the pretrained network reads no exogenous inputs"):
        Forecaster("pretrained").fit(y, exog)
    with pytest.raises(ValueError, match="the pretrained network reads no exogenous inputs"):
        Forecaster("pretrained", future_exog=["x"]).fit(y)


def test_too_short_series_says_so():
    with pytest.raises(ValueError, match=r"y has 2 observation\(s\); the pretrained network "
                                         r"needs at least 3"):
        Forecaster("pretrained").fit(np.array([1.0, 2.0]))
    f = Forecaster("pretrained", horizon=2).fit(np.arange(5.0))
    with pytest.raises(ValueError, match=r"the history has 2 observation\(s\); the pretrained"):
        f.forecast_from(np.array([1.0, 2.0]))
    # A short series still gets an interval.
    assert Forecaster("pretrained", horizon=2).fit(np.arange(4.0)).predict_interval().notna(
    ).all().all()


def test_fine_tuned_forecaster_saves_and_loads_its_weights(tmp_path):
    y = _monthly()
    options = {"fine_tune": {"steps": 3, "learning_rate": 1e-3}}
    f = Forecaster("pretrained", horizon=6, network_options=options, random_state=0).fit(y)
    zero_shot = Forecaster("pretrained", horizon=6).fit(y)
    assert not hasattr(zero_shot.estimator_, "params_")
    assert f.estimator_.fine_tuning_["steps"] == 3 and f.estimator_.fine_tuning_["windows"] == 24
    assert not np.allclose(f.predict(), zero_shot.predict())
    again = Forecaster("pretrained", horizon=6, network_options=options, random_state=0).fit(y)
    pd.testing.assert_series_equal(again.predict(), f.predict(), check_exact=True)
    loaded = load(save(f, tmp_path / "tuned.gdts"))
    pd.testing.assert_frame_equal(loaded.predict_interval(0.8), f.predict_interval(0.8),
                                  check_exact=True)
    for key, value in f.estimator_.params_.items():
        np.testing.assert_array_equal(loaded.estimator_.params_[key], value)
    frame = f.predict_interval(0.9)  # still the network's own quantiles
    quantiles = f.estimator_.quantiles(y.to_numpy(), 6)
    np.testing.assert_array_equal(frame["upper"], quantiles[:, QUANTILES.index(0.95)])
    loaded.estimator_.weights_id = "0" * 16  # fine-tuned from weights this gatedts lacks
    with pytest.raises(ValueError, match=r"made with the pretrained weights 0+"):
        loaded.predict()


@pytest.mark.parametrize(("options", "match"), [
    ({"hidden_size": 8}, "network_options of Forecaster.'pretrained'. may hold only 'fine_tune'"),
    ({"fine_tune": {"epochs": 3}}, "unknown fine-tuning setting.*'epochs'"),
    ({"fine_tune": {"steps": -2}}, "steps must be"),
])
def test_bad_fine_tuning_options_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        Forecaster("pretrained", network_options=options).fit(_monthly())
