"""Progress bars on stderr: one line, redrawn in place (tqdm, imported only to show one)."""

from __future__ import annotations

import contextlib
import sys


def new_bar(desc, unit, total=None):
    """A tqdm bar on stderr that updates one line and is cleared when closed.

    The one look of the bars of :func:`~gatedts.forecast_many`,
    :func:`~gatedts.backtest` and the ``gatedts`` command.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
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
