"""gatedts against PyTorch on the CPU: training step, one-window prediction,
compile time, memory and thread scaling; and forecasting end to end against
neuralforecast and statsforecast. One run, side by side, printed tables.

    pip install -e '.[bench]'
    python benchmarks/bench.py            # every section (end-to-end is the slow one)
    python benchmarks/bench.py --quick    # two small shapes, fewer repeats
    python benchmarks/bench.py --section train,predict
    python benchmarks/bench.py --section end-to-end --neuralforecast-python /work/venv-nf/bin/python

Both libraries use the same number of threads (``--threads``, default: all
cores), float32, the same shapes, warmed up. gatedts and PyTorch are timed in
alternation in the same process (``--rounds`` rounds, each the median of
repeats; the table shows the best round of each), so a load that comes and
goes hits both alike. Run it on an otherwise idle machine.
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
SECTIONS = ("train", "predict", "compile", "memory", "threads", "end-to-end")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--shapes", default=None,
                        help="indices into the grid, e.g. 0,1,2,3 for the four smaller shapes")
    parser.add_argument("--cells", default="gru,lstm,rnn")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of gatedts and PyTorch timings")
    parser.add_argument("--section", "--only", dest="only", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--neuralforecast-python", default=None,
                        help="interpreter of a venv with neuralforecast (end-to-end; "
                             "skipped when absent)")
    parser.add_argument("--datasets", default="airline,co2,sf_temps",
                        help="end-to-end: bundled datasets")
    args = parser.parse_args()
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    return args


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


def interleaved(fns, repeats, rounds, min_seconds=0.2):
    """Best-of-``rounds`` medians of each function, the functions timed in turn
    in every round: a load that comes and goes hits all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], median_time(fn, repeats, min_seconds))
    return best


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


def bench_training(cells, grid, repeats, rounds):
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

            t_ours, t_torch = interleaved([gatedts_step, torch_step], repeats, rounds)
            flops = training_flops(cell, *shape)
            rows.append((cell, shape, t_ours, t_torch, flops / t_ours / 1e9))
    return rows


def bench_predict(cells, grid, repeats, rounds):
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

            t_functional, t_estimator, t_torch = interleaved(
                [lambda cell=cell, params=params, window=window: F.predict(cell, params, window),
                 lambda model=model, window=window: model.predict(window),
                 torch_predict], repeats * 10, rounds)
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


def bench_threads(cells, grid, repeats, rounds, threads):
    """Training step on 1 thread and on ``threads`` in this process (numba.set_num_threads),
    timed in alternation, and whether the loss and gradients are the same bits."""
    import numba

    from gatedts import functional as F

    rows = []
    for cell in cells:
        for shape in grid:
            if shape[0] < 64:  # one 32-row chunk: nothing runs in parallel
                continue
            _, _, params, X, y = make_problem(cell, *shape)
            digests = {}
            for n in (1, threads):
                numba.set_num_threads(n)
                loss, grads = F.loss_and_grad(cell, params, X, y)
                digests[n] = hashlib.sha256(
                    np_bytes(loss) + b"".join(grads[k].tobytes() for k in sorted(grads))
                ).hexdigest()

            def step_on(n, cell=cell, params=params, X=X, y=y):
                def step():
                    numba.set_num_threads(n)
                    F.loss_and_grad(cell, params, X, y, check_input=False)
                return step

            one, many = interleaved([step_on(1), step_on(threads)], repeats, rounds)
            numba.set_num_threads(threads)
            rows.append((cell, shape, one, many, digests[1] == digests[threads]))
    return rows


def np_bytes(value):
    import numpy as np

    return np.asarray(value).tobytes()


def matmul_gflops():
    """numpy's float32 GEMM at 2048² with its BLAS's own threads: the peak the
    training table's "% peak" refers to (best of 3 medians)."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    t = min(median_time(lambda: a @ a, 5) for _ in range(3))
    return 2 * 2048**3 / t / 1e9


# ------------------------------------------------------------------ end to end

# name -> (loader in gatedts.datasets, pandas frequency, horizon, season length)
E2E_DATASETS = {
    "airline": ("load_airline", "MS", 12, 12),
    "co2": ("load_co2", "MS", 12, 12),
    "sf_temps": ("load_sf_temps", "h", 24, 24),
}

# Run by the interpreter of the neuralforecast venv: fit + predict of its GRU and LSTM with
# default settings (only the trainer's progress bar, logger and model summary are off),
# timed inside the process; prints one JSON line.
NEURALFORECAST = r"""
import json, logging, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import GRU, LSTM
import_seconds = time.perf_counter() - t0
for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric"):
    logging.getLogger(name).setLevel(logging.ERROR)
