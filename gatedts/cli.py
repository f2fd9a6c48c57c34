"""The ``gatedts`` command: ``gatedts forecast``, ``gatedts compare`` and ``gatedts warm-up``.

Each subcommand is one ``add_<name>_parser`` function that registers its
arguments and one ``cmd_<name>(args)`` function that does the work; ``main``
only parses and turns user errors (a bad file or option, data the library's
input checks refuse, a missing optional dependency) into a one-line message
on stderr and a non-zero exit status; a bug keeps its traceback, and
``--debug`` shows the traceback of any error. Files are read by
:func:`gatedts.read_series` only. Ctrl-C ends the whole command with status
130; a closed stdout (``| head -1``) ends it quietly with status 141. Files
are written only at the end of a command, each to a temporary file then
renamed over its target, so a failed or interrupted run leaves existing files
as they were, and an output path that is an input file is refused.

    gatedts forecast --dataset airline --horizon 12 --plot airline_forecast.png
    gatedts forecast sales.csv --column units --date-column day --output fc.parquet
    gatedts forecast sales.csv --exog price --future-exog next_prices.csv
    gatedts forecast prices.csv --freq B --fill ffill --decimal , --dayfirst
    gatedts compare --dataset sunspots --seeds 5 --plot sunspots_cells.png
    gatedts warm-up
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .forecasting.ensemble import AUTO_CELLS
from .forecasting.windows import future_index
from .nn.cells import CELL_NAMES
from .reading import FILLS, SeriesFileError, SeriesReadWarning, read_series

__all__ = ["main"]

EXIT_USAGE = 2  # bad arguments (argparse's convention)
EXIT_ERROR = 1  # the arguments were fine, the data or the run were not
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, the shells' convention)
EXIT_BROKEN_PIPE = 141  # stdout closed early (128 + SIGPIPE, as `head` leaves other tools)

# Column forecast by default for the multi-column bundled datasets.
_DEFAULT_COLUMNS = {"seattle_weather": "temp_max", "macrodata": "real_gdp"}
_OUTPUT_FORMATS = (".csv", ".parquet", ".json")
_DATA_FORMATS = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls")
_PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
# The read_series parameters the command passes on, and their flags.
_READING_FLAGS = {"date_column": "--date-column", "sep": "--sep", "decimal": "--decimal",
                  "dayfirst": "--dayfirst", "date_format": "--date-format", "freq": "--freq",
                  "fill": "--fill"}


class UserError(Exception):
    """A problem with the user's input: reported in one line, without a traceback."""


# What a user's input or machine can cause, reported in one line: the library's input checks
# raise ValueError (SeriesFileError and ModelFileError are ValueErrors), a missing optional
# dependency ImportError, a full disk or a permission OSError. Anything else (TypeError,
# KeyError, AttributeError, ...) is a bug of gatedts and keeps its traceback.
_USER_ERRORS = (UserError, ValueError, OSError, ImportError)


class Interrupted(BaseException):
    """Ctrl-C during a command.

    Not a KeyboardInterrupt: the training loop catches those to stop the
    current fit gracefully (and warns), and only then does the Forecaster
    pass the interrupt on; Ctrl-C in the command ends it at once, without
    that warning.
    """


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr."""

    command_names: tuple[str, ...] = ()  # of the subcommands, set by build_parser

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text):
    return _integer(text, minimum=1, what="a positive integer")


def _count(text):
    return _integer(text, minimum=0, what="an integer >= 0")


def _integer(text, minimum, what):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {what}, got {value}")
    return value


def _names(text):
    """A comma-separated list of column or cell names."""
    return [name.strip() for name in text.split(",") if name.strip()]


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The ``gatedts`` argument parser with all subcommands registered."""
    parser = _Parser(prog="gatedts", description="Forecast time series with GRU, LSTM and "
                     "RNN networks. A CSV file or options without a subcommand mean "
                     "'gatedts forecast'.")
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"gatedts {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_forecast_parser(commands)
    add_compare_parser(commands)
    add_warm_up_parser(commands)
    parser.command_names = tuple(commands.choices)
    return parser


