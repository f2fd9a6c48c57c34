"""The attention and sequence heads: finite differences, the numpy reference, PyTorch,
the estimators, persistence, the Forecaster, plots and errors."""

import warnings

import numpy as np
import pytest
import reference as ref
from helpers import (
    VARIANT_IDS,
    VARIANTS,
    assert_gradients_match,
    central_difference,
    random_states,
)
from sklearn.exceptions import ConvergenceWarning

from gatedts import Forecaster, GRURegressor, LSTMRegressor, RNNRegressor
from gatedts import functional as F
from gatedts.nn import heads
from gatedts.persistence import load, save

ESTIMATORS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
ARCHITECTURES = {"plain": {}, "residual": {"residual": True},
                 "bidirectional": {"bidirectional": True}}


def _case(variant, hidden, head, *, batch=2, n_steps=4, n_in=2, n_out=2, seed=0,
          bidirectional=False, residual=False):
    """``(cell, reset_after, params, X, y, h0, c0)`` for ``head``: every parameter
    non-zero (biases included), y one target vector per step for the sequence head."""
    cell, reset_after, peephole = variant
    params = F.init_params(cell, n_in, hidden, output_size=n_out, peephole=peephole,
                           bidirectional=bidirectional, residual=residual, head=head,
                           random_state=seed, dtype=np.float64)
    rng = np.random.default_rng(seed + 1)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    rng = np.random.default_rng(seed + 10)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_steps, n_out) if head == "sequence" else (batch, n_out))
    sizes = [H for H in hidden for _ in range(2 if bidirectional else 1)]
    h0, c0 = random_states(cell, batch, sizes, seed)
    return cell, reset_after, params, X, y, h0, c0


# ------------------------------------------------------------------ layout


def test_layout_and_init():
    params = F.init_params("gru", 2, (4, 3), output_size=2, head="attention")
    assert list(params)[-6:] == ["attention.key.weight", "attention.query.weight",
                                 "attention.bias", "attention.score.weight", "head.weight",
                                 "head.bias"]
    assert params["attention.key.weight"].shape == params["attention.query.weight"].shape \
        == (3, 3)
    assert params["attention.bias"].shape == (3,) and params["attention.score.weight"].shape \
        == (1, 3)
    assert params["head.weight"].shape == (2, 6)
    bound = 1 / np.sqrt(3)  # nn.Linear's uniform ±1/sqrt(fan_in), the bias too
    for key in ("attention.key.weight", "attention.query.weight", "attention.bias"):
        assert np.abs(params[key]).max() <= bound and np.abs(params[key]).max() > 0
    spec = F.model_spec("gru", params)
    assert spec.attention and spec.head == "attention" and spec.top_width == 3
    both = F.init_params("lstm", 2, 3, bidirectional=True, head="attention")
    assert both["attention.key.weight"].shape == (6, 6) and both["head.weight"].shape == (1, 12)
    # The option leaves every other draw unchanged, and the last-state half of the head too.
    plain = F.init_params("gru", 2, (4, 3), output_size=2, random_state=1)
    att = F.init_params("gru", 2, (4, 3), output_size=2, random_state=1, head="attention")
    for key in plain:
        if key != "head.weight":
            np.testing.assert_array_equal(plain[key], att[key])
    np.testing.assert_array_equal(att["head.weight"][:, 3:], plain["head.weight"])
    # The sequence head has no parameters of its own.
    seq = F.init_params("gru", 2, (4, 3), output_size=2, random_state=1, head="sequence")
    assert seq.keys() == plain.keys()
    with pytest.raises(ValueError, match="unknown head 'first'"):
        F.init_params("gru", 2, 3, head="first")


# ------------------------------------------------------------------ finite differences

