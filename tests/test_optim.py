"""Tests for gatedts.optim: updates against hand-written formulas and torch.optim."""

import io
import math

import numpy as np
import pytest

from gatedts.nn.optim import (
    SGD,
    Adam,
    ConstantLR,
    CosineLR,
    InvScalingLR,
    PlateauLR,
    clip_grad_norm,
    global_norm,
    make_optimizer,
    make_schedule,
)

SHAPES = {"weight_ih_l0": (6, 3), "weight_hh_l0": (6, 2), "bias_ih_l0": (6,),
          "bias_hh_l0": (6,), "head.weight": (1, 2), "head.bias": (1,)}
N_STEPS = 20


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}


def grad_sequence(seed=1, dtype=np.float64, n_steps=N_STEPS):
    return [make_params(seed + 100 * t, dtype) for t in range(n_steps)]


def step_lrs(lr, n_steps=N_STEPS):
    """A varying learning rate per step, to exercise ``step(..., lr=...)``."""
    return [lr * (1.0 + 0.5 * math.sin(t)) for t in range(n_steps)]


def reference_adam(params, grads, lrs, beta1, beta2, eps, weight_decay):
    """Textbook Adam (bias-corrected moments), written independently of the module."""
    p = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    for t, (g_t, lr) in enumerate(zip(grads, lrs, strict=True), start=1):
        for k in p:
            g = g_t[k] + (weight_decay * p[k] if "weight" in k else 0.0)
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v2[k] = beta2 * v2[k] + (1 - beta2) * g * g
            m_hat = m[k] / (1 - beta1**t)
            v_hat = v2[k] / (1 - beta2**t)
            p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def reference_sgd(params, grads, lrs, momentum, nesterov, weight_decay):
    p = {k: v.copy() for k, v in params.items()}
    b = {k: np.zeros_like(v) for k, v in p.items()}
    for g_t, lr in zip(grads, lrs, strict=True):
        for k in p:
            g = g_t[k] + (weight_decay * p[k] if "weight" in k else 0.0)
            b[k] = momentum * b[k] + g
            direction = g + momentum * b[k] if nesterov else (b[k] if momentum else g)
            p[k] = p[k] - lr * direction
    return p


def run(optimizer, params, grads, lrs):
    for g, lr in zip(grads, lrs, strict=True):
        optimizer.step(params, g, lr=lr)
    return params


CASES = {
    "adam": ("adam", {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                      "weight_decay": 0.0}),
    "adam_decay": ("adam", {"lr": 3e-2, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                            "weight_decay": 0.1}),
    "sgd": ("sgd", {"lr": 0.1, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "sgd_momentum": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": False,
                             "weight_decay": 0.0}),
    "sgd_nesterov": ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True,
                             "weight_decay": 0.0}),
    "sgd_decay": ("sgd", {"lr": 0.05, "momentum": 0.5, "nesterov": True,
                          "weight_decay": 0.01}),
}


def build(kind, params, kw):
    return Adam(params, **kw) if kind == "adam" else SGD(params, **kw)


@pytest.mark.parametrize("case", CASES)
def test_matches_reference_formula(case):
    kind, kw = CASES[case]
    params, grads, lrs = make_params(), grad_sequence(), step_lrs(kw["lr"])
    expected = (reference_adam if kind == "adam" else reference_sgd)(
        params, grads, lrs, *[v for k, v in kw.items() if k != "lr"])
    got = run(build(kind, params, kw), params, grads, lrs)
    for k in SHAPES:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-14)


