"""Sphinx configuration of the gatedts site.

Build (warnings are errors, as in .ci/docs)::

    pip install -e '.[docs]'
    sphinx-build -W --keep-going -b html docs docs/_build/html
    python -m http.server -d docs/_build/html     # then open http://localhost:8000

The API pages are generated from the package at every build
(``_ext/gatedts_docs.py``); the gallery runs ``examples/*.py`` in their fast
mode and the tutorials in ``tutorial_sources/``.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # this checkout's gatedts, whatever is installed

# Gallery scripts and tutorials: small fits, non-interactive plots.
os.environ.setdefault("GATEDTS_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import gatedts_docs  # noqa: E402  (docs/_ext)

import gatedts  # noqa: E402

project = "gatedts"
author = "gatedts developers"
copyright = "gatedts developers"
release = gatedts.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "gatedts_docs",  # last: it connects to autodoc's events
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# The gallery sources' READMEs become auto_examples/index and tutorials/index.
exclude_patterns = ["_build", "tutorial_sources/README.rst", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["gatedts.css"]

# --- API reference --------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections give the types
autodoc_mock_imports = gatedts_docs.missing_optional_dependencies()
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Validate what a reader would see broken: unknown or out-of-order sections
# and parameters documented but not in the signature. Summary style and
# missing sections are not enforced.
numpydoc_validation_checks = {"GL06", "GL07", "PR10"}
# Fitted attributes (``scaler_``) are often one-line properties built from a
# lambda, whose source numpydoc's validator cannot locate (it raises).
numpydoc_validation_exclude = {r"\.\w+_$"}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
}
# The build runs offline in CI: intersphinx inventories are fetched only
# when asked for (GATEDTS_DOCS_INTERSPHINX=1).
if not os.environ.get("GATEDTS_DOCS_INTERSPHINX"):
    intersphinx_mapping = {}

# --- Markdown ------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples", "tutorial_sources"],
    "gallery_dirs": ["auto_examples", "tutorials"],
    "filename_pattern": r"\.py$",  # run every script
    "ignore_pattern": r"__init__\.py",
    "reset_argv": "gatedts_docs.example_args",
    "image_scrapers": ("matplotlib", "gatedts_docs.png_scraper"),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 5,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "capture_repr": (),  # print() output only, not the repr of a last expression
}

# --- HTML ----------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"gatedts {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    # The gallery's and tutorials' code gets the page's full width.
    "secondary_sidebar_items": {"auto_examples/*": [], "tutorials/*": []},
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "why": []}
html_show_sourcelink = False
html_copy_source = False