# (variant, hidden, head, options): every cell variant with both heads on two layers, and the
# combinations with residual stacks, bidirectional layers and one layer.
FD_CASES = (
    [(v, (3, 2), head, {}) for v in VARIANTS for head in ("attention", "sequence")]
    + [(VARIANTS[0], (3,), "attention", {}), (VARIANTS[4], (3,), "sequence", {}),
       (VARIANTS[0], (3, 2), "attention", {"residual": True}),
       (VARIANTS[3], (3, 3), "attention", {"residual": True}),
       (VARIANTS[4], (3, 2), "sequence", {"residual": True}),
       (VARIANTS[0], (3, 2), "sequence", {"bidirectional": True}),
       (VARIANTS[2], (3, 2), "sequence", {"bidirectional": True}),
       (VARIANTS[1], (3,), "attention", {"bidirectional": True}),
       # The query's gradient is small (the query term is the same at every step, so it
       # moves the scores only through the tanh): a seed where it is not ~1e-6.
       (VARIANTS[3], (3, 2), "attention", {"bidirectional": True, "seed": 2})]
)
FD_IDS = [f"{VARIANT_IDS[VARIANTS.index(v)]}-{len(h)}layer-{head}"
          + "".join(f"-{k}" for k in options if k != "seed") for v, h, head, options in FD_CASES]


@pytest.mark.parametrize(("variant", "hidden", "head", "options"), FD_CASES, ids=FD_IDS)
def test_gradients_match_central_differences(variant, hidden, head, options):
    case = _case(variant, hidden, head, **options)
    # An explicit head, and the sequence head must be asked for; residual stacks of equal
    # widths must be told.
    assert_gradients_match(case, f"{variant} {hidden} {head} {options}", head=head,
                           **({"residual": True} if options.get("residual") else {}))


@pytest.mark.parametrize("head", ["attention", "sequence"])
def test_dropout_and_weights_gradients_match_central_differences(head):
    cell, _, params, X, y, _, _ = _case(VARIANTS[2], (3, 2, 2), head)
    weights = np.array([0.5, 2.0])
    options = {"dropout": 0.4, "random_state": 3, "head": head, "sample_weight": weights}

    def loss():
        return F.loss_and_grad(cell, params, X, y, **options)[0]

    _, grads = F.loss_and_grad(cell, params, X, y, **options)
    for key in params:
        numeric = central_difference(loss, params[key])
        assert np.abs(grads[key] - numeric).max() < 1e-8 * np.abs(numeric).max(), key


# ------------------------------------------------------------------ the numpy reference


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("head", ["attention", "sequence"])
@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_forward_matches_reference(variant, head, arch):
    options = ARCHITECTURES[arch]
    cell, reset_after, params, X, _, h0, c0 = _case(variant, (3, 2), head, batch=3, n_steps=5,
                                                    **options)
    fwd = F.forward(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, head=head,
                    return_attention=head == "attention", **options)
    pred, alpha = ref.head_forward(cell, params, X, head, h0, c0, reset_after,
                                   residual=bool(options.get("residual")))
    np.testing.assert_allclose(fwd.prediction, pred, rtol=1e-12, atol=1e-14)
    if head == "attention":
        np.testing.assert_allclose(fwd.attention, alpha, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fwd.attention.sum(axis=1), 1.0, rtol=1e-14)
    else:
        assert fwd.prediction.shape == (3, 5, 2) and fwd.attention is None
    np.testing.assert_array_equal(
        F.predict(cell, params, X, h0=h0, c0=c0, reset_after=reset_after, head=head, **options),
        fwd.prediction)


