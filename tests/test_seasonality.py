"""The rules behind the Forecaster's "auto" choices."""

import numpy as np
import pandas as pd
import pytest

from gatedts.datasets import load_airline, load_co2
from gatedts.forecasting.seasonality import (
    KPSS_CRITICAL_5PCT,
    infer_seasonal_period,
    kpss_statistic,
    prefers_log,
    seasonal_strength,
)


@pytest.mark.parametrize("freq, period", [
    ("MS", 12), ("ME", 12), ("QS", 4), ("QE-DEC", 4), ("YS", 1), ("W-SUN", 52), ("D", 7),
    ("B", 5), ("h", 24), ("2h", 12), ("30min", 48), ("15min", 96), ("min", 60), ("s", 60),
    ("5h", 1), ("3D", 1), ("2QS", 2), ("BME", 12), ("SMS", 24),
])
def test_infer_seasonal_period(freq, period):
    assert infer_seasonal_period(freq) == period


def test_infer_seasonal_period_from_indexes():
    assert infer_seasonal_period(pd.period_range("2000-01", periods=3, freq="M")) == 12
    assert infer_seasonal_period(pd.RangeIndex(5)) == 1
    assert infer_seasonal_period(None) == 1
    # offsets that are neither calendar units nor fixed durations: no season assumed
    assert infer_seasonal_period("bh") == 1
    assert infer_seasonal_period(pd.offsets.Easter()) == 1
    assert infer_seasonal_period(pd.DateOffset(months=1)) == 1


def test_kpss_separates_noise_from_random_walk():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=500)
    assert kpss_statistic(noise) < KPSS_CRITICAL_5PCT
    assert kpss_statistic(np.cumsum(noise)) > KPSS_CRITICAL_5PCT
    assert kpss_statistic(np.ones(10)) == 0.0
    with pytest.raises(ValueError, match="at least 3"):
        kpss_statistic([1.0, 2.0])


def test_seasonal_strength():
    t = np.arange(240)
    season = np.sin(2 * np.pi * t / 12)
    noise = np.random.default_rng(1).normal(size=240)
    assert seasonal_strength(season + 0.01 * t, 12) > 0.99
    assert seasonal_strength(noise, 12) < 0.3
    assert seasonal_strength(season, 1) == 0.0
    assert seasonal_strength(season[:30], 12) == 0.0  # fewer than 3 seasons
    assert seasonal_strength(np.log(load_airline()), 12) > 0.64


def test_prefers_log():
    assert prefers_log(load_airline(), 12)
    t = np.arange(200)
    additive = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    assert not prefers_log(additive + np.random.default_rng(2).normal(size=200), 12)
    assert not prefers_log(np.r_[0.0, additive], 12)  # not positive
    assert not prefers_log(additive[:40], 12)  # fewer than 4 seasons
    assert not prefers_log(np.full(48, 5.0), 12)  # constant: no spread to stabilise
    assert isinstance(prefers_log(load_co2(), 12), bool)
