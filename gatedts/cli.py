"""The ``gatedts`` command: ``gatedts forecast`` and ``gatedts compare``.

Each subcommand is one ``add_<name>_parser`` function that registers its
arguments and one ``cmd_<name>(args)`` function that does the work; ``main``
only parses and turns user errors into a one-line message on stderr and a
non-zero exit status, never a traceback.

    gatedts                                   # forecast the bundled airline series
    gatedts forecast --dataset airline --horizon 12 --plot airline_forecast.png
    gatedts forecast sales.csv --column units --date-column day --output fc.csv
    gatedts compare --dataset sunspots --seeds 5 --plot sunspots_cells.png
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .nn.cells import CELL_NAMES

__all__ = ["main"]

EXIT_USAGE = 2  # bad arguments (argparse's convention)
EXIT_ERROR = 1  # the arguments were fine, the data or the run were not

# Column forecast by default for the multi-column bundled datasets.
_DEFAULT_COLUMNS = {"seattle_weather": "temp_max", "macrodata": "real_gdp"}
_DATE_NAMES = ("date", "datetime", "time", "timestamp", "ds", "period", "month", "day")


class UserError(Exception):
    """A problem with the user's input: reported in one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The ``gatedts`` argument parser with all subcommands registered."""
    parser = _Parser(prog="gatedts", description="Forecast time series with GRU, LSTM and "
                     "RNN networks. Without a subcommand: gatedts forecast (airline).")
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"gatedts {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_forecast_parser(commands)
    add_compare_parser(commands)
    return parser


def add_forecast_parser(commands):
    """Register ``gatedts forecast``."""
    p = commands.add_parser(
        "forecast", help="fit a network, print a dated forecast and a backtest",
        description="Fit a recurrent network to one series, print the forecast with "
        "conformal prediction intervals and a rolling-origin backtest against seasonal "
        "naive; optionally save a plot and the forecast as CSV.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("csv", nargs="?", type=Path, help="CSV file with a date column and "
                        "a numeric column (default: the bundled airline series)")
    source.add_argument("--dataset", metavar="NAME", help="a bundled dataset: airline, co2, "
                        "macrodata, seattle_weather, sf_temps, sunspots")
    p.add_argument("--column", metavar="C", help="column to forecast (default: the only or "
                   "first numeric column; temp_max / real_gdp for seattle_weather / macrodata)")
    p.add_argument("--date-column", metavar="D", help="CSV column with the timestamps "
                   "(default: a column named like 'date', or the first one that parses as "
                   "dates; none: the rows are numbered)")
    p.add_argument("--horizon", "-H", type=int, metavar="H", help="steps to forecast "
                   "(default: one season, e.g. 12 for monthly data; 10 without seasonality)")
    p.add_argument("--model", choices=CELL_NAMES, default="gru",
                   help="recurrent cell (default: gru)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--coverage", type=float, default=0.9,
                   help="prediction interval coverage (default: 0.9)")
    p.add_argument("--backtest", type=int, default=3, metavar="N",
                   help="rolling-origin backtest over the last N horizons (default: 3; 0: skip)")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save a plot (needs matplotlib)")
    p.add_argument("--output", "-o", type=Path, metavar="CSV", help="save the forecast as CSV")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_forecast)
    return p


# ---------------------------------------------------------------- forecast


