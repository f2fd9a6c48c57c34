"""gatedts: GRU, LSTM and RNN forecasters in Numba."""

__version__ = "0.1.0"
