"""Forecasting series: the Forecaster and everything around the network.

``forecaster`` (the :class:`Forecaster`), its stages ``transforms``,
``windows``, ``ensemble`` (the networks and their defaults) and ``conformal``
(intervals), put together in ``pipeline``; ``preprocessing``, ``seasonality``,
``backtesting``, ``baselines``, ``metrics``, ``panel`` (many series),
``parallel`` (joblib/Dask) and ``plotting`` (forecast and backtest plots).
May import the estimators, ``gatedts.nn``, numpy, pandas, scipy,
scikit-learn and joblib, and on use only matplotlib (plots) and tqdm
(progress bars); never ``analysis`` or ``cli``.
"""

from .backtesting import BacktestResult, backtest
from .forecaster import Forecaster, default_estimator

__all__ = ["BacktestResult", "Forecaster", "backtest", "default_estimator"]
