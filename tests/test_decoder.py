"""Encoder-decoder networks (decoder=True): finite differences, PyTorch, the numpy reference,
errors, the estimators, persistence and the Forecaster."""

import numpy as np
import pytest
import reference as ref
from helpers import (
    VARIANT_IDS,
    VARIANTS,
    central_difference,
    random_states,
    relative_error,
)

from gatedts import functional as F

HIDDEN = [(3,), (3, 2)]
HIDDEN_IDS = ["1layer", "2layers"]
FUTURE = [0, 2]
FUTURE_IDS = ["no-future", "future"]
# The step of the central differences. The decoder's longer chain makes some gradients tiny
# (a peephole weight's ~3e-7), where the rounding noise of a step of 1e-4 (~1e-12 absolute)
# alone is a relative error above 1e-6; a step of 1e-3 keeps the truncation error (~h^4)
# and the rounding noise both near 1e-13.
EPS = 1e-3


def _gradient_errors(loss, params, grads, inputs, X, h0, c0):
    """helpers.gradient_errors with the step EPS."""
    worst = {key: relative_error(grads[key], central_difference(loss, params[key], EPS))
             for key in params}
    worst["X"] = relative_error(inputs["X"], central_difference(loss, X, EPS))
    for k in range(len(h0)):
        worst[f"h0[{k}]"] = relative_error(inputs["h0"][k], central_difference(loss, h0[k], EPS))
        if c0 is not None:
            worst[f"c0[{k}]"] = relative_error(inputs["c0"][k],
                                               central_difference(loss, c0[k], EPS))
    return worst


def _case(variant, hidden, n_future, *, batch=3, n_steps=4, horizon=3, n_in=2, n_out=1,
          seed=0):
    """A random encoder-decoder of ``variant`` (every weight non-zero), a batch, its
    known-future covariates, targets (B, horizon, O) and initial states."""
    cell, reset_after, peephole = variant
    params = F.init_params(cell, n_in, hidden, output_size=n_out, peephole=peephole,
                           decoder=True, future_size=n_future, random_state=seed,
                           dtype=np.float64)
    rng = np.random.default_rng(seed + 1)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    X = rng.standard_normal((batch, n_steps, n_in))
    X_future = rng.standard_normal((batch, horizon, n_future)) if n_future else None
    y = rng.standard_normal((batch, horizon, n_out))
    h0, c0 = random_states(cell, batch, hidden, seed)
    return cell, reset_after, params, X, X_future, y, h0, c0


def test_layout():
    params = F.init_params("lstm", 3, (4, 2), output_size=2, decoder=True, future_size=1,
                           peephole=True)
    decoder = {k: v.shape for k, v in params.items() if k.startswith("decoder.")}
    assert decoder == {
        "decoder.weight_ih_l0": (16, 3), "decoder.weight_hh_l0": (16, 4),
        "decoder.bias_ih_l0": (16,), "decoder.bias_hh_l0": (16,),
        "decoder.weight_peephole_l0": (3, 4),
        "decoder.weight_ih_l1": (8, 4), "decoder.weight_hh_l1": (8, 2),
        "decoder.bias_ih_l1": (8,), "decoder.bias_hh_l1": (8,),
        "decoder.weight_peephole_l1": (3, 2)}
    assert params["head.weight"].shape == (2, 2)
    spec = F.model_spec("lstm", params)
    assert spec.decoder and spec.future_size == 1 and spec.output_size == 2
    assert F.model_spec("lstm", F.init_params("lstm", 3, 4)).future_size is None
    # The decoder is drawn last: every other weight is the plain network's.
    plain = F.init_params("gru", 2, 3, num_layers=2, random_state=1)
    same = F.init_params("gru", 2, 3, num_layers=2, random_state=1, decoder=True)
    for key in plain:
        np.testing.assert_array_equal(plain[key], same[key])
    assert F.model_spec("gru", same).future_size == 0


