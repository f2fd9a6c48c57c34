"""Read a time series from a user's file: CSV, Parquet or Excel.

:func:`read_series` turns a file as people export it (from Excel, a database
or pandas) into a float Series with a regular, dated index, or says in one
sentence what is wrong and which option fixes it. It never guesses silently:
a date column is found by its content, day-first dates are taken as such only
when a day above 12 proves it, gaps and missing values are an error unless
``fill`` says how to fill them, and what it did to the data (sorting a
newest-first file, filling) is reported as a :class:`SeriesReadWarning`.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FILLS", "SeriesFileError", "SeriesReadWarning", "read_series"]

FILLS = ("ffill", "interpolate", "zero")
_SEPARATORS = ",;\t|"
_SHOWN_BAD_CELLS = 5  # an error names this many bad cells, then counts the rest
_YEAR_NAMES = ("year", "yr", "jahr", "año", "ano", "anno", "année", "annee", "jaar", "ar", "år")
_MONTH_NAMES = ("month", "mon", "monat", "mes", "mois", "mese", "maand", "manad", "månad")
_QUARTER_NAMES = ("quarter", "qtr", "quartal", "trimestre", "kwartaal", "kvartal")
# Headers that promise timestamps: a column so named that holds none is an error, not data.
_DATE_NAMES = ("date", "datetime", "time", "timestamp", "ds", "period", "day", "week",
               "datum", "fecha", "data", "date_time", "zeit", "tag", "jour", "dia", "día")
_YEAR_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_YEAR_WEEK = re.compile(r"^(\d{4})\s*-?\s*[Ww](\d{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})([ T]\d{1,2}:\d\d.*)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d*[.,]?\d+$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d*,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")


class SeriesReadWarning(UserWarning):
    """:func:`read_series` changed the data as asked or as it had to: sorted or filled it."""


class SeriesFileError(ValueError):
    """A file that :func:`read_series` cannot turn into a series, and how to fix it.

    Attributes
    ----------
    problem : str
        What is wrong, naming the file, the row (1-based, the header not
        counted) and the column.
    fixes : tuple of (str, tuple)
        The :func:`read_series` parameters that would fix it and their
        values, e.g. ``(("fill", ("ffill", "interpolate", "zero")),)``. The
        message names them as Python arguments; the ``gatedts`` command names
        them as its flags (:meth:`describe`).
    """

    def __init__(self, problem: str, fixes: Sequence[tuple[str, tuple]] = ()) -> None:
        self.problem = problem
        self.fixes = tuple(fixes)
        super().__init__(self.describe())

    def describe(self, option: Callable[[str, tuple], str] | None = None) -> str:
        """The message, each fix written by ``option(name, values)`` (default: ``name=value``)."""
        if not self.fixes:
            return self.problem
        option = option or _python_option
        return f"{self.problem}; pass {' or '.join(option(n, v) for n, v in self.fixes)}"


def _python_option(name, values):
    return " or ".join(f"{name}={value!r}" for value in values)


def read_series(path: str | os.PathLike, column: str | Sequence[str] | None = None,
                date_column: str | Sequence[str] | None = None, sep: str | None = None,
                decimal: str | None = None, dayfirst: bool | None = None,
                date_format: str | None = None, freq: str | pd.DateOffset | None = None,
                fill: str | None = None, *, frame: bool = False,
                exclude: Sequence[str] = ()) -> pd.Series | pd.DataFrame:
    """Read a series (or several columns) with a regular DatetimeIndex from a file.

    Parameters
    ----------
    path : str or path-like
        A CSV file (any other extension is read as CSV), ``.parquet``, or
        ``.xlsx`` / ``.xls`` (through ``openpyxl``, an optional dependency).
    column : str or list of str, optional
        The column to read (a Series), or several (a DataFrame). Default: the
        first numeric column that is not a date column or in ``exclude``.
    date_column : str or list of two str, optional
        The column of timestamps, or a year column and a month (or quarter)
        column. Default: found by content, whatever its header: the first
        column whose every value is a date (ISO ``2024-01-31``, ``31/01/2024``,
        ``Jan 2024``, ...), a year-quarter (``1990Q1``, ``1990-Q1``), a
        year-week (``2024-W05``) or, in a numeric column named like a year or
        holding consecutive years, a year (``1949``, ``1700.0``); else a year
        column next to a month or quarter column. A first
        column of row numbers (0, 1, 2, ... or 1, 2, 3, ..., as
        ``DataFrame.to_csv`` writes an unnamed index) is dropped, as is a
        ``date_column`` of them. Without a date column the rows are numbered
        0, 1, 2, ...
    sep : str, optional
        CSV field separator. Default: detected among ``,`` ``;`` tab ``|``.
    decimal : {".", ","}, optional
        Decimal mark of the numbers. Default: ``","`` when numbers are written
        with a comma and none with a point (``12,5`` in a ``;``-separated file).
    dayfirst : bool, optional
        Whether dates like ``01/02/2024`` are day first. Default: detected
        when a day above 12 proves it, an error when the file cannot tell.
    date_format : str, optional
        strftime format of the dates, e.g. ``"%d.%m.%Y"``.
    freq : str or DateOffset, optional
        Frequency of the series, e.g. ``"B"`` for trading days (business
        days with holidays missing). Default: inferred from the timestamps.
    fill : {"ffill", "interpolate", "zero"}, optional
        How to fill missing timestamps and empty cells: the last value,
        linear interpolation, or zero. Default: they are an error that names
        the first one.
    frame : bool, default False
        Return a DataFrame: of the ``column`` list, or of every numeric
        column (but the dates and ``exclude``) when ``column`` is None.
    exclude : sequence of str, default ()
        Columns never chosen by default (e.g. the exogenous ones).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Floats on a DatetimeIndex whose ``freq`` is set (a RangeIndex without
        a date column), in time order, named after the column(s) read.

    Raises
    ------
    SeriesFileError
        (a ``ValueError``) The file is missing or unreadable; a cell is not a
        number or not a date (named by its 1-based row and its column); dates
        are duplicated, unsorted, ambiguous or off the frequency; a value or
        timestamp is missing without ``fill``; the column holds booleans or
        text. The message says which parameter fixes it.
    ImportError
        An Excel file without ``openpyxl`` (or Parquet without ``pyarrow``).

    Warns
    -----
    SeriesReadWarning
        When a newest-first file is sorted, and with ``fill``, how many values
        were filled.

    Examples
    --------
    >>> y = read_series("sales.csv")                               # doctest: +SKIP
    >>> y = read_series("prices.csv", freq="B", fill="ffill")      # doctest: +SKIP
    >>> X = read_series("sales.csv", column=["price", "promo"])    # doctest: +SKIP
    """
    path = Path(path)
    _check_options(decimal, fill, sep)
    raw = _read_raw(path, sep)
    if raw.empty:
        raise SeriesFileError(f"{path} has no data rows")
    decimal = decimal or _detect_decimal(raw)
    rows = raw.index.to_numpy() + 1  # 1-based data rows of the file, the header not counted
    raw = raw.reset_index(drop=True)
    times, used = _find_times(raw, date_column, dayfirst, date_format, str(path), rows)
    data = raw.drop(columns=used)
    names, as_frame = _choose_columns(data, column, exclude, frame, decimal, str(path))
    table = pd.DataFrame({name: _numbers(data[name], decimal, rows) for name in names})
    if times is None:
        table = table.set_axis(pd.RangeIndex(len(table)))
        table = _fill(table, pd.Index([]), fill, str(path), rows, None)
    else:
        table, rows = _in_time_order(table.set_axis(times), rows, str(path))
        offset = _frequency(table.index, freq, rows, str(path))
        full = pd.date_range(table.index[0], table.index[-1], freq=offset, name=times.name)
        missing = full.difference(table.index)
        table = _fill(table.reindex(full), missing, fill, str(path), rows, offset)
    return table if as_frame else table[names[0]]


def _check_options(decimal, fill, sep):
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if fill is not None and fill not in FILLS:
        raise ValueError(f"fill must be one of {', '.join(map(repr, FILLS))}, got {fill!r}")
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ValueError(f"sep must be one character, got {sep!r}")


# ---------------------------------------------------------------- the raw table


def _read_raw(path: Path, sep) -> pd.DataFrame:
    """The file's cells: text for CSV, as stored for Parquet and Excel; no index."""
    if not path.is_file():
        raise SeriesFileError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            raw = pd.read_parquet(path)
            raw = raw if isinstance(raw.index, pd.RangeIndex) else raw.reset_index()
        elif suffix in (".xlsx", ".xls", ".xlsm"):
            if importlib.util.find_spec("openpyxl") is None:
                raise ImportError(f"reading {path.name} needs openpyxl: pip install openpyxl "
                                  "(or save the sheet as CSV)")
            raw = pd.read_excel(path)
        else:
            raw = pd.read_csv(path, sep=sep or _sniff_separator(path), dtype=str,
                              skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError, OSError) as exc:
        what = {".parquet": "Parquet", ".xlsx": "Excel", ".xls": "Excel"}.get(suffix, "CSV")
        raise SeriesFileError(f"cannot read {path} as {what}: {_one_line(exc)}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw.dropna(how="all")  # empty lines (Excel's trailing ones); row labels kept


def _sniff_separator(path):
    with open(path, newline="", errors="replace") as file:
        sample = file.read(64_000)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_SEPARATORS).delimiter
    except csv.Error:  # one column, or nothing to tell: pandas' default
        return ","


