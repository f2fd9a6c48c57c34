"""Cold start of ``gatedts forecast``: what Numba compiles, and how long it takes.

!!! THIS SCRIPT DELETES NUMBA'S CACHE FILES (``*.nbi``, ``*.nbc``) !!!
It deletes them under the ``gatedts`` package of the source tree it lives in
(``benchmarks/../gatedts``), runs that tree's ``gatedts`` (``PYTHONPATH`` is
set to it and ``NUMBA_CACHE_DIR`` removed from the environment, so the cache
is the one next to those sources), and leaves the cache warm at the end. Any
other installation and any ``NUMBA_CACHE_DIR`` are left alone. The next run
of that tree recompiles only if this script is interrupted.

    python benchmarks/compile_time.py                      # the default command
    python benchmarks/compile_time.py --repeats 3          # median of 3 cold and 3 warm runs
    python benchmarks/compile_time.py -- --dataset co2 --model lstm

It prints

* one row per compiled specialisation of a gatedts function (kernel,
  signature, seconds, cold): ``seconds`` is the time spent compiling that
  function itself, including Numba's own library functions it pulls in
  (``np.empty`` and the like) but not the gatedts functions it calls, which
  have rows of their own;
  ``cold`` says it was compiled rather than loaded from the on-disk cache
  (a row appears only when something was compiled, so it is "yes" on the
  cold run; a warm run that compiles anything is reported as a problem);
* the end-to-end wall time of the command as a fresh process, import
  included, with an empty cache (cold) and right after (warm).

Run it on an idle machine: compilation is single-threaded, but anything else
on the cores slows it.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gatedts"
COMMAND = ["forecast", "--dataset", "airline", "--horizon", "12"]


def clear_cache():
    """Delete Numba's cache files of this tree's package; returns how many."""
    files = [*PACKAGE.rglob("*.nbi"), *PACKAGE.rglob("*.nbc")]
    for path in files:
        path.unlink()
    return len(files)


def environment():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_command(args):
    """Wall time of ``python -m gatedts <args>`` as a fresh process (its output is dropped)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gatedts", *args], env=environment(),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"gatedts {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds


def profile_compilation(args):
    """Run the command in a fresh process that records every compilation."""
    done = subprocess.run([sys.executable, __file__, "--child", "--", *args],
                          env=environment(), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"profiling gatedts {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def child(args):
    """In the profiled process: run the command with a listener on Numba's
    "numba:compile" events (fired only when a function is compiled, not
    when it is loaded from the cache), and print the records as JSON."""
    import contextlib
    import io

    from numba.core import event

    import gatedts
    from gatedts.cli import main

    if Path(gatedts.__file__).resolve().parent != PACKAGE:
        sys.exit(f"imported gatedts from {gatedts.__file__}, not from {PACKAGE}")
    records, stack = [], []

    class Recorder(event.Listener):
        def on_start(self, ev):
            stack.append([time.perf_counter(), 0.0])

        def on_end(self, ev):
            start, nested = stack.pop()
            total = time.perf_counter() - start
            dispatcher = ev.data["dispatcher"]
            if not dispatcher.py_func.__module__.startswith("gatedts."):
                return  # Numba's own overloads (np.empty, ...): counted in their caller
            if stack:
                stack[-1][1] += total
            records.append({
                "kernel": f"{dispatcher.py_func.__module__.removeprefix('gatedts.')}."
                          f"{dispatcher.py_func.__qualname__}",
                "signature": ", ".join(str(a) for a in ev.data["args"]),
                "seconds": total - nested, "inclusive": total})

    start = time.perf_counter()
    with event.install_listener("numba:compile", Recorder()), \
            contextlib.redirect_stdout(io.StringIO()):
        status = main(args)
    wall = time.perf_counter() - start
    if status:
        sys.exit(status)
    print(json.dumps({"records": records, "wall": wall}))


def short(text, width=60):
    return text if len(text) <= width else text[: width - 1] + "…"


def machine_line():
    import numba
    import numpy as np

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1,
                        help="end-to-end runs of each kind (median; default: 1)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("command", nargs="*", help="gatedts arguments after '--' "
                        f"(default: {' '.join(COMMAND)})")
    options = parser.parse_args()
    args = options.command or COMMAND
    if options.child:
        child(args)
        return

    print(f"gatedts {' '.join(args)}  ({PACKAGE})")
    print(machine_line())
    print(f"deleted {clear_cache()} cache files")
    profile = profile_compilation(args)
    records = sorted(profile["records"], key=lambda r: -r["seconds"])
    print(f"\n{'kernel':<40} {'signature':<60} {'seconds':>7}  cold")
    for r in records:
        print(f"{short(r['kernel'], 40):<40} {short(r['signature']):<60} {r['seconds']:7.2f}  yes")
    total = sum(r["seconds"] for r in records)
    print(f"{'total':<40} {f'{len(records)} specialisations':<60} {total:7.2f}")
    print(f"(command in the profiled process, import excluded: {profile['wall']:.2f} s)")
    warm = profile_compilation(args)
    if warm["records"]:
        print(f"PROBLEM: the warm run compiled {len(warm['records'])} specialisations again: "
              + ", ".join(sorted({r['kernel'] for r in warm['records']})))

    cold_times, warm_times = [], []
    for _ in range(options.repeats):
        clear_cache()
        cold_times.append(run_command(args))
        warm_times.append(run_command(args))
    print(f"\nend to end, fresh process, import included (median of {options.repeats}):")
    print(f"  cold cache (compiles)   {statistics.median(cold_times):6.2f} s")
    print(f"  warm cache              {statistics.median(warm_times):6.2f} s")


if __name__ == "__main__":
    main()