def torch_run(kind, params, grads, lrs, kw):
    """Same updates through torch.optim, weight decay only on "weight" keys."""
    torch = pytest.importorskip("torch")
    tensors = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in params.items()}
    decay = kw["weight_decay"]
    groups = [{"params": [t for k, t in tensors.items() if "weight" in k], "weight_decay": decay},
              {"params": [t for k, t in tensors.items() if "weight" not in k],
               "weight_decay": 0.0}]
    if kind == "adam":
        opt = torch.optim.Adam(groups, lr=kw["lr"], betas=(kw["beta1"], kw["beta2"]),
                               eps=kw["eps"], foreach=False)
    else:
        opt = torch.optim.SGD(groups, lr=kw["lr"], momentum=kw["momentum"],
                              nesterov=kw["nesterov"], foreach=False)
    for g_t, lr in zip(grads, lrs, strict=True):
        for k, t in tensors.items():
            t.grad = torch.from_numpy(g_t[k].copy())
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
    return {k: t.detach().numpy() for k, t in tensors.items()}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case):
    kind, kw = CASES[case]
    params, grads, lrs = make_params(), grad_sequence(), step_lrs(kw["lr"])
    expected = torch_run(kind, params, grads, lrs, kw)
    got = run(build(kind, params, kw), params, grads, lrs)
    for k in SHAPES:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-15)


def test_adam_minimises_quadratic():
    rng = np.random.default_rng(3)
    target = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    curvature = {k: rng.uniform(0.5, 5.0, s) for k, s in SHAPES.items()}
    params = make_params()

    def loss():
        return sum(0.5 * np.sum(curvature[k] * (params[k] - target[k]) ** 2) for k in params)

    initial = loss()
    opt = Adam(params, lr=0.05)
    schedule = CosineLR(0.05, T_max=500)
    for epoch in range(500):
        grads = {k: curvature[k] * (params[k] - target[k]) for k in params}
        opt.step(params, grads, lr=schedule.lr)
        schedule.step(epoch + 1)
    assert loss() < 1e-5 * initial
    assert max(np.abs(params[k] - target[k]).max() for k in params) < 1e-2


def test_state_dict_round_trip_through_npz():
    params, grads = make_params(), grad_sequence()
    opt = Adam(params, lr=1e-2, weight_decay=0.01)
    run(opt, params, grads[:10], [1e-2] * 10)
    buffer = io.BytesIO()
    np.savez(buffer, **opt.state_dict())
    snapshot = opt.state_dict()
    buffer.seek(0)
    clone_params = {k: v.copy() for k, v in params.items()}
    clone = Adam(clone_params, lr=1e-2, weight_decay=0.01)
    with np.load(buffer) as state:
        clone.load_state_dict(state)
    assert clone.n_steps == 10
    run(opt, params, grads[10:], [1e-2] * 10)
    run(clone, clone_params, grads[10:], [1e-2] * 10)
    for k in SHAPES:
        np.testing.assert_array_equal(clone_params[k], params[k])
    # state_dict returns copies, not views of the live moments
    assert not np.array_equal(snapshot["exp_avg.head.weight"],
                              opt.state_dict()["exp_avg.head.weight"])


def test_sgd_state_dict_has_momentum_buffers_only_with_momentum():
    params = make_params()
    assert set(SGD(params).state_dict()) == {"n_steps"}
    state = SGD(params, momentum=0.9).state_dict()
    assert set(state) == {"n_steps"} | {f"momentum_buffer.{k}" for k in SHAPES}


def test_load_state_dict_rejects_wrong_shape():
    params = make_params()
    state = Adam(params).state_dict()
    state["exp_avg.head.bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"exp_avg\.head\.bias"):
        Adam(params).load_state_dict(state)


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_in_place_and_dtype_preserved(kind):
    params = make_params(dtype=np.float32)
    originals = {k: (id(v), v) for k, v in params.items()}
    grads = grad_sequence(dtype=np.float32, n_steps=3)
    grads_before = [{k: v.copy() for k, v in g.items()} for g in grads]
    opt = make_optimizer(kind, params, lr=0.01, weight_decay=0.1)
    run(opt, params, grads, [0.01] * 3)
    for k, v in params.items():
        assert id(v) == originals[k][0] and v is originals[k][1]
        assert v.dtype == np.float32
    for name in opt.state:
        assert all(a.dtype == np.float32 for a in opt.state[name].values())
    for g, before in zip(grads, grads_before, strict=True):  # grads are left unchanged
        for k in g:
            np.testing.assert_array_equal(g[k], before[k])
    expected = make_params()
    expected = (reference_adam(expected, grads, [0.01] * 3, 0.9, 0.999, 1e-8, 0.1)
                if kind == "adam" else reference_sgd(expected, grads, [0.01] * 3, 0.9, True, 0.1))
    for k in SHAPES:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-5, atol=1e-6)


