"""Estimators with ``device="cuda"``: a whole fit on the device equals the CPU fit.

Three epochs of two mini-batches (3 + 2 samples) on five tiny windows, float64: weights, loss
and gradient-norm curves and the optimizer state must match the CPU fit to
1e-10, for every cell variant, one and two layers (two with dropout, drawn
from the same generator), Adam and SGD, clipping active. Also the error paths:
no GPU, and ``device="auto"``.
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from helpers import VARIANT_IDS, VARIANTS
from sklearn.exceptions import ConvergenceWarning

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _model(cell, reset_after, peephole, **kw):
    if cell == "gru":
        return GRURegressor(reset_after=reset_after, **kw)
    if cell == "lstm":
        return LSTMRegressor(peephole=peephole, **kw)
    return RNNRegressor(**kw)


def _data(n=5, n_steps=4, features=2, outputs=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_steps, features)), rng.standard_normal((n, outputs))


# Optimiser settings per variant, so that both solvers and the schedules run.
SOLVER = dict(zip(VARIANTS, [
    {"solver": "adam"},
    {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True, "learning_rate_init": 0.1},
    {"solver": "adam", "learning_rate": "cosine", "loss": "huber"},
    {"solver": "adam", "early_stopping": True, "validation_fraction": 0.4, "loss": "mae"},
    {"solver": "sgd", "momentum": 0.0, "learning_rate_init": 0.1},
], strict=True))


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _max_abs(a, b):
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


@pytest.mark.parametrize("hidden", [3, (3, 2)], ids=["1-layer", "2-layer"])
@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_fit_matches_cpu(cell, reset_after, peephole, hidden):
    X, y = _data()
    kw = {"hidden_size": hidden, "max_iter": 3, "batch_size": 3, "random_state": 0,
          "dtype": "float64", "learning_rate_init": 0.05, "clip_norm": 0.5, "alpha": 1e-3,
          "dropout": 0.25 if np.ndim(hidden) else 0.0, **SOLVER[cell, reset_after, peephole]}
    cpu = _fit(_model(cell, reset_after, peephole, device="cpu", **kw), X, y)
    gpu = _fit(_model(cell, reset_after, peephole, device="cuda", **kw), X, y)
    assert gpu.n_iter_ == cpu.n_iter_ == 3
    diff = _max_abs(cpu.params_, gpu.params_)
    assert diff < 1e-10
    assert np.max(np.abs(np.subtract(cpu.loss_curve_, gpu.loss_curve_))) < 1e-10
    assert np.max(np.abs(np.subtract(cpu.grad_norm_curve_, gpu.grad_norm_curve_))) < 1e-10
    for name, state in cpu._optimizer.state.items():
        assert _max_abs(state, gpu._optimizer.state[name]) < 1e-10
    assert gpu._optimizer.n_steps == cpu._optimizer.n_steps
    assert np.max(np.abs(cpu.predict(X) - gpu.predict(X))) < 1e-10
    print(f"\n{cell} {hidden}: max |params CUDA - CPU| after 3 epochs = {diff:.2e}")


def test_partial_fit_continues_the_device_optimizer():
    X, y = _data()
    kw = {"hidden_size": 3, "batch_size": 3, "random_state": 1, "dtype": "float64"}
    cpu, gpu = GRURegressor(device="cpu", **kw), GRURegressor(device="cuda", **kw)
    for _ in range(2):
        cpu.partial_fit(X, y)
        gpu.partial_fit(X, y)
    assert gpu._optimizer.n_steps == cpu._optimizer.n_steps == 4
    assert _max_abs(cpu.params_, gpu.params_) < 1e-10


def test_float32_fit_close_to_cpu():
    X, y = _data()
    kw = {"hidden_size": (3, 2), "max_iter": 3, "batch_size": 3, "random_state": 0,
          "dtype": "float32", "learning_rate_init": 0.05}
    cpu = _fit(LSTMRegressor(device="cpu", **kw), X, y)
    gpu = _fit(LSTMRegressor(device="cuda", **kw), X, y)
    assert all(v.dtype == np.float32 for v in gpu.params_.values())
    assert _max_abs(cpu.params_, gpu.params_) < 1e-5
    assert np.allclose(cpu.loss_curve_, gpu.loss_curve_, rtol=1e-5)


@pytest.mark.skipif(not SIMULATOR, reason="checks the simulator is never picked by 'auto'")
def test_auto_never_picks_the_simulator():
    from gatedts.nn.cuda.functional import resolve_device

    assert resolve_device("auto") == "cpu"
    assert resolve_device("cuda") == "cuda"
    X, y = _data()
    kw = {"hidden_size": 3, "max_iter": 2, "random_state": 0}
    cpu = _fit(GRURegressor(device="cpu", **kw), X, y)
    auto = _fit(GRURegressor(device="auto", **kw), X, y)
    assert all(np.array_equal(cpu.params_[k], auto.params_[k]) for k in cpu.params_)


NO_GPU_SCRIPT = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    import gatedts
    from gatedts import GRURegressor, functional as F
    assert "numba.cuda" not in sys.modules, "import gatedts imported numba.cuda"
    X = np.random.default_rng(0).standard_normal((6, 4, 1)); y = X[:, -1, 0]
    warnings.simplefilter("ignore")
    cpu = GRURegressor(hidden_size=3, max_iter=2, random_state=0).fit(X, y)
    assert "numba.cuda" not in sys.modules, "a CPU fit imported numba.cuda"
    auto = GRURegressor(hidden_size=3, max_iter=2, random_state=0, device="auto").fit(X, y)
    assert all(np.array_equal(cpu.params_[k], auto.params_[k]) for k in cpu.params_)
    for call in (lambda: GRURegressor(device="cuda", max_iter=1).fit(X, y),
                 lambda: F.predict("gru", cpu.params_, X, device="cuda")):
        try:
            call()
        except RuntimeError as error:
            print("ERROR:", error)
        else:
            raise AssertionError("device='cuda' without a GPU did not raise")
""")


@pytest.mark.any_device
def test_no_gpu_errors_and_auto_falls_back_to_cpu():
    """Without a GPU (hidden here) and without the simulator: 'cuda' raises a clear
    error, 'auto' trains on the CPU, and ``import gatedts`` leaves numba.cuda alone."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    result = subprocess.run([sys.executable, "-c", NO_GPU_SCRIPT], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    message = ("device='cuda' but no CUDA GPU is available (numba.cuda.is_available() is "
               "False); use device='cpu' or 'auto'")
    assert result.stdout.count(f"ERROR: {message}") == 2, result.stdout


def test_sample_weights_are_refused_on_the_device():
    # The device loss kernel is unweighted: a clear error rather than a silently
    # unweighted fit, before anything is trained or uploaded.
    from gatedts import functional as F

    X, y = _data()
    model = GRURegressor(hidden_size=2, max_iter=1, device="cuda")
    with pytest.raises(ValueError, match="sample_weight trains on the CPU only"):
        model.fit(X, y, sample_weight=np.ones(len(X)))
    assert not hasattr(model, "params_")
    params = F.init_params("gru", 2, 3, output_size=2, dtype=np.float64)
    with pytest.raises(ValueError, match="sample_weight runs on the CPU only"):
        F.loss_and_grad("gru", params, X, y, sample_weight=np.ones(len(X)), device="cuda")
    loss, _ = F.loss_and_grad("gru", params, X, y, device="cuda")  # unweighted: on the device
    assert loss == pytest.approx(F.loss_and_grad("gru", params, X, y)[0], rel=1e-12)
