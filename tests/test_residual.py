"""Residual stacks: finite differences, PyTorch, the numpy reference, the estimators, errors."""

import numpy as np
import pytest
import reference as ref
from helpers import (
    VARIANT_IDS,
    VARIANTS,
    assert_forward_equal,
    assert_gradients_match,
    central_difference,
    random_case,
)

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts import functional as F
from gatedts.persistence import load, save

# Equal widths (no projection), and widths that change (a projection per changing layer).
LAYERS = [(3, 3), (3, 3, 3), (3, 2), (3, 2, 4)]
LAYER_IDS = ["2equal", "3equal", "2proj", "3proj"]
CASES = [(v, h) for v in VARIANTS for h in LAYERS]  # every cell variant on every stack
CASE_IDS = [f"{v}-{h}" for v in VARIANT_IDS for h in LAYER_IDS]
ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}


def _case(variant, hidden, *, batch=2, n_steps=4, seed=0):
    """random_case plus non-zero residual projections where the widths change."""
    cell, reset_after, params, X, y, h0, c0 = random_case(variant, hidden, batch=batch,
                                                          n_steps=n_steps, seed=seed)
    proj = F.init_params(cell, X.shape[2], hidden, output_size=y.shape[1], residual=True,
                         peephole=variant[2], random_state=seed + 5, dtype=np.float64)
    params.update({k: v + 0.1 for k, v in proj.items() if k.startswith("residual_proj_")})
    return cell, reset_after, params, X, y, h0, c0


def test_layout():
    params = F.init_params("gru", 2, (4, 4, 3, 5), residual=True)
    assert [k for k in params if k.startswith("residual")] == [
        "residual_proj_l2.weight", "residual_proj_l3.weight"]
    assert params["residual_proj_l2.weight"].shape == (3, 4)
    assert params["residual_proj_l3.weight"].shape == (5, 3)
    assert list(params)[-2:] == ["head.weight", "head.bias"]
    assert F.model_spec("gru", params).residual_projections == (2, 3)
    # Equal widths: no new parameter; and the option leaves every other draw unchanged.
    plain = F.init_params("lstm", 2, 3, num_layers=3, random_state=1)
    same = F.init_params("lstm", 2, 3, num_layers=3, random_state=1, residual=True)
    assert plain.keys() == same.keys()
    for key in plain:
        np.testing.assert_array_equal(plain[key], same[key])


@pytest.mark.parametrize(("variant", "hidden"), CASES, ids=CASE_IDS)
def test_gradients_match_central_differences(variant, hidden):
    assert_gradients_match(_case(variant, hidden), f"{variant} {hidden}", residual=True)


@pytest.mark.parametrize(("variant", "hidden"), CASES, ids=CASE_IDS)
def test_forward_matches_reference(variant, hidden):
    cell, reset_after, params, X, _, h0, c0 = _case(variant, hidden, batch=3, n_steps=5)
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, residual=True)
    pred, seq, h_n, c_n = ref.residual_forward(cell, params, X, h0, c0, reset_after)
    assert_forward_equal(fwd, pred, seq, h_n, c_n)
    np.testing.assert_array_equal(
        F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, residual=True),
        fwd.prediction)
    # It is a different network from the plain stack.
    if len(set(hidden)) == 1:
        plain = F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after)
        assert np.abs(plain - fwd.prediction).max() > 1e-3


def test_dropout_gradients_match_central_differences():
    cell, _, params, X, y, _, _ = _case(VARIANTS[2], (3, 2, 2))

    def loss():
        return F.loss_and_grad(cell, params, X, y, dropout=0.4, random_state=3, residual=True)[0]

    _, grads = F.loss_and_grad(cell, params, X, y, dropout=0.4, random_state=3, residual=True)
    for key in params:
        numeric = central_difference(loss, params[key])
        assert np.abs(grads[key] - numeric).max() < 1e-8 * np.abs(numeric).max(), key


# ------------------------------------------------------------------ PyTorch


torch = pytest.importorskip("torch")
TORCH_MODULES = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}


