"""gatedts: GRU, LSTM and RNN forecasters in Numba."""

__version__ = "0.1.0"

from .estimators import GRURegressor, LSTMRegressor, RNNRegressor
from .persistence import load, save

__all__ = ["GRURegressor", "LSTMRegressor", "RNNRegressor", "load", "save"]
