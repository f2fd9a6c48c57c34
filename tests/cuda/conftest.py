"""The CUDA tests: they run under Numba's CUDA simulator or on a real GPU.

Run them in their own process, with the simulator switched on before numba
is imported::

    NUMBA_ENABLE_CUDASIM=1 pytest -q tests/cuda

In any other run (plain ``pytest -q`` on a machine without a GPU) every test
here is skipped, without compiling or launching anything.
"""

import os
import sys

import pytest

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _device_available():
    if SIMULATOR:
        return True
    from numba import cuda

    return cuda.is_available()


if SIMULATOR:
    # The simulator runs each CUDA thread as a Python thread; a short GIL switch
    # interval lets threads waiting at cuda.syncthreads() resume without a 5 ms
    # wait (the tests run ~4x faster).
    sys.setswitchinterval(5e-4)


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    ours = [item for item in items if str(item.fspath).startswith(here)]
    if not ours or _device_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU; run NUMBA_ENABLE_CUDASIM=1 pytest tests/cuda")
    for item in ours:
        if "any_device" not in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "any_device: runs with or without a GPU or simulator")
