"""A GRU pretrained on simulated series that forecasts any series zero-shot.

One network serves every frequency. It reads the last ``MAX_CONTEXT`` (or
fewer) observations of a series and returns ``MAX_HORIZON`` steps of
``QUANTILES`` at once; longer horizons are forecast in chunks, each chunk
reading the previous chunk's median as if observed. The weights were learned by
``python -m gatedts.pretrain`` on draws of :mod:`gatedts.synthetic` only; the
model card (``MODEL_CARD.md`` next to the weights) says how long and how well.

The network is scale-free. With ``y`` the context (length L), ``m`` the
season length it uses (the given one when ``L ≥ 2m``, else 1) and

* ``scale``: the mean absolute ``m``-step difference of the context (the
  denominator of MASE), falling back to the lag-1 difference, then the mean
  absolute value, then 1 when those are zero;
* ``base_j``: the seasonal-naive forecast (the last season repeated; the last
  value when ``m = 1``),

the network reads per step ``z_t = (y_t − y_L) / scale`` (clipped, and
compressed by asinh), the scaled ``m``-step difference, the phase of the step
in the season relative to the last observation (sine, cosine), ``log m`` and
``log L``; and forecasts ``(y_{L+j} − base_j) / scale`` for each quantile. So
``a·y + b`` (``a > 0``) gets the forecast ``a·ŷ + b``, and an output of zero is
the seasonal-naive forecast. Quantiles are sorted after the network, so they
never cross. A constant context is forecast as that constant, with every
quantile equal to it.

:meth:`PretrainedForecaster.fine_tune` adapts the weights to one series: a
few steps of Adam on the pinball loss of the series' own rolling-origin
windows (targets beyond the series' end masked), from the pretrained weights.

The weights are a plain npz (``allow_pickle=False``) of the GRU's
PyTorch-named parameters (see :mod:`gatedts.nn.functional`) and the metadata
a JSON file next to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..nn import functional as F
from ..nn.optim import Adam, check_number, clip_grad_norm

__all__ = ["FINE_TUNE_MIN_OBSERVATIONS", "MAX_CONTEXT", "MAX_HORIZON", "N_FEATURES",
           "QUANTILES", "PretrainedForecast", "PretrainedForecaster", "base_and_scale",
           "fine_tuning_windows", "load_pretrained", "network_inputs", "prepare_windows",
           "season_length_used"]

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""The quantile levels the network outputs."""
MAX_HORIZON = 48
"""Steps forecast by one pass of the network."""
MAX_CONTEXT = 512
"""The network reads at most this many of the last observations."""
N_FEATURES = 7
CELL = "gru"

WEIGHTS_DIR = Path(__file__).resolve().parent
WEIGHTS_FILE = "weights.npz"
METADATA_FILE = "metadata.json"

FINE_TUNE_MIN_OBSERVATIONS = 8
"""Observations :meth:`PretrainedForecaster.fine_tune` needs (4 windows of 4)."""

_Z_CLIP = 10.0
_TARGET_CLIP = 100.0
_FINE_TUNE_ORIGINS = 24  # origins the fine-tuning context leaves when the series is long enough
_FINE_TUNE_CONTEXT = 128  # longest fine-tuning context: a step's cost grows with it
_MEDIAN = QUANTILES.index(0.5)


def season_length_used(length: int, season_length: int) -> int:
    """The season length the network uses for a context of ``length`` observations:
    ``season_length`` when the context holds two seasons, else 1."""
    return season_length if season_length > 1 and length >= 2 * season_length else 1