def _text(values: pd.Series) -> pd.Series:
    """Non-missing cells as stripped text."""
    return values.dropna().astype(str).str.strip()


def _detect_decimal(raw) -> str:
    """',' when numbers in text columns have a decimal comma and none a decimal point."""
    comma = point = 0
    for name in raw.columns:
        if pd.api.types.is_string_dtype(raw[name]) or raw[name].dtype == object:
            text = _text(raw[name])
            comma += text.str.fullmatch(_COMMA_DECIMAL).sum()
            point += text.str.fullmatch(_DOT_DECIMAL).sum()
    return "," if comma and not point else "."


# ---------------------------------------------------------------- numbers


def _is_boolean(values) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    text = _text(values).str.lower()
    return len(text) > 0 and text.isin(("true", "false")).all()


def _as_numbers(values: pd.Series, decimal) -> pd.Series:
    """Floats, NaN where a cell is empty or not a number."""
    if pd.api.types.is_bool_dtype(values):
        return pd.Series(np.nan, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).str.strip().where(values.notna())
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def _mostly_numbers(values, decimal) -> bool:
    if _is_boolean(values) or values.notna().sum() == 0:
        return False
    return _as_numbers(values, decimal)[values.notna()].notna().mean() >= 0.5


def _numbers(values: pd.Series, decimal, rows) -> pd.Series:
    """A column as floats (NaN where empty); errors name its bad cells."""
    name = values.name
    if _is_boolean(values):
        raise SeriesFileError(f"column {name!r} holds booleans (True/False), not numbers; "
                              "choose a numeric column")
    numbers = _as_numbers(values, decimal)
    bad = numbers.isna() & values.notna()
    if bad.all() and bad.any():
        example = values.dropna().iloc[0]
        raise SeriesFileError(f"column {name!r} is not numeric (e.g. {example!r}); choose a "
                              "numeric column", _decimal_fix(values, decimal))
    if bad.any():
        raise SeriesFileError(_cells(values, bad, rows, "is not a number"),
                              _decimal_fix(values, decimal))
    if np.isinf(numbers).any():
        raise SeriesFileError(_cells(values, np.isinf(numbers), rows, "is infinite"))
    return numbers