def test_attention_backward_matches_reference():
    rng = np.random.default_rng(0)
    params = F.init_params("gru", 2, 4, output_size=3, head="attention", dtype=np.float64,
                           random_state=0)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    S, q, d_pred = rng.standard_normal((5, 3, 4)), rng.standard_normal((3, 4)), \
        rng.standard_normal((3, 3))
    pred, cache = heads.forward("attention", params, S, q)
    np.testing.assert_allclose(pred, ref.attention_head(params, S.transpose(1, 0, 2), q)[0],
                               rtol=1e-12)
    grads = {}
    dS, dq = heads.backward("attention", params, S, q, cache, d_pred, grads)
    ref_dS, ref_dq, ref_grads = ref.attention_head_back(params, S.transpose(1, 0, 2), q, d_pred)
    np.testing.assert_allclose(dS.transpose(1, 0, 2), ref_dS, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dq, ref_dq, rtol=1e-12, atol=1e-14)
    assert grads.keys() == ref_grads.keys()
    for key, g in grads.items():
        np.testing.assert_allclose(g, ref_grads[key], rtol=1e-12, atol=1e-14, err_msg=key)
    # The reference backward against differences of the reference forward.
    for key in ("attention.key.weight", "attention.score.weight"):
        numeric = central_difference(
            lambda: float((ref.attention_head(params, S.transpose(1, 0, 2), q)[0]
                           * d_pred).sum()), params[key])
        np.testing.assert_allclose(ref_grads[key], numeric, rtol=1e-7, atol=1e-10)


def test_a_prediction_does_not_depend_on_its_batch():
    # The heads use the kernels' row-by-row products: a window's prediction is the same
    # bits alone or among others (float32, where rounding differences would show).
    for head in ("attention", "sequence"):
        params = F.init_params("lstm", 3, 5, output_size=2, head=head, random_state=0)
        X = np.random.default_rng(0).standard_normal((40, 7, 3)).astype(np.float32)
        whole = F.predict("lstm", params, X, head=head)
        for i in (0, 17, 39):
            np.testing.assert_array_equal(F.predict("lstm", params, X[i : i + 1], head=head)[0],
                                          whole[i])


# ------------------------------------------------------------------ PyTorch


torch = pytest.importorskip("torch")
TORCH_MODULES = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}
ATTENTION_KEYS = ("attention.key.weight", "attention.query.weight", "attention.bias",
                  "attention.score.weight")


class TorchHeadNetwork(torch.nn.Module):
    """``nn.GRU/LSTM/RNN(batch_first=True)`` with the attention head or a per-step linear head."""

    def __init__(self, cell, n_in, hidden, num_layers, n_out, head, bidirectional):
        super().__init__()
        self.cell, self.head_kind = cell, head
        self.rnn = TORCH_MODULES[cell](n_in, hidden, num_layers=num_layers, batch_first=True,
                                       bidirectional=bidirectional)
        D = hidden * (2 if bidirectional else 1)
        if head == "attention":
            self.key = torch.nn.Linear(D, D, bias=False)
            self.query = torch.nn.Linear(D, D)  # its bias is attention.bias
            self.score = torch.nn.Linear(D, 1, bias=False)
        self.head = torch.nn.Linear(2 * D if head == "attention" else D, n_out)

    def forward(self, x, h0, c0=None):
        out, states = self.rnn(x, (h0, c0) if self.cell == "lstm" else h0)
        if self.head_kind == "sequence":
            return self.head(out)
        h_n = states[0] if self.cell == "lstm" else states
        q = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.rnn.bidirectional else h_n[-1]
        e = self.score(torch.tanh(self.key(out) + self.query(q)[:, None]))[..., 0]  # (B, T)
        alpha = torch.softmax(e, dim=1)
        context = (alpha[..., None] * out).sum(dim=1)
        return self.head(torch.cat([context, q], dim=1))

    def names(self):
        """gatedts' key of each named parameter."""
        out = {f"rnn.{k}": k for k, _ in self.rnn.named_parameters()}
        out.update({"head.weight": "head.weight", "head.bias": "head.bias"})
        if self.head_kind == "attention":
            out.update({"key.weight": "attention.key.weight",
                        "query.weight": "attention.query.weight",
                        "query.bias": "attention.bias", "score.weight": "attention.score.weight"})
        return out

    def params(self):
        named = dict(self.named_parameters())
        return {ours: named[theirs].detach().numpy().copy()
                for theirs, ours in self.names().items()}

    def grads(self):
        named = dict(self.named_parameters())
        return {ours: named[theirs].grad.numpy() for theirs, ours in self.names().items()}


TORCH_WORST = {}


