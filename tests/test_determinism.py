"""Same random_state, same bits: across runs, thread counts and a save/load round trip."""

import hashlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from gatedts import GRURegressor, LSTMRegressor, load, save

FIT_AND_DIGEST = """
import hashlib, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
from gatedts import GRURegressor, LSTMRegressor
cls = {"gru": GRURegressor, "lstm": LSTMRegressor}[sys.argv[1]]
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 12, 2)).astype(np.float32)
y = X[:, -3:, 0].sum(axis=1)
# batch 96: three chunks of the batch run in parallel when threads allow
model = cls(hidden_size=(16, 8), batch_size=96, max_iter=3, dropout=0.1, random_state=7).fit(X, y)
h = hashlib.sha256()
for key in sorted(model.params_):
    h.update(model.params_[key].tobytes())
h.update(model.predict(X).tobytes())
print(h.hexdigest())
"""


def _digest_in_subprocess(cell, threads):
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "OPENBLAS_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", FIT_AND_DIGEST, cell], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.split()[-1]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_bit_identical_across_thread_counts_and_runs(cell):
    one = _digest_in_subprocess(cell, 1)
    two = _digest_in_subprocess(cell, 2)
    again = _digest_in_subprocess(cell, 2)
    assert one == two == again


def _bits(model, X):
    h = hashlib.sha256()
    for key in sorted(model.params_):
        h.update(model.params_[key].tobytes())
    h.update(model.predict(X).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("cls", [GRURegressor, LSTMRegressor])
def test_bit_identical_after_save_and_load(cls, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 10)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(hidden_size=8, max_iter=2, random_state=3).fit(X, X[:, -1])
        twin = cls(hidden_size=8, max_iter=2, random_state=3).fit(X, X[:, -1])
    assert _bits(model, X) == _bits(twin, X)
    assert _bits(load(save(model, tmp_path / "model.gdts")), X) == _bits(model, X)


def test_predictions_do_not_depend_on_the_batch():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 16, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMRegressor(hidden_size=12, max_iter=1, random_state=0).fit(X, X[:, -1, 0])
    whole = model.predict(X)
    one_by_one = np.concatenate([model.predict(X[i : i + 1]) for i in range(0, 300, 37)])
    np.testing.assert_array_equal(one_by_one, whole[::37])
    np.testing.assert_array_equal(model.predict(X[5:77]), whole[5:77])