def _add_source_arguments(p):
    """The series: a file or a bundled dataset, which columns to read and how."""
    source = p.add_mutually_exclusive_group()
    source.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the series: a CSV "
                        "file (or .parquet, .xlsx) with a date column and a numeric column "
                        "(default: the bundled airline series)")
    source.add_argument("--dataset", metavar="NAME", help="a bundled dataset: airline, co2, "
                        "macrodata, seattle_weather, sf_temps, sunspots")
    p.add_argument("--column", metavar="C", help="column to forecast (default: the first "
                   "numeric column; temp_max / real_gdp for seattle_weather / macrodata)")
    reading = p.add_argument_group("reading FILE (default: detected)")
    reading.add_argument("--date-column", type=_date_columns, metavar="D",
                         help="column of the timestamps: dates, years (1949, 1949.0), "
                         "year-quarters (1990Q1) or year-weeks (2024-W05); or a year and a "
                         "month (or quarter) column, as Y,M (default: the first column that "
                         "holds them, whatever its header, or columns named year and month; "
                         "none: the rows are numbered)")
    reading.add_argument("--sep", metavar="S", help="CSV field separator (default: detected "
                         "among ',', ';', tab and '|')")
    reading.add_argument("--decimal", choices=[".", ","], metavar="MARK", help="decimal "
                         "mark, '.' or ',' (default: ',' when numbers are written 12,5 and "
                         "none 12.5)")
    reading.add_argument("--dayfirst", action=argparse.BooleanOptionalAction,
                         help="dates like 01/02/2024 are day first (default: detected when a "
                         "day above 12 proves it, else an error)")
    reading.add_argument("--date-format", metavar="F", help="format of the dates, e.g. "
                         "'%%d.%%m.%%Y' (Python's strftime codes)")
    reading.add_argument("--freq", type=_frequency, metavar="F", help="frequency of the series, "
                         "e.g. B for trading days, D, W-MON, MS, QS, YS, h (default: inferred)")
    reading.add_argument("--fill", choices=FILLS, help="fill missing dates and empty cells "
                         "with the last value, linear interpolation or zero, and say how many "
                         "(default: they are an error)")


def _date_columns(text):
    """One column name, or two (year,month) as a list."""
    names = _names(text)
    return names if len(names) > 1 else text.strip()


def _frequency(text):
    try:
        pd.tseries.frequencies.to_offset(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown frequency {text!r} (e.g. D, B, W-MON, MS, "
                                         "QS, YS, h)") from None
    return text


def _add_feedback_arguments(p):
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no notices or progress on stderr (errors and warnings remain)")
    p.add_argument("--progress", action="store_true",
                   help="progress bars on stderr even when it is not a terminal")
    _add_debug_argument(p)


def _add_debug_argument(p):
    p.add_argument("--debug", action="store_true", help="show the traceback of any error, "
                   "user errors included")


def add_forecast_parser(commands):
    """Register ``gatedts forecast``."""
    p = commands.add_parser(
        "forecast", help="fit a network, print a dated forecast and a backtest",
        description="Fit a recurrent network to one series, print the forecast with "
        "conformal prediction intervals and a rolling-origin backtest against seasonal "
        "naive; optionally save a plot and the forecast (.csv, .parquet or .json). Every "
        "pipeline choice left out is made by the Forecaster ('auto').")
    _add_source_arguments(p)
    p.add_argument("--horizon", "-H", type=_positive_int, metavar="H", help="steps to forecast "
                   "(default: one season of the data's frequency, e.g. 12 for monthly data; "
                   "10 without seasonality)")
    p.add_argument("--coverage", type=float, default=0.9,
                   help="prediction interval coverage (default: 0.9)")
    p.add_argument("--backtest", type=_count, default=3, metavar="N",
                   help="rolling-origin backtest over the last N horizons (default: 3; 0: skip)")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save a plot (needs matplotlib)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="save the forecast: "
                   ".csv, .parquet (needs pyarrow) or .json, by the file's extension")
    model = p.add_argument_group("model (default: the Forecaster's choices)")
    model.add_argument("--model", choices=[*CELL_NAMES, "auto", "pretrained"], default="gru",
                       help="recurrent cell; auto: a GRU and an LSTM weighted with a linear "
                       "autoregression, the pretrained network, seasonal naive, drift and a "
                       "damped trend by their errors on inner origins; pretrained: the "
                       "zero-shot network, no training (default: gru)")
    model.add_argument("--hidden-size", type=_positive_int, metavar="N",
                       help="units of each network (default: 32)")
    model.add_argument("--max-iter", type=_positive_int, metavar="E", help="epoch cap of "
                       "each network (default: 100,000 window passes, between 5 and 300 "
                       "epochs)")
    model.add_argument("--fine-tune", action="store_true",
                       help="with --model pretrained: first adapt the network to the series "
                       "(Adam on the pinball loss of its own windows)")
    model.add_argument("--n-models", type=_positive_int, default=1, metavar="K",
                       help="networks with different seeds, combined by the median "
                       "(default: 1; at least 2 with --model auto)")
    model.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    pipeline = p.add_argument_group("pipeline (default: chosen from the data)")
    pipeline.add_argument("--window", type=_positive_int, metavar="N",
                          help="input steps per forecast (default: two seasons, at least "
                          "1.25 x horizon and 10)")
    pipeline.add_argument("--log", action=argparse.BooleanOptionalAction,
                          help="model log(y) (default: when positive with a spread growing "
                          "with the level)")
    pipeline.add_argument("--seasonal-difference", action=argparse.BooleanOptionalAction,
                          help="take one seasonal difference (default: when the seasonal "
                          "strength is at least 0.64)")
    pipeline.add_argument("--difference", type=_count, metavar="D", help="ordinary "
                          "differences after it (default: 0; with --no-local-level, 1 when "
                          "KPSS rejects stationarity)")
    pipeline.add_argument("--local-level", action=argparse.BooleanOptionalAction,
                          help="forecast the change from each window's last value (default: "
                          "unless seasonally differenced)")
    pipeline.add_argument("--seasonal-period", type=_positive_int, metavar="M",
                          help="season length (default: from the frequency, 12 for monthly)")
    exog = p.add_argument_group("exogenous columns")
    exog.add_argument("--exog", type=_names, metavar="C1,C2", help="columns of the CSV (or "
                      "dataset) used as inputs next to the series (default: the columns of "
                      "--future-exog, else none)")
    exog.add_argument("--future-exog", type=Path, metavar="FILE", help="file with the future "
                      "values of some --exog columns, dated from the step after the series; "
                      "those columns are then used as known in advance")
    _add_feedback_arguments(p)
    p.set_defaults(func=cmd_forecast)
    return p