def _decimal_fix(values, decimal):
    if decimal != "," and _text(values).str.fullmatch(_COMMA_DECIMAL).any():
        return (("decimal", (",",)),)
    return ()


def _cells(values, mask, rows, problem):
    """"row 17, column 'sales': '12O' is not a number; row 40, ...; and 3 more"."""
    where = np.flatnonzero(np.asarray(mask))
    shown = [f"row {rows[i]}, column {values.name!r}: "
             + ("a value" if pd.isna(values.iloc[i]) else repr(values.iloc[i])) + f" {problem}"
             for i in where[:_SHOWN_BAD_CELLS]]
    more = len(where) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def _choose_columns(data, column, exclude, frame, decimal, where):
    """The names of the columns to read, and whether to return a DataFrame."""
    if column is None:
        numeric = [c for c in data.columns if c not in exclude
                   and _mostly_numbers(data[c], decimal)]
        if not numeric:
            fixes = next(filter(None, (_decimal_fix(data[c], decimal) for c in data.columns)),
                         ())
            raise SeriesFileError(f"{where} has no numeric column to forecast (columns: "
                                  f"{', '.join(data.columns)})", fixes)
        return (numeric if frame else numeric[:1]), frame
    names = [column] if isinstance(column, str) else list(column)
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise SeriesFileError(f"{where} has no column {', '.join(map(repr, missing))} "
                              f"(columns: {', '.join(data.columns)})")
    return names, frame or not isinstance(column, str)


