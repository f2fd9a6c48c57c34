"""The gatedts Forecaster as a native sktime forecaster: :class:`GatedtsForecaster`.

Importing this module imports sktime (``pip install 'gatedts[sktime]'``);
``import gatedts`` never does.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..forecasting import Forecaster
from ..forecasting.forecaster import regular_index

try:
    from sktime.forecasting.base import BaseForecaster, ForecastingHorizon
except ImportError as exc:  # pragma: no cover - the tests of this module need sktime
    raise ImportError("gatedts.integrations.sktime needs sktime: "
                      "pip install 'gatedts[sktime]'") from exc

__all__ = ["GatedtsForecaster"]


class GatedtsForecaster(BaseForecaster):
    """A gatedts :class:`~gatedts.Forecaster` (GRU, LSTM, RNN or any regressor) in sktime.

    ``fit(y, X, fh)`` fits a clone of ``forecaster`` whose ``horizon`` is the
    last step of ``fh``, so the direct strategy trains one network for exactly
    the steps asked for; ``fh`` is therefore required in ``fit``. Forecasts
    are out of sample only: an ``fh`` with a step at or before the cutoff is
    refused (``NotImplementedError``). ``y`` is univariate; sktime forecasts
    the columns of a multivariate ``y`` (and the series of a panel) one by
    one, each with its own clone.

    Exogenous ``X`` columns are past covariates: the network reads their
    values over its input window, and ``predict`` needs no ``X``. Columns
    listed in the Forecaster's ``future_exog`` are known in advance
    (calendar, planned prices): ``predict`` then needs ``X`` with their
    values at every step from the cutoff to the last step of ``fh``.

    ``update(y, X, update_params=True)`` refits on all the data seen;
    ``update_params=False`` keeps the fitted network and forecasts from the
    extended series, as :func:`gatedts.backtest` does with ``refit=False``.
    The adapter keeps the series seen itself: sktime's ``remember_data``
    config is off (sktime 1.3's default), so ``predict_residuals`` takes its
    ``y`` explicitly.

    Prediction intervals are the Forecaster's split-conformal intervals
    (:meth:`gatedts.Forecaster.predict_interval`), calibrated at ``fit``
    time, per step. ``predict_quantiles`` reads the quantiles ``alpha`` and
    ``1 - alpha`` (``alpha < 0.5``) as the lower and upper ends of the
    interval of coverage ``1 - 2 * alpha``; the median (``alpha = 0.5``) is
    the point forecast. A conformal interval is symmetric about the point
    forecast on the model's scale (the log scale when ``log_``), so these
    quantiles describe the spread, not a skew, of the forecast errors.

    Parameters
    ----------
    forecaster : gatedts.Forecaster or None, default None
        The configuration to fit, unfitted; it is cloned and never changed.
        Its ``horizon`` is replaced by the last step of ``fh``. None means
        ``Forecaster()``: the default GRU, unseeded. Set ``random_state`` (and
        that of a regressor of your own) for reproducible forecasts.

    Attributes
    ----------
    forecaster_ : gatedts.Forecaster
        The fitted clone.

    Examples
    --------
    >>> from gatedts import Forecaster
    >>> from gatedts.integrations.sktime import GatedtsForecaster
    >>> from sktime.datasets import load_airline
    >>> y = load_airline()
    >>> model = GatedtsForecaster(Forecaster("lstm", random_state=0))    # doctest: +SKIP
    >>> model.fit(y, fh=range(1, 13)).predict_interval(coverage=0.9)    # doctest: +SKIP
    """

    _tags: ClassVar[dict] = {
        "authors": "gatedts developers",
        "maintainers": "gatedts developers",
        "python_dependencies": "gatedts",
        "capability:multivariate": False,  # univariate y; sktime loops over columns
        "capability:exogenous": True,
        "capability:categorical_in_X": False,  # the network reads numbers
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:update": True,
        "requires-fh-in-fit": True,  # the horizon sizes the direct strategy's network
        "X-y-must-have-same-index": True,
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
    }
    # The adapter keeps the series it forecasts from itself (``_cur_y``, ``_cur_X``: its
    # own ``_update``), so sktime need not store another copy: sktime 1.3's default,
    # declared now, which also ends sktime 1.2's FutureWarning at every construction.
    _config: ClassVar[dict] = {"remember_data": False}

    def __init__(self, forecaster: Forecaster | None = None) -> None:
        self.forecaster = forecaster
        super().__init__()
        # What BaseForecaster sets up when remember_data is on at construction, so that
        # set_config(remember_data=True) later works as in any sktime forecaster.
        self._y = self._X = None
        # Future-known columns need X over every step up to the last one of fh.
        future = getattr(forecaster, "future_exog", None)
        if future is not None and future is not False:
            self.set_tags(**{"capability:non_contiguous_X": False})
        if not _seeded(forecaster):
            self.set_tags(**{"property:randomness": "stochastic"})

    # ------------------------------------------------------------------ fit

    def _fit(self, y, X, fh):
        """Fit a clone of ``forecaster`` with ``horizon`` = the last step of ``fh``."""
        template = Forecaster() if self.forecaster is None else self.forecaster
        if not isinstance(template, Forecaster):
            raise TypeError(f"forecaster must be a gatedts Forecaster or None, got "
                            f"{type(template).__name__}; wrap a regressor as "
                            "Forecaster(regressor)")
        horizon = int(self._steps(fh).max())
        self._cur_y, self._cur_X = y, None if X is None else _rows(X, y.index)
        self.forecaster_ = clone(template).set_params(horizon=horizon)
        self.forecaster_.fit(self._cur_y, self._cur_X)
        return self

    def _update(self, y, X=None, update_params=True):
        """Add the new observations; refit on all of them if ``update_params``.

        Without a refit the fitted network forecasts from the extended series.
        """
        history = y.combine_first(self._cur_y)
        regular_index(history.index)  # a gap would silently join distant values
        exog = None
        if self._cur_X is not None:
            if X is None:
                raise ValueError("this forecaster was fitted with exogenous X: pass X to "
                                 "update too, with the rows of the new observations")
            exog = _rows(X.combine_first(self._cur_X), history.index)
        self._cur_y, self._cur_X = history, exog
        if update_params:
            self._fit(history, exog, self.fh)
        return self

    # ------------------------------------------------------------ forecasts

    def _steps(self, fh):
        """``fh`` as steps after the cutoff (1: the next time point)."""
        return fh.to_relative(self.cutoff).to_numpy().astype(int)

    def _forecast(self, fh, X, coverage=None):
        """The forecast of every step up to the last of ``fh`` (a Series, or with
        ``coverage`` a frame with its interval), and ``fh``'s steps.

        The Forecaster's own forecasting step, as in ``gatedts.backtest(refit=False)``:
        after an update without refit the history is longer than the series it was
        fitted on, and its network forecasts from the end of that history.
        """
        model = self.forecaster_
        steps = self._steps(fh)
        horizon = int(steps.max())
        history = self._cur_y.to_numpy(dtype=float)
        exog = (None if self._cur_X is None
                else self._cur_X[model.exog_columns_].to_numpy(dtype=float))
        forecast = model.forecast_from(history, exog, self._future_X(X, fh, horizon),
                                       horizon=horizon, coverage=coverage)
        return forecast, steps

    def _future_X(self, X, fh, horizon):
        """The future-known columns of ``X`` over the ``horizon`` steps after the cutoff."""
        known = self.forecaster_.future_exog_
        if not known:
            return None  # past covariates only: the history holds what the network reads
        labels = ForecastingHorizon(np.arange(1, horizon + 1), is_relative=True,
                                    freq=fh.freq).to_absolute_index(self.cutoff)
        if X is None:
            raise ValueError(f"the exogenous columns {known} are future-known (the "
                             "Forecaster's future_exog): pass X to predict with their "
                             f"values from {labels[0]} to {labels[-1]}")
        missing = [c for c in known if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the future-known columns {missing}")
        return _rows(X[known], labels)

    def _predict(self, fh, X):
        """Point forecasts at ``fh``: the Forecaster's, from the series seen so far."""
        point, steps = self._forecast(fh, X)
        return pd.Series(point.to_numpy()[steps - 1], index=fh.to_absolute_index(self.cutoff),
                         name=self._cur_y.name)

    def _predict_interval(self, fh, X, coverage):
        """The Forecaster's conformal intervals at ``fh``, one pair of columns per coverage."""
        ends = []
        for c in coverage:
            table, steps = self._forecast(fh, X, c)
            ends += [table["lower"].to_numpy()[steps - 1], table["upper"].to_numpy()[steps - 1]]
        columns = pd.MultiIndex.from_product([self._get_varnames(), coverage,
                                              ["lower", "upper"]])
        return pd.DataFrame(np.column_stack(ends), index=fh.to_absolute_index(self.cutoff),
                            columns=columns)

    def _predict_quantiles(self, fh, X, alpha):
        """Quantile ``a`` is an end of the interval of coverage ``|1 - 2a|``; 0.5 the point."""
        quantiles = []
        for a in alpha:
            if a == 0.5:
                point, steps = self._forecast(fh, X)
                quantiles.append(point.to_numpy()[steps - 1])
                continue
            table, steps = self._forecast(fh, X, abs(1 - 2 * a))
            quantiles.append(table["lower" if a < 0.5 else "upper"].to_numpy()[steps - 1])
        columns = pd.MultiIndex.from_product([self._get_varnames(), alpha])
        return pd.DataFrame(np.column_stack(quantiles),
                            index=fh.to_absolute_index(self.cutoff), columns=columns)

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict]:
        """Small, fast configurations for sktime's ``check_estimator``.

        A ridge regression (the windowing, transforms and intervals without
        a network) and a seeded 4-unit GRU trained for 3 epochs.

        Parameters
        ----------
        parameter_set : str, default "default"
            Only one set exists.

        Returns
        -------
        list of dict
        """
        from sklearn.linear_model import Ridge

        from ..estimators import GRURegressor

        gru = GRURegressor(hidden_size=4, max_iter=3, scaling=None, random_state=0)
        return [
            {"forecaster": Forecaster(Ridge(), window=4, calibration_folds=1)},
            {"forecaster": Forecaster(gru, window=4, n_calibration=10, random_state=0)},
            {"forecaster": Forecaster(Ridge(), window=4, future_exog=True)},
        ]


def _seeded(forecaster):
    """Whether fitting ``forecaster`` is reproducible: every random_state in it an int."""
    if forecaster is None or not hasattr(forecaster, "get_params"):
        return False
    return all(isinstance(value, (int, np.integer))
               for name, value in forecaster.get_params(deep=True).items()
               if name.split("__")[-1] == "random_state")


def _rows(X, index):
    """The rows of ``X`` at the labels of ``index``, in that order."""
    missing = index[~index.isin(X.index)]
    if len(missing):
        raise ValueError(f"X has no row for {missing[0]}: {len(missing)} of the "
                         f"{len(index)} time points needed are missing")
    return X.loc[index]
