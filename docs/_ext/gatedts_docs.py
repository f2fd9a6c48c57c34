"""Sphinx glue for the gatedts site: the API pages and the gallery hooks.

The API reference is generated, not hand-kept. At the start of every build
:func:`write_api_pages` walks the ``gatedts`` package and writes one page per
public module (``docs/api/<module>.rst``) with an ``autosummary`` table of its
public names, each of which autosummary then gives a page of its own. A
module is public unless a component of its name starts with an underscore or
it is listed in :data:`INTERNAL`; its public names are its ``__all__``, or
without one the functions and classes it defines whose names do not start
with an underscore. A name exported from several modules (``Forecaster`` is
in ``gatedts``, ``gatedts.forecasting`` and ``gatedts.forecasting.forecaster``)
gets its page in the module that defines it, and the other modules link to
it. A module another helper adds is therefore documented by the next build,
and ``tests/test_docs.py`` checks that every name of ``gatedts.__all__`` has
a home. When the build finishes, :func:`check_api_pages` warns (an error
under ``-W``) about any public name whose HTML page is missing.

The gallery runs ``examples/*.py`` with ``--fast --out <dir>``
(:func:`example_args`); the examples draw on matplotlib ``Figure`` objects
and save PNGs rather than showing pyplot figures, so :func:`png_scraper`
collects the PNGs each one wrote into its folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "gatedts"

#: Modules left out of the API reference, with the reason. Prefixes cover
#: their submodules.
INTERNAL = {
    "gatedts.cli": "the command line; documented on the command-line page",
    "gatedts.training": "the estimators' epoch loop; its public names are in gatedts.estimators",
    "gatedts.nn.cpu": "the Numba kernels behind gatedts.functional",
    "gatedts.nn.cuda": "the CUDA twins of the kernels, behind device='cuda'",
    "gatedts.nn.core": "input checks shared by the two devices",
    "gatedts.nn.cells": "the cell registry used by the kernels",
    "gatedts.nn.params": "parameter layout helpers behind gatedts.functional",
    "gatedts.nn.heads": "the attention head's kernels",
    "gatedts.nn.decoder": "the decoder's kernels, behind functional.forward(decoder=...)",
    "gatedts.nn.scratch": "work buffers of the kernels",
    "gatedts.nn.threads": "BLAS thread limits used by the parallel helpers",
}


#: Modules that import an optional framework. When it is not installed (sktime
#: caps pandas below the version the rest of the docs environment runs), the
#: framework is mocked while the module is imported, here and by autodoc
#: (``autodoc_mock_imports``), so its page still comes from its docstrings.
OPTIONAL_DEPENDENCIES = {
    "gatedts.integrations.sktime": ("sktime",),
}


def missing_optional_dependencies() -> list[str]:
    """The optional frameworks of :data:`OPTIONAL_DEPENDENCIES` not installed."""
    return sorted({name for names in OPTIONAL_DEPENDENCIES.values() for name in names
                   if importlib.util.find_spec(name) is None})


def import_module(module_name: str):
    """Import a gatedts module, mocking the optional frameworks it needs if missing."""
    missing = [name for name in OPTIONAL_DEPENDENCIES.get(module_name, ())
               if importlib.util.find_spec(name) is None]
    if not missing:
        return importlib.import_module(module_name)
    from sphinx.ext.autodoc.mock import mock

    with mock(missing):
        module = importlib.import_module(module_name)
    # Not left behind for code that imports the module later (and should get
    # the clear ImportError): autodoc imports it again under its own mock.
    del sys.modules[module_name]
    parent, _, child = module_name.rpartition(".")
    delattr(sys.modules[parent], child)
    return module


def is_internal(module_name: str) -> bool:
    parts = module_name.split(".")
    if any(part.startswith("_") for part in parts[1:]):
        return True
    return any(module_name == name or module_name.startswith(name + ".") for name in INTERNAL)


def public_modules() -> list[str]:
    """Every public module of gatedts, the package first, then in name order."""
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
        if not is_internal(info.name):
            names.append(info.name)
    return [PACKAGE, *sorted(names[1:])]


def public_names(module_name: str) -> list[str]:
    """The names a module declares public: ``__all__``, or the functions and
    classes it defines that do not start with an underscore."""
    module = import_module(module_name)
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return [name for name in declared if name != "__version__"]
    return sorted(name for name, obj in vars(module).items()
                  if not name.startswith("_")
                  and (inspect.isfunction(obj) or inspect.isclass(obj))
                  and obj.__module__ == module_name)


@dataclass(frozen=True)
class Entry:
    """A public name of a module and where its page lives."""

    module: str
    name: str
    home: str  # the fully qualified name of its page; a module for submodules

    @property
    def is_home(self) -> bool:
        return self.home == f"{self.module}.{self.name}"


def api_entries() -> dict[str, list[Entry]]:
    """For each public module, its public names and the page of each.

    A name's page is in the module that defines it when that module lists
    it, otherwise in the first public module (package first, then by name)
    that lists it. Submodules (``gatedts.functional``) point at their own
    module page.
    """
    modules = public_modules()
    listed = {name: public_names(name) for name in modules}
    homes: dict[int, str] = {}
    for module_name in modules:
        module = import_module(module_name)
        for name in listed[module_name]:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
                continue
            defined_in = getattr(obj, "__module__", None)
            if defined_in in listed and name in listed[defined_in]:
                homes[id(obj)] = f"{defined_in}.{name}"
            else:
                homes.setdefault(id(obj), f"{module_name}.{name}")
    entries = {}
    for module_name in modules:
        module = import_module(module_name)
        rows = []
        for name in listed[module_name]:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                home = obj.__name__
            else:
                home = homes.get(id(obj), f"{module_name}.{name}")
            rows.append(Entry(module_name, name, home))
        entries[module_name] = rows
    return entries


def module_page(module_name: str, rows: list[Entry], modules) -> str:
    title = f"``{module_name}``"
    lines = [title, "=" * len(title), "",
             f".. automodule:: {module_name}", "   :no-members:", "",
             f".. currentmodule:: {module_name}", ""]
    own = [row for row in rows if row.is_home]
    if own:
        lines += [".. autosummary::", "   :toctree: generated/", ""]
        lines += [f"   {row.name}" for row in own]
        lines.append("")
    elsewhere = [row for row in rows if not row.is_home]
    if elsewhere:
        lines += ["Also importable from here:", ""]
        for row in elsewhere:
            role = "mod" if row.home in modules else "obj"
            lines.append(f"* ``{module_name}.{row.name}``: :{role}:`{row.home}`")
        lines.append("")
    return "\n".join(lines)


def write_if_changed(path: Path, text: str) -> None:
    """Leave an unchanged page alone, so Sphinx does not rebuild it."""
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def write_api_pages(app, config) -> None:
    api = Path(app.srcdir) / "api"
    pages = api / "modules"
    pages.mkdir(parents=True, exist_ok=True)
    entries = api_entries()
    for module_name, rows in entries.items():
        write_if_changed(pages / f"{module_name}.rst", module_page(module_name, rows, entries))
    for stale in pages.glob("*.rst"):
        if stale.stem not in entries:
            stale.unlink()
    toc = ["The modules", "-----------", "", ".. toctree::", "   :maxdepth: 1", ""]
    toc += [f"   modules/{name}" for name in entries]
    write_if_changed(api / "modules.rst.inc", "\n".join(toc) + "\n")


def check_api_pages(app, exception) -> None:
    """Warn about a public name whose page the build did not write."""
    if exception is not None or app.builder.name != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    out = Path(app.outdir) / "api"
    for module_name, rows in api_entries().items():
        if not (out / "modules" / f"{module_name}.html").is_file():
            logger.warning("no API page for module %s", module_name)
        for row in rows:
            if row.is_home and not (out / "modules" / "generated" / f"{row.home}.html").is_file():
                logger.warning("no API page for %s", row.home)


def skip_foreign_members(app, what, name, obj, skip, options):
    """Document the members a class defines or inherits from gatedts
    (``Forecaster.predict_interval`` comes from a gatedts mixin), not those
    of scikit-learn's base classes (``get_params``, the generated
    ``set_fit_request``), which scikit-learn documents."""
    if what != "class":
        return None
    defined_in = getattr(getattr(obj, "fget", obj), "__module__", None)
    if isinstance(defined_in, str) and not defined_in.startswith(PACKAGE):
        return True
    return None


# --- the command line ------------------------------------------------------


def cli_commands(top_help: str) -> list[str]:
    """The subcommands listed under ``COMMAND`` in ``gatedts --help``."""
    commands, listing = [], False
    for line in top_help.splitlines():
        if line.strip() == "COMMAND":
            listing = True
        elif listing and not line.strip():
            break
        elif listing and line.startswith("    ") and not line.startswith("     "):
            commands.append(line.split()[0])
    return commands


def write_cli_help(app, config) -> None:
    """``gatedts --help`` and each command's, for the command-line page:
    the text the installed parser prints, so the page cannot fall behind it."""
    import subprocess
    import sys

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "gatedts", *args, "--help"],
                              capture_output=True, text=True, check=True,
                              cwd=Path(app.srcdir).parent, env={**os.environ, "COLUMNS": "88"})
        return done.stdout

    top = run()
    parts = ["## `gatedts --help`", "", "```text", top.rstrip(), "```", ""]
    for command in cli_commands(top):
        parts += [f"## `gatedts {command} --help`", "", "```text", run(command).rstrip(), "```", ""]
    write_if_changed(Path(app.srcdir) / "user_guide" / "cli_help.md.inc", "\n".join(parts))


# --- the gallery ----------------------------------------------------------

GALLERY_OUT = Path(tempfile.gettempdir()) / "gatedts-docs-gallery"


def example_out(src_file) -> Path:
    return GALLERY_OUT / Path(src_file).stem


def example_args(gallery_conf, script_vars) -> list[str]:
    """``sys.argv[1:]`` of a gallery script: the examples' fast mode and a
    folder of their own for the PNGs; the tutorials take no arguments."""
    src = Path(script_vars["src_file"])
    if src.parent.name != "examples":
        return []
    out = example_out(src)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return ["--fast", "--out", str(out)]


def png_scraper(block, block_vars, gallery_conf):
    """The PNGs an example wrote into its ``--out`` folder, in name order."""
    from sphinx_gallery.scrapers import figure_rst

    out = example_out(block_vars["src_file"])
    if not out.is_dir():
        return ""
    images = []
    for png in sorted(out.glob("*.png")):
        target = block_vars["image_path_iterator"].next()
        shutil.move(png, target)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])


def setup(app):
    # Before Sphinx lists the source files, which autosummary then reads.
    app.connect("config-inited", write_api_pages)
    app.connect("config-inited", write_cli_help)
    app.connect("build-finished", check_api_pages)
    app.connect("autodoc-skip-member", skip_foreign_members)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
