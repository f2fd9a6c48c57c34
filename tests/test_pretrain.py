"""The pretraining command: the loss falls, a resumed run equals an uninterrupted one,
checkpoints are atomic, the validation never reads a test window, export and card."""

import json

import numpy as np
import pandas as pd
import pytest

from gatedts import pretrain as T
from gatedts.nn import functional as F
from gatedts.pretrained import MAX_HORIZON, N_FEATURES, QUANTILES, load_pretrained

TINY = dict(hidden_size=12, batch_size=16, lr=1e-2, warmup_steps=5, seed=3)


def quiet(_):
    pass


def test_make_batch_is_seeded_and_shaped():
    config = T.PretrainConfig(**TINY)
    X, y = T.make_batch(config, 7)
    X2, y2 = T.make_batch(config, 7)
    assert X.ndim == 3 and X.shape[0] == 16 and X.shape[2] == N_FEATURES
    assert y.shape == (16, MAX_HORIZON)
    assert X.dtype == y.dtype == np.float32
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert T.make_batch(config, 8)[0].shape != X.shape or not np.array_equal(
        T.make_batch(config, 8)[0], X)


def test_a_short_pretraining_lowers_the_validation_loss(tmp_path):
    config = T.PretrainConfig(**TINY)
    simulated = T.simulated_validation_set(12, lengths=(20, 60))
    params = F.init_params("gru", N_FEATURES, 12, 1, MAX_HORIZON * len(QUANTILES),
                           random_state=config.seed)
    before = T.validation_score(params, simulated, [])["sim_pinball"]
    meta = T.pretrain(tmp_path, config=config, max_steps=80, eval_every=40,
                      series_folder=None, n_validation=12, log=quiet)
    assert meta["steps"] == 80 and meta["windows_seen"] == 80 * 16
    assert meta["cpu_hours"] > 0
    assert [r["steps"] for r in meta["history"]] == [40, 80]
    params, _, _ = T.load_checkpoint(tmp_path / "latest.npz")
    after = T.validation_score(params, simulated, [])["sim_pinball"]
    assert after < 0.9 * before


def test_resume_continues_exactly_and_accumulates_the_budget(tmp_path):
    config = T.PretrainConfig(**TINY)
    kwargs = dict(eval_every=1000, series_folder=None, n_validation=4, log=quiet)
    T.pretrain(tmp_path / "once", config=config, max_steps=12, **kwargs)
    T.pretrain(tmp_path / "twice", config=config, max_steps=6, **kwargs)
    meta = T.pretrain(tmp_path / "twice", max_steps=12, **kwargs)  # resumes latest.npz
    once, state_once, _ = T.load_checkpoint(tmp_path / "once" / "latest.npz")
    twice, state_twice, _ = T.load_checkpoint(tmp_path / "twice" / "latest.npz")
    for key in once:
        np.testing.assert_array_equal(once[key], twice[key])
    for key in state_once:
        np.testing.assert_array_equal(state_once[key], state_twice[key])
    assert meta["runs"] == 2 and meta["steps"] == 12 and meta["windows_seen"] == 12 * 16
    assert meta["cpu_hours"] > 0
    # --init continues from another run's checkpoint in a fresh folder
    meta = T.pretrain(tmp_path / "third", init=tmp_path / "once" / "latest.npz",
                      max_steps=14, **kwargs)
    assert meta["steps"] == 14 and meta["runs"] == 2
    assert not list(tmp_path.rglob("*.tmp"))


