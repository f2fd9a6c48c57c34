"""The pretrained network as a Forecaster's model: ``Forecaster("pretrained")``.

The network of :mod:`gatedts.pretrained` forecasts any series zero-shot: a
Forecaster built on it trains nothing. Its ``fit`` records the series and the
season length (the Forecaster's ``seasonal_period`` resolution); forecasts
read the raw history (no log, differences, scaler or local level: the network
normalises its context itself) and the intervals come from the network's
quantile outputs, not from conformal calibration.

Fine-tuning: ``Forecaster("pretrained", network_options={"fine_tune": True})``
first adapts the shipped weights to the series
(:meth:`~gatedts.pretrained.PretrainedForecaster.fine_tune`, seeded by the
Forecaster's ``random_state``); ``{"fine_tune": {"steps": 50}}`` sets its
``steps``, ``learning_rate``, ``batch_size`` or ``clip_norm``. The member
keeps the adapted weights (``estimator_.params_``, saved with the
Forecaster) and what was done (``estimator_.fine_tuning_``). Everything else
is as above: still a GRU, still quantile intervals.

Intervals: the central interval of ``coverage`` needs the quantiles at
``(1 - coverage) / 2`` and ``(1 + coverage) / 2``. Between the network's
levels (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95) they are interpolated
linearly in the level, so every coverage up to 0.9 gets an interval (exact at
0.5, 0.8 and 0.9); a coverage above 0.9 would need quantiles beyond the
network's outermost ones and raises a ValueError rather than extrapolate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from functools import lru_cache

import numpy as np
import pandas as pd

from ..pretrained import (
    MAX_CONTEXT,
    QUANTILES,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    PretrainedForecaster,
    base_and_scale,
    load_pretrained,
    network_inputs,
    season_length_used,
)
from .pipeline import PreparedFit
from .transforms import TargetTransform, TransformChoice, resolve_seasonal_period
from .windows import Windowing

__all__ = [
    "FINE_TUNE_OPTIONS",
    "MIN_HISTORY",
    "PretrainedNetwork",
    "prepare_zero_shot",
    "pretrained_member",
    "quantile_interval",
    "shipped_weights_id",
    "zero_shot_forecast",
]

MIN_HISTORY = 3
"""Observations the pretrained network needs to forecast."""
FINE_TUNE_OPTIONS = ("steps", "learning_rate", "batch_size", "clip_norm")
"""The settings of :meth:`~gatedts.pretrained.PretrainedForecaster.fine_tune` that
``network_options={"fine_tune": {...}}`` may hold."""


@lru_cache(maxsize=1)
def _network():
    """The shipped network, loaded once per process."""
    return load_pretrained()


@lru_cache(maxsize=1)
def shipped_weights_id() -> str:
    """The first 16 hex digits of the SHA-256 of the shipped weights file."""
    return hashlib.sha256((WEIGHTS_DIR / WEIGHTS_FILE).read_bytes()).hexdigest()[:16]


class PretrainedNetwork:
    """The member of ``Forecaster("pretrained")``: the shipped network, with a season length.

    Parameters
    ----------
    season_length : int, default 1
        The season length the network is told (see :mod:`gatedts.pretrained`).
    weights_id : str or None, default None
        :func:`shipped_weights_id` of the weights it was made with (None: the
        shipped ones, whichever they are). A saved Forecaster keeps it, so a
        model loaded by a gatedts that ships other weights refuses to forecast
        with them instead of forecasting differently without a word.
    fine_tune : dict or None, default None
        None forecasts zero-shot; a dict of
        :meth:`~gatedts.pretrained.PretrainedForecaster.fine_tune` settings
        (:data:`FINE_TUNE_OPTIONS`, ``{}`` for its defaults) makes :meth:`fit`
        adapt the weights to the series.

    Attributes
    ----------
    params_ : dict of str to ndarray
        After :meth:`fit` with ``fine_tune``: the adapted weights.
    fine_tuning_ : dict
        After :meth:`fit` with ``fine_tune``: the metadata record of
        :meth:`~gatedts.pretrained.PretrainedForecaster.fine_tune`.
    """

    def __init__(self, season_length: int = 1, weights_id: str | None = None,
                 fine_tune: dict | None = None):
        self.season_length = season_length
        self.weights_id = weights_id
        self.fine_tune = fine_tune

    @classmethod
    def shipped(cls, season_length: int, fine_tune: dict | None = None) -> PretrainedNetwork:
        """The shipped weights, recorded by their :func:`shipped_weights_id`."""
        return cls(season_length, shipped_weights_id(), fine_tune)

    def get_params(self, deep: bool = True) -> dict:
        """The constructor's arguments (what a saved file records)."""
        return {"season_length": self.season_length, "weights_id": self.weights_id,
                "fine_tune": self.fine_tune}

    def fit(self, values: np.ndarray, random_state: int | None = None) -> PretrainedNetwork:
        """Fine-tune the shipped weights on ``values`` when ``fine_tune`` is set (else
        nothing: the network forecasts zero-shot)."""
        if self.fine_tune is not None:
            tuned = self._base().fine_tune(values, self.season_length,
                                           **_fine_tune_settings(self.fine_tune),
                                           random_state=random_state)
            self.params_, self.fine_tuning_ = tuned.params, tuned.metadata["fine_tuning"]
        return self

    def _base(self):
        if self.weights_id is not None and self.weights_id != shipped_weights_id():
            raise ValueError(f"this model was made with the pretrained weights "
                             f"{self.weights_id}, but this gatedts ships {shipped_weights_id()}; "
                             "fit Forecaster('pretrained') again")
        return _network()

    def quantiles(self, values: np.ndarray, horizon: int) -> np.ndarray:
        """The network's quantiles ``(horizon, len(QUANTILES))`` after history ``values``."""
        network = self._base()
        if hasattr(self, "params_"):
            network = PretrainedForecaster(self.params_)
        values = np.asarray(values, dtype=float)
        if len(values) < MIN_HISTORY:
            raise ValueError(f"the history has {len(values)} observation(s); the pretrained "
                             f"network needs at least {MIN_HISTORY}")
        return network.forecast_batch(values[None], horizon, self.season_length)[0]

    def network_input(self, values: np.ndarray) -> np.ndarray:
        """The exact ``(1, n_steps, n_features)`` array the network reads after ``values``."""
        context = np.asarray(values, dtype=float)[None, -MAX_CONTEXT:]
        m = season_length_used(context.shape[1], self.season_length)
        return network_inputs(context, m, base_and_scale(context, m)[1])


