"""Which loops of the CPU kernels LLVM vectorised: a check for kernel authors.

    python benchmarks/vectorization.py

Compiles each kernel afresh (no cache) in its own process with LLVM's
loop-vectoriser remarks on and counts, per kernel and dtype, the loops it
vectorised and the ones it left scalar with the reasons given. Loops that
cannot matter (the ones over batch rows or time, which hold calls) show up as
"not vectorized" too; what to watch is the vectorised count dropping after an
edit of the gate loops.
"""

import collections
import os
import re
import subprocess
import sys
import tempfile

CASES = {
    "gru_forward (reset_after)": "gru_forward(xp, w3, b3, h0, True, hs, g3, hn)",
    "gru_forward (Cho)": "gru_forward(xp, w3, b3, h0, False, hs, g3, hn)",
    "gru_backward": "gru_backward(w3, True, hs, g3, hn, dhs, (d3, d3b, h0, dh))",
    "lstm_forward": "lstm_forward(xp4, w4, b4, peep, True, h0, h0, hs, cs, g4)",
    "lstm_backward": "lstm_backward(w4, peep, True, hs, cs, g4, dhs, (d4, h0, h0.copy(), dh))",
    "rnn_forward": "rnn_forward(xp1, w1, b1, h0, hs)",
    "rnn_backward": "rnn_backward(w1, hs, dhs, d1, h0, dh)",
    "matmul": "matmul(h0, w1, h0.copy())",
}

SETUP = """
import llvmlite.binding as llb
llb.set_option("", "-pass-remarks=loop-vectorize")
llb.set_option("", "-pass-remarks-missed=loop-vectorize")
import numpy as np
from gatedts.nn.cpu.common import matmul
from gatedts.nn.cpu.gru import gru_forward, gru_backward
from gatedts.nn.cpu.lstm import lstm_forward, lstm_backward
from gatedts.nn.cpu.rnn import rnn_forward, rnn_backward
f = np.{dtype}
T, B, H = 3, 4, 8
z = lambda *s: np.zeros(s, f)
xp, xp4, xp1 = z(T, B, 3 * H), z(T, B, 4 * H), z(T, B, H)
w3, w4, w1 = z(3 * H, H), z(4 * H, H), z(H, H)
b3, b4, b1 = z(3 * H), z(4 * H), z(H)
h0, hs, cs = z(B, H), z(T + 1, B, H), z(T + 1, B, H)
hn, dhs, dh = z(T, B, H), z(T, B, H), z(T, B, H)
g3, g4, d3, d3b, d4, d1, peep = z(T, B, 3 * H), z(T, B, 4 * H), z(T, B, 3 * H), z(T, B, 3 * H), \\
    z(T, B, 4 * H), z(T, B, H), z(3, H)
{call}
"""


def remarks(call, dtype):
    code = SETUP.format(dtype=dtype, call=call)
    with tempfile.TemporaryDirectory() as cache:  # an empty cache: everything compiles
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stderr
    found = re.findall(r"remark: .*?: (vectorized loop \(vectorization width: \d+|loop not "
                       r"vectorized(?:: [^.]*)?)", out)
    return collections.Counter(found)


def main():
    for name, call in CASES.items():
        for dtype in ("float32", "float64"):
            counts = remarks(call, dtype)
            done = sum(n for k, n in counts.items() if k.startswith("vectorized"))
            missed = {k: n for k, n in counts.items() if not k.startswith("vectorized")}
            print(f"{name:28} {dtype}: {done:3} vectorised loops; not: {dict(missed)}")


if __name__ == "__main__":
    main()
