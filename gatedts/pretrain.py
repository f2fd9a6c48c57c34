"""Pretrain the zero-shot GRU of :mod:`gatedts.pretrained` on simulated series.

::

    python -m gatedts.pretrain train --checkpoint-dir RUN [--max-hours H] [--max-steps N]
    python -m gatedts.pretrain export --checkpoint RUN/best.npz --output gatedts/pretrained

``train`` streams batches drawn from :func:`gatedts.synthetic.simulate`: each
batch one context length L (log-uniform in [``min_context``, ``MAX_CONTEXT``],
so the network reads every length), series of L + ``MAX_HORIZON``
observations, family mixture weights drawn per batch from a Dirichlet around
the simulator's defaults. The network (one GRU for every frequency, inputs
and targets as in :mod:`gatedts.pretrained`) is trained with gatedts' own
kernels (:func:`gatedts.nn.functional.loss_and_grad` with the pinball loss
over ``QUANTILES``, gradient-norm clipping, :class:`gatedts.nn.optim.Adam`).
Batch ``k`` is drawn from the seed ``(seed, k)``, so a resumed run draws what
an uninterrupted one would.

Every ``eval_every`` steps it logs two validation scores and checkpoints:

* held-out simulations (a fixed seed the training stream never uses), each
  frequency at its M4 horizon;
* the training parts of the development benchmark
  (``benchmarks/data/series.csv``): of a series of n observations and horizon
  h, the last 3h observations (the benchmark's test windows) are never read;
  the scores are those of three inner origins of the first n − 3h. The
  R-derived series (``m_wineind``, ``m_airline``) are never read.

Each score is the geometric mean, over series and origins, of the network's
MAE over that of the seasonal-naive forecast (below 1 is better), next to the
mean scaled pinball loss.

A checkpoint is one npz file (parameters, Adam state and a JSON metadata
record: steps, windows seen, CPU-hours, wall-hours, configuration, validation
history), written to a temporary file then renamed, so an interrupted write
never leaves a broken checkpoint. ``latest.npz`` is the newest, ``best.npz``
the one with the best development-benchmark score. ``train`` resumes from
``latest.npz`` (or ``--init``: another checkpoint, or a weights folder such as
the shipped ``gatedts/pretrained``) and the budget accumulates across runs.
SIGTERM or Ctrl-C stop it after the current step, with a final checkpoint.

``export`` writes the parameters and metadata of a checkpoint into a folder
(``weights.npz``, ``metadata.json``) and regenerates its ``MODEL_CARD.md``
from the metadata and, given ``--benchmark``, the JSON of
``benchmarks/pretrained.py``. Shipping the best checkpoint of a run ``RUN``::

    kill -TERM $(cat RUN/pid)    # optional: the run checkpoints and stops
    python benchmarks/pretrained.py --checkpoint RUN/best.npz \
        --json benchmarks/results/pretrained.json
    python -m gatedts.pretrain export --checkpoint RUN/best.npz \
        --benchmark benchmarks/results/pretrained.json     # into gatedts/pretrained
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .nn import functional as F
from .nn.optim import Adam, clip_grad_norm
from .pretrained import (
    CELL,
    MAX_CONTEXT,
    MAX_HORIZON,
    METADATA_FILE,
    N_FEATURES,
    QUANTILES,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    PretrainedForecaster,
    base_and_scale,
    load_pretrained,
    prepare_windows,
    season_length_used,
)
from .synthetic import DEFAULT_FAMILY_WEIGHTS, simulate

__all__ = ["PretrainConfig", "benchmark_validation_set", "export", "load_checkpoint", "main",
           "make_batch", "pretrain", "save_checkpoint",
           "simulated_validation_set", "validation_score", "write_model_card"]

M4_HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18, "weekly": 13, "daily": 14,
               "business_daily": 14, "hourly": 48, "other": 8}
EXCLUDED_SERIES = ("m_wineind", "m_airline")  # R-derived: never used
DEFAULT_SERIES = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
_VALIDATION_SEED = 2_000_003  # the training stream draws from (seed, step) keys instead


@dataclass
class PretrainConfig:
    """What to train: the network's size and the optimisation.

    Attributes
    ----------
    hidden_size : int
        GRU units per layer.
    num_layers : int
    batch_size : int
        Simulated windows per step.
    lr : float
        Adam's learning rate after a linear warm-up over ``warmup_steps``; it
        decays as ``lr·sqrt(decay_after / step)`` after ``decay_after`` steps.
    min_context : int
        Shortest context trained on (the longest is ``MAX_CONTEXT``).
    clip_norm : float
        Gradient-norm clipping.
    seed : int
    family_weights : dict
        The centre of the Dirichlet the per-batch family mixture is drawn from.
    """

    hidden_size: int = 128
    num_layers: int = 1
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 200
    decay_after: int = 20_000
    min_context: int = 8
    clip_norm: float = 1.0
    seed: int = 0
    family_weights: dict = field(default_factory=lambda: dict(
        DEFAULT_FAMILY_WEIGHTS))

    def learning_rate(self, step: int) -> float:
        """The learning rate of optimizer step ``step`` (counted from 1)."""
        warm = min(1.0, step / max(self.warmup_steps, 1))
        return self.lr * warm * min(1.0, math.sqrt(self.decay_after / max(step, 1)))


# ------------------------------------------------------------------ data


def _context_length(rng, config):
    low, high = math.log(config.min_context), math.log(MAX_CONTEXT)
    return round(math.exp(rng.uniform(low, high)))


def make_batch(config: PretrainConfig, step: int) -> tuple[np.ndarray, np.ndarray]:
    """The training batch of step ``step``: inputs (B, L, N_FEATURES) and scaled targets
    (B, MAX_HORIZON), drawn from the seed ``(config.seed, step)``."""
    rng = np.random.default_rng([config.seed, step])
    L = _context_length(rng, config)
    names = list(config.family_weights)
    centre = np.array([config.family_weights[k] for k in names], dtype=float)
    mixture = rng.dirichlet(centre / centre.sum() * 20)
    sims = simulate(config.batch_size, L + MAX_HORIZON,
                              family_weights=dict(zip(names, mixture, strict=True)),
                              random_state=rng)
    X, targets, _, _ = prepare_windows(sims.values[:, :L], sims.values[:, L:],
                                       sims.season_length)
    return X, targets.astype(np.float32)


def simulated_validation_set(n_per_length: int = 48,
                             lengths: Sequence[int] = (16, 40, 100, 250, 512)
                             ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Held-out simulations: (contexts, futures, season_lengths, horizons) groups, one per
    context length, from a seed the training stream never draws."""
    rng = np.random.default_rng(_VALIDATION_SEED)
    groups = []
    for L in lengths:
        sims = simulate(n_per_length, L + MAX_HORIZON, random_state=rng)
        horizons = np.array([M4_HORIZONS[f] for f in sims.frequency])
        groups.append((sims.values[:, :L], sims.values[:, L:], sims.season_length, horizons))
    return groups