# ---------------------------------------------------------------- forecast


def cmd_forecast(args) -> int:
    """Fit, forecast, backtest, plot: the main job of the library."""
    from .analysis.compare import default_horizon

    if not 0 < args.coverage < 1:
        raise UserError(f"--coverage must be between 0 and 1, got {args.coverage}")
    inputs = [args.file, args.future_exog]
    _check_output_path(args.output, inputs)
    _check_plot_path(args.plot, inputs)
    future = None
    if args.exog is None and args.future_exog is not None:
        # --exog defaults to the columns of --future-exog, dated after the series: a first,
        # silent read of the series dates that file.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeriesReadWarning)
            dates = load_series(args)[0].index
        future = read_future_exog(args, dates)
        args.exog = list(future.columns)
    y, exog, source = load_series(args, args.exog or [])
    if future is None:
        future = read_future_exog(args, y.index)
    horizon = args.horizon or default_horizon(y)
    check_future_exog(future, y, horizon, args.future_exog)
    status = _Status(args.quiet, args.progress)
    forecaster = build_forecaster(args, horizon, future)
    status.info(f"{source}: {len(y)} observations, {_span(y)}")
    # "pretrained" runs the GRU kernels of its network (forward passes only).
    _compile_kernels({"auto": AUTO_CELLS, "pretrained": ["gru"]}.get(args.model, [args.model]),
                     status)
    with status.epochs(f"fitting {forecaster_label(args)}"):
        forecaster.fit(y, exog)
    status.info(_describe(forecaster))
    table = _forecast_table(forecaster, args.coverage, future, status)
    intervals = "lower" in table
    print(f"forecast of {y.name or 'y'}, {_steps(horizon)}, " + (
        f"{args.coverage:.0%} {_interval_kind(forecaster)} prediction intervals:" if intervals
        else "no intervals (see the warning above):"))
    print(format_table(_labelled(table)))
    result = None
    n_origins = _backtest_origins(args.backtest, len(y), horizon, forecaster) \
        if intervals else 0
    if n_origins:
        result = _backtest(forecaster, y, exog, n_origins, horizon, args, status)
    elif args.backtest:
        status.info("backtest skipped: the series is too short for a rolling origin")
    with _atomic_writes() as stage:
        if args.output is not None:
            stage(args.output, lambda path: write_table(
                table.rename_axis(y.index.name or "time"), path))
        if args.plot is not None:
            stage(args.plot, lambda path: forecast_figure(
                y, table, result, args.coverage if intervals else None).savefig(path, dpi=120))
    if args.output is not None:
        print(f"\nsaved forecast: {args.output}")
    if args.plot is not None:
        print(f"saved plot: {args.plot}")
    return 0


def build_forecaster(args, horizon, future=None):
    """The Forecaster the options describe; "auto" for every choice left out.

    ``--hidden-size`` and ``--max-iter`` become its ``network_options``: they
    apply to every network it trains, of any cell (``--model auto`` too);
    ``--fine-tune`` to the pretrained network, which trains nothing without it.
    """
    from .forecasting import Forecaster

    options = {name: value for name, value in (("hidden_size", args.hidden_size),
                                               ("max_iter", args.max_iter))
               if value is not None}
    if args.model == "pretrained":
        if options:
            raise ValueError("--hidden-size and --max-iter set the networks a model trains; "
                             "--model pretrained trains none (--fine-tune adapts it)")
        options = {"fine_tune": True} if args.fine_tune else {}
    elif args.fine_tune:
        raise ValueError(f"--fine-tune adapts the pretrained network: it applies to --model "
                         f"pretrained, not --model {args.model}")
    return Forecaster(
        args.model, horizon=horizon, window=args.window or "auto",
        log=_auto(args.log), seasonal_difference=_auto(args.seasonal_difference),
        difference=_auto(args.difference), local_level=_auto(args.local_level),
        seasonal_period=args.seasonal_period,
        future_exog=None if future is None else list(future.columns),
        n_models=args.n_models, network_options=options or None, random_state=args.seed)


