"""Every script in examples/ runs in fast mode and saves its PNG."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_fast(script, tmp_path):
    pytest.importorskip("matplotlib")
    env = {**os.environ, "GATEDTS_FAST": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script), "--fast", "--out", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "an example prints a table"
    png = tmp_path / f"{script.stem}.png"
    assert png.is_file() and png.stat().st_size > 5_000, sorted(p.name for p in tmp_path.iterdir())


def test_examples_found():
    names = {p.stem for p in EXAMPLES}
    assert {"airline_gru_lstm_rnn", "sunspots_long_horizon", "seattle_weather_exog",
            "hourly_temperatures", "tuning_gridsearch"} <= names
