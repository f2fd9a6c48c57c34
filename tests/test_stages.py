"""The Forecaster's stages through their public interfaces, and how the Forecaster uses them."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from gatedts import Forecaster, backtest
from gatedts.datasets import load_airline
from gatedts.forecasting.transforms import TargetTransform, TransformChoice, resolve_transforms
from gatedts.forecasting.windows import MIN_WINDOWS, Windowing, resolve_window


@pytest.fixture(scope="module")
def airline():
    return load_airline()


@pytest.mark.parametrize("log, seasonal_period, difference", [
    (False, None, 1), (True, 12, 0), (True, 12, 1), (False, None, 0)])
def test_target_transform_inverts_what_it_transforms(airline, log, seasonal_period, difference):
    values = airline.to_numpy()
    train, future = values[:120], values[120:]
    transform = TargetTransform(log=log, seasonal_period=seasonal_period,
                                difference=difference).fit(train, None)
    assert transform.n_lost_ == (seasonal_period or 0) + difference
    # The transformed continuation of the series maps back onto it.
    target, _ = transform.transform(values, None)
    continued = transform.inverse(target[-len(future):], train)
    np.testing.assert_allclose(continued, future, rtol=1e-10)
    np.testing.assert_allclose(transform.from_score_scale(transform.to_score_scale(future)),
                               future, rtol=1e-12)


def test_resolve_transforms_gives_the_fitted_choices(airline):
    choice, scores = resolve_transforms(
        airline.to_numpy(), airline.index, seasonal_period=None, log="auto",
        seasonal_difference="auto", difference="auto", local_level="auto",
        validation_origins=0, horizon=12, proxy=None)
    f = Forecaster(LinearRegression(), horizon=12).fit(airline)
    assert choice == TransformChoice(f.seasonal_period_, f.log_, f.seasonal_difference_,
                                     f.difference_, f.local_level_)
    assert scores.empty
    with pytest.raises(ValueError, match="local_level must be True, False or 'auto'"):
        resolve_transforms(airline.to_numpy(), airline.index, seasonal_period=None, log=False,
                           seasonal_difference=False, difference=0, local_level="yes",
                           validation_origins=0, horizon=1, proxy=None)


def test_the_inference_window_continues_the_training_windows():
    rng = np.random.default_rng(0)
    target, features = np.cumsum(rng.normal(size=40)), rng.normal(size=(40, 2))
    windowing = Windowing(6, 3, local_level=True)
    X, Y, X_future = windowing.fit_transform(target, features)
    assert X_future is None and X.shape == (32, 6, 3) and Y.shape == (32, 3)
    assert np.all(X[:, -1, 0] == 0.0)  # relative to each window's last value
    # The last training window is the inference window of the history it ends.
    window, _, level = windowing.inference_window(target[:-3], features[:-3])
    np.testing.assert_array_equal(window[0], X[-1])
    np.testing.assert_allclose(windowing.restore(Y[-1], level), target[-3:], rtol=1e-12)
    with pytest.raises(ValueError, match="fewer than the window"):
        windowing.inference_window(target[:5], features[:5])


def test_future_known_columns_extend_the_windows_or_feed_the_decoder():
    rng = np.random.default_rng(1)
    target, features = rng.normal(size=30), rng.normal(size=(30, 2))
    plain = Windowing(5, 2, future_mask=[False, True])
    X, _, X_future = plain.fit_transform(target, features)
    assert X.shape == (24, 7, 4) and X_future is None
    np.testing.assert_array_equal(X[0, 5:, 2], features[5:7, 1])  # the known column
    assert np.all(X[0, 5:, :2] == 0) and np.all(X[0, 5:, 3] == 1)  # target, past-only, flag
    decoder = Windowing(5, 2, future_mask=[False, True], decoder=True)
    X_dec, _, future = decoder.fit_transform(target, features)
    np.testing.assert_array_equal(X_dec, X[:, :5, :3])
    np.testing.assert_array_equal(future[:, :, 0], X[:, 5:, 2])
    exog = np.arange(20.0).reshape(10, 2)
    np.testing.assert_array_equal(plain.exog_future_from(exog, 9, 2), [[19.0], [19.0]])
    assert Windowing(5, 2).exog_future_from(exog, 3, 2) is None


def test_resolve_window_keeps_enough_training_windows():
    assert resolve_window("auto", seasonal_period=12, n_obs=200, n_target=200, horizon=12,
                          model_horizon=12) == 24
    short = resolve_window("auto", seasonal_period=12, n_obs=30, n_target=30, horizon=3,
                           model_horizon=3)
    assert 30 - short - 3 + 1 == MIN_WINDOWS  # training windows left
    with pytest.raises(ValueError, match=r"\(13 after differencing\).*needs at least 18"):
        resolve_window(10, seasonal_period=1, n_obs=14, n_target=13, horizon=6,
                       model_horizon=6, n_lost=1)


def test_forecast_from_the_training_series_is_predict(airline):
    exog = pd.DataFrame({"promo": np.sin(np.arange(len(airline)))}, index=airline.index)
    f = Forecaster(LinearRegression(), window=12, horizon=3, future_exog=["promo"]).fit(
        airline.iloc[:-3], exog.iloc[:-3])
    future = exog.iloc[-3:]
    pd.testing.assert_series_equal(f.forecast_from(airline.iloc[:-3], exog.iloc[:-3], future),
                                   f.predict(exog_future=future))
    pd.testing.assert_frame_equal(
        f.forecast_from(airline.iloc[:-3], exog.iloc[:-3], future, coverage=0.8),
        f.predict_interval(0.8, exog_future=future))
    with pytest.raises(ValueError, match=r"exog lacks the columns \['promo'\]"):
        f.forecast_from(airline, exog.rename(columns={"promo": "price"}), future)
    with pytest.raises(ValueError, match="exog must have them"):
        f.forecast_from(airline, None, future)


def test_forecast_from_a_longer_history_is_a_backtest_without_refit(airline):
    f = Forecaster(LinearRegression(), window=12, horizon=6)
    result = backtest(f, airline, initial=120, step=6, refit=False, coverage=None)
    fitted = f.fit(airline.iloc[:120])
    later = fitted.forecast_from(airline.iloc[:126])
    np.testing.assert_array_equal(
        later.to_numpy(), result.forecasts.query("origin == @airline.index[125]")["forecast"])
    assert later.index.equals(airline.index[126:132])
