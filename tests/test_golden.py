"""Golden tests: the forecasts and intervals of tests/golden/cases.py, pinned before the
issue-24 refactor, and a model file saved in format 2 that must keep predicting them.

On the CPU kind that wrote them (golden.json's ``cpu_kind``, or a case's own when it was
rewritten later, as LLVM names it) they match to the last bit. On another kind, BLAS and
the compiled kernels round differently and hundreds of training epochs carry that
rounding into the weights, so they match to 1e-5 relative. The "auto" case also goes
through numpy's BLAS and scipy's optimizer, whose results change between releases (the
floors' venv): 1e-6 relative on its own CPU kind.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from gatedts import load

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))

from cases import CASES, LIBRARY_DEPENDENT, cpu_kind, run_case  # noqa: E402

GOLDEN = json.loads((GOLDEN_DIR / "golden.json").read_text())
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _assert_matches(result, expected, library_dependent=False):
    assert result["index"] == expected["index"]
    same_cpu = expected.get("cpu_kind", GOLDEN["cpu_kind"]) == cpu_kind()
    for key in ("forecast", "lower", "upper"):
        if same_cpu and not library_dependent:
            assert result[key] == expected[key], key
        else:
            np.testing.assert_allclose(result[key], expected[key],
                                       rtol=1e-6 if same_cpu else 1e-5, err_msg=key)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forecasts_unchanged(name):
    _, result = run_case(name)
    _assert_matches(result, GOLDEN["cases"][name],
                    library_dependent=name in LIBRARY_DEPENDENT)


def test_format_2_file_predicts_unchanged():
    forecaster = load(GOLDEN_DIR / "forecaster_v2.gdts")
    expected = GOLDEN["cases"]["airline"]
    forecast = forecaster.predict()
    interval = forecaster.predict_interval(coverage=0.9)
    result = {"index": [str(t) for t in forecast.index],
              "forecast": [float(v) for v in forecast.to_numpy()],
              "lower": [float(v) for v in interval["lower"].to_numpy()],
              "upper": [float(v) for v in interval["upper"].to_numpy()]}
    _assert_matches(result, expected)
