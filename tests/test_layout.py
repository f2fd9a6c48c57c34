"""The layering rules of DESIGN.md, read from the source with ``ast``.

* no import cycles between gatedts modules (imports inside functions count);
* the numerical core ``gatedts.nn`` imports neither scikit-learn nor pandas,
  and no gatedts module outside ``gatedts.nn``;
* only ``gatedts/nn/cuda/`` imports ``numba.cuda``;
* each layer imports only the layers below it;
* ``import gatedts`` imports no optional framework (the adapters of
  ``gatedts/integrations/`` import theirs, and only when imported themselves);
* the CPU and CUDA paths share their input handling (``nn/core.py``) and do
  not call each other's private helpers;
* objects talk through public names: no module reads or writes another
  module's private attributes (the rule is spelled out in
  :func:`cross_module_private_accesses`).
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from gatedts.estimators import ESTIMATORS
from gatedts.nn.cells import CELL_NAMES, CELLS

PACKAGE = Path(__file__).resolve().parents[1] / "gatedts"


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path):
    """Every module ``path`` imports, absolute, with the imported names as submodules."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def gatedts_imports(name):
    """The gatedts modules ``name`` imports (a package import counts as its ``__init__``)."""
    return {m for m in IMPORTS[name] if m in MODULES and m != name}


def test_every_module_is_seen():
    assert {"gatedts.nn.functional", "gatedts.nn.cuda.functional", "gatedts.forecasting.panel",
            "gatedts.analysis.compare", "gatedts.cli"} <= set(MODULES)
    assert "gatedts.nn.core" in gatedts_imports("gatedts.nn.functional")