def forecaster_label(args) -> str:
    """The model as the user chose it: "GRU", "LSTM (8 units)", "AUTO"."""
    size = f" ({args.hidden_size} units)" if args.hidden_size else ""
    return f"{args.model.upper()}{size}"


def _auto(value):
    return "auto" if value is None else value


def _steps(n):
    return f"{n} step{'s' if n != 1 else ''}"


def _forecast_table(forecaster, coverage, future, status):
    """Forecast with intervals, or without them (and a warning) when they cannot be calibrated."""
    try:
        with status.epochs("calibrating the intervals"):  # the calibration models train
            return forecaster.predict_interval(coverage=coverage, exog_future=future)
    except ValueError as exc:
        point = forecaster.predict(exog_future=future)  # raises if the point forecast fails too
        _warn(f"no prediction intervals, point forecast only: {exc}")
        return point.to_frame("forecast")


def _backtest(forecaster, y, exog, n_origins, horizon, args, status):
    from .forecasting.backtesting import backtest

    status.info("backtesting…")  # the header of the results says at how many origins
    result = backtest(forecaster, y, exog, initial=len(y) - n_origins * horizon, step=horizon,
                      horizon=horizon, coverage=args.coverage, progress=status.bars)
    metrics = result.metrics.rename(index={result.metrics.index[0]: forecaster_label(args)})
    print(f"\nbacktest: {n_origins} rolling origin(s) x {_steps(horizon)}, refitted at each "
          "origin (MAPE/sMAPE in %, coverage of the intervals):")
    print(format_table(metrics))
    return result


def _interval_kind(forecaster):
    """"quantile" for the pretrained network's intervals, "conformal" for a trained
    model's, "conformal-or-quantile" for "auto"'s (the union of the two)."""
    from .forecasting.zeroshot import PretrainedNetwork

    if isinstance(forecaster.estimator_, PretrainedNetwork):
        return "quantile"
    return "conformal" if forecaster.combination_ is None else "conformal-or-quantile"