def _fine_tune_settings(fine_tune):
    if not isinstance(fine_tune, dict):
        raise TypeError(f"fine_tune must be a dict of settings, got {fine_tune!r}")
    unknown = sorted(set(fine_tune) - set(FINE_TUNE_OPTIONS))
    if unknown:
        raise ValueError(f"unknown fine-tuning setting(s) {', '.join(map(repr, unknown))}; "
                         f"choose among {', '.join(map(repr, FINE_TUNE_OPTIONS))} (the "
                         "Forecaster's random_state seeds it)")
    return fine_tune


def pretrained_member(prepared: PreparedFit, network_options: dict | None,
                      random_state: int | None) -> PretrainedNetwork:
    """The fitted member of ``Forecaster("pretrained", network_options=...)`` on the
    series of ``prepared`` (:func:`prepare_zero_shot`): zero-shot when
    ``network_options`` is None (or its ``"fine_tune"`` is False), else fine-tuned
    with the settings of ``network_options["fine_tune"]`` (True for the defaults)
    and ``random_state``."""
    options = {} if network_options is None else network_options
    if not isinstance(options, dict) or set(options) - {"fine_tune"}:
        raise ValueError("network_options of Forecaster('pretrained') may hold only "
                         "'fine_tune' (True, False or a dict of "
                         f"{', '.join(FINE_TUNE_OPTIONS)}), got {network_options!r}")
    fine_tune = options.get("fine_tune", False)
    settings = ({} if fine_tune is True else None if fine_tune is False
                else dict(_fine_tune_settings(fine_tune)))
    return PretrainedNetwork.shipped(prepared.choice.seasonal_period, settings).fit(
        prepared.values, random_state)


def quantile_interval(quantiles: np.ndarray, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """The central interval ``(lower, upper)`` of ``coverage`` from quantiles
    ``(horizon, len(QUANTILES))``, interpolated linearly in the level between the
    network's levels; a coverage above ``QUANTILES[-1] - QUANTILES[0]`` raises."""
    widest = QUANTILES[-1] - QUANTILES[0]
    if coverage > widest + 1e-12:
        raise ValueError(f"coverage={coverage!r} needs quantiles beyond the pretrained "
                         f"network's outermost ones ({QUANTILES[0]} and {QUANTILES[-1]}); "
                         f"its intervals go up to coverage={widest:.2g}")
    low, high = (1 - coverage) / 2, (1 + coverage) / 2
    levels = np.asarray(QUANTILES)
    lower = [np.interp(low, levels, row) for row in quantiles]
    upper = [np.interp(high, levels, row) for row in quantiles]
    return np.asarray(lower), np.asarray(upper)


def zero_shot_forecast(network: PretrainedNetwork, values: np.ndarray, horizon: int,
                       coverage: float | None
                       ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The pretrained network's forecast after ``values``: the median, and with
    ``coverage`` the interval ``(lower, upper)`` of :func:`quantile_interval` (else None)."""
    quantiles = network.quantiles(values, horizon)
    point = quantiles[:, QUANTILES.index(0.5)]
    return point, None if coverage is None else quantile_interval(quantiles, coverage)


def prepare_zero_shot(values: np.ndarray, index: pd.Index, name: Hashable, exog: object,
                      future_exog: object, seasonal_period: int | None, horizon: int,
                      start_time: float) -> PreparedFit:
    """What ``Forecaster("pretrained").prepare`` returns: no transforms, no training
    windows, the season length resolved as every Forecaster's
    (:func:`~gatedts.forecasting.transforms.resolve_seasonal_period`). Exogenous inputs
    are refused."""
    if exog is not None or future_exog is not None:
        raise ValueError("the pretrained network reads no exogenous inputs: fit "
                         "Forecaster('pretrained') on y alone (drop exog and future_exog), "
                         "or use a trained network ('gru', 'lstm') for exog")
    if len(values) < MIN_HISTORY:
        raise ValueError(f"y has {len(values)} observation(s); the pretrained network needs "
                         f"at least {MIN_HISTORY}")
    choice = TransformChoice(seasonal_period=resolve_seasonal_period(seasonal_period, index),
                             log=False,
                             seasonal_difference=False, difference=0, local_level=False)
    transform = TargetTransform.of(choice, scaler=None).fit(values, None)
    window = min(len(values), MAX_CONTEXT)
    windowing = Windowing(window, horizon)
    windowing.level_scale_ = 1.0  # no local level: the network normalises its context
    empty = np.empty((0, window, 1))
    return PreparedFit(values, None, index, name, [], [], choice, pd.DataFrame(), transform,
                       windowing, empty, np.empty((0, horizon)), None, start_time)
