"""Many series at once: forecasts of a panel in the long format.

Forecasting users keep many series in one table, one row per series and
time step (the "long" format of Nixtla's libraries, Prophet and the M5
competition)::

    unique_id          ds      y   promo
    store_1   2024-01-01   12.0       0
    store_1   2024-01-02   15.0       1
    ...
    store_2   2024-01-01    3.0       0

:func:`forecast_many` turns it into forecasts in the same format, with a
:class:`~gatedts.Forecaster` either fitted on each series (``mode="local"``)
or trained once on the windows of all series (``mode="global"``).

Local fits are independent tasks handed to joblib (:mod:`gatedts.parallel`),
so ``n_jobs`` spreads them over processes, and
``joblib.parallel_config(backend="dask")`` over a Dask cluster, with no
change to the call.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Hashable, Sequence
from numbers import Integral
from typing import Literal, cast

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from ..nn.cells import CELL_NAMES
from ._progress import progress_bar
from ._series import check_coverage, regular_index, resolve_future
from ._validation import check_positive_int
from .ensemble import Members, fit_members
from .forecaster import Forecaster
from .parallel import run_parallel
from .seasonality import infer_seasonal_period

__all__ = ["LOWER_COL", "PRED_COL", "UPPER_COL", "forecast_many", "series_seed"]

PRED_COL = "y_pred"  # name of the forecast column of forecast_many's output
LOWER_COL, UPPER_COL = "y_lower", "y_upper"  # its interval bounds, with ``coverage``


def forecast_many(df: pd.DataFrame, forecaster: Forecaster | str | None = None, *,
                  horizon: int | None = None, id_col: str = "unique_id", time_col: str = "ds",
                  target_col: str = "y", exog_cols: Sequence[str] | None = None,
                  exog_future: pd.DataFrame | None = None,
                  freq: str | pd.DateOffset | None = None,
                  mode: Literal["local", "global"] = "local", n_jobs: int | None = None,
                  random_state: int | np.random.RandomState | None = None,
                  coverage: float | None = None, progress: bool = False) -> pd.DataFrame:
    """Forecast every series of a long-format panel.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per series and time step: a series identifier ``id_col``, a
        timestamp ``time_col`` (datetime, period or integer), the target
        ``target_col`` and optional exogenous columns. Rows may come in any
        order; each series must be regular in time (no gaps, one frequency
        per series, at least 3 stamps) without missing values.
    forecaster : Forecaster, {"gru", "lstm", "rnn"} or None, default None
        The configuration to fit: a :class:`~gatedts.Forecaster` (never
        modified; clones are fitted), a cell name for ``Forecaster(cell)``,
        or None for ``Forecaster()``.
    horizon : int, optional
        Steps to forecast for each series; defaults to ``forecaster.horizon``.
        Given, it replaces the forecaster's horizon, so the (direct) model is
        trained to output exactly that many steps.
    id_col, time_col, target_col : str, default "unique_id", "ds", "y"
        Column names of ``df``.
    exog_cols : list of str, optional
        Exogenous columns of ``df`` fed to the network (other columns are
        ignored). Those in ``forecaster.future_exog`` are known in advance
        and their future values come from ``exog_future``.
    exog_future : pandas.DataFrame, optional
        Long format again, required when the forecaster has ``future_exog``:
        ``id_col``, ``time_col`` and the future-known columns for the
        ``horizon`` steps after the end of each series.
    freq : str or pandas offset, optional
        Frequency of every series (``"D"``, ``"h"``, ``"MS"``, ...). By default
        inferred per series, so series of different frequencies can share a
        panel; give it when inference is ambiguous (a short series).
    mode : {"local", "global"}, default "local"
        "local": one model per series, a clone of ``forecaster`` fitted on
        that series alone, exactly as ``forecaster.fit(series)`` would.
        "global": one network trained on the windows of all series; see Notes.
    n_jobs : int or None, default None
        Parallel fits in local mode, through joblib (None: one at a time,
        unless a ``joblib.parallel_config`` context sets a backend such as
        Dask; -1: all cores). The global mode trains one network in this
        process (the kernels use all cores) and ignores it.
    random_state : int, RandomState or None, default None
        Base seed; None uses ``forecaster.random_state``. In local mode the
        model of each series is seeded with ``series_seed(random_state, id)``,
        in global mode the network with ``random_state`` itself.
    coverage : float in (0, 1) or None, default None
        Local mode: also give each forecast's conformal prediction interval
        (:meth:`~gatedts.Forecaster.predict_interval`) at this coverage,
        which costs one more fit per series.
    progress : bool, default False
        Local mode: show a one-line progress bar over the series on stderr
        (tqdm), moved on as each series' forecast comes back (in series
        order, with ``n_jobs`` too) and cleared when all are done. The global
        mode trains one network and shows no bar.

    Returns
    -------
    pandas.DataFrame
        Columns ``id_col``, ``time_col`` and ``"y_pred"`` (:data:`PRED_COL`),
        with ``coverage`` also ``"y_lower"`` and ``"y_upper"``: ``horizon``
        rows per series, dated after its last observation, sorted by series
        then time.

    Raises
    ------
    ValueError
        For a missing column, a duplicated (series, time) pair, a missing or
        infinite value, an irregular or ambiguous time index, a series too
        short for the window and horizon. Messages name the series (and time)
        at fault; errors raised while fitting one series are prefixed with its
        identifier.
    KeyboardInterrupt
        Ctrl-C while a network trains (in this process): no more series are
        fitted (see :meth:`Forecaster.fit <gatedts.Forecaster.fit>`).

    Notes
    -----
    **Seeds.** In local mode, series ``id`` gets the seed
    :func:`series_seed` ``(random_state, id)``, a hash of the base seed and
    of ``str(id)``: its forecast depends on neither ``n_jobs``, nor the row
    order, nor the other series of the panel. It seeds the default network,
    and also ``forecaster.estimator`` when that is a regressor with a
    ``random_state`` parameter. With no seed at all (``None`` here and in the
    forecaster), the fits are not reproducible.

    **Threads.** With more than one worker, every fit runs with one Numba
    and one BLAS thread (see :mod:`gatedts.parallel`); forecasts are
    bit-identical either way. Serially, the fits use the kernels' threads;
    small series gain little from them, and on a busy machine they lose a
    lot (waiting threads spin), so prefer ``n_jobs=-1`` or
    ``with gatedts.parallel.limit_threads(1):`` around the call.

    **Global mode.** Each series is transformed as the Forecaster would on
    its own: the "auto" choices (log, seasonal difference, difference) are
    made per series, then each series (and each exogenous column) is
    standardised with its own mean and scale. The network sees only these
    unit-free windows, so series of different levels, trends and units
    share it, and every forecast is inverted with the transforms of its
    series. The window is common: the forecaster's ``window``, or for
    "auto" its rule ``max(2 m, 1.25 horizon, 10)`` with the largest
    seasonal period ``m`` of the panel; each series needs room for two
    windows. The default network is :func:`~gatedts.forecasting.default_estimator`
    sized for the total number of windows, with the forecaster's
    ``network_options``. Windows are stacked in the order of the sorted series
    identifiers, so the row order of ``df`` does not matter; adding or
    removing a series changes the model.

    Examples
    --------
    >>> from gatedts import Forecaster, forecast_many
    >>> forecasts = forecast_many(df, Forecaster(horizon=7, random_state=0),
    ...                           n_jobs=-1)                         # doctest: +SKIP

    On a Dask cluster, unchanged::

        import joblib
        from distributed import Client
        client = Client("tcp://scheduler:8786")
        with joblib.parallel_config(backend="dask"):
            forecasts = forecast_many(df, Forecaster(horizon=7, random_state=0))
    """
    forecaster = _check_forecaster(forecaster)
    if horizon is not None:
        forecaster = cast(Forecaster, clone(forecaster).set_params(horizon=horizon))
    horizon = check_positive_int(forecaster.horizon, "horizon")
    if mode not in ("local", "global"):
        raise ValueError(f"mode must be 'local' or 'global', got {mode!r}")
    if mode == "global" and getattr(forecaster, "decoder", False) is True:
        raise ValueError("decoder=True is available in mode='local' only: the global network "
                         "has no encoder-decoder yet")
    if coverage is not None:
        coverage = check_coverage(coverage)
        if mode == "global":
            raise ValueError("coverage (prediction intervals) is available in mode='local' "
                             "only: the global network has no per-series calibration yet")
    exog_cols = _check_exog_cols(exog_cols, (id_col, time_col, target_col))
    panel = _split_panel(df, id_col, time_col, target_col, exog_cols, freq)
    futures = _split_future(exog_future, forecaster, panel, id_col, time_col, exog_cols)
    base = forecaster.random_state if random_state is None else random_state
    if isinstance(base, np.random.RandomState):
        base = int(base.randint(2**31))  # drawn once: the same seeds for every task
    elif base is not None and (isinstance(base, bool) or not isinstance(base, Integral)):
        raise ValueError(f"random_state must be an int, a RandomState or None, got {base!r}")
    if mode == "local":
        tasks = [(uid, _seeded(forecaster, series_seed(base, uid)), y, exog, futures.get(uid),
                  horizon, coverage) for uid, y, exog in panel]
        with progress_bar(progress, len(tasks), "forecast_many", " series") as advance:
            forecasts = run_parallel(_fit_predict_local, tasks, n_jobs, on_result=advance)
    else:
        forecasts = _fit_predict_global(panel, forecaster, horizon, futures, base)
    return _assemble(forecasts, [uid for uid, _, _ in panel], df[id_col].dtype, id_col, time_col)


def series_seed(random_state: int | Integral | np.random.RandomState | None,
                uid: Hashable) -> int | None:
    """Seed of the model of series ``uid`` in :func:`forecast_many`'s local mode.

    Parameters
    ----------
    random_state : int, RandomState or None
        The base seed (a RandomState gives one draw, so pass an int to get
        the same seeds in separate calls).
    uid : hashable
        Series identifier; only ``str(uid)`` matters (``1`` and
        ``numpy.int64(1)`` get the same seed).

    Returns
    -------
    int or None
        An integer in ``[0, 2**31)``, or None when ``random_state`` is None.
    """
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31)
    if isinstance(random_state, bool) or not isinstance(random_state, Integral):
        raise ValueError(f"random_state must be an int, a RandomState or None, got "
                         f"{random_state!r}")
    digest = hashlib.sha256(str(uid).encode()).digest()
    entropy = [int(random_state), int.from_bytes(digest[:8], "little")]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] >> 1)


# ------------------------------------------------------------------ checks


def _check_forecaster(forecaster: Forecaster | str | None) -> Forecaster:
    if forecaster is None:
        return Forecaster()
    if isinstance(forecaster, str):
        if forecaster.lower() not in CELL_NAMES:
            raise ValueError(f"unknown forecaster {forecaster!r}; pass a Forecaster or one of "
                             f"{', '.join(map(repr, CELL_NAMES))}")
        return Forecaster(forecaster.lower())
    if not isinstance(forecaster, Forecaster):
        raise TypeError(f"forecaster must be a gatedts.Forecaster, a cell name or None, got "
                        f"{type(forecaster).__name__}; wrap a regressor as Forecaster(regressor)")
    return forecaster


def _check_exog_cols(exog_cols, reserved):
    if exog_cols is None:
        return []
    cols = [exog_cols] if isinstance(exog_cols, str) else list(exog_cols)
    clash = [c for c in cols if c in reserved]
    if clash:
        raise ValueError(f"exog_cols {clash} repeat the id, time or target column")
    if len(set(cols)) != len(cols):
        raise ValueError(f"exog_cols has duplicates: {cols}")
    return cols


def _check_columns(df, columns, name):
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame in the long format, got "
                        f"{type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing} (its columns: "
                         f"{list(df.columns)}); name yours with id_col=, time_col=, "
                         "target_col=, exog_cols=")


def _split_panel(df, id_col, time_col, target_col, exog_cols, freq):
    """``[(uid, y, exog or None)]`` sorted by id; y has a regular index with its freq."""
    _check_columns(df, [id_col, time_col, target_col, *exog_cols], "df")
    if len(df) == 0:
        raise ValueError("df has no rows")
    for col in (id_col, time_col):
        if df[col].isna().any():
            row = df.index[df[col].isna().to_numpy()][0]
            raise ValueError(f"df column {col!r} has a missing value (row {row!r})")
    times = df[time_col]
    if not (pd.api.types.is_datetime64_any_dtype(times) or pd.api.types.is_integer_dtype(times)
            or isinstance(times.dtype, pd.PeriodDtype)):
        raise ValueError(f"df[{time_col!r}] must hold datetimes, periods or integers, got dtype "
                         f"{times.dtype}; convert it, e.g. df[{time_col!r}] = "
                         f"pd.to_datetime(df[{time_col!r}])")
    for col in [target_col, *exog_cols]:
        _check_values(df, col, id_col, time_col)
    duplicated = df.duplicated([id_col, time_col], keep=False).to_numpy()
    if duplicated.any():
        first = df[duplicated].iloc[0]
        raise ValueError(f"df has {int(duplicated.sum())} rows with a duplicated "
                         f"({id_col}, {time_col}) pair, e.g. series {first[id_col]!r} at "
                         f"{first[time_col]}; aggregate or drop them first")
    try:
        df = df.sort_values([id_col, time_col], kind="stable")
    except TypeError as error:
        raise ValueError(f"df[{id_col!r}] cannot be sorted ({error}); use identifiers of one "
                         "type (e.g. all strings)") from None
    panel = []
    for uid, rows in df.groupby(id_col, sort=False, observed=True):
        index = _series_index(rows[time_col], uid, freq)
        y = pd.Series(rows[target_col].to_numpy(dtype=np.float64), index=index, name=target_col)
        exog = None
        if exog_cols:
            exog = pd.DataFrame(rows[exog_cols].to_numpy(dtype=np.float64), index=index,
                                columns=exog_cols)
        panel.append((uid, y, exog))
    return panel


def _check_values(df, col, id_col, time_col):
    values = df[col]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise ValueError(f"df[{col!r}] must be numeric, got dtype {values.dtype}")
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64, na_value=np.nan))
    if bad.any():
        first = df[bad].iloc[0]
        kind = "missing" if pd.isna(first[col]) else "infinite"
        raise ValueError(f"df[{col!r}] has {int(bad.sum())} missing or infinite value(s), the "
                         f"first ({kind}) in series {first[id_col]!r} at {first[time_col]}; "
                         "fill them (each series must stay regular in time)")


def _series_index(times, uid, freq):
    """The regular index of one series (sorted), with its frequency; or a clear error."""
    if pd.api.types.is_datetime64_any_dtype(times):
        index = pd.DatetimeIndex(times)
    elif isinstance(times.dtype, pd.PeriodDtype):
        index = pd.PeriodIndex(times)
    else:
        index = pd.Index(times.to_numpy())
    try:
        if freq is not None and isinstance(index, pd.DatetimeIndex):
            expected = pd.date_range(index[0], periods=len(index), freq=freq)
            if not index.equals(expected):
                wrong = int(np.flatnonzero(index != expected)[0])
                raise ValueError(f"its time stamps are not regular at frequency {freq!r}: "
                                 f"{index[wrong]} where {expected[wrong]} was expected")
            return expected
        return regular_index(index)
    except ValueError as error:
        message = str(error).replace("y index", "its time index")
        raise ValueError(f"series {uid!r}: {message}") from None


def _split_future(exog_future, forecaster, panel, id_col, time_col, exog_cols):
    """``{uid: DataFrame of the future-known columns indexed by time}``, or {}."""
    try:
        known = resolve_future(forecaster.future_exog, exog_cols)
    except ValueError as error:
        raise ValueError(f"forecaster.future_exog: {error}; list them in exog_cols") from None
    if not known:
        if exog_future is not None:
            raise ValueError("exog_future was given, but the forecaster has no future_exog "
                             "columns; set Forecaster(future_exog=[...])")
        return {}
    if exog_future is None:
        raise ValueError(f"the forecaster uses the future values of {known}: pass exog_future, "
                         f"a DataFrame with {id_col!r}, {time_col!r} and {known} for the "
                         "forecast steps of every series")
    _check_columns(exog_future, [id_col, time_col, *known], "exog_future")
    for col in known:
        _check_values(exog_future, col, id_col, time_col)
    rows = exog_future.sort_values([id_col, time_col], kind="stable")
    futures = {uid: part.set_index(time_col)[known]
               for uid, part in rows.groupby(id_col, sort=False, observed=True)}
    missing = [uid for uid, _, _ in panel if uid not in futures]
    if missing:
        raise ValueError(f"exog_future has no rows for the series {missing[:5]}"
                         f"{' ...' if len(missing) > 5 else ''}")
    return futures


def _seeded(forecaster, seed):
    """A clone of ``forecaster`` (and of its regressor) seeded with ``seed``."""
    forecaster = clone(forecaster)
    if seed is None:
        return forecaster
    params = {"random_state": seed}
    estimator = forecaster.estimator
    if isinstance(estimator, BaseEstimator) and "random_state" in estimator.get_params():
        params["estimator__random_state"] = seed
    return forecaster.set_params(**params)


def _assemble(forecasts, uids, id_dtype, id_col, time_col):
    """The long-format output from one Series (or interval DataFrame) per series."""
    times = forecasts[0].index.append([f.index for f in forecasts[1:]])
    ids = pd.Series(uids, dtype=object).repeat([len(f) for f in forecasts])
    with contextlib.suppress(TypeError, ValueError):  # keep object ids if the cast fails
        ids = ids.astype(id_dtype)
    out = {id_col: ids.reset_index(drop=True), time_col: times}
    if isinstance(forecasts[0], pd.DataFrame):  # predict_interval's forecast, lower, upper
        for column, name in ((PRED_COL, "forecast"), (LOWER_COL, "lower"), (UPPER_COL, "upper")):
            out[column] = np.concatenate([f[name].to_numpy() for f in forecasts])
    else:
        out[PRED_COL] = np.concatenate([f.to_numpy() for f in forecasts])
    return pd.DataFrame(out)


# ------------------------------------------------------------------ local mode


def _fit_predict_local(uid, forecaster, y, exog, exog_future, horizon, coverage=None):
    """Fit ``forecaster`` on one series and forecast it: one task of the local mode."""
    try:
        forecaster.fit(y, exog)
        if coverage is not None:
            return forecaster.predict_interval(coverage, horizon, exog_future=exog_future)
        return forecaster.predict(horizon, exog_future=exog_future)
    except ValueError as error:
        raise ValueError(f"series {uid!r}: {error}") from error


# ------------------------------------------------------------------ global mode


def _global_window(forecaster, panel, horizon):
    if forecaster.window != "auto":
        return forecaster.window
    if forecaster.seasonal_period is not None:
        period = forecaster.seasonal_period
    else:
        period = max(infer_seasonal_period(y.index) for _, y, _ in panel)
    return max(2 * period, math.ceil(1.25 * horizon), 10)


def _fit_predict_global(panel, forecaster, horizon, futures, seed):
    """Per-series transforms (Forecaster's), one network over all windows, per-series forecasts."""
    template = clone(forecaster).set_params(
        window=_global_window(forecaster, panel, horizon))
    shells, prepared = [], []
    for uid, y, exog in panel:
        shell = clone(template)
        try:
            prepared.append(shell.prepare(y, exog))  # transforms and windows of this series
        except ValueError as error:
            raise ValueError(f"series {uid!r}: {error}; in global mode the window "
                             f"({template.window}) is common to all series") from error
        shells.append(shell)
    X = np.concatenate([p.X for p in prepared])
    Y = np.concatenate([p.Y for p in prepared])
    X_future = None
    if prepared[0].X_future is not None:
        X_future = np.concatenate([p.X_future for p in prepared])
    network = _global_network(forecaster, seed)
    fit_members([network], X, Y, X_future, decoder=forecaster.decoder, verbose=forecaster.verbose,
                labels=["global network"],
                default_budget=not isinstance(forecaster.estimator, BaseEstimator))
    forecasts = []
    for (uid, _, _), shell, series in zip(panel, shells, prepared, strict=True):
        shell.fit_prepared(series, members=[network])
        try:
            forecasts.append(shell.predict(horizon, exog_future=futures.get(uid)))
        except ValueError as error:
            raise ValueError(f"series {uid!r}: {error}") from error
    return forecasts


def _global_network(forecaster, seed):
    estimator = forecaster.estimator
    members = Members(estimator, network_options=forecaster.network_options,
                      decoder=forecaster.decoder, verbose=forecaster.verbose)
    if estimator is None or isinstance(estimator, str):
        cell = "gru" if estimator is None else estimator.lower()
        return members.default_network(cell, seed)
    members.check_no_network_options()
    network = clone(estimator)
    if seed is not None and "random_state" in network.get_params():
        network.set_params(random_state=seed)
    return network
