"""Shared pieces of the CUDA kernels: device maths, launch shapes, GEMM, column sums.

The recurrence kernels (:mod:`gatedts.nn.cuda.gru`, ``.lstm``, ``.rnn``) are
*persistent*: one launch runs a whole layer-sequence. Each block owns a slice
of ``rows`` batch rows, loops over time inside the kernel, keeps ``W_hh`` in
shared memory when it fits (transposed for the forward pass, so consecutive
threads read consecutive words) and separates the steps with
``cuda.syncthreads()``. A thread handles (row, unit) pairs ``p`` of its block
with the same mapping in every phase, so per-pair state (the LSTM cell
gradient, ``dh_next``) never needs a barrier of its own. When ``W_hh`` does not
fit (large H), the same kernel reads it from global memory, where it stays
L2-resident across steps. Everything around the recurrence is batched over
all time steps: the input projection and the weight gradients are one tiled
GEMM each (:func:`gemm_cuda`; Numba has no cuBLAS binding), the bias and
peephole gradients one column reduction each (:func:`colsum_cuda`).

Kernels that need dtype-specific constants or shared arrays are built once
per dtype by a cached factory; the public ``*_cuda`` functions are the host
launchers, with the argument order of their CPU twins. As on the CPU, the
buffers a recurrence kernel fills come as one tuple (``outputs``, ``grads``),
and Adam's scalars as one tuple of ``coefficients``: Numba passes a tuple to
a kernel as its elements, one kernel parameter each, on a card as under the
simulator (``tests/cuda/compile_kernels.py`` compiles them for sm_90).
Launch shapes are module constants: under Numba's CUDA simulator, which runs
every thread as a Python thread, they shrink (a 4×4 GEMM tile, small blocks)
so that tests stay fast; the kernels are written for any launch shape, and
the small tiles exercise their edge handling. See ``docs/gpu.md`` for the
design and its expected speed on a real card.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import config, cuda, float32, float64

SIMULATOR = bool(config.ENABLE_CUDASIM)

GEMM_THREADS = 2 if SIMULATOR else 16  # a GEMM block is GEMM_THREADS² threads...
GEMM_WORK = 2 if SIMULATOR else 4  # ...each computing GEMM_WORK² elements of c
GEMM_TILE = GEMM_THREADS * GEMM_WORK  # the c tile of a block
GEMM_K = 4 if SIMULATOR else 16  # depth of the staged operand tiles
THREADS = 8 if SIMULATOR else 256  # 1-D kernels; a power of two (tree reductions)
MAX_BLOCKS = 1 if SIMULATOR else 1024  # grid-stride element-wise kernels
COLUMN_LANES = (4, 2) if SIMULATOR else (32, 32)  # colsum block: (columns, row lanes)
WARP = 1 if SIMULATOR else 32
# Recurrence blocks: ptxas (sm_90) gives the recurrence kernels up to 92 registers a thread
# (LSTM backward, float64; GRU backward 78/79), so 1024 threads would exceed an SM's 64K.
MAX_THREADS = 512
# Dynamic shared memory a kernel may use without an opt-in attribute (all cards).
SHARED_MEMORY_BYTES = 48 * 1024


def numba_float(dtype):
    """The Numba type of float32/float64 ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return float32
    if dtype == np.float64:
        return float64
    raise TypeError(f"CUDA kernels run in float32 or float64, got {dtype}")