def test_validation_reads_only_training_parts_and_never_the_r_series(tmp_path):
    rows, meta = [], []
    for name, n, h, m in [("m_wineind", 60, 6, 12), ("q_x", 40, 4, 4), ("y_short", 34, 6, 1)]:
        y = np.arange(n, dtype=float) + 1
        y[n - 3 * h:] = np.nan  # the test windows: reading any would show a NaN
        dates = pd.date_range("2000-01-01", periods=n, freq="MS")
        rows.append(pd.DataFrame({"unique_id": name, "ds": dates, "y": y}))
        meta.append({"unique_id": name, "frequency": "MS", "m": m, "h": h, "n": n})
    pd.concat(rows).to_csv(tmp_path / "series.csv", index=False)
    pd.DataFrame(meta).to_csv(tmp_path / "metadata.csv", index=False)
    windows = T.benchmark_validation_set(tmp_path)
    assert {w[0] for w in windows} == {"q_x", "y_short"}
    assert sum(w[0] == "q_x" for w in windows) == 3
    assert sum(w[0] == "y_short" for w in windows) == 1  # 16 training values: one origin
    for _, context, future, _ in windows:
        assert np.all(np.isfinite(context)) and np.all(np.isfinite(future))
        assert len(context) >= 10
    params = F.init_params("gru", N_FEATURES, 8, 1, MAX_HORIZON * len(QUANTILES),
                           random_state=0)
    scores = T.validation_score(params, [], windows)
    assert set(scores) == {"bench_rel_mae", "bench_beats_snaive", "bench_pinball",
                           "sim_pinball"}


def test_checkpoint_round_trip_and_export(tmp_path):
    config = T.PretrainConfig(**TINY)
    T.pretrain(tmp_path / "run", config=config, max_steps=3, eval_every=3,
               series_folder=None, n_validation=4, log=quiet)
    metadata = T.export(tmp_path / "run" / "best.npz", tmp_path / "out")
    assert metadata["steps"] == 3 and metadata["windows_seen"] == 48
    assert json.loads((tmp_path / "out" / "metadata.json").read_text()) == metadata
    card = (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert "| 3 | 48 |" in card
    model = load_pretrained(tmp_path / "out")
    assert model.params["head.weight"].dtype == np.float32
    assert model.forecast(np.arange(30.0), 5, 4).median.shape == (5,)


def test_command_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert T.main(["train", "--checkpoint-dir", str(run), "--max-steps", "2",
                   "--eval-every", "2", "--hidden-size", "8", "--batch-size", "4",
                   "--series", ""]) == 0
    assert "validation" in capsys.readouterr().out
    assert T.main(["export", "--checkpoint", str(run / "latest.npz"), "--output",
                   str(tmp_path / "w")]) == 0
    assert (tmp_path / "w" / "weights.npz").is_file()
    with pytest.raises(SystemExit):
        T.main(["train"])


def test_continue_from_exported_weights(tmp_path):
    config = T.PretrainConfig(**TINY)
    kwargs = dict(eval_every=1000, series_folder=None, n_validation=4, log=quiet)
    T.pretrain(tmp_path / "run", config=config, max_steps=4, **kwargs)
    T.export(tmp_path / "run" / "latest.npz", tmp_path / "weights")
    meta = T.pretrain(tmp_path / "next", init=tmp_path / "weights", max_steps=6, **kwargs)
    assert meta["steps"] == 6 and meta["windows_seen"] == 6 * 16 and meta["runs"] == 2
    assert meta["config"]["hidden_size"] == 12


def test_a_resume_may_lower_the_learning_rate_but_not_change_the_network(tmp_path):
    kwargs = dict(eval_every=1000, series_folder=None, n_validation=4, log=quiet)
    T.pretrain(tmp_path, config=T.PretrainConfig(**TINY), max_steps=2, **kwargs)
    meta = T.pretrain(tmp_path, overrides={"lr": 1e-4}, max_steps=3, **kwargs)
    assert meta["config"]["lr"] == 1e-4 and meta["steps"] == 3
    assert meta["config_changes"] == [{"step": 2, "lr": 1e-4}]
    with pytest.raises(ValueError, match="hidden_size"):
        T.pretrain(tmp_path, overrides={"hidden_size": 7}, max_steps=4, **kwargs)
    assert T.main(["train", "--checkpoint-dir", str(tmp_path), "--max-steps", "4",
                   "--lr", "2e-4", "--series", ""]) == 0
    assert T.load_checkpoint(tmp_path / "latest.npz")[2]["config"]["lr"] == 2e-4
