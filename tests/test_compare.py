"""Equal-budget comparison of the cells on a series, and ``gatedts compare``."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from gatedts import Forecaster
from gatedts.analysis.compare import (
    VARIANTS,
    SizedNetwork,
    compare_cells_on_series,
    comparison_figure,
    default_budget,
    describe_comparison,
    format_comparison,
    gate_frame,
    network,
    network_size,
    training_windows,
    window_gates,
)
from gatedts.cli import main
from gatedts.datasets import load_airline
from gatedts.forecasting.baselines import SeasonalNaive
from gatedts.forecasting.metrics import smape
from gatedts.nn.cells import n_gates
from gatedts.nn.params import n_parameters

TINY = {"seeds": 2, "max_iter": 2, "n_origins": 2, "budget": 400}


@pytest.fixture(scope="module")
def airline():
    return load_airline()


@pytest.fixture(scope="module")
def compared(airline):
    return compare_cells_on_series(airline, return_runs=True, **TINY)


def test_table_structure(compared):
    table, runs = compared
    assert list(table.index[:3]) == ["RNN", "GRU", "LSTM"]
    assert table.index[3] == "seasonal naive (m=12)" and len(table) == 4
    assert table.index.name == "model"
    assert list(table.columns) == ["hidden_size", "parameters", "seconds_per_epoch", "epochs",
                                   "MASE", "MASE_sd", "sMAPE", "sMAPE_sd"]
    models = table.iloc[:3]
    assert (models["seconds_per_epoch"] > 0).all() and (models["epochs"] == 2).all()
    assert models[["MASE", "MASE_sd", "sMAPE", "sMAPE_sd"]].notna().all().all()
    assert table.iloc[3][["hidden_size", "parameters", "epochs", "MASE_sd"]].isna().all()
    assert len(runs) == 6 and list(runs["seed"]) == [0, 1] * 3
    a = table.attrs
    assert a["horizon"] == 12 and a["n_origins"] == 2 and a["initial"] == 144 - 24
    assert a["last_origin"] == 132 and a["seeds"] == [0, 1] and a["budget"] == 400
    # mean ± sd over seeds is what the table reports
    mase = runs.groupby("cell")["MASE"]
    assert table.loc["GRU", "MASE"] == pytest.approx(mase.mean()["gru"])
    assert table.loc["GRU", "MASE_sd"] == pytest.approx(mase.std()["gru"])


def test_parameter_budgets_match(compared):
    table, _ = compared
    budget, horizon = table.attrs["budget"], table.attrs["horizon"]
    for cell in ("rnn", "gru", "lstm"):
        H = int(table.loc[cell.upper(), "hidden_size"])
        counted = n_parameters(cell, 1, H, horizon)
        assert table.loc[cell.upper(), "parameters"] == counted  # from the fitted networks
        # closest hidden size: one unit more or fewer would be further from the budget
        for other in (H - 1, H + 1):
            assert abs(counted - budget) <= abs(n_parameters(cell, 1, other, horizon) - budget)
        step = n_parameters(cell, 1, H + 1, horizon) - counted
        assert abs(counted - budget) <= step / 2 + n_gates(cell)
    assert default_budget(12) == n_parameters("gru", 1, 32, 12) == 3756


def test_deterministic_for_fixed_seeds(airline, compared):
    table, _ = compared
    again = compare_cells_on_series(airline, **TINY)
    scores = ["hidden_size", "parameters", "epochs", "MASE", "MASE_sd", "sMAPE", "sMAPE_sd"]
    pd.testing.assert_frame_equal(table[scores], again[scores])
    other = compare_cells_on_series(airline, **{**TINY, "seeds": [5, 6]})
    assert not np.allclose(other["MASE"].iloc[:3], table["MASE"].iloc[:3])


def test_seasonal_naive_row(airline, compared):
    table, _ = compared
    values = airline.to_numpy()
    mases, actual, naive = [], [], []
    for origin in (120, 132):
        forecast = SeasonalNaive(12).fit(values[:origin]).predict(12)
        scale = np.mean(np.abs(values[12:origin] - values[: origin - 12]))
        mases.append(np.mean(np.abs(values[origin: origin + 12] - forecast)) / scale)
        actual.append(values[origin: origin + 12])
        naive.append(forecast)
    row = table.loc["seasonal naive (m=12)"]
    assert row["MASE"] == pytest.approx(np.mean(mases))
    assert row["sMAPE"] == pytest.approx(smape(np.concatenate(actual), np.concatenate(naive)))
    assert pd.isna(row["sMAPE_sd"])


def test_format_and_describe(compared):
    table, _ = compared
    text = format_comparison(table)
    assert text.count("±") == 6  # MASE and sMAPE of three cells
    assert "seasonal naive (m=12)" in text and "ms/epoch" in text
    assert "2 origin(s) x 12 steps" in describe_comparison(table)
    one = compare_cells_on_series(load_airline(), cells=["gru"], **{**TINY, "seeds": 1})
    assert "±" not in format_comparison(one) and list(one.index[:1]) == ["GRU"]
    failed = table.copy()
    failed.loc["GRU", ["MASE", "MASE_sd"]] = np.nan  # no score: shown as "-"
    row = next(line for line in format_comparison(failed).splitlines()
               if line.startswith("GRU"))
    assert row.split()[-4] == "-" and row.count("±") == 1  # sMAPE ± sd is still shown


def test_fast_defaults_and_arguments(airline):
    table = compare_cells_on_series(airline.iloc[:60], fast=True, cells=("gru",))
    a = table.attrs
    assert a["seeds"] == [0] and a["max_iter"] == 3 and a["n_origins"] == 1
    assert a["budget"] == default_budget(12, 4)
    with pytest.raises(ValueError, match="too small: a 1-unit LSTM"):
        compare_cells_on_series(airline, budget=30, fast=True)
    with pytest.raises(ValueError, match="unknown cell"):
        compare_cells_on_series(airline, cells=["gru", "tcn"], fast=True)
    with pytest.raises(ValueError, match="too few for 20 origin"):
        compare_cells_on_series(airline, n_origins=20, fast=True)
    with pytest.raises(ValueError, match="seeds"):
        compare_cells_on_series(airline, seeds=0, fast=True)
    with pytest.raises(ValueError, match="seeds must be a positive integer or a non-empty list"):
        compare_cells_on_series(airline, seeds=[], fast=True)
    with pytest.raises(ValueError, match=r"cells are repeated: \['gru', 'gru'\]"):
        compare_cells_on_series(airline, cells=["gru", "gru"], fast=True)
    given = compare_cells_on_series(airline.iloc[:60], fast=True, cells=("gru",), initial=40)
    assert given.attrs["initial"] == 40 and given.attrs["n_origins"] == 1
    assert given.attrs["last_origin"] == 40


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_variants_share_the_budget(airline):
    variants = ("plain", "bidirectional", "residual", "attention", "decoder")
    table, runs = compare_cells_on_series(airline.iloc[:72], cells=("gru",), variants=variants,
                                          return_runs=True, **{**TINY, "seeds": 1})
    labels = ["GRU", "GRU bidirectional", "GRU residual", "GRU attention", "GRU decoder"]
    assert list(table.index[:5]) == labels and table.index[5].startswith("seasonal naive")
    assert list(runs["variant"]) == list(variants)
    budget, horizon = table.attrs["budget"], table.attrs["horizon"]
    for label, variant in zip(labels, variants, strict=True):
        H = int(table.loc[label, "hidden_size"])
        counted = network_size("gru", H, horizon, VARIANTS[variant])
        assert table.loc[label, "parameters"] == counted  # the fitted network's own count
        for other in (H - 1, H + 1):  # the closest hidden size to the budget
            assert abs(counted - budget) <= abs(
                network_size("gru", other, horizon, VARIANTS[variant]) - budget)
    # a bidirectional layer has twice the weights, so fewer units for the same budget
    assert table.loc["GRU bidirectional", "hidden_size"] < table.loc["GRU", "hidden_size"]
    assert network_size("gru", 5, 12) == n_parameters("gru", 1, 5, 12)
    with pytest.raises(ValueError, match=r"unknown variant.*'deep'.*choose from plain"):
        compare_cells_on_series(airline, variants=["deep"], fast=True)
    with pytest.raises(ValueError, match="variants are repeated"):
        compare_cells_on_series(airline, variants=["plain", "plain"], fast=True)
    pytest.importorskip("matplotlib")
    fig = comparison_figure(airline.iloc[:72], table)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [t.split(" (")[0] for t in legend[1:6]] == labels


def test_sized_network_inside_a_forecaster(airline):
    fits = []
    model = SizedNetwork("lstm", 3, max_iter=2, random_state=0, record=fits.append)
    copy = clone(model)
    assert copy.record is model.record  # shared, so fits inside backtests are seen
    f = Forecaster(model, horizon=6, random_state=0).fit(airline.iloc[:-6])
    assert len(fits) == 1 and fits[0].n_iter_ == 2
    net = network(f)
    assert net.hidden_size == 3 and net.alpha_ == pytest.approx(4 / f.n_windows_)
    assert fits[0].n_parameters_ == n_parameters("lstm", 1, 3, 6)
    X, Y = training_windows(f)
    assert X.shape == (f.n_windows_, f.window_, 1) and Y.shape == (f.n_windows_, 6)
    np.testing.assert_allclose(net.predict(X[-1:]), f.estimator_.predict(X[-1:]))
    gates = window_gates(f, steps=12)
    assert len(gates) == 12 and gates.index[-1] == airline.index[-7]
    forget = gate_frame(gates, "f")
    assert forget.shape == (12, 3) and ((forget > 0) & (forget < 1)).all().all()
    with pytest.raises(KeyError, match="no gate 'z'"):
        gate_frame(gates, "z")
    with pytest.raises(TypeError, match="not a GRU"):
        from sklearn.linear_model import Ridge

        network(Forecaster(Ridge(), horizon=6).fit(airline))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_window_gates_read_the_window_the_network_forecasts_from():
    from gatedts import GRURegressor
    from gatedts.analysis.diagnostics import gate_traces
    from gatedts.datasets import load_sunspots

    y = load_sunspots().iloc[-80:]  # yearly: the local level is on
    f = Forecaster(GRURegressor(hidden_size=2, max_iter=1, random_state=0), horizon=2).fit(y)
    X = f.network_input()
    assert f.local_level_ and X.shape == (1, f.window_, 1) and X[0, -1, 0] == 0.0
    expected = gate_traces(network(f), X, sample=0, index=y.index[-f.window_:])
    pd.testing.assert_frame_equal(window_gates(f), expected)
    # The network forecasts from exactly that window.
    pred = f.windowing_.restore(network(f).predict(X), f.target_transform_.transform(
        f.y_, None)[0][-1:, None])
    np.testing.assert_array_equal(f.target_transform_.inverse(pred, f.y_), f.predict())


def test_window_gates_with_exog(airline):
    from gatedts import GRURegressor

    y = airline.iloc[:48]
    x = pd.DataFrame({"promo": np.sin(np.arange(48.0))}, index=y.index)
    past = Forecaster(GRURegressor(hidden_size=2, max_iter=1, random_state=0), window=6,
                      horizon=3).fit(y, exog=x)
    assert network(past).params_["weight_ih_l0"].shape[1] == 2  # the target and promo
    gates = window_gates(past)
    assert gates.shape == (6, 8) and list(gates.index) == list(y.index[-6:])  # GRU r z n h
    future = Forecaster(GRURegressor(hidden_size=2, max_iter=1, random_state=0), window=6,
                        horizon=3, future_exog=["promo"]).fit(y, exog=x)
    with pytest.raises(ValueError, match="window_gates does not support future-known exog"):
        window_gates(future)


# ---------------------------------------------------------------- command line


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, pattern):
    assert code == 1 and "Traceback" not in err
    errors = [line for line in err.strip().splitlines() if "error:" in line]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    assert errors[0].startswith("gatedts compare: error:") and pattern in errors[0]


def test_cli_compare_tiny_budget(capsys):
    code, out, err = run(["compare", "--dataset", "airline", "--fast", "--seeds", 2,
                          "--max-iter", 2, "--budget", 200], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert "budget 200 parameters" in lines[0] and "2 seeds" in lines[0]
    assert lines[1].split()[:3] == ["hidden", "params", "ms/epoch"]
    assert [line.split()[0] for line in lines[3:7]] == ["RNN", "GRU", "LSTM", "seasonal"]
    assert "GRU seed 1: MASE" in err  # progress on stderr


def test_cli_compare_variants(capsys):
    code, out, err = run(["compare", "--dataset", "airline", "--fast", "--cells", "rnn",
                          "--variants", "plain,Bidirectional", "-q"], capsys)
    assert code == 0, err
    models = [line[:22].strip() for line in out.splitlines()[3:6]]
    assert models == ["RNN", "RNN bidirectional", "seasonal naive (m=12)"]


def test_cli_compare_csv_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    t = np.arange(72)
    pd.DataFrame({"date": pd.date_range("2015-01-01", periods=72, freq="MS"),
                  "units": 50 + t + 8 * np.sin(2 * np.pi * t / 12)}).to_csv(
        tmp_path / "sales.csv", index=False)
    png = tmp_path / "cells.png"
    code, out, err = run(["compare", tmp_path / "sales.csv", "--fast", "--horizon", 6,
                          "--cells", "gru,lstm", "--plot", png, "-q"], capsys)
    assert code == 0, err
    assert err == "" and "units: 72 observations" in out and "RNN" not in out
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(("argv", "pattern"), [
    (["--dataset", "nope"], "unknown dataset 'nope'"),
    (["--dataset", "airline", "--column", "sales"], "has no column 'sales'"),
    (["--budget", 20], "too small"),
    (["--cells", "gru,tcn"], "unknown cell(s) 'tcn'"),
    (["--variants", "deep"], "unknown variant(s) 'deep'"),
    (["--horizon", 0], "horizon"),
    (["--plot", "out.txt"], "--plot must end in"),
])
def test_cli_compare_errors(argv, pattern, capsys):
    code, _, err = run(["compare", "--fast", *argv], capsys)
    assert_one_line_error(code, err, pattern)


def test_cli_compare_subprocess_no_traceback():
    done = subprocess.run([sys.executable, "-m", "gatedts", "compare", "--dataset", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        done.stderr.strip().splitlines()[0]] and "unknown dataset" in done.stderr


def test_gate_heatmap_and_gradient_reach_plots():
    pytest.importorskip("matplotlib")
    from gatedts.analysis.plotting import plot_gate_heatmap, plot_gradient_reach

    index = pd.date_range("1959-01-01", periods=12, freq="MS")
    gate = pd.DataFrame(np.linspace(0.1, 0.9, 36).reshape(12, 3), index=index)
    ax = plot_gate_heatmap(gate, title="z")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Jan\n1959" and labels[5] == "Jun"
    assert ax.images[0].get_array().shape == (3, 12)  # units down, months across
    with pytest.raises(ValueError, match="2-D"):
        plot_gate_heatmap(np.zeros((2, 3, 4)))
    steps = np.arange(5)
    reach = {name: pd.DataFrame({"steps_to_end": steps[::-1], "layer_0": scale ** steps})
             for name, scale in (("RNN", 2.0), ("GRU", 0.5))}
    ax = plot_gradient_reach(reach)
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 2.0 ** (steps - 4))


@pytest.mark.parametrize(("index", "first", "second"), [
    (pd.period_range("1959-01", periods=4, freq="M"), "Jan\n1959", "Feb"),
    (pd.date_range("2001", periods=4, freq="YS"), "2001", "2002"),
    (pd.DatetimeIndex(["2001-01-01", "2002-01-01", "2003-01-01", "2004-01-01"]), "2001", "2002"),
    (pd.date_range("2020-03-30", periods=4, freq="D"), "2020-03-30", "2020-03-31"),
    (pd.RangeIndex(10, 14), "10", "11"),
])
def test_gate_heatmap_time_labels(index, first, second):
    pytest.importorskip("matplotlib")
    from gatedts.analysis.plotting import plot_gate_heatmap

    ax = plot_gate_heatmap(pd.DataFrame(np.full((4, 2), 0.5), index=index), colorbar=False)
    assert [t.get_text() for t in ax.get_xticklabels()[:2]] == [first, second]


def test_save_figure(tmp_path):
    pytest.importorskip("matplotlib")
    from gatedts.analysis.plotting import plot_gate_heatmap, save_figure

    ax = plot_gate_heatmap(np.full((4, 2), 0.5))
    assert save_figure(ax, tmp_path / "gate.png") == tmp_path / "gate.png"
    assert (tmp_path / "gate.png").read_bytes()[:4] == b"\x89PNG"
    save_figure(ax.figure, tmp_path / "gate.svg", dpi=50)  # a Figure works too
    assert (tmp_path / "gate.svg").read_text().lstrip().startswith("<?xml")