def base_and_scale(contexts: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The seasonal-naive forecast over ``MAX_HORIZON`` steps and the scale of each context.

    Parameters
    ----------
    contexts : ndarray (batch, L) of float64
        Finite contexts of one length.
    m : int
        The season length used (see :func:`season_length_used`).

    Returns
    -------
    base : ndarray (batch, MAX_HORIZON)
    scale : ndarray (batch,), positive
    """
    L = contexts.shape[1]
    last_season = contexts[:, L - m:]
    base = np.tile(last_season, (1, -(-MAX_HORIZON // m)))[:, :MAX_HORIZON]
    scale = np.zeros(len(contexts))
    for lag in (m, 1):
        if lag < L:
            fallback = scale <= 0
            scale = np.where(fallback, np.abs(contexts[:, lag:] - contexts[:, :-lag]).mean(1),
                             scale)
    scale = np.where(scale > 0, scale, np.abs(contexts).mean(1))
    return base, np.where(scale > 0, scale, 1.0)


def network_inputs(contexts: np.ndarray, m: int, scale: np.ndarray,
                   dtype: DTypeLike = np.float32) -> np.ndarray:
    """The network's input (batch, L, ``N_FEATURES``) for contexts of one length.

    ``m`` and ``scale`` as from :func:`season_length_used` and :func:`base_and_scale`.
    """
    batch, L = contexts.shape
    z = (contexts - contexts[:, -1:]) / scale[:, None]
    diff = np.zeros_like(z)
    if m < L:
        diff[:, m:] = z[:, m:] - z[:, :-m]
    X = np.empty((batch, L, N_FEATURES), dtype=dtype)
    X[..., 0] = np.clip(z, -_Z_CLIP, _Z_CLIP) / 3
    X[..., 1] = np.arcsinh(z) / 3
    X[..., 2] = np.clip(diff, -_Z_CLIP, _Z_CLIP) / 3
    if m > 1:
        angle = 2 * np.pi * (np.arange(L) - (L - 1)) / m
        X[..., 3] = np.sin(angle)
        X[..., 4] = np.cos(angle)
    else:
        X[..., 3:5] = 0
    X[..., 5] = np.log(m) / 5
    X[..., 6] = np.log(L) / np.log(MAX_CONTEXT)
    return X


def prepare_windows(contexts: np.ndarray, futures: np.ndarray, season_lengths: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Network inputs and scaled targets for contexts of one length.

    Parameters
    ----------
    contexts : ndarray (batch, L)
    futures : ndarray (batch, h), h ≤ ``MAX_HORIZON``
    season_lengths : ndarray (batch,) of int

    Returns
    -------
    X : ndarray (batch, L, N_FEATURES) float32
    targets : ndarray (batch, h), ``(future − base) / scale``, clipped to ±100
    base : ndarray (batch, MAX_HORIZON)
    scale : ndarray (batch,)
    """
    batch, L = contexts.shape
    X = np.empty((batch, L, N_FEATURES), dtype=np.float32)
    base = np.empty((batch, MAX_HORIZON))
    scale = np.empty(batch)
    used = np.array([season_length_used(L, int(m)) for m in season_lengths])
    for m in np.unique(used):
        rows = np.flatnonzero(used == m)
        base[rows], scale[rows] = base_and_scale(contexts[rows], int(m))
        X[rows] = network_inputs(contexts[rows], int(m), scale[rows])
    h = futures.shape[1]
    targets = np.clip((futures - base[:, :h]) / scale[:, None], -_TARGET_CLIP, _TARGET_CLIP)
    return X, targets, base, scale



def fine_tuning_windows(values: np.ndarray, season_length: int = 1
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A series' own rolling-origin windows, as :meth:`PretrainedForecaster.fine_tune`
    trains on them.

    The contexts have one length ``L = min(128, max(n − 24, n // 2))`` (the
    longest that leaves 24 origins, at least half the series, capped since a
    step's cost grows with ``L``), and every origin ``t = L … n − 1`` gives one
    window: ``values[t − L:t]`` and the ``MAX_HORIZON`` values after it, of
    which only those before the series' end are observed.

    Parameters
    ----------
    values : ndarray (n,) of float, finite, ``n ≥ FINE_TUNE_MIN_OBSERVATIONS``
    season_length : int, default 1

    Returns
    -------
    X : ndarray (n − L, L, N_FEATURES) float32
    targets : ndarray (n − L, MAX_HORIZON)
        Scaled as :func:`prepare_windows`; 0 where not observed.
    observed : ndarray (n − L, MAX_HORIZON) of float
        1 where the target was observed, else 0 (the loss weight).
    """
    n = len(values)
    L = min(_FINE_TUNE_CONTEXT, max(n - _FINE_TUNE_ORIGINS, n // 2))
    padded = np.concatenate([values, np.full(MAX_HORIZON, np.nan)])
    origins = np.arange(L, n)
    contexts = padded[origins[:, None] + np.arange(-L, 0)]
    futures = padded[origins[:, None] + np.arange(MAX_HORIZON)]
    X, targets, _, _ = prepare_windows(contexts, futures, np.full(len(origins), season_length))
    observed = np.isfinite(futures)
    return X, np.where(observed, targets, 0.0), observed.astype(float)


def _to_values(outputs, base, scale):
    """(batch, MAX_HORIZON·Q) network outputs to sorted quantiles (batch, MAX_HORIZON, Q)
    in the units of the series."""
    q = np.sort(outputs.reshape(len(outputs), MAX_HORIZON, len(QUANTILES)).astype(float), -1)
    return base[:, :, None] + scale[:, None, None] * q


@dataclass(frozen=True)
class PretrainedForecast:
    """A zero-shot forecast.

    Attributes
    ----------
    median : ndarray (horizon,)
        The point forecast (the 0.5 quantile).
    quantiles : ndarray (horizon, len(levels)), increasing along the last axis
    levels : tuple of float
        The quantile levels of the columns of ``quantiles``.
    """

    median: np.ndarray
    quantiles: np.ndarray
    levels: tuple

    def interval(self, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The central interval of ``coverage`` whose bounds are among :attr:`levels`."""
        low, high = round((1 - coverage) / 2, 10), round((1 + coverage) / 2, 10)
        if low not in self.levels or high not in self.levels:
            raise ValueError(f"coverage={coverage!r} needs the quantiles {low} and {high}; "
                             f"the network gives {self.levels}")
        return (self.quantiles[:, self.levels.index(low)],
                self.quantiles[:, self.levels.index(high)])


class PretrainedForecaster:
    """The pretrained network: :meth:`forecast` any series, no fitting.

    Build it with :func:`load_pretrained`, or from a parameter dict (e.g. a
    pretraining checkpoint's).

    Parameters
    ----------
    params : dict of str to ndarray
        GRU parameters with ``N_FEATURES`` inputs and a head of
        ``MAX_HORIZON · len(QUANTILES)`` outputs.
    metadata : dict, optional
        What the weights are (windows seen, CPU-hours, version...).
    """

    def __init__(self, params: dict, metadata: dict | None = None):
        spec = F.model_spec("gru", params)
        if spec.input_size != N_FEATURES or spec.output_size != MAX_HORIZON * len(QUANTILES):
            raise ValueError(f"the parameters take {spec.input_size} inputs and give "
                             f"{spec.output_size} outputs; the pretrained network takes "
                             f"{N_FEATURES} and gives {MAX_HORIZON * len(QUANTILES)}")
        self.params = params
        self.metadata = dict(metadata or {})
        self.levels = QUANTILES

    def forecast(self, values: ArrayLike, horizon: int,
                 season_length: int = 1) -> PretrainedForecast:
        """Forecast ``horizon`` steps after ``values``.

        Parameters
        ----------
        values : array-like (n,)
            The history, finite, at least 3 observations; only the last
            ``MAX_CONTEXT`` are read.
        horizon : int
            Steps ahead, at least 1; beyond ``MAX_HORIZON`` the forecast
            continues in chunks from the previous chunk's median.
        season_length : int, default 1
            The series' season length (12 monthly, 4 quarterly, 24 hourly,
            1 for none); used when the history holds two seasons.

        Returns
        -------
        PretrainedForecast
        """
        y = np.asarray(values, dtype=float)
        if y.ndim != 1:
            raise ValueError(f"values must be 1-D, got shape {y.shape}")
        quantiles = self.forecast_batch(y[None], horizon, season_length)
        return PretrainedForecast(quantiles[0, :, _MEDIAN].copy(), quantiles[0], self.levels)

    def forecast_batch(self, values: ArrayLike, horizon: int, season_length: int = 1) -> np.ndarray:
        """Forecast many histories of one length at once (e.g. the windows of rolling
        origins).

        Parameters
        ----------
        values : array-like (batch, n)
        horizon, season_length
            As in :meth:`forecast`.

        Returns
        -------
        ndarray (batch, horizon, len(QUANTILES)), sorted along the last axis
        """
        y = np.asarray(values, dtype=float)
        if y.ndim != 2:
            raise ValueError(f"values must be 2-D (batch, n), got shape {y.shape}")
        if y.shape[1] < 3:
            raise ValueError(f"the history has {y.shape[1]} observations; the pretrained "
                             "network needs at least 3")
        _check_finite(y)
        horizon = _positive_int("horizon", horizon)
        season_length = _positive_int("season_length", season_length)
        chunks = []
        done = 0
        while done < horizon:
            q = self._predict(y[:, -MAX_CONTEXT:], season_length)
            chunks.append(q)
            done += MAX_HORIZON
            if done < horizon:
                y = np.concatenate([y, q[:, :, _MEDIAN]], axis=1)
        return np.concatenate(chunks, axis=1)[:, :horizon]

    def fine_tune(self, values: ArrayLike, season_length: int = 1, *, steps: int = 50,
                  learning_rate: float = 1e-5, batch_size: int = 32, clip_norm: float = 1.0,
                  random_state: int | np.random.Generator | None = None
                  ) -> PretrainedForecaster:
        """A new network: these weights adapted to the series ``values``.

        Adam (``learning_rate``, gradient norm clipped to ``clip_norm``) takes
        ``steps`` steps on the pinball loss over ``QUANTILES`` of the series' own
        rolling-origin windows (:func:`fine_tuning_windows`), each step on
        ``batch_size`` windows drawn from ``random_state`` (all of them when
        there are no more). A window's targets after the series' end have
        weight 0 (a per-target ``sample_weight`` of
        :func:`gatedts.nn.functional.loss_and_grad`): a 54-month series
        trains every output it can check and no other. This network is left
        unchanged.

        Parameters
        ----------
        values : array-like (n,)
            The series, finite, at least ``FINE_TUNE_MIN_OBSERVATIONS``.
        season_length : int, default 1
            As in :meth:`forecast`.
        steps : int, default 50
            Optimizer steps (0 copies the weights).
        learning_rate : float, default 1e-5
            The defaults were chosen on the training parts of the development
            benchmark (``benchmarks/combination.py --add-fine-tuned``): 1e-4
            and 1e-3 made the forecasts worse than zero-shot. Adam moves every
            weight by about the learning rate per step, which adds up across
            a layer of 128 units.
        batch_size : int, default 32
        clip_norm : float, default 1.0
        random_state : int, Generator or None, default None
            Draws the batches: the same seed gives the same weights.

        Returns
        -------
        PretrainedForecaster
            With the adapted parameters (this network's dtype) and this
            network's metadata plus ``"fine_tuning"``: the settings, the
            ``windows`` and their ``context_length``, and the ``observations``.
        """
        y = np.asarray(values, dtype=float)
        if y.ndim != 1:
            raise ValueError(f"values must be 1-D, got shape {y.shape}")
        if len(y) < FINE_TUNE_MIN_OBSERVATIONS:
            raise ValueError(f"the series has {len(y)} observation(s); fine-tuning needs at "
                             f"least {FINE_TUNE_MIN_OBSERVATIONS}")
        _check_finite(y)
        season_length = _positive_int("season_length", season_length)
        steps = int(check_number("steps", steps, 0, integer=True))
        batch_size = _positive_int("batch_size", batch_size)
        learning_rate = check_number("learning_rate", learning_rate, 0.0)
        clip_norm = check_number("clip_norm", clip_norm, 0.0)
        X, targets, observed = fine_tuning_windows(y, season_length)
        params = {key: value.copy() for key, value in self.params.items()}
        dtype = params["head.weight"].dtype
        X, targets = X.astype(dtype, copy=False), targets.astype(dtype)
        optimizer = Adam(params, lr=learning_rate)
        rng = np.random.default_rng(random_state)
        everything = np.arange(len(X))
        for _ in range(steps):
            rows = (everything if len(X) <= batch_size
                    else np.sort(rng.choice(len(X), batch_size, replace=False)))
            weight = observed[rows] / observed[rows].mean()  # the mean over observed targets
            loss, grads = F.loss_and_grad(CELL, params, X[rows], targets[rows], loss="quantile",
                                          quantiles=QUANTILES, sample_weight=weight,
                                          check_input=False)
            if not np.isfinite(loss):
                raise FloatingPointError("the fine-tuning loss overflowed; try a smaller "
                                         "learning_rate")
            clip_grad_norm(grads, clip_norm)
            optimizer.step(params, grads)
        record = {"steps": steps, "learning_rate": learning_rate, "batch_size": batch_size,
                  "clip_norm": clip_norm, "windows": len(X), "context_length": X.shape[1],
                  "observations": len(y), "season_length": season_length}
        return PretrainedForecaster(params, {**self.metadata, "fine_tuning": record})

    def _predict(self, contexts, season_length):
        m = season_length_used(contexts.shape[1], season_length)
        base, scale = base_and_scale(contexts, m)
        X = network_inputs(contexts, m, scale, dtype=self.params["head.weight"].dtype)
        outputs = F.predict(CELL, self.params, X)
        quantiles = _to_values(outputs, base, scale)
        constant = np.ptp(contexts, axis=1) == 0  # nothing to learn from: the value itself
        quantiles[constant] = contexts[constant, -1:, None]
        return quantiles


def _check_finite(values):
    if not np.all(np.isfinite(values)):
        raise ValueError("values contain NaN or infinite observations")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def load_pretrained(path: str | os.PathLike | None = None) -> PretrainedForecaster:
    """The shipped pretrained network (or the one saved in folder ``path``).

    Parameters
    ----------
    path : str or Path, optional
        A folder holding ``weights.npz`` and ``metadata.json`` (as written by
        ``python -m gatedts.pretrain export``). Default: the weights shipped
        inside the package.

    Returns
    -------
    PretrainedForecaster
    """
    folder = WEIGHTS_DIR if path is None else Path(path)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise FileNotFoundError(f"no pretrained weights at {weights}")
    with np.load(weights, allow_pickle=False) as npz:
        params = {k: npz[k] for k in npz.files}
    meta_file = folder / METADATA_FILE
    metadata = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    return PretrainedForecaster(params, metadata)
