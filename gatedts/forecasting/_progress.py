"""Progress bars on stderr: one line, redrawn in place (tqdm, imported only to show one).

Bars over training epochs are moved by :func:`gatedts.estimators.on_epoch`,
the training loop's per-epoch hook, so they see every fit run inside them.
"""

from __future__ import annotations

import contextlib
import sys

from ..estimators import on_epoch


def new_bar(desc, unit, total=None, leave=False):
    """A tqdm bar on stderr that updates one line (cleared when closed unless ``leave``).

    The one look of the bars of :func:`~gatedts.forecast_many`,
    :func:`~gatedts.backtest`, ``Forecaster(verbose=1)`` and the ``gatedts``
    command.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=leave,
                dynamic_ncols=True)


@contextlib.contextmanager
def progress_bar(show, total, desc, unit):
    """Yield ``advance()``, which moves a bar of ``total`` steps on by one.

    With ``show`` false there is no bar: tqdm is not imported and ``advance``
    does nothing.
    """
    if not show:
        yield lambda: None
        return
    with new_bar(desc, unit, total) as bar:
        yield bar.update


@contextlib.contextmanager
def fit_bar(show, desc):
    """A bar over the epochs of the one fit run in the block, left on screen when done.

    It opens at the first epoch, with the fit's epoch cap as its total, so a
    regressor that trains no epochs (``Ridge``) shows nothing; the loss is in
    its postfix. With ``show`` false: nothing at all.
    """
    if not show:
        yield
        return
    bar = None

    def advance(epoch, n_epochs, loss):
        nonlocal bar
        if bar is None:
            bar = new_bar(desc, " epoch", n_epochs, leave=True)
        bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
        bar.update(1)

    try:
        with on_epoch(advance):
            yield
    finally:
        if bar is not None:
            bar.close()


@contextlib.contextmanager
def epochs_bar(desc):
    """One bar for every fit run in the block, cleared when done.

    It opens at the first epoch, and each fit restarts it with its epoch cap
    as the total, so it shows the epochs done, the percentage and an ETA for
    the current fit (an upper bound when the fit stops early); the
    description counts the fits and the postfix shows the loss. A block that
    trains nothing shows nothing.
    """
    bar, fits = None, 0

    def advance(epoch, n_epochs, loss):
        nonlocal bar, fits
        if bar is None or epoch == 1:
            fits += 1
            label = f"{desc} (fit {fits})" if fits > 1 else desc
            if bar is None:
                bar = new_bar(label, " epoch", n_epochs)
            else:
                bar.reset(total=n_epochs)
                bar.set_description_str(label, refresh=False)
        bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
        bar.update(1)

    try:
        with on_epoch(advance):
            yield
    finally:
        if bar is not None:
            bar.close()
