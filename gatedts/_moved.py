"""The module paths of gatedts 0.1, kept importable after the move to subpackages.

``import gatedts.windows`` or ``from gatedts.metrics import mase`` still work:
each old path is an alias of the module that now holds the code (the same
module object, so monkeypatching either name patches both).
"""

import importlib
import importlib.abc
import importlib.util
import sys

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


def install():
    """Make the old paths importable (idempotent)."""
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def load(name):
    """The module behind the old attribute ``gatedts.<name>``."""
    return importlib.import_module(MOVED[name])
