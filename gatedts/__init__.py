"""gatedts: GRU, LSTM and RNN forecasters in Numba."""

__version__ = "0.1.0"

from . import _threads  # noqa: F401  (OpenMP spin default, before Numba starts its pool)
from .estimators import GRURegressor, LSTMRegressor, RNNRegressor
from .forecasting import BacktestResult, Forecaster, backtest
from .panel import forecast_many
from .persistence import load, save

__all__ = [
    "BacktestResult",
    "Forecaster",
    "GRURegressor",
    "LSTMRegressor",
    "RNNRegressor",
    "backtest",
    "forecast_many",
    "load",
    "save",
]
