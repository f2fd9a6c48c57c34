"""Adapters that make gatedts a native citizen of other forecasting frameworks.

``sktime`` (:class:`~gatedts.integrations.sktime.GatedtsForecaster`). Each
module imports its framework, which is an optional extra
(``pip install 'gatedts[sktime]'``); this package and ``import gatedts``
import none of them. Adapters sit above ``gatedts.forecasting`` and wrap its
:class:`~gatedts.Forecaster`.
"""
