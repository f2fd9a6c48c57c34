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
    assert not F.model_spec("lstm", F.init_params("lstm", 3, 4)).decoder
    # The decoder is drawn last: every other weight is the plain network's.
    plain = F.init_params("gru", 2, 3, num_layers=2, random_state=1)
    same = F.init_params("gru", 2, 3, num_layers=2, random_state=1, decoder=True)
    for key in plain:
        np.testing.assert_array_equal(plain[key], same[key])
    assert F.model_spec("gru", same).decoder and F.model_spec("gru", same).future_size == 0


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


RESIDUAL = [(3, 3), (3, 2)]  # equal widths (no projection), and a projection per side
RESIDUAL_IDS = ["equal", "projected"]


def _residual_case(variant, hidden, n_future=1):
    """_case of a residual encoder-decoder, its projections non-zero."""
    cell, reset_after, params, X, X_future, y, h0, c0 = _case(variant, hidden, n_future)
    proj = F.init_params(cell, X.shape[2], hidden, residual=True, decoder=True,
                         future_size=n_future, peephole=variant[2], random_state=7,
                         dtype=np.float64)
    params.update({k: v + 0.1 for k, v in proj.items() if "residual_proj_" in k})
    return cell, reset_after, params, X, X_future, y, h0, c0


@pytest.mark.parametrize("hidden", RESIDUAL, ids=RESIDUAL_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_residual_matches_reference_and_central_differences(variant, hidden):
    cell, reset_after, params, X, X_future, y, h0, c0 = _residual_case(variant, hidden)
    assert ("decoder.residual_proj_l1.weight" in params) == (hidden[0] != hidden[1])
    options = {"h0": h0, "c0": c0, "reset_after": reset_after, "X_future": X_future,
               "residual": True}
    fwd = F.forward(cell, params, X, **options)
    pred, tops, h_n, _ = ref.seq2seq_forward(cell, params, X, 3, X_future, h0=h0, c0=c0,
                                             reset_after=reset_after, residual=True)
    np.testing.assert_allclose(fwd.prediction, pred, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd.sequence, tops, rtol=1e-12, atol=1e-14)
    for a, b in zip(fwd.h_n, h_n, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    plain = F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after,
                      X_future=X_future, residual=hidden[0] != hidden[1] or None)
    if hidden[0] == hidden[1]:  # the option decides: a different network
        assert np.abs(plain - fwd.prediction).max() > 1e-3
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, return_input_grads=True, **options)
    assert grads.keys() == params.keys()

    def loss():
        return F.loss_and_grad(cell, params, X, y, **options)[0]

    worst = _gradient_errors(loss, params, grads, inputs, X, h0, c0)
    worst["X_future"] = relative_error(inputs["X_future"],
                                       central_difference(loss, X_future, EPS))
    print(f"\nmax relative error vs central differences residual {variant} {hidden}: "
          f"{max(worst.values()):.2e}")
    assert max(worst.values()) < 1e-6, worst


