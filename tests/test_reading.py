"""gatedts.read_series on the file shapes people export from Excel, databases and pandas.

Each test writes a file to ``tmp_path`` from bundled or synthetic data and
checks the dates, the frequency and the values read, or the one error that
names the problem and the option that fixes it.
"""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest

from gatedts import read_series
from gatedts.datasets import load_airline, load_sunspots
from gatedts.reading import SeriesFileError, SeriesReadWarning


def monthly(n=36):
    return pd.Series(100 + np.arange(n, dtype=float), name="sales",
                     index=pd.date_range("2015-01-01", periods=n, freq="MS"))


def read_quietly(path, **options):
    """read_series, failing on any warning (nothing was sorted or filled)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_series(path, **options)


def assert_series(y, start, freq, values, name=None):
    assert isinstance(y.index, pd.DatetimeIndex) and y.index.freqstr == freq
    assert y.index[0] == pd.Timestamp(start)
    assert y.dtype == float
    np.testing.assert_array_equal(y.to_numpy(), np.asarray(values, dtype=float))
    if name is not None:
        assert y.name == name


@pytest.mark.parametrize("header", ["Datum", "Fecha", "week", "Observation date", "x"])
def test_the_date_column_is_found_whatever_its_header(header, tmp_path):
    y = monthly()
    path = tmp_path / "data.csv"
    pd.DataFrame({header: y.index.strftime("%Y-%m-%d"), "sales": y.to_numpy()}).to_csv(
        path, index=False)
    read = read_quietly(path)
    assert_series(read, "2015-01-01", "MS", y, name="sales")
    assert read.index.name == header


def test_a_weekly_file_with_missing_weeks(tmp_path):
    weeks = pd.date_range("2018-01-01", periods=300, freq="W-MON")
    values = np.arange(300.0)
    keep = np.ones(300, bool)
    keep[[40, 41, 200]] = False
    path = tmp_path / "weekly.csv"
    pd.DataFrame({"week": weeks[keep].strftime("%Y-%m-%d"), "orders": values[keep]}).to_csv(
        path, index=False)
    with pytest.raises(SeriesFileError) as error:
        read_series(path)
    assert "2018-10-08 is missing after 2018-10-01 (3 date(s) missing at the W-MON" in str(
        error.value)
    assert "fill='ffill' or fill='interpolate' or fill='zero'" in str(error.value)
    with pytest.warns(SeriesReadWarning, match=r"filled 3 missing value\(s\) \(3 missing "
                      r"date\(s\)\) by interpolate"):
        y = read_series(path, fill="interpolate")
    assert_series(y, "2018-01-01", "W-MON", values)  # a straight line, interpolated exactly


def test_float_years_are_years_not_nanoseconds(tmp_path):
    sunspots = load_sunspots()
    path = tmp_path / "sunspots.csv"
    pd.DataFrame({"YEAR": sunspots.index.year.astype(float),
                  "SUNACTIVITY": sunspots.to_numpy()}).to_csv(path, index=False)
    assert "1700.0" in path.read_text()
    y = read_quietly(path)
    assert_series(y, "1700-01-01", "YS-JAN", sunspots, name="SUNACTIVITY")
    assert y.index[-1].year == sunspots.index[-1].year


def test_integer_years_in_any_column_name(tmp_path):
    path = tmp_path / "years.csv"
    pd.DataFrame({"t": range(1901, 1961), "value": np.arange(60.0)}).to_csv(path, index=False)
    assert_series(read_quietly(path), "1901-01-01", "YS-JAN", np.arange(60.0), name="value")


def test_decimal_commas_and_semicolons(tmp_path):
    airline = load_airline().astype(float) + 0.25
    path = tmp_path / "airline_de.csv"
    airline.to_frame().to_csv(path, sep=";", decimal=",")
    assert "112,25" in path.read_text()
    assert_series(read_quietly(path), "1949-01-01", "MS", airline, name="passengers")
    with pytest.raises(SeriesFileError, match=r"no numeric column.*pass decimal=','"):
        read_series(path, decimal=".")


def test_day_first_dates(tmp_path):
    days = pd.date_range("2020-01-01", periods=60, freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"Datum": days.strftime("%d/%m/%Y"), "load": np.arange(60.0)}).to_csv(
        path, index=False)
    assert_series(read_quietly(path), "2020-01-01", "D", np.arange(60.0))  # 13/01 proves it
    dotted = tmp_path / "dotted.csv"
    pd.DataFrame({"Datum": days.strftime("%d.%m.%Y"), "load": np.arange(60.0)}).to_csv(
        dotted, index=False, sep=";")
    assert_series(read_quietly(dotted), "2020-01-01", "D", np.arange(60.0))


def test_day_first_dates_with_a_time_of_day(tmp_path):
    hours = pd.date_range("2020-01-10", periods=96, freq="h")  # days 10 to 13: 13 proves it
    path = tmp_path / "hourly.csv"
    pd.DataFrame({"Zeit": hours.strftime("%d.%m.%Y %H:%M"), "v": np.arange(96.0)}).to_csv(
        path, index=False, sep=";")
    assert_series(read_quietly(path), "2020-01-10", "h", np.arange(96.0))
    pd.DataFrame({"Zeit": hours[:48].strftime("%d.%m.%Y %H:%M"), "v": np.arange(48.0)}).to_csv(
        path, index=False, sep=";")  # days 10 and 11 only: the file cannot tell
    with pytest.raises(SeriesFileError, match="may be day first or month first"):
        read_series(path)
    assert_series(read_quietly(path, dayfirst=True), "2020-01-10", "h", np.arange(48.0))


def test_ambiguous_dates_need_dayfirst(tmp_path):
    months = pd.date_range("1950-01-01", periods=24, freq="MS")
    path = tmp_path / "monthly.csv"
    pd.DataFrame({"date": months.strftime("%d/%m/%Y"), "v": np.arange(24.0)}).to_csv(
        path, index=False)
    with pytest.raises(SeriesFileError, match=r"may be day first or month first.*"
                       r"dayfirst=True or dayfirst=False"):
        read_series(path)
    assert_series(read_quietly(path, dayfirst=True), "1950-01-01", "MS", np.arange(24.0))
    assert_series(read_quietly(path, date_format="%d/%m/%Y"), "1950-01-01", "MS",
                  np.arange(24.0))
    us = tmp_path / "us.csv"
    pd.DataFrame({"date": months.strftime("%m/%d/%Y"), "v": np.arange(24.0)}).to_csv(
        us, index=False)
    assert_series(read_quietly(us, dayfirst=False), "1950-01-01", "MS", np.arange(24.0))


def test_gaps_and_missing_values(tmp_path):
    days = pd.date_range("2021-03-01", periods=40, freq="D")
    values = np.arange(40.0)
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "y": values})
    frame.loc[5, "y"] = np.nan
    path = tmp_path / "gaps.csv"
    frame.drop(index=[10, 11]).to_csv(path, index=False)
    with pytest.raises(SeriesFileError) as error:
        read_series(path)
    assert str(error.value).startswith(f"{path}: 2021-03-11 is missing after 2021-03-10 (2 "
                                       "date(s) missing at the D frequency); row 6, column "
                                       "'y': a value is missing (1 empty cell(s)); pass fill=")
    with pytest.warns(SeriesReadWarning, match=r"filled 3 missing value\(s\) \(2 missing "
                      r"date\(s\) and 1 empty cell\(s\)\) by ffill"):
        y = read_series(path, fill="ffill")
    expected = values.copy()
    expected[5], expected[10:12] = 4, 9
    assert_series(y, "2021-03-01", "D", expected)
    with pytest.warns(SeriesReadWarning):
        assert read_series(path, fill="zero").iloc[[5, 10, 11]].tolist() == [0, 0, 0]


def test_trading_days(tmp_path):
    days = pd.bdate_range("2022-01-03", periods=120)
    holidays = days[[12, 50, 51, 90]]
    prices = pd.Series(50 + np.arange(120.0), index=days).drop(holidays)
    path = tmp_path / "prices.csv"
    prices.rename_axis("Date").rename("Close").to_csv(path)
    with pytest.raises(SeriesFileError, match=r"4 date\(s\) missing at the B frequency.*"
                       "pass fill="):
        read_series(path)
    with pytest.warns(SeriesReadWarning, match="filled 4"):
        y = read_series(path, freq="B", fill="ffill")
    assert y.index.freqstr == "B" and len(y) == 120 and y.index[0] == days[0]
    assert y[holidays[0]] == prices.iloc[11]


def test_weekends_missing_suggest_business_days(tmp_path):
    days = pd.bdate_range("2022-01-03", periods=30)
    path = tmp_path / "weekdays.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "v": np.arange(30.0)}).iloc[
        [0, 1, 2, 3, 4, 5, 10, 11, 12]].to_csv(path, index=False)
    # The weekdays of two weeks then a gap: the reader sees daily data missing weekends.
    with pytest.raises(SeriesFileError, match="pass freq='B' or fill="):
        read_series(path, freq="D")


def test_year_and_month_columns(tmp_path):
    months = pd.date_range("1950-01-01", periods=36, freq="MS")
    path = tmp_path / "ym.csv"
    pd.DataFrame({"year": months.year, "month": months.month, "v": np.arange(36.0)}).to_csv(
        path, index=False)
    assert_series(read_quietly(path), "1950-01-01", "MS", np.arange(36.0), name="v")
    named = tmp_path / "ym_names.csv"
    pd.DataFrame({"Year": months.year, "Month": months.strftime("%b"),
                  "v": np.arange(36.0)}).to_csv(named, index=False)
    assert_series(read_quietly(named), "1950-01-01", "MS", np.arange(36.0))
    quarters = tmp_path / "yq.csv"
    pd.DataFrame({"yr": np.repeat([2000, 2001], 4), "qtr": [1, 2, 3, 4] * 2,
                  "v": np.arange(8.0)}).to_csv(quarters, index=False)
    assert_series(read_quietly(quarters), "2000-01-01", "QS-JAN", np.arange(8.0))


@pytest.mark.parametrize("label, start, freq", [
    ("{y}Q{q}", "1990-01-01", "QS-JAN"), ("{y}-Q{q}", "1990-01-01", "QS-JAN"),
    ("{y}-W{w:02d}", "1990-01-01", "W-MON")])
def test_year_quarters_and_year_weeks(label, start, freq, tmp_path):
    labels = [label.format(y=1990 + k // 4, q=k % 4 + 1, w=k + 1) for k in range(40)] \
        if "W" not in label else [label.format(y=1990, w=k + 1) for k in range(40)]
    path = tmp_path / "periods.csv"
    pd.DataFrame({"period": labels, "v": np.arange(40.0)}).to_csv(path, index=False)
    assert_series(read_quietly(path), start, freq, np.arange(40.0))


def test_newest_first_is_sorted_with_a_notice(tmp_path):
    y = monthly()
    path = tmp_path / "newest.csv"
    y.iloc[::-1].rename_axis("date").to_csv(path)
    with pytest.warns(SeriesReadWarning, match="newest first; read oldest first"):
        read = read_series(path)
    assert_series(read, "2015-01-01", "MS", y)


def test_order_and_duplicates_name_their_rows(tmp_path):
    y = monthly(12)
    path = tmp_path / "bad.csv"
    y.iloc[[0, 1, 3, 2, 4]].rename_axis("date").to_csv(path)
    with pytest.raises(SeriesFileError, match="2015-03-01 at row 4 comes after 2015-04-01 at "
                       "row 3; sort the rows"):
        read_series(path)
    y.iloc[[0, 1, 1, 2]].rename_axis("date").to_csv(path)
    with pytest.raises(SeriesFileError, match="2015-02-01 appears twice, at rows 2 and 3"):
        read_series(path)


def test_unnamed_first_column_as_pandas_writes_it(tmp_path):
    y = monthly()
    dated = tmp_path / "dated.csv"
    y.to_csv(dated)  # an unnamed DatetimeIndex: the header starts with ","
    assert path_text_starts(dated, ",sales")
    assert_series(read_quietly(dated), "2015-01-01", "MS", y, name="sales")
    numbered = tmp_path / "numbered.csv"
    pd.DataFrame({"value": np.arange(30.0) * 2}).to_csv(numbered)  # index 0..29 written
    read = read_quietly(numbered)
    assert read.name == "value" and isinstance(read.index, pd.RangeIndex)
    np.testing.assert_array_equal(read.to_numpy(), np.arange(30.0) * 2)


def test_step_numbers_are_not_a_series(tmp_path):
    path = tmp_path / "steps.csv"
    pd.DataFrame({"t": range(1, 41), "value": np.arange(40.0) ** 2}).to_csv(path, index=False)
    for options in ({}, {"date_column": "t"}):
        read = read_quietly(path, **options)
        assert read.name == "value" and isinstance(read.index, pd.RangeIndex)
        np.testing.assert_array_equal(read.to_numpy(), np.arange(40.0) ** 2)


def path_text_starts(path, text):
    return path.read_text().startswith(text)


def test_booleans_and_text_are_refused(tmp_path):
    path = tmp_path / "flags.csv"
    pd.DataFrame({"date": monthly().index.strftime("%Y-%m-%d"), "open": [True, False] * 18,
                  "label": ["a"] * 36}).to_csv(path, index=False)
    with pytest.raises(SeriesFileError, match="column 'open' holds booleans"):
        read_series(path, column="open")
    with pytest.raises(SeriesFileError, match="column 'label' is not numeric"):
        read_series(path, column="label")
    with pytest.raises(SeriesFileError, match="no numeric column"):
        read_series(path)


def test_bad_cells_are_named_by_row_and_column(tmp_path):
    frame = pd.DataFrame({"date": monthly().index.strftime("%Y-%m-%d"),
                          "sales": np.arange(36.0)}).astype({"sales": object})
    frame.loc[16, "sales"] = "12O"
    frame.loc[3, "date"] = "soon"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(SeriesFileError, match="row 4, column 'date': 'soon' is not a date"):
        read_series(path)
    frame.loc[3, "date"] = "2015-04-01"
    frame.to_csv(path, index=False)
    with pytest.raises(SeriesFileError, match="row 17, column 'sales': '12O' is not a number"):
        read_series(path)
    frame.loc[16, "sales"] = "-inf"
    frame.to_csv(path, index=False)
    with pytest.raises(SeriesFileError, match="row 17, column 'sales': '-inf' is infinite"):
        read_series(path)


def test_several_columns_and_exclude(tmp_path):
    y = monthly()
    path = tmp_path / "exog.csv"
    pd.DataFrame({"date": y.index.strftime("%Y-%m-%d"), "price": np.ones(36),
                  "sales": y.to_numpy(), "promo": np.zeros(36)}).to_csv(path, index=False)
    assert read_quietly(path).name == "price"
    assert read_quietly(path, exclude=["price"]).name == "sales"
    X = read_quietly(path, column=["price", "promo"])
    assert list(X.columns) == ["price", "promo"] and X.index.freqstr == "MS"
    assert list(read_quietly(path, frame=True).columns) == ["price", "sales", "promo"]
    with pytest.raises(SeriesFileError, match="has no column 'cost'"):
        read_series(path, column=["price", "cost"])


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="needs pyarrow")
def test_parquet_with_a_datetime_index(tmp_path):
    y = monthly()
    path = tmp_path / "sales.parquet"
    y.to_frame().to_parquet(path)
    assert_series(read_quietly(path), "2015-01-01", "MS", y, name="sales")


def test_excel_without_openpyxl_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "openpyxl" else real_find_spec(name, *a))
    with pytest.raises(ImportError, match="needs openpyxl: pip install openpyxl"):
        read_series(path)


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="needs openpyxl")
def test_excel(tmp_path):
    y = monthly()
    path = tmp_path / "book.xlsx"
    y.rename_axis("Month").to_frame().to_excel(path)
    assert_series(read_quietly(path), "2015-01-01", "MS", y, name="sales")


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(SeriesFileError, match="no such file"):
        read_series(tmp_path / "nope.csv")
    path = tmp_path / "y.csv"
    monthly().to_csv(path)
    with pytest.raises(ValueError, match="fill must be one of"):
        read_series(path, fill="mean")
    with pytest.raises(ValueError, match="unknown frequency 'fortnight'"):
        read_series(path, freq="fortnight")
    with pytest.raises(SeriesFileError, match="2015-01-01 at row 1 is off the W-MON"):
        read_series(path, freq="W-MON")


def test_statsmodels_datasets_as_csv(tmp_path):
    """Three of statsmodels' bundled datasets, saved as their users save them."""
    datasets = pytest.importorskip("statsmodels.datasets")
    macro = datasets.macrodata.load_pandas().data  # year and quarter columns, as floats
    assert macro["year"].dtype == float
    macro.to_csv(tmp_path / "macro.csv", index=False)
    y = read_quietly(tmp_path / "macro.csv", column="realgdp")
    assert_series(y, "1959-01-01", "QS-JAN", macro["realgdp"], name="realgdp")
    datasets.sunspots.load_pandas().data.to_csv(tmp_path / "sun.csv", index=False)
    assert read_quietly(tmp_path / "sun.csv").index[[0, -1]].year.tolist() == [1700, 2008]
    co2 = datasets.co2.load_pandas().data  # weekly (W-SAT), 59 empty cells
    co2.to_csv(tmp_path / "co2.csv")
    with pytest.raises(SeriesFileError, match=r"co2.csv: row 7, column 'co2': a value is "
                       r"missing \(59 empty cell\(s\)\)"):
        read_series(tmp_path / "co2.csv")
    with pytest.warns(SeriesReadWarning, match="filled 59"):
        y = read_series(tmp_path / "co2.csv", fill="interpolate")
    assert y.index.freqstr == "W-SAT" and len(y) == len(co2) and not y.isna().any()
    np.testing.assert_array_equal(y.dropna().to_numpy()[:6], co2["co2"].to_numpy()[:6])
