import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from gatedts import GRURegressor
from gatedts.forecasting._validation import (
    as_float_array,
    check_n_features,
    check_positive_int,
    check_series_index,
)
from gatedts.forecasting.windows import (
    WindowTransformer,
    future_index,
    last_window,
    make_flat_windows,
    make_windows,
    window_starts,
)

# ---------------------------------------------------------------- make_windows


def test_tiny_arange_exact_values():
    X, Y = make_windows(np.arange(6.0), window=3, horizon=2)
    assert X.shape == (2, 3, 1)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(Y, [[3, 4], [4, 5]])


def test_default_horizon_one():
    X, Y = make_windows(np.arange(5), window=2)
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(Y, [[2], [3], [4]])


def test_exact_length_gives_one_window():
    X, Y = make_windows(np.arange(5.0), window=3, horizon=2)
    assert X.shape == (1, 3, 1)
    np.testing.assert_array_equal(Y, [[3, 4]])


@pytest.mark.parametrize(
    ("n", "stride", "starts"),
    [
        (10, 3, [0, 3, 6]),  # 7 windows, stride divides n_windows - 1
        (11, 3, [1, 4, 7]),  # oldest observation dropped, not the newest
        (12, 3, [2, 5, 8]),
        (10, 10, [6]),  # stride larger than the number of windows: last one kept
    ],
)
def test_stride_is_aligned_to_the_end(n, stride, starts):
    y = np.arange(float(n))
    X, Y = make_windows(y, window=3, horizon=1, stride=stride)
    np.testing.assert_array_equal(X[:, 0, 0], starts)
    np.testing.assert_array_equal(window_starts(n, 3, 1, stride), starts)
    assert Y[-1, -1] == y[-1]  # the most recent window is always included


def test_exog_features_follow_the_target_in_column_order():
    y = np.arange(6.0)
    exog = np.column_stack([10 * y, 100 * y])
    X, Y = make_windows(y, window=2, horizon=1, exog=exog)
    assert X.shape == (4, 2, 3)
    np.testing.assert_array_equal(X[1], [[1, 10, 100], [2, 20, 200]])
    np.testing.assert_array_equal(Y[:, 0], [2, 3, 4, 5])  # targets only, no exog


def test_exog_one_dimensional_and_dataframe():
    idx = pd.date_range("2021-01-01", periods=6, freq="D")
    y = pd.Series(np.arange(6.0), index=idx)
    exog = pd.DataFrame({"b": -y, "a": y * 2}, index=idx)
    X, _ = make_windows(y, 2, exog=exog)
    np.testing.assert_array_equal(X[0], [[0, 0, 0], [1, -1, 2]])  # DataFrame column order
    X1, _ = make_windows(y.to_numpy(), 2, exog=(-y).to_numpy())
    np.testing.assert_array_equal(X1, X[:, :, :2])


def test_pandas_series_gives_same_windows_as_array():
    y = pd.Series(np.arange(8.0) ** 2, index=pd.date_range("2020", periods=8, freq="h"))
    X, Y = make_windows(y, 3, 2, stride=2)
    Xa, Ya = make_windows(y.to_numpy(), 3, 2, stride=2)
    np.testing.assert_array_equal(X, Xa)
    np.testing.assert_array_equal(Y, Ya)


def test_outputs_are_copies_not_views():
    y = np.arange(10.0)
    exog = np.ones((10, 2))
    X, Y = make_windows(y, 3, 2, exog=None)
    assert not np.shares_memory(X, y) and not np.shares_memory(Y, y)
    assert X.flags.c_contiguous and X.flags.writeable
    X[:] = -1
    Y[:] = -1
    np.testing.assert_array_equal(y, np.arange(10.0))
    X2, _ = make_windows(y, 3, exog=exog)
    assert not np.shares_memory(X2, exog)
    lw = last_window(y, 3)
    assert not np.shares_memory(lw, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(y=np.arange(4.0), window=3, horizon=2), ValueError,
         r"y has 4 observations, fewer than window \+ horizon = 3 \+ 2 = 5"),
        (dict(y=[0.0, 1, np.nan, 3, 4], window=2), ValueError, "y contains NaN at position 2"),
        (dict(y=np.arange(5.0), window=2, exog=[[0.0], [1], [2], [np.inf], [4]]), ValueError,
         r"exog contains inf at position \(3, 0\)"),
        (dict(y=np.arange(5.0), window=2, exog=np.ones((4, 1))), ValueError,
         "exog has 4 rows but y has 5 observations"),
        (dict(y=np.arange(5.0), window=0), ValueError, "window must be a positive integer, got 0"),
        (dict(y=np.arange(5.0), window=2, horizon=-1), ValueError,
         "horizon must be a positive integer, got -1"),
        (dict(y=np.arange(5.0), window=2, stride=1.5), ValueError,
         "stride must be a positive integer, got 1.5"),
        (dict(y=np.ones((5, 2)), window=2), ValueError, r"y must be 1-D, got shape \(5, 2\)"),
        (dict(y=["a", "b", "c"], window=1), TypeError, "y must be numeric"),
    ],
)  # fmt: skip
def test_make_windows_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_windows(**kwargs)