@pytest.mark.parametrize("n_future", FUTURE, ids=FUTURE_IDS)
@pytest.mark.parametrize("hidden", HIDDEN, ids=HIDDEN_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_reference(variant, hidden, n_future):
    cell, reset_after, params, X, X_future, y, h0, c0 = _case(variant, hidden, n_future)
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, X_future=X_future,
                    horizon=3)
    pred, tops, h_n, c_n = ref.seq2seq_forward(cell, params, X, 3, X_future, h0=h0, c0=c0,
                                               reset_after=reset_after)
    np.testing.assert_allclose(fwd.prediction, pred, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd.sequence, tops, rtol=1e-12, atol=1e-14)
    for a, b in zip(fwd.h_n, h_n, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    if cell == "lstm":
        for a, b in zip(fwd.c_n, c_n, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(
        F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, X_future=X_future,
                  horizon=3), fwd.prediction)
    # An explicit y_start, and the teacher-forced loss against the reference's.
    start = np.linspace(-1, 1, 3)[:, None]
    pred = ref.seq2seq_forward(cell, params, X, 3, X_future, y_start=start,
                               reset_after=reset_after)[0]
    np.testing.assert_allclose(F.predict(cell, params, X, reset_after=reset_after, horizon=3,
                                         X_future=X_future, y_start=start[:, 0]),
                               pred, rtol=1e-12, atol=1e-14)
    teacher = ref.seq2seq_forward(cell, params, X, 3, X_future, y_teacher=y,
                                  reset_after=reset_after)[0]
    value = F.loss_and_grad(cell, params, X, y, reset_after=reset_after, X_future=X_future)[0]
    assert abs(value - np.mean((teacher - y) ** 2)) < 1e-13


@pytest.mark.parametrize("n_future", FUTURE, ids=FUTURE_IDS)
@pytest.mark.parametrize("hidden", HIDDEN, ids=HIDDEN_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_gradients_match_central_differences(variant, hidden, n_future):
    cell, reset_after, params, X, X_future, y, h0, c0 = _case(variant, hidden, n_future)
    options = {"h0": h0, "c0": c0, "reset_after": reset_after, "X_future": X_future}
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, return_input_grads=True, **options)
    assert grads.keys() == params.keys()

    def loss():
        return F.loss_and_grad(cell, params, X, y, **options)[0]

    # X includes the path through the default y_start = X[:, -1, :1].
    worst = _gradient_errors(loss, params, grads, inputs, X, h0, c0)
    if n_future:
        worst["X_future"] = relative_error(inputs["X_future"],
                                           central_difference(loss, X_future, EPS))
    print(f"\nmax relative error vs central differences {variant} {hidden} future={n_future}: "
          f"{max(worst.values()):.2e}")
    assert max(worst.values()) < 1e-6, worst


@pytest.mark.parametrize("loss_name", ["mae", "huber"])
def test_other_losses_weights_and_dropout_match_central_differences(loss_name):
    cell, _, params, X, X_future, y, _, _ = _case(VARIANTS[2], (3, 3), 2, n_out=2)
    start = np.random.default_rng(5).standard_normal((3, 2))
    options = {"loss": loss_name, "X_future": X_future, "y_start": start, "dropout": 0.3,
               "random_state": 4, "sample_weight": np.array([0.5, 2.0, 1.0])}
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, return_input_grads=True, **options)

    def loss():
        return F.loss_and_grad(cell, params, X, y, **options)[0]

    worst = {key: relative_error(grads[key], central_difference(loss, params[key], EPS))
             for key in params}
    worst["X"] = relative_error(inputs["X"], central_difference(loss, X, EPS))
    worst["y_start"] = relative_error(inputs["y_start"], central_difference(loss, start, EPS))
    print(f"\nmax relative error vs central differences {loss_name}, weights, dropout: "
          f"{max(worst.values()):.2e}")
    assert max(worst.values()) < 1e-6, worst


