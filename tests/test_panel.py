"""forecast_many on long-format panels: local and global modes, seeds, errors, exog."""

import numba
import numpy as np
import pandas as pd
import pytest
from helpers import ctrl_c_at_step
from sklearn.linear_model import Ridge

from gatedts import Forecaster, GRURegressor, forecast_many
from gatedts.estimators import on_epoch
from gatedts.forecasting.panel import LOWER_COL, PRED_COL, UPPER_COL, series_seed
from gatedts.forecasting.parallel import limit_threads, run_parallel

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

H = 5


def tiny(**params):
    """A Forecaster around a network small enough to fit in milliseconds."""
    params = {"horizon": H, "random_state": 0, **params}
    return Forecaster(GRURegressor(hidden_size=4, max_iter=3), **params)


def panel(n_series=4, n_obs=60, start="2021-01-01", freq="D", seed=0):
    """Weekly-seasonal daily series of different levels, shuffled rows, string ids."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_obs)
    frames = []
    for k in range(n_series):
        y = (10 + 5 * k) * (1 + 0.3 * np.sin(2 * np.pi * t / 7 + k)) + rng.normal(0, 0.5, n_obs)
        frames.append(pd.DataFrame({
            "unique_id": f"s{k}", "ds": pd.date_range(start, periods=n_obs, freq=freq), "y": y,
            "promo": (rng.random(n_obs) < 0.3).astype(float), "temp": rng.normal(15, 3, n_obs)}))
    return pd.concat(frames).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def one_series(df, uid, cols=("y",)):
    part = df[df["unique_id"] == uid].sort_values("ds").set_index("ds")
    part.index = pd.DatetimeIndex(part.index, freq="infer")
    return part[list(cols)] if len(cols) > 1 else part[cols[0]]


@pytest.fixture(scope="module")
def df():
    return panel()


# ---------------------------------------------------------------- local mode


def test_output_is_long_format_dated_after_each_series(df):
    df = df.copy()
    df.loc[df["unique_id"] == "s1", "ds"] += pd.Timedelta(days=3)  # series may end apart
    out = forecast_many(df, tiny())
    assert list(out.columns) == ["unique_id", "ds", PRED_COL]
    assert out["unique_id"].tolist() == [f"s{k}" for k in range(4) for _ in range(H)]
    assert out["ds"].dtype == df["ds"].dtype
    for uid, part in out.groupby("unique_id"):
        last = df.loc[df["unique_id"] == uid, "ds"].max()
        assert part["ds"].tolist() == list(pd.date_range(last, periods=H + 1, freq="D")[1:])
    assert np.isfinite(out[PRED_COL]).all()
    assert out.index.equals(pd.RangeIndex(len(out)))


def test_local_mode_is_forecaster_fitted_on_each_series_with_its_seed(df):
    out = forecast_many(df, tiny(), random_state=7)
    for uid in ("s0", "s3"):
        seed = series_seed(7, uid)
        f = tiny(random_state=seed).set_params(estimator__random_state=seed)
        expected = f.fit(one_series(df, uid)).predict()
        got = out[out["unique_id"] == uid]
        np.testing.assert_array_equal(got[PRED_COL].to_numpy(), expected.to_numpy())
        assert got["ds"].tolist() == expected.index.tolist()


def test_local_mode_gives_each_series_its_conformal_interval(df):
    out = forecast_many(df, tiny(n_calibration=9), random_state=7, coverage=0.8)
    assert list(out.columns) == ["unique_id", "ds", PRED_COL, LOWER_COL, UPPER_COL]
    assert (out[LOWER_COL] <= out[PRED_COL]).all() and (out[PRED_COL] <= out[UPPER_COL]).all()
    seed = series_seed(7, "s2")
    f = tiny(random_state=seed, n_calibration=9).set_params(estimator__random_state=seed)
    expected = f.fit(one_series(df, "s2")).predict_interval(coverage=0.8)
    got = out[out["unique_id"] == "s2"]
    np.testing.assert_array_equal(got[[PRED_COL, LOWER_COL, UPPER_COL]].to_numpy(),
                                  expected[["forecast", "lower", "upper"]].to_numpy())
    points = forecast_many(df, tiny(n_calibration=9), random_state=7)
    np.testing.assert_array_equal(points[PRED_COL].to_numpy(), out[PRED_COL].to_numpy())
    with pytest.raises(ValueError, match="mode='local' only"):
        forecast_many(df, tiny(), mode="global", coverage=0.8)
    with pytest.raises(ValueError, match="coverage"):
        forecast_many(df, tiny(), coverage=1.5)


def test_forecasts_independent_of_n_jobs_row_order_and_other_series(df):
    serial = forecast_many(df, tiny())
    shuffled = df.sample(frac=1.0, random_state=3)
    parallel = forecast_many(shuffled, tiny(), n_jobs=2)  # loky processes
    pd.testing.assert_frame_equal(serial, parallel)
    subset = forecast_many(df[df["unique_id"].isin(["s2", "s3"])], tiny())
    pd.testing.assert_frame_equal(subset, serial[serial["unique_id"].isin(["s2", "s3"])]
                                  .reset_index(drop=True))


def test_progress_bar_over_the_series_serial_and_parallel(df, capsys):
    quiet = forecast_many(df, tiny())
    assert capsys.readouterr().err == ""
    for n_jobs in (None, 2):
        shown = forecast_many(df, tiny(), n_jobs=n_jobs, progress=True)
        err = capsys.readouterr().err
        assert "forecast_many" in err and "/4" in err and "series" in err, n_jobs
        assert "\r" in err and "\n" not in err  # one line, redrawn
        pd.testing.assert_frame_equal(shown, quiet)


def test_series_get_different_seeds_and_the_forecaster_is_not_modified(df):
    forecaster = tiny()
    before = forecaster.get_params(deep=True)
    forecast_many(df, forecaster)
    assert forecaster.get_params(deep=True) == before
    seeds = {series_seed(0, f"s{k}") for k in range(100)}
    assert len(seeds) == 100 and all(0 <= s < 2**31 for s in seeds)
    assert series_seed(0, 3) == series_seed(0, np.int64(3)) != series_seed(1, 3)
    assert series_seed(None, "a") is None


def test_unseeded_forecaster_still_runs(df):
    out = forecast_many(df, Forecaster(Ridge(), horizon=2))
    assert len(out) == 8


def test_horizon_argument_overrides_the_forecaster(df):
    out = forecast_many(df, tiny(), horizon=3)
    assert out.groupby("unique_id").size().tolist() == [3] * 4


def test_custom_column_names_integer_time_and_integer_ids():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"store": np.repeat([3, 1], 40), "t": np.tile(np.arange(100, 140), 2),
                       "sales": rng.normal(10, 1, 80)})
    out = forecast_many(df, Forecaster(Ridge(), horizon=2), id_col="store", time_col="t",
                        target_col="sales")
    assert list(out.columns) == ["store", "t", PRED_COL]
    assert out["store"].tolist() == [1, 1, 3, 3] and out["store"].dtype == df["store"].dtype
    assert out["t"].tolist() == [140, 141, 140, 141]


def test_series_of_different_frequencies_share_a_panel():
    daily = panel(1, 60)
    monthly = panel(1, 60, freq="MS").assign(unique_id="monthly")
    out = forecast_many(pd.concat([daily, monthly]), Forecaster(Ridge(), horizon=2))
    assert out["ds"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"),
                                  pd.Timestamp("2021-03-02"), pd.Timestamp("2021-03-03")]


# ---------------------------------------------------------------- exogenous columns


def test_past_exog_columns_are_used_per_series(df):
    out = forecast_many(df, tiny(), exog_cols=["promo", "temp"], random_state=1)
    seed = series_seed(1, "s2")
    f = tiny(random_state=seed).set_params(estimator__random_state=seed)
    data = one_series(df, "s2", ("y", "promo", "temp"))
    expected = f.fit(data["y"], exog=data[["promo", "temp"]]).predict()
    np.testing.assert_array_equal(out.loc[out["unique_id"] == "s2", PRED_COL], expected)
    assert not np.array_equal(out[PRED_COL], forecast_many(df, tiny(), random_state=1)[PRED_COL])


def future_rows(df):
    last = df.groupby("unique_id")["ds"].max()
    return pd.DataFrame([{"unique_id": uid, "ds": end + pd.Timedelta(days=k + 1), "promo": k % 2}
                         for uid, end in last.items() for k in range(H)])


@pytest.mark.parametrize("mode", ["local", "global"])
def test_future_known_exog_comes_from_exog_future(df, mode):
    forecaster = tiny(future_exog=["promo"])
    future = future_rows(df)
    out = forecast_many(df, forecaster, exog_cols=["promo", "temp"], exog_future=future,
                        mode=mode)
    assert len(out) == 4 * H and np.isfinite(out[PRED_COL]).all()
    flipped = future.assign(promo=1 - future["promo"])
    other = forecast_many(df, forecaster, exog_cols=["promo", "temp"], exog_future=flipped,
                          mode=mode)
    assert not np.array_equal(out[PRED_COL], other[PRED_COL])
    with pytest.raises(ValueError, match="pass exog_future"):
        forecast_many(df, forecaster, exog_cols=["promo", "temp"], mode=mode)
    with pytest.raises(ValueError, match=r"no rows for the series \['s3'\]"):
        forecast_many(df, forecaster, exog_cols=["promo", "temp"], mode=mode,
                      exog_future=future[future["unique_id"] != "s3"])


@pytest.mark.parametrize("mode", ["local", "global"])
def test_ctrl_c_stops_the_panel(df, mode, monkeypatch):
    steps = ctrl_c_at_step(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        forecast_many(df, tiny(), mode=mode)
    assert len(steps) == 2  # no other series (or forecast) went on


# ---------------------------------------------------------------- global mode


def test_global_mode_applies_network_options(df):
    epochs = []
    forecaster = Forecaster("rnn", horizon=H, random_state=0,
                            network_options={"hidden_size": 3, "max_iter": 2})
    with on_epoch(lambda epoch, n_epochs, loss: epochs.append((epoch, n_epochs))):
        forecast_many(df, forecaster, mode="global")
    assert epochs == [(1, 2), (2, 2)]
    with pytest.raises(ValueError, match="network_options apply to the default networks"):
        forecast_many(df, Forecaster(Ridge(), horizon=H, network_options={"alpha": 1.0}),
                      mode="global")


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_global_mode_on_one_series_is_the_forecaster(df, strategy):
    one = df[df["unique_id"] == "s1"]
    forecaster = Forecaster("gru", window=14, horizon=H, strategy=strategy, random_state=3)
    out = forecast_many(one, forecaster, mode="global")
    expected = forecaster.fit(one_series(df, "s1")).predict()
    np.testing.assert_array_equal(out[PRED_COL].to_numpy(), expected.to_numpy())


def test_global_mode_scales_each_series(df):
    # Per-series standardisation: a series a thousand times larger gets the same
    # network inputs, hence a thousand times larger forecasts.
    forecaster = tiny(log=False)
    base = forecast_many(df, forecaster, mode="global")
    scaled = forecast_many(df.assign(y=np.where(df["unique_id"] == "s2", 1000, 1) * df["y"]),
                           forecaster, mode="global")
    np.testing.assert_allclose(scaled[PRED_COL].where(scaled["unique_id"] == "s2") / 1000,
                               base[PRED_COL].where(base["unique_id"] == "s2"), rtol=1e-5)
    np.testing.assert_allclose(scaled[PRED_COL].where(scaled["unique_id"] != "s2"),
                               base[PRED_COL].where(base["unique_id"] != "s2"), rtol=1e-5)


def test_global_mode_is_independent_of_row_order_and_differs_from_local(df):
    first = forecast_many(df, tiny(), mode="global", exog_cols=["temp"])
    again = forecast_many(df.sample(frac=1.0, random_state=5), tiny(), mode="global",
                          exog_cols=["temp"], n_jobs=2)
    pd.testing.assert_frame_equal(first, again)
    local = forecast_many(df, tiny(), exog_cols=["temp"])
    assert not np.array_equal(first[PRED_COL], local[PRED_COL])
    pd.testing.assert_frame_equal(first.drop(columns=PRED_COL), local.drop(columns=PRED_COL))


def test_global_mode_trains_any_regressor(df):
    out = forecast_many(df, Forecaster(Ridge(), horizon=H), mode="global")
    assert len(out) == 4 * H and np.isfinite(out[PRED_COL]).all()


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("change, message", [
    (lambda d: d.drop(columns="y"), r"df lacks the column\(s\) \['y'\]"),
    (lambda d: pd.concat([d, d.iloc[[5]]]), r"duplicated \(unique_id, ds\) pair"),
    (lambda d: d.assign(y=d["y"].mask(d.index == 7)), r"df\['y'\] has 1 missing"),
    (lambda d: d.assign(temp=d["temp"].mask(d.index == 7, np.inf)), r"df\['temp'\].*infinite"),
    (lambda d: d.drop(index=d.index[(d["unique_id"] == "s2") & (d["ds"] == "2021-01-20")]),
     r"series 's2': .*gap .*2021-01-20 is missing after 2021-01-19"),
    (lambda d: d.assign(ds=d["ds"].astype(str)), r"convert it, e\.g\. .*pd\.to_datetime"),
    (lambda d: d.assign(unique_id=d["unique_id"].mask(d.index == 3)),
     r"'unique_id' has a missing value"),
    (lambda d: d.iloc[:0], "no rows"),
])
def test_bad_panels_are_refused_with_a_clear_message(df, change, message):
    with pytest.raises(ValueError, match=message):
        forecast_many(change(df), tiny(), exog_cols=["temp"])


@pytest.mark.parametrize("mode", ["local", "global"])
def test_a_series_too_short_names_the_series(df, mode):
    short = df[(df["unique_id"] != "s1") | (df["ds"] < "2021-01-09")]
    with pytest.raises(ValueError, match=r"series 's1': y is too short"):
        forecast_many(short, tiny(window=5, seasonal_difference=False), mode=mode)


def test_bad_arguments(df):
    with pytest.raises(ValueError, match="mode must be"):
        forecast_many(df, tiny(), mode="both")
    with pytest.raises(TypeError, match=r"wrap a regressor as Forecaster\(regressor\)"):
        forecast_many(df, Ridge())
    with pytest.raises(ValueError, match="unknown forecaster"):
        forecast_many(df, "transformer")
    with pytest.raises(TypeError, match="long format"):
        forecast_many(df["y"], tiny())
    with pytest.raises(ValueError, match="repeat the id, time or target column"):
        forecast_many(df, tiny(), exog_cols=["y"])
    with pytest.raises(ValueError, match="not regular at frequency 'h'"):
        forecast_many(df, tiny(), freq="h")
    with pytest.raises(ValueError, match="horizon"):
        forecast_many(df, tiny(), horizon=0)
    with pytest.raises(ValueError, match="random_state must be"):
        forecast_many(df, tiny(), random_state=1.5)
    with pytest.raises(ValueError, match="exog_future was given"):
        forecast_many(df, tiny(), exog_future=future_rows(df))


def test_explicit_frequency_for_short_series():
    df = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                       "y": [1.0, 2.0]})
    with pytest.raises(ValueError, match="series 'a': cannot infer the frequency"):
        forecast_many(df, Forecaster(Ridge()))
    with pytest.raises(ValueError, match="series 'a': y is too short"):  # past the index check
        forecast_many(df, Forecaster(Ridge()), freq="D")


# ---------------------------------------------------------------- parallel helpers


def _threads_in_task(k):
    return k, numba.get_num_threads()


def test_run_parallel_keeps_order_and_limits_threads_only_in_workers():
    assert run_parallel(_threads_in_task, [(k,) for k in range(3)]) == [
        (k, numba.get_num_threads()) for k in range(3)]
    assert [t for _, t in run_parallel(_threads_in_task, [(0,), (1,)], n_jobs=2)] == [1, 1]
    before = numba.get_num_threads()
    with limit_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
