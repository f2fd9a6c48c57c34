"""Bidirectional layers: finite differences, PyTorch, the numpy reference, the estimators."""

import numpy as np
import pytest
import reference as ref
from helpers import (
    VARIANT_IDS,
    VARIANTS,
    assert_gradients_match,
    central_difference,
    random_case,
)

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts import functional as F
from gatedts.persistence import load, save

LAYERS = [(3,), (3, 2)]
LAYER_IDS = ["1layer", "2layers"]
ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}


def _case(variant, hidden, *, batch=2, n_steps=4):
    return random_case(variant, hidden, batch=batch, n_steps=n_steps, bidirectional=True)


def test_layout_is_pytorchs():
    params = F.init_params("lstm", 3, (4, 5), peephole=True, bidirectional=True)
    assert list(params)[:10] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_peephole_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse", "weight_peephole_l0_reverse"]
    assert params["weight_ih_l1"].shape == params["weight_ih_l1_reverse"].shape == (20, 8)
    assert params["head.weight"].shape == (1, 10)
    spec = F.model_spec("lstm", params)
    assert spec.bidirectional and spec.hidden_sizes == (4, 5) and spec.state_sizes == (4, 4, 5, 5)
    # One direction is unchanged by the option: same keys, same random draws.
    np.testing.assert_array_equal(F.init_params("gru", 2, 3, random_state=1)["weight_hh_l0"],
                                  F.init_params("gru", 2, 3, random_state=1,
                                                bidirectional=True)["weight_hh_l0"])


@pytest.mark.parametrize("hidden", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_gradients_match_central_differences(variant, hidden):
    assert_gradients_match(_case(variant, hidden), f"{variant} {hidden}", bidirectional=True)


@pytest.mark.parametrize("hidden", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_reference(variant, hidden):
    cell, reset_after, params, X, _, h0, c0 = _case(variant, hidden, batch=3, n_steps=5)
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after)
    pred, seq, h_n, c_n = ref.bidirectional_forward(cell, params, X, h0, c0, reset_after)
    np.testing.assert_allclose(fwd.prediction, pred, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd.sequence, seq, rtol=1e-12, atol=1e-14)
    assert len(fwd.h_n) == len(h_n) == 2 * len(hidden)
    for a, b in zip(fwd.h_n, h_n, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    if cell == "lstm":
        for a, b in zip(fwd.c_n, c_n, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(
        F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after), fwd.prediction)


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_reverse_direction_is_the_layer_on_reversed_time(variant):
    cell, reset_after, params, X, _, _, _ = _case(variant, (3,), n_steps=5)
    one_way = {k: v for k, v in params.items() if not k.endswith("_reverse")}
    backwards = {k.removesuffix("_reverse"): v for k, v in params.items() if "_reverse" in k}
    head = params["head.weight"]
    one_way["head.weight"], backwards["head.weight"] = head[:, :3], head[:, 3:]
    backwards["head.bias"] = np.zeros_like(params["head.bias"])
    fwd = F.forward(cell, params, X, reset_after=reset_after)
    a = F.forward(cell, one_way, X, reset_after=reset_after)
    b = F.forward(cell, backwards, X[:, ::-1], reset_after=reset_after)
    np.testing.assert_allclose(fwd.sequence, np.concatenate([a.sequence, b.sequence[:, ::-1]], 2),
                               rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(fwd.prediction, a.prediction + b.prediction, rtol=1e-12,
                               atol=1e-14)
    if cell != "rnn":
        gates = F.forward(cell, params, X, reset_after=reset_after, return_gates=True).gates
        assert len(gates) == 2
        np.testing.assert_array_equal(gates[1]["h"], b.sequence[:, ::-1])


def test_dropout_gradients_match_central_differences():
    cell, _, params, X, y, _, _ = _case(VARIANTS[2], (3, 2))

    def loss():
        return F.loss_and_grad(cell, params, X, y, dropout=0.4, random_state=3)[0]

    _, grads = F.loss_and_grad(cell, params, X, y, dropout=0.4, random_state=3)
    for key in params:
        numeric = central_difference(loss, params[key])
        # Relative to the key's largest entry: one entry of weight_ih_l0_reverse is ~1e-7 here,
        # below what the differences resolve element by element.
        scale = np.abs(numeric).max()
        assert np.abs(grads[key] - numeric).max() < 1e-8 * scale, key


# ------------------------------------------------------------------ PyTorch


torch = pytest.importorskip("torch")
TORCH_MODULES = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}
TORCH_WORST = {}


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_matches_pytorch_autograd(cell, num_layers):
    batch, n_steps, n_in, hidden, n_out = 3, 6, 2, 4, 2
    torch.manual_seed(num_layers)
    rnn = TORCH_MODULES[cell](n_in, hidden, num_layers=num_layers, batch_first=True,
                              bidirectional=True).double()
    head = torch.nn.Linear(2 * hidden, n_out).double()
    params = {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}
    params.update({f"head.{k}": v.detach().numpy().copy() for k, v in head.state_dict().items()})
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_out))
    h0 = rng.standard_normal((2 * num_layers, batch, hidden))
    c0 = rng.standard_normal((2 * num_layers, batch, hidden)) if cell == "lstm" else None

    xt = torch.tensor(X, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True) if cell == "lstm" else None
    out, states = rnn(xt, (h0t, c0t) if cell == "lstm" else h0t)
    h_n = states[0] if cell == "lstm" else states
    pred = head(torch.cat([h_n[-2], h_n[-1]], dim=1))  # PyTorch's h_n of the top layer
    loss = torch.nn.functional.mse_loss(pred, torch.tensor(y))
    loss.backward()

    fwd = F.forward(cell, params, X, h0=h0, c0=c0, bidirectional=True)
    errors = {"prediction": np.abs(fwd.prediction - pred.detach().numpy()).max(),
              "sequence": np.abs(fwd.sequence - out.detach().numpy()).max(),
              "h_n": np.abs(np.stack(fwd.h_n) - h_n.detach().numpy()).max()}
    if cell == "lstm":
        errors["c_n"] = np.abs(np.stack(fwd.c_n) - states[1].detach().numpy()).max()
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, bidirectional=True,
                                           return_input_grads=True)
    errors["loss"] = abs(value - loss.item())
    torch_grads = {k: p.grad.numpy() for k, p in rnn.named_parameters()}
    torch_grads.update({f"head.{k}": p.grad.numpy() for k, p in head.named_parameters()})
    assert torch_grads.keys() == grads.keys()
    errors.update({key: np.abs(g - torch_grads[key]).max() for key, g in grads.items()})
    errors["X"] = np.abs(inputs["X"] - xt.grad.numpy()).max()
    errors["h0"] = np.abs(np.stack(inputs["h0"]) - h0t.grad.numpy()).max()
    if cell == "lstm":
        errors["c0"] = np.abs(np.stack(inputs["c0"]) - c0t.grad.numpy()).max()
    print(f"\nmax |gatedts - torch| {cell} {num_layers} layer(s): {max(errors.values()):.2e}")
    assert max(errors.values()) < 1e-12, errors


