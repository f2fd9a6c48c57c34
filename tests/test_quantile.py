"""The quantile (pinball) loss: exact gradients, PyTorch parity, estimators' quantiles."""

import numpy as np
import pytest
import reference as ref
from helpers import central_difference, random_model, random_states

from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
from gatedts import functional as F

QUANTILES = (0.1, 0.5, 0.9)


def _case(variant, hidden, n_targets=2):
    cell, reset_after, peephole = variant
    params = random_model(cell, 2, hidden, n_targets * len(QUANTILES), peephole=peephole)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 5, 2))
    y = rng.standard_normal((3, n_targets))
    h0, c0 = random_states(cell, 3, hidden)
    return cell, reset_after, params, X, y, h0, c0


def test_loss_value_is_the_pinball_loss():
    rng = np.random.default_rng(0)
    prediction, y = rng.standard_normal((4, 6)), rng.standard_normal((4, 2))
    value, grad = F.loss_value(prediction, y, "quantile", quantiles=QUANTILES)
    r_value, r_grad = ref.pinball_loss(prediction, y, QUANTILES)
    assert value == pytest.approx(r_value, rel=1e-14)
    np.testing.assert_allclose(grad, r_grad, rtol=1e-15)


@pytest.mark.parametrize("hidden", [(4,), (3, 2)], ids=["1layer", "2layers"])
def test_gradients_match_central_differences(variant, hidden):
    cell, reset_after, params, X, y, h0, c0 = _case(variant, hidden)
    kwargs = {"loss": "quantile", "quantiles": QUANTILES, "h0": h0, "c0": c0,
              "reset_after": reset_after}
    value, grads = F.loss_and_grad(cell, params, X, y, **kwargs)
    pred = F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after)
    assert value == pytest.approx(ref.pinball_loss(pred, y, QUANTILES)[0], rel=1e-12)

    def loss():
        return F.loss_and_grad(cell, params, X, y, **kwargs)[0]

    for key, array in params.items():
        # The pinball loss is piecewise linear: small steps stay on one piece.
        numeric = central_difference(loss, array, eps=1e-5)
        # Relative to the largest entry of the key: the differences carry ~1e-11 of
        # rounding, which is large next to the smallest entries (1e-5) alone.
        scale = np.max(np.abs(grads[key]))
        assert np.max(np.abs(grads[key] - numeric)) < 1e-7 * scale, key


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_matches_pytorch_autograd(cell):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}[cell](
        2, 4, num_layers=2, batch_first=True).double()
    head = torch.nn.Linear(4, 2 * len(QUANTILES)).double()
    params = {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}
    params |= {f"head.{k}": v.detach().numpy().copy() for k, v in head.state_dict().items()}
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 6, 2)), rng.standard_normal((5, 2))
    pred = head(rnn(torch.tensor(X))[0][:, -1]).reshape(5, 2, len(QUANTILES))
    u = torch.tensor(y)[:, :, None] - pred
    q = torch.tensor(QUANTILES, dtype=torch.float64)
    loss = torch.maximum(q * u, (q - 1) * u).mean()
    loss.backward()
    value, grads = F.loss_and_grad(cell, params, X, y, loss="quantile", quantiles=QUANTILES)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    expected = {k: p.grad.numpy() for k, p in rnn.named_parameters()}
    expected |= {f"head.{k}": p.grad.numpy() for k, p in head.named_parameters()}
    for key, g in grads.items():
        np.testing.assert_allclose(g, expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


def test_bad_quantile_arguments():
    params = F.init_params("gru", 1, 3, output_size=4, random_state=0)
    X, y = np.zeros((2, 3, 1)), np.zeros((2, 2))
    for quantiles, message in [(None, "needs quantiles"), ((0.9, 0.1), "increasing"),
                               ((0.0, 0.5), "strictly between"), ((0.5, 0.5), "increasing")]:
        with pytest.raises(ValueError, match=message):
            F.loss_and_grad("gru", params, X, y, loss="quantile", quantiles=quantiles)
    with pytest.raises(ValueError, match="not a multiple of the 3 quantiles"):
        F.loss_and_grad("gru", params, X, y, loss="quantile", quantiles=QUANTILES)
    with pytest.raises(ValueError, match=r"expected \(2, 2\)"):
        F.loss_and_grad("gru", params, X, np.zeros((2, 4)), loss="quantile", quantiles=(0.2, 0.8))
    with pytest.raises(ValueError, match="only used by loss='quantile'"):
        F.loss_and_grad("gru", params, X, np.zeros((2, 4)), quantiles=(0.2, 0.8))
    with pytest.raises(ValueError, match="CPU only"):
        F.loss_and_grad("gru", params, X, y, loss="quantile", quantiles=(0.2, 0.8),
                        device="cuda")


# ---------------------------------------------------------------- estimators


@pytest.mark.parametrize("Estimator", [GRURegressor, LSTMRegressor, RNNRegressor])
def test_estimator_quantiles_bracket_the_data(Estimator):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6, 1))
    y = X[:, -1, 0] + 0.5 * rng.standard_normal(300)
    model = Estimator(hidden_size=8, loss="quantile", quantiles=(0.1, 0.5, 0.9),
                      max_iter=80, learning_rate_init=0.01, random_state=0).fit(X, y)
    q = model.predict_quantiles(X)
    assert q.shape == (300, 3) and model.params_["head.bias"].shape == (3,)
    np.testing.assert_array_equal(model.predict(X), q[:, 1])  # the point forecast: q=0.5
    below = [np.mean(y < q[:, k]) for k in range(3)]
    assert 0.03 < below[0] < 0.2 and 0.4 < below[1] < 0.6 and 0.8 < below[2] < 0.97, below


def test_estimator_quantiles_of_several_outputs_and_errors():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((40, 5, 2)), rng.standard_normal((40, 3))
    model = GRURegressor(hidden_size=3, loss="quantile", quantiles=(0.2, 0.8), max_iter=2,
                         early_stopping=True, random_state=0).fit(X, Y)
    assert model.predict_quantiles(X).shape == (40, 3, 2)
    assert model.predict(X).shape == (40, 3)  # the quantile nearest 0.5: 0.2 (first of a tie)
    np.testing.assert_array_equal(model.predict(X), model.predict_quantiles(X)[:, :, 0])
    with pytest.raises(ValueError, match="predict_quantiles needs loss='quantile'"):
        GRURegressor(hidden_size=2, max_iter=1).fit(X, Y).predict_quantiles(X)
    with pytest.raises(ValueError, match="quantiles must be increasing"):
        GRURegressor(loss="quantile", quantiles=(0.8, 0.2)).fit(X, Y)
    with pytest.raises(ValueError, match="CPU only"):
        GRURegressor(loss="quantile", device="cuda").fit(X, Y)
    model.set_params(quantiles=(0.1, 0.5, 0.9), warm_start=True)
    with pytest.raises(ValueError, match="fit without warm_start"):
        model.fit(X, Y)
