"""gatedts._moved: the module paths of gatedts 0.1 still import, and say where they went.

Each old path is the new module itself and warns (DeprecationWarning) with the
new path and the version that removes it, at the user's line; the public
``gatedts.functional`` does not warn. Imports run in a subprocess, so that
each old path is imported for the first time.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gatedts import _moved

ROOT = Path(__file__).resolve().parents[1]


def _run(code):
    """stderr of ``code`` run as a script in a fresh interpreter (DeprecationWarnings on)."""
    done = subprocess.run([sys.executable, "-W", "default::DeprecationWarning", "-c", code],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return done.stderr


@pytest.mark.parametrize(("name", "statement"), [
    ("windows", "import gatedts.windows as old"),
    ("metrics", "from gatedts import metrics as old"),
    ("compare", "import gatedts; old = gatedts.compare"),
])
def test_an_old_path_is_the_new_module_and_warns_with_its_new_path(name, statement):
    new = _moved.MOVED[name]
    stderr = _run(f"{statement}\nimport {new} as moved\nassert old is moved")
    assert stderr.count("DeprecationWarning") == 1, stderr
    assert f"gatedts.{name} moved to {new}" in stderr
    assert f"gatedts {_moved.REMOVED_IN} removes" in stderr
    assert stderr.startswith("<string>:1:"), stderr  # the user's line, not importlib's


def test_the_public_functional_module_does_not_warn():
    assert _run("import gatedts.functional\nfrom gatedts import functional") == ""


def test_the_removal_version_is_later_than_this_one():
    from gatedts import __version__

    def as_tuple(version):  # the release numbers: "0.2.0.dev0" -> (0, 2, 0)
        return tuple(int(part) for part in re.match(r"\d+(\.\d+)*", version)[0].split("."))

    assert as_tuple(_moved.REMOVED_IN) > as_tuple(__version__)