def blocks_for(n, threads):
    return max(1, (n + threads - 1) // threads)


# ------------------------------------------------------------------ device maths


@functools.cache
def device_functions(dtype):
    """Device functions specialised to ``dtype`` (constants stay in that dtype).

    Activations and their derivatives, written in terms of the activation as the
    backward kernels have it from the forward pass: ``sigmoid``, ``tanh``,
    ``dsigmoid(s)`` = σ'(a) = s·(1 − s) for ``s = σ(a)``, and ``dtanh(t)`` =
    tanh'(a) = 1 − t² for ``t = tanh(a)``.

    For the flat ``W_hh`` of a recurrence (in shared or global memory, see
    :meth:`RecurrenceLaunch.weights`): ``row_dot(wt, n_rows, row, vec, off)``
    = Σ_k W[row, k]·vec[off + k] reading the *transposed* ``wt[k·n_rows + row]``
    (forward: consecutive threads, consecutive units → consecutive words);
    ``preactivation(xp, b_hh, wt, n_rows, t, b, row, h, off)`` = ``xp[t, b, row]
    + (W_hh h)[row] + b_hh[row]``, the pre-activation of gate row ``row`` of batch
    row ``b`` at step ``t``, with ``h_{t-1}`` at ``h[off:off + H]``;
    ``col_dot(w, H, r0, r1, k, vec, off)`` = Σ_{r0 ≤ row < r1} W[row, k]·vec[off + row]
    reading the row-major ``w[row·H + k]`` (backward: consecutive words again);
    ``backprop_hidden(w, H, GH, n_used, d_pre, dh_next, accumulate, n_pairs, tid,
    n_threads)``, the last phase of every backward step: ``dh_{t-1} = W_hhᵀ d_pre``
    over the first ``n_used`` gate rows, for each pair of the block, stored in
    (or with ``accumulate`` added to) ``dh_next``; ``d_pre`` holds ``GH`` values
    per batch row of the block.

    Device functions take thread indices as arguments instead of reading
    ``cuda.threadIdx``: the simulator swaps the ``cuda`` module of a device
    function's module per call, which races between its Python threads.
    """
    f = np.dtype(dtype).type
    zero, one = f(0.0), f(1.0)

    @cuda.jit(device=True)
    def sigmoid(x):
        return one / (one + math.exp(-x))

    @cuda.jit(device=True)
    def tanh(x):
        return math.tanh(x)

    @cuda.jit(device=True)
    def dsigmoid(s):
        return s * (one - s)

    @cuda.jit(device=True)
    def dtanh(t):
        return one - t * t

    @cuda.jit(device=True)
    def row_dot(wt, n_rows, row, vec, off):
        H = wt.shape[0] // n_rows
        acc = zero
        for k in range(H):
            acc += wt[k * n_rows + row] * vec[off + k]
        return acc

    @cuda.jit(device=True)
    def preactivation(xp, b_hh, wt, n_rows, t, b, row, h, off):
        return xp[t, b, row] + row_dot(wt, n_rows, row, h, off) + b_hh[row]

    @cuda.jit(device=True)
    def col_dot(w, H, r0, r1, k, vec, off):
        acc = zero
        for row in range(r0, r1):
            acc += w[row * H + k] * vec[off + row]
        return acc

    @cuda.jit(device=True)
    def backprop_hidden(w, H, GH, n_used, d_pre, dh_next, accumulate, n_pairs, tid, n_threads):
        for p in range(tid, n_pairs, n_threads):
            d = col_dot(w, H, 0, n_used, p % H, d_pre, (p // H) * GH)
            dh_next[p] = dh_next[p] + d if accumulate else d

    return _Namespace(sigmoid=sigmoid, tanh=tanh, dsigmoid=dsigmoid, dtanh=dtanh,
                      row_dot=row_dot, preactivation=preactivation, col_dot=col_dot,
                      backprop_hidden=backprop_hidden, zero=zero, one=one,
                      nb_type=numba_float(dtype))


class _Namespace:
    def __init__(self, **items):
        self.__dict__.update(items)


# ------------------------------------------------------------------ recurrence blocks

# The set-up every recurrence kernel shares. A block owns the pairs
# p = (b − lo)·H + j of its batch rows b (unit j); a thread takes p = tid,
# tid + n_threads, ... in every phase, the same pairs each time, so what a
# thread writes for its own pairs it may read back without a barrier. The
# loops below are block-wide (every thread calls them); the barriers stay in
# the kernels, which own the phases of a step (and under the simulator a
# device function of another module must not touch ``cuda``, see above).


@cuda.jit(device=True)
def block_pairs(block, rows, batch, H):
    """First batch row of ``block`` and its number of (row, unit) pairs (the last
    block may own fewer than ``rows`` rows)."""
    lo = block * rows
    left = batch - lo
    return lo, (rows if left > rows else left) * H


@cuda.jit(device=True)
def stage_w_hh(w_flat, w_in_shared, transpose, H, smem, tid, n_threads):
    """``W_hh`` as the kernel reads it, and the dynamic shared memory ``smem`` after it.

    With ``w_in_shared`` the flat row-major ``w_flat`` ((G·H)·H) is copied to the
    start of ``smem``, transposed for the forward kernels (``transpose``); it may
    be read after the next ``cuda.syncthreads()``. Otherwise the kernel reads
    ``w_flat`` in global memory (already transposed by
    :meth:`RecurrenceLaunch.weights`) and all of ``smem`` is per-row scratch.
    """
    n_w = w_flat.shape[0] if w_in_shared else 0
    if w_in_shared:
        n_rows = n_w // H  # G·H
        for e in range(tid, n_w, n_threads):
            if transpose:
                row = e // H
                smem[(e - row * H) * n_rows + row] = w_flat[e]
            else:
                smem[e] = w_flat[e]
    return (smem[:n_w] if w_in_shared else w_flat), smem[n_w:]


@cuda.jit(device=True)
def load_state(src, buf, dst, lo, H, n_pairs, tid, n_threads):
    """``buf[p] = dst[b, j] = src[b, j]`` for the block's pairs (``src``, ``dst`` (B, H)):
    an initial state into its shared buffer and into the first step of its sequence."""
    for p in range(tid, n_pairs, n_threads):
        b, j = lo + p // H, p % H
        buf[p] = src[b, j]
        dst[b, j] = src[b, j]


@cuda.jit(device=True)
def store_pairs(buf, dst, lo, H, n_pairs, tid, n_threads):
    """``dst[b, j] = buf[p]`` for the block's pairs (``dst`` is (B, H))."""
    for p in range(tid, n_pairs, n_threads):
        dst[lo + p // H, p % H] = buf[p]


@cuda.jit(device=True)
def copy_pairs(src, dst, lo, H, n_pairs, tid, n_threads):
    """``dst[b, j] = src[b, j]`` for the block's pairs (both (B, H))."""
    for p in range(tid, n_pairs, n_threads):
        b, j = lo + p // H, p % H
        dst[b, j] = src[b, j]


@cuda.jit(device=True)
def fill_pairs(buf, value, n_pairs, tid, n_threads):
    """``buf[p] = value`` for the block's pairs."""
    for p in range(tid, n_pairs, n_threads):
        buf[p] = value


@cuda.jit(device=True)
def ping_pong(t, rows, H):
    """Offsets of the hidden states read (``hs[t]``) and written (``hs[t + 1]``) at
    step ``t`` in the forward kernels' two ``rows·H`` ping-pong buffers."""
    cur = (t % 2) * rows * H
    return cur, rows * H - cur


# ------------------------------------------------------------------ recurrence launch


@dataclass(frozen=True)
class RecurrenceLaunch:
    """How a persistent recurrence kernel is launched (see :func:`recurrence_launch`)."""

    blocks: int
    threads: int
    rows: int  # batch rows per block
    w_in_shared: bool
    shared_bytes: int

    def __call__(self, kernel):
        return kernel[self.blocks, self.threads, 0, self.shared_bytes]

    def weights(self, w_hh, transposed):
        """``W_hh`` as the flat array the kernel reads: row-major, or for the
        forward kernels transposed. When it goes to shared memory the kernel
        transposes while staging; otherwise a transposed copy is made here, so
        the global reads of the forward pass stay coalesced."""
        flat = w_hh.reshape(w_hh.shape[0] * w_hh.shape[1])
        if not transposed or self.w_in_shared:
            return flat
        out = cuda.device_array(flat.shape[0], dtype=w_hh.dtype)
        blocks = min(MAX_BLOCKS, blocks_for(flat.shape[0], THREADS))
        _transpose_flat[blocks, THREADS](flat, w_hh.shape[0], w_hh.shape[1], out)
        return out


@functools.cache
def multiprocessor_count():
    """SMs of the current device (2 under the simulator, whose device has no such attribute)."""
    if SIMULATOR:
        return 2
    return int(cuda.get_current_device().MULTIPROCESSOR_COUNT)


def recurrence_launch(batch, hidden, weight_elems, row_elems, itemsize):
    """Blocks, threads and shared memory for a persistent recurrence kernel.

    One block per ``rows`` batch rows, with ``rows = ceil(batch / SMs)`` so the
    grid covers every SM once (fewer rows per block → fewer dependent FMAs per
    step → lower per-step latency, which is what bounds a recurrence), capped
    so the block has at most ``MAX_THREADS`` threads (one per (row, unit) pair; pairs
    beyond that are looped). ``W_hh`` (``weight_elems``) goes to shared memory
    when it fits next to the ``row_elems`` per-row scratch values.
    """
    rows = -(-batch // multiprocessor_count())
    rows = max(1, min(rows, MAX_THREADS // hidden if hidden <= MAX_THREADS else 1))
    while rows > 1 and rows * row_elems * itemsize > SHARED_MEMORY_BYTES:
        rows //= 2
    row_bytes = rows * row_elems * itemsize
    if row_bytes > SHARED_MEMORY_BYTES:
        raise ValueError(f"hidden size {hidden} needs {row_bytes} bytes of shared memory per "
                         f"batch row, more than the {SHARED_MEMORY_BYTES} available")
    w_bytes = weight_elems * itemsize
    w_in_shared = row_bytes + w_bytes <= SHARED_MEMORY_BYTES
    threads = min(MAX_THREADS, -(-rows * hidden // WARP) * WARP)
    return RecurrenceLaunch(blocks_for(batch, rows), threads, rows, w_in_shared,
                            row_bytes + (w_bytes if w_in_shared else 0))


# ------------------------------------------------------------------ GEMM


@functools.cache
def _gemm_kernel(dtype):
    nb_type = numba_float(dtype)
    zero = np.dtype(dtype).type(0.0)
    padded = GEMM_TILE + 1  # shapes of shared arrays must be compile-time constants
    n_threads = GEMM_THREADS * GEMM_THREADS

    @cuda.jit(device=True)
    def stage(src, k_major, k0, x0, K, X, e, tile):
        # Element e of tile[kk, xx] = S[k0 + kk, x0 + xx] (zero outside K × X), where S
        # is src (K, X) when k_major, else srcᵀ (src is (X, K)): e runs along src's
        # contiguous axis, so consecutive threads read consecutive words.
        if k_major:
            kk, xx = e // GEMM_TILE, e % GEMM_TILE
            k, x = k0 + kk, x0 + xx
            tile[kk, xx] = src[k, x] if k < K and x < X else zero
        else:
            xx, kk = e // GEMM_K, e % GEMM_K
            k, x = k0 + kk, x0 + xx
            tile[kk, xx] = src[x, k] if k < K and x < X else zero

    @cuda.jit
    def gemm(a, b, c, trans_a, trans_b, bias, has_bias, accumulate):
        # c (M, N) = op(a) (M, K) @ op(b) (K, N) [+ bias] [+ c]. A block computes a
        # GEMM_TILE² tile of c, each thread GEMM_WORK² elements of it (strided by
        # GEMM_THREADS, so shared-memory reads are broadcasts or consecutive words).
        # Operands are staged along their contiguous axis (coalesced global reads);
        # the +1 column keeps the transposing shared-memory stores conflict-free.
        sa = cuda.shared.array((GEMM_K, padded), nb_type)  # sa[k, m] = op(a)[row0+m, k0+k]
        sb = cuda.shared.array((GEMM_K, padded), nb_type)  # sb[k, n] = op(b)[k0+k, col0+n]
        acc = cuda.local.array((GEMM_WORK, GEMM_WORK), nb_type)
        b_reg = cuda.local.array(GEMM_WORK, nb_type)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * GEMM_THREADS + tx
        row0, col0 = cuda.blockIdx.y * GEMM_TILE, cuda.blockIdx.x * GEMM_TILE
        M, N = c.shape
        K = a.shape[0] if trans_a else a.shape[1]
        for i in range(GEMM_WORK):
            for j in range(GEMM_WORK):
                acc[i, j] = zero
        for k0 in range(0, K, GEMM_K):
            for e in range(tid, GEMM_TILE * GEMM_K, n_threads):
                stage(a, trans_a, k0, row0, K, M, e, sa)  # a is (K, M) when transposed
                stage(b, not trans_b, k0, col0, K, N, e, sb)  # b is (N, K) when transposed
            cuda.syncthreads()
            for kk in range(GEMM_K):
                for j in range(GEMM_WORK):
                    b_reg[j] = sb[kk, tx + j * GEMM_THREADS]
                for i in range(GEMM_WORK):
                    a_val = sa[kk, ty + i * GEMM_THREADS]
                    for j in range(GEMM_WORK):
                        acc[i, j] += a_val * b_reg[j]
            cuda.syncthreads()
        for i in range(GEMM_WORK):
            row = row0 + ty + i * GEMM_THREADS
            for j in range(GEMM_WORK):
                col = col0 + tx + j * GEMM_THREADS
                if row < M and col < N:
                    value = acc[i, j]
                    if has_bias:
                        value += bias[col]
                    if accumulate:
                        value += c[row, col]
                    c[row, col] = value

    return gemm


def gemm_cuda(a, b, c, trans_a=False, trans_b=False, bias=None, accumulate=False):
    """``c = op(a) @ op(b) (+ bias) (+ c)`` on 2-D device arrays (views allowed)."""
    M, N = c.shape
    grid = (blocks_for(N, GEMM_TILE), blocks_for(M, GEMM_TILE))
    kernel = _gemm_kernel(c.dtype)
    kernel[grid, (GEMM_THREADS, GEMM_THREADS)](a, b, c, bool(trans_a), bool(trans_b),
                                               c[0] if bias is None else bias,
                                               bias is not None, bool(accumulate))


# ------------------------------------------------------------------ column sums


@functools.cache
def _colsum_kernel(dtype):
    nb_type = numba_float(dtype)
    zero = np.dtype(dtype).type(0.0)
    n_cols, n_lanes = COLUMN_LANES

    @cuda.jit
    def colsum(a, b, use_b, out):
        # out[j] = Σ_r a[r, j] (· b[r, j]); a block reduces n_cols columns over all
        # rows, n_lanes row lanes in a fixed order: deterministic, coalesced reads.
        part = cuda.shared.array((n_lanes, n_cols), nb_type)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        col = cuda.blockIdx.x * n_cols + tx
        M, N = a.shape
        acc = zero
        if col < N:
            for r in range(ty, M, n_lanes):
                acc += a[r, col] * b[r, col] if use_b else a[r, col]
        part[ty, tx] = acc
        cuda.syncthreads()
        if ty == 0 and col < N:
            total = zero
            for lane in range(n_lanes):
                total += part[lane, tx]
            out[col] = total

    return colsum


def colsum_cuda(a, out, b=None):
    """``out[j] = Σ_r a[r, j]``, or ``Σ_r a[r, j]·b[r, j]`` with ``b`` (2-D views allowed)."""
    n_cols, n_lanes = COLUMN_LANES
    kernel = _colsum_kernel(out.dtype)
    kernel[blocks_for(a.shape[1], n_cols), (n_cols, n_lanes)](a, a if b is None else b,
                                                              b is not None, out)


# ------------------------------------------------------------------ element-wise


def _grid1d(n):
    return min(MAX_BLOCKS, blocks_for(n, THREADS)), THREADS


@cuda.jit
def _fill2d(a, value):
    n_cols = a.shape[1]
    for e in range(cuda.grid(1), a.shape[0] * n_cols, cuda.gridsize(1)):
        a[e // n_cols, e % n_cols] = value


@cuda.jit
def _multiply2d(a, b, out):
    n_cols = out.shape[1]
    for e in range(cuda.grid(1), out.shape[0] * n_cols, cuda.gridsize(1)):
        i, j = e // n_cols, e % n_cols
        out[i, j] = a[i, j] * b[i, j]


@cuda.jit
def _scale1d(a, s):
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        a[i] *= s


@cuda.jit
def _gather_time_major(X, idx, out):
    # out[t, b, :] = X[idx[b], t, :]: a batch-first sample set to a time-major batch.
    n_batch, n_feat = out.shape[1], out.shape[2]
    for e in range(cuda.grid(1), out.shape[0] * n_batch * n_feat, cuda.gridsize(1)):
        t, rest = e // (n_batch * n_feat), e % (n_batch * n_feat)
        b, i = rest // n_feat, rest % n_feat
        out[t, b, i] = X[idx[b], t, i]


@cuda.jit
def _transpose_flat(src, n_rows, n_cols, out):
    # out[k * n_rows + row] = src[row * n_cols + k]
    for e in range(cuda.grid(1), n_rows * n_cols, cuda.gridsize(1)):
        row = e // n_cols
        out[(e - row * n_cols) * n_rows + row] = src[e]


def fill_cuda(a, value):
    """Set every element of the 2-D device array ``a`` to ``value``."""
    blocks, threads = _grid1d(a.shape[0] * a.shape[1])
    _fill2d[blocks, threads](a, a.dtype.type(value))


def multiply_cuda(a, b, out):
    """``out = a * b`` element-wise on 2-D device arrays."""
    blocks, threads = _grid1d(out.shape[0] * out.shape[1])
    _multiply2d[blocks, threads](a, b, out)


def scale_cuda(a, s):
    """``a *= s`` on a 1-D device array, ``s`` rounded to ``a``'s dtype first (as numpy)."""
    blocks, threads = _grid1d(a.shape[0])
    _scale1d[blocks, threads](a, a.dtype.type(s))


def gather_time_major_cuda(X, idx, out):
    """``out[t, b] = X[idx[b], t]``: X (n, T, F) and out (T, B, F) on the device."""
    blocks, threads = _grid1d(out.shape[0] * out.shape[1] * out.shape[2])
    _gather_time_major[blocks, threads](X, idx, out)