def benchmark_validation_set(folder: str | os.PathLike = DEFAULT_SERIES, n_origins: int = 3
                             ) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """Inner origins of the training parts of the development benchmark's series.

    Of a series of n observations and horizon h the first n − 3h are its
    training part (the benchmark tests on the rest: never read here); origin
    k = 1..n_origins forecasts ``train[-k·h:][:h]`` from the ``train`` before it.
    ``EXCLUDED_SERIES`` are left out. Returns a list of (name, context, future,
    season_length) with contexts of at least 10 observations.
    """
    import pandas as pd

    folder = Path(folder)
    meta = pd.read_csv(folder / "metadata.csv")
    data = pd.read_csv(folder / "series.csv")
    values = {k: g["y"].to_numpy(float) for k, g in data.groupby("unique_id", sort=False)}
    windows = []
    for row in meta.itertuples():
        if row.unique_id in EXCLUDED_SERIES:
            continue
        y, h, m = values[row.unique_id], int(row.h), int(row.m)
        train = y[: len(y) - 3 * h]
        for k in range(1, n_origins + 1):
            cut = len(train) - k * h
            if cut >= 10:
                windows.append((row.unique_id, train[:cut], train[cut:cut + h], m))
    return windows


# ------------------------------------------------------------------ validation


def _snaive_mae_ratio(median, context, future, m):
    """MAE of ``median`` over that of the seasonal-naive forecast of lag ``m`` (naive when
    the context is shorter than a season); None when the latter is 0."""
    lag = m if len(context) >= m else 1
    reference = np.tile(context[-lag:], -(-len(future) // lag))[: len(future)]
    denom = np.mean(np.abs(future - reference))
    return None if denom <= 0 else float(np.mean(np.abs(future - median)) / denom)


def validation_score(params: dict[str, np.ndarray],
                     simulated: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                     benchmark: Sequence[tuple[str, np.ndarray, np.ndarray, int]]
                     ) -> dict[str, float]:
    """The validation scores of ``params`` (see the module docstring).

    Returns
    -------
    dict
        ``sim_rel_mae`` and ``bench_rel_mae`` (geometric means of MAE over the
        seasonal-naive MAE), ``sim_pinball`` and ``bench_pinball`` (mean scaled
        pinball loss), ``bench_beats_snaive`` (share of windows better than it).
    """
    model = PretrainedForecaster(params)
    scores = {}
    levels = np.array(QUANTILES)
    for name, windows in (("sim", _sim_windows(simulated)), ("bench", benchmark)):
        ratios, pinball = [], []
        for _, context, future, m in windows:
            q = model.forecast_batch(context[None], len(future), m)[0]
            ratio = _snaive_mae_ratio(q[:, QUANTILES.index(0.5)], context, future, m)
            if ratio is not None:
                ratios.append(ratio)
            _, scale = base_and_scale(context[None][:, -MAX_CONTEXT:],
                                        season_length_used(len(context), m))
            u = (future[:, None] - q) / scale[0]
            pinball.append(np.mean(np.maximum(levels * u, (levels - 1) * u)))
        ratios = np.maximum(np.array(ratios), 1e-6)
        if len(ratios):
            scores[f"{name}_rel_mae"] = float(np.exp(np.mean(np.log(ratios))))
            scores[f"{name}_beats_snaive"] = float(np.mean(ratios < 1))
        scores[f"{name}_pinball"] = float(np.mean(pinball)) if pinball else float("nan")
    return scores


def _sim_windows(groups):
    for contexts, futures, seasons, horizons in groups:
        for c, f, m, h in zip(contexts, futures, seasons, horizons, strict=True):
            yield "sim", c, f[:h], int(m)


# ------------------------------------------------------------------ checkpoints


def save_checkpoint(path: str | os.PathLike, params: Mapping[str, np.ndarray], optimizer: Adam,
                    metadata: Mapping[str, Any]) -> None:
    """Write params, optimizer state and ``metadata`` to one npz, atomically."""
    path = Path(path)
    # Any: numpy's stubs would have an array of **arrays fill savez's allow_pickle.
    arrays: dict[str, Any] = {f"param/{k}": v for k, v in params.items()}
    arrays.update({f"optim/{k}": np.asarray(v) for k, v in optimizer.state_dict().items()})
    arrays["metadata_json"] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as file:
        np.savez(file, **arrays)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    """``(params, optimizer_state, metadata)`` of a checkpoint written by
    :func:`save_checkpoint`."""
    with np.load(path, allow_pickle=False) as npz:
        params = {k[6:]: npz[k] for k in npz.files if k.startswith("param/")}
        state = {k[6:]: npz[k] for k in npz.files if k.startswith("optim/")}
        metadata = json.loads(npz["metadata_json"].tobytes().decode())
    return params, state, metadata


def _load_exported(folder):
    """``(params, {}, metadata)`` of a weights folder written by :func:`export`: the
    budget carries on, the validation history starts afresh."""
    model = load_pretrained(folder)
    exported = model.metadata
    meta = {k: exported[k] for k in ("steps", "windows_seen", "cpu_hours", "wall_hours",
                                     "runs", "config")}
    return dict(model.params), {}, {**meta, "history": [], "best": None}


# ------------------------------------------------------------------ training


class _StopFlag:
    """Set by SIGTERM/SIGINT: the loop stops after its current step."""

    def __init__(self):
        self.stop = False

    def __call__(self, signum, frame):
        self.stop = True


def pretrain(checkpoint_dir: str | os.PathLike, *, config: PretrainConfig | None = None,
             overrides: Mapping[str, Any] | None = None, init: str | os.PathLike | None = None,
             max_steps: int | None = None, max_hours: float | None = None,
             eval_every: int = 500, log_every: int = 50,
             series_folder: str | os.PathLike | None = DEFAULT_SERIES, n_validation: int = 48,
             log: Callable[[str], object] = print) -> dict[str, Any]:
    """Train (or continue training) the pretrained network; see the module docstring.

    Parameters
    ----------
    checkpoint_dir : str or Path
        Where ``latest.npz`` and ``best.npz`` go; an existing ``latest.npz`` is
        resumed (its configuration wins over ``config``).
    config : PretrainConfig, optional
        For a fresh start.
    overrides : dict, optional
        On a resume, configuration fields to change (e.g. ``{"lr": 3e-4}``
        for a lower learning rate); the network's shape and the seed cannot
        change.
    init : str or Path, optional
        What to continue from when ``checkpoint_dir`` has no checkpoint: a
        checkpoint file, or a weights folder written by :func:`export` (e.g.
        the shipped ``gatedts/pretrained``), whose budget (steps, windows,
        hours) carries on; Adam's moments then start afresh.
    max_steps : int, optional
        Stop when the total optimizer steps reach this.
    max_hours : float, optional
        Stop after this many wall-clock hours of this run.
    eval_every, log_every : int
        Steps between validations (and checkpoints), and between log lines.
    series_folder : str or Path or None
        The development benchmark's data folder; None skips that validation.
    n_validation : int
        Held-out simulations per context length.
    log : callable

    Returns
    -------
    dict
        The metadata of the last checkpoint.
    """
    folder = Path(checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    latest = folder / "latest.npz"
    start = latest if latest.exists() else (Path(init) if init else None)
    if start is not None:
        params, state, meta = (load_checkpoint(start) if start.is_file()
                               else _load_exported(start))
        config = PretrainConfig(**{**meta["config"], **(overrides or {})})
        fixed = [k for k in ("hidden_size", "num_layers", "seed")
                 if getattr(config, k) != meta["config"][k]]
        if fixed:
            raise ValueError(f"{fixed} cannot change when resuming {start}")
        changed = {k: v for k, v in asdict(config).items() if meta["config"][k] != v}
        if changed:
            meta.setdefault("config_changes", []).append({"step": meta["steps"], **changed})
        meta["config"] = asdict(config)
        optimizer = Adam(params, lr=config.lr)
        if state:
            optimizer.load_state_dict(state)
        log(f"resumed from {start}: step {meta['steps']}, {meta['windows_seen']} windows, "
            f"{meta['cpu_hours']:.3f} CPU-hours")
    else:
        config = config or PretrainConfig()
        params = F.init_params(CELL, N_FEATURES, config.hidden_size, config.num_layers,
                               MAX_HORIZON * len(QUANTILES), random_state=config.seed)
        optimizer = Adam(params, lr=config.lr)
        meta = {"steps": 0, "windows_seen": 0, "cpu_hours": 0.0, "wall_hours": 0.0,
                "runs": 0, "history": [], "best": None, "config": asdict(config)}
    meta["runs"] += 1
    simulated = simulated_validation_set(n_validation)
    benchmark = benchmark_validation_set(series_folder) if series_folder else []
    flag = _StopFlag()
    previous = {s: signal.signal(s, flag) for s in (signal.SIGTERM, signal.SIGINT)}
    (folder / "pid").write_text(str(os.getpid()))
    began = time.time()
    clock = {"cpu": time.process_time(), "wall": began}
    losses: list[float] = []

    def account():
        now_cpu, now_wall = time.process_time(), time.time()
        meta["cpu_hours"] += (now_cpu - clock["cpu"]) / 3600
        meta["wall_hours"] += (now_wall - clock["wall"]) / 3600
        clock["cpu"], clock["wall"] = now_cpu, now_wall

    def checkpoint():
        account()
        scores = validation_score(params, simulated, benchmark)
        record = {"steps": meta["steps"], "windows_seen": meta["windows_seen"],
                  "cpu_hours": round(meta["cpu_hours"], 4),
                  "train_pinball": float(np.mean(losses)) if losses else None, **scores}
        meta["history"].append(record)
        key = "bench_rel_mae" if benchmark else "sim_rel_mae"
        best = meta["best"]
        improved = best is None or record.get(key, math.inf) < best.get(key, math.inf)
        if improved:
            meta["best"] = record
        save_checkpoint(latest, params, optimizer, meta)
        if improved:
            save_checkpoint(folder / "best.npz", params, optimizer, meta)
        log("validation " + json.dumps(record) + (" (best)" if improved else ""))
        losses.clear()

    try:
        while not flag.stop:
            if max_steps is not None and meta["steps"] >= max_steps:
                break
            if max_hours is not None and time.time() - began >= max_hours * 3600:
                break
            X, y = make_batch(config, meta["steps"])
            loss, grads = F.loss_and_grad(CELL, params, X, y, loss="quantile",
                                          quantiles=QUANTILES, check_input=False)
            if not math.isfinite(loss):
                raise FloatingPointError(f"non-finite loss at step {meta['steps']}")
            clip_grad_norm(grads, config.clip_norm)
            meta["steps"] += 1
            optimizer.step(params, grads, lr=config.learning_rate(meta["steps"]))
            meta["windows_seen"] += len(X)
            losses.append(loss)
            if meta["steps"] % log_every == 0:
                account()
                log(f"step {meta['steps']} windows {meta['windows_seen']} "
                    f"loss {np.mean(losses[-log_every:]):.4f} "
                    f"lr {config.learning_rate(meta['steps']):.2e} "
                    f"cpu_h {meta['cpu_hours']:.3f}")
            if meta["steps"] % eval_every == 0:
                checkpoint()
        if losses or not meta["history"]:
            checkpoint()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return meta


# ------------------------------------------------------------------ export and card


def export(checkpoint: str | os.PathLike, output: str | os.PathLike,
           benchmark: str | os.PathLike | None = None) -> dict[str, Any]:
    """Write a checkpoint's parameters (float32) and metadata into folder ``output`` and
    regenerate its model card."""
    params, _, meta = load_checkpoint(checkpoint)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    metadata = {
        "gatedts_version": __version__,
        "architecture": {"cell": CELL, "hidden_size": meta["config"]["hidden_size"],
                         "num_layers": meta["config"]["num_layers"],
                         "input_features": N_FEATURES, "max_context": MAX_CONTEXT,
                         "max_horizon": MAX_HORIZON, "quantiles": list(QUANTILES)},
        "parameters": int(sum(v.size for v in params.values())),
        "steps": meta["steps"], "windows_seen": meta["windows_seen"],
        "cpu_hours": round(meta["cpu_hours"], 3), "wall_hours": round(meta["wall_hours"], 3),
        "runs": meta["runs"], "config": meta["config"],
        "config_changes": meta.get("config_changes", []),
        "validation": meta["history"][-1] if meta["history"] else None,
    }
    tmp = output / (WEIGHTS_FILE + ".tmp")
    with open(tmp, "wb") as file:
        float32: dict[str, Any] = {k: v.astype(np.float32) for k, v in params.items()}
        np.savez(file, **float32)  # Any: as in save_checkpoint
    os.replace(tmp, output / WEIGHTS_FILE)
    (output / METADATA_FILE).write_text(json.dumps(metadata, indent=1) + "\n")
    results = json.loads(Path(benchmark).read_text()) if benchmark else None
    (output / "MODEL_CARD.md").write_text(write_model_card(metadata, results))
    return metadata


def write_model_card(metadata: dict, results: dict | None = None) -> str:
    """The model card's Markdown, every figure taken from ``metadata`` (see :func:`export`)
    and ``results`` (the JSON of ``benchmarks/pretrained.py``)."""
    arch = metadata["architecture"]
    val = metadata.get("validation") or {}
    lines = [
        "# gatedts pretrained zero-shot GRU",
        "",
        "Generated by `python -m gatedts.pretrain export` from the checkpoint's metadata"
        + (" and `benchmarks/pretrained.py`." if results else "."),
        "",
        "## What it is",
        "",
        f"- A {arch['num_layers']}-layer GRU of {arch['hidden_size']} units "
        f"({metadata['parameters']:,} parameters, float32) with a linear head giving "
        f"{arch['max_horizon']} steps x {len(arch['quantiles'])} quantiles "
        f"({', '.join(str(q) for q in arch['quantiles'])}) at once.",
        f"- It reads the last {arch['max_context']} observations at most, "
        f"{arch['input_features']} features per step (see `gatedts.pretrained`): the "
        "series relative to its last value over the mean absolute seasonal difference, the "
        "scaled seasonal difference, the phase in the season, log season length and log "
        "context length. It forecasts the deviation from the seasonal-naive forecast in the "
        "same scale, so it is scale- and shift-equivariant. One network for every "
        "frequency; longer horizons in chunks.",
        f"- gatedts {metadata['gatedts_version']}.",
        "",
        "## Training data: simulations only",
        "",
        "Draws of `gatedts.synthetic.simulate` (no real series): stable SARIMA, ETS "
        "(A/M error, N/A/Ad trend, N/A/M season), Gaussian-process kernel compositions, "
        "structural series (piecewise and growth-curve trends, several seasonalities, "
        "level shifts, outliers, heavy-tailed AR noise) and count/intermittent series, "
        "over yearly to hourly frequencies; family mixture weights drawn per batch from "
        f"a Dirichlet centred on {json.dumps(metadata['config']['family_weights'])}.",
        "",
        "## Budget",
        "",
        "| optimizer steps | windows seen | CPU-hours | wall-hours | runs |",
        "|---|---|---|---|---|",
        f"| {metadata['steps']:,} | {metadata['windows_seen']:,} | {metadata['cpu_hours']} "
        f"| {metadata['wall_hours']} | {metadata['runs']} |",
        "",
        f"Batch {metadata['config']['batch_size']}, Adam (learning rate "
        f"{metadata['config']['lr']} at this checkpoint), pinball loss, contexts "
        f"log-uniform in [{metadata['config']['min_context']}, {arch['max_context']}]."
        + "".join(f" From step {c['step']:,}: "
                  + ", ".join(f"{k} = {v}" for k, v in c.items() if k != "step") + "."
                  for c in metadata.get("config_changes", [])),
        "",
        "## Validation at this checkpoint",
        "",
        "Geometric mean of MAE / seasonal-naive MAE (below 1 is better) and mean scaled "
        "pinball loss; 'bench' is three inner origins of the training parts of the "
        "development benchmark (never its test windows), 'sim' held-out simulations.",
        "",
        "| set | rel. MAE vs seasonal naive | beats seasonal naive | pinball |",
        "|---|---|---|---|",
    ]
    for name in ("bench", "sim"):
        if f"{name}_pinball" in val:
            lines.append(f"| {name} | {val.get(f'{name}_rel_mae', float('nan')):.3f} | "
                         f"{val.get(f'{name}_beats_snaive', float('nan')):.0%} | "
                         f"{val[f'{name}_pinball']:.4f} |")
    if results:
        dev = results["development"]
        lines += ["", "## Benchmark (`benchmarks/pretrained.py`)", "",
                  f"A warm forecast took {dev['warm_forecast_ms_median']:.1f} ms per series "
                  f"(median; at most {dev['warm_forecast_ms_max']:.1f} ms) at M4 horizons, "
                  "measured on a machine shared with other jobs.", ""]
        lines += results["markdown"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ command line

_CLI_FIELDS = ("hidden_size", "num_layers", "batch_size", "lr", "warmup_steps", "decay_after",
               "min_context", "clip_norm", "seed")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gatedts.pretrain {train,export}``; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m gatedts.pretrain",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="pretrain (resumes from CHECKPOINT_DIR/latest.npz)")
    train.add_argument("--checkpoint-dir", required=True)
    train.add_argument("--init", help="checkpoint to continue from when the folder has none")
    train.add_argument("--max-steps", type=int)
    train.add_argument("--max-hours", type=float)
    train.add_argument("--eval-every", type=int, default=500)
    train.add_argument("--log-every", type=int, default=50)
    train.add_argument("--series", default=str(DEFAULT_SERIES),
                       help="development benchmark data folder ('' to skip)")
    defaults = PretrainConfig()
    for name in _CLI_FIELDS:
        train.add_argument("--" + name.replace("_", "-"), type=type(getattr(defaults, name)),
                           help=f"default {getattr(defaults, name)}; given on a resume, "
                           "it changes the run's value")
    exp = sub.add_parser("export", help="copy a checkpoint into a weights folder + card")
    exp.add_argument("--checkpoint", required=True)
    exp.add_argument("--output", default=str(WEIGHTS_DIR))
    exp.add_argument("--benchmark", help="JSON written by benchmarks/pretrained.py")
    args = parser.parse_args(argv)
    if args.command == "export":
        meta = export(args.checkpoint, args.output, args.benchmark)
        print(f"exported step {meta['steps']} ({meta['windows_seen']} windows) to "
              f"{args.output}")
        return 0
    given = {k: getattr(args, k) for k in _CLI_FIELDS if getattr(args, k) is not None}
    pretrain(args.checkpoint_dir, config=PretrainConfig(**given), overrides=given,
             init=args.init, max_steps=args.max_steps,
             max_hours=args.max_hours, eval_every=args.eval_every, log_every=args.log_every,
             series_folder=args.series or None, log=lambda s: print(s, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
