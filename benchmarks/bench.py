"""gatedts against PyTorch on the CPU: training step, one-window prediction,
compile time, memory and thread scaling. One run, side by side, printed tables.

    pip install -e '.[bench]'
    python benchmarks/bench.py            # the full grid (a few minutes)
    python benchmarks/bench.py --quick    # two small shapes, fewer repeats

Both libraries use the same number of threads (``--threads``, default: all
cores), float32, the same shapes, warmed up, and the median of repeats. Run it
on an otherwise idle machine.
"""

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import warnings

GRID = [(32, 24, 1, 32, 1), (64, 48, 1, 64, 1), (64, 48, 1, 64, 2), (128, 96, 4, 128, 2),
        (256, 168, 8, 256, 1)]
QUICK_GRID = GRID[:2]
N_GATES = {"gru": 3, "lstm": 4, "rnn": 1}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cells", default="gru,lstm,rnn")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--only", default="train,predict,compile,memory,threads")
    return parser.parse_args()


def median_time(fn, repeats, min_seconds=0.2):
    import numpy as np

    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) >= 20 * repeats:
            break
    return float(np.median(times))


def training_flops(cell, B, T, n_in, H, L):
    """6·B·T·G·H·(I_k + H) summed over layers: forward 2, backward 4 flops per MAC."""
    G = N_GATES[cell]
    return sum(6 * B * T * G * H * ((n_in if k == 0 else H) + H) for k in range(L))


def make_problem(cell, B, T, n_in, H, L, seed=0):
    import numpy as np
    import torch

    torch.manual_seed(seed)
    module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "rnn": torch.nn.RNN}[cell]
    rnn = module(n_in, H, num_layers=L, batch_first=True)
    head = torch.nn.Linear(H, 1)
    params = {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}
    params.update({f"head.{k}": v.detach().numpy().copy() for k, v in head.state_dict().items()})
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, T, n_in)).astype(np.float32)
    y = rng.standard_normal((B, 1)).astype(np.float32)
    return rnn, head, params, X, y


def bench_training(cells, grid, repeats):
    import torch

    from gatedts import functional as F

    rows = []
    for cell in cells:
        for shape in grid:
            rnn, head, params, X, y = make_problem(cell, *shape)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

            def torch_step(rnn=rnn, head=head, Xt=Xt, yt=yt):
                rnn.zero_grad(set_to_none=True)
                head.zero_grad(set_to_none=True)
                out, _ = rnn(Xt)
                torch.nn.functional.mse_loss(head(out[:, -1]), yt).backward()

            def gatedts_step(cell=cell, params=params, X=X, y=y):
                F.loss_and_grad(cell, params, X, y, check_input=False)

            t_torch = median_time(torch_step, repeats)
            t_ours = median_time(gatedts_step, repeats)
            flops = training_flops(cell, *shape)
            rows.append((cell, shape, t_ours, t_torch, flops / t_ours / 1e9))
    return rows


def bench_predict(cells, grid, repeats):
    import numpy as np
    import torch

    from gatedts import GRURegressor, LSTMRegressor, RNNRegressor
    from gatedts import functional as F

    classes = {"gru": GRURegressor, "lstm": LSTMRegressor, "rnn": RNNRegressor}
    rows = []
    for cell in cells:
        for shape in grid:
            H, L = shape[3:]
            rnn, head, params, X, _ = make_problem(cell, *shape)
            window = X[:1]
            Xt = torch.from_numpy(window)
            model = classes[cell](hidden_size=H, num_layers=L, max_iter=1)
            model.fit(X[:4], np.zeros(4))  # fitted attributes; then the same weights as torch
            model.params_ = {k: v.copy() for k, v in params.items()}

            def torch_predict(rnn=rnn, head=head, Xt=Xt):
                with torch.no_grad():
                    return head(rnn(Xt)[0][:, -1])

            t_torch = median_time(torch_predict, repeats * 10)
            t_functional = median_time(
                lambda cell=cell, params=params, window=window: F.predict(cell, params, window),
                repeats * 10)
            t_estimator = median_time(lambda model=model, window=window: model.predict(window),
                                      repeats * 10)
            rows.append((cell, shape, t_functional, t_estimator, t_torch))
    return rows


FIRST_FIT = """
import time
t0 = time.perf_counter()
import numpy as np
from gatedts import GRURegressor
X = np.random.default_rng(0).standard_normal((64, 24))
model = GRURegressor(hidden_size=16, max_iter=1).fit(X, X[:, -1])
model.predict(X[:1])
print(time.perf_counter() - t0)
"""


def bench_compile():
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONWARNINGS": "ignore"}
        for label in ("cold cache (compiles)", "warm cache"):
            out = subprocess.run([sys.executable, "-c", FIRST_FIT], env=env, check=True,
                                 capture_output=True, text=True).stdout
            rows.append((label, float(out.split()[-1])))
    return rows


MEMORY = """
import sys, numpy as np
sys.path.insert(0, {here!r})
from bench import make_problem
import torch
from gatedts import functional as F
cell, lib = sys.argv[1], sys.argv[2]
rnn, head, params, X, y = make_problem(cell, *{shape!r})
F.loss_and_grad(cell, params, X[:2], y[:2])  # compile outside the measurement

def rss_peak():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))

def rss_now():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak to the current resident size
before = rss_now()
if lib == "torch":
    out, _ = rnn(torch.from_numpy(X))
    torch.nn.functional.mse_loss(head(out[:, -1]), torch.from_numpy(y)).backward()
else:
    F.loss_and_grad(cell, params, X, y)
print((rss_peak() - before) / 1024)
"""


