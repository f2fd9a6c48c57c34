"""The gatedts command: success paths, users' CSV files, flags, outputs, Ctrl-C, progress,
and one-line errors without tracebacks.

Most tests call ``main`` in this process with the default networks shrunk;
those marked as such drive the real entry point (``python -m gatedts``) in a
subprocess, with ``--hidden-size 4 --max-iter 3`` for speed.
"""

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts.cli import build_forecaster, build_parser, format_table, main
from gatedts.forecasting import ensemble, parallel
from gatedts.forecasting import forecaster as forecasting

CELLS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
ROOT = Path(__file__).resolve().parents[1]
TINY = ["--hidden-size", "4", "--max-iter", "3"]


@pytest.fixture(autouse=True)
def tiny_networks(monkeypatch):
    """The CLI's default networks, shrunk to a few epochs of 4 units: tests check plumbing."""

    def tiny(cell="gru", n_windows=100, *, random_state=None, verbose=0):
        return CELLS[cell](hidden_size=4, max_iter=3, random_state=random_state,
                           verbose=verbose)

    monkeypatch.setattr(ensemble, "default_estimator", tiny)


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def gatedts(*argv, cwd, **kwargs):
    """``python -m gatedts ARGV`` on this source tree, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "gatedts", *map(str, argv)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300, **kwargs)


def assert_user_error(code, err, pattern, expected_code=1):
    """Exit status, no traceback, and the error is one line (the last, after any progress)."""
    assert code == expected_code
    assert "Traceback" not in err
    errors = [line for line in err.strip().splitlines() if "error:" in line]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    assert errors[0].startswith("gatedts")
    assert pattern in errors[0], errors[0]


def write_csv(path, n=80, start="2015-01-01", freq="MS", sep=",", **columns):
    dates = pd.date_range(start, periods=n, freq=freq)
    t = np.arange(n)
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"),
                          "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12), **columns})
    frame.to_csv(path, index=False, sep=sep)
    return path


# ---------------------------------------------------------------- forecasts


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
    assert "fitted in" in err and "backtesting" in err  # notices on stderr
    assert (out + err).count("rolling origin") == 1  # said once, in the table's header
    assert "\r" not in err  # no progress bar: stderr is not a terminal


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


def test_short_series_gets_intervals_with_a_warning(tmp_path, capsys):
    code, out, err = run([write_csv(tmp_path / "short.csv", n=20), "--horizon", 1, "-q"],
                         capsys)
    assert code == 0, err
    assert "90% conformal prediction intervals" in out
    assert "calibrated on 7 forecast origin(s), fewer than the 9 that 90% needs" in err


def test_too_short_to_calibrate_gets_the_pretrained_quantile_spread(tmp_path, capsys):
    # 13 months: the model fits (window 12, horizon 1), a calibration model cannot.
    path = write_csv(tmp_path / "short.csv", n=13)
    out_file = tmp_path / "short_forecast.csv"
    code, out, err = run([path, "--horizon", 1, "-o", out_file, "-q"], capsys)
    assert code == 0, err
    warning = [line for line in err.splitlines() if "warning:" in line]
    assert len(warning) == 1 and "too few to calibrate intervals" in warning[0]
    assert "the 90% interval is the pretrained network's quantile spread" in warning[0]
    assert "lower" in out and "upper" in out
    assert list(pd.read_csv(out_file).columns) == ["date", "forecast", "lower", "upper"]


# ---------------------------------------------------------------- every Forecaster choice


def parse(*argv):
    return build_parser().parse_args(["forecast", *map(str, argv)])


def test_defaults_leave_every_choice_to_the_forecaster():
    params = build_forecaster(parse(), horizon=12).get_params()
    assert params["estimator"] == "gru" and params["n_models"] == 1
    assert all(params[name] == "auto" for name in
               ("window", "log", "seasonal_difference", "difference", "local_level"))
    assert params["seasonal_period"] is None and params["random_state"] == 0


def test_pipeline_flags_reach_the_forecaster():
    f = build_forecaster(parse("--model", "auto", "--window", 14, "--no-log", "--difference", 0,
                               "--seasonal-difference", "--seasonal-period", 4,
                               "--n-models", 4, "--seed", 7), horizon=3)
    assert f.get_params() | {"estimator": "auto", "window": 14, "log": False, "difference": 0,
                             "seasonal_difference": True, "seasonal_period": 4,
                             "n_models": 4, "random_state": 7} == f.get_params()
    assert build_forecaster(parse("--log", "--no-seasonal-difference"), 3).get_params()[
        "log"] is True


def test_network_size_flags(capsys):
    f = build_forecaster(parse("--model", "lstm", "--hidden-size", 5, "--max-iter", 7), horizon=3)
    assert f.estimator == "lstm" and f.network_options == {"hidden_size": 5, "max_iter": 7}
    assert build_forecaster(parse("--max-iter", 9), 3).network_options == {"max_iter": 9}
    assert build_forecaster(parse(), 3).network_options is None
    code, out, err = run(["--model", "rnn", "--hidden-size", 3, "--max-iter", 2, "--horizon", 6,
                          "--backtest", 1], capsys)
    assert code == 0, err
    assert "RNN (3 units)" in out  # the backtest row names the model as chosen


def test_network_size_flags_apply_to_every_cell_of_auto(capsys):
    code, out, err = run(["--model", "auto", "--hidden-size", 3, "--max-iter", 2,
                          "--horizon", 3, "--backtest", 1, "-q"], capsys)
    assert code == 0, err
    assert "AUTO (3 units)" in out
    assert "90% conformal-or-quantile prediction intervals" in out  # the union of the two
    f = build_forecaster(parse("--model", "auto", "--hidden-size", 3, "--max-iter", 2), 3)
    f.fit(pd.Series(np.sin(np.arange(60.0)) + 5))
    assert {(type(m).__name__, m.hidden_size, m.max_iter) for m in f.estimators_} == {
        ("GRURegressor", 3, 2), ("LSTMRegressor", 3, 2)}


def test_pretrained_model_forecasts_zero_shot_with_quantile_intervals(capsys):
    code, out, err = run(["--dataset", "airline", "--horizon", 6, "--model", "pretrained",
                          "--backtest", 2], capsys)
    assert code == 0, err
    assert "fitted in" in err and "on 0 windows" in err
    assert "90% quantile prediction intervals" in out and "conformal" not in out
    assert "backtest: 2 rolling origin(s)" in out and "PRETRAINED" in out


def test_fine_tune_flag_adapts_the_pretrained_network(capsys):
    f = build_forecaster(parse("--model", "pretrained", "--fine-tune"), 6)
    assert f.network_options == {"fine_tune": True}
    f.fit(pd.Series(np.sin(np.arange(40.0)) + 5))
    assert f.estimator_.fine_tuning_["steps"] > 0
    assert build_forecaster(parse("--model", "pretrained"), 6).network_options is None
    for flags, message in [(("--model", "gru", "--fine-tune"), "applies to --model pretrained"),
                           (("--model", "pretrained", "--hidden-size", 4), "trains none")]:
        code, _, err = run(["--dataset", "airline", "--horizon", 3, *flags], capsys)
        assert code != 0 and message in err and "Traceback" not in err


def test_flags_change_the_fit(capsys):
    code, _, err = run(["--window", 14, "--no-log", "--difference", 1, "--no-seasonal-difference",
                        "--horizon", 3, "--backtest", 0, "--model", "auto"], capsys)
    assert code == 0, err
    assert "log=no, differences=1, local level; window=14, horizon=3" in err
    code, _, err = run(["--no-local-level", "--no-log", "--horizon", 3, "--backtest", 0], capsys)
    assert code == 0, err
    assert "local level" not in err and "differences=1" in err  # the 0.1 pipeline: KPSS


def test_exogenous_columns_with_future_values(tmp_path, capsys):
    n = 80
    rng = np.random.default_rng(0)
    path = write_csv(tmp_path / "sales.csv", n=n, price=rng.normal(10, 1, n),
                     promo=rng.integers(0, 2, n).astype(float))
    future = tmp_path / "future.csv"
    pd.DataFrame({"date": pd.date_range("2021-09-01", periods=3, freq="MS").strftime("%Y-%m-%d"),
                  "promo": [1.0, 0.0, 1.0]}).to_csv(future, index=False)
    code, out, err = run([path, "--exog", "price,promo", "--future-exog", future,
                          "--horizon", 3, "--backtest", 1], capsys)
    assert code == 0, err
    assert "forecast of sales, 3 steps" in out and "2021-11-01" in out
    code, out, err = run([path, "--future-exog", future, "--horizon", 3, "--backtest", 0], capsys)
    assert code == 0, err  # --exog defaults to the columns of --future-exog
    code, _, err = run([path, "--exog", "price", "--future-exog", future], capsys)
    assert_user_error(code, err, "not in --exog: promo")
    code, _, err = run([path, "--exog", "discount"], capsys)
    assert_user_error(code, err, "--exog: ")
    assert "has no column 'discount'" in err
    code, _, err = run([path, "--exog", "price", "--column", "price"], capsys)
    assert_user_error(code, err, "the column being forecast")


# ---------------------------------------------------------------- users' CSV files


def test_a_copy_of_the_airline_csv_gets_the_airline_defaults(tmp_path, capsys):
    from gatedts.datasets import load_airline

    load_airline().to_frame().to_csv(tmp_path / "air.csv")
    code, out, err = run([tmp_path / "air.csv", "--backtest", 0], capsys)
    assert code == 0, err
    assert "forecast of passengers, 12 steps" in out and "(freq MS)" in err
    assert "seasonal difference (m=12)" in err


def test_integer_years(tmp_path, capsys):
    path = tmp_path / "years.csv"
    pd.DataFrame({"year": range(1901, 1961), "value": np.linspace(10, 30, 60)}).to_csv(
        path, index=False)
    for argv in ([path], [path, "--date-column", "year"]):
        code, out, err = run([*argv, "--backtest", 0, "-q"], capsys)
        assert code == 0, err
        assert "forecast of value, 10 steps" in out  # yearly: no season, 10 steps
        rows = out.splitlines()[3:]
        assert [row.split()[0] for row in rows] == [str(y) for y in range(1961, 1971)]


@pytest.mark.parametrize("label", ["{y}Q{q}", "{y}-Q{q}", "{y} q{q}"])
def test_year_quarters(label, tmp_path, capsys):
    path = tmp_path / "quarters.csv"
    quarters = [label.format(y=1990 + k // 4, q=k % 4 + 1) for k in range(48)]
    pd.DataFrame({"quarter": quarters, "gdp": 100 + np.arange(48.0)}).to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0, "-o", tmp_path / "q.json"], capsys)
    assert code == 0, err
    assert "forecast of gdp, 4 steps" in out and "1990Q1 .. 2001Q4 (freq QS-JAN)" in err
    assert "2002Q1" in out
    assert [row["quarter"] for row in json.loads((tmp_path / "q.json").read_text())] == [
        "2002Q1", "2002Q2", "2002Q3", "2002Q4"]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_the_separator_is_detected(sep, tmp_path, capsys):
    path = write_csv(tmp_path / "sales.csv", sep=sep, other=np.arange(80.0))
    code, out, err = run([path, "--horizon", 2, "--backtest", 0, "-q"], capsys)
    assert code == 0, err
    assert "forecast of sales" in out and "2021-09-01" in out


def test_sep_option(tmp_path, capsys):
    path = write_csv(tmp_path / "sales.txt", sep=";")
    code, out, err = run(["forecast", path, "--sep", ";", "--horizon", 2, "--backtest", 0, "-q"],
                         capsys)
    assert code == 0 and "forecast of sales" in out, err
    code, _, err = run(["forecast", path, "--sep", ",", "--backtest", 0], capsys)
    assert_user_error(code, err, "no numeric column")


def test_each_bad_cell_is_named(tmp_path, capsys):
    path = write_csv(tmp_path / "data.csv")
    frame = pd.read_csv(path).astype({"sales": object})
    frame.loc[16, "sales"] = "12O"
    frame.to_csv(path, index=False)
    code, _, err = run([path, "--backtest", 0], capsys)
    assert_user_error(code, err, "row 17, column 'sales': '12O' is not a number")
    for row in range(20, 30):
        frame.loc[row, "sales"] = f"n/a{row}"
    frame.to_csv(path, index=False)
    code, _, err = run([path, "--backtest", 0], capsys)
    assert_user_error(code, err, "row 17, column 'sales': '12O' is not a number; row 21, "
                      "column 'sales': 'n/a20' is not a number;")
    assert err.rstrip().endswith("; and 6 more")


@pytest.mark.parametrize("change, pattern", [
    (lambda f: f.assign(sales=f["sales"].astype(str) + "x"), "no numeric column"),
    (lambda f: f.assign(sales=f["sales"].where(f.index != 5)),
     "row 6, column 'sales': a value is missing (1 empty cell(s)); pass --fill "
     "ffill|interpolate|zero"),
    (lambda f: f.iloc[[0, 1, 3, 2, *range(4, 80)]], "2015-03-01 at row 4 comes after "
     "2015-04-01 at row 3; sort the rows by date"),
    (lambda f: f.drop(index=10), "2015-11-01 is missing after 2015-10-01 (1 date(s) missing "
     "at the MS frequency); pass --fill ffill|interpolate|zero"),
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
    assert_user_error(code, err, "cannot parse column 'date' of")
    assert "row 4, column 'date': 'soon' is not a date" in err


def forecast_rows(out):
    """The (label, forecast) rows printed under 'forecast of ...'."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("forecast of"))
    rows = []
    for line in lines[start + 1:]:
        words = line.split()
        if not words:
            break
        if words[0][0].isdigit():  # not the header nor the index name
            rows.append(words[0])
    return rows


