"""Thread-pool policy: Numba's OpenMP threads do the parallel work, politely.

Two measured problems (2 cores, numbers in benchmarks/README.md):

* A training step alternates Numba's parallel kernels (OpenMP threads) with
  numpy's BLAS products (OpenBLAS threads). With both pools at two threads,
  each pool's idle threads spin while the other works, and a step that takes
  0.6 ms alone stalls for ~8 ms waiting for the scheduler. The parallelism
  lives in the kernels, so the BLAS calls of a step run single-threaded
  (:func:`single_threaded_blas`); outside gatedts the user's setting stands.
* GNU OpenMP threads spin for ~300,000 iterations at every barrier. When other
  jobs share the cores, a spinning thread takes the time slice its partner
  needs: with the default, a fit under load ran 2× slower on two threads than
  on one. A spin count of 1,000 made it faster than one thread instead, at a
  cost of a few µs per parallel region when the machine is idle. It is set as
  a default (``GOMP_SPINCOUNT``) when gatedts is imported, before Numba starts
  its OpenMP pool; a value the user set wins.
"""

import contextlib
import os

os.environ.setdefault("GOMP_SPINCOUNT", "1000")

_controller = None


class _SingleThreadedBlas:
    """Set every loaded BLAS to one thread on entry and back on exit.

    threadpoolctl's ``limit`` context did the same in ~16 µs per call (it
    re-reads every library's state into new objects), a tenth of a small
    training step; this calls the libraries' own get/set functions (~1 µs).
    """

    __slots__ = ("libraries", "saved")

    def __init__(self, libraries):
        self.libraries = libraries
        self.saved = []

    def __enter__(self):
        self.saved = [(lib, lib.get_num_threads()) for lib in self.libraries]
        for lib, n in self.saved:
            if n != 1:
                lib.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        for lib, n in self.saved:
            if n != 1:
                lib.set_num_threads(n)
        return False


def single_threaded_blas():
    """Context manager limiting the loaded BLAS libraries to one thread."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    if not _controller.lib_controllers:
        return contextlib.nullcontext()
    return _SingleThreadedBlas(_controller.lib_controllers)