@pytest.mark.parametrize("bidirectional", [False, True], ids=["one-way", "bidirectional"])
@pytest.mark.parametrize("head", ["attention", "sequence"])
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_matches_pytorch_autograd(cell, head, bidirectional):
    batch, n_steps, n_in, hidden, num_layers, n_out = 3, 5, 2, 4, 2, 2
    torch.manual_seed(1)
    model = TorchHeadNetwork(cell, n_in, hidden, num_layers, n_out, head, bidirectional).double()
    params = model.params()
    n_states = num_layers * (2 if bidirectional else 1)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_steps, n_out) if head == "sequence" else (batch, n_out))
    h0 = rng.standard_normal((n_states, batch, hidden))
    c0 = rng.standard_normal((n_states, batch, hidden)) if cell == "lstm" else None

    xt = torch.tensor(X, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True) if cell == "lstm" else None
    pred = model(xt, h0t, c0t)
    loss = torch.nn.functional.mse_loss(pred, torch.tensor(y))
    loss.backward()

    fwd = F.forward(cell, params, X, h0=h0, c0=c0, head=head)
    errors = {"prediction": np.abs(fwd.prediction - pred.detach().numpy()).max()}
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, h0=h0, c0=c0, head=head,
                                           return_input_grads=True)
    errors["loss"] = abs(value - loss.item())
    torch_grads = model.grads()
    assert torch_grads.keys() == grads.keys()
    errors.update({key: np.abs(g - torch_grads[key]).max() for key, g in grads.items()})
    errors["X"] = np.abs(inputs["X"] - xt.grad.numpy()).max()
    errors["h0"] = np.abs(np.stack(inputs["h0"]) - h0t.grad.numpy()).max()
    if cell == "lstm":
        errors["c0"] = np.abs(np.stack(inputs["c0"]) - c0t.grad.numpy()).max()
    worst = max(errors.values())
    print(f"\nmax |gatedts - torch| {cell} {head} bidirectional={bidirectional}: {worst:.2e}")
    assert worst < 1e-12, errors


# ------------------------------------------------------------------ errors


def test_mismatched_params_and_options_give_clear_errors():
    X = np.full((2, 3, 2), 0.5)
    plain = F.init_params("gru", 2, 3, dtype=np.float64)
    att = F.init_params("gru", 2, 3, head="attention", dtype=np.float64)
    with pytest.raises(ValueError, match=r"head='attention' but params has no 'attention\.\*'"):
        F.forward("gru", plain, X, head="attention")
    for call in (F.predict, F.forward):
        for head in ("last", "sequence"):
            with pytest.raises(ValueError, match=rf"head='{head}' but params has 'attention\.\*'"):
                call("gru", att, X, head=head)
    with pytest.raises(ValueError, match="head='last' but params has"):
        F.loss_and_grad("gru", att, X, np.zeros(2), head="last")
    with pytest.raises(ValueError, match="unknown head 'first'"):
        F.predict("gru", plain, X, head="first")
    # None reads the dict.
    np.testing.assert_array_equal(F.predict("gru", att, X), F.predict("gru", att, X,
                                                                      head="attention"))
    assert F.predict("gru", plain, X).shape == (2, 1)
    assert F.predict("gru", plain, X, head="sequence").shape == (2, 3, 1)

    with pytest.raises(ValueError, match="return_attention=True needs the attention head, not "
                                         "head='last'"):
        F.forward("gru", plain, X, return_attention=True)
    with pytest.raises(ValueError, match="return_attention=True needs the attention head, not "
                                         "head='sequence'"):
        F.forward("gru", plain, X, head="sequence", return_attention=True)

    # y of the sequence head: (B, T) for one output, (B, T, O); the message names T.
    with pytest.raises(ValueError, match=r"y has shape \(2,\), expected \(2, 3, 1\) or \(2, 3\) "
                                         r"for head='sequence'.*T = 3"):
        F.loss_and_grad("gru", plain, X, np.zeros(2), head="sequence")
    with pytest.raises(ValueError, match=r"expected \(2, 3, 1\)"):
        F.loss_and_grad("gru", plain, X, np.zeros((2, 4)), head="sequence")
    two = F.init_params("gru", 2, 3, output_size=2, dtype=np.float64)
    with pytest.raises(ValueError, match=r"expected \(2, 3, 2\) for head='sequence'"):
        F.loss_and_grad("gru", two, X, np.zeros((2, 3)), head="sequence")
    v2, _ = F.loss_and_grad("gru", plain, X, np.ones((2, 3)), head="sequence")
    v3, _ = F.loss_and_grad("gru", plain, X, np.ones((2, 3, 1)), head="sequence")
    assert v2 == v3

    # Validation messages know the head.
    with pytest.raises(ValueError, match=r"head.weight has shape \(1, 3\), expected \(1, 6\) "
                                         r"\(outputs, 2 \* top hidden size: the attention"):
        F.predict("gru", dict(att, **{"head.weight": np.zeros((1, 3))}), X)
    with pytest.raises(ValueError, match=r"attention.key.weight has shape \(2, 2\), expected "
                                         r"\(3, 3\) for the attention head \(D = top hidden"):
        F.predict("gru", dict(att, **{"attention.key.weight": np.zeros((2, 2))}), X)
    broken = dict(att)
    del broken["attention.bias"]
    with pytest.raises(ValueError, match=r"params is missing 'attention\.bias': an attention head"):
        F.predict("gru", broken, X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exports_refuse_other_heads():
    from gatedts.export import to_torch

    with pytest.raises(ValueError, match="head='attention' has no ONNX or torch export"):
        to_torch(F.init_params("gru", 2, 3, head="attention"))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 4))
    for head, y in (("attention", X[:, 0]), ("sequence", X)):
        model = GRURegressor(hidden_size=3, head=head, max_iter=1).fit(X, y)
        with pytest.raises(ValueError, match=f"head='{head}' has no ONNX or torch export"):
            to_torch(model)


