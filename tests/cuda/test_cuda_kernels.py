"""Each ``*_cuda`` kernel against its CPU twin: same arguments, same buffers filled."""

import numpy as np
import pytest

from gatedts.nn.cpu import gru as cpu_gru
from gatedts.nn.cpu import lstm as cpu_lstm
from gatedts.nn.cpu import rnn as cpu_rnn

cuda = pytest.importorskip("numba.cuda")
cc = pytest.importorskip("gatedts.nn.cuda.common")
cuda_gru = pytest.importorskip("gatedts.nn.cuda.gru")
cuda_lstm = pytest.importorskip("gatedts.nn.cuda.lstm")
cuda_rnn = pytest.importorskip("gatedts.nn.cuda.rnn")

T, B, H = 4, 3, 3


def _run_twins(cpu_fn, cuda_fn, inputs, outputs, grouped=False):
    """Call both kernels; return the largest difference over the output buffers
    (passed as one tuple argument if ``grouped``, as the backward passes take them)."""
    cpu_out = [np.zeros(shape) for shape in outputs]
    dev_out = [cuda.to_device(np.full(shape, np.nan)) for shape in outputs]
    dev_in = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in inputs]
    if grouped:
        cpu_fn(*inputs, tuple(cpu_out))
        cuda_fn(*dev_in, tuple(dev_out))
    else:
        cpu_fn(*inputs, *cpu_out)
        cuda_fn(*dev_in, *dev_out)
    return max(float(np.max(np.abs(d.copy_to_host() - c))) for d, c in zip(dev_out, cpu_out,
                                                                             strict=True))


@pytest.fixture(params=["weights-in-shared-memory", "weights-in-global-memory"])
def launch(request, monkeypatch):
    if request.param == "weights-in-global-memory":
        monkeypatch.setattr(cc, "SHARED_MEMORY_BYTES", 8 * 6 * H * 2)
    return request.param


@pytest.mark.parametrize("reset_after", [True, False], ids=["reset-after", "cho"])
def test_gru_twins(reset_after, launch):
    rng = np.random.default_rng(0)
    xp, w, b = rng.standard_normal((T, B, 3 * H)), 0.5 * rng.standard_normal((3 * H, H)), \
        rng.standard_normal(3 * H)
    h0 = rng.standard_normal((B, H))
    fwd = [(T + 1, B, H), (T, B, 3 * H), (T, B, H)]
    assert _run_twins(cpu_gru.gru_forward, cuda_gru.gru_forward_cuda,
                      [xp, w, b, h0, reset_after], fwd) < 1e-14
    hs, gates, hn = (np.zeros(s) for s in fwd)
    cpu_gru.gru_forward(xp, w, b, h0, reset_after, hs, gates, hn)
    dhs = rng.standard_normal((T, B, H))
    assert _run_twins(cpu_gru.gru_backward, cuda_gru.gru_backward_cuda,
                      [w, reset_after, hs, gates, hn, dhs],
                      [(T, B, 3 * H), (T, B, 3 * H), (B, H), (T, B, H)], grouped=True) < 1e-14


@pytest.mark.parametrize("peephole", [False, True], ids=["plain", "peephole"])
def test_lstm_twins(peephole, launch):
    rng = np.random.default_rng(1)
    xp, w, b = rng.standard_normal((T, B, 4 * H)), 0.5 * rng.standard_normal((4 * H, H)), \
        rng.standard_normal(4 * H)
    peep, h0, c0 = rng.standard_normal((3, H)), rng.standard_normal((B, H)), \
        rng.standard_normal((B, H))
    fwd = [(T + 1, B, H), (T + 1, B, H), (T, B, 4 * H)]
    assert _run_twins(cpu_lstm.lstm_forward, cuda_lstm.lstm_forward_cuda,
                      [xp, w, b, peep, peephole, h0, c0], fwd) < 1e-14
    hs, cs, gates = (np.zeros(s) for s in fwd)
    cpu_lstm.lstm_forward(xp, w, b, peep, peephole, h0, c0, hs, cs, gates)
    assert _run_twins(cpu_lstm.lstm_backward, cuda_lstm.lstm_backward_cuda,
                      [w, peep, peephole, hs, cs, gates, rng.standard_normal((T, B, H))],
                      [(T, B, 4 * H), (B, H), (B, H), (T, B, H)], grouped=True) < 1e-14


def test_rnn_twins(launch):
    rng = np.random.default_rng(2)
    xp, w, b, h0 = rng.standard_normal((T, B, H)), 0.5 * rng.standard_normal((H, H)), \
        rng.standard_normal(H), rng.standard_normal((B, H))
    assert _run_twins(cpu_rnn.rnn_forward, cuda_rnn.rnn_forward_cuda, [xp, w, b, h0],
                      [(T + 1, B, H)]) < 1e-14
    hs = np.zeros((T + 1, B, H))
    cpu_rnn.rnn_forward(xp, w, b, h0, hs)
    assert _run_twins(cpu_rnn.rnn_backward, cuda_rnn.rnn_backward_cuda,
                      [w, hs, rng.standard_normal((T, B, H))],
                      [(T, B, H), (B, H), (T, B, H)]) < 1e-14