class TorchResidualStack(torch.nn.Module):
    """Single-layer PyTorch modules stacked as ``x + layer(x)`` (``proj(x)`` where the widths
    change), a linear head on the top layer's output at the last step."""

    def __init__(self, cell, n_in, hidden, n_out):
        super().__init__()
        widths = [n_in, *hidden]
        self.layers = torch.nn.ModuleList(
            TORCH_MODULES[cell](widths[k], widths[k + 1], batch_first=True)
            for k in range(len(hidden)))
        self.proj = torch.nn.ModuleDict(
            {str(k): torch.nn.Linear(widths[k], widths[k + 1], bias=False)
             for k in range(1, len(hidden)) if widths[k] != widths[k + 1]})
        self.head = torch.nn.Linear(hidden[-1], n_out)

    def forward(self, x, h0, c0=None):  # h0, c0: one (1, B, H_k) tensor per layer
        for k, layer in enumerate(self.layers):
            out, _ = layer(x, (h0[k], c0[k]) if c0 is not None else h0[k])
            if k > 0:
                out = out + (self.proj[str(k)](x) if str(k) in self.proj else x)
            x = out
        return self.head(x[:, -1])

    def params(self):
        """The module's weights under gatedts' names."""
        out = {}
        for k, layer in enumerate(self.layers):
            out.update({name.replace("_l0", f"_l{k}"): v for name, v in layer.state_dict().items()})
        out.update({f"residual_proj_l{k}.weight": p.weight for k, p in self.proj.items()})
        out.update({f"head.{name}": v for name, v in self.head.state_dict().items()})
        return {k: v.detach().numpy().copy() for k, v in out.items()}

    def grads(self):
        out = {}
        for k, layer in enumerate(self.layers):
            out.update({name.replace("_l0", f"_l{k}"): p.grad.numpy()
                        for name, p in layer.named_parameters()})
        out.update({f"residual_proj_l{k}.weight": p.weight.grad.numpy()
                    for k, p in self.proj.items()})
        out.update({f"head.{name}": p.grad.numpy() for name, p in self.head.named_parameters()})
        return out


@pytest.mark.parametrize("hidden", LAYERS, ids=LAYER_IDS)
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_matches_pytorch_autograd(cell, hidden):
    batch, n_steps, n_in, n_out = 3, 6, 2, 2
    torch.manual_seed(len(hidden))
    model = TorchResidualStack(cell, n_in, hidden, n_out).double()
    params = model.params()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_out))
    h0 = [rng.standard_normal((batch, H)) for H in hidden]
    c0 = [rng.standard_normal((batch, H)) for H in hidden] if cell == "lstm" else None

    xt = torch.tensor(X, requires_grad=True)
    h0t = [torch.tensor(h[None], requires_grad=True) for h in h0]
    c0t = [torch.tensor(c[None], requires_grad=True) for c in c0] if cell == "lstm" else None
    pred = model(xt, h0t, c0t)
    loss = torch.nn.functional.mse_loss(pred, torch.tensor(y))
    loss.backward()

    fwd = F.forward(cell, params, X, h0=h0, c0=c0, residual=True)
    errors = {"prediction": np.abs(fwd.prediction - pred.detach().numpy()).max()}
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, residual=True,
                                           return_input_grads=True)
    errors["loss"] = abs(value - loss.item())
    torch_grads = model.grads()
    assert torch_grads.keys() == grads.keys()
    errors.update({key: np.abs(g - torch_grads[key]).max() for key, g in grads.items()})
    errors["X"] = np.abs(inputs["X"] - xt.grad.numpy()).max()
    errors["h0"] = max(np.abs(a - b.grad.numpy()[0]).max()
                       for a, b in zip(inputs["h0"], h0t, strict=True))
    if cell == "lstm":
        errors["c0"] = max(np.abs(a - b.grad.numpy()[0]).max()
                           for a, b in zip(inputs["c0"], c0t, strict=True))
    print(f"\nmax |gatedts - torch| {cell} {hidden}: {max(errors.values()):.2e}")
    assert max(errors.values()) < 1e-12, errors