@pytest.mark.parametrize("header", ["Datum", "Fecha", "week", "Observation date"])
def test_any_date_header_gives_dates_and_seasons(header, tmp_path, capsys):
    """Silent before: these headers numbered the rows, lost m=12 and forecast 10 steps."""
    path = tmp_path / "data.csv"
    write_csv(path, n=72).read_text()
    pd.read_csv(path).rename(columns={"date": header}).to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0], capsys)
    assert code == 0, err
    assert "72 observations, 2015-01-01 .. 2020-12-01 (freq MS)" in err
    assert "forecast of sales, 12 steps" in out
    assert forecast_rows(out)[0] == "2021-01-01" and forecast_rows(out)[-1] == "2021-12-01"


def test_weekly_file_with_missing_weeks(tmp_path, capsys):
    """Silent before: 297 rows numbered 0..296, forecast indexed 297..306."""
    weeks = pd.date_range("2018-01-01", periods=300, freq="W-MON")
    keep = np.ones(300, bool)
    keep[[40, 41, 200]] = False
    path = tmp_path / "weekly.csv"
    pd.DataFrame({"week": weeks[keep].strftime("%Y-%m-%d"),
                  "orders": 50 + np.sin(np.arange(300) / 5)[keep]}).to_csv(path, index=False)
    code, _, err = run([path, "--horizon", 4, "--backtest", 0], capsys)
    assert_user_error(code, err, "2018-10-08 is missing after 2018-10-01 (3 date(s) missing at "
                      "the W-MON frequency); pass --fill ffill|interpolate|zero")
    code, out, err = run([path, "--horizon", 4, "--backtest", 0, "--fill", "interpolate"],
                         capsys)
    assert code == 0, err
    assert "gatedts: warning: " in err and "filled 3 missing value(s) (3 missing date(s)) by "\
        "interpolate" in err
    assert f"300 observations, 2018-01-01 .. {weeks[-1].date()} (freq W-MON)" in err
    assert forecast_rows(out) == list(pd.date_range(weeks[-1], periods=5, freq="W-MON")[1:]
                                      .strftime("%Y-%m-%d"))


