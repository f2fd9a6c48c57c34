"""The ensemble stage of a Forecaster: its members, their training, their combination.

:class:`Members` builds the networks a Forecaster trains: default networks
(:func:`default_estimator` with ``network_options`` on top) for a cell name,
a GRU and an LSTM in turn for "auto" (:data:`AUTO_CELLS`), or clones of a
regressor. Every member is trained on the same windows (:func:`fit_members`)
and their forecasts are combined by the median (:func:`predict_members`; "auto"
weighs them instead: :mod:`~gatedts.forecasting.combination`). A regressor without 3-D
input support gets each window flattened into one row.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags

from ..estimators import (
    ESTIMATORS,
    GRURegressor,
    LSTMRegressor,
    MaxIterReachedWarning,
    RNNRegressor,
)
from ._progress import fit_bar
from ._validation import check_positive_int

__all__ = ["AUTO_CELLS", "Members", "default_estimator", "fit_members", "fit_network",
           "model_label", "network_input", "predict_members"]

#: The networks of ``Forecaster("auto")``, in turn (its other members:
#: :mod:`~gatedts.forecasting.combination`).
AUTO_CELLS = ("gru", "lstm")
_SEQUENCE_HEAD_REFUSED = (
    "head='sequence' does not fit a Forecaster: its networks predict the horizon from a "
    "window (one target per future step), not one target per input step; use head='last' "
    "or head='attention'")


class Regressor(Protocol):
    """What a Forecaster trains: a scikit-learn regressor (``fit`` and ``predict``)."""

    def fit(self, X: Any, y: Any, **fit_params: Any) -> Any: ...
    def predict(self, X: Any, **predict_params: Any) -> Any: ...


def default_estimator(cell: str = "gru", *,
                      random_state: int | np.random.RandomState | None = None,
                      verbose: int = 0) -> GRURegressor | LSTMRegressor | RNNRegressor:
    """The network a :class:`~gatedts.Forecaster` trains when ``estimator`` is a cell name.

    One layer of 32 units, Adam at ``1e-3``, gradient-norm clipping at 1 (for
    the LSTM a forget-gate bias of 0: see :class:`~gatedts.LSTMRegressor`),
    ``scaling=None`` (the Forecaster standardises its windows itself),
    and ``alpha``, ``max_iter`` and ``batch_size`` on "auto", which the
    network resolves at ``fit`` from the number of training windows ``n``
    (:func:`gatedts.estimators.auto_settings`; the fitted values are
    ``alpha_``, ``max_iter_`` and ``batch_size_``):

    * L2 weight decay ``alpha = 4 / n``: a fixed Gaussian prior on the weights
      against the *summed* squared error of the windows, so it matters less as
      data grow. Small series are smoothed towards their mean instead of
      extrapolating the last swings; this is what makes a 32-unit network
      safe on 100 windows.
    * ``max_iter = clip(100_000 / n, 5, 300)`` epochs (a budget of 100,000
      window passes), stopping earlier when the training loss stalls
      (``tol=1e-4`` for 10 epochs): seconds on a few hundred windows, and a
      bounded cost on long series. Reaching it does not warn.
    * shuffled mini-batches of ``clip(n // 32, 32, 256)`` windows: 32 on
      short series, larger on long ones, where the cost of a step is mostly
      per call rather than per window.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"}, default "gru"
    random_state : int, RandomState or None
    verbose : int, default 0
        Print one line per epoch.

    Returns
    -------
    GRURegressor, LSTMRegressor or RNNRegressor
        An unfitted estimator; a Forecaster then sets its ``network_options`` on it.
    """
    if cell not in ESTIMATORS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(map(repr, ESTIMATORS))}")
    return ESTIMATORS[cell](
        hidden_size=32, alpha="auto", learning_rate_init=1e-3, batch_size="auto",
        max_iter="auto", clip_norm=1.0, scaling=None, random_state=random_state,
        verbose=verbose)



class Members:
    """Which networks a Forecaster trains: its ``estimator``, ``n_models``,
    ``network_options``, ``decoder``, ``random_state`` and ``verbose`` settings.

    Parameters
    ----------
    estimator : {"gru", "lstm", "rnn", "auto"}, regressor or None
    n_models : int, default 1
    network_options : dict or None, default None
    decoder : bool, default False
    random_state : int, RandomState or None, default None
    verbose : int, default 0
    """

    def __init__(self, estimator: str | Regressor | None = None, *, n_models: int = 1,
                 network_options: Mapping[str, Any] | None = None, decoder: bool = False,
                 random_state: int | np.random.RandomState | None = None,
                 verbose: int = 0) -> None:
        self.estimator = estimator
        self.n_models = n_models
        self.network_options = network_options
        self.decoder = decoder
        self.random_state = random_state
        self.verbose = verbose

    @property
    def cell(self) -> str | None:
        """The cell name of a default network ("gru", "lstm", "rnn", "auto" or
        "pretrained"), else None."""
        if self.estimator is None:
            return "gru"
        if isinstance(self.estimator, str):
            name = self.estimator.lower()
            if name not in ESTIMATORS and name not in ("auto", "pretrained"):
                raise ValueError(f"unknown estimator {self.estimator!r}; choose one of "
                                 f"{', '.join(map(repr, [*ESTIMATORS, 'auto', 'pretrained']))} "
                                 "or pass a regressor")
            return name
        return None

    def check_decoder(self, strategy: str) -> None:
        """Refuse the settings an encoder-decoder forecaster cannot have."""
        if not isinstance(self.decoder, (bool, np.bool_)):
            raise ValueError(f"decoder must be True or False, got {self.decoder!r}")
        if self.decoder and self.cell is None:
            raise ValueError("decoder=True trains the default encoder-decoder networks: "
                             "estimator must be 'gru', 'lstm', 'rnn', 'auto' or None, not "
                             f"a {type(self.estimator).__name__}")
        if self.decoder and strategy != "direct":
            raise ValueError("decoder=True forecasts every step of the horizon with its "
                             "decoder; it needs strategy='direct', not 'recursive'")

    def build(self, model_horizon: int) -> list[Regressor]:
        """The unfitted members of a model with ``model_horizon`` outputs; "auto" has at
        least one of each of :data:`AUTO_CELLS` and cycles through them."""
        n_models = check_positive_int(self.n_models, "n_models")
        if self.cell == "auto":
            n_models = max(n_models, len(AUTO_CELLS))
        return [self.member(k, model_horizon) for k in range(n_models)]

    def seed(self, member: int) -> int | None:
        """Seed of member ``member``: ``random_state`` itself for the first."""
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = seed.randint(2**31)
        if seed is None or member == 0:
            return seed
        return int(np.random.SeedSequence([int(seed), member]).generate_state(1)[0] >> 1)

    def member(self, member: int, model_horizon: int) -> Regressor:
        """Member ``member``: a default network or a clone of ``estimator``."""
        cell, seed = self.cell, self.seed(member)
        if cell == "auto":
            cell = AUTO_CELLS[member % len(AUTO_CELLS)]
        if cell is not None:
            return self.default_network(cell, seed)
        self.check_no_network_options()
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "predict"):
            raise TypeError("estimator must be 'gru', 'lstm', 'rnn', 'auto', None or a regressor "
                            f"with fit and predict, got {type(self.estimator).__name__}")
        estimator = clone(self.estimator)
        if getattr(estimator, "head", None) == "sequence":
            raise ValueError(_SEQUENCE_HEAD_REFUSED)
        if member and "random_state" in estimator.get_params():
            estimator.set_params(random_state=seed)
        if model_horizon > 1 and not get_tags(estimator).target_tags.multi_output:
            estimator = MultiOutputRegressor(estimator)  # one model per step of the horizon
        return estimator

    def check_no_network_options(self) -> None:
        """Refuse ``network_options`` with a regressor of the user's (they set its own)."""
        if self.network_options is not None:
            raise ValueError(
                "network_options apply to the default networks (estimator 'gru', 'lstm', "
                f"'rnn' or 'auto'); set the parameters of your {type(self.estimator).__name__} "
                "on it instead")

    def default_network(self, cell: str, seed: int | None
                        ) -> GRURegressor | LSTMRegressor | RNNRegressor:
        """:func:`default_estimator` for ``cell`` with ``network_options`` set on it."""
        network = default_estimator(cell, random_state=seed, verbose=int(self.verbose >= 2))
        if self.decoder:
            network.set_params(decoder=True)
        options = self.network_options
        if options is None:
            return network
        if not isinstance(options, Mapping):
            raise TypeError(f"network_options must be a dict of {type(network).__name__} "
                            f"parameters or None, got {type(options).__name__}")
        valid = sorted(set(network.get_params(deep=False)) - {"random_state", "decoder"})
        unknown = [name for name in options if name not in valid]
        if unknown:
            notes = []
            if "random_state" in unknown:
                notes.append("random_state is the Forecaster's own parameter, set per member")
            if "decoder" in unknown:
                notes.append("decoder is the Forecaster's own parameter")
            if self.cell == "auto":
                notes.append("with 'auto' the options apply to every cell")
            raise ValueError(
                f"network_options: {', '.join(map(repr, unknown))} "
                f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} of "
                f"{type(network).__name__}{''.join(f' ({n})' for n in notes)}; valid: "
                f"{', '.join(valid)}")
        if options.get("head") == "sequence":
            raise ValueError(_SEQUENCE_HEAD_REFUSED)
        return network.set_params(**options)


