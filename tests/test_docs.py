"""The documentation site's API reference covers the public API.

``docs/_ext/gatedts_docs.py`` decides which modules and names get API pages
(the build writes them, and fails with ``-W`` if one is missing). These
checks run without building the site: every name of ``gatedts.__all__`` has a
page in a documented module, and every module is either documented or listed
as internal on purpose. They need Sphinx (its mock stands in for sktime), so
they skip without the ``docs`` extra; ``.ci/docs`` runs them after installing it.
"""

import pkgutil

import pytest
from helpers import load_docs_ext

import gatedts

pytest.importorskip("sphinx", reason="needs the docs extra: pip install -e '.[docs]'")


@pytest.fixture(scope="module")
def docs_ext():
    return load_docs_ext()


@pytest.fixture(scope="module")
def entries(docs_ext):
    return docs_ext.api_entries()


def test_every_top_level_name_has_an_api_page(entries):
    pages = {row.home for rows in entries.values() for row in rows if row.is_home}
    modules = set(entries)
    for name in gatedts.__all__:
        if name == "__version__":
            continue
        row = next(r for r in entries["gatedts"] if r.name == name)
        assert row.home in pages | modules, f"gatedts.{name} has no API page ({row.home})"


def test_every_declared_public_name_has_an_api_page(docs_ext, entries):
    pages = {row.home for rows in entries.values() for row in rows if row.is_home}
    modules = set(entries)
    for module_name, rows in entries.items():
        module = docs_ext.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name == "__version__":
                continue
            row = next(r for r in rows if r.name == name)
            assert row.home in pages | modules, f"{module_name}.{name}: no page"


def test_internal_modules_exist(docs_ext):
    """A stale entry would hide a renamed module's replacement from the reference."""
    names = {info.name for info in pkgutil.walk_packages(gatedts.__path__, "gatedts.")}
    for name in docs_ext.INTERNAL:
        assert name in names, f"INTERNAL lists {name}, which is not a module of gatedts"


def test_a_new_public_module_is_documented(docs_ext):
    modules = docs_ext.public_modules()
    assert "gatedts.forecasting.windows" in modules
    assert "gatedts.nn.functional" in modules
    assert not any(name.startswith("gatedts.nn.cpu") for name in modules)
    assert docs_ext.is_internal("gatedts.nn.cuda.gru")
    assert docs_ext.is_internal("gatedts.forecasting._series")
    assert not docs_ext.is_internal("gatedts.some_new_module")


def test_the_sktime_adapter_is_documented_without_sktime(entries):
    """Its page is built with sktime mocked when sktime is not installed."""
    homes = [row.home for row in entries["gatedts.integrations.sktime"]]
    assert homes == ["gatedts.integrations.sktime.GatedtsForecaster"]


def test_cli_commands_are_read_from_the_help(docs_ext):
    top = ("usage: gatedts [-h] COMMAND ...\n\npositional arguments:\n  COMMAND\n"
           "    forecast  fit a network\n    compare   RNN vs GRU vs LSTM\n"
           "              budgets\n    warm-up   compile\n\noptions:\n  -h, --help  help\n")
    assert docs_ext.cli_commands(top) == ["forecast", "compare", "warm-up"]
