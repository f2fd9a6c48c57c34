"""The functional core against the pure-numpy reference and finite differences."""

import numpy as np
import pytest
import reference as ref
from helpers import central_difference, gradient_errors, random_case, random_model

from gatedts import functional as F

LAYERS = [(4,), (5, 3)]


def _case(variant, hidden, **options):
    return random_case(variant, hidden, **options)


@pytest.mark.parametrize("hidden", LAYERS, ids=["1layer", "2layers"])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_kernels_match_reference(variant, hidden, loss):
    cell, reset_after, params, X, y, h0, c0 = _case(variant, hidden)
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after)
    pred, seq, _, h_n, c_n = ref.forward(cell, params, X, h0, c0, reset_after)
    np.testing.assert_allclose(fwd.prediction, pred, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd.sequence, seq, rtol=1e-12, atol=1e-14)
    for a, b in zip(fwd.h_n, h_n, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    if cell == "lstm":
        for a, b in zip(fwd.c_n, c_n, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)

    value, grads, inputs = F.loss_and_grad(cell, params, X, y, loss=loss, h0=h0, c0=c0,
                                           reset_after=reset_after, return_input_grads=True)
    r_value, r_grads, r_dX, r_dh0, r_dc0 = ref.loss_and_grad(
        cell, params, X, y, loss, h0, c0, reset_after)
    assert value == pytest.approx(r_value, rel=1e-12)
    assert grads.keys() == params.keys()
    for key, g in grads.items():
        assert g.shape == params[key].shape and g.dtype == params[key].dtype
        np.testing.assert_allclose(g, r_grads[key], rtol=1e-12, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(inputs["X"], r_dX, rtol=1e-12, atol=1e-14)
    for k in range(len(hidden)):
        np.testing.assert_allclose(inputs["h0"][k], r_dh0[k], rtol=1e-12, atol=1e-14)
        if cell == "lstm":
            np.testing.assert_allclose(inputs["c0"][k], r_dc0[k], rtol=1e-12, atol=1e-14)


def _rel_err(analytic, numeric):
    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-7)
    return float(np.max(np.abs(analytic - numeric) / scale))


@pytest.mark.parametrize("hidden", LAYERS, ids=["1layer", "2layers"])
def test_gradients_match_central_differences(variant, hidden):
    cell, reset_after, params, X, y, h0, c0 = _case(variant, hidden, batch=2, n_steps=5)
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0,
                                       reset_after=reset_after, return_input_grads=True)

    def loss():
        return F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, reset_after=reset_after)[0]

    worst = gradient_errors(loss, params, grads, inputs, X, h0, c0)
    assert max(worst.values()) < 1e-6, worst


def test_step_by_step_equals_one_call(variant):
    cell, reset_after, params, X, _, h0, c0 = _case(variant, (5, 3), n_steps=7)
    whole = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after)
    h, c, outputs = h0, c0, []
    for t in range(X.shape[1]):
        step = F.forward(cell, params, X[:, t : t + 1], h0=h, c0=c, reset_after=reset_after)
        h, c = step.h_n, step.c_n
        outputs.append(step.sequence[:, 0])
    np.testing.assert_array_equal(np.stack(outputs, axis=1), whole.sequence)
    np.testing.assert_array_equal(step.prediction, whole.prediction)


def test_float32_agrees_with_float64(variant):
    cell, reset_after, params, X, y, h0, c0 = _case(variant, (6, 4), n_steps=12)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    v64, g64 = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, reset_after=reset_after)
    v32, g32 = F.loss_and_grad(cell, p32, X, y, h0=h0, c0=c0, reset_after=reset_after)
    assert v32 == pytest.approx(v64, rel=1e-5)
    for key in params:
        assert g32[key].dtype == np.float32
        scale = np.max(np.abs(g64[key])) + 1e-3
        np.testing.assert_allclose(g32[key], g64[key], atol=2e-5 * scale, err_msg=key)
    pred32 = F.predict(cell, p32, X.astype(np.float32), reset_after=reset_after)
    assert pred32.dtype == np.float32
    np.testing.assert_allclose(pred32, F.predict(cell, params, X, reset_after=reset_after),
                               rtol=1e-5, atol=1e-5)



