"""Inner validation of the "auto" transforms and ensembles of networks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from gatedts import Forecaster, GRURegressor, LSTMRegressor, load, save
from gatedts.forecasting.selection import choose_transforms, inner_origins, scaled_error

TINY = {"hidden_size": 3, "max_iter": 3, "batch_size": 16}


def monthly(values):
    return pd.Series(values, index=pd.date_range("2000-01", periods=len(values), freq="MS"))


def seasonal_noise(n=120, seed=0):
    """Stationary: a fixed yearly pattern plus white noise (wineind-like)."""
    rng = np.random.default_rng(seed)
    return 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 2, n)


def test_inner_origins_step_back_from_the_end():
    assert inner_origins(100, 12, 3, min_train=10) == [64, 76, 88]
    assert inner_origins(40, 12, 3, min_train=10) == [16, 28]  # 4 would train on 4 values
    assert inner_origins(20, 12, 3, min_train=10) == []


def test_scaled_error_uses_the_seasonal_naive_scale():
    history = np.tile([1.0, 3.0], 10)  # seasonal-naive error 0 with m=2: lag 1 would be 2
    assert scaled_error(np.array([2.0]), np.array([1.0]), history, 1) == pytest.approx(0.5)
    assert scaled_error(np.array([2.0]), np.array([1.0]), history, 2) == pytest.approx(1.0)


def _proxy(**choice):
    return Forecaster(Ridge(alpha=1.0), horizon=12, seasonal_period=12, window=24, **choice)


def test_validation_overrules_a_wrong_difference():
    # The tests' answer for wineind was "seasonal difference, then one more": on a
    # stationary seasonal series the extra difference doubles the error.
    values = seasonal_noise()
    prior = {"log": False, "seasonal_difference": True, "difference": 1}
    choice, table = choose_transforms(values, _proxy, prior, {"difference": [0, 1]},
                                      horizon=12, seasonal_period=12)
    assert choice == {"log": False, "seasonal_difference": True, "difference": 0}
    assert len(table) == 2 and table["prior"].sum() == 1 and table["chosen"].sum() == 1
    scores = table.set_index("difference")["score"]
    assert scores[0] < scores[1]


def test_the_prior_stands_unless_clearly_beaten():
    values = seasonal_noise()
    prior = {"log": False, "seasonal_difference": True, "difference": 0}
    choice, _ = choose_transforms(values, _proxy, prior, {"difference": [0, 1]},
                                  horizon=12, seasonal_period=12, margin=10.0)
    assert choice == prior
    worse = {"log": False, "seasonal_difference": True, "difference": 1}
    choice, _ = choose_transforms(values, _proxy, worse, {"difference": [0, 1]},
                                  horizon=12, seasonal_period=12, margin=10.0)
    assert choice == worse  # a margin of 1000% keeps even a bad prior


def test_too_short_to_validate_keeps_the_prior():
    prior = {"log": False, "seasonal_difference": False, "difference": 1}
    choice, table = choose_transforms(np.arange(30.0), _proxy, prior, {"difference": [0, 1]},
                                      horizon=12, seasonal_period=12)
    assert choice == prior and table.empty


class _Candidate:
    """A proxy forecaster: the last value, or a failure of the kind named."""

    def __init__(self, kind):
        self.kind = kind

    def fit(self, y):
        if self.kind == "too short":
            raise ValueError("too short for this candidate")
        self.last_ = y[-1]
        return self

    def predict(self, horizon):
        return np.full(horizon, np.nan if self.kind == "nan" else self.last_)


def test_candidates_that_fail_or_give_nan_score_nan_and_lose():
    prior = {"kind": "too short"}
    choice, table = choose_transforms(np.arange(40.0), _Candidate, prior,
                                      {"kind": ["too short", "nan", "last"]}, horizon=2,
                                      seasonal_period=1)
    assert choice == {"kind": "last"}
    scores = table.set_index("kind")["score"]
    assert np.isnan(scores["too short"]) and np.isnan(scores["nan"])
    assert scores["last"] == pytest.approx(1.5)  # errors 1 and 2 on a unit-step scale


def test_forecaster_shows_its_validation():
    y = monthly(seasonal_noise())
    f = Forecaster(GRURegressor(**TINY), horizon=12, validation_origins=3).fit(y)
    table = f.transform_scores_
    assert set(table.columns) == {"log", "seasonal_difference", "difference", "score", "prior",
                                  "chosen"}
    chosen = table[table["chosen"]].iloc[0]
    assert (f.log_, f.seasonal_difference_, f.difference_) == (
        chosen["log"], chosen["seasonal_difference"], chosen["difference"])
    assert len(table) == 8  # log x seasonal difference x difference
    fixed = Forecaster(GRURegressor(**TINY), horizon=12, log=False, difference=0,
                       validation_origins=3).fit(y)
    assert set(fixed.transform_scores_.columns) >= {"seasonal_difference", "score"}
    assert len(fixed.transform_scores_) == 2 and not fixed.difference_ and not fixed.log_


def test_validation_is_off_by_default_and_keeps_the_tests_answers():
    y = monthly(seasonal_noise())
    f = Forecaster(GRURegressor(**TINY), horizon=12).fit(y)
    assert f.transform_scores_.empty and f.validation_origins == 0
    with pytest.raises(ValueError, match="validation_origins must be a non-negative integer"):
        Forecaster(horizon=3, validation_origins=-1).fit(y)


# ---------------------------------------------------------------- ensembles


def test_ensemble_forecast_is_the_median_of_its_members():
    y = monthly(seasonal_noise(72))
    f = Forecaster(GRURegressor(**TINY, random_state=5), horizon=6, n_models=3,
                   random_state=0).fit(y)
    assert len(f.estimators_) == 3 and f.estimator_ is f.estimators_[0]
    seeds = [e.random_state for e in f.estimators_]
    assert seeds[0] == 5 and len(set(seeds)) == 3  # the first member is the regressor as given
    members = []
    for estimator in f.estimators_:
        single = Forecaster(GRURegressor(**TINY), horizon=6).fit(y)  # same transforms
        single.estimators_ = [estimator]
        members.append(single.predict().to_numpy())
    # The median is taken on the network's scale, before the transforms are inverted:
    # with monotone inverse transforms of one output, the same as the median forecast.
    np.testing.assert_allclose(f.predict().to_numpy()[0], np.median(members, axis=0)[0])


def test_one_member_ensemble_is_the_single_network():
    y = monthly(seasonal_noise(72))
    one = Forecaster(GRURegressor(**TINY, random_state=3), horizon=6).fit(y)
    again = Forecaster(GRURegressor(**TINY, random_state=3), horizon=6, n_models=1).fit(y)
    pd.testing.assert_series_equal(one.predict(), again.predict(), check_exact=True)


def test_auto_trains_a_gru_and_an_lstm_and_round_trips(tmp_path):
    y = monthly(seasonal_noise(72))
    f = Forecaster("auto", horizon=6, random_state=0)
    f.fit(y)
    assert [type(e) for e in f.estimators_] == [GRURegressor, LSTMRegressor]
    assert f.model_name == "AUTO"
    loaded = load(save(f, tmp_path / "auto.gdts"))
    assert loaded.estimator_ is loaded.estimators_[0]
    pd.testing.assert_series_equal(loaded.predict(), f.predict(), check_exact=True)


def test_bad_ensemble_sizes():
    y = monthly(seasonal_noise(72))
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="n_models must be a positive integer"):
            Forecaster(GRURegressor(**TINY), horizon=3, n_models=bad).fit(y)
    with pytest.raises(ValueError, match="unknown estimator 'transformer'"):
        Forecaster("transformer", horizon=3).fit(y)