def test_weight_decay_skips_biases():
    params = make_params()
    before = {k: v.copy() for k, v in params.items()}
    zeros = {k: np.zeros_like(v) for k, v in params.items()}
    SGD(params, lr=0.1, weight_decay=0.5).step(params, zeros)
    for k in SHAPES:
        factor = 1 - 0.1 * 0.5 if "weight" in k else 1.0
        np.testing.assert_allclose(params[k], factor * before[k], rtol=1e-15)


def test_step_rejects_mismatched_params():
    params = make_params()
    opt = Adam(params)
    with pytest.raises(ValueError, match="keys"):
        opt.step({"head.bias": params["head.bias"]}, {"head.bias": params["head.bias"]})
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    grads["head.weight"] = np.zeros(2)
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(ValueError, match=r"head\.weight"):
        opt.step(params, grads)
    assert opt.n_steps == 0  # validated before anything is updated
    for k in SHAPES:
        np.testing.assert_array_equal(params[k], before[k])


def test_make_optimizer():
    params = make_params()
    adam = make_optimizer("adam", params, lr=0.01, beta1=0.8, beta2=0.9, epsilon=1e-7)
    assert isinstance(adam, Adam)
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (0.01, 0.8, 0.9, 1e-7)
    sgd = make_optimizer("sgd", params, lr=0.1)
    assert isinstance(sgd, SGD) and sgd.momentum == 0.9 and sgd.nesterov
    assert not make_optimizer("sgd", params, lr=0.1, momentum=0.0).nesterov


# ---------------------------------------------------------------- gradient norms


def test_global_norm_and_clipping():
    grads = make_params(5)
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
    assert global_norm(grads) == pytest.approx(norm, rel=1e-14)
    assert global_norm(list(grads.values())) == pytest.approx(norm, rel=1e-14)
    assert clip_grad_norm(grads, norm / 4) == pytest.approx(norm, rel=1e-14)
    assert global_norm(grads) == pytest.approx(norm / 4, rel=1e-6)


@pytest.mark.parametrize("max_norm", [None, math.inf, 1e3])
def test_clip_grad_norm_noop(max_norm):
    grads = make_params(5)
    before = {k: v.copy() for k, v in grads.items()}
    assert clip_grad_norm(grads, max_norm) == pytest.approx(global_norm(before), rel=1e-14)
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])


def test_clip_grad_norm_float32_large_values_do_not_overflow():
    grads = {"w": np.full(4, 1e20, dtype=np.float32)}
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(2e20, rel=1e-6)
    assert grads["w"].dtype == np.float32
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_clip_grad_norm_reports_non_finite(bad):
    grads = make_params(5)
    grads["bias_ih_l0"][2] = bad
    before = {k: v.copy() for k, v in grads.items()}
    norm = clip_grad_norm(grads, 1.0)
    assert math.isnan(norm) if math.isnan(bad) else norm == math.inf
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    grads = make_params(7)
    tensors = [torch.nn.Parameter(torch.zeros(s, dtype=torch.float64)) for s in SHAPES.values()]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.from_numpy(g.copy())
    expected_norm = float(torch.nn.utils.clip_grad_norm_(tensors, 1.5))
    assert clip_grad_norm(grads, 1.5) == pytest.approx(expected_norm, rel=1e-13)
    for t, g in zip(tensors, grads.values(), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-13)


# ---------------------------------------------------------------- schedules


def test_constant_and_invscaling():
    constant = ConstantLR(0.1)
    assert constant.lr == 0.1 and constant.step(7) == 0.1
    schedule = InvScalingLR(0.1, power_t=0.5)
    assert schedule.lr == 0.1
    assert schedule.step(3) == pytest.approx(0.1 / 2)
    assert schedule.step(8) == pytest.approx(0.1 / 3)
    assert InvScalingLR(0.1, power_t=1.0).step(4) == pytest.approx(0.02)
    assert InvScalingLR(0.1, power_t=0.0).step(4) == 0.1


