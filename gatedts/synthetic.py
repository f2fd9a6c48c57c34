"""Simulated time series: the prior the pretrained network learns from.

:func:`simulate` draws a batch of series of one length from a mixture of
generating families, each series with its own frequency (season lengths):

``"sarima"``
    Seasonal ARIMA paths ``φ(B) Φ(B^m) (1 − B)^d (1 − B^m)^D y = c + θ(B) Θ(B^m) ε``.
    The AR and MA polynomials are drawn through their partial autocorrelations
    (:func:`ar_from_partial_autocorrelations`), which maps any values in
    (−1, 1) to a polynomial with every root outside the unit circle, so the
    ARMA part is stationary and invertible; ``d ∈ {0, 1, 2}``, ``D ∈ {0, 1}``.
``"ets"``
    Innovations state-space (ETS) paths: additive or multiplicative error, no,
    additive or damped trend, no, additive or multiplicative seasonality
    (Hyndman et al. 2008, the error-correction form).
``"gp"``
    Gaussian-process draws from a random composition (sums and products) of
    one to five kernels taken from a bank: RBF, rational quadratic, periodic
    (the frequency's season lengths and other periods), linear, constant and
    white noise, in the manner of Chronos's KernelSynth (Ansari et al. 2024).
    Each kernel is drawn with random features (random Fourier features for
    the stationary kernels, the exact Fourier series of the periodic kernel),
    which costs O(length) instead of a Cholesky factorisation; a product of
    independent draws has the product kernel as its covariance.
``"structural"``
    Trend + seasonalities + noise: a piecewise-linear trend with change points,
    or a logistic, Gompertz or exponential growth curve; every season length
    of the frequency at once (e.g. 24 and 168 for hourly series, 7 and 365
    for daily ones), as Fourier terms or free seasonal profiles; Gaussian,
    Student-t or Laplace noise with AR(1) memory; level shifts and outliers;
    combined additively or multiplicatively.
``"intermittent"``
    Counts: Poisson or negative-binomial demand whose intensity follows a
    structural path, with Bernoulli demand occurrence (Croston's model) for
    intermittent series.

Every series gets a random level and scale (counts keep their integers).
The same ``random_state`` gives the same series: all randomness comes from one
:class:`numpy.random.Generator`, and the Numba recursion (the ETS filter) is
deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.signal import lfilter
from scipy.special import ive

__all__ = ["DEFAULT_FAMILY_WEIGHTS", "DEFAULT_FREQUENCY_WEIGHTS", "FAMILIES", "FREQUENCIES",
           "SimulatedSeries", "ar_from_partial_autocorrelations", "simulate"]

FAMILIES = ("sarima", "ets", "gp", "structural", "intermittent")
"""The generating families, in the order of :attr:`SimulatedSeries.family` codes."""

FREQUENCIES: dict[str, tuple[int, ...]] = {
    "yearly": (1,),
    "quarterly": (4,),
    "monthly": (12,),
    "weekly": (52,),
    "daily": (7, 365),
    "business_daily": (5,),
    "hourly": (24, 168),
    "other": (1,),
}
"""Season lengths of each frequency; the first is the primary one (``season_length``)."""

DEFAULT_FAMILY_WEIGHTS = {"sarima": 0.25, "ets": 0.25, "gp": 0.15, "structural": 0.25,
                          "intermittent": 0.10}
"""The default mixture weights of the families."""
DEFAULT_FREQUENCY_WEIGHTS = {"yearly": 0.17, "quarterly": 0.17, "monthly": 0.22,
                             "weekly": 0.08, "daily": 0.12, "business_daily": 0.04,
                             "hourly": 0.12, "other": 0.08}
"""The default weights of the frequencies."""

_MAX_ABS = 1e9  # a draw beyond this (an explosive multiplicative path) is drawn again
_MAX_TRIES = 8


@dataclass(frozen=True)
class SimulatedSeries:
    """A batch of simulated series of one length.

    Attributes
    ----------
    values : ndarray (n_series, length) of float64
        The series, finite.
    season_length : ndarray (n_series,) of int
        The primary season length of each series (1: no seasonality).
    frequency : ndarray (n_series,) of str
        The frequency each series was drawn for (a key of :data:`FREQUENCIES`).
    family : ndarray (n_series,) of str
        The family that generated it (one of :data:`FAMILIES`).
    parameters : tuple of dict
        The parameters of each draw (for ``"sarima"``: ``"ar"`` and ``"ma"``,
        the expanded stationary AR and invertible MA coefficients ``φ(B)Φ(B^m)``
        and ``θ(B)Θ(B^m)`` as ``[c_1, c_2, ...]`` in ``1 − Σ c_i B^i`` and
        ``1 + Σ c_i B^i``, with ``"d"`` and ``"D"``).
    """

    values: np.ndarray
    season_length: np.ndarray
    frequency: np.ndarray
    family: np.ndarray
    parameters: tuple


def simulate(n_series: int, length: int, *, frequencies: str | Sequence[str] | None = None,
             family_weights: Mapping[str, float] | None = None,
             frequency_weights: Mapping[str, float] | None = None,
             random_state: int | np.random.Generator | None = None) -> SimulatedSeries:
    """Draw ``n_series`` series of ``length`` observations from the prior.

    Parameters
    ----------
    n_series : int
        Number of series, at least 1.
    length : int
        Observations per series, at least 1 (the prior is meant for 20 and up).
    frequencies : str or sequence of str, optional
        Restrict the frequencies (keys of :data:`FREQUENCIES`); each series
        draws one by ``frequency_weights``.
    family_weights : mapping of str to float, optional
        Mixture weights of the families (keys of :data:`FAMILIES`; missing
        families get 0). Default :data:`DEFAULT_FAMILY_WEIGHTS`.
    frequency_weights : mapping of str to float, optional
        Weights of the frequencies. Default :data:`DEFAULT_FREQUENCY_WEIGHTS`.
    random_state : None, int or numpy Generator
        The same seed gives the same series.

    Returns
    -------
    SimulatedSeries
    """
    n_series = _check_count("n_series", n_series)
    length = _check_count("length", length)
    rng = np.random.default_rng(random_state)
    families, family_p = _weights(family_weights, DEFAULT_FAMILY_WEIGHTS, FAMILIES, "family")
    if isinstance(frequencies, str):
        frequencies = (frequencies,)
    allowed = tuple(FREQUENCIES) if frequencies is None else tuple(frequencies)
    unknown = [f for f in allowed if f not in FREQUENCIES]
    if unknown or not allowed:
        raise ValueError(f"unknown frequencies {unknown or allowed!r}; choose from "
                         f"{list(FREQUENCIES)}")
    defaults = {f: DEFAULT_FREQUENCY_WEIGHTS[f] for f in allowed}
    freqs, freq_p = _weights(frequency_weights, defaults, allowed, "frequency")
    values = np.empty((n_series, length))
    season, freq_out, fam_out, params = [], [], [], []
    for i in range(n_series):
        frequency = freqs[rng.choice(len(freqs), p=freq_p)]
        family = families[rng.choice(len(families), p=family_p)]
        periods = FREQUENCIES[frequency]
        values[i], info = _draw(rng, family, length, periods)
        season.append(periods[0])
        freq_out.append(frequency)
        fam_out.append(family)
        params.append(info)
    return SimulatedSeries(values, np.array(season), np.array(freq_out), np.array(fam_out),
                           tuple(params))


def ar_from_partial_autocorrelations(pacf: ArrayLike) -> np.ndarray:
    """The stationary AR coefficients with the given partial autocorrelations.

    The Durbin-Levinson recursion maps any ``pacf`` in (−1, 1)^p one-to-one to
    the coefficients ``φ`` of a stationary AR(p) ``y_t = Σ φ_i y_{t−i} + ε_t``
    (every root of ``1 − Σ φ_i z^i`` outside the unit circle; Barndorff-Nielsen
    and Schou 1973, Jones 1980). With signs flipped it gives invertible MA
    coefficients.

    Parameters
    ----------
    pacf : array-like (p,) of float in (−1, 1)

    Returns
    -------
    ndarray (p,)
    """
    pacf = np.asarray(pacf, dtype=float)
    if pacf.ndim != 1 or not np.all(np.abs(pacf) < 1):
        raise ValueError("pacf must be a 1-D array of values strictly inside (-1, 1)")
    phi = np.zeros(0)
    for r in pacf:
        phi = np.concatenate([phi - r * phi[::-1], [r]])
    return phi


# ------------------------------------------------------------------ plumbing


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _weights(given, default, names, what):
    weights = dict(default if given is None else given)
    unknown = [k for k in weights if k not in names]
    if unknown:
        raise ValueError(f"unknown {what} {unknown!r}; choose from {list(names)}")
    keys = [k for k in names if weights.get(k, 0) > 0]
    p = np.array([float(weights[k]) for k in keys])
    if not keys or not np.all(np.isfinite(p)):
        raise ValueError(f"{what} weights must be finite and at least one positive, "
                         f"got {weights!r}")
    return keys, p / p.sum()


def _draw(rng, family, n, periods):
    """One finite series of ``family``; an explosive draw is drawn again."""
    for _ in range(_MAX_TRIES):
        y, info = _GENERATORS[family](rng, n, periods)
        if np.all(np.isfinite(y)) and np.max(np.abs(y)) < _MAX_ABS:
            return y, info
    y, info = _structural(rng, n, periods, multiplicative=False)  # always finite
    return y, {**info, "fallback_from": family}


def _noise(rng, n, heavy_p=0.3):
    """Innovations: Gaussian, or heavy-tailed (Student-t with 2.5-6 d.o.f., or Laplace),
    with unit scale."""
    u = rng.random()
    if u < heavy_p * 0.7:
        df = rng.uniform(2.5, 6.0)
        return rng.standard_t(df, n) * np.sqrt((df - 2) / df)
    if u < heavy_p:
        return rng.laplace(0.0, 1 / np.sqrt(2), n)
    return rng.standard_normal(n)


def _random_scale(rng, y, positive=False):
    """A random level and scale: the prior must not depend on units."""
    scale = 10 ** rng.uniform(-1, 3)
    if positive:
        return y * scale
    spread = np.std(y) + 1e-12
    offset = rng.choice([0.0, rng.normal(0, 5) * spread, rng.uniform(2, 50) * spread])
    return (y + offset) * scale


# ------------------------------------------------------------------ SARIMA


def _stable_poly(rng, order):
    # Partial autocorrelations from Beta(2, 2) on (-1, 1) pulled towards ±1 now and then,
    # so near-unit roots (persistent series) are drawn as well as quick decays.
    r = 2 * rng.beta(2, 2, order) - 1
    r = np.where(rng.random(order) < 0.2, np.sign(r) * rng.uniform(0.8, 0.98, order), r)
    return ar_from_partial_autocorrelations(r)


def _poly_product(a, b, lag):
    """Coefficients of (1 − Σ a_i B^i)(1 − Σ b_j B^{j·lag}) as [c_1, ...] of 1 − Σ c_k B^k."""
    pa = np.concatenate([[1.0], -a])
    pb = np.zeros(len(b) * lag + 1)
    pb[0] = 1.0
    pb[lag::lag] = -b
    return -np.convolve(pa, pb)[1:]


def _sarima(rng, n, periods):
    m = periods[0]
    seasonal = m > 1
    p, q = rng.choice(4, p=[0.2, 0.4, 0.25, 0.15]), rng.choice(3, p=[0.45, 0.35, 0.2])
    P = int(seasonal and rng.random() < 0.4)
    Q = int(seasonal and rng.random() < 0.4)
    d = int(rng.choice(3, p=[0.4, 0.48, 0.12]))
    D = int(seasonal and rng.random() < 0.4)
    ar = _poly_product(_stable_poly(rng, p), _stable_poly(rng, P), m)
    ma = -_poly_product(_stable_poly(rng, q), _stable_poly(rng, Q), m)  # 1 + Σ θ B^k
    burn = 50 + 3 * m * (P + Q)
    e = _noise(rng, n + burn)
    x = lfilter(np.concatenate([[1.0], ma]), np.concatenate([[1.0], -ar]), e)[burn:]
    if seasonal and not D and rng.random() < 0.5:  # a deterministic seasonal profile
        x = x + np.tile(rng.normal(0, rng.uniform(0.5, 3), m), n // m + 1)[:n]
    if d and rng.random() < 0.4:
        x = x + rng.normal(0, 0.3)  # drift
    if D:
        x = _seasonal_integrate(x, m, rng.normal(0, rng.uniform(1, 5), m))
    for _ in range(d):
        x = np.cumsum(x)
    info = {"ar": ar, "ma": ma, "d": d, "D": D, "m": m}
    return _random_scale(rng, x), info


def _seasonal_integrate(x, m, start):
    """y_t = y_{t−m} + x_t, the first season starting from ``start + x``."""
    n = len(x)
    rows = -(-n // m)
    padded = np.zeros(rows * m)
    padded[:n] = x
    padded[:m] += start
    return np.cumsum(padded.reshape(rows, m), axis=0).ravel()[:n]


# ------------------------------------------------------------------ ETS


@njit(cache=True)
def _ets_filter(eps, level, trend, season, alpha, beta, gamma, phi, multiplicative_error,
                trend_kind, multiplicative_season):
    """Run an ETS model on standard innovations ``eps`` (error-correction form).

    With the absolute error ``ε = y − μ`` (``μ·e`` for a multiplicative error,
    ``σ·e`` for an additive one, ``e = eps_t`` already scaled), the updates
    ``l ← l + φb + αε/s``, ``b ← φb + βε/s``, ``s ← s + γε/(l + φb)`` (``/s``
    and ``/(l + φb)`` only with a multiplicative season; ``+`` forms otherwise)
    are those of every ETS model (Hyndman et al. 2008, table 2.3).
    """
    n = eps.shape[0]
    m = season.shape[0]
    y = np.empty(n)
    s = season.copy()
    phi_b = 0.0
    for t in range(n):
        phi_b = phi * trend if trend_kind > 0 else 0.0
        base = level + phi_b
        j = t % m
        mu = base * s[j] if multiplicative_season else base + s[j]
        err = mu * eps[t] if multiplicative_error else eps[t]
        y[t] = mu + err
        if multiplicative_season:
            level = base + alpha * err / s[j]
            if trend_kind > 0:
                trend = phi_b + beta * err / s[j]
            s[j] = s[j] + gamma * err / base
        else:
            level = base + alpha * err
            if trend_kind > 0:
                trend = phi_b + beta * err
            s[j] = s[j] + gamma * err
        if multiplicative_error or multiplicative_season:
            if level <= 1e-6:  # keep a multiplicative model's level positive
                level = 1e-6
            if multiplicative_season and s[j] <= 1e-3:
                s[j] = 1e-3
    return y


def _ets(rng, n, periods):
    m = periods[0]
    mult_error = rng.random() < 0.4
    trend_kind = int(rng.choice(3, p=[0.4, 0.3, 0.3]))  # none, additive, damped
    season_kind = int(rng.choice(3, p=[0.3, 0.4, 0.3])) if 1 < m <= 168 else 0
    alpha = rng.uniform(0.05, 0.95)
    beta = rng.uniform(0.005, 0.3) * alpha
    gamma = rng.uniform(0.005, 0.3) * (1 - alpha)
    phi = 1.0 if trend_kind == 1 else rng.uniform(0.8, 0.98)
    level = 100.0
    trend = rng.normal(0, 1.0) * (trend_kind > 0)
    sigma = np.exp(rng.uniform(np.log(0.003), np.log(0.12)))  # down to nearly smooth paths
    eps = _noise(rng, n, heavy_p=0.15) * (sigma if mult_error else sigma * level)
    k = max(m, 1)
    profile = _seasonal_profile(rng, k, periods[0]) if season_kind else np.zeros(k)
    mult_season = season_kind == 2
    if mult_season:
        season = np.exp(profile * rng.uniform(0.05, 0.4))
    else:
        season = profile * rng.uniform(2, 30) * (season_kind > 0)
    y = _ets_filter(eps, level, trend, season, alpha, beta, gamma, phi, mult_error,
                    trend_kind, mult_season)
    info = {"error": "M" if mult_error else "A", "trend": ("N", "A", "Ad")[trend_kind],
            "season": "NAM"[season_kind], "alpha": alpha, "beta": beta, "gamma": gamma,
            "phi": phi}
    positive = mult_error or mult_season
    return _random_scale(rng, y, positive=positive), info


def _seasonal_profile(rng, m, period):
    """A zero-mean seasonal profile of ``m`` steps with unit standard deviation: a few
    Fourier terms (smooth) or free values (e.g. a weekly or monthly pattern)."""
    t = np.arange(m)
    if rng.random() < 0.5 or m > 60:
        harmonics = rng.integers(1, max(2, min(period // 2, 6)) + 1)
        s = sum(rng.normal(0, 1 / k) * np.cos(2 * np.pi * k * t / period + rng.uniform(0, 6.3))
                for k in range(1, harmonics + 1))
    else:
        s = rng.standard_normal(m)
    s = s - s.mean()
    return s / (s.std() + 1e-12)


# ------------------------------------------------------------------ Gaussian processes

_GP_KERNELS = ("rbf", "rational_quadratic", "periodic", "linear", "constant", "white")
_GP_KERNEL_P = (0.2, 0.15, 0.35, 0.15, 0.05, 0.1)
_EXTRA_PERIODS = (4, 5, 6, 7, 12, 14, 24, 26, 30, 48, 52, 60, 96, 168, 365)
_N_FEATURES = 48


def _gp_kernel_draw(rng, kind, x, t, periods):
    """One zero-mean draw with unit prior variance from kernel ``kind`` at ``x`` in [0, 1]
    (``t`` the step index)."""
    n = len(x)
    if kind in ("rbf", "rational_quadratic"):
        lengthscale = np.exp(rng.uniform(np.log(0.02), np.log(1.0)))
        if kind == "rbf":
            omega = rng.standard_normal(_N_FEATURES) / lengthscale
        else:  # RQ = Gamma scale-mixture of RBFs: precision τ ~ Gamma(a, 1/(a ℓ²))
            a = rng.choice([0.1, 1.0, 10.0])
            tau = rng.gamma(a, 1 / (a * lengthscale**2), _N_FEATURES)
            omega = rng.standard_normal(_N_FEATURES) * np.sqrt(tau)
        phase = rng.uniform(0, 2 * np.pi, _N_FEATURES)
        return np.sqrt(2 / _N_FEATURES) * np.cos(np.outer(x, omega) + phase).sum(axis=1)
    if kind == "periodic":
        # exp(−2 sin²(π r/p)/ℓ²) = Σ_k c_k cos(2πk r/p), c_k ∝ I_k(1/ℓ²) e^{−1/ℓ²}
        if rng.random() < 0.6:
            period = periods[rng.integers(len(periods))]
        else:
            period = _EXTRA_PERIODS[rng.integers(len(_EXTRA_PERIODS))]
        if period <= 1:
            period = _EXTRA_PERIODS[rng.integers(len(_EXTRA_PERIODS))]
        lengthscale = rng.uniform(0.5, 2.0)
        k = np.arange(0, min(period // 2, 12) + 1)
        c = ive(k, 1 / lengthscale**2)
        c[1:] *= 2
        c /= c.sum()
        angle = 2 * np.pi * np.outer(t, k) / period
        a, b = rng.standard_normal((2, len(k)))
        return (np.cos(angle) * a + np.sin(angle) * b) @ np.sqrt(c)
    if kind == "linear":
        return rng.normal(0, rng.choice([0.0, 1.0])) + rng.standard_normal() * (x - 0.5) * 2
    if kind == "constant":
        return np.full(n, rng.standard_normal())
    return rng.standard_normal(n) * rng.choice([0.1, 0.3, 1.0])  # white


def _gp(rng, n, periods):
    x = np.linspace(0, 1, n) if n > 1 else np.zeros(1)
    t = np.arange(n)
    n_kernels = int(rng.integers(1, 6))
    kinds = rng.choice(len(_GP_KERNELS), size=n_kernels, p=_GP_KERNEL_P)
    names = [_GP_KERNELS[k] for k in kinds]
    y = _gp_kernel_draw(rng, names[0], x, t, periods)
    ops = []
    for name in names[1:]:
        op = "*" if rng.random() < 0.35 else "+"
        draw = _gp_kernel_draw(rng, name, x, t, periods)
        y = y * draw if op == "*" else y + draw
        ops.append(op)
    y = y + 0.02 * rng.standard_normal(n)  # KernelSynth's jitter keeps every draw noisy
    return _random_scale(rng, y), {"kernels": names, "ops": ops}


# ------------------------------------------------------------------ structural


def _trend(rng, n):
    t = np.arange(n) / max(n - 1, 1)
    kind = rng.choice(["none", "linear", "piecewise", "logistic", "gompertz", "exponential"],
                      p=[0.15, 0.2, 0.3, 0.12, 0.08, 0.15])
    if kind == "none":
        return np.zeros(n), kind
    if kind == "linear":
        return rng.normal(0, 3) * t, kind
    if kind == "piecewise":
        n_changes = rng.integers(1, 5)
        points = np.sort(rng.uniform(0, 1, n_changes))
        slopes = rng.normal(0, 3, n_changes + 1)
        y = slopes[0] * t
        for cp, slope in zip(points, np.diff(slopes), strict=True):
            y = y + slope * np.maximum(t - cp, 0)
        return y, kind
    if kind == "logistic":
        mid, rate = rng.uniform(-0.3, 1.3), rng.uniform(3, 15)
        return rng.uniform(2, 8) / (1 + np.exp(-rate * (t - mid))), kind
    if kind == "gompertz":
        b, c = rng.uniform(1, 6), rng.uniform(2, 8)
        return rng.uniform(2, 8) * np.exp(-b * np.exp(-c * t)), kind
    return np.expm1(rng.uniform(0.5, 3) * t) * rng.choice([-1, 1]), kind


def _structural(rng, n, periods, multiplicative=None):
    trend, trend_kind = _trend(rng, n)
    t = np.arange(n)
    season = np.zeros(n)
    for period in periods:
        if period > 1 and rng.random() < 0.8:
            offset = rng.integers(period)
            profile = _seasonal_profile(rng, period, period)
            amplitude = rng.uniform(0.2, 2.0) * (1 + rng.normal(0, 0.5) * t / max(n, 1))
            season += amplitude * profile[(t + offset) % period]
    phi = rng.uniform(-0.3, 0.95) if rng.random() < 0.6 else 0.0
    noise = lfilter([1.0], [1.0, -phi], _noise(rng, n)) * np.sqrt(1 - phi**2)
    noise *= np.exp(rng.uniform(np.log(0.01), 0.0))  # from smooth trends to noise
    y = trend + season + noise
    if rng.random() < 0.25:  # level shifts
        for _ in range(rng.integers(1, 4)):
            y[rng.integers(n):] += rng.normal(0, 2)
    if rng.random() < 0.2:  # outliers
        spots = rng.integers(0, n, rng.integers(1, max(2, n // 50) + 1))
        y[spots] += rng.choice([-1, 1], len(spots)) * rng.uniform(3, 10, len(spots)) * (
            np.std(noise) + 0.1)
    if multiplicative is None:
        multiplicative = rng.random() < 0.3
    if multiplicative:
        y = np.exp(0.3 * (y - y.mean()) / (np.std(y) + 1e-12))
    info = {"trend": str(trend_kind), "multiplicative": bool(multiplicative)}
    return _random_scale(rng, y, positive=multiplicative), info


# ------------------------------------------------------------------ counts


def _intermittent(rng, n, periods):
    path, _ = _structural(rng, n, periods, multiplicative=False)
    path = (path - path.mean()) / (np.std(path) + 1e-12)
    rate = 10 ** rng.uniform(-1, 1.7) * np.exp(rng.uniform(0.1, 0.8) * path)
    occurrence = rng.uniform(0.1, 0.9) if rng.random() < 0.6 else 1.0
    if rng.random() < 0.5:
        size = rng.poisson(rate)
    else:  # negative binomial: Poisson with a Gamma-distributed rate
        shape = rng.uniform(0.5, 5)
        size = rng.poisson(rng.gamma(shape, rate / shape))
    if occurrence < 1:
        size = (rng.random(n) < occurrence) * (size + 1)
    return size.astype(float), {"occurrence": occurrence}


_GENERATORS = {"sarima": _sarima, "ets": _ets, "gp": _gp, "structural": _structural,
               "intermittent": _intermittent}
