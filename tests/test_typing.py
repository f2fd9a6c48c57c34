"""The public API carries type hints: every parameter and every return.

The public API is what the documentation's reference lists
(``docs/_ext/gatedts_docs.py``): each public module's ``__all__`` (or, without
one, the functions and classes it defines), and of each class the methods and
properties it defines or inherits from gatedts whose names do not start with
an underscore, plus ``__init__``. Exempt, each for a reason:

* ``self`` and ``cls``, and the return of ``__init__`` (``None``);
* the ``__init__`` of a scikit-learn estimator (a ``BaseEstimator``): as in
  scikit-learn, its parameters are stored as given and checked in ``fit``
  against the class's constraint table, which is where their types live.

``python -m mypy`` (in ``.ci/run``) checks that the hints are true.
"""

import importlib.util
import inspect

import pytest
from helpers import load_docs_ext
from sklearn.base import BaseEstimator


def missing_hints(function):
    """The parameters of ``function`` without a hint, and ``"return"`` if it has none."""
    signature = inspect.signature(function)
    missing = [name for position, (name, parameter) in enumerate(signature.parameters.items())
               if parameter.annotation is inspect.Parameter.empty
               and not (position == 0 and name in ("self", "cls"))]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


def public_methods(cls):
    """The functions behind the public methods and properties of a gatedts class."""
    for name in dir(cls):
        if name.startswith("_") and name != "__init__":
            continue
        if name == "__init__" and issubclass(cls, BaseEstimator):
            continue  # scikit-learn's convention, see the module docstring
        attribute = inspect.getattr_static(cls, name)
        if isinstance(attribute, (staticmethod, classmethod)):
            attribute = attribute.__func__
        if isinstance(attribute, property):
            attribute = attribute.fget
        if inspect.isfunction(attribute) and attribute.__module__.startswith("gatedts"):
            yield f"{cls.__qualname__}.{name}", attribute


def importable(docs_ext, module_name):
    """Whether a module can be imported here: the optional frameworks it needs are
    installed, or Sphinx is, which the docs' walker mocks them with."""
    needed = docs_ext.OPTIONAL_DEPENDENCIES.get(module_name, ())
    return (all(importlib.util.find_spec(name) for name in needed)
            or importlib.util.find_spec("sphinx") is not None)


def public_callables(docs_ext, module_name):
    """``(qualified name, function)`` of every public function and method of a module."""
    module = docs_ext.import_module(module_name)
    for name in docs_ext.public_names(module_name):
        obj = getattr(module, name)
        if inspect.isclass(obj) and obj.__module__.startswith("gatedts"):
            for qualname, function in public_methods(obj):
                yield f"{obj.__module__}.{qualname}", function
        elif inspect.isfunction(obj):
            yield f"{obj.__module__}.{obj.__qualname__}", obj


@pytest.fixture(scope="module")
def docs_ext():
    return load_docs_ext()


def test_missing_hints_names_what_is_missing():
    def partly(a: int, b, *args, c: str = "", **kwargs) -> None: ...

    class Shell:
        def method(self, x: float): ...

    assert missing_hints(partly) == ["b", "args", "kwargs"]
    assert missing_hints(Shell.method) == ["return"]


def test_every_public_callable_is_annotated(docs_ext):
    unannotated, seen = [], set()
    for module_name in filter(lambda name: importable(docs_ext, name),
                              docs_ext.public_modules()):
        for qualname, function in public_callables(docs_ext, module_name):
            if id(function) in seen:
                continue
            seen.add(id(function))
            missing = missing_hints(function)
            if missing:
                unannotated.append(f"{qualname}: {', '.join(missing)}")
    assert len(seen) > 200  # the walk found the API
    assert not unannotated, "public callables without type hints:\n" + "\n".join(unannotated)

