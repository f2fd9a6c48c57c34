"""Keep numpy's BLAS to one thread while the Numba kernels run their own threads.

A training step alternates Numba's parallel kernels (OpenMP threads) with
numpy's BLAS products (OpenBLAS threads). With both pools at two threads on
two cores, each pool's idle threads spin while the other works, and a step
that takes 0.6 ms alone stalls for ~8 ms waiting for the scheduler (measured;
see benchmarks/README.md). The parallelism lives in the kernels, so the BLAS
calls of a step run single-threaded; outside gatedts the user's setting is
untouched.
"""

import contextlib

_controller = None


def single_threaded_blas():
    """Context manager limiting the loaded BLAS libraries to one thread."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    if not _controller.lib_controllers:
        return contextlib.nullcontext()
    return _controller.limit(limits=1)
