"""The CPU kernels also run as plain Python (``NUMBA_DISABLE_JIT=1``) and agree with
the compiled ones.

That is how coverage sees the kernel lines, and how a kernel can be stepped
through in a debugger, so it has to keep working. Numba reads the flag when it
is imported, so a subprocess (with its own empty ``NUMBA_CACHE_DIR``) runs
forward, loss_and_grad and predict of every cell variant on tiny shapes and
saves the results; this process computes the same compiled and compares. The
child runs every case twice, the second time with the batch cut into several
chunks and the input projection on its parallel path (``SPLIT``), so the
``prange`` branches run too. The scalar helpers of ``nn/cpu/common.py`` are
also checked on their own, Python body against compiled body.

Tolerance: relative 1e-12 per entry, with an absolute floor of 1e-12 times the
largest entry of the array (a gradient entry can be ~0 by cancellation). The
Python path runs the same operations in the same order as the compiled code,
but the compiled kernels may fuse a multiply and an add into one rounding
(``KERNEL_OPTIONS``' "contract"), so the results agree to about an ulp, not
bit for bit.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import VARIANT_IDS, VARIANTS, random_model, random_states
from numba import config, njit
from numba.core.errors import TypingError

from gatedts import functional as F
from gatedts.nn.cpu import common

# Run without the JIT, this file would compare plain Python with itself.
pytestmark = pytest.mark.skipif(config.DISABLE_JIT, reason="compares with the compiled kernels")

HIDDEN = (3, 2)  # two layers
BATCH = 5  # two chunks of the batch when the child sets CHUNK_ROWS = 2

# In plain Python the kernels read these module globals at each call, so the
# child can shrink them to walk the parallel branches (several batch chunks, a
# time-parallel input projection) on tiny shapes. Compiled kernels froze them.
SPLIT = {"CHUNK_ROWS": 2, "PARALLEL_MIN_SIZE": 0}


def _case(cell, peephole, dtype=np.float64):
    params = random_model(cell, 2, HIDDEN, 2, peephole=peephole, seed=3, dtype=dtype)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((BATCH, 4, 2)).astype(dtype)
    y = rng.standard_normal((BATCH, 2))
    h0, c0 = random_states(cell, BATCH, HIDDEN, seed=3)
    return params, X, y, h0, c0


def _results(cell, reset_after, peephole, dtype=np.float64):
    """Every array a kernel produced, through the public functional API, by name."""
    params, X, y, h0, c0 = _case(cell, peephole, dtype)
    out = {}
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, return_gates=True)
    out["prediction"], out["sequence"] = fwd.prediction, fwd.sequence
    for k, gates in enumerate(fwd.gates):
        out.update({f"gates[{k}].{name}": value for name, value in gates.items()})
    for k in range(len(HIDDEN)):
        out[f"h_n[{k}]"] = fwd.h_n[k]
        if cell == "lstm":
            out[f"c_n[{k}]"] = fwd.c_n[k]
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0,
                                           reset_after=reset_after, return_input_grads=True)
    out["loss"] = np.array(value)
    out.update({f"grad.{key}": g for key, g in grads.items()})
    out["dX"] = inputs["X"]
    for k in range(len(HIDDEN)):
        out[f"dh0[{k}]"], out[f"dh[{k}]"] = inputs["h0"][k], inputs["dh"][k]
        if cell == "lstm":
            out[f"dc0[{k}]"] = inputs["c0"][k]
    # zero initial states and a small batch: the one-call *_predict kernels
    out["predict"] = F.predict(cell, params, X, reset_after=reset_after)
    return out


def _child(path):
    """Run in the NUMBA_DISABLE_JIT=1 subprocess: save every case to ``path``."""
    from gatedts.nn.cpu import common

    assert not hasattr(common.matmul, "py_func"), "the JIT is not disabled"
    saved = {}
    for split in (False, True):
        if split:
            for name, value in SPLIT.items():
                setattr(common, name, value)
        for variant, name in zip(VARIANTS, VARIANT_IDS, strict=True):
            for key, value in _results(*variant).items():
                saved[f"{name}/{split}/{key}"] = value
    for key, value in _results("gru", True, False, np.float32).items():
        saved[f"gru-float32/{key}"] = value
    np.savez(path, **saved)


@pytest.fixture(scope="module")
def python_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nojit")
    path = tmp / "results.npz"
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "NUMBA_CACHE_DIR": str(tmp / "numba-cache")}
    code = "import sys, test_nojit; test_nojit._child(sys.argv[1])"  # tests/ is the cwd
    subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True,
                   cwd=Path(__file__).parent)
    with np.load(path) as saved:
        return dict(saved)


def _assert_close(python, compiled, key):
    atol = 1e-12 * float(np.max(np.abs(compiled), initial=0.0))
    np.testing.assert_allclose(python, compiled, rtol=1e-12, atol=atol, err_msg=key)


@pytest.mark.parametrize("split", [False, True], ids=["one-chunk", "split"])
def test_python_kernels_match_compiled(python_results, variant, split):
    name = VARIANT_IDS[VARIANTS.index(variant)]
    compiled = _results(*variant)
    prefix = f"{name}/{split}/"
    assert {k.removeprefix(prefix) for k in python_results if k.startswith(prefix)} == set(compiled)
    for key, value in compiled.items():
        python = python_results[prefix + key]
        assert python.shape == value.shape and python.dtype == value.dtype, key
        _assert_close(python, value, key)


def test_python_kernels_keep_float32(python_results):
    compiled = _results("gru", True, False, np.float32)
    for key, value in compiled.items():
        python = python_results[f"gru-float32/{key}"]
        assert python.dtype == value.dtype, key
        if key != "loss":  # loss_and_grad returns the loss as a Python float
            assert python.dtype == np.float32, key
        # the same float32 operations in the same order: equal to float32 rounding
        np.testing.assert_allclose(python, value, rtol=1e-6,
                                   atol=1e-6 * float(np.max(np.abs(value), initial=0.0)),
                                   err_msg=key)


SCALAR_HELPERS = [common.sigmoid, common.tanh, common.dsigmoid, common.dtanh, common.flush_tiny]


@njit
def _compiled_loop(helper, x):
    out = np.empty_like(x)
    for j in range(x.size):
        out[j] = helper(x[j])
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("helper", SCALAR_HELPERS, ids=lambda h: h.__name__)
def test_scalar_helpers_python_bodies_equal_compiled(helper, dtype):
    # The kernels call these scalar functions; without the JIT they run their
    # Python bodies, which must be the compiled function, bit for bit, in the
    # argument's own float type.
    tiny = np.finfo(dtype).tiny
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, -0.0, 1e-30, -1e-30, 2e-38, -2e-38],
                        [tiny, -tiny, 2.0**-120, 800.0, -800.0, np.inf, -np.inf, np.nan]])
    x = x.astype(dtype)
    compiled = _compiled_loop(njit(lambda v: helper(v)), x)
    with np.errstate(invalid="ignore"):  # NaN cast to an integer exponent: a NumPy warning
        python = [helper(v) for v in x]
    assert {type(v) for v in python} == {dtype}
    np.testing.assert_array_equal(np.array(python).view(f"u{x.itemsize}"),
                                  compiled.view(f"u{x.itemsize}"))


@pytest.mark.parametrize("helper", SCALAR_HELPERS, ids=lambda h: h.__name__)
def test_scalar_helpers_reject_integers(helper):
    # An integer would silently make float32 kernels compute in float64.
    with pytest.raises(TypingError):
        njit(lambda v: helper(v))(1)
    with pytest.raises(KeyError):
        helper(np.int64(1))