# ------------------------------------------------------------------ estimators and errors


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_estimator_fit_predict_save_load(cell, tmp_path):
    X = np.random.default_rng(0).standard_normal((40, 6))
    y = X[:, 0] - 0.5 * X[:, -1]

    def fit(**options):
        return ESTIMATORS[cell](max_iter=3, random_state=0, dtype="float64", **options).fit(X, y)

    # Widths that change (a projection), and equal ones (no new key: the option decides).
    for hidden, residual_keys in [((3, 2), ["residual_proj_l1.weight"]), ((3, 3), [])]:
        model = fit(hidden_size=hidden, residual=True)
        assert [k for k in model.params_ if k.startswith("residual")] == residual_keys
        prediction = model.predict(X)
        assert prediction.shape == (40,) and np.all(np.isfinite(prediction))
        loaded = load(save(model, tmp_path / f"model{hidden}.gdts"))
        assert loaded.residual is True
        np.testing.assert_array_equal(loaded.predict(X), prediction)
        plain = fit(hidden_size=hidden)
        assert np.abs(plain.predict(X) - prediction).max() > 1e-6


@pytest.mark.parametrize(("options", "message"), [
    ({"residual": "yes"}, "residual must be a bool"),
    ({"residual": True, "device": "cuda"}, "residual stacks run on the CPU only"),
    ({"residual": True, "bidirectional": True}, "residual=True is not supported with bidirec"),
])
def test_estimator_refuses(options, message):
    for estimator in ESTIMATORS.values():
        with pytest.raises(ValueError, match=message):
            estimator(**options).fit(np.zeros((10, 4)), np.zeros(10))


def test_mismatched_params_give_clear_errors():
    X, y = np.full((2, 3, 2), 0.5), np.zeros(2)
    proj = F.init_params("gru", 2, (3, 2), residual=True, dtype=np.float64)
    plain = F.init_params("gru", 2, (3, 2), dtype=np.float64)
    with pytest.raises(ValueError, match=r"residual=True but params has no "
                                         r"'residual_proj_l1.weight'"):
        F.forward("gru", plain, X, residual=True)
    for call in (F.predict, F.forward):
        with pytest.raises(ValueError, match=r"residual=False but params has "
                                             r"'residual_proj_l1.weight'"):
            call("gru", proj, X, residual=False)
    with pytest.raises(ValueError, match="residual=False"):
        F.loss_and_grad("gru", proj, X, y, residual=False)
    # None reads the params: residual iff they hold a projection.
    np.testing.assert_array_equal(F.predict("gru", proj, X), F.predict("gru", proj, X,
                                                                      residual=True))
    assert np.any(F.predict("gru", proj, X) != F.predict("gru", plain, X))
    equal = F.init_params("gru", 2, 3, num_layers=2, residual=True, dtype=np.float64)
    assert F.predict("gru", equal, X, residual=True).shape == (2, 1)

    with pytest.raises(ValueError, match=r"residual_proj_l1.weight has shape \(3, 3\), "
                                         r"expected \(2, 3\)"):
        F.predict("gru", dict(proj, **{"residual_proj_l1.weight": np.zeros((3, 3))}), X)
    with pytest.raises(ValueError, match="layer 1 keeps its width 3, so its residual needs no"):
        F.predict("gru", dict(equal, **{"residual_proj_l1.weight": np.zeros((3, 3))}), X)
    with pytest.raises(ValueError, match=r"unexpected parameter 'residual_proj_l0\.weight'"):
        F.predict("gru", dict(proj, **{"residual_proj_l0.weight": np.zeros((3, 2))}), X)
    three = F.init_params("gru", 2, (3, 2, 4), residual=True, dtype=np.float64)
    del three["residual_proj_l2.weight"]
    with pytest.raises(ValueError, match=r"params is missing 'residual_proj_l2\.weight'"):
        F.predict("gru", three, X)
    with pytest.raises(ValueError, match="residual=True is not supported with bidirectional"):
        F.init_params("gru", 2, 3, num_layers=2, residual=True, bidirectional=True)
    both = F.init_params("gru", 2, 3, num_layers=2, bidirectional=True, dtype=np.float64)
    with pytest.raises(ValueError, match="residual=True is not supported with bidirectional"):
        F.forward("gru", both, X, residual=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exports_refuse_residual():
    from gatedts.export import to_torch

    with pytest.raises(ValueError, match=r"residual network .* has no ONNX or torch export"):
        to_torch(F.init_params("gru", 2, (3, 2), residual=True))
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    model = GRURegressor(hidden_size=3, num_layers=2, residual=True, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match=r"residual network .* has no ONNX or torch export"):
        to_torch(model)
