import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from gatedts.forecasting.preprocessing import (
    Differencer,
    IdentityTransform,
    LogTransform,
    MinMaxScaler,
    StandardScaler,
    make_scaler,
)

# ---------------------------------------------------------------- scalers


def test_standard_scaler_values_and_constant_column():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    sc = StandardScaler().fit(X)
    np.testing.assert_allclose(sc.mean_, [2, 5])
    np.testing.assert_allclose(sc.scale_, [np.sqrt(2 / 3), 1.0])  # constant column: scale 1
    Z = sc.transform(X)
    np.testing.assert_allclose(Z[:, 0], np.array([-1, 0, 1]) / np.sqrt(2 / 3))
    np.testing.assert_array_equal(Z[:, 1], 0.0)
    np.testing.assert_allclose(sc.inverse_transform(Z), X)


def test_constant_column_with_rounding_noise_is_constant():
    X = np.full(7, 0.1) * 3  # std of a few ulps, not exactly 0
    sc = StandardScaler().fit(X)
    assert sc.scale_[0] == 1.0
    mm = MinMaxScaler().fit(np.full(5, 7.3))
    assert mm.data_range_[0] == 1.0
    np.testing.assert_array_equal(mm.transform(np.full(5, 7.3)), 0.0)


def test_scaler_uses_training_statistics_only():
    train, test = np.array([0.0, 2.0]), np.array([4.0, 6.0])
    sc = StandardScaler().fit(train)
    np.testing.assert_allclose(sc.transform(test), [3.0, 5.0])
    mm = MinMaxScaler().fit(train)
    np.testing.assert_allclose(mm.transform(test), [2.0, 3.0])  # not clipped


def test_minmax_feature_range():
    mm = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [5.0], [10.0]]))
    np.testing.assert_allclose(mm.transform(np.array([[0.0], [5.0], [10.0]])), [[-1], [0], [1]])
    with pytest.raises(ValueError, match=r"feature_range must satisfy lo < hi, got \(1, 1\)"):
        MinMaxScaler(feature_range=(1, 1)).fit([1.0, 2.0])


def test_one_dimensional_and_pandas_round_trip_keep_their_form():
    idx = pd.date_range("2020", periods=4, freq="D")
    y = pd.Series([1.0, 4.0, 2.0, 8.0], index=idx, name="sales")
    for tr in (StandardScaler(), MinMaxScaler(), LogTransform(), IdentityTransform()):
        z = tr.fit_transform(y)
        assert isinstance(z, pd.Series) and z.name == "sales" and z.index.equals(idx)
        pd.testing.assert_series_equal(tr.inverse_transform(z), y)
        arr = tr.transform(y.to_numpy())
        assert isinstance(arr, np.ndarray) and arr.shape == (4,)
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    out = StandardScaler().fit(df).transform(df)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b"]


def test_scaler_shape_errors():
    sc = StandardScaler().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but StandardScaler is expecting 3"):
        sc.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match="X is 1-D, but StandardScaler was fitted on 3 features"):
        sc.transform(np.ones(4))
    with pytest.raises(ValueError, match=r"X must be 1-D or 2-D, got shape \(2, 2, 2\)"):
        StandardScaler().fit(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="X contains NaN at position 1"):
        MinMaxScaler().fit([0.0, np.nan])
    with pytest.raises(NotFittedError):
        MinMaxScaler().transform([1.0])


# ---------------------------------------------------------------- log


def test_log_transform_values_and_offset():
    lt = LogTransform(offset=1.0).fit([0.0, 1.0])
    np.testing.assert_allclose(lt.transform([0.0, np.e - 1]), [0.0, 1.0])
    np.testing.assert_allclose(lt.inverse_transform([0.0, 1.0]), [0.0, np.e - 1])


def test_log_transform_rejects_non_positive_values():
    with pytest.raises(ValueError, match=r"x \+ offset > 0, but x at position 2 is 0.0"):
        LogTransform().fit([1.0, 2.0, 0.0])
    lt = LogTransform(offset=0.5).fit([1.0])
    with pytest.raises(ValueError, match=r"position 0 is -0\.5 with offset 0\.5"):
        lt.transform([-0.5])
    with pytest.raises(ValueError, match="offset must be finite"):
        LogTransform(offset=np.inf).fit([1.0])


# ---------------------------------------------------------------- differencing


def test_first_and_second_differences():
    y = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(Differencer(1).fit(y).transform(y), [3, 5, 7, 9])
    np.testing.assert_array_equal(Differencer(2).fit(y).transform(y), [2, 2, 2])


