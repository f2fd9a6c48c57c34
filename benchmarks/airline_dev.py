"""Airline: choose the default networks on dev origins, then report the 1960 test.

Each candidate is a variation of :func:`gatedts.forecasting.default_estimator`
(or of the Forecaster's options), scored by the MAPE of 12-month forecasts from
13 origins whose targets all end by December 1959. The 1960 hold-out (the
issue's accuracy target) is printed with ``--test`` but is never used to
choose. Example::

    python benchmarks/airline_dev.py --cells gru,lstm --candidates current,h16 --test
"""

import argparse
import time
import warnings
from unittest import mock

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from gatedts import Forecaster, GRURegressor, LSTMRegressor, RNNRegressor
from gatedts.datasets import load_airline
from gatedts.forecasting import ensemble as forecasting
from gatedts.forecasting.baselines import SeasonalNaive
from gatedts.forecasting.metrics import mape, mase, smape

HORIZON = 12
# Last training month of each dev origin; its 12 targets all end by December 1959.
DEV_ENDS = tuple(str(p) for p in pd.period_range("1955-12", "1958-12", freq="3M"))
TEST_END = "1959-12"  # the hold-out: the 12 months of 1960
CELLS = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}


def baseline(cell, n_windows, *, random_state=None, verbose=0, **overrides):
    """The defaults before this study (gatedts 51d8bb0): 32 units, alpha = 4 / n.

    Pinned where the estimators' own defaults have changed since: no scaling
    inside (the Forecaster standardises its windows) and the LSTM's forget-gate
    bias at 1.
    """
    kwargs = dict(hidden_size=32, alpha=4.0 / n_windows, learning_rate_init=1e-3,
                  batch_size=int(np.clip(n_windows // 32, 32, 256)),
                  max_iter=int(np.clip(round(100_000 / n_windows), 5, 300)), clip_norm=1.0,
                  scaling=None, random_state=random_state, verbose=verbose,
                  **({"forget_bias": 1.0} if cell == "lstm" else {}))
    kwargs.update(overrides)
    return CELLS[cell](**kwargs)


def variant(**overrides):
    """A candidate: the baseline with some arguments changed (callables get n_windows, cell)."""
    def build(cell, n_windows, *, random_state=None, verbose=0):
        kw = {k: (v(n_windows, cell) if callable(v) else v) for k, v in overrides.items()}
        kw = {k: v for k, v in kw.items() if v is not None}  # None: not for this cell
        return baseline(cell, n_windows, random_state=random_state, verbose=verbose, **kw)
    return build


class Ensemble(RegressorMixin, BaseEstimator):
    """Average of the networks built with seeds drawn from ``random_state``."""

    def __init__(self, build=None, n_models=5, random_state=None):
        self.build = build
        self.n_models = n_models
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

    def fit(self, X, y):
        rng = np.random.RandomState(self.random_state)
        self.estimators_ = [self.build(int(rng.randint(2**31))).fit(X, y)
                            for _ in range(self.n_models)]
        return self

    def predict(self, X):
        return np.mean([e.predict(X) for e in self.estimators_], axis=0)


def ensemble(n_models, inner=None):
    inner = inner or baseline
    def build(cell, n_windows, *, random_state=None, verbose=0):
        return Ensemble(lambda seed: inner(cell, n_windows, random_state=seed),
                        n_models, random_state)
    return build


def per_cell(**builders):
    def build(cell, n_windows, *, random_state=None, verbose=0):
        return builders[cell](cell, n_windows, random_state=random_state, verbose=verbose)
    return build


CANDIDATES = {
    "current": None,  # whatever gatedts.forecasting.default_estimator is now
    "baseline": baseline,
    "prior x0.25": variant(alpha=lambda n, c: 1.0 / n),
    "prior x0.5": variant(alpha=lambda n, c: 2.0 / n),
    "prior x2": variant(alpha=lambda n, c: 8.0 / n),
    "prior x4": variant(alpha=lambda n, c: 16.0 / n),
    "prior x8": variant(alpha=lambda n, c: 32.0 / n),
    "lstm h28": variant(hidden_size=lambda n, c: 28 if c == "lstm" else 32),
    "h16": variant(hidden_size=16),
    "lr 3e-4": variant(learning_rate_init=3e-4),
    "peephole": variant(peephole=lambda n, c: True if c == "lstm" else None),
    **{f"forget bias {b:g}": variant(forget_bias=lambda n, c, b=b: b if c == "lstm" else None)
       for b in (-1.0, -0.5, 0.0, 0.5, 1.0)},
    "early stopping": variant(early_stopping=True, validation_fraction=0.2,
                              n_iter_no_change=20),
    "ensemble 5": ensemble(5),
    "h8": variant(hidden_size=8),
    "huber": variant(loss="huber"),
    "tol 0": variant(tol=0.0),
    "150 epochs": variant(max_iter=lambda n, c: int(np.clip(round(50_000 / n), 5, 150))),
    "batch 16": variant(batch_size=16),
    "recursive": (None, {"strategy": "recursive"}),
    "window 12": (None, {"window": 12}),
    "window 36": (None, {"window": 36}),
}


def split(y, end):
    end = pd.Timestamp(end)
    train = y[y.index <= end]
    test = y[y.index > end].iloc[:HORIZON]
    return train, test


def fit_predict(cell, train, seed, builder):
    builder, options = builder if isinstance(builder, tuple) else (builder, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        if builder is None:
            f = Forecaster(cell, horizon=HORIZON, random_state=seed, **options).fit(train)
        else:
            with mock.patch.object(forecasting, "default_estimator", builder):
                f = Forecaster(cell, horizon=HORIZON, random_state=seed, **options).fit(train)
        pred = f.predict().to_numpy()
    return pred, time.perf_counter() - start


def run(y, ends, cells, seeds, builder):
    rows = []
    for end in ends:
        train, test = split(y, end)
        for cell in cells:
            for seed in seeds:
                pred, seconds = fit_predict(cell, train, seed, builder)
                rows.append({"origin": end, "model": cell.upper(), "seed": seed,
                             "MAPE": mape(test, pred), "sMAPE": smape(test, pred),
                             "MASE": mase(test, pred, train, 12), "fit_s": seconds})
    return pd.DataFrame(rows)


def references(y, ends):
    rows = []
    for end in ends:
        train, test = split(y, end)
        pred = SeasonalNaive(12).fit(train).predict(HORIZON).to_numpy()
        rows.append({"origin": end, "model": "seasonal naive", "seed": 0,
                     "MAPE": mape(test, pred), "sMAPE": smape(test, pred),
                     "MASE": mase(test, pred, train, 12), "fit_s": 0.0})
        try:
            from statsmodels.tsa.statespace.sarimax import SARIMAX
        except ImportError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = SARIMAX(np.log(train.to_numpy()), order=(0, 1, 1),
                          seasonal_order=(0, 1, 1, 12)).fit(disp=False)
        pred = np.exp(res.forecast(HORIZON))
        rows.append({"origin": end, "model": "log-SARIMA", "seed": 0,
                     "MAPE": mape(test, pred), "sMAPE": smape(test, pred),
                     "MASE": mase(test, pred, train, 12), "fit_s": 0.0})
    return pd.DataFrame(rows)


def summary(frame):
    per_seed = frame.groupby(["model", "seed"], sort=False)[["MAPE", "sMAPE", "MASE", "fit_s"]]
    per_seed = per_seed.mean().reset_index()
    out = per_seed.groupby("model", sort=False).agg(
        MAPE=("MAPE", "mean"), MAPE_sd=("MAPE", "std"), sMAPE=("sMAPE", "mean"),
        MASE=("MASE", "mean"), fit_s=("fit_s", "mean"))
    return out.fillna(0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", default="current",
                        help=f"comma-separated subset of {', '.join(CANDIDATES)}")
    parser.add_argument("--cells", default="gru,lstm")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--test", action="store_true",
                        help="also report the 1960 test (never used to choose)")
    parser.add_argument("--per-origin", action="store_true")
    parser.add_argument("--references", action="store_true")
    args = parser.parse_args()
    y = load_airline()
    cells = [c.strip() for c in args.cells.split(",")]
    seeds = range(args.seeds)
    if args.references:
        ref = references(y, DEV_ENDS)
        print("== references, dev")
        print(ref.pivot(index="origin", columns="model", values="MAPE").round(2).to_string())
        print(summary(ref).round(2).to_string(), "\n")
        print("== references, test")
        print(summary(references(y, [TEST_END])).round(2).to_string(), "\n")
    for name in args.candidates.split(","):
        builder = CANDIDATES[name]
        start = time.perf_counter()
        dev = run(y, DEV_ENDS, cells, seeds, builder)
        print(f"== {name}: dev ({len(DEV_ENDS)} origins x {args.seeds} seeds, "
              f"{time.perf_counter() - start:.0f} s)")
        if args.per_origin:
            print(dev.pivot_table(index="origin", columns="model", values="MAPE").round(2)
                  .to_string())
        print(summary(dev).round(2).to_string(), flush=True)
        if args.test:
            test = run(y, [TEST_END], cells, seeds, builder)
            print(f"-- {name}: test 1960")
            print(summary(test).round(2).to_string())
        print(flush=True)


if __name__ == "__main__":
    main()
