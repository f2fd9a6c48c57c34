import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gatedts.forecasting.metrics import (
    coverage,
    evaluate,
    mae,
    mape,
    mase,
    mean_interval_width,
    rmse,
    smape,
)

Y_TRUE = np.array([2.0, 4.0, 5.0, 10.0])
Y_PRED = np.array([1.0, 4.0, 7.0, 6.0])  # errors 1, 0, -2, 4


def test_hand_computed_values():
    assert mae(Y_TRUE, Y_PRED) == pytest.approx(7 / 4)
    assert rmse(Y_TRUE, Y_PRED) == pytest.approx(math.sqrt(21 / 4))
    assert mape(Y_TRUE, Y_PRED) == pytest.approx(100 / 4 * (1 / 2 + 0 + 2 / 5 + 4 / 10))
    assert smape(Y_TRUE, Y_PRED) == pytest.approx(
        100 / 4 * (2 * 1 / 3 + 0 + 2 * 2 / 12 + 2 * 4 / 16)
    )
    # naive in-sample errors of [1, 3, 2, 6]: |2|, |1|, |4| -> scale 7/3
    assert mase(Y_TRUE, Y_PRED, [1.0, 3.0, 2.0, 6.0]) == pytest.approx((7 / 4) / (7 / 3))
    # seasonal m=2: |2-1|, |6-3| -> scale 2
    assert mase(Y_TRUE, Y_PRED, [1.0, 3.0, 2.0, 6.0], seasonal_period=2) == pytest.approx(7 / 8)


def test_smape_defines_zero_over_zero_as_zero():
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert smape([0.0, 2.0], [0.0, 0.0]) == pytest.approx(100.0)  # (0 + 200) / 2
    assert smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_two_dimensional_and_pandas_inputs():
    yt = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]])
    yp = np.array([[1.0, 3.0], [3.0, 2.0]])
    assert mae(yt, yp) == pytest.approx(0.75)
    s = pd.Series([1.0, 2.0], index=pd.date_range("2020", periods=2, freq="D"))
    assert rmse(s, s + 1) == pytest.approx(1.0)


def test_coverage_and_width():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    lower = np.array([0.0, 2.0, 3.5, 0.0])
    upper = np.array([2.0, 3.0, 4.0, 4.0])  # bounds are inclusive: 1, 2 and 4 covered
    assert coverage(y, lower, upper) == pytest.approx(0.75)
    assert mean_interval_width(lower, upper) == pytest.approx((2 + 1 + 0.5 + 4) / 4)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mae([1.0, 2.0], [1.0]),
         r"y_true and y_pred must have the same shape, got \(2,\) and \(1,\)"),
        (lambda: rmse([[1.0, 2.0]], [1.0, 2.0]), "must have the same shape"),
        (lambda: mae([1.0, np.nan], [1.0, 2.0]), "y_true contains NaN at position 1"),
        (lambda: smape([1.0], [np.inf]), "y_pred contains inf at position 0"),
        (lambda: mae([], []), "y_true must not be empty"),
        (lambda: mape([1.0, 0.0, 0.0], [1.0, 1.0, 1.0]),
         "mape is undefined: y_true contains zero at position 1; use smape or mase"),
        (lambda: mase([1.0], [1.0], [1.0, 2.0], seasonal_period=2),
         "y_train has 2 observations; .* seasonal_period=2 needs at least 3"),
        (lambda: mase([1.0], [1.0], [3.0, 3.0, 3.0]), "mase is undefined: .* zero"),
        (lambda: mase([1.0], [1.0], [1.0, 2.0], seasonal_period=0),
         "seasonal_period must be a positive integer, got 0"),
        (lambda: coverage([1.0, 2.0], [0.0, 3.0], [2.0, 2.5]), "lower exceeds upper at position 1"),
        (lambda: coverage([1.0, 2.0], [0.0], [2.0]), "y_true and lower must have the same shape"),
        (lambda: mean_interval_width([0.0], [1.0, 2.0]),
         "lower and upper must have the same shape"),
    ],
)  # fmt: skip
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_evaluate():
    result = evaluate(Y_TRUE, Y_PRED, y_train=[1.0, 3.0, 2.0, 6.0])
    assert set(result) == {"mae", "rmse", "mape", "smape", "mase"}
    assert result["mae"] == mae(Y_TRUE, Y_PRED)
    assert result["mase"] == mase(Y_TRUE, Y_PRED, [1.0, 3.0, 2.0, 6.0])
    assert all(isinstance(v, float) for v in result.values())
    assert set(evaluate(Y_TRUE, Y_PRED)) == {"mae", "rmse", "mape", "smape"}