def test_float_years_of_sunspots(tmp_path, capsys):
    """Silent before: 1700.0 was read as nanoseconds after 1970."""
    from gatedts.datasets import load_sunspots

    sunspots = load_sunspots()
    path = tmp_path / "sunspots.csv"
    pd.DataFrame({"YEAR": sunspots.index.year.astype(float),
                  "SUNACTIVITY": sunspots.to_numpy()}).to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0, "-o", tmp_path / "f.csv"], capsys)
    assert code == 0, err
    assert "309 observations, 1700 .. 2008 (freq YS-JAN)" in err
    assert "forecast of SUNACTIVITY, 10 steps" in out
    assert forecast_rows(out) == [str(year) for year in range(2009, 2019)]
    assert pd.read_csv(tmp_path / "f.csv")["YEAR"].tolist() == list(range(2009, 2019))


def test_decimal_commas_with_semicolons(tmp_path, capsys):
    from gatedts.datasets import load_airline

    path = tmp_path / "airline_de.csv"
    (load_airline() + 0.5).to_frame().rename_axis("Monat").to_csv(path, sep=";", decimal=",")
    code, out, err = run([path, "--backtest", 0], capsys)
    assert code == 0, err
    assert "144 observations, 1949-01-01 .. 1960-12-01 (freq MS)" in err
    assert "forecast of passengers, 12 steps" in out and forecast_rows(out)[0] == "1961-01-01"
    code, _, err = run([path, "--decimal", "."], capsys)
    assert_user_error(code, err, "no numeric column to forecast (columns: passengers); pass "
                      "--decimal ,")