def test_index_must_be_increasing_and_unique():
    idx = pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-02", "2020-01-04"])
    with pytest.raises(ValueError, match="y index is not monotonic increasing: 2020-01-02"):
        make_windows(pd.Series(np.arange(4.0), index=idx), 2)
    idx = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-04"])
    with pytest.raises(ValueError, match=r"y index has a duplicated label 2020-01-02.* position 2"):
        make_windows(pd.Series(np.arange(4.0), index=idx), 2)


def test_exog_index_must_match_y_index():
    y = pd.Series(np.arange(5.0), index=pd.date_range("2020", periods=5, freq="D"))
    exog = pd.DataFrame({"x": np.arange(5.0)}, index=pd.date_range("2020-01-02", periods=5))
    with pytest.raises(ValueError, match="exog index does not match y index"):
        make_windows(y, 2, exog=exog)


def test_nan_message_names_the_timestamp():
    y = pd.Series([1.0, 2.0, np.nan], index=pd.date_range("2020-01-01", periods=3, freq="D"))
    with pytest.raises(ValueError, match=r"y contains NaN at position 2 \(row 3, index 2020-01-03"):
        make_windows(y, 1)


# ---------------------------------------------------------------- last_window


def test_last_window_is_the_most_recent_slice():
    y = np.arange(10.0)
    exog = np.column_stack([-y])
    lw = last_window(y, 4, exog=exog)
    assert lw.shape == (1, 4, 2)
    np.testing.assert_array_equal(lw[0], np.column_stack([[6, 7, 8, 9], [-6, -7, -8, -9]]))
    # it continues the training windows by one step
    X, _ = make_windows(y, 4)
    np.testing.assert_array_equal(lw[0, :-1, 0], X[-1, 1:, 0])


def test_last_window_too_short():
    with pytest.raises(ValueError, match="y has 2 observations, fewer than window = 3"):
        last_window([1.0, 2.0], 3)


# ------------------------------------------------------- flat windows + transformer


def test_flat_windows_are_time_major():
    y = np.arange(5.0)
    X, Y = make_flat_windows(y, 2, exog=10 * y)
    np.testing.assert_array_equal(X[0], [0, 0, 1, 10])
    np.testing.assert_array_equal(Y[:, 0], [2, 3, 4])


def test_window_transformer_round_trip():
    y = np.arange(20.0)
    exog = np.column_stack([np.sin(y), np.cos(y)])
    X3, Y3 = make_windows(y, 4, 3, exog=exog, stride=2)
    wt = WindowTransformer(4, horizon=3, stride=2)
    X_flat, Y = wt.flat_windows(y, exog=exog)
    np.testing.assert_array_equal(Y, Y3)
    assert wt.fit(X_flat) is wt
    assert wt.n_features_in_ == 12 and wt.n_series_features_ == 3
    out = wt.transform(X_flat)
    np.testing.assert_array_equal(out, X3)
    assert not np.shares_memory(out, X_flat)
    np.testing.assert_array_equal(wt.inverse_transform(out), X_flat)


def test_window_transformer_sklearn_basics():
    wt = WindowTransformer(5, horizon=2)
    assert wt.get_params() == {"window": 5, "horizon": 2, "stride": 1}
    twin = clone(wt)
    assert twin is not wt and twin.get_params() == wt.get_params()
    assert not hasattr(wt, "n_features_in_")  # __init__ stores only
    wt.set_params(window=2)
    assert wt.fit(np.ones((3, 4))).transform(np.ones((3, 4))).shape == (3, 2, 2)


