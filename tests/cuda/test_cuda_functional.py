"""gatedts.nn.cuda against the CPU functional API: forward, loss, every gradient.

Tiny shapes (the simulator runs each CUDA thread as a Python thread): batch 3,
4 steps, hidden 3 (and 2 above it). Batch 3 with two rows per block (the
simulator reports 2 SMs) also exercises a partial last block.
"""

import numpy as np
import pytest
from helpers import VARIANT_IDS, VARIANTS, random_model, random_states

from gatedts import functional as F

gcuda = pytest.importorskip("gatedts.nn.cuda.functional")
cc = pytest.importorskip("gatedts.nn.cuda.common")
cuda_optim = pytest.importorskip("gatedts.nn.cuda.optim")

LAYERS = [(3,), (3, 2)]
LAYER_IDS = ["1-layer", "2-layer"]
LOSS_FOR = dict(zip(VARIANTS, ["mse", "huber", "mae", "mse", "huber"], strict=True))
MAX_DIFF = {}  # largest |CUDA - CPU| per test, printed at the end with -s


def _record(name, diff):
    MAX_DIFF[name] = max(MAX_DIFF.get(name, 0.0), float(diff))
    return diff


def _problem(cell, hidden, peephole, dtype=np.float64, outputs=2, batch=3, n_steps=4):
    params = random_model(cell, 2, hidden, outputs, peephole=peephole, seed=1, dtype=dtype)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((batch, n_steps, 2)).astype(dtype)
    y = rng.standard_normal((batch, outputs)).astype(dtype)
    h0, c0 = random_states(cell, batch, hidden)
    return params, X, y, h0, c0