# ---------------------------------------------------------------- timestamps


def _find_times(raw, date_column, dayfirst, date_format, where, rows):
    """The DatetimeIndex of the rows (or None) and the columns it was made from."""
    if date_column is not None:
        names = [date_column] if isinstance(date_column, str) else list(date_column)
        missing = [c for c in names if c not in raw.columns]
        if missing or not 1 <= len(names) <= 2:
            raise SeriesFileError(f"{where} has no column {', '.join(map(repr, missing))} "
                                  f"(columns: {', '.join(raw.columns)})" if missing else
                                  "date_column must be one column or a year and a month "
                                  f"(or quarter) column, got {date_column!r}")
        if len(names) == 2:
            return _year_and_period(raw[names[0]], raw[names[1]], where, rows), names
        if _row_numbers(raw[names[0]]):
            return None, names  # step numbers: the rows are numbered
        return _times(raw[names[0]], dayfirst, date_format, where, rows, strict=True), names
    first = raw.columns[0]
    if raw.shape[1] > 1 and _row_numbers(raw[first]):
        raw = raw.drop(columns=first)  # an index of row numbers, as to_csv writes it
        dropped = [first]
    else:
        dropped = []
    for name in raw.columns:
        times = _times(raw[name], dayfirst, date_format, where, rows, strict=False)
        if times is not None:  # an unnamed index column, as to_csv writes it, stays unnamed
            return times.rename(None if name.startswith("Unnamed: ") else name), [*dropped, name]
    pair = _year_and_period_columns(raw)
    if pair:
        return _year_and_period(raw[pair[0]], raw[pair[1]], where, rows), \
            [*dropped, *pair]
    named = [c for c in raw.columns if _named(c, _DATE_NAMES)]
    if named:  # raises, naming the cells that are not dates
        _times(raw[named[0]], dayfirst, date_format, where, rows, strict=True)
    return None, dropped


def _row_numbers(values) -> bool:
    """Whether ``values`` number the rows: 0, 1, 2, ... or 1, 2, 3, ..."""
    if _is_boolean(values):
        return False
    numbers = pd.to_numeric(values, errors="coerce").to_numpy()
    return len(numbers) > 1 and numbers[0] in (0, 1) and (np.diff(numbers) == 1).all()


def _named(name, names) -> bool:
    return str(name).strip().lower() in names