# Not "mae": its kink at a zero error is within a difference step of some errors here.
@pytest.mark.parametrize("loss_name", ["mse", "huber"])
def test_losses_weights_dropout_residual_match_central_differences(loss_name):
    cell, _, params, X, X_future, y, _, _ = _case(VARIANTS[2], (3, 3), 2, n_out=2)
    start = np.random.default_rng(5).standard_normal((3, 2))
    options = {"loss": loss_name, "X_future": X_future, "y_start": start, "dropout": 0.3,
               "random_state": 4, "sample_weight": np.array([0.5, 2.0, 1.0]),
               "residual": True}
    _, grads, inputs = F.loss_and_grad(cell, params, X, y, return_input_grads=True, **options)

    def loss():
        return F.loss_and_grad(cell, params, X, y, **options)[0]

    worst = {key: relative_error(grads[key], central_difference(loss, params[key], EPS))
             for key in params}
    worst["X"] = relative_error(inputs["X"], central_difference(loss, X, EPS))
    worst["y_start"] = relative_error(inputs["y_start"], central_difference(loss, start, EPS))
    print(f"\nmax relative error vs central differences {loss_name}, weights, dropout, "
          "residual: "
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

    hs, cs, gates = run(xp)
    da, dh0, dc0, dh = np.zeros((T, B, 4 * H)), np.zeros((B, H)), np.zeros((B, H)), \
        np.zeros((T, B, H))
    lstm_backward(w, peep, True, hs, cs, gates, np.zeros((T, B, H)), (da, dh0, dc0, dh), dc_last)
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


# ------------------------------------------------------------------ errors


def test_mismatched_arguments_give_clear_errors():
    X, y = np.full((2, 3, 2), 0.5), np.zeros((2, 4))
    plain = F.init_params("gru", 2, 3, dtype=np.float64)
    seq = F.init_params("gru", 2, 3, decoder=True, dtype=np.float64)
    future = F.init_params("gru", 2, 3, decoder=True, future_size=2, dtype=np.float64)
    with pytest.raises(ValueError, match=r"decoder=True but params has no 'decoder\.\*' keys"):
        F.forward("gru", plain, X, decoder=True, horizon=2)
    for call in (F.predict, F.forward):
        with pytest.raises(ValueError, match=r"decoder=False but params has 'decoder\.\*'"):
            call("gru", seq, X, decoder=False)
    with pytest.raises(ValueError, match="decoder=False"):
        F.loss_and_grad("gru", seq, X, y, decoder=False)
    with pytest.raises(ValueError, match="horizon is only used by an encoder-decoder"):
        F.predict("gru", plain, X, horizon=2)
    with pytest.raises(ValueError, match="X_future, y_start are only used by an encoder-dec"):
        F.loss_and_grad("gru", plain, X, y[:, 0], X_future=np.zeros((2, 2, 1)),
                        y_start=np.zeros(2))
    with pytest.raises(ValueError, match="needs the number of steps to forecast: pass horizon"):
        F.predict("gru", seq, X)
    with pytest.raises(ValueError, match=r"expects 2 known-future covariate\(s\) per step .* "
                                         r"pass X_future \(batch, horizon, 2\)"):
        F.predict("gru", future, X, horizon=2)
    with pytest.raises(ValueError, match="expects 2 known-future"):
        F.loss_and_grad("gru", future, X, y)
    with pytest.raises(ValueError, match="X_future was given, but the decoder takes no"):
        F.predict("gru", seq, X, X_future=np.zeros((2, 2, 1)))
    with pytest.raises(ValueError, match=r"X_future has shape \(2, 4, 1\), expected \(2, hor"):
        F.predict("gru", future, X, X_future=np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match="horizon=3 but X_future covers 4 steps"):
        F.predict("gru", future, X, horizon=3, X_future=np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match=r"X_future covers 3 steps|X_future has shape"):
        F.loss_and_grad("gru", future, X, y, X_future=np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"y has shape \(2, 4, 2\), expected \(2, horizon, 1\) "
                                         r"or \(2, horizon\) for one target"):
        F.loss_and_grad("gru", seq, X, np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match=r"y has shape \(2,\), expected"):
        F.loss_and_grad("gru", seq, X, np.zeros(2))
    with pytest.raises(ValueError, match=r"y has shape \(2, 4\), expected \(2, 3, 1\)"):
        F.loss_and_grad("gru", seq, X, y, horizon=3)
    with pytest.raises(ValueError, match=r"y_start has shape \(3,\), expected \(2, 1\)"):
        F.predict("gru", seq, X, horizon=2, y_start=np.zeros(3))
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        F.predict("gru", seq, X, horizon=0)
    with pytest.raises(ValueError, match="loss='quantile' is not supported with decoder=True"):
        F.loss_and_grad("gru", seq, X, y, loss="quantile", quantiles=(0.5,))
    with pytest.raises(ValueError, match="return_gates is not supported with decoder"):
        F.forward("gru", seq, X, horizon=2, return_gates=True)
    wide = F.init_params("gru", 2, 3, output_size=3, decoder=True, dtype=np.float64)
    with pytest.raises(ValueError, match=r"fewer than the 3 target\(s\) .* pass y_start"):
        F.predict("gru", wide, X, horizon=2)
    assert F.predict("gru", wide, X, horizon=2, y_start=np.zeros((2, 3))).shape == (2, 2, 3)


def test_refused_combinations_and_bad_params():
    X = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match="decoder=True is not supported with bidirectional"):
        F.init_params("gru", 2, 3, decoder=True, bidirectional=True)
    with pytest.raises(ValueError, match="pass decoder=True with it"):
        F.init_params("gru", 2, 3, future_size=1)
    for head in ("attention", "sequence"):
        with pytest.raises(ValueError, match=f"decoder=True is not supported with head='{head}'"):
            F.init_params("gru", 2, 3, decoder=True, head=head)
    with_attention = F.init_params("gru", 2, 3, head="attention", dtype=np.float64)
    with_attention.update({k: v for k, v in F.init_params("gru", 2, 3, decoder=True,
                                                           dtype=np.float64).items()
                           if k.startswith("decoder.")})
    with pytest.raises(ValueError, match="decoder=True is not supported with head='attention'"):
        F.predict("gru", with_attention, X, horizon=2)
    plain_decoder = F.init_params("gru", 2, 3, decoder=True, dtype=np.float64)
    with pytest.raises(ValueError, match="decoder=True is not supported with head='sequence'"):
        F.loss_and_grad("gru", plain_decoder, X, np.zeros((2, 2)), head="sequence")
    both = F.init_params("gru", 2, 3, bidirectional=True, dtype=np.float64)
    both.update({k: v for k, v in F.init_params("gru", 2, 3, decoder=True,
                                                 dtype=np.float64).items()
                 if k.startswith("decoder.")})
    with pytest.raises(ValueError, match="decoder is not supported with bidirectional layers"):
        F.predict("gru", both, X, horizon=2)
    seq = F.init_params("gru", 2, 3, num_layers=2, decoder=True, dtype=np.float64)
    res = F.init_params("gru", 2, (3, 2), decoder=True, residual=True, dtype=np.float64)
    missing = dict(res)
    del missing["decoder.residual_proj_l1.weight"]
    with pytest.raises(ValueError, match=r"params is missing 'decoder\.residual_proj_l1\.weight'"
                                         ": the decoder of a residual network"):
        F.predict("gru", missing, X, horizon=2)
    with pytest.raises(ValueError, match=r"unexpected parameter\(s\) \['decoder\.residual_pr"):
        F.predict("gru", dict(seq, **{"decoder.residual_proj_l1.weight": np.zeros((3, 3))}), X,
                  horizon=2)
    missing = dict(seq)
    del missing["decoder.bias_hh_l1"]
    with pytest.raises(ValueError, match=r"params is missing 'decoder\.bias_hh_l1': a decoder "
                                         r"has the encoder's cell and its 2 layer\(s\)"):
        F.predict("gru", missing, X, horizon=2)
    with pytest.raises(ValueError, match=r"decoder\.weight_hh_l1 has shape \(9, 2\), expected "
                                         r"\(9, 3\) for decoder layer 1"):
        F.predict("gru", dict(seq, **{"decoder.weight_hh_l1": np.zeros((9, 2))}), X, horizon=2)
    with pytest.raises(ValueError, match=r"unexpected parameter\(s\) \['decoder\.weight_ih_l2"):
        F.predict("gru", dict(seq, **{"decoder.weight_ih_l2": np.zeros((9, 3))}), X, horizon=2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_export_refuses_decoder():
    from gatedts import GRURegressor
    from gatedts.export import to_torch

    with pytest.raises(ValueError, match=r"encoder-decoder network .* has no ONNX or torch"):
        to_torch(F.init_params("gru", 2, 3, decoder=True))
    X = np.random.default_rng(0).standard_normal((20, 5))
    model = GRURegressor(hidden_size=2, decoder=True, max_iter=1).fit(X, X[:, :2])
    with pytest.raises(ValueError, match=r"encoder-decoder network .* has no ONNX or torch"):
        to_torch(model)


# ------------------------------------------------------------------ estimators


def _series_windows(horizon=3, window=8, n_obs=80):
    from gatedts.forecasting.windows import make_windows

    series = 50 + 10 * np.sin(np.arange(n_obs) / 4) + np.arange(n_obs) / 10
    X, Y = make_windows(series, window, horizon)
    return X[:, :, 0], Y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_estimator_fit_predict_save_load(cell, tmp_path):
    from gatedts.estimators import ESTIMATORS
    from gatedts.persistence import load, save

    X, Y = _series_windows()
    model = ESTIMATORS[cell](hidden_size=3, num_layers=2, decoder=True, max_iter=3,
                             random_state=0, dtype="float64").fit(X, Y)
    assert model.get_params()["decoder"] is True
    assert any(k.startswith("decoder.") for k in model.params_)
    prediction = model.predict(X)
    assert prediction.shape == Y.shape and np.all(np.isfinite(prediction))
    # One scale for every step of the target, shared by X's target feature, so the decoder
    # starts from the scaled last value of each window.
    assert np.all(model.target_mean_ == model.feature_mean_[0])
    assert np.all(model.target_scale_ == model.feature_scale_[0])
    scaled = (X[:, :, None] - model.feature_mean_) / model.feature_scale_
    by_hand = F.predict(cell, model.params_, scaled, horizon=3)[:, :, 0]
    np.testing.assert_allclose(by_hand * model.target_scale_ + model.target_mean_, prediction,
                               rtol=1e-12)
    loaded = load(save(model, tmp_path / "model.gdts"))
    assert loaded.decoder is True
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    # The lag order is the layout's business: newest-first columns give the same network.
    newest = ESTIMATORS[cell](hidden_size=3, num_layers=2, decoder=True, max_iter=3,
                              random_state=0, dtype="float64", lag_order="newest_first")
    np.testing.assert_allclose(newest.fit(X[:, ::-1], Y).predict(X[:, ::-1]), prediction,
                               rtol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimator_known_future_covariates(tmp_path):
    from gatedts import LSTMRegressor
    from gatedts.persistence import load, save

    X, Y = _series_windows(horizon=4)
    X_future = np.random.default_rng(0).standard_normal((len(X), 4, 2)) + 5.0
    model = LSTMRegressor(hidden_size=4, decoder=True, max_iter=3, random_state=0,
                          early_stopping=True)
    weights = np.r_[0.0, np.ones(len(X) - 1)]
    model.fit(X, Y, sample_weight=weights, X_future=X_future)
    assert model.n_future_ == 2 and model.params_["decoder.weight_ih_l0"].shape == (16, 3)
    np.testing.assert_allclose(model.future_mean_, X_future[1:].reshape(-1, 2).mean(0))
    prediction = model.predict(X, X_future=X_future)
    assert prediction.shape == Y.shape
    # The covariates matter, and travel with the model.
    assert np.abs(model.predict(X, X_future=-X_future) - prediction).max() > 1e-6
    loaded = load(save(model, tmp_path / "future.gdts"))
    np.testing.assert_array_equal(loaded.predict(X, X_future=X_future), prediction)
    model.partial_fit(X, Y, X_future=X_future)
    with pytest.raises(ValueError, match=r"fitted with 2 known-future covariate\(s\): pass "
                                         "X_future"):
        model.predict(X)
    with pytest.raises(ValueError, match=r"X_future has shape \(\d+, 3, 2\), expected"):
        model.predict(X, X_future=X_future[:, :3])
    with pytest.raises(ValueError, match=r"X_future has 1 covariate\(s\), the fitted model 2"):
        model.predict(X, X_future=X_future[:, :, :1])


@pytest.mark.parametrize(("options", "message"), [
    ({"decoder": "yes"}, "decoder must be a bool"),
    ({"decoder": True, "device": "cuda"}, "encoder-decoder networks .* run on the CPU only"),
    ({"decoder": True, "bidirectional": True}, "decoder=True is not supported with bidirec"),
    ({"decoder": True, "loss": "quantile"}, "decoder=True is not supported with loss='quant"),
    ({"decoder": True, "head": "attention"}, "decoder=True is not supported with head='atten"),
])
def test_estimator_refuses(options, message):
    from gatedts.estimators import ESTIMATORS

    for estimator in ESTIMATORS.values():
        with pytest.raises(ValueError, match=message):
            estimator(**options).fit(np.zeros((10, 4)), np.zeros((10, 2)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimator_residual_decoder(tmp_path):
    from gatedts import RNNRegressor
    from gatedts.persistence import load, save

    X, Y = _series_windows()
    model = RNNRegressor(hidden_size=(3, 2), decoder=True, residual=True, max_iter=2,
                         random_state=0).fit(X, Y)
    assert {"residual_proj_l1.weight", "decoder.residual_proj_l1.weight"} <= set(model.params_)
    prediction = model.predict(X)
    assert prediction.shape == Y.shape and np.all(np.isfinite(prediction))
    np.testing.assert_array_equal(load(save(model, tmp_path / "m.gdts")).predict(X), prediction)


def test_estimator_refuses_future_without_decoder():
    from gatedts import GRURegressor

    with pytest.raises(ValueError, match=r"X_future .* is only used with decoder=True"):
        GRURegressor(max_iter=1).fit(np.zeros((10, 4)), np.zeros((10, 2)),
                                     X_future=np.zeros((10, 2, 1)))


# ------------------------------------------------------------------ Forecaster

TINY = {"hidden_size": 4, "max_iter": 3}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("local_level", ["auto", True])
def test_forecaster_fit_predict_interval_backtest(local_level):
    from gatedts import Forecaster
    from gatedts.datasets import load_airline

    y = load_airline()
    f = Forecaster("gru", horizon=4, decoder=True, local_level=local_level, n_calibration=3,
                   calibration_folds=1, network_options=TINY, random_state=0)
    assert f.get_params()["decoder"] is True
    f.fit(y)
    assert f.local_level_ is (local_level is True)  # "auto": off after the seasonal difference
    network = f.estimator_
    assert network.decoder is True and network.n_outputs_ == 4
    assert network.params_["head.weight"].shape == (1, 4)
    forecast = f.predict()
    assert len(forecast) == 4 and np.all(np.isfinite(forecast))
    longer = f.predict(6)  # past the fitted horizon: the model is iterated
    np.testing.assert_allclose(longer.iloc[:4], forecast)
    table = f.predict_interval(coverage=0.8)
    assert np.all(table["lower"] <= table["upper"])
    result = f.backtest(y, initial=128, step=8, horizon=4, coverage=None)
    assert np.isfinite(result.metrics.loc["GRU", "MAE"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_forecaster_feeds_future_exog_to_the_decoder(tmp_path):
    import pandas as pd

    from gatedts import Forecaster
    from gatedts.persistence import load, save

    rng = np.random.default_rng(0)
    index = pd.date_range("2020-01-01", periods=120, freq="D")
    exog = pd.DataFrame({"noise": rng.standard_normal(120),
                         "promo": (rng.random(120) < 0.3).astype(float)}, index=index)
    y = pd.Series(20 + 5 * exog["promo"].to_numpy() + rng.normal(0, 0.1, 120), index=index)
    train = slice(None, 110)
    f = Forecaster("lstm", horizon=3, window=7, decoder=True, future_exog=["promo"],
                   network_options={"hidden_size": 4, "max_iter": 5}, random_state=0)
    f.fit(y.iloc[train], exog=exog.iloc[train])
    network = f.estimator_
    assert network.n_future_ == 1
    # The past part holds the target and both exog columns; the future part goes to the
    # decoder, not into an extended sequence.
    assert network.params_["weight_ih_l0"].shape == (16, 3)
    assert network.params_["decoder.weight_ih_l0"].shape == (16, 2)
    future = exog.iloc[110:113]
    forecast = f.predict(exog_future=future)
    assert np.all(np.isfinite(forecast))
    flipped = f.predict(exog_future=future.assign(promo=1 - future["promo"]))
    assert np.abs(flipped.to_numpy() - forecast.to_numpy()).max() > 1e-6
    loaded = load(save(f, tmp_path / "forecaster.gdts"))
    np.testing.assert_array_equal(loaded.predict(exog_future=future), forecast)
    result = f.backtest(y, exog=exog, initial=100, step=5, horizon=3, coverage=None)
    assert np.isfinite(result.metrics.iloc[0]["MAE"])


def test_forecaster_refuses_incompatible_settings():
    from sklearn.linear_model import Ridge

    from gatedts import Forecaster
    from gatedts.datasets import load_airline

    y = load_airline()
    with pytest.raises(ValueError, match="decoder=True trains the default encoder-decoder"):
        Forecaster(Ridge(), decoder=True).fit(y)
    with pytest.raises(ValueError, match="it needs strategy='direct', not 'recursive'"):
        Forecaster(decoder=True, strategy="recursive").fit(y)
    with pytest.raises(ValueError, match="decoder must be True or False"):
        Forecaster(decoder="yes").fit(y)
    with pytest.raises(ValueError, match="decoder is the Forecaster's own parameter"):
        Forecaster(network_options={"decoder": True}).fit(y)


def test_forecast_many_global_mode_refuses_decoder():
    import pandas as pd

    from gatedts import Forecaster, forecast_many

    df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 30),
                       "ds": np.tile(pd.date_range("2020-01-01", periods=30, freq="D"), 2),
                       "y": np.arange(60.0)})
    with pytest.raises(ValueError, match="decoder=True is available in mode='local' only"):
        forecast_many(df, Forecaster(decoder=True), mode="global")