def test_evaluate_reports_undefined_metrics_as_nan():
    result = evaluate([0.0, 1.0], [1.0, 1.0], y_train=[2.0, 2.0, 2.0])
    assert math.isnan(result["mape"]) and math.isnan(result["mase"])
    assert result["mae"] == 0.5
    with pytest.raises(ValueError, match="same shape"):
        evaluate([1.0], [1.0, 2.0])


# ---------------------------------------------------------------- properties

_values = st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False)


@st.composite
def _pairs(draw, elements=_values):
    shape = draw(st.one_of(st.integers(1, 20).map(lambda n: (n,)), st.just((3, 4))))
    y = draw(arrays(np.float64, shape, elements=elements))
    yhat = draw(arrays(np.float64, shape, elements=elements))
    return y, yhat


@settings(max_examples=200, deadline=None)
@given(_pairs())
def test_non_negative_and_mae_below_rmse(pair):
    y, yhat = pair
    a, r, s = mae(y, yhat), rmse(y, yhat), smape(y, yhat)
    assert a >= 0 and r >= 0 and 0 <= s <= 200 + 1e-9
    assert a <= r * (1 + 1e-12)
    assert r <= np.sqrt(y.size) * a * (1 + 1e-12)  # the other side of the norm bound


@settings(max_examples=200, deadline=None)
@given(_pairs())
def test_perfect_forecast_scores_zero(pair):
    y, _ = pair
    assert mae(y, y) == 0 and rmse(y, y) == 0 and smape(y, y) == 0
    if np.all(y != 0):
        assert mape(y, y) == 0
    train = np.append(y.ravel(), y.ravel()[-1] + 1.0)  # scale is never zero
    assert mase(y, y, train) == 0
    assert coverage(y, y, y) == 1.0 and mean_interval_width(y, y) == 0.0


_nonzero = st.one_of(st.floats(0.01, 1e4), st.floats(-1e4, -0.01))


@settings(max_examples=200, deadline=None)
@given(
    _pairs(elements=_nonzero),
    arrays(np.float64, st.integers(2, 20), elements=_values, unique=True),
    st.sampled_from([1e-3, 0.5, 7.0, 1e3, -2.0]),
)
def test_scale_invariance(pair, train, c):
    y, yhat = pair
    # The errors and MASE's scale are differences: keep them well above the rounding of
    # the values themselves, or scaling by c changes them by cancellation, not by a bug.
    assume(np.mean(np.abs(np.diff(train))) > 1e-6 * max(1.0, float(np.max(np.abs(train)))))
    assume(np.mean(np.abs(y - yhat)) > 1e-6 * max(1.0, float(np.max(np.abs(y)))))
    for metric in (mape, smape):
        assert metric(c * y, c * yhat) == pytest.approx(metric(y, yhat), rel=1e-9, abs=1e-9)
    assert mase(c * y, c * yhat, c * train) == pytest.approx(mase(y, yhat, train), rel=1e-9)
    assert mae(c * y, c * yhat) == pytest.approx(abs(c) * mae(y, yhat), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(_pairs(), st.floats(0, 100), st.floats(0, 100))
def test_interval_coverage_grows_with_width(pair, half_width, extra):
    y, centre = pair
    narrow = coverage(y, centre - half_width, centre + half_width)
    wide = coverage(y, centre - half_width - extra, centre + half_width + extra)
    assert 0.0 <= narrow <= wide <= 1.0
    big = float(np.max(np.abs(y - centre))) + 1.0
    assert coverage(y, centre - big, centre + big) == 1.0
    width = mean_interval_width(centre - half_width, centre + half_width)
    assert width == pytest.approx(2 * half_width, abs=1e-9)