def _times(values, dayfirst, date_format, where, rows, strict):
    """Timestamps of a column, or None when it is not one (``strict``: an error instead)."""
    name = values.name
    what = f"column {name!r} of {where}"
    if values.isna().any():
        if not strict and not values.notna().any():
            return None
        present = values.notna().to_numpy()
        if strict or _times(values[present], dayfirst, date_format, where, rows[present],
                            strict=False) is not None:
            raise SeriesFileError(f"{what} has a missing date at row "
                                  f"{rows[np.flatnonzero(~present)[0]]}")
        return None
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.DatetimeIndex(values, name=name)
    if _is_boolean(values):
        return _not_dates(values, strict, what)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return _years(numbers, strict, what)
    text = values.astype(str).str.strip()
    for pattern, build in ((_YEAR_QUARTER, _quarter_starts), (_YEAR_WEEK, _week_starts)):
        parts = text.str.extract(pattern)
        if parts.notna().all(axis=None):
            return pd.DatetimeIndex(build(parts[0].astype(int), parts[1].astype(int)), name=name)
    if not strict and (text.str.contains(r"\d").mean() < 0.5
                       or text.str.fullmatch(_PLAIN_NUMBER).any()):
        return None  # words, or numbers with a decimal mark: not dates
    dates = _dates(text, dayfirst, date_format, what)
    bad = dates.isna()
    if not bad.any():
        return pd.DatetimeIndex(dates, name=name)
    if strict or bad.mean() < 0.5:
        raise SeriesFileError(f"cannot parse {what} as dates: " + _cells(
            values, bad, rows,
            "is not a date (dates, years or year-quarters like 1990Q1)"),
            () if date_format else (("date_format", ("%d.%m.%Y",)),))
    return None


def _not_dates(values, strict, what):
    if strict:
        raise SeriesFileError(f"{what} holds no dates (e.g. {values.iloc[0]!r})")
    return None


def _years(numbers, strict, what):
    """Whole numbers 1000..2999 as the first day of each year, when they are years."""
    whole = (numbers == numbers.round()).all() and numbers.between(1000, 2999).all()
    consecutive = (np.diff(numbers.to_numpy()) == 1).all() or (
        np.diff(numbers.to_numpy()) == -1).all()
    named = _named(numbers.name, _YEAR_NAMES) and numbers.is_unique
    if whole and (consecutive or named or strict):
        return pd.DatetimeIndex(_year_starts(numbers.astype(int)), name=numbers.name)
    if strict:
        raise SeriesFileError(f"{what} holds numbers that are not years (e.g. "
                              f"{numbers.iloc[0]!r}); dates, years (1949) or year-quarters "
                              "(1990Q1) date a series")
    return None


def _year_starts(years):
    return pd.to_datetime(years.astype(str).str.zfill(4), format="%Y")


def _quarter_starts(years, quarters):
    return pd.to_datetime(years.astype(str) + "-" + (3 * quarters - 2).astype(str).str.zfill(2),
                          format="%Y-%m")


def _week_starts(years, weeks):
    return pd.to_datetime(years.astype(str) + "-W" + weeks.astype(str).str.zfill(2) + "-1",
                          format="%G-W%V-%u", errors="coerce")