quiet = dict(enable_progress_bar=False, logger=False, enable_model_summary=False)
specs = json.loads(sys.argv[1])
frames = {name: pd.read_csv(path, parse_dates=["ds"]) for name, path, _, _ in specs}
# untimed warm-up: one 1-step fit, so the first timed fit pays no one-off set-up
first = specs[0]
NeuralForecast(models=[GRU(h=first[3], max_steps=1, **quiet)], freq=first[2]).fit(frames[first[0]])
rows = []
for model in (GRU, LSTM):
    for name, _, freq, h in specs:
        start = time.perf_counter()
        nf = NeuralForecast(models=[model(h=h, random_seed=0, **quiet)], freq=freq)
        nf.fit(frames[name])
        forecast = nf.predict()
        rows.append([model.__name__, name, time.perf_counter() - start, len(forecast)])
import neuralforecast, torch
print(json.dumps({"import": import_seconds, "rows": rows,
                  "versions": {"neuralforecast": neuralforecast.__version__,
                               "torch": torch.__version__, "pandas": pd.__version__}}))
"""

# Size and import time of a distribution, run by whichever interpreter has it installed.
INSTALL_SIZE = r"""
import json, os, re, sys
from importlib import metadata
from packaging.requirements import Requirement

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def dist_size(dist):
    total = 0
    for f in dist.files or []:
        try:
            total += os.path.getsize(dist.locate_file(f))
        except OSError:
            pass
    direct = (dist.read_text("direct_url.json") or "").replace(" ", "")
    if '"editable":true' in direct:
        # an editable install lists only its .pth: count the package's source tree
        for top in (dist.read_text("top_level.txt") or dist.metadata["Name"]).split():
            spec = __import__("importlib.util").util.find_spec(top)
            for root in (spec.submodule_search_locations or []) if spec else []:
                for folder, dirs, files in os.walk(root):
                    dirs[:] = [d for d in dirs if d != "__pycache__"]
                    total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    return total

def closure(name):
    seen, todo = {}, [name]
    while todo:
        req = todo.pop()
        try:
            dist = metadata.distribution(req)
        except metadata.PackageNotFoundError:
            continue
        key = norm(dist.metadata["Name"])
        if key in seen:
            continue
        seen[key] = dist
        for line in dist.requires or []:
            r = Requirement(line)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return seen

out = {}
for name in sys.argv[1:]:
    deps = closure(name)
    if not deps:
        continue
    own = dist_size(next(iter(deps.values())))
    out[name] = {"own": own, "with_deps": sum(dist_size(d) for d in deps.values()),
                 "n_dists": len(deps), "version": metadata.version(name)}