def test_day_first_dates(tmp_path, capsys):
    days = pd.date_range("2020-01-01", periods=60, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"Fecha": days.strftime("%d/%m/%Y"), "load": np.arange(60.0) % 7}).to_csv(
        path, index=False)
    code, out, err = run([path, "--horizon", 3, "--backtest", 0], capsys)
    assert code == 0, err
    assert "60 observations, 2020-01-01 .. 2020-02-29 (freq D)" in err
    assert forecast_rows(out) == ["2020-03-01", "2020-03-02", "2020-03-03"]
    months = tmp_path / "monthly.csv"
    pd.DataFrame({"date": pd.date_range("1950-01-01", periods=48, freq="MS").strftime(
        "%d/%m/%Y"), "v": np.arange(48.0)}).to_csv(months, index=False)
    code, _, err = run([months, "--backtest", 0], capsys)
    assert_user_error(code, err, "may be day first or month first, and no day above 12 tells "
                      "which; pass --dayfirst or --no-dayfirst")
    for flag in (["--dayfirst"], ["--date-format", "%d/%m/%Y"]):
        code, out, err = run([months, "--backtest", 0, "-q", *flag], capsys)
        assert code == 0, err
        assert forecast_rows(out)[0] == "1954-01-01" and len(forecast_rows(out)) == 12