def _dates(text, dayfirst, date_format, what):
    """Parsed dates (NaT where a cell is not one); day-first only when proven or asked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if date_format:
            return pd.to_datetime(text, format=date_format, errors="coerce")
        parts = text.str.extract(_DAY_MONTH_YEAR)
        if parts[[0, 1, 2, 3]].notna().all(axis=None):
            first, second = parts[0].astype(int), parts[2].astype(int)
            if dayfirst is None:
                if (first > 12).any() and (second > 12).any():
                    return pd.Series(pd.NaT, index=text.index)
                if not (first > 12).any() and not (second > 12).any():
                    raise SeriesFileError(
                        f"{what} holds dates like {text.iloc[0]!r}, which may be day first "
                        "or month first, and no day above 12 tells which",
                        (("dayfirst", (True, False)),))
                dayfirst = bool((first > 12).any())
            if parts[4].notna().any():  # a time of day too
                return pd.to_datetime(text, format="mixed", dayfirst=dayfirst, errors="coerce")
            year = "%Y" if len(parts[3].iloc[0]) == 4 else "%y"
            order = "%d{0}%m{0}" if dayfirst else "%m{0}%d{0}"
            return pd.to_datetime(text, format=order.format(parts[1].iloc[0]) + year,
                                  errors="coerce")
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if iso.notna().all():
            return iso
        return pd.to_datetime(text, format="mixed", dayfirst=bool(dayfirst), errors="coerce")


def _year_and_period_columns(raw):
    """A year column and a month or quarter column, found by their names, or None."""
    years = [c for c in raw.columns if _named(c, _YEAR_NAMES)]
    periods = [c for c in raw.columns if _named(c, _MONTH_NAMES + _QUARTER_NAMES)]
    return (years[0], periods[0]) if years and periods else None


def _year_and_period(years, periods, where, rows):
    """Dates from a year column and a month (1-12, Jan, January) or quarter (1-4, Q1) column."""
    numbers = pd.to_numeric(years, errors="coerce")
    if numbers.isna().any() or not (numbers == numbers.round()).all():
        bad = numbers.isna() | (numbers != numbers.round())
        raise SeriesFileError(f"cannot read column {years.name!r} of {where} as years: "
                              + _cells(years, bad, rows, "is not a year"))
    text = periods.astype(str).str.strip().str.lower()
    quarterly = _named(periods.name, _QUARTER_NAMES)
    if quarterly:
        index = pd.to_numeric(text.str.removeprefix("q"), errors="coerce")
        valid = index.between(1, 4)
        month = 3 * index - 2
    else:
        month = pd.to_numeric(text, errors="coerce")
        named = pd.to_datetime(text.str[:3], format="%b", errors="coerce").dt.month
        month = month.fillna(named)
        valid = month.between(1, 12)
    if not valid.all():
        kind = "quarter (1-4)" if quarterly else "month (1-12 or a month name)"
        raise SeriesFileError(f"cannot read column {periods.name!r} of {where}: " + _cells(
            periods, ~valid, rows, f"is not a {kind}"))
    dates = pd.to_datetime(numbers.astype(int).astype(str).str.zfill(4) + "-"
                           + month.astype(int).astype(str).str.zfill(2), format="%Y-%m")
    return pd.DatetimeIndex(dates, name="date")


# ---------------------------------------------------------------- order, frequency, gaps


def _stamp(ts) -> str:
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def _in_time_order(table, rows, where):
    """The table oldest first (a newest-first file is reversed, with a warning)."""
    index = table.index
    if index.is_monotonic_decreasing and len(index) > 1 and index[0] != index[-1]:
        warnings.warn(f"{where}: the dates run newest first; read oldest first",
                      SeriesReadWarning, stacklevel=3)
        table, rows, index = table.iloc[::-1], rows[::-1], index[::-1]
    duplicated = index.duplicated()
    if duplicated.any():
        i = int(np.flatnonzero(duplicated)[0])
        first = int(np.flatnonzero(index == index[i])[0])
        raise SeriesFileError(f"{where}: the date {_stamp(index[i])} appears twice, at rows "
                              f"{rows[first]} and {rows[i]}; keep one row per date")
    if not index.is_monotonic_increasing:
        i = int(np.flatnonzero(np.diff(index.asi8) < 0)[0]) + 1
        raise SeriesFileError(f"{where}: the dates are not in order: {_stamp(index[i])} at row "
                              f"{rows[i]} comes after {_stamp(index[i - 1])} at row "
                              f"{rows[i - 1]}; sort the rows by date")
    return table, rows


def _frequency(index, freq, rows, where):
    """The offset of the timestamps: ``freq``, or the one that fits them with fewest gaps."""
    if freq is not None:
        try:
            offset = pd.tseries.frequencies.to_offset(freq)
        except ValueError:
            raise ValueError(f"freq: unknown frequency {freq!r} (e.g. 'D', 'B', 'W-MON', "
                             "'MS', 'QS', 'YS', 'h')") from None
        candidates = [offset]
    else:
        if len(index) < 3:
            raise SeriesFileError(f"{where}: cannot infer the frequency of {len(index)} "
                                  "timestamps", (("freq", ("D", "W-MON", "MS")),))
        candidates = _candidate_offsets(index)
    best = None
    for offset in candidates:
        full = pd.date_range(index[0], index[-1], freq=offset)
        if index.isin(full).all() and (best is None or len(full) < best[1]):
            best = offset, len(full)
    if best is not None:
        return best[0]
    offset = candidates[0] if candidates else None
    if offset is None:
        raise SeriesFileError(f"{where}: the dates have no regular frequency",
                              (("freq", ("D", "B", "W-MON", "MS")),))
    full = pd.date_range(index[0], index[-1], freq=offset)
    i = int(np.flatnonzero(~index.isin(full))[0])
    raise SeriesFileError(f"{where}: the date {_stamp(index[i])} at row {rows[i]} is off the "
                          f"{offset.freqstr} frequency of the others",
                          () if freq is not None else (("freq", ("D", "B", "W-MON", "MS")),))


def _candidate_offsets(index):
    """Frequencies inferred from short runs of timestamps spread over the index."""
    offsets = []
    starts = np.unique(np.linspace(0, len(index) - 3, min(25, len(index) - 2)).astype(int))
    for start in starts:
        for length in (5, 4, 3):
            offset = pd.DatetimeIndex(index[start:start + length], freq="infer").freq \
                if start + length <= len(index) else None
            if offset is not None:
                if offset not in offsets:
                    offsets.append(offset)
                break
    return offsets


def _fill(table, missing, fill, where, rows, offset):
    """Fill the missing timestamps and empty cells, or raise naming the first."""
    empty = table.isna()
    n_empty = int(empty.to_numpy().sum())
    if not n_empty:
        return table.asfreq(offset) if offset is not None else table
    n_cells = n_empty - len(missing) * table.shape[1]
    if fill is None:
        raise SeriesFileError(_first_gap(table, missing, where, rows, offset, n_cells),
                              _gap_fixes(table.index.difference(missing), missing))
    if fill == "zero":
        filled = table.fillna(0.0)
    elif fill == "ffill":
        filled = table.ffill()
    else:
        filled = table.interpolate(method="linear")  # the last value after the end
    if filled.isna().to_numpy().any():
        raise SeriesFileError(f"{where}: the first value is missing, so fill={fill!r} has "
                              "nothing to fill it from; drop the leading rows",
                              (("fill", ("zero",)),) if fill != "zero" else ())
    parts = ([f"{len(missing)} missing date(s)"] if len(missing) else []) + (
        [f"{n_cells} empty cell(s)"] if n_cells else [])
    warnings.warn(f"{where}: filled {n_empty} missing value(s) ({' and '.join(parts)}) by "
                  f"{fill}", SeriesReadWarning, stacklevel=3)
    return filled.asfreq(offset) if offset is not None else filled


def _first_gap(table, missing, where, rows, offset, n_cells):
    """'sales.csv: 2020-03-02 is missing after 2020-02-24 (3 dates missing at the W-MON
    frequency)' or 'row 6, column 'sales': a value is missing (2 empty cells)'."""
    text = []
    if len(missing):
        before = table.index[table.index.get_loc(missing[0]) - 1]
        text.append(f"{where}: {_stamp(missing[0])} is missing after {_stamp(before)} "
                    f"({len(missing)} date(s) missing at the {offset.freqstr} frequency)")
    if n_cells:
        present = table.index.difference(missing) if len(missing) else table.index
        cells = table.loc[present]
        for name in cells.columns:
            empty = cells[name].isna().to_numpy()
            if empty.any():
                i = int(np.flatnonzero(empty)[0])
                text.append(f"{'' if text else where + ': '}row {rows[i]}, column {name!r}: "
                            f"a value is missing ({n_cells} empty cell(s))")
                break
    return "; ".join(text)


def _gap_fixes(present, missing):
    fixes = [("fill", FILLS)]
    if len(missing) and (present.day_of_week < 5).all() and (missing.day_of_week >= 5).any():
        fixes.insert(0, ("freq", ("B",)))  # no weekend in the file: trading days
    return tuple(fixes)


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