def test_vanishing_gradients_flush_to_zero_not_subnormal(variant):
    # Small recurrent weights and a GRU update / LSTM forget gate held near 0
    # (bias -4) over 150 steps: dL/dh_t falls below the float32 subnormal range
    # long before step 0, with no saturated tanh to spoil the float32 results.
    # The kernels flush what falls under 2**-100 (subnormal arithmetic is ~100x
    # slower) and must still agree with float64, where nothing of that size is
    # flushed.
    cell, reset_after, params, X, y, _, _ = _case(variant, (8,), n_steps=150)
    params = {k: v * 0.1 if k.startswith("weight_hh") else v for k, v in params.items()}
    if cell != "rnn":  # gate order: GRU r, z, n; LSTM i, f, g, o
        H = params["weight_hh_l0"].shape[1]
        params["bias_ih_l0"][H:2 * H], params["bias_hh_l0"][H:2 * H] = -4.0, 0.0
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    _, g64, in64 = F.loss_and_grad(cell, params, X, y, reset_after=reset_after,
                                   return_input_grads=True)
    _, g32, in32 = F.loss_and_grad(cell, p32, X.astype(np.float32), y, reset_after=reset_after,
                                   return_input_grads=True)
    dh32, dh64 = in32["dh"][0], in64["dh"][0]
    assert np.abs(dh64[:, 0]).max() < 2.0**-100 < np.abs(dh64[:, -1]).max()
    assert np.all(dh32[:, 0] == 0)  # flushed, not carried on as subnormals
    tiny = np.abs(dh32[dh32 != 0])
    assert tiny.min() >= 2.0**-127  # the smallest normal float32 is 2**-126
    for key in params:
        # float32 rounding over 150 steps, not the flush, sets this tolerance
        scale = np.max(np.abs(g64[key]))
        np.testing.assert_allclose(g32[key], g64[key], rtol=1e-3, atol=1e-3 * scale,
                                   err_msg=key)

def test_gru_forms_differ():
    params = random_model("gru", 2, 4)
    X = np.random.default_rng(0).standard_normal((3, 5, 2))
    a = F.predict("gru", params, X, reset_after=True)
    b = F.predict("gru", params, X, reset_after=False)
    assert not np.allclose(a, b)


def test_dropout_masks_and_gradients():
    params = random_model("lstm", 2, (4, 3))
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((4, 5, 2)), rng.standard_normal(4)
    plain = F.loss_and_grad("lstm", params, X, y)
    same = F.loss_and_grad("lstm", params, X, y, dropout=0.0, random_state=3)
    assert plain[0] == same[0]
    a = F.loss_and_grad("lstm", params, X, y, dropout=0.5, random_state=3)
    b = F.loss_and_grad("lstm", params, X, y, dropout=0.5, random_state=3)
    assert a[0] == b[0] and a[0] != plain[0]

    def loss():
        return F.loss_and_grad("lstm", params, X, y, dropout=0.5, random_state=3)[0]

    for key in ("weight_ih_l0", "weight_hh_l1"):
        assert _rel_err(a[1][key], central_difference(loss, params[key])) < 1e-6


def test_init_params_layout_and_init():
    p = F.init_params("lstm", 3, (8, 6), output_size=2, random_state=0, peephole=True)
    assert {k: v.shape for k, v in p.items()} == {
        "weight_ih_l0": (32, 3), "weight_hh_l0": (32, 8), "bias_ih_l0": (32,),
        "bias_hh_l0": (32,), "weight_peephole_l0": (3, 8),
        "weight_ih_l1": (24, 8), "weight_hh_l1": (24, 6), "bias_ih_l1": (24,),
        "bias_hh_l1": (24,), "weight_peephole_l1": (3, 6),
        "head.weight": (2, 6), "head.bias": (2,),
    }
    assert all(v.dtype == np.float32 for v in p.values())
    w = p["weight_hh_l0"].astype(np.float64)
    for gate in range(4):  # each gate's recurrent block is orthogonal
        block = w[gate * 8 : (gate + 1) * 8]
        np.testing.assert_allclose(block @ block.T, np.eye(8), atol=1e-6)
    forget = p["bias_ih_l0"][8:16] + p["bias_hh_l0"][8:16]
    np.testing.assert_array_equal(forget, 1.0)
    spec = F.model_spec("lstm", p)
    summary = (spec.input_size, spec.hidden_sizes, spec.output_size, spec.peephole)
    assert summary == (3, (8, 6), 2, True)
    again = F.init_params("lstm", 3, (8, 6), output_size=2, random_state=0, peephole=True)
    assert all(np.array_equal(p[k], again[k]) for k in p)
    uniform = F.init_params("gru", 1, 4, num_layers=3, dtype=np.float64)
    assert F.model_spec("gru", uniform).hidden_sizes == (4, 4, 4)


