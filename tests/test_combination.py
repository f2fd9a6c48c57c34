"""Forecaster("auto"): its members (networks, a linear autoregression, the pretrained network,
seasonal naive, drift, damped trend) and their weights, chosen on inner rolling origins
(gatedts.forecasting.combination)."""

import numpy as np
import pandas as pd
import pytest

from gatedts import Forecaster, load, save
from gatedts.forecasting.baselines import damped_trend_forecast
from gatedts.forecasting.combination import INNER_ORIGINS, Combination, seasonal_naive_forecast

SMALL = {"hidden_size": 4, "max_iter": 3}
MEMBERS = ["gru", "lstm", "linear", "pretrained", "seasonal_naive", "drift", "damped_trend"]


def _series(n=96, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 50 + 0.2 * t + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.Series(values, index=pd.date_range("2000-01", periods=n, freq="MS"))


def _auto(**kwargs):
    return Forecaster("auto", horizon=6, random_state=0, network_options=SMALL, **kwargs)


@pytest.fixture(scope="module")
def fitted():
    return _auto().fit(_series())


def test_members_and_weights_from_inner_origins(fitted):
    scores = fitted.member_scores_
    assert list(scores["member"]) == MEMBERS == fitted.combination_.names
    assert (scores["origins"] == INNER_ORIGINS).all()
    weights = fitted.member_weights_
    assert weights.sum() == pytest.approx(1.0)
    # inverse squared errors: a member that forecast the inner origins better weighs more
    expected = 1 / scores["score"].to_numpy() ** 2
    np.testing.assert_allclose(weights, expected / expected.sum())
    assert np.argmax(weights) == np.argmin(scores["score"])


def test_forecast_is_the_weighted_sum_of_the_members(fitted):
    members = fitted.combination_.member_forecasts(fitted, fitted.y_, None, None, 6)
    assert members.shape == (7, 6)
    np.testing.assert_allclose(fitted.predict().to_numpy(), fitted.member_weights_ @ members)
    y = _series().to_numpy()
    np.testing.assert_array_equal(members[4], y[-12:-6])  # the last season
    np.testing.assert_allclose(members[5], y[-1] + (y[-1] - y[0]) / 95 * np.arange(1, 7))
    np.testing.assert_array_equal(members[6], damped_trend_forecast(y, 12, 6))


def test_a_model_saved_before_a_rule_member_joined_keeps_its_members(fitted):
    old = Combination(MEMBERS[:-1], [0.2, 0.2, 0.2, 0.2, 0.1, 0.1], fitted.combination_.linear,
                      fitted.combination_.pretrained, fitted.member_scores_.iloc[:-1])
    members = old.member_forecasts(fitted, fitted.y_, None, None, 6)
    now = fitted.combination_.member_forecasts(fitted, fitted.y_, None, None, 6)
    np.testing.assert_array_equal(members, now[:-1])


def test_fixed_weights_choose_a_member():
    y = _series()
    f = _auto(member_weights=[0, 0, 0, 0, 2, 0, 0]).fit(y)  # normalised to sum to 1
    np.testing.assert_array_equal(f.member_weights_, [0, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(f.predict().to_numpy(), y.to_numpy()[-12:-6])
    assert f.member_scores_["score"].isna().all()
    # the calibration copy keeps the weights: the interval is seasonal naive's
    interval = f.predict_interval(coverage=0.8)
    np.testing.assert_array_equal(interval["forecast"], y.to_numpy()[-12:-6])
    assert (interval["lower"] < interval["forecast"]).all()


@pytest.mark.parametrize("weights", [[1, 1], [1, 1, 1, -1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0],
                                     [1, 1, 1, np.nan, 1, 1, 1]])
def test_bad_member_weights_are_refused(weights):
    with pytest.raises(ValueError, match="member_weights must be 7 non-negative"):
        _auto(member_weights=weights).fit(_series())


def test_member_weights_need_auto():
    with pytest.raises(ValueError, match=r"member_weights applies to Forecaster\('auto'\)"):
        Forecaster("gru", member_weights=[1.0], network_options=SMALL).fit(_series())


def test_too_short_for_an_inner_origin_gives_equal_weights():
    f = _auto().fit(_series(20))
    np.testing.assert_allclose(f.member_weights_, np.full(7, 1 / 7))
    assert (f.member_scores_["origins"] == 0).all()
    assert np.isfinite(f.predict()).all()


def test_model_file_keeps_the_combination(fitted, tmp_path):
    save(fitted, tmp_path / "auto.gdts")
    loaded = load(tmp_path / "auto.gdts")
    np.testing.assert_array_equal(loaded.member_weights_, fitted.member_weights_)
    pd.testing.assert_frame_equal(loaded.member_scores_, fitted.member_scores_)
    pd.testing.assert_series_equal(loaded.predict(), fitted.predict())


def test_forecast_from_another_history(fitted):
    y = _series()
    moved = fitted.forecast_from(y.iloc[:-6])
    members = fitted.combination_.member_forecasts(fitted, y.to_numpy()[:-6], None, None, 6)
    np.testing.assert_allclose(moved.to_numpy(), fitted.member_weights_ @ members)


def test_linear_member_is_a_ridge_regression():
    from sklearn.linear_model import Ridge

    from gatedts.forecasting.baselines import LinearAutoregression

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 5)), rng.normal(size=(40, 3))
    ours, theirs = LinearAutoregression(alpha=0.7).fit(X, Y), Ridge(alpha=0.7).fit(X, Y)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)
    assert ours.predict(X).shape == (40, 3) and ours.fit(X, Y[:, 0]).predict(X).shape == (40,)
    with pytest.raises(ValueError, match="X has 4 features, but this model was fitted with 5"):
        ours.predict(X[:, :4])


def test_seasonal_naive_forecast():
    values = np.arange(10.0)
    np.testing.assert_array_equal(seasonal_naive_forecast(values, 4, 6), [6, 7, 8, 9, 6, 7])
    np.testing.assert_array_equal(seasonal_naive_forecast(values, 1, 3), [9, 9, 9])
    np.testing.assert_array_equal(seasonal_naive_forecast(values, 12, 2), [9, 9])  # too short


def test_interval_is_the_union_of_the_conformal_one_and_the_pretrained_spread(fitted):
    from gatedts.forecasting.conformal import pretrained_spread

    interval = fitted.predict_interval(coverage=0.8)
    point = interval["forecast"].to_numpy()
    transform = fitted.target_transform_
    half = fitted.calibration_.half_widths(fitted, 6, 0.8)
    conformal = (transform.from_score_scale(transform.to_score_scale(point) - half),
                 transform.from_score_scale(transform.to_score_scale(point) + half))
    spread = pretrained_spread(fitted, fitted.y_, point, 0.8)
    np.testing.assert_array_equal(interval["lower"], np.minimum(conformal[0], spread[0]))
    np.testing.assert_array_equal(interval["upper"], np.maximum(conformal[1], spread[1]))
    # above 90% (the network's widest quantiles) the 90% spread: never narrower
    wider = fitted.predict_interval(coverage=0.95)
    assert (wider["lower"] <= interval["lower"]).all()
    assert (wider["upper"] >= interval["upper"]).all()