print(json.dumps(out))
"""

IMPORT_TIME = ("import time; t = time.perf_counter(); import {module}; "
               "print(time.perf_counter() - t)")


def import_seconds(python, module, runs=3):
    """Median wall time of ``import module`` in fresh interpreters (after one
    untimed run that leaves the bytecode and the disk cache warm)."""
    import statistics

    code = IMPORT_TIME.format(module=module)
    subprocess.run([python, "-c", code], check=True, capture_output=True)
    times = [float(subprocess.run([python, "-c", code], check=True, capture_output=True,
                                  text=True).stdout.split()[-1]) for _ in range(runs)]
    return statistics.median(times)


def install_sizes(python, names):
    out = subprocess.run([python, "-c", INSTALL_SIZE, *names], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def e2e_series(names):
    from gatedts import datasets

    series = {}
    for name in names:
        loader, freq, h, season = E2E_DATASETS[name]
        y = getattr(datasets, loader)().astype(float)
        series[name] = (y, freq, h, season)
    return series


def progress(row):
    """One finished fit on stderr, as it happens (the section takes minutes)."""
    print(f"  [{row[0]} {row[1]} {row[2]}: {row[3]:.2f} s]", file=sys.stderr, flush=True)


def bench_end_to_end(names, nf_python):
    """Rows (library, model, dataset, seconds of fit + predict, n_obs) and per-package
    facts (import seconds, install size, version)."""
    import tempfile

    import numpy as np
    import pandas as pd

    from gatedts import Forecaster

    series = e2e_series(names)
    rows = []
    # gatedts: one untimed warm-up per cell (Numba's cache loaded, or compiled)
    for cell in ("gru", "lstm"):
        y, _, h, _ = series[names[0]]
        Forecaster(cell, horizon=h, network_options={"max_iter": 1}, random_state=0).fit(y)
        for name, (y, _, h, _) in series.items():
            start = time.perf_counter()
            forecast = Forecaster(cell, horizon=h, random_state=0).fit(y).predict()
            rows.append(("gatedts", f"Forecaster({cell!r})", name,
                         time.perf_counter() - start, len(y)))
            progress(rows[-1])
            assert len(forecast) == h and np.isfinite(forecast).all()
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS

    def frame(name):
        y = series[name][0]
        return pd.DataFrame({"unique_id": name, "ds": y.index, "y": y.to_numpy()})

    for model in (AutoARIMA, AutoETS):
        name = names[0]
        _, freq, h, season = series[name]
        StatsForecast(models=[model(season_length=season)], freq=freq).fit(frame(name))  # warm
        for name, (y, freq, h, season) in series.items():
            df = frame(name)
            start = time.perf_counter()
            sf = StatsForecast(models=[model(season_length=season)], freq=freq)
            sf.fit(df)
            forecast = sf.predict(h=h)
            rows.append(("statsforecast", model.__name__, name, time.perf_counter() - start,
                         len(y)))
            progress(rows[-1])
            assert len(forecast) == h
    packages = {
        "gatedts": {"import": import_seconds(sys.executable, "gatedts"),
                    **install_sizes(sys.executable, ["gatedts"])["gatedts"]},
        "statsforecast": {"import": import_seconds(sys.executable, "statsforecast"),
                          **install_sizes(sys.executable, ["statsforecast"])["statsforecast"]},
    }
    note = None
    if nf_python and os.path.exists(nf_python):
        with tempfile.TemporaryDirectory() as folder:
            specs = []
            for name, (_, freq, h, _) in series.items():
                path = os.path.join(folder, f"{name}.csv")
                frame(name).to_csv(path, index=False)
                specs.append([name, path, freq, h])
            done = subprocess.run([nf_python, "-c", NEURALFORECAST, json.dumps(specs)],
                                  capture_output=True, text=True)
        if done.returncode:
            note = f"neuralforecast failed: {done.stderr.strip().splitlines()[-1:]}"
        else:
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for model, name, seconds, _ in result["rows"]:
                rows.append(("neuralforecast", model, name, seconds, len(series[name][0])))
                progress(rows[-1])
            packages["neuralforecast"] = {
                "import": import_seconds(nf_python, "neuralforecast"),
                **install_sizes(nf_python, ["neuralforecast"])["neuralforecast"],
                "versions": result["versions"]}
    else:
        note = ("neuralforecast skipped: no --neuralforecast-python interpreter (see "
                "benchmarks/README.md for its venv)")
    return rows, packages, note


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
    try:
        import llvmlite.binding as llvm

        cpu += f" (LLVM target {llvm.get_host_cpu_name()})"
    except Exception:  # a missing fact, not an error
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, numpy {numpy.__version__}, numba "
            f"{numba.__version__}, torch {torch.__version__}, gatedts {gatedts_version()}")


def gatedts_version():
    import gatedts

    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                             "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return gatedts.__version__ + (f" ({commit.stdout.strip()})" if commit.returncode == 0
                                  else "")


def load_average():
    """(UTC time, 1-minute load average) now."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load


