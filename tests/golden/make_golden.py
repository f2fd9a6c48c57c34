"""Writes tests/golden/golden.json and tests/golden/forecaster_v2.gdts.

Run once, on the code before a refactor, to pin its forecasts:
``python tests/golden/make_golden.py``. tests/test_golden.py then checks that
the code still gives them (exactly on the CPU kind that wrote them).

``python tests/golden/make_golden.py auto`` rewrites only the cases named, for a
deliberate change of what they forecast (a commit of its own, saying why); each
rewritten case records the CPU kind that wrote it.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from cases import CASES, cpu_kind, run_case  # noqa: E402

from gatedts import save  # noqa: E402


def main(names=()):
    if names:
        golden = json.loads((HERE / "golden.json").read_text())
    else:
        golden = {"cpu_kind": cpu_kind(), "cases": {}}
    for name in names or CASES:
        forecaster, result = run_case(name)
        golden["cases"][name] = {**result, "cpu_kind": cpu_kind()} if names else result
        if name == "airline" and not names:
            save(forecaster, HERE / "forecaster_v2.gdts")
    (HERE / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")


if __name__ == "__main__":
    unknown = set(sys.argv[1:]) - set(CASES)
    if unknown:
        sys.exit(f"unknown cases {sorted(unknown)}; choose from {sorted(CASES)}")
    main(tuple(sys.argv[1:]))
