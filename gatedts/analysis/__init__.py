"""Looking inside and comparing: gate diagnostics, cell comparisons, memory tasks, plots.

``diagnostics`` (gate traces, gradient reach), ``compare`` (RNN vs GRU vs
LSTM at an equal budget), ``tasks`` (adding and recall problems) and
``plotting`` (matplotlib, an optional extra imported on use). May import
``forecasting``, the estimators and ``gatedts.nn``; only ``cli`` imports it.
"""