def header(title, facts, start):
    print(title)
    print(f"  {facts}")
    print(f"  started {start[0]}, load average (1 min) {start[1]:.2f}; finished "
          f"{load_average()[0]}, load average {load_average()[1]:.2f}")


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
    if args.shapes:
        grid = [GRID[int(i)] for i in args.shapes.split(",")]
    repeats = args.repeats or (5 if args.quick else 15)
    only = set(args.only.split(","))
    facts = (f"{machine()}; threads: {args.threads} (torch and numba), float32, "
             f"best of {args.rounds} alternating rounds of medians of >= {repeats} runs")
    results = {}
    if "train" in only:
        load = load_average()
        peak = matmul_gflops()
        rows = bench_training(cells, grid, repeats, args.rounds)
        results["train"] = rows
        header("training step (forward + BPTT + MSE, no optimizer)", facts, load)
        print(f"  GEMM peak: numpy float32 matmul 2048², {peak:.0f} GFLOP/s (this run); "
              "% peak = the step's 6·B·T·G·H·(I+H) flops per second over it")
        print(f"{'cell':5} {'(B, T, I, H, L)':22} {'gatedts ms':>11} {'torch ms':>9} "
              f"{'ratio':>6} {'GFLOP/s':>8} {'% peak':>7}")
        for cell, shape, ours, theirs, gflops in rows:
            print(f"{cell:5} {shape!s:22} {ours * 1e3:11.3f} {theirs * 1e3:9.3f} "
                  f"{ours / theirs:6.2f} {gflops:8.1f} {100 * gflops / peak:7.1f}")
        print()
    if "predict" in only:
        load = load_average()
        rows = bench_predict(cells, grid, repeats, args.rounds)
        results["predict"] = rows
        header("predicting one window (batch 1)", facts, load)
        print(f"{'cell':5} {'(B, T, I, H, L)':22} {'functional µs':>14} {'estimator µs':>13} "
              f"{'torch µs':>9} {'f/torch':>8} {'e/torch':>8}")
        for cell, shape, fun, est, theirs in rows:
            print(f"{cell:5} {shape!s:22} {fun * 1e6:14.1f} {est * 1e6:13.1f} "
                  f"{theirs * 1e6:9.1f} {fun / theirs:8.3f} {est / theirs:8.3f}")
        print()
    if "compile" in only:
        load = load_average()
        rows = bench_compile()
        results["compile"] = rows
        header("first fit of a tiny GRU in a fresh process, import included", machine(), load)
        for label, seconds in rows:
            print(f"  {label:24} {seconds:6.2f} s")
        print()
    if "memory" in only:
        load = load_average()
        rows = bench_memory(cells)
        results["memory"] = rows
        header(f"peak RSS growth of one training step at {GRID[-1]}", machine(), load)
        for cell, ours, theirs in rows:
            print(f"  {cell:5} gatedts {ours:8.1f} MiB   torch {theirs:8.1f} MiB")
        print()
    if "threads" in only and args.threads > 1:
        load = load_average()
        rows = bench_threads(cells, grid, repeats, args.rounds, args.threads)
        results["threads"] = rows
        header(f"training step, 1 thread vs {args.threads} (numba.set_num_threads in one "
               "process, alternating; BLAS at 1 thread inside the step either way)", facts, load)
        for cell, shape, one, many, same in rows:
            print(f"  {cell:5} {shape!s:22} 1: {one * 1e3:8.3f} ms  {args.threads}: "
                  f"{many * 1e3:8.3f} ms  speed-up {one / many:4.2f}  "
                  f"bit-identical: {same}")
        print()
    if "end-to-end" in only:
        load = load_average()
        names = args.datasets.split(",")
        rows, packages, note = bench_end_to_end(names, args.neuralforecast_python)
        results["end-to-end"] = rows
        import pandas
        import statsforecast

        header("forecasting end to end: fit + predict of one series, wall time in the "
               "library's process after one untimed warm-up fit (imports excluded)",
               f"{machine()}; statsforecast {statsforecast.__version__}, pandas "
               f"{pandas.__version__}; default settings of every model, seed 0", load)
        if note:
            print(f"  note: {note}")
        if "neuralforecast" in packages:
            v = packages["neuralforecast"]["versions"]
            print(f"  neuralforecast {v['neuralforecast']} in its own venv (torch {v['torch']}, "
                  f"pandas {v['pandas']}), run as a subprocess")
        print("  datasets: " + ", ".join(
            f"{n} (h={E2E_DATASETS[n][2]}, season {E2E_DATASETS[n][3]})" for n in names))
        print(f"{'library':15} {'model':20} " + " ".join(f"{n + ' s':>12}" for n in names))
        table = {}
        for lib, model, name, seconds, _ in rows:
            table.setdefault((lib, model), {})[name] = seconds
        for (lib, model), times in table.items():
            print(f"{lib:15} {model:20} " + " ".join(
                f"{times[n]:12.2f}" if n in times else f"{'-':>12}" for n in names))
        print()
        print("  package facts: import = median wall time of `import <package>` in fresh "
              "interpreters (warm disk cache);")
        print("  size own = the installed distribution's files (an editable install: its "
              "source package);")
        print("  size with deps = the distribution plus every distribution it requires, "
              "recursively (extras excluded; shared ones such as numpy counted for each)")
        print(f"{'package':15} {'version':>10} {'import s':>9} {'own MB':>8} "
              f"{'with deps MB':>13} {'distributions':>14}")
        for name, p in packages.items():
            print(f"{name:15} {p['version']:>10} {p['import']:9.2f} {p['own'] / 1e6:8.1f} "
                  f"{p['with_deps'] / 1e6:13.1f} {p['n_dists']:14d}")
        print()
    digest = hashlib.sha256(json.dumps(results, default=str).encode()).hexdigest()[:12]
    print(f"(results digest {digest})")


if __name__ == "__main__":
    main()