@pytest.mark.parametrize("forget_bias", [0.0, -0.5, 2])
def test_init_params_forget_bias_sets_only_the_forget_gate(forget_bias):
    p = F.init_params("lstm", 2, (5, 3), random_state=0, forget_bias=forget_bias)
    default = F.init_params("lstm", 2, (5, 3), random_state=0)
    for k, H in enumerate((5, 3)):
        bias = p[f"bias_ih_l{k}"] + p[f"bias_hh_l{k}"]
        np.testing.assert_array_equal(bias[H : 2 * H], np.float32(forget_bias))
        np.testing.assert_array_equal(np.delete(bias, np.s_[H : 2 * H]), 0.0)
    # the same draws otherwise: only the forget block differs from the default start
    assert all(np.array_equal(p[key], default[key]) for key in p if "bias" not in key)


@pytest.mark.parametrize("bad", [np.nan, np.inf, "1", True, None])
def test_init_params_rejects_a_non_finite_forget_bias(bad):
    with pytest.raises(ValueError, match="forget_bias must be a finite number"):
        F.init_params("lstm", 1, 4, forget_bias=bad)


def test_initial_state_as_3d_array():
    params = random_model("gru", 2, (4, 4))
    X = np.random.default_rng(0).standard_normal((3, 5, 2))
    h0 = np.random.default_rng(1).standard_normal((2, 3, 4))
    a = F.predict("gru", params, X, h0=h0)
    b = F.predict("gru", params, X, h0=[h0[0], h0[1]])
    np.testing.assert_array_equal(a, b)


def _bad(message, **overrides):
    return pytest.param(overrides, message, id=message[:30])


GOOD = {"cell": "gru", "X": np.zeros((2, 3, 1))}


@pytest.mark.parametrize(("overrides", "message"), [
    _bad("unknown cell 'lstmm'", cell="lstmm"),
    _bad(r"X must be 3-D \(batch, time, features\), got shape \(2, 3\)", X=np.zeros((2, 3))),
    _bad("X has 2 feature", X=np.zeros((2, 3, 2))),
    _bad("X contains NaN or infinity, first at index \\[1, 2, 0\\]",
         X=np.where(np.arange(6).reshape(2, 3, 1) == 5, np.nan, 0.0)),
    _bad("X contains NaN or infinity", X=np.full((2, 3, 1), np.inf)),
    _bad("X is empty", X=np.zeros((0, 3, 1))),
    _bad("h0 must hold one state per layer", h0=[np.zeros((2, 4))] * 2),
    _bad(r"h0\[0\] has shape \(3, 4\), expected \(2, 4\)", h0=[np.zeros((3, 4))]),
    _bad(r"h0\[0\] contains NaN or infinity", h0=[np.full((2, 4), np.nan)]),
    _bad("c0 is only used by an LSTM", c0=[np.zeros((2, 4))]),
])
def test_bad_input_messages(overrides, message):
    args = {**GOOD, **overrides}
    params = F.init_params("gru", 1, 4)
    with pytest.raises(ValueError, match=message):
        F.predict(args.pop("cell"), params, args.pop("X"), **args)