def test_trading_days(tmp_path, capsys):
    days = pd.bdate_range("2022-01-03", periods=150)
    prices = pd.Series(100 + np.cumsum(np.sin(np.arange(150.0))), index=days,
                       name="Close").drop(days[[12, 50, 90]])
    path = tmp_path / "prices.csv"
    prices.rename_axis("Date").to_csv(path)
    code, _, err = run([path, "--horizon", 3, "--backtest", 0], capsys)
    assert_user_error(code, err, "3 date(s) missing at the B frequency); pass --fill "
                      "ffill|interpolate|zero")
    code, out, err = run([path, "--freq", "B", "--fill", "ffill", "--horizon", 3,
                          "--backtest", 0], capsys)
    assert code == 0, err
    assert "filled 3 missing value(s)" in err and "(freq B)" in err
    assert forecast_rows(out) == ["2022-08-01", "2022-08-02", "2022-08-03"]  # Fri 29 Jul last
    with pytest.raises(SystemExit):
        main([str(path), "--freq", "fortnightly"])
    assert "argument --freq: unknown frequency 'fortnightly'" in capsys.readouterr().err


def test_gaps_and_missing_values_are_filled_on_request(tmp_path, capsys):
    path = write_csv(tmp_path / "gaps.csv", n=48)
    frame = pd.read_csv(path)
    frame.loc[5, "sales"] = np.nan
    frame.drop(index=[20]).to_csv(path, index=False)
    code, _, err = run([path, "--backtest", 0], capsys)
    assert_user_error(code, err, "2016-09-01 is missing after 2016-08-01 (1 date(s) missing at "
                      "the MS frequency); row 6, column 'sales': a value is missing (1 empty "
                      "cell(s)); pass --fill ffill|interpolate|zero")
    code, out, err = run([path, "--backtest", 0, "--fill", "zero"], capsys)
    assert code == 0, err
    assert "filled 2 missing value(s) (1 missing date(s) and 1 empty cell(s)) by zero" in err
    assert "48 observations" in err and forecast_rows(out)[0] == "2019-01-01"


def test_year_and_month_columns(tmp_path, capsys):
    """An error before: 'duplicated label 1950'."""
    months = pd.date_range("1950-01-01", periods=48, freq="MS")
    path = tmp_path / "ym.csv"
    pd.DataFrame({"year": months.year, "month": months.month,
                  "value": 10 + np.sin(np.arange(48) * np.pi / 6)}).to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0], capsys)
    assert code == 0, err
    assert "[value]: 48 observations, 1950-01-01 .. 1953-12-01 (freq MS)" in err
    assert "forecast of value, 12 steps" in out and forecast_rows(out)[0] == "1954-01-01"
    pd.read_csv(path).rename(columns={"year": "y", "month": "m"}).to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0, "--date-column", "y,m", "-q"], capsys)
    assert code == 0, err
    assert forecast_rows(out)[0] == "1954-01-01"


def test_newest_first_is_sorted_with_a_notice(tmp_path, capsys):
    path = write_csv(tmp_path / "newest.csv", n=48)
    pd.read_csv(path).iloc[::-1].to_csv(path, index=False)
    code, out, err = run([path, "--backtest", 0, "-q"], capsys)
    assert code == 0, err
    assert "the dates run newest first; read oldest first" in err  # a warning: shown with -q
    assert forecast_rows(out)[0] == "2019-01-01"


def test_an_output_that_is_the_input_is_refused(tmp_path, capsys):
    """Silent before: -o sales.csv overwrote the data with the forecast, exit status 0."""
    path = write_csv(tmp_path / "sales.csv")
    data = path.read_text()
    future = tmp_path / "future.csv"
    pd.DataFrame({"date": ["2021-09-01"], "other": [1.0]}).to_csv(future, index=False)
    for argv in ([path, "-o", path], [path, "--plot", path], [path, "-o", future, "--exog",
                                                             "other", "--future-exog", future]):
        code, _, err = run(argv, capsys)
        assert_user_error(code, err, "is an input file; it would be overwritten, so nothing "
                          "was done")
    assert path.read_text() == data


