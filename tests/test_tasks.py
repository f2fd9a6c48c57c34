"""Synthetic long-dependency tasks and the equal-budget cell comparison."""

import numpy as np
import pytest

from gatedts import functional as F
from gatedts.analysis.tasks import (
    ARCHITECTURES,
    adding_problem,
    architecture_parameters,
    compare_architectures,
    compare_cells,
    hidden_size_for_architecture,
    hidden_size_for_budget,
    n_parameters,
    recall_task,
)


def test_adding_problem_targets():
    X, y = adding_problem(50, 12, random_state=0)
    assert X.shape == (50, 12, 2) and y.shape == (50,)
    assert np.all(X[:, :, 1].sum(axis=1) == 2)
    assert np.all(X[:, :6, 1].sum(axis=1) == 1)  # one marker per half
    np.testing.assert_allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1))


def test_recall_task_targets():
    X, y = recall_task(30, 9, random_state=1)
    assert X.shape == (30, 10, 2)
    np.testing.assert_array_equal(y, X[:, 0, 0])
    assert X[:, 0, 1].all() and not X[:, 1:, 1].any()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_budget_matches_parameter_count(cell):
    from gatedts.estimators import GRURegressor, LSTMRegressor, RNNRegressor

    cls = {"rnn": RNNRegressor, "gru": GRURegressor, "lstm": LSTMRegressor}[cell]
    hidden = hidden_size_for_budget(cell, 2000, 2)
    X, y = adding_problem(8, 5, random_state=0)
    model = cls(hidden_size=hidden, max_iter=1).fit(X, y)
    assert sum(v.size for v in model.params_.values()) == n_parameters(cell, 2, hidden)
    assert abs(n_parameters(cell, 2, hidden) - 2000) <= n_parameters(cell, 2, hidden + 1) - \
        n_parameters(cell, 2, hidden)


def test_compare_cells_table(capsys):
    table = compare_cells("recall", lengths=(3,), budget=200, n_train=64, n_test=32,
                          max_iter=2, random_state=0, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:4] for line in lines] == [
        ["recall", "length", "3", cell] for cell in ("rnn:", "gru:", "lstm:")]
    assert all(" R² " in line and line.endswith(" s)") for line in lines)
    assert list(table["cell"]) == ["rnn", "gru", "lstm"]
    assert set(table.columns) >= {"length", "hidden_size", "parameters", "test_r2", "solved"}
    assert table["parameters"].between(150, 250).all()
    with pytest.raises(ValueError, match="unknown task 'copy'"):
        compare_cells("copy")
    with pytest.raises(ValueError, match="lag must be at least 1"):
        recall_task(3, 0)
    with pytest.raises(ValueError, match="length must be at least 2, got 1"):
        adding_problem(3, 1)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_architecture_parameters_count_the_init_params(cell):
    for architecture, options in ARCHITECTURES.items():
        for H in (1, 4, 9):
            params = F.init_params(cell, 2, H, **options)
            assert architecture_parameters(cell, architecture, H, 2) == sum(
                v.size for v in params.values()), (architecture, H)
        H = hidden_size_for_architecture(cell, architecture, 2000, 2)
        gap = abs(architecture_parameters(cell, architecture, H, 2) - 2000)
        assert gap <= architecture_parameters(cell, architecture, H + 1, 2) - \
            architecture_parameters(cell, architecture, H, 2)
    with pytest.raises(ValueError, match="unknown architecture 'deep'"):
        architecture_parameters(cell, "deep", 3, 2)


def test_compare_architectures_table(capsys):
    table = compare_architectures("recall", lengths=(3,), budget=200, n_train=64, n_test=32,
                                  max_iter=2, random_state=0, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[4].rstrip(":") for line in lines] == list(ARCHITECTURES)
    assert list(table["architecture"]) == list(ARCHITECTURES)
    assert table["parameters"].between(150, 250).all()
    assert set(table.columns) >= {"length", "hidden_size", "test_r2", "solved"}
    with pytest.raises(ValueError, match="unknown task 'copy'"):
        compare_architectures("copy")