def test_bad_input_types():
    params = F.init_params("gru", 1, 4)
    with pytest.raises(TypeError, match="X must be a real numeric array, got dtype <U1"):
        F.predict("gru", params, np.full((2, 3, 1), "a"))
    with pytest.raises(TypeError, match="complex"):
        F.predict("gru", params, np.zeros((2, 3, 1), dtype=complex))
    with pytest.raises(TypeError, match="params must be a dict"):
        F.predict("gru", [1, 2], np.zeros((2, 3, 1)))
    with pytest.raises(TypeError, match="y must be a real numeric array, got dtype <U1"):
        F.loss_and_grad("gru", params, np.zeros((2, 3, 1)), np.array(["a", "b"]))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda p: p.pop("weight_hh_l0"), "params is missing 'weight_hh_l0'"),
    (lambda p: p.pop("head.bias"), "params is missing 'head.bias'"),
    (lambda p: p.update({"weight_hh_l0": np.zeros((12, 5), np.float32)}),
     r"weight_hh_l0 has shape \(12, 5\), expected \(15, 5\) for GRU layer 0"),
    (lambda p: p.update({"weight_ih_l1": np.zeros((12, 3), np.float32)}),
     r"weight_ih_l1 has shape \(12, 3\), expected \(12, 4\)"),
    (lambda p: p.update({"bias_hh_l1": np.zeros(11, np.float32)}),
     r"bias_hh_l1 has shape \(11,\), expected \(12,\)"),
    (lambda p: p.update({"weight_ih_l0_reverse": p["weight_ih_l0"]}),
     "missing 'weight_hh_l0_reverse'"),
    (lambda p: p.update({"head.weight": np.zeros((1, 5), np.float32)}),
     r"head.weight has shape \(1, 5\), expected \(1, 4\)"),
    (lambda p: p.update({"head.bias": np.zeros(1)}), "must all be float32 or all float64"),
    (lambda p: p["weight_hh_l1"].__setitem__((0, 0), np.nan),
     "parameter 'weight_hh_l1' contains NaN"),
    (lambda p: p.update({"weight_peephole_l0": np.zeros((3, 4), np.float32)}),
     "only valid for an LSTM"),
    (lambda p: p.clear(), "no 'weight_ih_l0'"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_bad_params_messages(mutate, message):
    params = F.init_params("gru", 1, 4, num_layers=2)
    mutate(params)
    with pytest.raises(ValueError, match=message):
        F.predict("gru", params, np.zeros((2, 3, 1)))


def test_peephole_weights_on_some_layers_only_are_refused():
    params = F.init_params("lstm", 1, 4, num_layers=2, peephole=True)
    del params["weight_peephole_l1"]
    with pytest.raises(ValueError, match="peephole weights must be given for every LSTM layer "
                                         "or for none"):
        F.predict("lstm", params, np.zeros((2, 3, 1)))


def test_structure_cache_is_bounded(monkeypatch):
    from gatedts.nn import params as P

    monkeypatch.setattr(P, "_SPEC_CACHE", {k: None for k in range(257)})
    spec = F.model_spec("gru", F.init_params("gru", 1, 4))
    assert spec.hidden_sizes == (4,) and len(P._SPEC_CACHE) == 1


@pytest.mark.parametrize("what", ["prediction", "loss"])
def test_overflow_with_finite_inputs_is_an_error(what):
    params = F.init_params("rnn", 1, 4)
    params.update({"weight_ih_l0": np.full((4, 1), 100, np.float32),  # h saturates at 1
                   "weight_hh_l0": np.zeros((4, 4), np.float32),
                   "head.weight": np.full((1, 4), 3e38, np.float32)})  # 4 * 3e38 > float32 max
    X = np.ones((2, 3, 1))
    with pytest.raises(ValueError, match=f"the {what} overflowed to NaN/infinity although the "
                                         "inputs and all parameters are finite"):
        if what == "prediction":
            F.predict("rnn", params, X)
        else:
            F.loss_and_grad("rnn", params, X, np.zeros(2))


def test_bad_targets_and_options():
    params = F.init_params("gru", 1, 4, output_size=2)
    X = np.zeros((3, 5, 1))
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(3, 2\)"):
        F.loss_and_grad("gru", params, X, np.zeros(3))
    with pytest.raises(ValueError, match="y contains NaN"):
        F.loss_and_grad("gru", params, X, np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="unknown loss 'l2'"):
        F.loss_and_grad("gru", params, X, np.zeros((3, 2)), loss="l2")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        F.loss_and_grad("gru", F.init_params("gru", 1, 4, num_layers=2), X, np.zeros(3),
                        dropout=1.0)
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        F.init_params("gru", 1, 0)
    with pytest.raises(ValueError, match="peephole=True is only valid for an LSTM"):
        F.init_params("gru", 1, 4, peephole=True)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        F.init_params("gru", 1, 4, dtype=np.float16)
    with pytest.raises(ValueError, match=r"num_layers=3 contradicts hidden_size=\(4, 3\)"):
        F.init_params("gru", 1, (4, 3), num_layers=3)
    with pytest.raises(ValueError, match="hidden_size must name at least one layer"):
        F.init_params("gru", 1, ())


def test_init_params_accepts_a_legacy_random_state():
    a = F.init_params("gru", 1, 4, random_state=np.random.RandomState(0))
    b = F.init_params("gru", 1, 4, random_state=np.random.RandomState(0))
    c = F.init_params("gru", 1, 4, random_state=np.random.RandomState(1))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["weight_ih_l0"], c["weight_ih_l0"])