def test_boolean_series_are_refused_by_the_cli_and_python(tmp_path, capsys):
    path = write_csv(tmp_path / "flags.csv", n=36, open=[True, False] * 18)
    code, _, err = run([path, "--column", "open"], capsys)
    assert_user_error(code, err, "column 'open' holds booleans (True/False), not numbers")
    y = pd.read_csv(path, index_col="date", parse_dates=True)["open"].asfreq("MS")
    for series in (y, y.astype("category"), y.astype(object)):
        with pytest.raises(TypeError, match=f"y must be numeric, got dtype {series.dtype}"):
            forecasting.Forecaster(horizon=2).fit(series)


def test_unnamed_index_columns_as_pandas_writes_them(tmp_path, capsys):
    from gatedts.datasets import load_airline

    load_airline().rename_axis(None).to_csv(tmp_path / "air.csv")  # header ",passengers"
    code, out, err = run([tmp_path / "air.csv", "--backtest", 0, "-q"], capsys)
    assert code == 0, err
    assert "forecast of passengers, 12 steps" in out and forecast_rows(out)[0] == "1961-01-01"
    pd.DataFrame({"value": np.sin(np.arange(60) / 3) + 2}).to_csv(tmp_path / "plain.csv")
    code, out, err = run([tmp_path / "plain.csv", "--horizon", 2, "--backtest", 0], capsys)
    assert code == 0, err
    assert "forecast of value" in out and forecast_rows(out) == ["60", "61"]


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="needs pyarrow")
def test_parquet_input(tmp_path, capsys):
    from gatedts.datasets import load_airline

    load_airline().to_frame().to_parquet(tmp_path / "air.parquet")
    code, out, err = run([tmp_path / "air.parquet", "--backtest", 0, "-q"], capsys)
    assert code == 0, err
    assert "forecast of passengers, 12 steps" in out and forecast_rows(out)[0] == "1961-01-01"


def test_excel_input_without_openpyxl(tmp_path, capsys, monkeypatch):
    (tmp_path / "book.xlsx").write_bytes(b"PK")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else real_find_spec(name, *a))
    code, _, err = run([tmp_path / "book.xlsx"], capsys)
    assert_user_error(code, err, "reading book.xlsx needs openpyxl: pip install openpyxl")


def test_future_exog_errors_name_the_flag(tmp_path, capsys):
    path = write_csv(tmp_path / "sales.csv", n=60, price=np.linspace(1, 2, 60))  # to 2019-12
    future = tmp_path / "future.csv"
    pd.DataFrame({"date": ["2020-02-01", "2020-03-01"], "price": [2.0, 2.1]}).to_csv(
        future, index=False)
    code, _, err = run([path, "--future-exog", future, "--horizon", 2], capsys)
    assert_user_error(code, err, f"--future-exog {future} must start at 2020-01-01, the step "
                      "after the series; it starts at 2020-02-01")
    pd.DataFrame({"date": ["2020-01-01", "2020-02-01"], "price": [2.0, 2.1]}).to_csv(
        future, index=False)
    code, _, err = run([path, "--future-exog", future, "--horizon", 3], capsys)
    assert_user_error(code, err, f"--future-exog {future} has 2 row(s), but forecasting 3 "
                      "steps needs 3; give more or lower --horizon")
    assert "exog_future" not in err
    code, out, err = run([path, "--future-exog", future, "--horizon", 2, "--backtest", 0],
                         capsys)
    assert code == 0, err
    assert forecast_rows(out) == ["2020-01-01", "2020-02-01"]


# ---------------------------------------------------------------- outputs and printing


def test_output_formats(tmp_path, capsys):
    path = write_csv(tmp_path / "sales.csv")
    outputs = {"csv": tmp_path / "f.csv", "json": tmp_path / "f.json"}
    if importlib.util.find_spec("pyarrow") is not None:
        outputs["parquet"] = tmp_path / "f.parquet"
    for out_file in outputs.values():
        code, _, err = run([path, "--horizon", 2, "--backtest", 0, "-q", "-o", out_file], capsys)
        assert code == 0, err
    assert pd.read_csv(outputs["csv"])["date"].tolist() == ["2021-09-01", "2021-10-01"]
    rows = json.loads(outputs["json"].read_text())
    assert [row["date"] for row in rows] == ["2021-09-01", "2021-10-01"]
    assert set(rows[0]) == {"date", "forecast", "lower", "upper"}
    if "parquet" in outputs:
        table = pd.read_parquet(outputs["parquet"])
        assert table.index.name == "date" and list(table.columns) == ["forecast", "lower",
                                                                      "upper"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["sales.csv", *(p.name for p in outputs.values())])  # no temporary files left


