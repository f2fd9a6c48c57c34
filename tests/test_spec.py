"""NetworkSpec: what a network is, its rules, and the functional API taking one."""

import dataclasses

import numpy as np
import pytest

from gatedts import GRURegressor, LSTMRegressor
from gatedts.nn import functional as F
from gatedts.nn import params as P
from gatedts.nn.spec import COMBINATION_RULES, CPU_ONLY, NetworkSpec


def test_a_spec_is_a_frozen_normalised_value():
    spec = NetworkSpec("gru", 2, [3, np.int64(4)], dtype="float64", residual=1)
    assert spec.hidden_sizes == (3, 4) and spec.dtype == np.float64 and spec.residual is True
    assert spec.num_layers == 2 and spec.top_width == 4 and spec.residual_projections == (1,)
    assert NetworkSpec("gru", 2, (3, 3), residual=True).residual_projections == ()
    assert NetworkSpec("lstm", 1, (2, 5), bidirectional=True).state_sizes == (2, 2, 5, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.residual = False
    assert hash(spec) == hash(NetworkSpec("gru", 2, (3, 4), dtype=np.float64, residual=True))


@pytest.mark.parametrize(("changes", "message"), [
    ({"cell": "gru", "peephole": True}, "peephole=True is only valid for an LSTM, not a GRU"),
    ({"residual": True, "bidirectional": True}, "residual=True is not supported with bidir"),
    ({"decoder": True, "bidirectional": True}, "decoder=True is not supported with bidir"),
    ({"decoder": True, "head": "attention"}, "decoder=True is not supported with head='att"),
    ({"future_size": 2}, "pass decoder=True with it"),
    ({"head": "first"}, "unknown head 'first'"),
    ({"hidden_sizes": (3, 0)}, "hidden_size must be a positive integer, got 0"),
    ({"input_size": 2.5}, "input_size must be a positive integer, got 2.5"),
    ({"dtype": np.float16}, "dtype must be float32 or float64"),
    ({"cell": "cnn"}, "cnn"),
])
def test_the_combination_table_refuses_what_does_not_combine(changes, message):
    with pytest.raises(ValueError, match=message):
        NetworkSpec(**{"cell": "lstm", "input_size": 1, "hidden_sizes": (3,), **changes})
    assert len(COMBINATION_RULES) == 5


@pytest.mark.parametrize(("changes", "message"), [
    ({"bidirectional": True}, "bidirectional layers run on the CPU only"),
    ({"residual": True}, "residual stacks run on the CPU only"),
    ({"head": "sequence"}, "the 'sequence' head runs on the CPU only"),
    ({"decoder": True}, "encoder-decoder networks .* run on the CPU only"),
])
def test_the_device_table_says_what_is_cpu_only(changes, message):
    spec = NetworkSpec("gru", 1, (3,), **changes)
    spec.check_device("cpu")
    with pytest.raises(ValueError, match=message):
        spec.check_device("cuda")
    assert len(spec.cpu_only()) == 1 and len(CPU_ONLY) == 4
    NetworkSpec("gru", 1, (3,)).check_device("cuda")  # a plain network runs anywhere


def test_init_params_draws_a_spec_as_the_keywords_do():
    spec = NetworkSpec("gru", 2, (4, 3), output_size=2, dtype=np.float64, residual=True,
                       head="attention")
    by_spec = F.init_params(spec, random_state=3)
    by_keywords = F.init_params("gru", 2, (4, 3), output_size=2, dtype=np.float64,
                                residual=True, head="attention", random_state=3)
    assert list(by_spec) == list(by_keywords)
    for key in by_spec:
        np.testing.assert_array_equal(by_spec[key], by_keywords[key])
    assert F.network_spec("gru", by_spec) == spec
    with pytest.raises(ValueError, match="takes the sizes from the spec"):
        F.init_params(spec, 2, 3)


def test_network_spec_adds_what_the_dict_cannot_show():
    params = F.init_params("gru", 2, (3, 3), dtype=np.float64)
    assert F.model_spec("gru", params).residual is False  # equal widths: no projection
    spec = F.network_spec("gru", params, residual=True, head="sequence", reset_after=False)
    assert (spec.residual, spec.head, spec.reset_after) == (True, "sequence", False)
    with pytest.raises(ValueError, match="head='attention' but params has no 'attention"):
        F.network_spec("gru", params, head="attention")


def test_the_functional_api_takes_a_spec_for_the_keywords():
    rng = np.random.default_rng(0)
    params = F.init_params("lstm", 2, (3, 3), dtype=np.float64, random_state=0)
    X, y = rng.standard_normal((4, 5, 2)), rng.standard_normal(4)
    spec = F.network_spec("lstm", params, residual=True)
    np.testing.assert_array_equal(F.predict(spec, params, X),
                                  F.predict("lstm", params, X, residual=True))
    by_spec = F.loss_and_grad(spec, params, X, y)
    by_keywords = F.loss_and_grad("lstm", params, X, y, residual=True)
    assert by_spec[0] == by_keywords[0]
    for key in params:
        np.testing.assert_array_equal(by_spec[1][key], by_keywords[1][key])
    with pytest.raises(ValueError, match="either as a NetworkSpec or as keywords"):
        F.forward(spec, params, X, residual=True)
    with pytest.raises(ValueError, match="params do not match the network spec"):
        F.forward(spec.replace(hidden_sizes=(3, 4), residual=False), params, X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimators_expose_their_fitted_spec():
    X, y = np.random.default_rng(0).standard_normal((20, 4)), np.zeros(20)
    model = LSTMRegressor(hidden_size=(3, 2), residual=True, peephole=True, max_iter=1,
                          random_state=0, scaling=None)
    assert not hasattr(model, "network_spec_")
    model.fit(X, y)
    assert model.network_spec_ == NetworkSpec("lstm", 1, (3, 2), peephole=True, residual=True)
    np.testing.assert_array_equal(
        F.predict(model.network_spec_, model.params_, X[:, :, None])[:, 0], model.predict(X))
    gru = GRURegressor(hidden_size=2, reset_after=False, head="sequence", max_iter=1).fit(
        X[:, :, None], X)
    assert (gru.network_spec_.reset_after, gru.network_spec_.head) == (False, "sequence")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_prediction_reads_the_params_structure_once(monkeypatch):
    X, y = np.random.default_rng(0).standard_normal((20, 4)), np.zeros(20)
    model = GRURegressor(hidden_size=2, max_iter=1, random_state=0).fit(X, y)
    reads = []
    read_structure = P.model_spec
    monkeypatch.setattr(P, "model_spec", lambda *a, **k: reads.append(1) or read_structure(*a, **k))
    model.predict(X)
    assert len(reads) == 1  # the fitted spec; F.predict trusts it (check_input=False)
    F.predict(model.network_spec_, model.params_, X[:, :, None])
    assert len(reads) == 3  # checked against the params by default
