"""The parameter documentation the recurrent estimators share: :func:`docstring` builds
a class docstring from it (see :mod:`gatedts.estimators`)."""

__all__ = ["docstring"]

_LAYERS_DOC = """\
    hidden_size : int or sequence of int, default 32
        Units per layer, or one size per layer like ``(128, 64)``.
    num_layers : int, default 1
        Number of stacked layers when ``hidden_size`` is an int.
    bidirectional : bool, default False
        Every layer also reads the window backwards and passes both
        directions on, as ``torch.nn.GRU(bidirectional=True)`` (twice the
        weights; the head sees the forward state at the last step and the
        backward state at the first). CPU only.
    residual : bool, default False
        Each layer above the first adds its input to its output (a residual
        stack); where a layer's width differs from the one below, that input
        goes through a learned projection ``residual_proj_l{k}.weight``. Not
        with ``bidirectional``; CPU only.
    head : {"last", "attention", "sequence"}, default "last"
        What the linear head reads (see :mod:`gatedts.functional`): the top
        layer's last state; ``"attention"``, additive (Bahdanau) attention
        over every step with the last state as query, the head reading the
        context next to it (:meth:`attention_weights` gives the weights);
        ``"sequence"``, every step: y is ``(n_samples, n_timesteps)``, one
        target per step in time order (oldest first, whatever
        ``lag_order``), and ``predict`` returns that shape. CPU only.
    decoder : bool, default False
        An encoder-decoder network for a multi-step target: y is (n_samples,
        horizon), one target's next ``horizon`` values. The encoder reads X;
        its final states start a decoder of the same cell and sizes
        (``decoder.*`` weights) that runs one step per value of y, fed the
        previous value: the target's last value in X at the first step, then
        the true previous value in training (teacher forcing) and its own
        prediction in ``predict``. The target's last value is feature 0 of
        X's last time step (after ``lag_order``, ``n_features_per_step``,
        ``feature_layout`` and ``static_features`` have laid X out: the first
        lag column of a one-feature lag matrix, the first feature of a 3-D X),
        so X must hold the target itself first. With ``scaling`` the target
        is standardised by one mean and scale over all its steps, which feature
        0 of X shares. Known-future covariates of the forecast steps go to
        ``fit`` and ``predict`` as ``X_future`` (n_samples, horizon,
        n_future). With ``residual`` both encoder and decoder are residual.
        Not with ``bidirectional`` or ``loss="quantile"``; no dropout inside
        the decoder; CPU only.
"""

_INPUT_DOC = """\
    scaling : {"standard"} or None, default "standard"
        Standardise inputs and targets on the training data, as
        neuralforecast's ``scaler_type``: the network sees
        ``(X - feature_mean_) / feature_scale_`` (per feature, over all
        samples and time steps) and learns ``(y - target_mean_) /
        target_scale_``, and predictions are mapped back. A raw lag matrix
        (values in the hundreds, which saturate the gates) then trains like a
        standardised one. A constant column gets scale 1. The scaling is
        learnt when the weights are initialised (``fit``, or the first
        ``partial_fit``) and kept by later ``partial_fit`` calls and by
        ``warm_start``. None feeds X and y to the network as given.
    lag_order : {"oldest_first", "newest_first"}, default "oldest_first"
        Order of the time steps in X: the lag columns of a 2-D X, axis 1 of a
        3-D X. sktime and darts pass lags oldest first; skforecast and
        mlforecast newest first (``lag_1`` first). The network always reads
        them from the oldest to the newest.
    n_features_per_step : int, default 1
        Features per time step in the lag columns of a 2-D X (a lagged
        target and lagged covariates): its ``T * n_features_per_step`` lag
        columns become ``(n_samples, T, n_features_per_step)``. A 3-D X has
        its features on the last axis already.
    feature_layout : {"interleaved", "blocks"}, default "interleaved"
        How those features sit in the lag columns: step by step
        (``a[t0], b[t0], a[t1], b[t1], ...``, as
        :func:`~gatedts.forecasting.windows.make_flat_windows`) or feature by
        feature (``a[t0], a[t1], ..., b[t0], b[t1], ...``, as sktime's and
        darts' lagged covariates).
    static_features : sequence of int or of str, optional
        Columns of a 2-D X that are not on the time axis (exogenous values at
        the forecast time, date features, static covariates, series ids), by
        position (negative positions count from the end) or by name (X a
        DataFrame). Each is repeated at every time step as an extra feature
        after the lag features, instead of being read as one more time step.
        See :func:`lags_to_sequences`. Left at their defaults, these four
        options are read from a framework's lag matrix (its column names, or
        its values: :mod:`gatedts.lag_columns`); set, they are checked
        against its column names.
"""

