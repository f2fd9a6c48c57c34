"""The simulator of the pretraining prior: shapes, seeds, finiteness, every family and
frequency, stationary SARIMA draws."""

import numpy as np
import pytest

from gatedts.synthetic import (
    FAMILIES,
    FREQUENCIES,
    ar_from_partial_autocorrelations,
    simulate,
)


def test_shapes_and_metadata():
    sims = simulate(12, 30, random_state=0)
    assert sims.values.shape == (12, 30)
    assert sims.values.dtype == np.float64
    assert sims.season_length.shape == sims.frequency.shape == sims.family.shape == (12,)
    assert len(sims.parameters) == 12
    for freq, m in zip(sims.frequency, sims.season_length, strict=True):
        assert m == FREQUENCIES[freq][0]


def test_same_seed_same_series_other_seed_other_series():
    a = simulate(20, 50, random_state=3)
    b = simulate(20, 50, random_state=3)
    c = simulate(20, 50, random_state=4)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.family, b.family)
    assert not np.array_equal(a.values, c.values)


@pytest.mark.parametrize("length", [1, 2, 20, 400])
def test_every_length_is_finite(length):
    sims = simulate(60, length, random_state=length)
    assert np.all(np.isfinite(sims.values))


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_on_every_frequency(family):
    for freq in FREQUENCIES:
        sims = simulate(6, 120, frequencies=freq, family_weights={family: 1.0},
                        random_state=1)
        assert set(sims.family) == {family}
        assert set(sims.frequency) == {freq}
        assert np.all(np.isfinite(sims.values))
        assert not any("fallback_from" in p for p in sims.parameters)
        # not constant: every family has noise or dynamics
        assert np.all(np.ptp(sims.values, axis=1) > 0)


def test_the_default_mixture_produces_every_family_and_frequency():
    sims = simulate(400, 40, random_state=0)
    assert set(sims.family) == set(FAMILIES)
    assert set(sims.frequency) == set(FREQUENCIES)


def test_counts_are_non_negative_integers():
    sims = simulate(30, 100, family_weights={"intermittent": 1}, random_state=2)
    assert np.all(sims.values >= 0)
    np.testing.assert_array_equal(sims.values, np.round(sims.values))
    assert np.mean(sims.values == 0) > 0.1  # intermittent: many zero periods


def _spectral_radius(coefficients):
    """Largest |eigenvalue| of the companion matrix of 1 − Σ c_i B^i (< 1: stationary)."""
    p = len(coefficients)
    if p == 0:
        return 0.0
    companion = np.zeros((p, p))
    companion[0] = coefficients
    companion[1:, :-1] = np.eye(p - 1)
    return np.max(np.abs(np.linalg.eigvals(companion)))


def test_sarima_draws_are_stationary_and_invertible():
    sims = simulate(200, 60, frequencies=("monthly", "quarterly", "yearly"),
                    family_weights={"sarima": 1}, random_state=5)
    orders = set()
    for p in sims.parameters:
        assert _spectral_radius(p["ar"]) < 1
        assert _spectral_radius(-p["ma"]) < 1  # 1 + Σ θ B^i has its roots outside too
        orders.add((p["d"], p["D"]))
    assert {(0, 0), (1, 0), (0, 1), (1, 1)} <= orders


def test_stationary_sarima_paths_keep_their_variance():
    # d = D = 0 paths: the variance of the second half is that of the first
    # (a unit root would make it grow with time).
    sims = simulate(300, 400, frequencies="yearly", family_weights={"sarima": 1},
                    random_state=6)
    ratios = [np.var(v[200:]) / np.var(v[:200])
              for v, p in zip(sims.values, sims.parameters, strict=True)
              if p["d"] == 0 and p["D"] == 0]
    assert len(ratios) > 50
    assert 0.5 < np.median(ratios) < 2


def test_ar_from_partial_autocorrelations():
    rng = np.random.default_rng(0)
    for p in range(1, 6):
        for _ in range(20):
            pacf = rng.uniform(-0.999, 0.999, p)
            phi = ar_from_partial_autocorrelations(pacf)
            assert phi.shape == (p,)
            assert _spectral_radius(phi) < 1
    np.testing.assert_allclose(ar_from_partial_autocorrelations([0.5]), [0.5])
    # AR(2) from (r1, r2): phi1 = r1 (1 - r2), phi2 = r2
    np.testing.assert_allclose(ar_from_partial_autocorrelations([0.5, -0.3]),
                               [0.5 * 1.3, -0.3])
    with pytest.raises(ValueError, match="inside"):
        ar_from_partial_autocorrelations([1.0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_series"):
        simulate(0, 10)
    with pytest.raises(ValueError, match="length"):
        simulate(3, 2.5)
    with pytest.raises(ValueError, match="frequencies"):
        simulate(3, 10, frequencies="fortnightly")
    with pytest.raises(ValueError, match="family"):
        simulate(3, 10, family_weights={"arima": 1})
    with pytest.raises(ValueError, match="weights"):
        simulate(3, 10, family_weights={"ets": 0})