def fit_network(estimator: Regressor, X: ArrayLike, y: ArrayLike, *, label: str = "network",
                bar: bool = False, **fit_params: Any) -> Regressor:
    """Fit one network of a forecast, with a progress bar over its epochs if ``bar``
    (:func:`~gatedts.forecasting._progress.fit_bar`, labelled ``label``).

    A Ctrl-C or an error during its training propagates; the estimator's fit is
    atomic, so it is left as it was before (see :class:`~gatedts.GRURegressor`).
    """
    with fit_bar(bar, label):
        estimator.fit(X, y, **fit_params)
    return estimator


def model_label(estimator: object) -> str:
    """A network's name on its bar: "GRU" for a GRURegressor, else its class name."""
    name = type(estimator).__name__
    return name.removesuffix("Regressor") if type(estimator) in ESTIMATORS.values() else name


def network_input(estimator: Regressor, X: np.ndarray) -> np.ndarray:
    """Windows ``X`` as ``estimator`` takes them: as is, or one flat row per window."""
    if get_tags(estimator).input_tags.three_d_array:
        return X
    return X.reshape(len(X), -1)


def fit_members(members: Sequence[Regressor], X: np.ndarray, Y: np.ndarray,
                X_future: np.ndarray | None = None, *, decoder: bool = False, verbose: int = 0,
                labels: Sequence[str] | None = None,
                default_budget: bool = False) -> Sequence[Regressor]:
    """Train every member on windows ``X`` and targets ``Y`` (n_windows, horizon).

    ``default_budget``: the members are default networks, whose epoch cap
    (also one set in ``network_options``) is deliberate, so their
    :class:`~gatedts.MaxIterReachedWarning` is not shown. ``verbose == 1``
    shows a progress bar per member, named by ``labels`` (default: the cell and
    the member's number). Returns ``members``, fitted in place.
    """
    y = Y[:, 0] if Y.shape[1] == 1 and not decoder else Y
    extra = {} if X_future is None else {"X_future": X_future}
    with warnings.catch_warnings():
        if default_budget:
            warnings.simplefilter("ignore", MaxIterReachedWarning)
        for k, estimator in enumerate(members):
            label = model_label(estimator) + (f" {k + 1}/{len(members)}" if len(members) > 1
                                              else "")
            label = label if labels is None else labels[k]
            fit_network(estimator, network_input(estimator, X), y, label=label,
                        bar=verbose == 1, **extra)
    return members


def predict_members(members: Sequence[Regressor], X: np.ndarray,
                    X_future: np.ndarray | None = None) -> np.ndarray:
    """The members' predictions for windows ``X``, combined by their median."""
    X = network_input(members[0], X)
    extra = {} if X_future is None else {"X_future": X_future}
    preds = [np.reshape(estimator.predict(X, **extra), (len(X), -1)) for estimator in members]
    return preds[0] if len(preds) == 1 else np.median(preds, axis=0)