def _max_abs(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return max(_max_abs(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return max(_max_abs(x, z) for x, z in zip(a, b, strict=True))
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


@pytest.mark.parametrize("hidden", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_cpu(cell, reset_after, peephole, hidden):
    params, X, _, h0, c0 = _problem(cell, hidden, peephole)
    kw = {"h0": h0, "c0": c0, "reset_after": reset_after, "return_gates": True}
    cpu = F.forward(cell, params, X, **kw)
    gpu = F.forward(cell, params, X, device="cuda", **kw)
    for name in ("prediction", "sequence", "h_n", "c_n", "gates"):
        expected, got = getattr(cpu, name), getattr(gpu, name)
        if expected is None:
            assert got is None
            continue
        assert _record("forward", _max_abs(expected, got)) < 1e-10, name
    kw.pop("return_gates")
    assert _max_abs(F.predict(cell, params, X, device="cuda", **kw), cpu.prediction) < 1e-10


@pytest.mark.parametrize("hidden", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_loss_and_grad_match_cpu(cell, reset_after, peephole, hidden):
    params, X, y, h0, c0 = _problem(cell, hidden, peephole)
    loss = LOSS_FOR[cell, reset_after, peephole]
    kw = {"loss": loss, "h0": h0, "c0": c0, "reset_after": reset_after,
          "dropout": 0.3 if len(hidden) > 1 else 0.0, "return_input_grads": True}
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, random_state=7, **kw)
    value_d, grads_d, inputs_d = F.loss_and_grad(cell, params, X, y, random_state=7,
                                                 device="cuda", **kw)
    assert _record("loss", abs(value - value_d)) < 1e-12
    assert _record("grads", _max_abs(grads, grads_d)) < 1e-10
    for key in ("X", "h0", "c0", "dh"):
        if inputs[key] is None:
            assert inputs_d[key] is None
        else:
            assert _record("input grads", _max_abs(inputs[key], inputs_d[key])) < 1e-10, key


@pytest.mark.parametrize(("cell", "reset_after", "peephole"), VARIANTS, ids=VARIANT_IDS)
def test_float32_matches_cpu(cell, reset_after, peephole):
    params, X, y, h0, c0 = _problem(cell, (3, 2), peephole, dtype=np.float32)
    kw = {"h0": [h.astype(np.float32) for h in h0], "reset_after": reset_after,
          "c0": None if c0 is None else [c.astype(np.float32) for c in c0]}
    value, grads = F.loss_and_grad(cell, params, X, y, **kw)
    value_d, grads_d = F.loss_and_grad(cell, params, X, y, device="cuda", **kw)
    assert all(g.dtype == np.float32 for g in grads_d.values())
    assert abs(value - value_d) <= 1e-6 * max(1.0, abs(value))
    for key, g in grads.items():
        scale = max(1.0, float(np.max(np.abs(g))))
        assert _record("float32 grads", _max_abs(g, grads_d[key]) / scale) < 2e-5, key


@pytest.mark.parametrize("launch", ["weights-in-global-memory", "more-pairs-than-threads"])
@pytest.mark.parametrize(("cell", "reset_after", "peephole"),
                         [VARIANTS[1], VARIANTS[3], VARIANTS[4]],
                         ids=[VARIANT_IDS[1], VARIANT_IDS[3], VARIANT_IDS[4]])
def test_other_launch_shapes(cell, reset_after, peephole, launch, monkeypatch):
    """W_hh read from global memory (large H on a real card), and blocks whose
    threads loop over several (row, unit) pairs."""
    params, X, y, h0, c0 = _problem(cell, (3,), peephole)
    kw = {"h0": h0, "c0": c0, "reset_after": reset_after}
    value, grads = F.loss_and_grad(cell, params, X, y, **kw)
    if launch == "weights-in-global-memory":
        monkeypatch.setattr(cc, "SHARED_MEMORY_BYTES", 8 * 3 * 6 * 2)  # room for row buffers
    else:
        monkeypatch.setattr(cc, "MAX_THREADS", 4)
    value_d, grads_d = F.loss_and_grad(cell, params, X, y, device="cuda", **kw)
    assert abs(value - value_d) < 1e-12
    assert _record("grads (other launches)", _max_abs(grads, grads_d)) < 1e-10


def test_device_params_round_trip_and_device_grads():
    params, X, y, _, _ = _problem("lstm", (3, 2), True)
    dparams = gcuda.to_device(params)
    assert list(dparams) == list(params)
    # weights first in the flat buffer: weight decay covers a prefix
    assert dparams.layout.n_decay == sum(v.size for k, v in params.items() if "weight" in k)
    back = gcuda.to_host(dparams)
    assert list(back) == list(params)
    assert _max_abs(back, params) == 0.0
    value, grads = F.loss_and_grad("lstm", params, X, y)
    value_d, dgrads = F.loss_and_grad("lstm", dparams, X, y, device="cuda")
    assert isinstance(dgrads, gcuda.DeviceParams)
    assert abs(value - value_d) < 1e-12
    assert _max_abs(gcuda.to_host(dgrads), grads) < 1e-10
    norm = cuda_optim.clip_grad_norm(dgrads, 0.5)
    from gatedts.nn.optim import clip_grad_norm

    assert abs(norm - clip_grad_norm(grads, 0.5)) < 1e-10
    assert _max_abs(gcuda.to_host(dgrads), grads) < 1e-10


@pytest.mark.parametrize(("trans_a", "trans_b"), [(False, False), (True, False), (False, True)])
def test_gemm_and_column_sums(trans_a, trans_b):
    rng = np.random.default_rng(0)
    M, N, K = 5, 7, 9
    a = rng.standard_normal((K, M) if trans_a else (M, K))
    b = rng.standard_normal((N, K) if trans_b else (K, N))
    bias, c0 = rng.standard_normal(N), rng.standard_normal((M, N))
    expected = (a.T if trans_a else a) @ (b.T if trans_b else b) + bias + c0
    from numba import cuda

    c = cuda.to_device(c0)
    cc.gemm_cuda(cuda.to_device(a), cuda.to_device(b), c, trans_a, trans_b,
                 bias=cuda.to_device(bias), accumulate=True)
    assert np.max(np.abs(c.copy_to_host() - expected)) < 1e-12
    wide = cuda.to_device(rng.standard_normal((6, 11)))  # a strided column view
    out = cuda.device_array(4)
    cc.colsum_cuda(wide[:, 3:7], out, b=wide[:, 5:9])
    host = wide.copy_to_host()
    assert np.max(np.abs(out.copy_to_host() - (host[:, 3:7] * host[:, 5:9]).sum(0))) < 1e-12


def test_bad_device_argument():
    params, X, y, _, _ = _problem("gru", (3,), False)
    with pytest.raises(ValueError, match="device must be one of 'cpu', 'cuda', 'auto'"):
        F.predict("gru", params, X, device="tpu")
    with pytest.raises(ValueError, match="unknown loss"):
        F.loss_and_grad("gru", params, X, y, loss="l1", device="cuda")


def test_print_max_differences():
    print("\nmax |CUDA - CPU| per check:", {k: f"{v:.2e}" for k, v in MAX_DIFF.items()})


def test_bidirectional_is_refused():
    # No reverse direction on the device yet: a clear error, whether asked for or read from
    # the params' *_reverse keys, and from the estimators before anything is trained.
    from gatedts import GRURegressor

    params = F.init_params("gru", 2, 3, bidirectional=True, dtype=np.float64)
    X, y = np.zeros((3, 4, 2)), np.zeros(3)
    for call in (F.forward, F.predict):
        with pytest.raises(ValueError, match="bidirectional layers run on the CPU only"):
            call("gru", params, X, device="cuda")
    with pytest.raises(ValueError, match="bidirectional layers run on the CPU only"):
        F.loss_and_grad("gru", params, X, y, device="cuda")
    with pytest.raises(ValueError, match="bidirectional layers run on the CPU only"):
        gcuda.device_network("gru", params, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional layers run on the CPU only"):
        GRURegressor(hidden_size=2, bidirectional=True, device="cuda").fit(X[:, :, 0], y)


@pytest.mark.parametrize("hidden", [(3, 3), (3, 2)], ids=["equal", "projected"])
def test_residual_is_refused(hidden):
    # No residual connections on the device yet: asked for, or read from residual_proj_* keys.
    from gatedts import LSTMRegressor

    params = F.init_params("rnn", 2, hidden, residual=True, dtype=np.float64)
    X, y = np.zeros((3, 4, 2)), np.zeros(3)
    options = {"residual": True} if len(set(hidden)) == 1 else {}
    for call in (F.forward, F.predict):
        with pytest.raises(ValueError, match="residual stacks run on the CPU only"):
            call("rnn", params, X, device="cuda", **options)
    with pytest.raises(ValueError, match="residual stacks run on the CPU only"):
        F.loss_and_grad("rnn", params, X, y, device="cuda", **options)
    with pytest.raises(ValueError, match="residual stacks run on the CPU only"):
        gcuda.device_network("rnn", params, residual=True)
    with pytest.raises(ValueError, match="residual stacks run on the CPU only"):
        LSTMRegressor(hidden_size=2, residual=True, device="cuda").fit(X[:, :, 0], y)
