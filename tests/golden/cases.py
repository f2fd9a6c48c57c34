"""The forecasts pinned by the golden tests: three bundled series, one with exogenous
columns, and "auto": its seven members combined."""

from gatedts import Forecaster
from gatedts.datasets import load_airline, load_seattle_weather, load_sunspots


def _airline():
    y = load_airline()
    return Forecaster(horizon=6, random_state=0), (y.iloc[:-6],), {}, 0.9


def _sunspots():  # yearly: the local level is on
    y = load_sunspots().iloc[-120:]
    return Forecaster("lstm", horizon=4, random_state=1), (y,), {}, 0.8


def _weather():  # exogenous columns, one of them known in advance
    frame = load_seattle_weather().iloc[-220:]
    y, exog = frame["temp_max"], frame[["precipitation", "wind"]]
    forecaster = Forecaster(horizon=7, future_exog=["wind"], random_state=0)
    fit_args = (y.iloc[:-7], exog.iloc[:-7])
    return forecaster, fit_args, {"exog_future": exog.iloc[-7:][["wind"]]}, 0.9


def _auto():  # a GRU, an LSTM and five other members, weighted
    y = load_airline().iloc[:-24]
    return Forecaster("auto", horizon=12, random_state=0), (y,), {}, 0.9


CASES = {"airline": _airline, "sunspots": _sunspots, "weather": _weather, "auto": _auto}
#: Cases whose last bits also depend on numpy's BLAS (the linear member's solve and the
#: weighted sum of "auto") and on scipy's L-BFGS-B (the damped-trend member's fit), which
#: change between releases (the declared floors differ by 1.4e-8 relative): compared to
#: 1e-6 relative on the CPU kind that wrote them, not bit for bit.
LIBRARY_DEPENDENT = {"auto"}


def run_case(name):
    """Fit case ``name``; returns the forecaster and its forecast and interval as lists."""
    forecaster, fit_args, predict_kwargs, coverage = CASES[name]()
    forecaster.fit(*fit_args)
    forecast = forecaster.predict(**predict_kwargs)
    interval = forecaster.predict_interval(coverage=coverage, **predict_kwargs)
    return forecaster, {
        "index": [str(t) for t in forecast.index],
        "forecast": [float(v) for v in forecast.to_numpy()],
        "lower": [float(v) for v in interval["lower"].to_numpy()],
        "upper": [float(v) for v in interval["upper"].to_numpy()],
    }


def cpu_kind():
    """The CPU LLVM compiles for ("znver5", "rocketlake", ...): Numba's code and the BLAS
    kernels that numpy picks, hence the last bits of a trained network, depend on it."""
    import llvmlite.binding

    return llvmlite.binding.get_host_cpu_name()