# ------------------------------------------------------------------ estimators


def _fit(cls, X, y, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(max_iter=3, random_state=0, **options).fit(X, y)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_estimator_attention_fit_predict_weights_save_load(cell, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = X[:, 0] - 0.5 * X[:, -1]
    model = _fit(ESTIMATORS[cell], X, y, hidden_size=3, head="attention", dtype="float64")
    assert model.head == "attention" and "attention.score.weight" in model.params_
    prediction = model.predict(X)
    assert prediction.shape == (40,) and np.all(np.isfinite(prediction))
    weights = model.attention_weights(X)
    assert weights.shape == (40, 6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    loaded = load(save(model, tmp_path / "model.gdts"))
    assert loaded.head == "attention"
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    np.testing.assert_array_equal(loaded.attention_weights(X), weights)
    # Oldest step first whatever the lag order: newest-first columns give reversed weights.
    newest = _fit(ESTIMATORS[cell], X[:, ::-1], y, hidden_size=3, head="attention",
                  dtype="float64", lag_order="newest_first")
    np.testing.assert_allclose(newest.attention_weights(X[:, ::-1]), weights, rtol=1e-12)
    with pytest.raises(ValueError, match="attention_weights needs head='attention', not 'last'"):
        _fit(ESTIMATORS[cell], X, y, hidden_size=3).attention_weights(X)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_estimator_sequence_fit_predict_save_load(cell, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    Y = 100 + 10 * np.cumsum(X, axis=1)  # one target per step, on a raw scale
    model = _fit(ESTIMATORS[cell], X, Y, hidden_size=3, head="sequence", dtype="float64",
                 learning_rate_init=0.02)
    assert model.n_outputs_ == 5 and model.target_mean_.shape == (5,)  # scaled per column
    assert model.params_["head.weight"].shape == (1, 3)
    prediction = model.predict(X)
    assert prediction.shape == (40, 5) and np.all(np.isfinite(prediction))
    assert np.abs(prediction.mean(axis=0) - Y.mean(axis=0)).max() < 0.5 * Y.std(axis=0).max()
    loaded = load(save(model, tmp_path / "model.gdts"))
    assert loaded.head == "sequence"
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    # The network's own per-step predictions, mapped back by the target scaling.
    raw = F.predict(cell, model.params_, model.network_input(X), head="sequence")[..., 0]
    np.testing.assert_allclose(prediction, raw * model.target_scale_ + model.target_mean_,
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"y must have T = 5 column\(s\) .*got 1"):
        _fit(ESTIMATORS[cell], X, Y[:, 0], head="sequence")
    with pytest.raises(ValueError, match=r"y must have T = 5 column\(s\) .*got 4"):
        _fit(ESTIMATORS[cell], X, Y[:, :4], head="sequence")
    # Quantiles per step, early stopping, and partial_fit continue to work.
    quantile = _fit(ESTIMATORS[cell], X, Y, hidden_size=3, head="sequence", loss="quantile",
                    early_stopping=True)
    assert quantile.predict(X).shape == (40, 5)
    assert quantile.predict_quantiles(X).shape == (40, 5, 3)
    quantile.partial_fit(X, Y)


def test_estimator_refuses_bad_heads_and_cuda():
    X, y = np.zeros((10, 4)), np.zeros(10)
    for estimator in ESTIMATORS.values():
        with pytest.raises(ValueError, match="head must be one of 'last', 'attention', "
                                             "'sequence', got 'first'"):
            estimator(head="first").fit(X, y)
        for head in ("attention", "sequence"):
            with pytest.raises(ValueError, match=f"the '{head}' head runs on the CPU only"):
                estimator(head=head, device="cuda").fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("options", [{"residual": True, "hidden_size": (3, 2)},
                                     {"bidirectional": True, "num_layers": 2, "hidden_size": 3},
                                     {"dropout": 0.3, "num_layers": 2, "hidden_size": 3}],
                         ids=["residual", "bidirectional", "dropout"])
def test_estimator_heads_combine_with_the_other_options(options):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    for head, y, shape in (("attention", X[:, 0], (30,)), ("sequence", X, (30, 5))):
        model = _fit(GRURegressor, X, y, head=head, **options)
        assert model.predict(X).shape == shape
        if head == "attention":
            assert model.attention_weights(X).shape == (30, 5)


# ------------------------------------------------------------------ Forecaster, plots


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_forecaster_with_attention_and_refusing_sequence(tmp_path):
    from gatedts.datasets import load_airline

    y = load_airline()
    tiny = {"hidden_size": 4, "max_iter": 2}
    f = Forecaster("gru", horizon=6, network_options={**tiny, "head": "attention"},
                   random_state=0).fit(y)
    assert all(m.head == "attention" for m in f.estimators_)
    forecast = f.predict()
    assert len(forecast) == 6 and np.all(np.isfinite(forecast))
    np.testing.assert_array_equal(load(save(f, tmp_path / "f.gdts")).predict(), forecast)
    with pytest.raises(ValueError, match="head='sequence' does not fit a Forecaster"):
        Forecaster("gru", horizon=6, network_options={**tiny, "head": "sequence"}).fit(y)
    with pytest.raises(ValueError, match="head='sequence' does not fit a Forecaster"):
        Forecaster(GRURegressor(head="sequence"), horizon=6).fit(y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_attention_plots():
    pytest.importorskip("matplotlib")
    import pandas as pd
    from matplotlib.figure import Figure

    from gatedts.analysis.diagnostics import attention_weights
    from gatedts.analysis.plotting import plot_attention, plot_window

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 8))
    model = _fit(LSTMRegressor, X, X[:, 2], hidden_size=3, head="attention")
    index = pd.date_range("2020-01", periods=8, freq="MS")
    weights = attention_weights(model, X, sample=3, index=index)
    assert isinstance(weights, pd.Series) and list(weights.index) == list(index)
    np.testing.assert_allclose(weights.to_numpy(), model.attention_weights(X)[3])
    ax = plot_attention(weights)
    assert len(ax.patches) == 8 and ax.get_xticklabels()[0].get_text().startswith("Jan")
    with pytest.raises(ValueError, match="weights must be 1-D"):
        plot_attention(np.zeros((2, 3)))
    fig = plot_window(model, X, sample=3, index=index)
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # heat map, its colour bar, attention
    assert "attention" in fig.axes[-1].get_title()
    fig.savefig(__import__("io").BytesIO(), format="png")
    plain = _fit(GRURegressor, X, X[:, 2], hidden_size=3)
    assert len(plot_window(plain, X, gate="r").axes) == 2  # no attention panel


class TorchResidualHeadNetwork(torch.nn.Module):
    """A residual stack of one-layer ``nn.GRU/LSTM/RNN`` (layer k > 0 outputs ``x + layer(x)``,
    equal widths) with the attention head or a per-step linear head."""

    def __init__(self, cell, n_in, hidden, num_layers, n_out, head):
        super().__init__()
        self.cell, self.head_kind = cell, head
        self.layers = torch.nn.ModuleList(
            TORCH_MODULES[cell](n_in if k == 0 else hidden, hidden, batch_first=True)
            for k in range(num_layers))
        if head == "attention":
            self.key = torch.nn.Linear(hidden, hidden, bias=False)
            self.query = torch.nn.Linear(hidden, hidden)
            self.score = torch.nn.Linear(hidden, 1, bias=False)
        self.head = torch.nn.Linear(2 * hidden if head == "attention" else hidden, n_out)

    def forward(self, x):
        for k, layer in enumerate(self.layers):
            out = layer(x)[0]
            x = out if k == 0 else x + out
        if self.head_kind == "sequence":
            return self.head(x)
        q = x[:, -1]  # the residual top output at the last step
        e = self.score(torch.tanh(self.key(x) + self.query(q)[:, None]))[..., 0]
        context = (torch.softmax(e, dim=1)[..., None] * x).sum(dim=1)
        return self.head(torch.cat([context, q], dim=1))

    def names(self):
        out = {f"layers.{k}.{name}": name.replace("_l0", f"_l{k}")
               for k, layer in enumerate(self.layers) for name, _ in layer.named_parameters()}
        out.update({"head.weight": "head.weight", "head.bias": "head.bias"})
        if self.head_kind == "attention":
            out.update({"key.weight": "attention.key.weight",
                        "query.weight": "attention.query.weight",
                        "query.bias": "attention.bias", "score.weight": "attention.score.weight"})
        return out

    params, grads = TorchHeadNetwork.params, TorchHeadNetwork.grads


@pytest.mark.parametrize("head", ["attention", "sequence"])
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_residual_heads_match_pytorch_autograd(cell, head):
    batch, n_steps, n_in, hidden, num_layers, n_out = 3, 5, 2, 4, 2, 2
    torch.manual_seed(2)
    model = TorchResidualHeadNetwork(cell, n_in, hidden, num_layers, n_out, head).double()
    params = model.params()
    rng = np.random.default_rng(1)
    X = rng.standard_normal((batch, n_steps, n_in))
    y = rng.standard_normal((batch, n_steps, n_out) if head == "sequence" else (batch, n_out))
    xt = torch.tensor(X, requires_grad=True)
    pred = model(xt)
    loss = torch.nn.functional.mse_loss(pred, torch.tensor(y))
    loss.backward()

    options = {"head": head, "residual": True}
    errors = {"prediction": np.abs(F.predict(cell, params, X, **options)
                                   - pred.detach().numpy()).max()}
    value, grads, inputs = F.loss_and_grad(cell, params, X, y, return_input_grads=True,
                                           **options)
    errors["loss"] = abs(value - loss.item())
    torch_grads = model.grads()
    assert torch_grads.keys() == grads.keys()
    errors.update({key: np.abs(g - torch_grads[key]).max() for key, g in grads.items()})
    errors["X"] = np.abs(inputs["X"] - xt.grad.numpy()).max()
    worst = max(errors.values())
    print(f"\nmax |gatedts - torch| {cell} {head} residual: {worst:.2e}")
    assert worst < 1e-12, errors
