"""The module paths of gatedts 0.1, kept importable after the move to subpackages.

``import gatedts.windows`` or ``from gatedts.metrics import mase`` still work:
each old path is an alias of the module that now holds the code (the same
module object, so monkeypatching either name patches both). Each use but of the
public ``gatedts.functional`` warns (``DeprecationWarning``, attributed to the
importing line) with the new path; the aliases go in gatedts :data:`REMOVED_IN`.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

REMOVED_IN = "0.3.0"
_INIT = __file__.replace("_moved.py", "__init__.py")  # gatedts.__getattr__ calls load

MOVED = {
    "functional": "gatedts.nn.functional",
    "params": "gatedts.nn.params",
    "optim": "gatedts.nn.optim",
    "cuda": "gatedts.nn.cuda.functional",
    **{name: f"gatedts.forecasting.{name}" for name in (
        "windows", "preprocessing", "seasonality", "conformal", "backtesting", "baselines",
        "metrics", "panel", "parallel")},
    **{name: f"gatedts.analysis.{name}" for name in (
        "diagnostics", "compare", "tasks", "plotting")},
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        warn_moved(spec.name.rpartition(".")[2])
        self.module = importlib.import_module(self.target)
        self.spec = self.module.__spec__
        return self.module

    def exec_module(self, module):
        module.__spec__ = self.spec  # the import system set the alias's spec: put it back


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != "gatedts" or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(MOVED[name]))


def install() -> None:
    """Make the old paths importable (idempotent)."""
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def load(name: str):
    """The module behind the old attribute ``gatedts.<name>``, with a DeprecationWarning."""
    warn_moved(name)
    return importlib.import_module(MOVED[name])


def warn_moved(name: str) -> None:
    """Warn that ``gatedts.<name>`` is an alias of ``MOVED[name]``, to be removed.

    ``gatedts.functional`` stays: it is the public name of ``gatedts.nn.functional``.
    """
    if name == "functional":
        return
    warnings.warn(f"gatedts.{name} moved to {MOVED[name]}: import it from there (the old "
                  f"path is an alias that gatedts {REMOVED_IN} removes)", DeprecationWarning,
                  stacklevel=_outside_the_import_system())


def _outside_the_import_system():
    """The stacklevel of the first caller outside this package's aliasing, so that the
    warning names the user's import line (and shows in ``__main__``). As in
    ``warnings.warn``, importlib's frames do not count."""
    frame, level = sys._getframe(2), 2
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or frame.f_code.co_filename in (__file__, _INIT)):
        if not frame.f_code.co_filename.startswith("<frozen importlib"):
            level += 1
        frame = frame.f_back
    return level