def test_training_runs_where_no_blas_library_can_be_limited(monkeypatch):
    # e.g. numpy on Apple's Accelerate, which threadpoolctl does not control
    import contextlib

    from threadpoolctl import ThreadpoolController

    from gatedts.nn import threads

    params = F.init_params("gru", 1, 4, random_state=0)
    X, y = np.ones((3, 5, 1)), np.zeros(3)
    expected = F.loss_and_grad("gru", params, X, y)
    nothing = ThreadpoolController().select(prefix="no-such-blas")
    monkeypatch.setattr(threads, "_controller", nothing)
    assert isinstance(threads.single_threaded_blas(), contextlib.nullcontext)
    loss, grads = F.loss_and_grad("gru", params, X, y)
    assert loss == expected[0]
    assert all(np.array_equal(grads[k], expected[1][k]) for k in grads)


def test_results_do_not_alias_reused_scratch_buffers(variant):
    cell, reset_after, params, X, y, _, _ = _case(variant, (5, 3), batch=1)
    first = F.forward(cell, params, X, reset_after=reset_after, return_gates=True)
    _, _, inputs = F.loss_and_grad(cell, params, X, y, reset_after=reset_after,
                                   return_input_grads=True)
    kept = [first.sequence.copy(), first.h_n[0].copy(), first.gates[0]["h"].copy(),
            inputs["dh"][0].copy(), inputs["h0"][0].copy()]
    for _ in range(2):  # same shapes: the same scratch arrays are reused
        F.forward(cell, params, 2 * X, reset_after=reset_after, return_gates=True)
        F.loss_and_grad(cell, params, 2 * X, y, reset_after=reset_after, return_input_grads=True)
    now = [first.sequence, first.h_n[0], first.gates[0]["h"], inputs["dh"][0], inputs["h0"][0]]
    for before, after in zip(kept, now, strict=True):
        np.testing.assert_array_equal(before, after)


# ------------------------------------------------------------------ sample weights

WEIGHTED_LOSSES = {"mse": None, "mae": None, "huber": None, "quantile": (0.2, 0.7)}


def _weighted_case(variant, loss, batch=4):
    cell, reset_after, params, X, _, h0, c0 = _case(
        variant, (5, 3), batch=batch, n_steps=5, n_out=2 * len(WEIGHTED_LOSSES[loss] or (1,)))
    y = np.random.default_rng(3).standard_normal((batch, 2))
    options = {"loss": loss, "quantiles": WEIGHTED_LOSSES[loss], "h0": h0, "c0": c0,
               "reset_after": reset_after}
    return cell, params, X, y, options


@pytest.mark.parametrize("loss", list(WEIGHTED_LOSSES))
def test_weighted_gradients_match_central_differences(variant, loss):
    cell, params, X, y, options = _weighted_case(variant, loss)
    w = np.array([0.5, 0.0, 2.0, 1.5])
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, sample_weight=w,
                                       return_input_grads=True, **options)

    def weighted_loss():
        return F.loss_and_grad(cell, params, X, y, sample_weight=w, **options)[0]

    # mae and the pinball loss are piecewise linear: small steps stay on one piece, and
    # the error is relative to each array's largest entry (as in test_quantile.py).
    eps = 1e-4 if loss in ("mse", "huber") else 1e-5
    worst = {key: np.max(np.abs(grads[key] - central_difference(weighted_loss, params[key], eps)))
             / np.max(np.abs(grads[key])) for key in params}
    worst["X"] = (np.max(np.abs(inputs["X"] - central_difference(weighted_loss, X, eps)))
                  / np.max(np.abs(inputs["X"])))
    assert max(worst.values()) < 1e-7, worst
    assert not inputs["X"][1].any() and inputs["X"][0].any()  # weight 0: no gradient at all