def test_bad_outputs_are_refused_before_any_work(tmp_path, capsys, monkeypatch):
    code, _, err = run(["--output", tmp_path / "out.xlsx"], capsys)
    assert_user_error(code, err, "--output must end in .csv, .parquet or .json, got out.xlsx")
    assert "observations" not in err and not (tmp_path / "out.xlsx").exists()
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real_find_spec(name, *a))
    code, _, err = run(["--output", tmp_path / "out.parquet"], capsys)
    assert_user_error(code, err, "needs pyarrow: pip install pyarrow")


def test_plain_number_formatting(capsys):
    table = pd.DataFrame({"big": [30290.4, 29876.0], "small": [0.012345, 0.2],
                          "gap": [1.5, np.nan]})
    assert format_table(table).splitlines()[1:] == ["0 30290 0.0123 1.500",
                                                    "1 29876 0.2000     -"]
    code, out, err = run(["--dataset", "airline", "--horizon", 3, "--backtest", 1, "-q"],
                         capsys)
    assert code == 0, err
    assert not re.search(r"\de[+-]\d", out)


# ---------------------------------------------------------------- notices and progress


def test_progress_bars_only_when_asked_on_a_non_terminal(capsys):
    argv = ["--dataset", "airline", "--horizon", 6, "--backtest", 1]
    code, _, err = run([*argv, "--progress"], capsys)
    assert code == 0, err
    assert "\r" in err and "backtest" in err and "epoch" in err  # tqdm redraws one line
    # Totals, percentages and ETAs: each fit's epochs out of its cap, the backtest's origins.
    assert re.search(r"fitting GRU: +\d+%\|.*\| \d+/3 \[\d\d:\d\d<", err), err
    assert re.search(r"backtest: +\d+%\|.*\| \d/1 ", err), err
    code, _, err = run(argv, capsys)
    assert code == 0 and "\r" not in err and "epoch" not in err
    code, _, err = run([*argv, "--progress", "--quiet"], capsys)
    assert code == 0 and err == ""


def compile_something():
    """A stand-in for the kernels: a new function, so Numba really compiles it."""
    import numba

    numba.njit(lambda x: x + 1)(1)
    return 0.25


def test_the_first_compilation_is_announced(monkeypatch, capsys):
    monkeypatch.setattr(parallel, "warm_up", lambda cells, parallel: compile_something())
    code, out, err = run(["warm-up", "--cells", "gru"], capsys)
    assert code == 0
    assert err == "compiling kernels (first run only)…\n"
    assert out == ("Compiled the GRU kernels in 0.2 s; later runs load them from Numba's "
                   "on-disk cache.\n")
    code, out, err = run(["--horizon", 3, "--backtest", 0], capsys)
    assert code == 0 and "compiled the kernels in 0.2 s; later runs load them" in err
    code, out, err = run(["--horizon", 3, "--backtest", 0, "-q"], capsys)
    assert code == 0 and err == ""


