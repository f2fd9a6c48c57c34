"""The paper model behind the H100 table of docs/gpu.md: ``python docs/gpu_estimate.py``.

No GPU was available: every number is arithmetic on the assumptions below
(see docs/gpu.md for where they come from), not a measurement.
"""

import math

CLOCK = 1.8e9  # sustained SM clock, Hz
SMS = 132
L2_BYTES_PER_CLOCK_PER_SM = 5.5e12 / SMS / CLOCK
SHARED_BYTES = 48 * 1024  # dynamic shared memory without an opt-in
L1_BYTES = 160 * 1024  # what of the 256 KB L1/shared stays L1 with little shared memory
GEMM_FLOPS = 20e12  # our register-tiled FP32 GEMM, ~30 % of 67 TFLOP/s
HBM = 3.35e12
LAUNCH_HOST = 25e-6  # Numba: ~6.6 µs + ~3.5 µs per array argument
LAUNCH_DEVICE = 3e-6
COPY = 20e-6  # one synchronous small copy
GATES = {"gru": 3, "lstm": 4, "rnn": 1}
ROW_SCRATCH = {"gru": (3, 4), "lstm": (2, 6), "rnn": (2, 2)}  # × H per row: forward, backward
SHAPES = [(32, 24, 1, 32, 1), (64, 48, 1, 64, 1), (64, 48, 1, 64, 2), (128, 96, 4, 128, 2),
          (256, 168, 8, 256, 1)]


def recurrence_step(cell, B, H, backward):
    """Seconds per time step of the persistent kernel, and where W_hh is read from."""
    g = GATES[cell]
    rows = max(1, min(math.ceil(B / SMS), 512 // H))
    threads = min(512, math.ceil(rows * H / 32) * 32)
    warps, pairs_per_thread = threads / 32, math.ceil(rows * H / threads)
    w_bytes = g * H * H * 4
    in_shared = w_bytes + ROW_SCRATCH[cell][backward] * H * rows * 4 <= SHARED_BYTES
    chain = 4 * g * H * pairs_per_thread  # one warp's dependent FMAs, 4 clocks each
    if in_shared or w_bytes <= L1_BYTES:  # two 128-byte loads per FMA, one per clock
        source = "smem" if in_shared else "L1"
        loads = 2 * g * H * warps * pairs_per_thread
    else:  # every row of every block re-reads W_hh from L2 each step
        source = "L2"
        loads = max(w_bytes * rows / L2_BYTES_PER_CLOCK_PER_SM, g * H * warps * pairs_per_thread)
    overhead = 500 if backward else 400  # gate maths, barriers, exposed global latency
    return (max(loads, chain) + overhead) / CLOCK, source, rows, threads, math.ceil(B / rows)


def main():
    print("| (B,T,I,H,L) | cell | MFLOP/step | rows/block · threads · blocks | W_hh from "
          "(fwd/bwd) | µs per time step fwd / bwd | recurrence ms | GEMMs + memory ms | "
          "launches | host launch ms | **train step ms** | GFLOP/s | bound by |")
    print("|---" * 13 + "|")
    for B, T, n_features, H, L in SHAPES:
        for cell, g in GATES.items():
            inputs = [n_features] + [H] * (L - 1)
            flops = sum(6 * B * T * g * H * (n_in + H) for n_in in inputs)
            fwd, source, rows, threads, blocks = recurrence_step(cell, B, H, 0)
            bwd, source_b, *_ = recurrence_step(cell, B, H, 1)
            t_rec = L * T * (fwd + bwd)
            gemm_flops = sum(2 * T * B * g * H * (2 * n_in + H + (H if k else 0))
                             for k, n_in in enumerate(inputs))
            t_gemm = gemm_flops / GEMM_FLOPS + L * 8 * T * B * g * H * 4 / HBM
            launches = 20 + 8 * (L - 1) + (L if source != "smem" else 0)
            device = t_rec + t_gemm + launches * LAUNCH_DEVICE
            host = launches * LAUNCH_HOST + 2 * COPY
            step = max(device, host)
            bound = ("host launches" if host > device else
                     "L2 (W_hh re-read)" if source == "L2" else "per-step latency")
            shape = f"({B},{T},{n_features},{H},{L})"
            print(f"| {shape} | {cell} | {flops / 1e6:.0f} | {rows} · {threads} · {blocks} | "
                  f"{source}/{source_b} | {fwd * 1e6:.2f} / {bwd * 1e6:.2f} | "
                  f"{t_rec * 1e3:.3f} | {t_gemm * 1e3:.3f} | {launches} | {host * 1e3:.2f} | "
                  f"**{step * 1e3:.2f}** | {flops / step / 1e9:.0f} | {bound} |")


if __name__ == "__main__":
    main()
