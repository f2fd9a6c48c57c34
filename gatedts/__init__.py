"""gatedts: GRU, LSTM and RNN forecasters in Numba.

The package is layered; each folder's docstring says what it may import:

* ``gatedts.nn``: the numerical core (parameters, Numba kernels in ``nn/cpu``
  and ``nn/cuda``, exact BPTT, optimizers);
* ``gatedts.estimators``: the scikit-learn regressors on top of it;
* ``gatedts.forecasting``: the Forecaster, windows, transforms, intervals,
  backtests, metrics and panels of many series;
* ``gatedts.analysis``: gate diagnostics, cell comparisons, plots;
* ``gatedts.integrations``: adapters to other frameworks (sktime), imported
  only on demand, with their framework;
* ``gatedts.synthetic``, ``gatedts.pretrained``, ``gatedts.pretrain``: the
  simulator of series, the GRU pretrained on it that forecasts zero-shot, and
  its pretraining command;
* ``gatedts.cli``, ``gatedts.datasets``, ``gatedts.persistence``.
"""

from . import _moved
from ._version import __version__
from .estimators import GRURegressor, LSTMRegressor, RNNRegressor
from .forecasting import BacktestResult, Forecaster, backtest
from .forecasting.panel import forecast_many
from .nn import functional
from .persistence import ModelFileError, load, save
from .reading import read_series

_moved.install()

__all__ = [
    "BacktestResult",
    "Forecaster",
    "GRURegressor",
    "LSTMRegressor",
    "ModelFileError",
    "RNNRegressor",
    "__version__",
    "backtest",
    "forecast_many",
    "functional",
    "load",
    "read_series",
    "save",
]


def __getattr__(name):
    if name in _moved.MOVED:  # gatedts.windows, gatedts.metrics, ... of gatedts 0.1
        return _moved.load(name)
    raise AttributeError(f"module 'gatedts' has no attribute {name!r}")
