"""Run many fits at once through joblib, without oversubscribing the cores.

gatedts has no cluster code of its own: whatever joblib runs on (its default
loky process pool, threads, or a Dask or Ray cluster chosen with
``joblib.parallel_config(backend=...)``) runs the fits of
:func:`gatedts.forecast_many` and of ``GridSearchCV(..., n_jobs=...)``.

Two things matter in a pool of workers:

* **Threads.** The Numba kernels run their own threads over the batch
  (OpenMP layer) and numpy calls BLAS. With one task per core, a task that
  also starts one thread per core makes ``cores²`` threads fight for the
  cores. :func:`run_parallel` therefore runs each task with one Numba thread
  and one BLAS thread whenever more than one worker is in play, and leaves
  the threads alone when the tasks run one after another (then each fit uses
  every core through the kernels). Results do not depend on it: the kernels
  reduce in a fixed order, so forecasts are bit-identical for any thread
  count. Tasks that gatedts does not wrap (``GridSearchCV`` over an
  estimator) should get ``NUMBA_NUM_THREADS=1`` in the environment of the
  worker processes; joblib's loky workers already get it, Dask workers need
  it set where they start (``env={"NUMBA_NUM_THREADS": "1"}`` for a
  ``LocalCluster``, the environment of ``dask worker`` otherwise).
* **Compilation.** The kernels are compiled with ``cache=True``: the first
  process to call them compiles (seconds) and writes the machine code next
  to the sources (``gatedts/kernels/__pycache__``, or ``NUMBA_CACHE_DIR``);
  every later process loads it. :func:`warm_up` compiles or loads them once,
  so that it happens before timed work, e.g. once when building the image of
  the workers and then on every worker with ``client.run(warm_up)``.
"""

from __future__ import annotations

import contextlib
import pickle
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ..estimators import ESTIMATORS
from ..nn.cells import CELL_NAMES
from ..nn.cpu.common import CHUNK_ROWS

__all__ = ["limit_threads", "run_parallel", "warm_up"]


@contextlib.contextmanager
def limit_threads(n_threads: int | None) -> Iterator[None]:
    """Run the block with ``n_threads`` Numba threads and BLAS threads.

    Parameters
    ----------
    n_threads : int or None
        None leaves both as they are.

    Notes
    -----
    Numba's thread count is per calling thread (a Dask worker thread sets
    its own) and is restored on exit, as is the BLAS limit.
    """
    if n_threads is None:
        yield
        return
    import numba
    from threadpoolctl import threadpool_limits

    before = numba.get_num_threads()
    numba.set_num_threads(min(int(n_threads), numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=int(n_threads), user_api="blas"):
            yield
    finally:
        numba.set_num_threads(before)


def _picklable_warning_filters():
    kept = []
    for entry in warnings.filters:
        try:
            pickle.dumps(entry)
        except Exception:  # a filter on a category defined in a closure, say
            continue
        kept.append(entry)
    return kept


def _call(function, n_threads, filters, args):
    with warnings.catch_warnings(), limit_threads(n_threads):
        warnings.filters[:] = filters
        return function(*args)


def run_parallel(function: Callable[..., Any], tasks: Iterable[tuple], n_jobs: int | None = None,
                 on_result: Callable[[], object] | None = None) -> list:
    """``[function(*args) for args in tasks]``, run by joblib with ``n_jobs`` workers.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled to the workers).
    tasks : iterable of tuple
        Positional arguments of each call.
    n_jobs : int or None, default None
        As in joblib: None means 1 unless a ``joblib.parallel_config``
        context says otherwise (inside ``parallel_config(backend="dask")``
        None means every thread of the Dask workers); -1 means all cores.
    on_result : callable, optional
        Called without arguments as each result comes back, in the order of
        ``tasks`` (e.g. to move a progress bar). Under joblib's
        ``multiprocessing`` backend, which cannot hand results over one by
        one, the calls come when all tasks are done.

    Returns
    -------
    list
        The results in the order of ``tasks``.

    Notes
    -----
    With more than one worker, each call runs with one Numba thread and one
    BLAS thread (:func:`limit_threads`); with one worker the calls run in
    this process with the threads as configured. The caller's warning
    filters go with the calls, so a warning silenced around ``run_parallel``
    stays silent in worker processes too (worker threads share one filter
    list: with several threads per Dask worker, that is best effort).
    """
    n_threads = 1 if effective_n_jobs(n_jobs) > 1 else None
    filters = _picklable_warning_filters()
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    except ValueError:  # a backend without generators (multiprocessing): a list at the end
        parallel = Parallel(n_jobs=n_jobs)
    results = []
    for result in parallel(delayed(_call)(function, n_threads, filters, args)
                           for args in tasks):
        results.append(result)
        if on_result is not None:
            on_result()
    return results


def warm_up(cells: Iterable[str] = CELL_NAMES, dtypes: Iterable[str] = ("float32",),
            parallel: bool = True) -> float:
    """Compile (or load from the on-disk cache) the CPU kernels of the given cells.

    Fits a two-unit network for one epoch on a few random windows, which
    runs the forward, backward and prediction kernels of each cell and
    dtype once.

    Parameters
    ----------
    cells : iterable of {"gru", "lstm", "rnn"}
    dtypes : iterable of {"float32", "float64"}
    parallel : bool, default True
        Also fit on a batch of ``2 * CHUNK_ROWS`` windows, which compiles the
        batch-parallel kernels that such batches use (smaller ones never
        compile them).

    Returns
    -------
    float
        Seconds taken: seconds with a cold cache (compilation), a fraction
        of a second once the cache is warm.

    Examples
    --------
    On every worker of a Dask cluster, before submitting work::

        from distributed import Client
        from gatedts.forecasting.parallel import warm_up
        client = Client("tcp://scheduler:8786")
        client.run(warm_up)         # {worker address: seconds}
    """
    rng = np.random.default_rng(0)
    batches = [8, 2 * CHUNK_ROWS] if parallel else [8]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cell in cells:
            if cell not in ESTIMATORS:
                raise ValueError(f"unknown cell {cell!r}; choose among {sorted(ESTIMATORS)}")
            for dtype in dtypes:
                for batch in batches:
                    X, y = rng.standard_normal((batch, 4, 2)), rng.standard_normal(batch)
                    ESTIMATORS[cell](hidden_size=2, max_iter=1, batch_size=batch, dtype=dtype,
                                     random_state=0).fit(X, y).predict(X)
    return time.perf_counter() - start