def test_warm_up_says_what_it_did(tmp_path):
    """Subprocess: the real kernels; run twice, the second must find them cached."""
    first = gatedts("warm-up", "--cells", "gru", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(r"(Compiled the GRU kernels in [\d.]+ s; later runs load them from "
                        r"Numba's on-disk cache\.|The GRU kernels were already compiled: "
                        r"loaded from Numba's on-disk cache in [\d.]+ s\.)\n", first.stdout)
    assert ("compiling kernels" in first.stderr) == first.stdout.startswith("Compiled")
    second = gatedts("warm-up", "--cells", "gru", cwd=tmp_path)
    assert second.stdout.startswith("The GRU kernels were already compiled") and not \
        second.stderr


# ---------------------------------------------------------------- the real entry point


def test_no_arguments_prints_usage(tmp_path):
    done = gatedts(cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("usage: gatedts") and "forecast" in done.stderr


def test_a_csv_of_integer_years_end_to_end(tmp_path):
    pd.DataFrame({"year": range(1901, 1961), "value": np.linspace(10, 30, 60)}).to_csv(
        tmp_path / "years.csv", index=False)
    done = gatedts("years.csv", "--horizon", 2, "--backtest", 1, "-o", "out.json", *TINY,
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [row["year"] for row in json.loads((tmp_path / "out.json").read_text())] == [
        "1961", "1962"]  # years, as in the file


@pytest.mark.parametrize("phase", ["observations", "backtesting"])
def test_ctrl_c_ends_the_command_and_writes_nothing(phase, tmp_path):
    write_csv(tmp_path / "sales.csv", n=120)
    (tmp_path / "forecast.csv").write_text("precious\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
            [sys.executable, "-m", "gatedts", "sales.csv", "-o", "forecast.csv", "--plot",
             "forecast.png", "--n-models", "20", "--hidden-size", "8", "--max-iter", "200"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True) as process:
        seen = []
        for line in process.stderr:  # wait until the command is in the phase
            seen.append(line)
            if phase in line:
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    err = "".join(seen) + err
    assert process.returncode == 130, err
    assert err.rstrip().endswith("gatedts: interrupted") and "Traceback" not in err
    assert "training interrupted" not in err  # not a graceful stop of one fit
    assert (tmp_path / "forecast.csv").read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecast.csv", "sales.csv"]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("argv, pattern", [
    (["forecast", "--dataset", "nope"], "unknown dataset 'nope'"),
    (["forecast", "missing.csv"], "no such file"),
    (["forecast", "--coverage", 1.5], "--coverage"),
    (["forecast", "--dataset", "seattle_weather", "--column", "weather"], "not numeric"),
    (["forecast", "--dataset", "airline", "--column", "seats"], "no column 'seats'"),
    (["forecast", "--dataset", "airline", "--date-column", "d"],
     "--date-column applies to a file, not to --dataset"),
    (["forecast", "--dataset", "airline", "--sep", ";", "--fill", "zero"],
     "--sep, --fill apply to a file"),
    (["forecast", "--plot", "no/such/folder/p.png"], "does not exist"),
    (["forecast", "--output", "no/such/folder/f.csv"], "does not exist"),
    (["warm-up", "--cells", "gru,tcn"], "unknown cell(s) 'tcn'"),
])
def test_user_errors(argv, pattern, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert_user_error(code, err, pattern)


@pytest.mark.parametrize("argv, pattern", [
    (["forecast", "--horizon", "abc"], "must be a positive integer, got 'abc'"),
    (["forecast", "--horizon", 0], "argument --horizon/-H: must be a positive integer, got 0"),
    (["forecast", "--window", -3], "must be a positive integer, got -3"),
    (["forecast", "--difference", -1], "must be an integer >= 0, got -1"),
    (["forecast", "--model", "cnn"], "invalid choice"),
    (["forecast", "--bogus"], "unrecognized arguments"),
    (["forecast", "a.csv", "--dataset", "airline"], "not allowed with"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors(argv, pattern, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    _, err = capsys.readouterr()
    assert_user_error(exc.value.code, err, pattern, expected_code=2)


def test_python_dash_m(tmp_path):
    from gatedts import __version__

    ok = gatedts("--version", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout == f"gatedts {__version__}\n"
    assert __version__ != "0.1.0"
    bad = gatedts("forecast", "--dataset", "nope", cwd=tmp_path)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "gatedts forecast: error: unknown dataset 'nope'; available: airline, co2, macrodata, "
        "seattle_weather, sf_temps, sunspots"]


def test_a_library_bug_keeps_its_traceback(monkeypatch, capsys):
    """TypeError, KeyError...: a bug, not the user's input, so no one-line disguise."""
    def bug(self, y, exog=None):
        raise KeyError("internal")

    monkeypatch.setattr(forecasting.Forecaster, "fit", bug)
    with pytest.raises(KeyError, match="internal"):
        main(["--horizon", "3", "--backtest", "0"])


def test_debug_shows_the_traceback_of_user_errors(capsys):
    code, _, err = run(["--dataset", "nope"], capsys)
    assert_user_error(code, err, "unknown dataset 'nope'")
    with pytest.raises(Exception, match="unknown dataset 'nope'"):
        main(["--dataset", "nope", "--debug"])
    with pytest.raises(Exception, match="unknown cell"):
        main(["warm-up", "--cells", "tcn", "--debug"])


def test_input_check_errors_are_one_line(tmp_path, capsys):
    code, _, err = run([write_csv(tmp_path / "short.csv", n=8), "--horizon", 3], capsys)
    assert_user_error(code, err, "too short")


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    """`gatedts forecast ... | head -1`: no 'Broken pipe' message, status 141 (SIGPIPE)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "gatedts", "--horizon", "12", "--backtest",
                           "1", "-q", *TINY], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        first = process.stdout.readline()
        process.stdout.close()  # as head -1 does
        err = process.stderr.read()
        process.wait(timeout=300)
    assert first.startswith("forecast of passengers")
    assert process.returncode == 141, err
    assert err == ""


def test_compare_help_describes_cells_and_variants(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--cells C1,C2 recurrent cells to compare, comma-separated, among rnn, gru, lstm" in out
    assert "plain, bidirectional, residual, attention, decoder" in out
    for flag in ("--decimal", "--dayfirst", "--date-format", "--freq", "--fill", "--debug"):
        assert flag in out


def test_matplotlib_and_tqdm_are_imported_on_use_only():
    code = ("import sys, gatedts, gatedts.cli, gatedts.plotting, gatedts.forecasting.plotting, "
            "gatedts.forecasting.panel; print('matplotlib' in sys.modules, 'tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False False", done.stderr