def _backtest_origins(requested, n_obs, horizon, forecaster):
    """As many of the requested origins as leave a training series that can be calibrated.

    The first origin's model is calibrated on a copy fitted ``n_calibration +
    horizon - 1`` steps earlier, which itself needs ten training windows. The
    pretrained network needs neither: only ``MIN_HISTORY`` observations.
    """
    from .forecasting.windows import MIN_WINDOWS
    from .forecasting.zeroshot import MIN_HISTORY

    if _interval_kind(forecaster) == "quantile":
        return max(0, min(requested, (n_obs - MIN_HISTORY) // horizon))

    fit = (forecaster.window_ + forecaster.target_transform_.n_lost_
           + forecaster.model_horizon_ + MIN_WINDOWS)
    needed = fit + forecaster.n_calibration + horizon - 1
    return max(0, min(requested, (n_obs - needed) // horizon))


def _span(y):
    first, last = y.index[0], y.index[-1]
    if isinstance(y.index, pd.DatetimeIndex) and (y.index == y.index.normalize()).all():
        labels = _period_labels(y.index)
        first, last = (first.date(), last.date()) if labels is None else (labels[0],
                                                                          labels[-1])
    freq = getattr(y.index, "freqstr", None)
    return f"{first} .. {last}" + (f" (freq {freq})" if freq else "")


def _describe(f) -> str:
    steps = [f"log={'yes' if f.log_ else 'no'}"]
    if f.seasonal_difference_:
        steps.append(f"seasonal difference (m={f.seasonal_period_})")
    steps.append(f"differences={f.difference_}")
    if f.local_level_:
        steps.append("local level")
    return (f"fitted in {f.fit_time_:.1f} s on {f.n_windows_} windows; {', '.join(steps)}; "
            f"window={f.window_}, horizon={f.horizon}")


# ---------------------------------------------------------------- reading data


def load_series(args, exog_columns=()) -> tuple[pd.Series, pd.DataFrame | None, str]:
    """The series to forecast, its exogenous ``exog_columns`` on its dates (or None), a label.

    From the FILE argument (read by :func:`gatedts.read_series`), --dataset, or
    the bundled airline data; without --column, the first numeric column not
    in ``exog_columns``.
    """
    if args.file is not None:
        return _read_file(args, exog_columns)
    from .datasets import list_datasets, load_dataset

    name = args.dataset or "airline"
    if name not in list_datasets():
        raise UserError(f"unknown dataset {name!r}; available: {', '.join(list_datasets())}")
    given = [flag for name, flag in _READING_FLAGS.items() if getattr(args, name) is not None]
    if given:
        raise UserError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to a "
                        "file, not to --dataset")
    data = load_dataset(name)
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    column = args.column or _DEFAULT_COLUMNS.get(name) or frame.columns[0]
    for c in [column, *exog_columns]:
        if c not in frame.columns:
            flag = "--column" if c == column else "--exog"
            raise UserError(f"{flag}: dataset {name} has no column {c!r} (columns: "
                            f"{', '.join(map(str, frame.columns))})")
        if not pd.api.types.is_numeric_dtype(frame[c]):
            raise UserError(f"column {c!r} of dataset {name} is not numeric (e.g. "
                            f"{frame[c].iloc[0]!r}); choose a numeric column with --column")
    _check_exog_columns(column, exog_columns)
    exog = frame[list(exog_columns)].astype(float) if exog_columns else None
    return frame[column].astype(float), exog, f"dataset {name} [{column}]"


def _read_file(args, exog_columns):
    """The series (and its exogenous columns) from the user's file, in one read.

    The notices of a read whose series is read again with its exogenous
    columns are shown once, from the second read.
    """
    with warnings.catch_warnings(record=True) as notices:
        warnings.simplefilter("always", SeriesReadWarning)
        y = read(args.file, args, column=args.column, exclude=exog_columns)
    source = f"{args.file} [{y.name}]"
    if not exog_columns:
        for notice in notices:
            warnings.showwarning(notice.message, notice.category, notice.filename,
                                 notice.lineno)
        return y, None, source
    _check_exog_columns(y.name, exog_columns)
    table = read(args.file, args, column=[y.name, *exog_columns], flag="--exog")
    return table[y.name], table[list(exog_columns)], source


def _check_exog_columns(column, exog_columns):
    if column in exog_columns:
        raise UserError(f"--exog lists {column!r}, the column being forecast; name another "
                        "with --column")


def read_future_exog(args, index):
    """The --future-exog table (numeric columns), dated at the frequency of ``index``, or None.

    Without a date column its rows are the steps after ``index``.
    """
    if args.future_exog is None:
        return None
    future = read(args.future_exog, args, frame=True, date_column=None, flag="--future-exog",
                  freq=args.freq or getattr(index, "freq", None))
    if isinstance(future.index, pd.RangeIndex):
        future = future.set_axis(future_index(index, len(future)))
    elif not isinstance(index, pd.DatetimeIndex):
        raise UserError(f"--future-exog {args.future_exog} is dated, but the series is not")
    unknown = [c for c in future.columns if args.exog and c not in args.exog]
    if unknown:
        raise UserError(f"{args.future_exog} has columns that are not in --exog: "
                        f"{', '.join(map(str, unknown))}")
    return future


def check_future_exog(future, y, horizon, path):
    """Refuse a --future-exog file that does not cover the ``horizon`` steps after ``y``."""
    if future is None:
        return
    expected = future_index(y.index, 1)[0]
    if future.index[0] != expected:
        raise UserError(f"--future-exog {path} must start at {_label(expected)}, the step "
                        f"after the series; it starts at {_label(future.index[0])}")
    if len(future) < horizon:
        raise UserError(f"--future-exog {path} has {len(future)} row(s), but forecasting "
                        f"{_steps(horizon)} needs {horizon}; give more or lower --horizon")


def _label(stamp):
    return stamp.date() if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize() \
        else stamp


def read(path, args, flag=None, **options):
    """:func:`gatedts.read_series` with the reading flags; its errors name the flags."""
    options = {name: getattr(args, name) for name in _READING_FLAGS} | options
    prefix = f"{flag}: " if flag else ""
    try:
        return read_series(path, **options)
    except SeriesFileError as exc:
        raise UserError(prefix + exc.describe(_flag)) from None
    except ImportError as exc:
        raise UserError(f"{prefix}{exc}") from None


def _flag(name, values):
    """A read_series fix as the flag that makes it: --fill ffill|zero, --dayfirst."""
    flag = _READING_FLAGS[name]
    if all(isinstance(v, bool) for v in values):
        return " or ".join(flag if v else f"--no-{flag[2:]}" for v in values)
    return f"{flag} {'|'.join(map(str, values))}"


# ---------------------------------------------------------------- writing files


@contextlib.contextmanager
def _atomic_writes():
    """Stage files as ``stage(path, write)``; all are renamed into place when the block ends.

    ``write(temporary_path)`` writes the content. If the block fails or is
    interrupted, the temporary files are removed and the targets left as they were.
    """
    staged = []

    def stage(path, write):
        # Created by ``write`` itself, so it gets the usual permissions (umask), not 0600.
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
        staged.append((temporary, path))
        try:
            write(temporary)
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot save {path}: {_one_line(exc)}") from None

    try:
        yield stage
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)


def _check_output_path(path, inputs=()):
    """Refuse, before any work, a file the command could not write or must not replace."""
    if path is None:
        return
    _check_folder(path, "--output", inputs)
    if path.suffix.lower() not in _OUTPUT_FORMATS:
        raise UserError(f"--output must end in .csv, .parquet or .json, got {path.name}")
    if path.suffix.lower() == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        raise UserError("--output .parquet needs pyarrow: pip install pyarrow "
                        "(or save as .csv or .json)")


def write_table(table: pd.DataFrame, path):
    """Write ``table`` (index included) as CSV, Parquet or JSON, by the extension of ``path``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        table.to_parquet(path)
    elif suffix == ".json":
        rows = table.reset_index()
        label = rows.columns[0]
        rows[label] = _index_labels(table.index)
        rows.to_json(path, orient="records", indent=2)
    else:
        _labelled(table).to_csv(path)


def _index_labels(index):
    """Index labels as text: years (1961) and quarters (1961Q1) as such, dates without a
    time of day when there is none."""
    if isinstance(index, pd.DatetimeIndex):
        labels = _period_labels(index)
        return labels if labels is not None else index.strftime(
            "%Y-%m-%d" if (index == index.normalize()).all() else "%Y-%m-%dT%H:%M:%S")
    return index.astype(str) if isinstance(index, pd.PeriodIndex) else index


def _period_labels(index):
    """'1961', '1961Q1' for an index of year or quarter starts (as years and year-quarters
    are read), else None."""
    freq = getattr(index, "freq", None)
    if not (index == index.normalize()).all():
        return None
    if isinstance(freq, pd.offsets.YearBegin) and freq.month == 1 and freq.n == 1:
        return pd.Index(index.to_period("Y").astype(str), name=index.name)
    if isinstance(freq, pd.offsets.QuarterBegin) and freq.startingMonth % 3 == 1 and freq.n == 1:
        return pd.Index(index.to_period("Q").astype(str), name=index.name)
    return None


def _labelled(table):
    """``table`` indexed by year or quarter labels when its dates are year or quarter starts."""
    labels = _period_labels(table.index) if isinstance(table.index, pd.DatetimeIndex) else None
    return table if labels is None else table.set_axis(labels)


def format_table(frame: pd.DataFrame, digits=4) -> str:
    """A table as text in plain notation: about ``digits`` significant digits per column.

    Each column gets one number of decimals, from its largest magnitude, so
    30290 prints as ``30290`` and 0.01234 as ``0.01234``; NaN prints as ``-``.
    """
    def formatter(values):
        finite = np.abs(values[np.isfinite(values)])
        top = finite.max() if finite.size and finite.max() > 0 else 1.0
        decimals = int(np.clip(digits - 1 - math.floor(math.log10(top)), 0, 6))
        return lambda v: f"{v:.{decimals}f}"

    numeric = frame.select_dtypes("number").columns
    return frame.to_string(na_rep="-", formatters={
        c: formatter(frame[c].to_numpy(dtype=float)) for c in numeric})


# ---------------------------------------------------------------- plots


def forecast_figure(y, table, result, coverage):
    """The forecast (and backtest) figure of ``gatedts forecast``."""
    from .forecasting.plotting import plot_backtest, plot_forecast, require_matplotlib

    Figure = require_matplotlib()
    rows = 2 if result is not None else 1
    fig = Figure(figsize=(9, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, 1))
    horizon = len(table)
    history = min(len(y), max(10 * horizon, 48))
    plot_forecast(y, table, history=history, ax=axes[0], coverage=coverage,
                  title=f"{y.name}: {horizon}-step forecast")
    if result is not None:
        plot_backtest(result, y, ax=axes[1])
    return fig


def _check_plot_path(path, inputs=()):
    if path is None:
        return
    try:
        from .forecasting.plotting import require_matplotlib

        require_matplotlib()
    except ImportError as exc:
        raise UserError(str(exc)) from None
    _check_folder(path, "--plot", inputs)
    if path.suffix.lower() not in _PLOT_FORMATS:
        raise UserError(f"--plot must end in .png, .pdf, .svg or .jpg, got {path.name}")


def _check_folder(path, flag, inputs=()):
    """The folder of ``path`` exists, and ``path`` is none of the ``inputs`` (data files)."""
    if not path.parent.exists():
        raise UserError(f"cannot save {path}: folder {path.parent} does not exist")
    for data in filter(None, inputs):
        if path.exists() and data.exists() and os.path.samefile(path, data):
            raise UserError(f"{flag} {path} is an input file; it would be overwritten, so "
                            "nothing was done (choose another file name)")


# ---------------------------------------------------------------- compare


def add_compare_parser(commands):
    """Register ``gatedts compare`` (the work is done in :mod:`gatedts.compare`)."""
    p = commands.add_parser(
        "compare", help="RNN vs GRU vs LSTM vs seasonal naive with equal parameter budgets",
        description="Backtest RNN, GRU and LSTM forecasters of one series with the same "
        "parameter budget and seeds; print hidden size, parameters, time per epoch, MASE "
        "and sMAPE (mean ± sd over seeds) next to seasonal naive.")
    from .analysis.compare import CELLS, VARIANTS

    _add_source_arguments(p)
    p.add_argument("--horizon", "-H", type=int, metavar="H",
                   help="steps per origin (default: one season, or 10)")
    p.add_argument("--cells", type=_names, metavar="C1,C2", help="recurrent cells to compare, "
                   f"comma-separated, among {', '.join(CELLS)} (default: all)")
    p.add_argument("--variants", type=_names, metavar="V1,V2", help="architectures of each "
                   f"cell, comma-separated, among {', '.join(VARIANTS)}; each gets the same "
                   "budget (default: plain)")
    p.add_argument("--seeds", type=int, metavar="N", help="seeds 0..N-1 (default: 5)")
    p.add_argument("--budget", type=int, metavar="PARAMS",
                   help="weights per network (default: those of a 32-unit GRU)")
    p.add_argument("--max-iter", type=int, metavar="E",
                   help="epoch cap (default: the default network's, at most 300)")
    p.add_argument("--origins", type=int, metavar="N",
                   help="backtest the last N horizons (default: 3)")
    p.add_argument("--initial", type=int, metavar="N",
                   help="first origin (overrides --origins)")
    p.add_argument("--step", type=int, metavar="N",
                   help="between origins (default: horizon)")
    p.add_argument("--fast", action="store_true", help="CI-sized defaults: 1 seed, a 4-unit "
                   "GRU budget, 3 epochs, 1 origin")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save forecasts and gate heat maps")
    _add_feedback_arguments(p)
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args) -> int:
    """Equal-budget comparison of the cells on one series: one table on stdout."""
    from .analysis import compare

    _check_plot_path(args.plot, [args.file])
    y, _, source = load_series(args)
    cells = [c.lower() for c in args.cells] if args.cells else compare.CELLS
    status = _Status(args.quiet, args.progress)
    status.info(f"{source}: {len(y)} observations, {_span(y)}")
    _compile_kernels([c for c in cells if c in CELL_NAMES], status)
    variants = [v.lower() for v in args.variants or ("plain",)]
    seeds = args.seeds or (compare.FAST["seeds"] if args.fast else None)
    total = len(cells) * len(variants) * seeds if seeds and seeds > 0 else None
    with status.bar("compare", unit=" backtest", total=total) as bar:
        table = compare.compare_cells_on_series(
            y, cells=cells, variants=variants,
            horizon=args.horizon, budget=args.budget, seeds=args.seeds, max_iter=args.max_iter,
            n_origins=args.origins, initial=args.initial, step=args.step, fast=args.fast,
            progress=bar.note)
    print(compare.describe_comparison(table))
    print(compare.format_comparison(table))
    if args.plot is not None:
        status.info("plotting (refit at the last origin)")
        fig = compare.comparison_figure(y, table)
        with _atomic_writes() as stage:
            stage(args.plot, lambda path: fig.savefig(path, dpi=120))
        print(f"saved: {args.plot}")
    return 0


# ---------------------------------------------------------------- warm-up


def add_warm_up_parser(commands):
    """Register ``gatedts warm-up``."""
    p = commands.add_parser(
        "warm-up", help="compile the kernels once, so that later runs start at once",
        description="Compile the Numba kernels of the given cells (or load them from "
        "Numba's on-disk cache) and say which it was and how long it took. Run it once "
        "per machine, e.g. when building an image, so that no forecast waits for the "
        "compiler.")
    p.add_argument("--cells", type=_names, default=list(CELL_NAMES),
                   help=f"default: {','.join(CELL_NAMES)}")
    p.add_argument("--quiet", "-q", action="store_true", help="no notices on stderr")
    _add_debug_argument(p)
    p.set_defaults(func=cmd_warm_up, progress=False)
    return p


def cmd_warm_up(args) -> int:
    """Compile or load the kernels; one sentence on stdout says which and how long."""
    cells = [c.lower() for c in args.cells]
    unknown = [c for c in cells if c not in CELL_NAMES]
    if unknown or not cells:
        raise UserError(f"--cells: unknown cell(s) {', '.join(map(repr, unknown))}; choose "
                        f"from {', '.join(CELL_NAMES)}")
    seconds, compiled = _compile_kernels(cells, _Status(args.quiet), report=False,
                                         parallel=True)
    names = _join([cell.upper() for cell in cells])
    if compiled:
        print(f"Compiled the {names} kernels in {seconds:.1f} s; later runs load them "
              "from Numba's on-disk cache.")
    else:
        print(f"The {names} kernels were already compiled: loaded from Numba's on-disk "
              f"cache in {seconds:.1f} s.")
    return 0


def _join(words):
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _compile_kernels(cells, status, report=True, parallel=False):
    """Compile or load the kernels of ``cells`` before the work that needs them.

    A notice goes to stderr the moment Numba starts compiling (a cold cache:
    the first run, or a new cell), and with ``report`` another with the time
    it took. ``parallel`` also compiles the batch-parallel kernels (see
    :func:`~gatedts.forecasting.parallel.warm_up`), which the small batches of
    ``forecast`` and ``compare`` do not use.

    Returns
    -------
    seconds : float
    compiled : bool
        Whether anything was compiled (rather than loaded from the cache).
    """
    from numba.core import event

    from .forecasting.parallel import warm_up

    class Notice(event.Listener):
        compiled = False

        def on_start(self, ev):
            if not self.compiled:
                self.compiled = True
                status.info("compiling kernels (first run only)…")

        def on_end(self, ev):
            pass

    with event.install_listener("numba:compile", Notice()) as notice:
        seconds = warm_up(cells, parallel=parallel)
    if notice.compiled and report:
        status.info(f"compiled the kernels in {seconds:.1f} s; later runs load them from "
                    "the cache")
    return seconds, notice.compiled


# ---------------------------------------------------------------- notices and progress


class _Status:
    """Notices and progress on stderr.

    Notices are lines; progress is a tqdm bar that updates one line, shown on
    a terminal or with ``--progress``. ``--quiet`` silences both.
    """

    def __init__(self, quiet=False, progress=False):
        self.quiet = quiet
        self.bars = not quiet and (progress or sys.stderr.isatty())

    def info(self, message):
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def bar(self, label, unit, total=None):
        """A bar of ``total`` steps, if known (a no-op when bars are off), with ``note(line)``."""
        bar = _Bar(self, label, unit, total)
        try:
            yield bar
        finally:
            bar.close()

    @contextlib.contextmanager
    def epochs(self, label):
        """A bar over the epochs of every network trained in the block (a no-op when
        bars are off), moved by the training loop's per-epoch hook."""
        if not self.bars:
            yield
            return
        from .forecasting._progress import epochs_bar

        with epochs_bar(label):
            yield


class _Bar:
    def __init__(self, status, label, unit, total):
        self.status, self.tqdm = status, None
        if status.bars:
            from .forecasting._progress import new_bar

            self.tqdm = new_bar(label, unit, total)

    def note(self, line):
        """One finished step: a notice line above the bar, and the bar moves on."""
        if self.tqdm is None:
            self.status.info(line)
        else:
            self.tqdm.write(line, file=sys.stderr)
            self.tqdm.update(1)

    def close(self):
        if self.tqdm is not None:
            self.tqdm.close()


# ---------------------------------------------------------------- entry point


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _warn(message):
    print(f"gatedts: warning: {_one_line(message)}", file=sys.stderr)


def _warning_line(message, category, filename, lineno, file=None, line=None):
    _warn(message)


def _raise_interrupted(signum, frame):
    raise Interrupted


@contextlib.contextmanager
def _ctrl_c_ends_the_command():
    """Ctrl-C raises :class:`Interrupted` (in the main thread, where signals arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _implicit_forecast(argv, parser) -> bool:
    """Options only, or a CSV file first, without a subcommand mean ``forecast``."""
    first = argv[0]
    if first.startswith("-"):
        return first not in ("-h", "--help", "--version")
    return first not in parser.command_names and (
        Path(first).suffix.lower() in _DATA_FORMATS or Path(first).is_file())


def main(argv=None) -> int:
    """Run the ``gatedts`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if not argv:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if _implicit_forecast(argv, parser):
        argv = ["forecast", *argv]
    args = parser.parse_args(argv)
    showwarning = warnings.showwarning
    warnings.showwarning = _warning_line
    try:
        with _ctrl_c_ends_the_command():
            status = args.func(args)
            sys.stdout.flush()  # a closed pipe is found here, not when Python exits
            return status
    except BrokenPipeError:  # the reader went away (`gatedts ... | head -1`): stop quietly
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except _USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"gatedts {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except (Interrupted, KeyboardInterrupt):
        print("gatedts: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        warnings.showwarning = showwarning


def _silence_stdout():
    """Point stdout at /dev/null, so that flushing it at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
