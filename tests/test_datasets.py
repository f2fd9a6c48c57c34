"""Bundled datasets: shape, dated index, known values, and packaging in the wheel."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gatedts import datasets
from gatedts.datasets import list_datasets, load_dataset

ROOT = Path(__file__).resolve().parent.parent

# name: (loader, length, freq, first date, last date, columns, first row, last row)
EXPECTED = {
    "airline": (
        datasets.load_airline, 144, pd.offsets.MonthBegin(), "1949-01-01", "1960-12-01",
        ["passengers"], [112], [432],
    ),
    "sunspots": (
        datasets.load_sunspots, 309, pd.offsets.YearBegin(month=1), "1700-01-01", "2008-01-01",
        ["sunspots"], [5.0], [2.9],
    ),
    "co2": (
        datasets.load_co2, 526, pd.offsets.MonthBegin(), "1958-03-01", "2001-12-01",
        ["co2"], [316.1], [371.02],
    ),
    "seattle_weather": (
        datasets.load_seattle_weather, 1461, pd.offsets.Day(), "2012-01-01", "2015-12-31",
        ["precipitation", "temp_max", "temp_min", "wind", "weather"],
        [0.0, 12.8, 5.0, 4.7, "drizzle"], [0.0, 5.6, -2.1, 3.5, "sun"],
    ),
    "sf_temps": (
        datasets.load_sf_temps, 8760, pd.offsets.Hour(), "2010-01-01 00:00", "2010-12-31 23:00",
        ["temperature"], [47.8], [48.3],
    ),
    "macrodata": (
        datasets.load_macrodata, 203, pd.offsets.QuarterBegin(startingMonth=1),
        "1959-01-01", "2009-07-01",
        ["real_gdp", "real_consumption", "real_investment", "real_government",
         "real_disposable_income", "cpi", "m1", "tbill_rate", "unemployment", "population",
         "inflation", "real_interest_rate"],
        [2710.349, 1707.4, 286.898, 470.045, 1886.9, 28.98, 139.7, 2.82, 5.8, 177.146, 0.0, 0.0],
        [12990.341, 9256.0, 1486.398, 1044.088, 10040.6, 216.385, 1673.9, 0.12, 9.6, 308.013,
         3.56, -3.44],
    ),
}  # fmt: skip

FREQSTR = {"airline": "MS", "sunspots": "YS-JAN", "co2": "MS", "seattle_weather": "D",
           "sf_temps": "h", "macrodata": "QS-JAN"}  # fmt: skip
# The "h" and "YS" spellings of freqstr date from pandas 2.2 ("H", "AS" before).
PANDAS_2_2 = tuple(int(part) for part in pd.__version__.split(".")[:2]) >= (2, 2)


def test_list_datasets():
    assert list_datasets() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader(name):
    loader, length, freq, first, last, columns, first_row, last_row = EXPECTED[name]
    data = loader()
    single = len(columns) == 1
    assert isinstance(data, pd.Series if single else pd.DataFrame)
    if single:
        assert data.name == columns[0]
        frame = data.to_frame()
    else:
        assert list(data.columns) == columns
        frame = data
    assert len(data) == length
    index = data.index
    assert isinstance(index, pd.DatetimeIndex)
    assert index.name == "date"
    assert index.freq == freq
    if PANDAS_2_2:
        assert index.freqstr == FREQSTR[name]
    assert index[0] == pd.Timestamp(first)
    assert index[-1] == pd.Timestamp(last)
    assert index.is_unique and index.is_monotonic_increasing
    assert not frame.isna().any().any()
    assert _rows_equal(frame.iloc[0], first_row)
    assert _rows_equal(frame.iloc[-1], last_row)
    for column in frame.columns:
        if column != "weather":
            assert np.issubdtype(frame[column].dtype, np.number)
    assert load_dataset(name).equals(data)


def _rows_equal(row, expected):
    return all(
        value == want if isinstance(want, str) else value == pytest.approx(want)
        for value, want in zip(row, expected, strict=True)
    )


def test_airline_values():
    y = datasets.load_airline()
    assert y.sum() == 40363
    assert y["1960"].tolist()[:3] == [417, 391, 419]


def test_seattle_weather_labels():
    weather = datasets.load_seattle_weather()["weather"]
    assert set(weather) == {"sun", "fog", "rain", "drizzle", "snow"}


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown dataset 'airlines'") as info:
        load_dataset("airlines")
    for name in EXPECTED:
        assert name in str(info.value)


def test_missing_data_dir(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets.resources, "files", lambda package: tmp_path / package)
    monkeypatch.setattr(datasets, "__file__", str(tmp_path / "site" / "gatedts" / "datasets.py"))
    with pytest.raises(FileNotFoundError, match="dataset files not found"):
        datasets.load_airline()


def test_packaged_dir_preferred(monkeypatch, tmp_path):
    packaged = tmp_path / "gatedts" / "_datasets"
    packaged.mkdir(parents=True)
    (packaged / "airline.csv").write_text("date,passengers\n2000-01-01,1\n2000-02-01,2\n")
    monkeypatch.setattr(datasets.resources, "files", lambda package: tmp_path / package)
    y = datasets.load_airline()
    assert y.tolist() == [1, 2]
    assert y.index.freq == pd.offsets.MonthBegin()


def test_file_with_other_columns_is_refused(monkeypatch, tmp_path):
    packaged = tmp_path / "gatedts" / "_datasets"
    packaged.mkdir(parents=True)
    (packaged / "airline.csv").write_text("date,value\n2000-01-01,1\n2000-02-01,2\n")
    monkeypatch.setattr(datasets.resources, "files", lambda package: tmp_path / package)
    with pytest.raises(ValueError, match=r"airline\.csv: columns \['value'\], expected "
                                         r"\('passengers',\)"):
        datasets.load_airline()


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory):
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling is not installed: cannot build the wheel without isolation")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
         "--no-build-isolation", "-q", "-w", str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (wheel,) = out.glob("gatedts-*.whl")
    return wheel


def test_wheel_contains_datasets(wheel_dir):
    names = set(zipfile.ZipFile(wheel_dir).namelist())
    for name in EXPECTED:
        assert f"gatedts/_datasets/{name}.csv" in names
        assert (ROOT / "datasets" / f"{name}.csv").is_file()


def test_load_from_unpacked_wheel(wheel_dir, tmp_path):
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel_dir).extractall(unpacked)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import gatedts, gatedts.datasets as d\n"
        "print(gatedts.__file__); print(d._data_dir())\n"
        "print(*[len(d.load_dataset(n)) for n in d.list_datasets()])\n"
    )
    # -I: no PYTHONPATH, user site or cwd on sys.path; the editable install's
    # .pth still adds the source tree, which the sys.path.insert outranks.
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(unpacked)],
        cwd=tmp_path, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    module_file, data_dir, lengths = result.stdout.strip().splitlines()
    assert Path(module_file).resolve().is_relative_to(unpacked.resolve())
    assert Path(data_dir).resolve() == (unpacked / "gatedts" / "_datasets").resolve()
    expected = [EXPECTED[name][1] for name in sorted(EXPECTED)]
    assert [int(n) for n in lengths.split()] == expected