@pytest.mark.parametrize("loss", list(WEIGHTED_LOSSES))
def test_integer_weights_count_a_sample_that_many_times(loss):
    cell, params, X, y, options = _weighted_case(("gru", True, False), loss)
    w = np.array([2, 0, 1, 3])
    value, grads = F.loss_and_grad(cell, params, X, y, sample_weight=w, **options)
    repeated = np.repeat(np.arange(len(w)), w)
    options.update(h0=[h[repeated] for h in options["h0"]])
    r_value, r_grads = F.loss_and_grad(cell, params, X[repeated], y[repeated], **options)
    # The weighted loss is a mean over the 4 samples, the repeated one over sum(w) = 6.
    ratio = w.sum() / len(w)
    assert value == pytest.approx(ratio * r_value, rel=1e-12)
    for key in params:
        np.testing.assert_allclose(grads[key], ratio * r_grads[key], rtol=1e-10, atol=1e-14)


def test_unit_weights_change_no_bit_and_loss_value_takes_weights():
    cell, params, X, y, options = _weighted_case(("lstm", True, True), "huber")
    value, grads = F.loss_and_grad(cell, params, X, y, **options)
    w_value, w_grads = F.loss_and_grad(cell, params, X, y, sample_weight=np.ones(4), **options)
    assert w_value == value
    for key in params:
        np.testing.assert_array_equal(w_grads[key], grads[key])
    prediction = np.array([[1.0], [2.0], [4.0]])
    target = np.zeros((3, 1))
    assert F.loss_value(prediction, target, sample_weight=[1, 0, 0.5])[0] == (1 + 8) / 3


@pytest.mark.parametrize(("weights", "error", "message"), [
    (np.ones(3), ValueError, r"sample_weight has shape \(3,\), expected \(4,\): one weight "
                             "per sample"),
    (np.ones((4, 1)), ValueError, r"sample_weight has shape \(4, 1\), expected \(4,\)"),
    ([1.0, np.nan, 1.0, 1.0], ValueError, "sample_weight contains NaN or infinity"),
    ([1.0, -1.0, 1.0, 1.0], ValueError, "sample_weight must be non-negative, got -1.0 at "
                                        "index 1"),
    (["a", "b", "c", "d"], TypeError, "sample_weight must be a real numeric array"),
])
def test_bad_sample_weights(weights, error, message):
    cell, params, X, y, options = _weighted_case(("rnn", True, False), "mse")
    with pytest.raises(error, match=message):
        F.loss_and_grad(cell, params, X, y, sample_weight=weights, **options)


def test_per_target_weights_are_a_hand_computation():
    prediction = np.array([[1.0, 2.0], [4.0, -1.0]])
    target = np.zeros((2, 2))
    w = np.array([[1.0, 0.0], [0.5, 2.0]])
    value, grad = F.loss_value(prediction, target, sample_weight=w)
    assert value == (1 + 0 + 0.5 * 16 + 2 * 1) / 4
    np.testing.assert_array_equal(grad, [[0.5, 0.0], [1.0, -1.0]])  # 2 w e / 4
    # pinball: a target's weight applies to each of its quantiles
    levels = (0.25, 0.75)
    prediction = np.array([[1.0, 3.0, 0.0, 0.0]])
    value, grad = F.loss_value(prediction, np.array([[2.0, 5.0]]), "quantile",
                               quantiles=levels, sample_weight=[[3.0, 0.0]])
    assert value == 3 * (0.25 * 1 + 0.25 * 1) / 4
    np.testing.assert_array_equal(grad, [[-0.75 / 4, 0.75 / 4, 0, 0]])


def _masked_case(variant=("gru", True, False)):
    cell, params, X, y, options = _weighted_case(variant, "quantile")
    mask = np.array([[1, 1], [1, 0], [0, 0], [1, 0]], dtype=float)
    return cell, params, X, y, options, mask


def test_a_zero_target_weight_is_the_loss_on_the_kept_targets():
    cell, params, X, y, options, mask = _masked_case()
    value, grads = F.loss_and_grad(cell, params, X, y, sample_weight=mask, **options)
    pred = F.predict(cell, params, X, h0=options["h0"], c0=options["c0"])
    kept = mask.astype(bool)
    levels = options["quantiles"]
    u = y[kept][:, None] - pred.reshape(4, 2, len(levels))[kept]
    on_kept = np.mean(np.maximum(np.multiply(levels, u), (np.subtract(levels, 1)) * u))
    # the mean runs over all elements, the masked ones counting 0
    assert value == pytest.approx(on_kept * kept.sum() / kept.size, rel=1e-13)
    changed = y.copy()
    changed[~kept] = 1e3  # values behind the mask change neither loss nor gradient
    c_value, c_grads = F.loss_and_grad(cell, params, X, changed, sample_weight=mask, **options)
    assert c_value == value
    for key in params:
        np.testing.assert_array_equal(c_grads[key], grads[key])


