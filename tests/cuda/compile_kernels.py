"""Compile every CUDA kernel to PTX for an H100 (sm_90) without a GPU.

Run by ``test_cuda_compile.py`` in a process without the simulator: the
simulator runs kernels as Python and so never checks that Numba can type
and compile them for a real card. Needs NVVM (``CUDA_HOME``, or the
``nvidia-cuda-nvcc-cu12`` wheel). Prints one JSON object: for each kernel and
dtype, the number of float64 instructions in its PTX.
"""

import json
import re
import sys

import numba.cuda.dispatcher
import numpy as np
from numba import boolean, cuda, float32, float64, int64, types


class _H100:
    compute_capability = (9, 0)


# Device functions are compiled for "the current device"; there is none here.
numba.cuda.dispatcher.get_current_device = lambda: _H100()

from gatedts.nn.cuda import common as cc  # noqa: E402
from gatedts.nn.cuda import gru as cuda_gru  # noqa: E402
from gatedts.nn.cuda import lstm as cuda_lstm  # noqa: E402
from gatedts.nn.cuda import optim as ct  # noqa: E402
from gatedts.nn.cuda import rnn as cuda_rnn  # noqa: E402


def A(dtype, ndim, layout="C"):
    return types.Array(dtype, ndim, layout)


def kernels(nt, dtype):
    a1, a2, a3 = A(nt, 1), A(nt, 2), A(nt, 3)
    # the tuples the recurrence kernels take: the buffers a forward pass fills,
    # and those a backward pass fills (its dh0, and dc0, are 2-D)
    outputs, gru_grads = types.UniTuple(a3, 3), types.Tuple((a3, a3, a2, a3))
    lstm_grads = types.Tuple((a3, a2, a2, a3))
    view1, view2 = A(nt, 1, "A"), A(nt, 2, "A")
    gru, lstm, rnn = cuda_gru._kernels(dtype), cuda_lstm._kernels(dtype), cuda_rnn._kernels(dtype)
    return {
        "gru_forward": (gru[0], (a3, a1, a1, a2, boolean, outputs, int64, boolean)),
        "gru_backward": (gru[1], (a1, boolean, a3, a3, a3, a3, gru_grads, int64, boolean)),
        "lstm_forward": (lstm[0], (a3, a1, a1, a2, boolean, a2, a2, outputs, int64, boolean)),
        "lstm_backward": (lstm[1], (a1, a2, boolean, a3, a3, a3, lstm_grads, int64, boolean)),
        "rnn_forward": (rnn[0], (a3, a1, a1, a2, a3, int64, boolean)),
        "rnn_backward": (rnn[1], (a1, a3, a3, a3, a2, a3, int64, boolean)),
        "gemm": (cc._gemm_kernel(dtype), (view2, view2, view2, boolean, boolean, view1, boolean,
                                          boolean)),
        "colsum": (cc._colsum_kernel(dtype), (view2, view2, boolean, view1)),
        "fill": (cc._fill2d, (view2, nt)),
        "multiply": (cc._multiply2d, (view2, view2, view2)),
        "scale": (cc._scale1d, (a1, nt)),
        "transpose": (cc._transpose_flat, (a1, int64, int64, a1)),
        "gather": (cc._gather_time_major, (a3, A(int64, 1), a3)),
        "loss": (ct._loss_kernel(dtype), (a2, a2, int64, nt, nt, nt, nt, nt, a2,
                                          A(float64, 2))),
        "sum_partials": (ct._sum_partials, (view1, boolean, A(float64, 1, "A"))),
        "adam": (ct._adam, (a1, a1, a1, a1, int64, types.UniTuple(nt, 7))),
        "sgd": (ct._sgd, (a1, a1, a1, int64, nt, nt, boolean, nt)),
    }


def main():
    report = {}
    for nt, dtype in ((float32, np.float32), (float64, np.float64)):
        for name, (kernel, signature) in kernels(nt, dtype).items():
            ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(9, 0))
            report[f"{name}[{np.dtype(dtype).name}]"] = len(re.findall(r"\.f64\b", ptx))
    ptx, _ = cuda.compile_ptx(ct._sum_finish.py_func, (A(float64, 1, "A"), A(float64, 1), int64),
                              cc=(9, 0))
    report["sum_finish"] = len(re.findall(r"\.f64\b", ptx))
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
