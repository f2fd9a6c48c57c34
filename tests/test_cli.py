"""The gatedts command: success paths, and one-line errors without tracebacks."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts.cli import main
from gatedts.forecasting import forecaster as forecasting

CELLS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}


@pytest.fixture(autouse=True)
def tiny_networks(monkeypatch):
    """The CLI's default networks, shrunk to a few epochs of 4 units: tests check plumbing."""

    def tiny(cell="gru", n_windows=100, *, random_state=None, verbose=0):
        return CELLS[cell](hidden_size=4, max_iter=3, random_state=random_state,
                           verbose=verbose)

    monkeypatch.setattr(forecasting, "default_estimator", tiny)


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, pattern, expected_code=1):
    """Exit status, no traceback, and the error is one line (the last, after any progress)."""
    assert code == expected_code
    assert "Traceback" not in err
    errors = [line for line in err.strip().splitlines() if "error:" in line]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    assert errors[0].startswith("gatedts")
    assert pattern in errors[0], errors[0]


def write_csv(path, n=80, start="2015-01-01", freq="MS", **columns):
    dates = pd.date_range(start, periods=n, freq=freq)
    t = np.arange(n)
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"),
                          "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12), **columns})
    frame.to_csv(path, index=False)
    return path


def test_forecast_dataset_with_plot_and_output(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png, csv = tmp_path / "airline.png", tmp_path / "forecast.csv"
    code, out, err = run(["forecast", "--dataset", "airline", "--horizon", 6, "--plot", png,
                          "--output", csv, "--backtest", 1, "--seed", 3], capsys)
    assert code == 0, err
    assert "forecast of passengers, 6 steps" in out
    assert "seasonal naive (m=12)" in out and "GRU" in out and "MASE" in out
    assert png.stat().st_size > 10_000
    saved = pd.read_csv(csv)
    assert list(saved.columns) == ["date", "forecast", "lower", "upper"] and len(saved) == 6
    assert saved["date"].iloc[0] == "1961-01-01"
    assert "epoch" in err and "backtest" in err  # progress goes to stderr


def test_no_arguments_forecasts_airline(capsys):
    code, out, err = run([], capsys)
    assert code == 0, err
    assert "forecast of passengers, 12 steps" in out
    assert "backtest: 3 rolling origin(s) x 12 steps" in out


def test_quiet_and_models(capsys):
    code, out, err = run(["--quiet", "--model", "lstm", "--horizon", 3, "--backtest", 0],
                         capsys)
    assert code == 0 and err == ""
    assert "backtest" not in out


def test_forecast_csv(tmp_path, capsys):
    path = write_csv(tmp_path / "sales.csv", other=np.arange(80.0))
    code, out, err = run([path, "--horizon", 3, "--backtest", 0], capsys)
    assert code == 0, err
    assert "[sales]" in err and "2021-09-01" in out
    code, out, err = run(["forecast", path, "--column", "other", "--date-column", "date",
                          "--horizon", 2, "--backtest", 0, "--model", "rnn"], capsys)
    assert code == 0, err
    assert "forecast of other" in out


def test_csv_without_dates_numbers_the_rows(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"value": np.sin(np.arange(60) / 3) + 2}).to_csv(path, index=False)
    code, out, err = run([path, "--horizon", 2, "--backtest", 0], capsys)
    assert code == 0, err
    assert "60" in out and "61" in out


@pytest.mark.parametrize("argv, pattern", [
    (["forecast", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["forecast", "missing.csv"], "no such file"),
    (["forecast", "--horizon", 0], "--horizon must be a positive integer"),
    (["forecast", "--horizon", -3], "--horizon must be a positive integer"),
    (["forecast", "--coverage", 1.5], "--coverage"),
    (["forecast", "--dataset", "seattle_weather", "--column", "weather"], "not numeric"),
    (["forecast", "--dataset", "airline", "--column", "seats"], "no column 'seats'"),
    (["forecast", "--dataset", "airline", "--date-column", "d"], "applies to a CSV"),
    (["forecast", "--plot", "no/such/folder/p.png"], "does not exist"),
])
def test_user_errors(argv, pattern, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert_user_error(code, err, pattern)


@pytest.mark.parametrize("argv, pattern", [
    (["forecast", "--horizon", "abc"], "invalid int value"),
    (["forecast", "--model", "cnn"], "invalid choice"),
    (["forecast", "--bogus"], "unrecognized arguments"),
    (["forecast", "a.csv", "--dataset", "airline"], "not allowed with"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors(argv, pattern, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    _, err = capsys.readouterr()
    assert_user_error(exc.value.code, err, pattern, expected_code=2)


@pytest.mark.parametrize("change, pattern", [
    (lambda f: f.assign(sales=f["sales"].astype(str) + "x"), "no numeric column"),
    (lambda f: f.assign(sales=f["sales"].where(f.index != 5)), "missing value"),
    (lambda f: f.iloc[::-1], "not monotonic"),
    (lambda f: f.drop(index=10), "gap"),
    (lambda f: f.iloc[:8], "too short"),
    (lambda f: f.assign(date="not a date"), "cannot parse column 'date'"),
    (lambda f: f.iloc[0:0], "no data rows"),
])
def test_bad_csv_contents(change, pattern, tmp_path, capsys):
    path = write_csv(tmp_path / "data.csv")
    change(pd.read_csv(path)).to_csv(path, index=False)
    code, _, err = run([path, "--horizon", 3, "--backtest", 0], capsys)
    assert_user_error(code, err, pattern)


def test_column_errors(tmp_path, capsys):
    path = write_csv(tmp_path / "data.csv", label=["a"] * 80)
    code, _, err = run([path, "--column", "label"], capsys)
    assert_user_error(code, err, "column 'label' is not numeric")
    code, _, err = run([path, "--date-column", "when"], capsys)
    assert_user_error(code, err, "has no column 'when'")
    frame = pd.read_csv(path).assign(date=lambda f: f["date"].where(f.index != 3, "soon"))
    frame.to_csv(path, index=False)
    code, _, err = run([path, "--date-column", "date"], capsys)
    assert_user_error(code, err, "cannot parse column 'date'")


def test_python_dash_m(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "gatedts", "--version"], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("gatedts ")
    bad = subprocess.run([sys.executable, "-m", "gatedts", "forecast", "--dataset", "nope"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "gatedts forecast: error: unknown dataset 'nope'; available: airline, co2, macrodata, "
        "seattle_weather, sf_temps, sunspots"]


def test_matplotlib_is_not_imported_by_gatedts():
    code = ("import sys, gatedts, gatedts.cli, gatedts.plotting; "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