def bench_memory(cells):
    here = os.path.dirname(os.path.abspath(__file__))
    code = MEMORY.format(here=here, shape=GRID[-1])
    rows = []
    for cell in cells:
        peak = {}
        for lib in ("gatedts", "torch"):
            out = subprocess.run([sys.executable, "-c", code, cell, lib], check=True,
                                 capture_output=True, text=True).stdout
            peak[lib] = float(out.split()[-1])
        rows.append((cell, peak["gatedts"], peak["torch"]))
    return rows


THREADS = """
import hashlib, sys, time, numpy as np
sys.path.insert(0, {here!r})
from bench import make_problem, median_time
from gatedts import functional as F
cell = sys.argv[1]
shape = tuple(int(v) for v in sys.argv[2].split(","))
_, _, params, X, y = make_problem(cell, *shape)
loss, grads = F.loss_and_grad(cell, params, X, y)
digest = hashlib.sha256(b"".join(grads[k].tobytes() for k in sorted(grads))).hexdigest()
t = median_time(lambda: F.loss_and_grad(cell, params, X, y, check_input=False), {repeats})
print(t, digest)
"""


def bench_threads(cells, grid, repeats, threads):
    here = os.path.dirname(os.path.abspath(__file__))
    code = THREADS.format(here=here, repeats=repeats)
    rows = []
    for cell in cells:
        for shape in grid:
            if shape[0] < 64:
                continue
            result = {}
            for n in (1, threads):
                env = {**os.environ, "NUMBA_NUM_THREADS": str(n), "OMP_NUM_THREADS": str(n),
                       "OPENBLAS_NUM_THREADS": str(n)}
                out = subprocess.run([sys.executable, "-c", code, cell,
                                      ",".join(map(str, shape))], env=env, check=True,
                                     capture_output=True, text=True).stdout.split()
                result[n] = (float(out[0]), out[1])
            rows.append((cell, shape, result[1][0], result[threads][0],
                         result[1][1] == result[threads][1]))
    return rows


def matmul_gflops(threads):
    import numpy as np

    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    t = median_time(lambda: a @ a, 5)
    return 2 * 2048**3 / t / 1e9


def machine():
    import numba
    import numpy
    import torch

    cpu = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, numpy {numpy.__version__}, numba "
            f"{numba.__version__}, torch {torch.__version__}")


def main():
    args = parse_args()
    warnings.simplefilter("ignore")
    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    import numba

    numba.set_num_threads(args.threads)
    cells = args.cells.split(",")
    grid = QUICK_GRID if args.quick else GRID
    repeats = args.repeats or (5 if args.quick else 15)
    only = set(args.only.split(","))
    print(f"machine: {machine()}")
    print(f"threads: {args.threads} (torch and numba), float32, median of >= {repeats} runs")
    print(f"numpy float32 matmul 2048²: {matmul_gflops(args.threads):.0f} GFLOP/s\n")
    results = {}
    if "train" in only:
        rows = bench_training(cells, grid, repeats)
        results["train"] = rows
        print("training step (forward + BPTT + MSE, no optimizer)")
        print(f"{'cell':5} {'(B, T, I, H, L)':22} {'gatedts ms':>11} {'torch ms':>9} "
              f"{'ratio':>6} {'GFLOP/s':>8}")
        for cell, shape, ours, theirs, gflops in rows:
            print(f"{cell:5} {shape!s:22} {ours * 1e3:11.3f} {theirs * 1e3:9.3f} "
                  f"{ours / theirs:6.2f} {gflops:8.1f}")
        print()
    if "predict" in only:
        rows = bench_predict(cells, grid, repeats)
        results["predict"] = rows
        print("predicting one window (batch 1)")
        print(f"{'cell':5} {'(B, T, I, H, L)':22} {'functional µs':>14} {'estimator µs':>13} "
              f"{'torch µs':>9} {'f/torch':>8} {'e/torch':>8}")
        for cell, shape, fun, est, theirs in rows:
            print(f"{cell:5} {shape!s:22} {fun * 1e6:14.1f} {est * 1e6:13.1f} "
                  f"{theirs * 1e6:9.1f} {fun / theirs:8.3f} {est / theirs:8.3f}")
        print()
    if "compile" in only:
        rows = bench_compile()
        results["compile"] = rows
        print("first fit of a tiny GRU in a fresh process, import included")
        for label, seconds in rows:
            print(f"  {label:24} {seconds:6.2f} s")
        print()
    if "memory" in only:
        rows = bench_memory(cells)
        results["memory"] = rows
        print(f"peak RSS growth of one training step at {GRID[-1]}")
        for cell, ours, theirs in rows:
            print(f"  {cell:5} gatedts {ours:8.1f} MiB   torch {theirs:8.1f} MiB")
        print()
    if "threads" in only and args.threads > 1:
        rows = bench_threads(cells, grid, repeats, args.threads)
        results["threads"] = rows
        print(f"training step, 1 thread vs {args.threads} (fresh processes)")
        for cell, shape, one, many, same in rows:
            print(f"  {cell:5} {shape!s:22} 1: {one * 1e3:8.3f} ms  {args.threads}: "
                  f"{many * 1e3:8.3f} ms  speed-up {one / many:4.2f}  "
                  f"bit-identical: {same}")
    digest = hashlib.sha256(json.dumps(results, default=str).encode()).hexdigest()[:12]
    print(f"\n(results digest {digest})")


if __name__ == "__main__":
    main()