# ------------------------------------------------------------------ estimators and errors


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_estimator_fit_predict_save_load(cell, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = X[:, 0] - 0.5 * X[:, -1]
    model = ESTIMATORS[cell](hidden_size=3, num_layers=2, bidirectional=True, max_iter=3,
                             random_state=0, dtype="float64")
    model.fit(X, y)
    assert "weight_hh_l1_reverse" in model.params_
    assert model.params_["head.weight"].shape == (1, 6)
    prediction = model.predict(X)
    assert prediction.shape == (40,) and np.all(np.isfinite(prediction))
    loaded = load(save(model, tmp_path / "model.gdts"))
    assert loaded.bidirectional is True
    assert loaded.params_.keys() == model.params_.keys()
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    one_way = ESTIMATORS[cell](hidden_size=3, num_layers=2, max_iter=3, random_state=0,
                               dtype="float64").fit(X, y)
    assert "weight_hh_l0_reverse" not in one_way.params_


def test_estimator_refuses_bad_values_and_cuda():
    X, y = np.zeros((10, 4)), np.zeros(10)
    with pytest.raises(ValueError, match="bidirectional must be a bool"):
        GRURegressor(bidirectional="yes").fit(X, y)
    with pytest.raises(ValueError, match="bidirectional layers run on the CPU only"):
        LSTMRegressor(bidirectional=True, device="cuda").fit(X, y)


def test_mismatched_params_give_clear_errors():
    X, y = np.zeros((2, 3, 2)), np.zeros(2)
    one_way = F.init_params("gru", 2, 3, dtype=np.float64)
    both = F.init_params("gru", 2, 3, bidirectional=True, dtype=np.float64)
    with pytest.raises(ValueError, match=r"bidirectional=True but params has no '\*_reverse'"):
        F.forward("gru", one_way, X, bidirectional=True)
    for call in (F.predict, F.forward):
        with pytest.raises(ValueError, match=r"bidirectional=False but params has '\*_reverse'"):
            call("gru", both, X, bidirectional=False)
    with pytest.raises(ValueError, match="bidirectional=False"):
        F.loss_and_grad("gru", both, X, y, bidirectional=False)
    # None (the default) reads the params; True/False that agree are accepted.
    assert F.predict("gru", both, X).shape == F.predict("gru", both, X, bidirectional=True).shape
    F.predict("gru", one_way, X, bidirectional=False)

    broken = dict(both)
    del broken["bias_hh_l0_reverse"]
    with pytest.raises(ValueError, match="missing 'bias_hh_l0_reverse'"):
        F.predict("gru", broken, X)
    narrow = dict(both, **{"head.weight": np.zeros((1, 3))})
    with pytest.raises(ValueError, match=r"head.weight has shape \(1, 3\), expected \(1, 6\)"):
        F.predict("gru", narrow, X)
    with pytest.raises(ValueError, match="h0 must hold two states per layer"):
        F.forward("gru", both, X, h0=[np.zeros((2, 3))])
    two = F.init_params("lstm", 2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    with pytest.raises(ValueError, match=r"weight_ih_l1_reverse has shape \(12, 3\), expected "
                                         r"\(12, 6\)"):
        F.predict("lstm", dict(two, weight_ih_l1_reverse=np.zeros((12, 3))), X)


def test_exports_refuse_bidirectional():
    from gatedts.export import to_torch

    params = F.init_params("gru", 2, 3, bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional network has no ONNX or torch export"):
        to_torch(params)
