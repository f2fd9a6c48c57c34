"""Every Python snippet of README.md runs, in order, as a reader would paste them.

Each snippet runs in a namespace of its own: it sees the values the earlier
ones made (``y``, ``X``, ``f``, ``model``), never the names they imported, so
a snippet that forgets an import fails here as it would in a reader's
session. They run in a subprocess in a temporary directory, so files they
write (``airline.gatedts``) land there. A snippet that starts a Dask cluster
runs as a plain script of its own (Dask's worker processes import the
script, which is why it needs its ``if __name__ == "__main__":`` guard).
Blocks fenced ```` ```py ```` instead need a package this environment cannot
install (sktime); the test of their module runs them (``tests/test_sktime.py``).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

# Runs the snippets of the JSON file argv[1], each in a fresh namespace holding the
# values (not the imports) of the earlier ones.
RUNNER = '''
import ast, json, sys, types


def imported(code):
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def main():
    values = {}
    for i, code in json.load(open(sys.argv[1])):
        print(f"--- snippet {i}", flush=True)
        namespace = {"__name__": "__main__", **values}
        exec(compile(code, f"<README snippet {i}>", "exec"), namespace)
        values.update({name: value for name, value in namespace.items()
                       if not name.startswith("__") and name not in imported(code)
                       and not isinstance(value, types.ModuleType)})


if __name__ == "__main__":
    main()
'''


def python_snippets():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def starts_a_cluster(code):
    return "Client(" in code


def run_python(args, cwd):
    """Python in ``cwd`` on this source tree (not an installed copy of gatedts)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        [str(README.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_readme_has_snippets():
    snippets = python_snippets()
    assert len(snippets) >= 5
    assert any("Forecaster(" in s for s in snippets)
    assert any("read_series(" in s for s in snippets)


def test_every_readme_snippet_runs_in_its_own_namespace(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    snippets = [(i, code) for i, code in enumerate(python_snippets())
                if not starts_a_cluster(code)]
    (tmp_path / "snippets.json").write_text(json.dumps(snippets))
    (tmp_path / "runner.py").write_text(RUNNER)
    done = run_python(["runner.py", "snippets.json"], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert (tmp_path / "airline.gatedts").is_file()
    # The estimator snippet's comment quotes what it prints.
    quoted = re.search(r'print\(f"MAPE .*# (MAPE [\d.]+%)', README.read_text()).group(1)
    assert quoted in done.stdout.splitlines()


def test_the_runner_keeps_values_and_drops_imports(tmp_path):
    snippets = [(0, "import math\nfrom os import sep\nx = math.pi\n"), (1, "y = x * 2\n"),
                (2, "math.sqrt(y)\n")]
    (tmp_path / "snippets.json").write_text(json.dumps(snippets))
    (tmp_path / "runner.py").write_text(RUNNER)
    done = run_python(["runner.py", "snippets.json"], tmp_path)
    assert done.returncode == 1 and "NameError: name 'math' is not defined" in done.stderr


def test_the_dask_snippet_runs_as_a_plain_script(tmp_path):
    pytest.importorskip("distributed")
    scripts = [code for code in python_snippets() if starts_a_cluster(code)]
    assert scripts, "the README has no Dask snippet"
    for k, code in enumerate(scripts):
        assert 'if __name__ == "__main__":' in code
        (tmp_path / f"cluster_{k}.py").write_text(code)
        done = run_python([f"cluster_{k}.py"], tmp_path)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
