"""Every Python snippet of README.md runs, in order, as a reader would paste them.

The snippets share one namespace (later ones use the ``y``, ``X``, ``f`` of
earlier ones) and run in a subprocess in a temporary directory, so files they
write (``airline.gatedts``) land there. Blocks fenced ```` ```py ```` instead
need a package this environment cannot install (sktime); the test of their
module runs them (``tests/test_sktime.py``).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_snippets():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_snippets():
    snippets = python_snippets()
    assert len(snippets) >= 5
    assert any("Forecaster(" in s for s in snippets)


def test_every_readme_snippet_runs(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("distributed")
    parts = [f"print('--- snippet {i}', flush=True)\n{code}"
             for i, code in enumerate(python_snippets())]
    script = tmp_path / "readme_snippets.py"
    # The Dask snippet starts a local cluster, which needs the __main__ guard.
    script.write_text("def main():\n" + "".join(
        "    " + line + "\n" for part in parts for line in part.splitlines())
        + "\n\nif __name__ == '__main__':\n    main()\n")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert (tmp_path / "airline.gatedts").is_file()
    # The estimator snippet's comment quotes what it prints.
    quoted = re.search(r'print\(f"MAPE .*# (MAPE [\d.]+%)', README.read_text()).group(1)
    assert quoted in done.stdout.splitlines()
