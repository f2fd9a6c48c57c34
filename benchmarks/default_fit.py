"""Seconds for a default fit and forecast of a monthly series of 200 observations.

Issue 25's budget: the default ``Forecaster`` fit within 2 s for such a series.
Every model is warmed up first (one fit, so Numba compilation is not counted),
then fitted ``--repeats`` times; the table gives the median and the fastest
fit, the point forecast, and a forecast with 90% intervals (which fits the
calibration copies)::

    python benchmarks/default_fit.py                  # gru, lstm, auto, pretrained
    python benchmarks/default_fit.py --models gru --repeats 9

Run it on an idle machine: it measures wall time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from gatedts import Forecaster


def monthly_series(n: int = 200, seed: int = 0) -> pd.Series:
    """A trending, seasonal monthly series with AR(1) noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.6 * noise[i - 1] + rng.normal()
    values = 100 + 0.3 * t + 10 * np.sin(2 * np.pi * t / 12) + 3 * noise
    return pd.Series(values, index=pd.date_range("2000-01", periods=n, freq="MS"))


def seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gru,lstm,auto,pretrained")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--horizon", type=int, default=18)
    args = parser.parse_args(argv)
    y = monthly_series()
    rows = []
    warnings.simplefilter("ignore")
    for model in args.models.split(","):
        def fit(model=model):
            return Forecaster(model, horizon=args.horizon, random_state=0).fit(y)
        fit().predict_interval()  # warm-up: compiles the kernels
        fits, points, intervals = [], [], []
        for _ in range(args.repeats):
            holder = {}
            fits.append(seconds(lambda holder=holder: holder.setdefault("f", fit())))
            forecaster = holder["f"]
            points.append(seconds(forecaster.predict))
            intervals.append(seconds(forecaster.predict_interval))
        rows.append({"model": model, "fit s (median)": statistics.median(fits),
                     "fit s (min)": min(fits), "predict ms": 1000 * statistics.median(points),
                     "predict_interval s": statistics.median(intervals)})
    print(f"monthly series of {len(y)} observations, horizon {args.horizon}, "
          f"{args.repeats} repeats; {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