def test_seasonal_difference_then_regular():
    y = np.array([1.0, 10, 2, 12, 3, 14, 4, 16])
    d = Differencer(order=0, seasonal_period=2).fit(y)
    np.testing.assert_array_equal(d.transform(y), [1, 2, 1, 2, 1, 2])
    d = Differencer(order=1, seasonal_period=2).fit(y)
    assert d.lags_ == (2, 1) and d.n_lost_ == 3
    np.testing.assert_array_equal(d.transform(y), [1, -1, 1, -1, 1])


def test_inverse_integrates_a_forecast_from_the_training_end():
    train = np.array([1.0, 3.0, 6.0])  # last value 6, last difference 3
    d = Differencer(2).fit(train)
    # constant second difference 1 -> first differences 4, 5, 6 -> levels 10, 15, 21
    np.testing.assert_array_equal(d.inverse_transform([1.0, 1.0, 1.0]), [10, 15, 21])
    d = Differencer(order=0, seasonal_period=3).fit([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(d.inverse_transform(np.zeros(5)), [2, 3, 4, 2, 3])


def test_differencer_history_and_pandas_index():
    y = pd.Series(np.arange(10.0) ** 2, index=pd.date_range("2020", periods=10, freq="D"))
    d = Differencer(1).fit(y[:6])
    dy = d.transform(y)
    assert dy.index.equals(y.index[1:])
    np.testing.assert_allclose(d.inverse_transform(dy.iloc[5:].to_numpy()), y.iloc[6:])
    np.testing.assert_allclose(d.inverse_transform(dy.iloc[2:].to_numpy(), history=y[:3]), y[3:])


def test_differencer_errors():
    with pytest.raises(ValueError, match="order must be a non-negative integer, got -1"):
        Differencer(-1).fit(np.arange(5.0))
    with pytest.raises(ValueError, match=r"order must be a non-negative integer, got 1\.0"):
        Differencer(1.0).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="needs order >= 1 or a seasonal_period"):
        Differencer(0).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="seasonal_period must be a positive integer, got 0"):
        Differencer(1, seasonal_period=0).fit(np.arange(5.0))
    with pytest.raises(ValueError, match=r"X has 3 observations; .*lags \[2, 1\] needs at least 4"):
        Differencer(1, seasonal_period=2).fit(np.arange(3.0))
    d = Differencer(2).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="needs at least 3"):
        d.transform(np.arange(2.0))
    with pytest.raises(ValueError, match="history has 1 observations"):
        d.inverse_transform([0.0], history=[1.0])


# ---------------------------------------------------------------- make_scaler


def test_make_scaler():
    assert isinstance(make_scaler("standard"), StandardScaler)
    assert isinstance(make_scaler("MinMax"), MinMaxScaler)
    assert isinstance(make_scaler(None), IdentityTransform)
    assert isinstance(make_scaler("none"), IdentityTransform)
    fitted = MinMaxScaler((-1, 1)).fit([1.0, 2.0])
    fresh = make_scaler(fitted)
    assert fresh is not fitted and fresh.feature_range == (-1, 1)
    assert not hasattr(fresh, "data_min_")
    with pytest.raises(ValueError, match="unknown scaler 'robust'; choose one of 'standard'"):
        make_scaler("robust")
    with pytest.raises(TypeError, match="scaler must be"):
        make_scaler(3)


def test_transforms_clone():
    for tr in (StandardScaler(), MinMaxScaler((-1, 1)), LogTransform(2.0), Differencer(1, 12)):
        assert clone(tr).get_params() == tr.get_params()


_SCALER_EXPECTED_FAILURES = {
    "check_fit1d": "1-D input is a series by design, not an error",
}


def _expected_failures(estimator):
    failures = dict(_SCALER_EXPECTED_FAILURES)
    if type(estimator).__name__ == "StandardScaler":
        # sklearn's sparse checks special-case the class *name* StandardScaler and
        # call set_params(with_mean=False), a parameter of sklearn's own scaler.
        failures["check_estimator_sparse_array"] = "name-based special case in sklearn"
        failures["check_estimator_sparse_matrix"] = "name-based special case in sklearn"
    return failures


@parametrize_with_checks(
    [StandardScaler(), MinMaxScaler(), IdentityTransform(), LogTransform(offset=10.0)],
    expected_failed_checks=_expected_failures,
)
def test_scalers_pass_sklearn_checks(estimator, check):
    check(estimator)


# scikit-learn runs these in its own suite, not in check_estimator.
OUTPUT_CHECKS = [check_get_feature_names_out_error, check_transformer_get_feature_names_out,
                 check_transformer_get_feature_names_out_pandas, check_set_output_transform,
                 check_set_output_transform_pandas, check_global_output_transform_pandas]