def test_window_transformer_errors():
    with pytest.raises(ValueError, match="X has 5 columns, not a multiple of window = 2"):
        WindowTransformer(2).fit(np.ones((3, 5)))
    wt = WindowTransformer(2).fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match="X has 6 features, but WindowTransformer is expecting 4"):
        wt.transform(np.ones((3, 6)))
    with pytest.raises(ValueError, match="window must be a positive integer, got 0"):
        WindowTransformer(0).fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"expected \(n_samples, 2, 2\)"):
        wt.inverse_transform(np.ones((3, 4, 1)))


def test_window_transformer_in_a_pipeline():
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=60))
    wt = WindowTransformer(window=5)
    X_flat, Y = wt.flat_windows(y)
    last_step = FunctionTransformer(lambda X3: X3[:, -1, :])  # (n, window, 1) -> (n, 1)
    pipe = make_pipeline(wt, last_step, LinearRegression()).fit(X_flat, Y[:, 0])
    assert pipe.predict(X_flat).shape == (len(Y),)
    np.testing.assert_allclose(pipe[-1].coef_, np.polyfit(X_flat[:, -1], Y[:, 0], 1)[0])


@parametrize_with_checks([WindowTransformer(1)])
def test_window_transformer_passes_sklearn_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- properties


@st.composite
def _series_and_params(draw):
    window = draw(st.integers(1, 6))
    horizon = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 5))
    n = draw(st.integers(window + horizon, window + horizon + 25))
    n_exog = draw(st.integers(0, 2))
    finite = st.floats(-1e6, 1e6, allow_nan=False)
    y = draw(arrays(np.float64, n, elements=finite))
    exog = draw(arrays(np.float64, (n, n_exog), elements=finite)) if n_exog else None
    return y, exog, window, horizon, stride