def cmd_forecast(args) -> int:
    """Fit, forecast, backtest, plot: the main job of the library."""
    from .forecasting import Forecaster
    from .forecasting.backtesting import backtest
    from .forecasting.seasonality import infer_seasonal_period

    if args.plot is not None:
        _check_plot_path(args.plot)
    y, source = load_series(args)
    if args.horizon is not None and args.horizon < 1:
        raise UserError(f"--horizon must be a positive integer, got {args.horizon}")
    if not 0 < args.coverage < 1:
        raise UserError(f"--coverage must be between 0 and 1, got {args.coverage}")
    if args.backtest < 0:
        raise UserError(f"--backtest must be 0 or more, got {args.backtest}")
    m = infer_seasonal_period(y.index) if isinstance(y.index, pd.DatetimeIndex | pd.PeriodIndex) \
        else 1
    horizon = args.horizon or (m if m > 1 else 10)
    status = _Status(quiet=args.quiet)
    status.info(f"{source}: {len(y)} observations, {_span(y)}")
    forecaster = Forecaster(args.model, horizon=horizon, random_state=args.seed,
                            verbose=0 if args.quiet else 1)
    with status.epochs(f"fitting {args.model.upper()}"):
        forecaster.fit(y)
    status.info(_describe(forecaster))
    with status.task("calibrating intervals"):
        table = forecaster.predict_interval(coverage=args.coverage)
    print(f"forecast of {y.name or 'y'}, {horizon} steps, "
          f"{args.coverage:.0%} conformal prediction intervals:")
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    result = None
    n_origins = _backtest_origins(args.backtest, len(y), horizon, forecaster, args.coverage)
    if n_origins:
        quiet = forecaster.set_params(verbose=0)
        with status.task("backtest") as tick:
            result = backtest(quiet, y, initial=len(y) - n_origins * horizon, step=horizon,
                              horizon=horizon, coverage=args.coverage, progress=tick)
        print(f"\nbacktest: {n_origins} rolling origin(s) x {horizon} steps, refitted at each "
              "origin (MAPE/sMAPE in %, coverage of the intervals):")
        print(result)
    elif args.backtest:
        status.info("backtest skipped: the series is too short for a rolling origin")
    if args.output is not None:
        table.rename_axis(y.index.name or "time").to_csv(args.output)
        print(f"\nsaved forecast: {args.output}")
    if args.plot is not None:
        save_plot(args.plot, y, table, result)
        print(f"saved plot: {args.plot}")
    return 0