_TRAINING_DOC = """\
    dropout : float, default 0.0
        Dropout between stacked layers during training.
    loss : {"mse", "mae", "huber", "quantile"}, default "mse"
        "quantile": the pinball loss, one network output per target and
        quantile; ``predict`` gives the quantile nearest 0.5 and
        :meth:`predict_quantiles` all of them.
    quantiles : sequence of float, default (0.05, 0.5, 0.95)
        Increasing levels in (0, 1) for ``loss="quantile"`` (ignored otherwise).
    solver : {"adam", "sgd"}, default "adam"
    learning_rate_init : float, default 0.001
    learning_rate : {"constant", "invscaling", "cosine", "plateau"}, default "constant"
        Epoch-wise schedule (see :mod:`gatedts.nn.optim`); "plateau" divides the
        rate by 10 after 10 epochs without improvement of the monitored loss.
    power_t : float, default 0.5
        Exponent of "invscaling".
    momentum : float, default 0.9
        SGD momentum.
    nesterovs_momentum : bool, default True
    beta_1, beta_2, epsilon : float
        Adam's constants.
    alpha : float or "auto", default 0.0001
        L2 penalty on weights (not biases), added to the gradient. "auto":
        ``4 / n_samples``, a fixed prior against the summed squared error
        that matters less as data grow (see
        :func:`~gatedts.estimators.auto_settings`).
    clip_norm : float or None, default 1.0
        Clip the global gradient norm to this value (None: no clipping).
    batch_size : int or "auto", default "auto"
        "auto": ``clip(n_samples // 32, 32, 256)``, so 32 up to 1,055
        samples. A batch never holds more than the samples trained on.
    max_iter : int or "auto", default "auto"
        Maximum number of epochs. "auto": ``clip(round(100_000 / n_samples),
        5, 300)``, a budget of 100,000 sample passes, and reaching it does not
        warn, so a default estimator fits quietly (a number given warns when
        reached: :class:`MaxIterReachedWarning`).
    shuffle : bool, default True
        Shuffle samples every epoch.
    tol : float, default 1e-4
        Minimum improvement of the loss (or validation R²) that counts.
    early_stopping : bool, default False
        Hold out the last ``validation_fraction`` of the samples (the most
        recent windows), stop when their R² stops improving and restore the
        best weights.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10
    random_state : int, RandomState or None
        Seeds initialisation, shuffling and dropout: the same seed gives
        bit-identical weights.
    dtype : {"float32", "float64"}, default "float32"
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where ``fit`` trains: "cuda" keeps the weights on the GPU (Numba CUDA
        kernels, same results as the CPU up to rounding; a clear error without a
        GPU), "auto" uses the GPU when there is one. ``predict`` runs on the CPU.
    verbose : int, default 0
        Print one line per epoch (loss, gradient norm, learning rate,
        validation score, time). For a progress bar or any other per-epoch
        hook, see :func:`gatedts.estimators.on_epoch`.
    warm_start : bool, default False
        Continue from the previous weights on ``fit``.

    Attributes
    ----------
    params_ : dict of str to ndarray
        Weights, named like PyTorch's ``state_dict`` (see :mod:`gatedts.functional`).
    network_spec_ : NetworkSpec
        The fitted network (cell, sizes, architecture, dtype; see
        :class:`gatedts.nn.spec.NetworkSpec`), read from ``params_`` and the
        architecture parameters: what ``gatedts.functional`` takes in place of
        the cell name, e.g. ``functional.forward(model.network_spec_,
        model.params_, X)``.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,) or None
        The input standardisation of ``scaling="standard"``, per feature
        (per time step's feature, not per column of a 2-D X); None without it.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,) or None
        The target standardisation; None without scaling.
    loss_curve_ : list of float
        Mean training loss per epoch (on the standardised targets with
        ``scaling``).
    grad_norm_curve_ : list of float
        Mean global gradient norm per epoch, before clipping.
    learning_rate_curve_ : list of float
        Learning rate used in each epoch.
    validation_scores_ : list of float or None
        Validation R² per epoch with ``early_stopping``.
    best_loss_, best_validation_score_ : float or None
    n_iter_ : int
        Epochs run.
    alpha_, max_iter_, batch_size_ : float, int, int
        The values of ``alpha``, ``max_iter`` and ``batch_size`` that trained,
        "auto" resolved from the samples of the fit (of positive weight) that
        initialised the weights: ``fit``, or the first ``partial_fit``; later
        ``partial_fit`` calls keep them.
    t_ : int
        Training samples seen.
    n_features_in_ : int
        Columns of a 2-D X at fit (time steps of a 3-D X); predict needs the same.
    column_layout_ : ndarray of shape (n_timesteps, n_features) or None
        The column of a 2-D X that each step of each feature is read from,
        when fit found a framework's lag layout in X's column names or values
        (:func:`gatedts.lag_columns.read_layout`); None when the layout
        options apply.
    n_outputs_ : int
        Targets per sample (with ``head="sequence"``, the time steps).
"""


def docstring(summary, cell_parameters=""):
    """A class docstring: the shared parameters, with the cell's own after ``num_layers``."""
    return (f"{summary}\n\n    Parameters\n    ----------\n"
            f"{_LAYERS_DOC}{cell_parameters}{_INPUT_DOC}{_TRAINING_DOC}")
