"""The shipped pretrained network: it loads, forecasts every length and horizon, its
quantiles are ordered, and it is scale- and shift-equivariant."""

import json

import numpy as np
import pytest

from gatedts import functional as F
from gatedts.pretrained import (
    FINE_TUNE_MIN_OBSERVATIONS,
    MAX_CONTEXT,
    MAX_HORIZON,
    QUANTILES,
    WEIGHTS_DIR,
    PretrainedForecaster,
    base_and_scale,
    fine_tuning_windows,
    load_pretrained,
    network_inputs,
    prepare_windows,
    season_length_used,
)


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


def monthly(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)


def test_the_shipped_weights_are_small_and_described():
    weights = WEIGHTS_DIR / "weights.npz"
    assert weights.stat().st_size < 5_000_000
    metadata = json.loads((WEIGHTS_DIR / "metadata.json").read_text())
    assert metadata["windows_seen"] > 0 and metadata["cpu_hours"] > 0
    card = (WEIGHTS_DIR / "MODEL_CARD.md").read_text()
    assert f"{metadata['windows_seen']:,}" in card


@pytest.mark.parametrize(("n", "horizon", "m"), [(3, 1, 1), (20, 6, 1), (30, 8, 4),
                                                 (144, 18, 12), (700, 48, 24),
                                                 (60, 100, 12)])
def test_forecast_shapes_ordered_finite(model, n, horizon, m):
    forecast = model.forecast(monthly(n), horizon, m)
    assert forecast.median.shape == (horizon,)
    assert forecast.quantiles.shape == (horizon, len(QUANTILES))
    assert forecast.levels == QUANTILES
    assert np.all(np.isfinite(forecast.quantiles))
    assert np.all(np.diff(forecast.quantiles, axis=1) >= 0)
    np.testing.assert_array_equal(forecast.median, forecast.quantiles[:, QUANTILES.index(0.5)])
    lower, upper = forecast.interval(0.9)
    assert np.all(lower <= forecast.median) and np.all(forecast.median <= upper)


def test_scale_and_shift_equivariance(model):
    y = monthly(150, seed=1)
    base = model.forecast(y, 18, 12).quantiles
    np.testing.assert_allclose(model.forecast(1000 * y, 18, 12).quantiles, 1000 * base,
                               rtol=1e-5, atol=1e-6 * 1000 * np.abs(base).max())
    np.testing.assert_allclose(model.forecast(y + 5000, 18, 12).quantiles, base + 5000,
                               rtol=1e-6, atol=1e-3)


def test_constant_and_count_series(model):
    constant = model.forecast(np.full(40, 7.0), 6, 1)
    np.testing.assert_array_equal(constant.quantiles, 7.0)
    counts = np.random.default_rng(0).poisson(0.5, 80).astype(float)
    assert np.all(np.isfinite(model.forecast(counts, 14, 7).quantiles))


def test_only_the_last_max_context_observations_are_read(model):
    y = monthly(MAX_CONTEXT + 200, seed=2)
    changed = y.copy()
    changed[:200] += 1e6
    np.testing.assert_array_equal(model.forecast(y, 12, 12).quantiles,
                                  model.forecast(changed, 12, 12).quantiles)


def test_forecast_batch_matches_forecast(model):
    Y = np.stack([monthly(50, seed=s) for s in range(3)])
    batch = model.forecast_batch(Y, 10, 12)
    assert batch.shape == (3, 10, len(QUANTILES))
    for i in range(3):
        np.testing.assert_allclose(batch[i], model.forecast(Y[i], 10, 12).quantiles,
                                   rtol=1e-5, atol=1e-5)


def test_beyond_max_horizon_continues_from_the_median(model):
    y = monthly(100)
    long = model.forecast(y, MAX_HORIZON + 10, 12)
    np.testing.assert_allclose(long.quantiles[:MAX_HORIZON],
                               model.forecast(y, MAX_HORIZON, 12).quantiles)
    again = model.forecast(np.concatenate([y, long.median[:MAX_HORIZON]]), 10, 12)
    np.testing.assert_allclose(long.quantiles[MAX_HORIZON:], again.quantiles)


def test_inputs_and_scale():
    y = np.array([[1.0, 3.0, 2.0, 4.0, 3.0, 5.0]])
    assert season_length_used(6, 2) == 2 and season_length_used(6, 4) == 1
    base, scale = base_and_scale(y, 2)
    np.testing.assert_allclose(scale, [1.0])  # |2-1|, |4-3|, |3-2|, |5-4|
    np.testing.assert_allclose(base[0, :4], [3.0, 5.0, 3.0, 5.0])
    X = network_inputs(y, 2, scale)
    assert X.shape == (1, 6, 7) and X[0, -1, 0] == 0  # relative to the last value
    _, flat = base_and_scale(np.full((1, 5), 3.0), 1)
    np.testing.assert_allclose(flat, [3.0])  # no change at all: the mean absolute level