def test_lstm_final_cell_state_gradient():
    # The kernel's dc_last: the gradient on the final cell state, carried back in time.
    from gatedts.nn.cpu.lstm import lstm_backward, lstm_forward

    rng = np.random.default_rng(0)
    T, B, H = 3, 2, 3
    xp, w, b = rng.standard_normal((T, B, 4 * H)), 0.5 * rng.standard_normal((4 * H, H)), \
        rng.standard_normal(4 * H)
    peep, h0, c0 = rng.standard_normal((3, H)), rng.standard_normal((B, H)), \
        rng.standard_normal((B, H))
    dc_last = rng.standard_normal((B, H))

    def run(xp):
        hs, cs = np.zeros((T + 1, B, H)), np.zeros((T + 1, B, H))
        gates = np.zeros((T, B, 4 * H))
        lstm_forward(xp, w, b, peep, True, h0, c0, hs, cs, gates)
        return hs, cs, gates

    _, cs, gates = run(xp)
    da, dh0, dc0, dh = np.zeros((T, B, 4 * H)), np.zeros((B, H)), np.zeros((B, H)), \
        np.zeros((T, B, H))
    lstm_backward(w, peep, True, cs, gates, np.zeros((T, B, H)), da, dh0, dc0, dh, dc_last)
    numeric = central_difference(lambda: float(np.sum(run(xp)[1][-1] * dc_last)), xp)
    assert relative_error(da, numeric) < 1e-7


# ------------------------------------------------------------------ PyTorch


torch = pytest.importorskip("torch")
TORCH_MODULES = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}


class TorchSeq2Seq(torch.nn.Module):
    """nn.GRU/LSTM/RNN encoder and decoder (batch_first), a linear head on the decoder's
    output at each step; the decoder's step j reads [previous value, X_future[:, j]]."""

    def __init__(self, cell, n_in, hidden, num_layers, n_out, n_future):
        super().__init__()
        module = TORCH_MODULES[cell]
        self.encoder = module(n_in, hidden, num_layers=num_layers, batch_first=True)
        self.decoder = module(n_out + n_future, hidden, num_layers=num_layers, batch_first=True)
        self.head = torch.nn.Linear(hidden, n_out)
        self.n_out = n_out

    def forward(self, x, horizon, x_future=None, y_teacher=None):
        _, state = self.encoder(x)
        prev, preds = x[:, -1, : self.n_out], []
        for j in range(horizon):
            u = prev if x_future is None else torch.cat([prev, x_future[:, j]], dim=1)
            out, state = self.decoder(u[:, None], state)
            pred = self.head(out[:, 0])
            preds.append(pred)
            prev = pred if y_teacher is None else y_teacher[:, j]
        return torch.stack(preds, dim=1)

    def _named(self, tensors):
        return {(f"decoder.{name}" if part == "decoder" else
                 f"head.{name}" if part == "head" else name): t
                for part in ("encoder", "decoder", "head")
                for name, t in tensors(getattr(self, part))}

    def params(self):
        return {k: v.detach().numpy().copy()
                for k, v in self._named(lambda m: m.state_dict().items()).items()}

    def grads(self):
        return {k: p.grad.numpy() for k, p in self._named(lambda m: m.named_parameters()).items()}


@pytest.mark.parametrize("n_future", FUTURE, ids=FUTURE_IDS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_matches_pytorch_autograd(cell, num_layers, n_future):
    batch, n_steps, n_in, n_out, hidden, horizon = 3, 5, 3, 2, 4, 3
    torch.manual_seed(num_layers + n_future)
    model = TorchSeq2Seq(cell, n_in, hidden, num_layers, n_out, n_future).double()
    params = model.params()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_steps, n_in))
    X_future = rng.standard_normal((batch, horizon, n_future)) if n_future else None
    y = rng.standard_normal((batch, horizon, n_out))
    xf = None if X_future is None else torch.tensor(X_future)

    with torch.no_grad():
        free = model(torch.tensor(X), horizon, xf).numpy()
    errors = {"prediction": np.abs(F.predict(cell, params, X, horizon=horizon,
                                             X_future=X_future) - free).max()}
    xt = torch.tensor(X, requires_grad=True)
    loss = torch.nn.functional.mse_loss(model(xt, horizon, xf, torch.tensor(y)),
                                        torch.tensor(y))
    loss.backward()
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, X_future=X_future,
                                           return_input_grads=True)
    errors["loss"] = abs(value - loss.item())
    torch_grads = model.grads()
    assert torch_grads.keys() == grads.keys()
    errors.update({key: np.abs(g - torch_grads[key]).max() for key, g in grads.items()})
    errors["X"] = np.abs(inputs["X"] - xt.grad.numpy()).max()
    print(f"\nmax |gatedts - torch| {cell} layers={num_layers} future={n_future}: "
          f"{max(errors.values()):.2e}")
    assert max(errors.values()) < 1e-12, errors