def test_masked_gradients_match_central_differences():
    cell, params, X, y, options, mask = _masked_case(("gru", True, False))
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, sample_weight=mask,
                                       return_input_grads=True, **options)

    def masked_loss():
        return F.loss_and_grad(cell, params, X, y, sample_weight=mask, **options)[0]

    worst = {key: np.max(np.abs(grads[key] - central_difference(masked_loss, params[key], 1e-5)))
             / np.max(np.abs(grads[key])) for key in params}
    assert max(worst.values()) < 1e-7, worst
    assert not inputs["X"][2].any() and inputs["X"][1].any()  # fully masked sample: no gradient


def test_unit_per_target_weights_change_no_bit():
    cell, params, X, y, options = _weighted_case(("gru", True, False), "quantile")
    value, grads = F.loss_and_grad(cell, params, X, y, **options)
    w_value, w_grads = F.loss_and_grad(cell, params, X, y, sample_weight=np.ones((4, 2)),
                                       **options)
    assert w_value == value
    for key in params:
        np.testing.assert_array_equal(w_grads[key], grads[key])


@pytest.mark.parametrize(("weights", "message"), [
    (np.ones((4, 3)), r"sample_weight has shape \(4, 3\), expected \(4,\): one weight per "
                      r"sample, or \(4, 2\): one per target"),
    (np.ones((4, 2, 1)), r"sample_weight has shape \(4, 2, 1\)"),
    ([[1.0, 1.0], [1.0, -2.0], [1, 1], [1, 1]], r"non-negative, got -2.0 at index \(1, 1\)"),
])
def test_bad_per_target_weights(weights, message):
    cell, params, X, y, options = _weighted_case(("gru", True, False), "quantile")
    with pytest.raises(ValueError, match=message):
        F.loss_and_grad(cell, params, X, y, sample_weight=weights, **options)


def test_per_target_weights_are_refused_with_a_sequence_head():
    params = random_model("gru", 2, 3, 1)
    X = np.random.default_rng(0).standard_normal((2, 4, 2))
    with pytest.raises(ValueError, match=r"a 2-D sample_weight .* needs head='last'"):
        F.loss_and_grad("gru", params, X, np.zeros((2, 4)), head="sequence",
                        sample_weight=np.ones((2, 4)))


def test_sample_weights_are_refused_off_the_cpu():
    cell, params, X, y, _ = _weighted_case(("rnn", True, False), "mse")
    with pytest.raises(ValueError, match="sample_weight runs on the CPU only"):
        F.loss_and_grad(cell, params, X, y, sample_weight=np.ones(4), device="cuda")


@pytest.mark.parametrize("variant", [("gru", True), ("gru", False), ("lstm", True),
                                     ("rnn", True)])
def test_one_window_predict_sees_weights_changed_in_place(variant, monkeypatch):
    # The one-window path keeps the transposed weights between calls
    # (nn.cpu.layers.transposed); an optimizer updates the arrays in place.
    from gatedts.nn.cpu import layers

    monkeypatch.setattr(layers, "_TRANSPOSED_MIN_SIZE", 0)  # keep even these small ones
    cell, reset_after = variant
    params = random_model(cell, 2, 8, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((5, 7, 2)).astype(np.float32)

    def batch_one_by_one():
        return np.concatenate([F.predict(cell, params, X[i : i + 1], reset_after=reset_after)
                               for i in range(len(X))])

    before = batch_one_by_one()
    np.testing.assert_array_equal(batch_one_by_one(), before)
    np.testing.assert_array_equal(
        before, F.forward(cell, params, X, reset_after=reset_after).prediction)
    params["weight_hh_l0"] *= np.float32(0.5)
    params["weight_ih_l0"][0, 0] += np.float32(1.0)
    after = batch_one_by_one()
    assert not np.array_equal(after, before)
    np.testing.assert_array_equal(
        after, F.forward(cell, params, X, reset_after=reset_after).prediction)
