"""Forward and gradients equal PyTorch's nn.GRU/LSTM/RNN + nn.Linear + mse_loss autograd."""

import numpy as np
import pytest

from gatedts import functional as F

torch = pytest.importorskip("torch")

MODULES = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}


def _torch_model(cell, n_in, hidden, num_layers, n_out, seed):
    torch.manual_seed(seed)
    rnn = MODULES[cell](n_in, hidden, num_layers=num_layers, batch_first=True).double()
    head = torch.nn.Linear(hidden, n_out).double()
    return rnn, head


def _state_dict_to_params(rnn, head):
    params = {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}
    params.update({f"head.{k}": v.detach().numpy().copy() for k, v in head.state_dict().items()})
    return params


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_matches_pytorch_autograd(cell, num_layers):
    batch, n_steps, n_in, hidden, n_out = 4, 9, 3, 5, 2
    rnn, head = _torch_model(cell, n_in, hidden, num_layers, n_out, seed=num_layers)
    params = _state_dict_to_params(rnn, head)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_out))
    h0 = rng.standard_normal((num_layers, batch, hidden))
    c0 = rng.standard_normal((num_layers, batch, hidden))

    xt = torch.tensor(X, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True)
    out, _ = rnn(xt, (h0t, c0t) if cell == "lstm" else h0t)
    pred = head(out[:, -1])
    loss = torch.nn.functional.mse_loss(pred, torch.tensor(y))
    loss.backward()

    fwd = F.forward(cell, params, X, h0=h0, c0=c0 if cell == "lstm" else None)
    np.testing.assert_allclose(fwd.prediction, pred.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fwd.sequence, out.detach().numpy(), rtol=1e-10, atol=1e-12)

    value, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0,
                                           c0=c0 if cell == "lstm" else None,
                                           return_input_grads=True)
    assert value == pytest.approx(loss.item(), rel=1e-10)
    torch_grads = {k: p.grad.numpy() for k, p in rnn.named_parameters()}
    torch_grads.update({f"head.{k}": p.grad.numpy() for k, p in head.named_parameters()})
    assert torch_grads.keys() == grads.keys()
    for key, g in grads.items():
        np.testing.assert_allclose(g, torch_grads[key], rtol=1e-10, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(inputs["X"], xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.stack(inputs["h0"]), h0t.grad.numpy(), rtol=1e-10, atol=1e-12)
    if cell == "lstm":
        np.testing.assert_allclose(np.stack(inputs["c0"]), c0t.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_float32_state_dict_predicts_like_pytorch():
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(2, 8, num_layers=2, batch_first=True)
    head = torch.nn.Linear(8, 3)
    params = {k: v.numpy() for k, v in rnn.state_dict().items()}
    params.update({f"head.{k}": v.numpy() for k, v in head.state_dict().items()})
    X = np.random.default_rng(1).standard_normal((5, 12, 2)).astype(np.float32)
    with torch.no_grad():
        expected = head(rnn(torch.from_numpy(X))[0][:, -1]).numpy()
    np.testing.assert_allclose(F.predict("lstm", params, X), expected, rtol=1e-5, atol=1e-6)


def test_pytorch_extras_are_rejected():
    rnn = torch.nn.LSTM(2, 4, batch_first=True, proj_size=2)
    params = {k: v.numpy() for k, v in rnn.state_dict().items()}
    params["head.weight"] = np.zeros((1, 2), np.float32)
    params["head.bias"] = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape \(16, 2\)"):
        F.predict("lstm", params, np.zeros((1, 3, 2)))


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_weighted_loss_matches_pytorch_autograd(cell):
    batch, n_steps, n_in, hidden, n_out = 5, 7, 2, 4, 3
    rnn, head = _torch_model(cell, n_in, hidden, 2, n_out, seed=3)
    params = _state_dict_to_params(rnn, head)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_out))
    w = np.array([0.0, 1.0, 2.5, 0.25, 1.0])

    xt = torch.tensor(X, requires_grad=True)
    pred = head(rnn(xt)[0][:, -1])
    elementwise = torch.nn.functional.mse_loss(pred, torch.tensor(y), reduction="none")
    loss = (torch.tensor(w)[:, None] * elementwise).mean()
    loss.backward()

    value, grads, inputs = F.loss_and_grad(cell, params, X, y, sample_weight=w,
                                           return_input_grads=True)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    torch_grads = {k: p.grad.numpy() for k, p in rnn.named_parameters()}
    torch_grads.update({f"head.{k}": p.grad.numpy() for k, p in head.named_parameters()})
    for key, g in grads.items():
        np.testing.assert_allclose(g, torch_grads[key], rtol=1e-10, atol=1e-13, err_msg=key)
    np.testing.assert_allclose(inputs["X"], xt.grad.numpy(), rtol=1e-10, atol=1e-13)
