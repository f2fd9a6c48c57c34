"""Regenerate the CSV files bundled in ``datasets/`` from installed packages.

The series come from data files shipped inside third-party Python packages
(pmdarima, statsmodels, vega_datasets), so nothing is downloaded. Those
packages are needed only to run this script, never by gatedts itself::

    pip install pmdarima statsmodels vega_datasets
    python datasets/make_datasets.py

Every CSV has a first column ``date`` (ISO 8601: ``YYYY-MM-DD``, or
``YYYY-MM-DDTHH:MM`` for hourly data) followed by snake_case value columns.
Output is deterministic: rerunning the script with the same package versions
gives byte-identical files. See ``datasets/README.md`` for sources, licences
and the cleaning applied (co2 resampling, one interpolated sf_temps hour).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

# Renames statsmodels' terse macrodata names to self-explanatory snake_case.
MACRO_COLUMNS = {
    "realgdp": "real_gdp",
    "realcons": "real_consumption",
    "realinv": "real_investment",
    "realgovt": "real_government",
    "realdpi": "real_disposable_income",
    "cpi": "cpi",
    "m1": "m1",
    "tbilrate": "tbill_rate",
    "unemp": "unemployment",
    "pop": "population",
    "infl": "inflation",
    "realint": "real_interest_rate",
}


def airline() -> pd.DataFrame:
    from pmdarima.datasets import load_airpassengers

    values = np.asarray(load_airpassengers(), dtype=np.float64)
    assert len(values) == 144 and values[0] == 112 and values[-1] == 432
    assert np.all(values == np.round(values))
    dates = pd.date_range("1949-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"date": dates, "passengers": values.astype(np.int64)})


def sunspots() -> pd.DataFrame:
    import statsmodels.api as sm

    raw = sm.datasets.sunspots.load_pandas().data
    years = raw["YEAR"].to_numpy()
    assert np.array_equal(years, np.arange(1700, 2009))
    dates = pd.to_datetime({"year": years.astype(int), "month": 1, "day": 1})
    return pd.DataFrame({"date": dates, "sunspots": raw["SUNACTIVITY"].to_numpy()})


def co2() -> tuple[pd.DataFrame, dict[str, int]]:
    """Weekly Mauna Loa CO2 -> month-start means of the available weeks.

    Months with no valid week are filled by linear interpolation between the
    neighbouring months; the returned counts go into the README.
    """
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean()
    n_weeks = weekly.resample("MS").count()
    filled = monthly.interpolate(method="linear", limit_area="inside")
    assert not filled.isna().any()
    stats = {
        "weeks": len(weekly),
        "weeks_missing": int(weekly.isna().sum()),
        "months": len(monthly),
        "months_interpolated": int(monthly.isna().sum()),
        "months_partial": int(((n_weeks > 0) & (n_weeks < 4)).sum()),
    }
    frame = pd.DataFrame({"date": filled.index, "co2": filled.round(3).to_numpy()})
    return frame, stats


def seattle_weather() -> pd.DataFrame:
    from vega_datasets import data

    raw = data.seattle_weather()
    assert raw["date"].is_monotonic_increasing and not raw.isna().any().any()
    return raw[["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]]


def sf_temps() -> tuple[pd.DataFrame, dict[str, int]]:
    """Hourly SF temperatures; hours absent from the source are interpolated.

    The source skips 2010-03-14 03:00 (the spring-forward DST hour).
    """
    from vega_datasets import data

    raw = data.sf_temps().set_index("date")["temp"]
    assert raw.index.is_unique and raw.index.is_monotonic_increasing
    hours = pd.date_range("2010-01-01 00:00", "2010-12-31 23:00", freq="h")
    full = raw.reindex(hours)
    n_missing = int(full.isna().sum())
    full = full.interpolate(method="linear", limit_area="inside").round(2)
    frame = pd.DataFrame({"date": hours, "temperature": full.to_numpy()})
    return frame, {"hours_interpolated": n_missing}


def macrodata() -> pd.DataFrame:
    import statsmodels.api as sm

    raw = sm.datasets.macrodata.load_pandas().data
    dates = pd.to_datetime(
        {"year": raw["year"].astype(int), "month": 3 * raw["quarter"].astype(int) - 2, "day": 1}
    )
    frame = raw[list(MACRO_COLUMNS)].rename(columns=MACRO_COLUMNS)
    frame.insert(0, "date", dates)
    return frame


def write_csv(frame: pd.DataFrame, name: str, hourly: bool = False) -> pd.DataFrame:
    """Write ``datasets/<name>.csv`` with ISO date strings; return what was written."""
    frame = frame.copy()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%dT%H:%M" if hourly else "%Y-%m-%d")
    frame.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n")
    return frame


def main() -> None:
    co2_frame, co2_stats = co2()
    sf_frame, sf_stats = sf_temps()
    frames = {
        "airline": (airline(), False),
        "sunspots": (sunspots(), False),
        "co2": (co2_frame, False),
        "seattle_weather": (seattle_weather(), False),
        "sf_temps": (sf_frame, True),
        "macrodata": (macrodata(), False),
    }
    for name, (frame, hourly) in frames.items():
        written = write_csv(frame, name, hourly=hourly)
        first, last = written["date"].iloc[0], written["date"].iloc[-1]
        print(f"{name}.csv".ljust(22), f"{len(written):5d} rows  {first} .. {last}")
    print("co2:", co2_stats)
    print("sf_temps:", sf_stats)
    for package in ("pmdarima", "statsmodels", "vega_datasets", "pandas", "numpy"):
        print(f"{package}=={importlib.metadata.version(package)}")


if __name__ == "__main__":
    main()
