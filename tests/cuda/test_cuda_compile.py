"""The kernels compile for a real card (sm_90), which the simulator never checks."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _nvvm_home():
    home = os.environ.get("CUDA_HOME")
    if home and (Path(home) / "nvvm").is_dir():
        return home
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvcc")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    home = Path(next(iter(spec.submodule_search_locations)))
    return str(home) if (home / "nvvm" / "lib64").is_dir() else None


@pytest.mark.skipif(_nvvm_home() is None,
                    reason="needs NVVM: CUDA_HOME or pip install nvidia-cuda-nvcc-cu12")
def test_every_kernel_compiles_for_sm90():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["CUDA_HOME"] = _nvvm_home()
    script = Path(__file__).with_name("compile_kernels.py")
    result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    f64_ops = json.loads(result.stdout)
    assert len(f64_ops) == 35
    # float32 kernels stay in float32, except where float64 is the point: the
    # loss values and the sums of squares accumulate in float64, as on the CPU.
    float32_in_f64 = {k: n for k, n in f64_ops.items()
                      if k.endswith("[float32]") and n and not k.startswith(("loss", "sum_"))}
    assert not float32_in_f64