def test_no_import_cycles():
    # The package __init__ files re-export their children; a child importing its
    # own package's __init__ would be a cycle, and is caught like any other.
    graph = {name: gatedts_imports(name) for name in MODULES}
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = [*stack[stack.index(nxt):], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def _layer(name):
    if name.startswith("gatedts.nn.cuda"):
        return "nn.cuda"
    for prefix in ("gatedts.nn", "gatedts.forecasting", "gatedts.analysis",
                   "gatedts.integrations"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix.removeprefix("gatedts.")
    return name.removeprefix("gatedts.")


# Which layers each layer may import (besides itself); DESIGN.md draws the same picture.
ALLOWED = {
    "nn": {"nn", "nn.cuda"},  # nn.cuda only on demand, for device="cuda" (checked below)
    "nn.cuda": {"nn"},
    "estimators": {"nn", "nn.cuda", "training", "_constraints", "_estimator_docs", "_sequences",
                   "lag_columns"},
    "lag_columns": set(),  # reads a framework's lag layout: numpy only
    "training": {"nn", "nn.cuda"},
    "forecasting": {"nn", "estimators", "pretrained"},  # "pretrained": the zero-shot model
    "analysis": {"nn", "estimators", "forecasting"},
    "integrations": {"nn", "estimators", "forecasting"},  # adapters for sktime, ...
    "persistence": {"estimators", "forecasting", "_version"},
    "datasets": set(),
    "reading": set(),  # read_series: files to series, pandas only
    "synthetic": set(),  # the simulator of the pretraining prior
    "pretrained": {"nn"},  # the shipped zero-shot network
    "pretrain": {"nn", "synthetic", "pretrained", "_version"},
    "export": {"nn", "estimators", "training", "forecasting", "persistence", "_version",
               "export_pipeline"},
    "export_pipeline": {"forecasting"},  # a Forecaster's whole forecast as one ONNX graph
    "cli": {"nn", "forecasting", "analysis", "datasets", "reading", "_version"},
    "_moved": set(),
    "_constraints": set(),  # the estimators' parameter checks, docs and input layout
    "_estimator_docs": set(),
    "_sequences": set(),
    "_version": set(),
    "__main__": {"cli"},
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_layer_imports_only_the_layers_below(name):
    layer = _layer(name)
    if name == "gatedts":  # the public API gathers every layer
        return
    others = {_layer(m) for m in gatedts_imports(name) if m != "gatedts"} - {layer}
    assert others <= ALLOWED[layer], f"{name} ({layer}) imports {sorted(others)}"
    assert "gatedts" not in gatedts_imports(name), f"{name} imports the top-level package"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("gatedts.nn")))
def test_the_numerical_core_needs_neither_sklearn_nor_pandas(name):
    third_party = {m.split(".")[0] for m in IMPORTS[name]}
    assert not third_party & {"sklearn", "pandas"}, f"{name} imports {third_party}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_cuda_folder_imports_numba_cuda(name):
    if "numba.cuda" in IMPORTS[name] or any(m.startswith("numba.cuda.") for m in IMPORTS[name]):
        assert name.startswith("gatedts.nn.cuda."), f"{name} imports numba.cuda"


def test_the_cuda_package_init_imports_nothing():
    # ``import gatedts.nn.cuda.common`` runs the package __init__ first: it must stay empty,
    # and the CPU core reaches the device path only lazily through import_module.
    assert not gatedts_imports("gatedts.nn.cuda")
    for name in MODULES:
        if _layer(name) == "nn":
            tree = ast.parse(MODULES[name].read_text())
            top_level = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
            assert not any("cuda" in m for m in top_level), f"{name} imports CUDA at import time"


def test_cpu_and_cuda_paths_do_not_call_each_others_private_helpers():
    cpu = {n for n in MODULES if _layer(n) == "nn"}
    cuda = {n for n in MODULES if _layer(n) == "nn.cuda"}
    for group, other in ((cpu, cuda), (cuda, cpu)):
        for name in group:
            for node in ast.walk(ast.parse(MODULES[name].read_text())):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in other:
                    private = [a.name for a in node.names if a.name.startswith("_")]
                    assert not private, f"{name} imports {private} from {node.module}"
                if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                        and not node.attr.startswith("__") and isinstance(node.value, ast.Name) \
                        and node.value.id in {"F", "functional", "gcuda", "cuda"}:
                    pytest.fail(f"{name} calls {node.value.id}.{node.attr}")
    assert "gatedts.nn.core" in gatedts_imports("gatedts.nn.cuda.functional")
    assert "gatedts.nn.functional" not in gatedts_imports("gatedts.nn.cuda.functional")


def test_import_gatedts_imports_no_optional_framework():
    # A fresh interpreter: this one may have imported sktime for other tests.
    code = ("import sys, gatedts, gatedts.integrations; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sktime', 'skbase'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_one_registry_of_cells():
    assert CELL_NAMES == ("gru", "lstm", "rnn") and set(ESTIMATORS) == set(CELL_NAMES)
    from gatedts.nn.cuda import layers as cuda_layers  # no numba.cuda work at import

    assert set(cuda_layers.LAYERS) == set(CELL_NAMES)
    assert {c.n_gates for c in CELLS.values()} == {1, 3, 4}
    # No other module spells the three names out as a tuple or a set of its own.
    spelled = []
    for name, path in MODULES.items():
        if name == "gatedts.nn.cells":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Tuple | ast.Set | ast.List):
                values = {getattr(e, "value", None) for e in node.elts}
                if {"gru", "lstm", "rnn"} <= values:
                    spelled.append(name)
    assert not spelled, f"cell names listed outside nn/cells.py in {spelled}"


@pytest.mark.filterwarnings("ignore:gatedts.*moved to:DeprecationWarning")  # tests/test_moved.py
def test_old_module_paths_still_import():
    import gatedts.metrics as old_metrics
    import gatedts.windows

    import gatedts
    from gatedts import functional
    from gatedts.forecasting import metrics
    from gatedts.nn import functional as new_functional

    assert old_metrics is metrics and functional is new_functional
    assert gatedts.windows.make_windows.__module__ == "gatedts.forecasting.windows"
    assert gatedts.compare.compare_cells_on_series is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        gatedts.nothing


def _defined_in(tree):
    """Every name a module defines: its functions, classes and variables (at any
    depth, class attributes included) and the attributes its code sets on ``self``
    or ``cls``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}):
            names.add(node.attr)
    return names


def cross_module_private_accesses(name, source=None):
    """The private names module ``name`` (its text ``source``, by default read from
    its file) takes from other modules, as ``"line: expr"``.

    A private name starts with one underscore (dunders are public protocol).
    Two forms are caught:

    * ``x._attr``, read or written, where ``x`` is not ``self``, ``cls``,
      ``super()`` or a module of another library imported as such (whose
      underscore names, like ``sys._getframe``, are its own affair), and no
      code of this module defines ``_attr`` (as a function, class, variable or
      class attribute, or by setting ``self._attr``): a
      private of the module's own objects may be shared inside the module,
      never across modules;
    * ``from module import _name`` where the module is a gatedts module and
      ``_name`` is not a module file (importing a private module, like
      ``from . import _moved``, is how a package uses its own parts).
    """
    path = MODULES.get(name)
    tree = ast.parse(path.read_text() if source is None else source)
    own = _defined_in(tree)
    libraries = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.Import) for alias in node.names
                 if alias.name.split(".")[0] != "gatedts"}
    package = name if path is not None and path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in own):
            base = node.value
            if isinstance(base, ast.Name) and (base.id in {"self", "cls"}
                                               or base.id in libraries):
                continue
            if (isinstance(base, ast.Call) and isinstance(base.func, ast.Name)
                    and base.func.id == "super"):
                continue
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                module = ".".join(base[: len(base) - node.level + 1]
                                  + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "gatedts":
                continue
            found += [f"{node.lineno}: from {module} import {alias.name}" for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")
                      and f"{module}.{alias.name}" not in MODULES]
    return sorted(found, key=lambda access: int(access.split(":")[0]))


# The accesses that remain, each with its reason. The test fails on any other, and
# also when one of these goes away (delete it here then): the list cannot grow unseen.
@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_uses_another_modules_private_names(name):
    assert cross_module_private_accesses(name) == [], (
        f"{name} uses private names of other modules")


def test_the_private_access_rule_catches_what_it_should():
    source = """
from .windows import _stack_series, make_windows
from .. import _moved

class Box:
    _shared = 1

    def __init__(self, other):
        self._mine = 1
        other._mine = 2              # defined here: allowed
        other._theirs = 3            # caught
        super()._base()              # allowed
        print(self._mine, type(self).__name__, other.__dict__)

def peek(box):
    return box._hidden, box._shared  # _hidden caught; _shared is this module's

import sys
from gatedts import estimators
sys._getframe(0), estimators._cell   # another library's API: allowed; gatedts's: caught
"""
    found = cross_module_private_accesses("gatedts.forecasting.probe", source)
    assert found == ["2: from gatedts.forecasting.windows import _stack_series",
                     "11: other._theirs", "16: box._hidden", "20: estimators._cell"]


MAX_PARAMETERS = 10
# The public entry points of gatedts.nn, which take the network's options as keywords
# (DESIGN.md: the public API builds the spec at its boundary): they may be wider. Any
# other function groups what travels together (a tuple of buffers, a spec) instead.
WIDE_PUBLIC_ENTRY_POINTS = {
    "gatedts.nn.functional.forward",
    "gatedts.nn.functional.predict",
    "gatedts.nn.functional.loss_and_grad",
    "gatedts.nn.params.init_params",
}


def parameter_counts(module, source):
    """``{qualified name: number of parameters}`` of every function and lambda in
    ``source`` (of module ``module``), nested ones included; every kind of
    parameter counts (``self``, keyword-only, ``*args``, ``**kwargs``)."""
    counts = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                name = f"{prefix}.{getattr(child, 'name', f'<lambda:{child.lineno}>')}"
                a = child.args
                counts[name] = (len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
                                + (a.vararg is not None) + (a.kwarg is not None))
                visit(child, name)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}.{child.name}")
            else:
                visit(child, prefix)

    visit(ast.parse(source), module)
    return counts


NN_PARAMETER_COUNTS = {name: n for module, path in MODULES.items()
                       if module.startswith("gatedts.nn.")
                       for name, n in parameter_counts(module, path.read_text()).items()}


def test_no_internal_nn_function_takes_more_than_ten_parameters():
    wide = {name: n for name, n in NN_PARAMETER_COUNTS.items()
            if n > MAX_PARAMETERS and name not in WIDE_PUBLIC_ENTRY_POINTS}
    assert wide == {}, "group the arguments that travel together (see gatedts/nn/cpu/gru.py)"
    # the allow-list cannot rot: each entry exists and needs the exception
    assert all(NN_PARAMETER_COUNTS.get(name, 0) > MAX_PARAMETERS
               for name in WIDE_PUBLIC_ENTRY_POINTS)


def test_the_parameter_count_sees_nested_functions_methods_and_every_kind():
    source = """
def outer(a, b=1, *args, c, **kw):
    def kernel(a, /, b, *, c):
        return lambda x, y: x
    return kernel

class Layer:
    def forward(self, x):
        pass
"""
    assert parameter_counts("m", source) == {"m.outer": 5, "m.outer.kernel": 3,
                                             "m.outer.kernel.<lambda:4>": 2,
                                             "m.Layer.forward": 2}
