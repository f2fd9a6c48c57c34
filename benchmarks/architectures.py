"""What each architecture option costs per training step, relative to the plain stack.

One ``functional.loss_and_grad`` call (forward and exact BPTT, float32) at
the shape of issue 15, (B, T, I, H, L) = (64, 48, 1, 64, 2), for every cell
and option, timed in one run, median of repeats after a warm-up::

    python benchmarks/architectures.py                 # the table of benchmarks/README.md
    python benchmarks/architectures.py --shape 8,12,1,8,2 --repeats 3   # a smoke test

The plain stack and every option except the decoder have a one-output head
(``y`` is (B, 1); the sequence head gives one output per step, ``y`` (B, T));
the decoder forecasts ``--horizon`` steps (default 12), teacher-forced, one
target. Run it on an otherwise idle machine.
"""

import argparse
import os
import platform
import time

import numpy as np

#: name -> (keyword options of init_params and loss_and_grad, y columns: "one",
#: "steps" (one per input step) or "horizon")
OPTIONS = {
    "plain": ({}, "one"),
    "residual": ({"residual": True}, "one"),
    "bidirectional": ({"bidirectional": True}, "one"),
    "attention": ({"head": "attention"}, "one"),
    "sequence": ({"head": "sequence"}, "steps"),
    "residual + attention": ({"residual": True, "head": "attention"}, "one"),
    "bidirectional + sequence": ({"bidirectional": True, "head": "sequence"}, "steps"),
    "decoder": ({"decoder": True}, "horizon"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="64,48,1,64,2", help="B,T,I,H,L")
    parser.add_argument("--horizon", type=int, default=12, help="decoder steps")
    parser.add_argument("--cells", default="gru,lstm,rnn")
    parser.add_argument("--options", default=",".join(OPTIONS),
                        help=f"comma-separated, from: {', '.join(OPTIONS)}")
    parser.add_argument("--repeats", type=int, default=20)
    return parser.parse_args(argv)


def median_seconds(fn, repeats):
    fn()
    fn()  # compiled and warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def problem(cell, name, shape, horizon, seed=0):
    """(params, X, y, options) of one table cell."""
    from gatedts import functional as F

    B, T, n_in, H, L = shape
    options, columns = OPTIONS[name]
    rng = np.random.default_rng(seed)
    params = F.init_params(cell, n_in, H, L, 1, random_state=seed, **options)
    X = rng.standard_normal((B, T, n_in)).astype(np.float32)
    width = {"one": 1, "steps": T, "horizon": horizon}[columns]
    y = rng.standard_normal((B, width)).astype(np.float32)
    return params, X, y, options


def main(argv=None):
    from gatedts import functional as F

    args = parse_args(argv)
    shape = tuple(int(v) for v in args.shape.split(","))
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    names = [n.strip() for n in args.options.split(",") if n.strip()]
    unknown = [n for n in names if n not in OPTIONS]
    if unknown:
        raise SystemExit(f"unknown options {unknown}; choose from {', '.join(OPTIONS)}")
    names = ["plain"] + [n for n in names if n != "plain"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}")
    print(f"training step (loss_and_grad, float32) at (B, T, I, H, L) = {shape}, "
          f"decoder horizon {args.horizon}, median of {args.repeats}: ms, and x plain\n")
    print("| option | " + " | ".join(c.upper() for c in cells) + " |")
    print("|---|" + "---:|" * len(cells))
    plain = {}
    for name in names:
        row = []
        for cell in cells:
            params, X, y, options = problem(cell, name, shape, args.horizon)
            ms = 1000 * median_seconds(
                lambda p=params, X=X, y=y, o=options, c=cell: F.loss_and_grad(c, p, X, y, **o),
                args.repeats)
            plain.setdefault(cell, ms)
            row.append(f"{ms:.2f} ms ({ms / plain[cell]:.2f}x)")
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