@pytest.mark.parametrize("check", OUTPUT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("transform", [StandardScaler(), MinMaxScaler(), IdentityTransform(),
                                       LogTransform(offset=10.0)], ids=repr)
def test_feature_names_and_set_output_pass_sklearn_checks(transform, check):
    check(type(transform).__name__, transform)


def test_a_pandas_pipeline_keeps_column_names_through_every_transform():
    frame = pd.DataFrame({"sales": [3.0, 5.0, 4.0, 8.0, 6.0], "price": [1.0, 1.2, 1.1, 0.9, 1.0]},
                         index=pd.date_range("2020-01-01", periods=5, freq="D"))
    pipe = make_pipeline(LogTransform(), StandardScaler(), MinMaxScaler((-1, 1)),
                         IdentityTransform()).set_output(transform="pandas")
    out = pipe.fit_transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["sales", "price"]
    assert out.index.equals(frame.index)
    np.testing.assert_allclose(out.min(), -1.0)
    np.testing.assert_allclose(out.max(), 1.0)
    assert list(pipe.get_feature_names_out()) == ["sales", "price"]
    array_out = pipe.set_output(transform="default").fit_transform(frame.to_numpy())
    assert type(array_out) is np.ndarray
    assert list(pipe.get_feature_names_out()) == ["x0", "x1"]


def test_differencer_names_and_pandas_output():
    frame = pd.DataFrame({"y": np.arange(10.0) ** 2},
                         index=pd.date_range("2020-01-01", periods=10, freq="D"))
    diff = Differencer(order=1).set_output(transform="pandas")
    out = diff.fit_transform(frame)
    assert list(out.columns) == ["y"] and out.index.equals(frame.index[1:])
    np.testing.assert_array_equal(out["y"], np.diff(frame["y"]))
    assert list(diff.get_feature_names_out()) == ["y"]
    from_array = diff.fit(frame.to_numpy()).transform(frame.to_numpy())
    assert isinstance(from_array, pd.DataFrame) and list(from_array.columns) == ["x0"]
    assert len(from_array) == 9
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        Differencer(order=1).fit(frame).get_feature_names_out(["z"])


# ---------------------------------------------------------------- properties

_finite = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
_columns = arrays(
    np.float64,
    st.one_of(
        st.integers(1, 30).map(lambda n: (n,)),
        st.tuples(st.integers(1, 30), st.integers(1, 4)),
    ),
    elements=_finite,
)


def _assert_close(actual, expected):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9 * scale)


@settings(max_examples=300, deadline=None)
@given(_columns, st.sampled_from(["standard", "minmax", None]))
def test_scalers_round_trip(X, name):
    scaler = make_scaler(name).fit(X)
    Z = scaler.transform(X)
    assert Z.shape == X.shape and np.all(np.isfinite(Z))
    _assert_close(scaler.inverse_transform(Z), X)


@settings(max_examples=200, deadline=None)
@given(_columns)
def test_scaled_training_data_is_normalised(X):
    Z = StandardScaler().fit_transform(X).reshape(X.shape[0], -1)
    assert np.all(np.abs(Z.mean(axis=0)) < 1e-6)
    Z = MinMaxScaler().fit_transform(X)
    assert Z.min() >= -1e-12 and Z.max() <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 30), elements=st.floats(1e-3, 1e6)),
    st.sampled_from([0.0, 0.5, 1.0]),
)
def test_log_round_trip(x, offset):
    lt = LogTransform(offset=offset).fit(x)
    np.testing.assert_allclose(lt.inverse_transform(lt.transform(x)), x, rtol=1e-12)


@st.composite
def _differencing_case(draw):
    order = draw(st.integers(0, 2))
    seasonal = draw(st.one_of(st.none(), st.integers(1, 5)))
    if order == 0 and seasonal is None:
        order = 1
    n_lost = order + (seasonal or 0)
    n_train = draw(st.integers(n_lost + 1, n_lost + 20))
    n_test = draw(st.integers(1, 15))
    y = draw(arrays(np.float64, n_train + n_test, elements=st.floats(-1e3, 1e3)))
    return order, seasonal, y, n_train


@settings(max_examples=300, deadline=None)
@given(_differencing_case())
def test_differencing_round_trip_continues_the_training_series(case):
    order, seasonal, y, n_train = case
    d = Differencer(order, seasonal_period=seasonal).fit(y[:n_train])
    dy = d.transform(y)
    assert dy.shape == (len(y) - d.n_lost_,)
    future = dy[n_train - d.n_lost_ :]  # differences of the test period
    _assert_close(d.inverse_transform(future), y[n_train:])
    # integrating from any observed history reconstructs what follows it
    _assert_close(d.inverse_transform(dy, history=y[: d.n_lost_]), y[d.n_lost_ :])
    # 2-D columns are differenced independently
    Y2 = np.column_stack([y, -2 * y])
    d2 = Differencer(order, seasonal_period=seasonal).fit(Y2[:n_train])
    _assert_close(d2.inverse_transform(d2.transform(Y2)[n_train - d.n_lost_ :]), Y2[n_train:])
