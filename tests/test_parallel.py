"""gatedts.forecasting.parallel: warning filters sent to workers, results as they come,
warm_up's checks.

run_parallel's order and thread limits are tested with the panel (tests/test_panel.py).
"""

import warnings

import joblib
import pytest

from gatedts.forecasting.parallel import _picklable_warning_filters, run_parallel, warm_up


def _square(x):
    return x * x


def test_a_warning_filter_that_cannot_be_pickled_stays_behind():
    class LocalWarning(UserWarning):  # defined in a function: pickle cannot send it
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocalWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        kept = _picklable_warning_filters()
        assert len(kept) == len(warnings.filters) - 1
        assert all(entry[2] is not LocalWarning for entry in kept)
        assert ("ignore", None, DeprecationWarning, None, 0) in kept
        assert run_parallel(_square, [(1,), (2,), (3,)], n_jobs=2) == [1, 4, 9]


EVENTS = []


def _logged_square(x):
    EVENTS.append(f"task {x}")
    return x * x


def test_on_result_follows_each_result_as_it_comes():
    EVENTS.clear()
    squares = run_parallel(_logged_square, [(1,), (2,)],
                           on_result=lambda: EVENTS.append("result"))
    assert squares == [1, 4]
    assert EVENTS == ["task 1", "result", "task 2", "result"]


def test_on_result_under_a_backend_without_generators():
    calls = []
    with joblib.parallel_config(backend="multiprocessing"):
        squares = run_parallel(_square, [(1,), (2,), (3,)], n_jobs=2,
                               on_result=lambda: calls.append(1))
    assert squares == [1, 4, 9] and len(calls) == 3


def test_warm_up_rejects_an_unknown_cell():
    with pytest.raises(ValueError, match=r"unknown cell 'tcn'; choose among \['gru', 'lstm', "
                                         r"'rnn'\]"):
        warm_up(cells=["tcn"])