@pytest.mark.parametrize(("values", "horizon", "m", "match"), [
    (np.arange(2.0), 3, 1, "at least 3"),
    ([1.0, np.nan, 2.0, 3.0], 3, 1, "NaN"),
    (np.ones((2, 5)), 3, 1, "1-D"),
    (np.arange(10.0), 0, 1, "horizon"),
    (np.arange(10.0), 3, 0, "season_length"),
])
def test_bad_input(model, values, horizon, m, match):
    with pytest.raises(ValueError, match=match):
        model.forecast(values, horizon, m)


def test_wrong_network_and_missing_weights(tmp_path):
    with pytest.raises(ValueError, match="inputs"):
        PretrainedForecaster(F.init_params("gru", 3, 4, 1, 5))
    with pytest.raises(FileNotFoundError):
        load_pretrained(tmp_path)
    with pytest.raises(ValueError, match="coverage"):
        load_pretrained().forecast(monthly(30), 3, 1).interval(0.7)


def test_the_zero_shot_benchmark_runs(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "pretrained.json"
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "pretrained.py"), "--series",
         "y_co2,q_co2", "--origins", "1", "--simulated", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["development"]["series"] == 2
    assert {"relMASE ETS", "wins SNaive", "warm_forecast_ms_median"} <= set(
        result["development"])
    assert 0 <= result["simulated"]["coverage"] <= 100
    assert "| pretrained |" in done.stdout


# ------------------------------------------------------------------ fine-tuning


def _own_windows_loss(params, values, m):
    """Mean pinball loss over the observed targets of the series' own windows."""
    X, targets, observed = fine_tuning_windows(values, m)
    dtype = params["head.weight"].dtype
    return F.loss_and_grad("gru", params, X.astype(dtype), targets.astype(dtype),
                           loss="quantile", quantiles=QUANTILES,
                           sample_weight=observed / observed.mean())[0]


def test_fine_tuning_windows_mask_what_lies_beyond_the_series():
    y = monthly(40)
    X, targets, observed = fine_tuning_windows(y, 12)
    L = X.shape[1]
    assert L == 20 and len(X) == 40 - L  # max(40 - 24, 40 // 2): every origin L .. n-1
    np.testing.assert_array_equal(observed.sum(1), np.minimum(MAX_HORIZON, 40 - np.arange(L, 40)))
    assert not targets[observed == 0].any()
    first_x, first_targets, _, _ = prepare_windows(y[None, :L], y[None, L:], np.array([12]))
    np.testing.assert_array_equal(X[0], first_x[0])
    np.testing.assert_array_equal(targets[0, :40 - L], first_targets[0])


def test_fine_tuning_lowers_the_loss_and_leaves_the_shipped_weights(model):
    y = monthly(60)
    shipped = {k: v.copy() for k, v in model.params.items()}
    tuned = model.fine_tune(y, 12, steps=8, learning_rate=1e-3, batch_size=64, random_state=0)
    assert isinstance(tuned, PretrainedForecaster) and tuned is not model
    assert _own_windows_loss(tuned.params, y, 12) < _own_windows_loss(model.params, y, 12)
    for key, value in model.params.items():
        np.testing.assert_array_equal(value, shipped[key])
        assert tuned.params[key].dtype == value.dtype
    assert any(not np.array_equal(tuned.params[k], shipped[k]) for k in shipped)
    record = tuned.metadata["fine_tuning"]
    assert record["steps"] == 8 and record["windows"] == 24 and record["context_length"] == 36
    assert "fine_tuning" not in model.metadata
    assert tuned.metadata["windows_seen"] == model.metadata["windows_seen"]
    assert not np.array_equal(tuned.forecast(y, 6, 12).median, model.forecast(y, 6, 12).median)


def test_fine_tuning_is_deterministic_under_random_state(model):
    y = monthly(70, seed=3)  # 35 windows, batches of 8 drawn among them
    a, b, c = (model.fine_tune(y, 12, steps=2, batch_size=8, random_state=seed)
               for seed in (1, 1, 2))
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert any(not np.array_equal(a.params[k], c.params[k]) for k in a.params)
    zero = model.fine_tune(y, 12, steps=0)
    for key in zero.params:
        np.testing.assert_array_equal(zero.params[key], model.params[key])


@pytest.mark.parametrize(("values", "options", "match"), [
    (np.arange(FINE_TUNE_MIN_OBSERVATIONS - 1.0), {}, "has 7 observation.*at least 8"),
    (np.r_[np.arange(10.0), np.nan], {}, "NaN"),
    (np.ones((2, 10)), {}, "1-D"),
    (np.arange(10.0), {"steps": -1}, "steps must be an integer"),
    (np.arange(10.0), {"batch_size": 0}, "batch_size must be a positive integer"),
    (np.arange(10.0), {"learning_rate": -1.0}, "learning_rate must be a number"),
])
def test_fine_tuning_bad_input(model, values, options, match):
    with pytest.raises(ValueError, match=match):
        model.fine_tune(values, 1, **options)
