"""Helpers shared by the tests: the cell variants and random models and states,
and the documentation's API walker.

Imported as ``from helpers import ...`` (pytest puts ``tests/`` on the path);
fixtures stay in ``conftest.py``.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from gatedts import functional as F

DOCS_EXT = Path(__file__).resolve().parents[1] / "docs" / "_ext" / "gatedts_docs.py"


def load_docs_ext():
    """``docs/_ext/gatedts_docs.py``, which decides what the public API is."""
    spec = importlib.util.spec_from_file_location("gatedts_docs", DOCS_EXT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module

# (cell, reset_after, peephole): every cell variant the kernels implement.
VARIANTS = [
    ("gru", True, False),
    ("gru", False, False),
    ("lstm", True, False),
    ("lstm", True, True),
    ("rnn", True, False),
]
VARIANT_IDS = ["gru", "gru-cho", "lstm", "lstm-peephole", "rnn"]

# The README's layout settings for each framework's rows with one covariate
# ("ex"; mlforecast also has a static "st" and the date feature "month").
LAYOUT_PRESETS = {
    "skforecast": {"lag_order": "newest_first", "static_features": [-1]},
    "mlforecast": {"lag_order": "newest_first", "static_features": ["ex", "st", "month"]},
    "sktime": {"n_features_per_step": 2, "feature_layout": "blocks"},
    "darts": {"n_features_per_step": 2, "feature_layout": "blocks"},
}


def random_model(cell, input_size, hidden_size, output_size=1, *, peephole=False, seed=0,
                 dtype=np.float64, scale=0.3, bidirectional=False):
    """Parameters with every entry non-zero (init leaves biases at 0, which would
    hide bias-gradient mistakes)."""
    params = F.init_params(cell, input_size, hidden_size, output_size=output_size,
                           peephole=peephole, bidirectional=bidirectional, random_state=seed,
                           dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    return {k: (v + scale * rng.standard_normal(v.shape)).astype(dtype) for k, v in params.items()}


def random_case(variant, hidden, *, batch=3, n_steps=6, n_in=2, n_out=2, seed=0,
                bidirectional=False):
    """``(cell, reset_after, params, X, y, h0, c0)``: a random model of ``variant`` with
    layers ``hidden``, a batch and initial states (two per layer when bidirectional)."""
    cell, reset_after, peephole = variant
    params = random_model(cell, n_in, hidden, n_out, peephole=peephole, seed=seed,
                          bidirectional=bidirectional)
    rng = np.random.default_rng(seed + 10)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_out))
    sizes = [H for H in hidden for _ in range(2 if bidirectional else 1)]
    h0, c0 = random_states(cell, batch, sizes, seed)
    return cell, reset_after, params, X, y, h0, c0


def random_states(cell, batch, hidden_sizes, seed=0):
    rng = np.random.default_rng(seed + 2)
    h0 = [0.5 * rng.standard_normal((batch, H)) for H in hidden_sizes]
    c0 = [0.5 * rng.standard_normal((batch, H)) for H in hidden_sizes] if cell == "lstm" else None
    return h0, c0


def central_difference(f, array, eps=1e-4):
    """Fourth-order central differences: (8 [f(x+h) − f(x−h)] − [f(x+2h) − f(x−2h)]) / 12h."""
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        saved = array[idx]
        values = []
        for step in (eps, -eps, 2 * eps, -2 * eps):
            array[idx] = saved + step
            values.append(f())
        array[idx] = saved
        grad[idx] = (8 * (values[0] - values[1]) - (values[2] - values[3])) / (12 * eps)
    return grad


def ctrl_c_at_step(monkeypatch, step):
    """Simulate Ctrl-C: training step number ``step`` (of all fits from now on) raises
    KeyboardInterrupt, as Python's SIGINT handler does once a kernel call returns.

    Returns a list that counts the steps taken (the interrupted one included).
    """
    from gatedts.nn import functional

    real, steps = functional.loss_and_grad, []

    def loss_and_grad(*args, **kwargs):
        steps.append(1)
        if len(steps) == step:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(functional, "loss_and_grad", loss_and_grad)
    return steps


def assert_gradients_match(case, label, tol=1e-6, **options):
    """``loss_and_grad(**options)`` of ``case`` (a :func:`random_case`) against central
    differences, for every parameter, X and the initial states; prints the worst error."""
    cell, reset_after, params, X, y, h0, c0 = case
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, reset_after=reset_after,
                                       return_input_grads=True, **options)
    assert grads.keys() == params.keys()

    def loss():
        return F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, reset_after=reset_after,
                               **options)[0]

    worst = gradient_errors(loss, params, grads, inputs, X, h0, c0)
    print(f"\nmax relative error vs central differences {label}: {max(worst.values()):.2e}")
    assert max(worst.values()) < tol, worst


def assert_forward_equal(fwd, pred, seq, h_n, c_n, rtol=1e-12, atol=1e-14):
    """A :class:`Forward` against a reference's prediction, sequence and final states."""
    np.testing.assert_allclose(fwd.prediction, pred, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fwd.sequence, seq, rtol=rtol, atol=atol)
    assert len(fwd.h_n) == len(h_n)
    for a, b in zip(fwd.h_n, h_n, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    for a, b in zip(fwd.c_n or (), c_n if fwd.c_n else (), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def relative_error(analytic, numeric):
    """Largest element-wise relative difference; entries below 1e-5 count at scale 1e-5.

    Fourth-order differences with ``eps=1e-4`` carry ~1e-12 of rounding noise
    for a loss of order 1 (float64 ε · loss / eps), so an entry of 1e-6 cannot
    be resolved to 1e-6 relative: such entries are held to an absolute error
    of ``tol · 1e-5`` (1e-11 at the usual ``tol=1e-6``) instead.
    """
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-5)
    return float(np.max(np.abs(analytic - numeric) / scale))


def gradient_errors(loss, params, grads, inputs, X, h0, c0):
    """Relative error of every gradient of ``loss_and_grad`` against central differences.

    ``loss()`` evaluates the loss at the current ``params``, ``X``, ``h0``, ``c0``
    (perturbed in place); ``inputs`` is the ``return_input_grads`` dict.
    """
    worst = {key: relative_error(grads[key], central_difference(loss, params[key]))
             for key in params}
    worst["X"] = relative_error(inputs["X"], central_difference(loss, X))
    for k in range(len(h0)):
        worst[f"h0[{k}]"] = relative_error(inputs["h0"][k], central_difference(loss, h0[k]))
        if c0 is not None:
            worst[f"c0[{k}]"] = relative_error(inputs["c0"][k], central_difference(loss, c0[k]))
    return worst
