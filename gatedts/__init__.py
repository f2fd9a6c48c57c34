"""gatedts: GRU, LSTM and RNN forecasters in Numba."""

__version__ = "0.1.0"

from .estimators import GRURegressor, LSTMRegressor, RNNRegressor
from .forecasting import BacktestResult, Forecaster, backtest
from .persistence import load, save

__all__ = [
    "BacktestResult",
    "Forecaster",
    "GRURegressor",
    "LSTMRegressor",
    "RNNRegressor",
    "backtest",
    "load",
    "save",
]