def _backtest_origins(requested, n_obs, horizon, forecaster, coverage):
    """As many of the requested origins as leave a training series that can be calibrated.

    The first origin's model is calibrated on a copy fitted ``n_calibration +
    horizon - 1`` steps earlier, which itself needs ten training windows.
    """
    fit = forecaster.window_ + forecaster._n_lost() + forecaster.model_horizon_ + 10
    n_calibration = max(forecaster.n_calibration, math.ceil(coverage / (1 - coverage)))
    needed = fit + n_calibration + horizon - 1
    return max(0, min(requested, (n_obs - needed) // horizon))


def load_series(args) -> tuple[pd.Series, str]:
    """The series to forecast, from --dataset, a CSV or the bundled airline data."""
    if args.csv is not None:
        frame = _read_csv(args.csv, args.date_column)
        source = str(args.csv)
    else:
        from .datasets import list_datasets, load_dataset

        name = args.dataset or "airline"
        if name not in list_datasets():
            raise UserError(f"unknown dataset {name!r}; available: {', '.join(list_datasets())}")
        if args.date_column is not None:
            raise UserError("--date-column applies to a CSV file, not to --dataset")
        data = load_dataset(name)
        frame = data.to_frame() if isinstance(data, pd.Series) else data
        source = f"dataset {name}"
        if args.column is None and name in _DEFAULT_COLUMNS:
            args.column = _DEFAULT_COLUMNS[name]
    column = _pick_column(frame, args.column, source)
    return _numeric(frame[column], column), f"{source} [{column}]"


def _read_csv(path: Path, date_column) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path} as CSV: {_one_line(exc)}") from None
    if frame.empty:
        raise UserError(f"{path} has no data rows")
    if date_column is None:
        date_column = _guess_date_column(frame)
    elif date_column not in frame.columns:
        raise UserError(f"{path} has no column {date_column!r} (columns: "
                        f"{', '.join(map(str, frame.columns))})")
    if date_column is None:
        return frame
    try:
        dates = pd.to_datetime(frame[date_column], format="mixed")
    except (ValueError, TypeError) as exc:
        raise UserError(f"cannot parse column {date_column!r} of {path} as dates: "
                        f"{_one_line(exc)}") from None
    if dates.isna().any():
        pos = int(np.flatnonzero(dates.isna())[0])
        raise UserError(f"column {date_column!r} of {path} has a missing date at row {pos + 1}")
    return frame.drop(columns=date_column).set_index(pd.DatetimeIndex(dates, name=date_column))


def _guess_date_column(frame):
    for column in frame.columns:
        if str(column).strip().lower() in _DATE_NAMES:
            return column
    for column in frame.columns:
        if frame[column].dtype == object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(frame[column], errors="coerce", format="mixed")
            if parsed.notna().all():
                return column
    return None


def _pick_column(frame, column, source):
    if column is not None:
        if column not in frame.columns:
            raise UserError(f"{source} has no column {column!r} (columns: "
                            f"{', '.join(map(str, frame.columns))})")
        return column
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if not numeric:
        raise UserError(f"{source} has no numeric column to forecast (columns: "
                        f"{', '.join(map(str, frame.columns))})")
    return numeric[0]


def _numeric(series, column):
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise UserError(f"column {column!r} is not numeric (dtype {series.dtype}, e.g. "
                        f"{example!r}); choose a numeric column with --column")
    if series.isna().any():
        pos = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise UserError(f"column {column!r} has a missing value at {series.index[pos]} "
                        f"(row {pos + 1}); fill or drop missing values first")
    return series.astype(float).rename(column)


def _span(y):
    first, last = y.index[0], y.index[-1]
    if isinstance(y.index, pd.DatetimeIndex) and (y.index == y.index.normalize()).all():
        first, last = first.date(), last.date()
    freq = getattr(y.index, "freqstr", None)
    return f"{first} .. {last}" + (f" (freq {freq})" if freq else "")


def _describe(f) -> str:
    steps = [f"log={'yes' if f.log_ else 'no'}"]
    if f.seasonal_difference_:
        steps.append(f"seasonal difference (m={f.seasonal_period_})")
    steps.append(f"differences={f.difference_}")
    return (f"model: {f.model_name} ({f.n_windows_} training windows, {f.fit_time_:.1f} s); "
            f"{', '.join(steps)}; window={f.window_}, horizon={f.horizon}")


def save_plot(path, y, table, result):
    """Forecast (and backtest) figure saved to ``path``."""
    from .analysis.plotting import plot_backtest, plot_forecast, require_matplotlib

    Figure = require_matplotlib()
    rows = 2 if result is not None else 1
    fig = Figure(figsize=(9, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, 1))
    horizon = len(table)
    history = min(len(y), max(10 * horizon, 48))
    plot_forecast(y, table, history=history, ax=axes[0],
                  title=f"{y.name}: {horizon}-step forecast")
    if result is not None:
        plot_backtest(result, y, ax=axes[1])
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot save the plot to {path}: {_one_line(exc)}") from None


def _check_plot_path(path):
    try:
        from .analysis.plotting import require_matplotlib

        require_matplotlib()
    except ImportError as exc:
        raise UserError(str(exc)) from None
    if not path.parent.exists():
        raise UserError(f"cannot save the plot to {path}: folder {path.parent} does not exist")
    if path.suffix.lower() not in (".png", ".pdf", ".svg", ".jpg", ".jpeg"):
        raise UserError(f"--plot must end in .png, .pdf, .svg or .jpg, got {path.name}")


# ---------------------------------------------------------------- compare


def add_compare_parser(commands):
    """Register ``gatedts compare`` (the work is done in :mod:`gatedts.compare`)."""
    p = commands.add_parser(
        "compare", help="RNN vs GRU vs LSTM vs seasonal naive with equal parameter budgets",
        description="Backtest RNN, GRU and LSTM forecasters of one series with the same "
        "parameter budget and seeds; print hidden size, parameters, time per epoch, MASE "
        "and sMAPE (mean ± sd over seeds) next to seasonal naive.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("csv", nargs="?", type=Path, help="CSV file (default: airline)")
    source.add_argument("--dataset", metavar="NAME", help="a bundled dataset")
    p.add_argument("--column", metavar="C", help="column to compare on")
    p.add_argument("--date-column", metavar="D", help="CSV column with the timestamps")
    p.add_argument("--horizon", "-H", type=int, metavar="H",
                   help="steps per origin (default: one season, or 10)")
    p.add_argument("--cells", default="rnn,gru,lstm", help="default: rnn,gru,lstm")
    p.add_argument("--seeds", type=int, metavar="N", help="seeds 0..N-1 (default: 5)")
    p.add_argument("--budget", type=int, metavar="PARAMS",
                   help="weights per network (default: those of a 32-unit GRU)")
    p.add_argument("--max-iter", type=int, metavar="E",
                   help="epoch cap (default: the default network's, at most 300)")
    p.add_argument("--origins", type=int, metavar="N",
                   help="backtest the last N horizons (default: 3)")
    p.add_argument("--initial", type=int, metavar="N", help="first origin (overrides --origins)")
    p.add_argument("--step", type=int, metavar="N", help="between origins (default: horizon)")
    p.add_argument("--fast", action="store_true", help="CI-sized defaults: 1 seed, a 4-unit "
                   "GRU budget, 3 epochs, 1 origin")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save forecasts and gate heat maps")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args) -> int:
    """Equal-budget comparison of the cells on one series: one table on stdout."""
    from .analysis import compare

    if args.plot is not None:
        _check_plot_path(args.plot)
    y, source = load_series(args)
    status = _Status(quiet=args.quiet)
    status.info(f"{source}: {len(y)} observations, {_span(y)}")
    table = compare.compare_cells_on_series(
        y, cells=[c.strip().lower() for c in args.cells.split(",") if c.strip()],
        horizon=args.horizon, budget=args.budget, seeds=args.seeds, max_iter=args.max_iter,
        n_origins=args.origins, initial=args.initial, step=args.step, fast=args.fast,
        progress=status.info)
    print(compare.describe_comparison(table))
    print(compare.format_comparison(table))
    if args.plot is not None:
        with status.task("plotting (refit at the last origin)"):
            fig = compare.comparison_figure(y, table)
        try:
            fig.savefig(args.plot, dpi=120)
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot save the plot to {args.plot}: {_one_line(exc)}") from None
        print(f"saved plot: {args.plot}")
    return 0


# ---------------------------------------------------------------- progress


class _Status:
    """Progress on stderr: a bar for epochs and origins on a terminal, sparse lines otherwise."""

    def __init__(self, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def info(self, message):
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def epochs(self, label):
        """Turn the estimator's per-epoch lines (printed on stdout) into progress."""
        if self.quiet:
            with contextlib.redirect_stdout(io.StringIO()):
                yield
            return
        sink = _EpochLines(self, label)
        with contextlib.redirect_stdout(sink):
            yield
        sink.close_line()

    @contextlib.contextmanager
    def task(self, label):
        def tick(i, n):
            if self.quiet:
                return
            if self.tty:
                print(f"\r{label} {_bar(i / n)} {i}/{n}", end="", file=self.stream, flush=True)
            else:
                print(f"{label}: origin {i}/{n}", file=self.stream, flush=True)

        if not self.quiet and not self.tty and label != "backtest":
            print(f"{label} ...", file=self.stream, flush=True)
        with contextlib.redirect_stdout(io.StringIO()):
            yield tick
        if not self.quiet and self.tty:
            print("\r\033[K", end="", file=self.stream, flush=True)


class _EpochLines(io.TextIOBase):
    _EPOCH = re.compile(r"Epoch\s+(\d+): loss ([0-9.eE+-]+|nan|inf)")

    def __init__(self, status, label):
        self.status, self.label, self.buffer, self.last = status, label, "", 0

    def writable(self):
        return True

    def write(self, text):
        self.buffer += text
        while "\n" in self.buffer:
            line, self.buffer = self.buffer.split("\n", 1)
            match = self._EPOCH.search(line)
            if match:
                self._show(int(match.group(1)), match.group(2))
        return len(text)

    def _show(self, epoch, loss):
        stream = self.status.stream
        if self.status.tty:
            print(f"\r{self.label}: epoch {epoch:>4}  loss {float(loss):.4g}", end="",
                  file=stream, flush=True)
        elif epoch == 1 or epoch % 25 == 0:
            print(f"{self.label}: epoch {epoch:>4}  loss {float(loss):.4g}", file=stream,
                  flush=True)
        self.last = epoch

    def close_line(self):
        if self.status.tty:
            print(file=self.status.stream, flush=True)
        elif self.last and self.last % 25:
            print(f"{self.label}: stopped after epoch {self.last}", file=self.status.stream,
                  flush=True)


def _bar(fraction, width=24):
    filled = round(fraction * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


# ---------------------------------------------------------------- entry point


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _warning_line(message, category, filename, lineno, file=None, line=None):
    print(f"gatedts: warning: {_one_line(message)}", file=sys.stderr)


def _implicit_forecast(argv, parser) -> bool:
    """No subcommand (nothing, options only, or a CSV file first) means ``forecast``."""
    if not argv:
        return True
    first = argv[0]
    if first.startswith("-"):
        return first not in ("-h", "--help", "--version")
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return first not in commands.choices and (first.lower().endswith(".csv")
                                              or Path(first).is_file())


def main(argv=None) -> int:
    """Run the ``gatedts`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if _implicit_forecast(argv, parser):
        argv = ["forecast", *argv]
    args = parser.parse_args(argv)
    showwarning = warnings.showwarning
    warnings.showwarning = _warning_line
    try:
        return args.func(args)
    except (UserError, ValueError, TypeError, KeyError, OSError, ImportError) as exc:
        print(f"gatedts {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("gatedts: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = showwarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