def test_cosine_known_values():
    schedule = CosineLR(0.1, T_max=10, eta_min=0.01)
    assert schedule.lr == 0.1
    assert schedule.step(0) == pytest.approx(0.1)
    assert schedule.step(5) == pytest.approx(0.055)
    assert schedule.step(10) == pytest.approx(0.01)
    assert schedule.step(25) == pytest.approx(0.01)  # held at eta_min past T_max


def test_plateau_reduces_after_patience_and_respects_min_lr():
    schedule = PlateauLR(1.0, factor=0.1, patience=2, min_lr=0.005)
    assert [schedule.step(1, 1.0), schedule.step(2, 0.5)] == [1.0, 1.0]
    assert [schedule.step(e, 0.5) for e in (3, 4)] == [1.0, 1.0]  # 2 bad epochs: patience
    assert schedule.step(5, 0.49999) == pytest.approx(0.1)  # 3rd: within threshold, no gain
    assert schedule.step(6, 0.3) == pytest.approx(0.1)
    lrs = [schedule.step(e, 0.3) for e in range(7, 16)]
    assert lrs[2] == pytest.approx(0.01) and lrs[5] == 0.005 and lrs[-1] == 0.005
    with pytest.raises(ValueError, match="val_loss"):
        schedule.step(16)


def test_cosine_matches_torch():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12, eta_min=1e-3)
    schedule = make_schedule("cosine", 0.1, max_iter=12, eta_min=1e-3)
    for epoch in range(1, 13):
        opt.step()
        reference.step()
        assert schedule.step(epoch) == pytest.approx(reference.get_last_lr()[0], rel=1e-12)


def test_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    kw = {"factor": 0.5, "patience": 3, "threshold": 1e-2, "min_lr": 1e-3}
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", **kw)
    schedule = make_schedule("plateau", 0.1, **kw)
    rng = np.random.default_rng(0)
    losses = np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.01 * rng.random(40)])
    for epoch, loss in enumerate(losses, start=1):
        reference.step(float(loss))
        assert schedule.step(epoch, loss) == opt.param_groups[0]["lr"]
    assert schedule.lr < 0.1 / 4


def test_make_schedule():
    assert type(make_schedule("constant", 0.1)) is ConstantLR
    assert make_schedule("invscaling", 0.1, power_t=0.25).power_t == 0.25
    assert make_schedule("cosine", 0.1, max_iter=7).T_max == 7
    assert make_schedule("plateau", 0.1, patience=4).patience == 4


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(("build_bad", "name"), [
    (lambda p: Adam(p, lr=-1e-3), "lr"),
    (lambda p: Adam(p, lr=math.nan), "lr"),
    (lambda p: Adam(p, beta1=1.0), "beta1"),
    (lambda p: Adam(p, beta2=-0.1), "beta2"),
    (lambda p: Adam(p, eps=-1.0), "eps"),
    (lambda p: Adam(p, weight_decay=-1.0), "weight_decay"),
    (lambda p: SGD(p, momentum=1.0), "momentum"),
    (lambda p: SGD(p, nesterov=True), "nesterov"),
    (lambda p: SGD(p).step(p, p, lr=-0.1), "lr"),
    (lambda p: make_optimizer("rmsprop", p, lr=0.1), "name"),
    (lambda p: make_optimizer("adam", p, lr=0.1, beta1=1.5), "beta1"),
    (lambda p: clip_grad_norm(p, -1.0), "max_norm"),
    (lambda p: make_schedule("step", 0.1), "name"),
    (lambda p: make_schedule("cosine", 0.1), "max_iter"),
    (lambda p: make_schedule("constant", -0.1), "lr"),
    (lambda p: CosineLR(0.1, T_max=0), "T_max"),
    (lambda p: CosineLR(0.1, T_max=5).step(-1), "epoch"),
    (lambda p: InvScalingLR(0.1, power_t=-1), "power_t"),
    (lambda p: PlateauLR(0.1, factor=1.0), "factor"),
    (lambda p: PlateauLR(0.1, patience=-1), "patience"),
    (lambda p: PlateauLR(0.1, min_lr=-1.0), "min_lr"),
])
def test_bad_arguments_raise_value_error_naming_parameter(build_bad, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        build_bad(make_params())