@settings(max_examples=300, deadline=None)
@given(_series_and_params())
def test_every_window_is_the_matching_slice(args):
    y, exog, window, horizon, stride = args
    X, Y = make_windows(y, window, horizon, exog=exog, stride=stride)
    starts = window_starts(len(y), window, horizon, stride)
    n_exog = 0 if exog is None else exog.shape[1]
    assert X.shape == (len(starts), window, 1 + n_exog)
    assert Y.shape == (len(starts), horizon)
    assert len(starts) == -(-(len(y) - window - horizon + 1) // stride)
    assert starts[-1] == len(y) - window - horizon  # end-aligned
    assert np.all(np.diff(starts) == stride)
    for i, s in enumerate(starts):
        np.testing.assert_array_equal(X[i, :, 0], y[s : s + window])
        np.testing.assert_array_equal(Y[i], y[s + window : s + window + horizon])  # Y follows X
        if exog is not None:
            np.testing.assert_array_equal(X[i, :, 1:], exog[s : s + window])
    np.testing.assert_array_equal(last_window(y, window, exog=exog)[0, :, 0], y[-window:])
    X_flat, _ = make_flat_windows(y, window, horizon, exog=exog, stride=stride)
    wt = WindowTransformer(window).fit(X_flat)
    np.testing.assert_array_equal(wt.transform(X_flat), X)


# ---------------------------------------------------------------- future_index


def test_future_index_datetime_with_freq():
    idx = pd.date_range("2020-01-31", periods=4, freq="ME", name="month")
    out = future_index(idx, 3)
    expected = pd.date_range("2020-05-31", periods=3, freq="ME", name="month")
    pd.testing.assert_index_equal(out, expected)
    assert out.freq == idx.freq


def test_future_index_infers_a_missing_freq():
    idx = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"])
    assert idx.freq is None
    pd.testing.assert_index_equal(
        future_index(pd.Series(0.0, index=idx), 2),
        pd.date_range("2020-01-05", periods=2, freq="D"),
    )


def test_future_index_keeps_the_time_zone():
    idx = pd.date_range("2020-03-29", periods=3, freq="h", tz="Europe/Paris")
    out = future_index(idx, 2)
    assert str(out.tz) == "Europe/Paris"
    assert out[0] == idx[-1] + pd.Timedelta(hours=1)


def test_future_index_period_range_and_integer():
    pidx = pd.period_range("2020Q3", periods=3, freq="Q")
    pd.testing.assert_index_equal(
        future_index(pidx, 2), pd.PeriodIndex(["2021Q2", "2021Q3"], freq="Q")
    )
    pd.testing.assert_index_equal(
        future_index(pd.RangeIndex(0, 10, 2), 3), pd.RangeIndex(10, 16, 2)
    )
    pd.testing.assert_index_equal(future_index(pd.Index([5, 8, 11]), 2), pd.RangeIndex(14, 20, 3))
    pd.testing.assert_index_equal(future_index(pd.Index([7]), 2), pd.RangeIndex(8, 10))


def test_future_index_errors():
    irregular = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-05"])
    with pytest.raises(ValueError, match=r"cannot determine the frequency.*asfreq"):
        future_index(irregular, 2)
    with pytest.raises(ValueError, match="cannot determine the frequency"):
        future_index(irregular[:2], 2)  # too short to infer
    with pytest.raises(ValueError, match="no constant step"):
        future_index(pd.Index([1, 2, 4]), 2)
    with pytest.raises(ValueError, match="cannot extend an index of dtype"):
        future_index(pd.Index(["a", "b"]), 2)
    with pytest.raises(ValueError, match="empty"):
        future_index(pd.DatetimeIndex([]), 2)
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        future_index(pd.RangeIndex(3), 0)
    with pytest.raises(ValueError, match="not monotonic increasing"):
        future_index(pd.Index([3, 2, 1]), 1)


# ------------------------------------------- shared input checks (gatedts.forecasting._validation)
# They live here because windows.py is their first user; move them to
# tests/test_validation.py if that file is created.


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [
        (np.array(["1", "2"]), {}, TypeError, "y must be numeric, got dtype <U1"),
        (np.array([1.0, "a"], dtype=object), {}, TypeError,
         "y must be numeric, got dtype object holding 'a' at position 1"),
        (np.array([1.0, {}], dtype=object), {}, TypeError, "argument must be .* number"),
        (pd.Series(["a", "b"]), {}, TypeError, "y must be numeric, got dtype"),
        (pd.DataFrame({"a": [1.0], "b": pd.to_datetime(["2020"])}), {}, TypeError,
         "y must be numeric, column 'b' has dtype datetime64"),
        (np.array([1 + 2j]), {}, TypeError, "Complex data not supported"),
        (np.array([1 + 2j]), {}, ValueError, "Complex data not supported"),
        (np.ones((4, 5)), {"ndim": 3}, ValueError,
         r"y must be 3-D \(batch, time, features\), got shape \(4, 5\)\. Reshape your data"),
        (np.ones((4, 5)), {"ndim": (1, 3)}, ValueError, r"y must be 1-D or 3-D, got shape"),
        (np.ones(3), {"ndim": 2, "layout": "(n_obs, n_cols)"}, ValueError,
         r"must be 2-D \(n_obs, n_cols\).*y\[\.\.\., None\]"),
        (np.empty((0, 3)), {}, ValueError, r"y must not be empty, got shape \(0, 3\)"),
        (np.empty((12, 0)), {}, ValueError, r"0 feature\(s\) \(shape=\(12, 0\)\) while a minimum"),
        (np.array([[1.0, 2.0], [3.0, -np.inf]]), {}, ValueError,
         r"y contains -inf at position \(1, 1\)"),
        ([[1.0], [1.0, 2.0]], {}, ValueError, "y could not be converted to an array"),
    ],
)  # fmt: skip
def test_as_float_array_errors(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        as_float_array(x, "y", **kwargs)


def test_as_float_array_conversions():
    out = as_float_array(np.array([1, 2.5, None], dtype=object), "y", allow_nonfinite=True)
    np.testing.assert_array_equal(out, [1.0, 2.5, np.nan])
    s = pd.Series([1, None, 3], dtype="Int64")
    with pytest.raises(ValueError, match=r"y contains NaN at position 1 \(row 2, index 1\)"):
        as_float_array(s, "y")
    np.testing.assert_array_equal(as_float_array([True, False], "y"), [1.0, 0.0])
    assert as_float_array([1, 2], "y", dtype=np.float32).dtype == np.float32
    x = np.arange(3.0)
    assert as_float_array(x, "y") is x
    assert not np.shares_memory(as_float_array(x, "y", copy=True), x)
    assert as_float_array(np.empty(0), "y", allow_empty=True).shape == (0,)
    # pandas columns of dtype object holding numbers (or missing values) convert too
    out = as_float_array(pd.Series([1, 2.5, None], dtype=object), "y", allow_nonfinite=True)
    np.testing.assert_array_equal(out, [1.0, 2.5, np.nan])
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": pd.Series([3, None], dtype=object)})
    np.testing.assert_array_equal(as_float_array(frame, "X", allow_nonfinite=True),
                                  [[1.0, 3.0], [2.0, np.nan]])
    frame["b"] = pd.Series([3, "x"], dtype=object)
    with pytest.raises(TypeError, match=r"X must be numeric, got dtype object holding 'x' at "
                                        r"position \(1, 1\)"):
        as_float_array(frame, "X")
    with pytest.raises(TypeError, match="sparse input is not supported"):
        as_float_array(sparse.csr_array(np.eye(2)), "X")


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_check_positive_int_rejects(value):
    with pytest.raises(ValueError, match=f"n must be a positive integer, got {value!r}"):
        check_positive_int(value, "n")


def test_check_positive_int_accepts_numpy_integers():
    out = check_positive_int(np.int32(5), "n")
    assert out == 5 and type(out) is int


def test_check_series_index_and_n_features():
    with pytest.raises(ValueError, match="exog index has a missing value at position 1"):
        check_series_index(pd.DatetimeIndex(["2020-01-01", None]), "exog")
    with pytest.raises(ValueError, match="duplicated label 3 at position 2"):
        check_series_index(pd.Index([1, 3, 3, 2]), "y")  # the earlier problem is reported
    with pytest.raises(ValueError, match=r"2 at position 3 \(row 4\) comes after 4"):
        check_series_index(pd.Index([1, 3, 4, 2, 2]), "y")
    with pytest.raises(TypeError, match="must be a pandas Index"):
        check_series_index(np.arange(3), "y")
    idx = pd.Index([1, 2, 5])
    assert check_series_index(pd.Series(0.0, index=idx)) is idx
    wt = WindowTransformer(1).fit(np.ones((2, 3)))
    check_n_features(np.ones((5, 4, 3)), wt)  # features on the last axis
    with pytest.raises(ValueError, match="X has 2 features, but WindowTransformer is expecting 3"):
        check_n_features(np.ones((5, 2)), wt)


def test_window_transformer_names_its_step_features_and_accepts_set_output():
    X_flat, _ = make_flat_windows(np.arange(30.0), 5, exog=np.ones((30, 1)))
    wt = WindowTransformer(5)
    with pytest.raises(NotFittedError):
        wt.get_feature_names_out()
    wt.fit(X_flat)
    assert list(wt.get_feature_names_out()) == ["windowtransformer0", "windowtransformer1"]
    assert wt.set_output(transform="pandas") is wt
    assert wt.transform(X_flat).shape == (len(X_flat), 5, 2)  # 3-D: still an ndarray
    with pytest.raises(ValueError, match="transform must be 'default', 'pandas', 'polars' or "
                                         "None, got 'arrow'"):
        wt.set_output(transform="arrow")


def test_a_pipeline_set_to_pandas_output_trains_a_network_on_windows():
    from gatedts.forecasting.preprocessing import StandardScaler

    X_flat, Y = make_flat_windows(np.sin(np.arange(60.0) / 3), 6, horizon=2)
    frame = pd.DataFrame(X_flat, columns=[f"lag{k}" for k in range(6, 0, -1)])
    pipe = make_pipeline(StandardScaler(), WindowTransformer(6),
                         GRURegressor(hidden_size=3, max_iter=2, random_state=0))
    pipe.set_output(transform="pandas")
    with pytest.warns(ConvergenceWarning):
        pipe.fit(frame, Y)
    assert isinstance(pipe[0].transform(frame), pd.DataFrame)
    assert pipe.predict(frame).shape == (len(frame), 2)
