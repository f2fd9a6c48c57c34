"""Scalar activations and small matrix products shared by the CPU kernels.

libm's ``exp``/``tanh`` are opaque calls that stop LLVM from vectorising the
gate loops, and for small hidden sizes those loops cost more than the matrix
products. ``sigmoid`` and ``tanh`` here are plain arithmetic (Cody–Waite range
reduction, a Taylor polynomial for ``expm1`` on [-ln2/2, ln2/2], and the power
of two built from its exponent bits), so a loop over them compiles to
AVX/AVX-512 code.

Accuracy, measured against float64 numpy over [-30, 30] and tiny arguments:
within 2 ulp in float64 and 1.5 ulp in float32, so kernels still agree with
the reference and with PyTorch far inside the test tolerances. NaN propagates.

Every scalar helper (``sigmoid``, ``tanh``, ``dsigmoid``, ``dtanh``,
``flush_tiny``) has one body, written once per float type by a factory
(``_make_sigmoid(f)`` etc.), that serves two callers:

* compiled kernels, through ``@overload(inline="always")``: the body is pasted
  into the calling loop, which stays one SIMD loop (a call to a separately
  compiled function would keep LLVM from vectorising the loop);
* plain Python, which is what the ``@njit`` kernels become under
  ``NUMBA_DISABLE_JIT=1`` (how coverage sees them): the same body runs on
  numpy scalars, so a float32 argument gives a float32 result computed with
  the same operations in the same order as the compiled code.

Use them from kernels compiled with ``error_model="numpy"`` (Python's error
model adds a zero-division check to every division, which blocks
vectorisation), and keep the arithmetic around them in the array dtype
(``one = x.dtype.type(1)``) so float32 code stays float32.
"""

import functools
import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

# "contract" lets LLVM fuse a multiply and an add into one FMA instruction (one
# rounding instead of two): the gate polynomials and products run ~20% faster
# where the CPU has FMA. Only that flag: no reassociation, NaN and infinity kept.
# The same code runs for every row and thread, so results stay bit-identical
# across thread counts; plain Python (NUMBA_DISABLE_JIT) rounds twice and agrees
# to ~1 ulp (tests/test_nojit.py).
KERNEL_OPTIONS = {"cache": True, "error_model": "numpy", "fastmath": {"contract"}}


_FLOAT_TYPES = {np.float32: np.float32, np.float64: np.float64, float: np.float64}


def _float_type(x):
    """The numpy float type a Python call computes in: that of ``x`` (a Python
    float counts as float64; anything else is a KeyError, as it is a typing
    error when compiled)."""
    return _FLOAT_TYPES[type(x)]


def _compiled_as(make):
    """Have Numba-compiled callers of the decorated scalar function run
    ``make(f)(x)`` for ``x`` of float type ``f``, inlined.

    ``make`` is the factory whose product the decorated function's Python body
    also calls, so both run the same code (see the module docstring). Numba
    wants the argument named ``x`` in both.
    """

    def register(function):
        @overload(function, inline="always")
        def _compiled(x):
            if x == types.float32:
                return make(np.float32)
            if x == types.float64:
                return make(np.float64)
            return None  # no implementation: an integer argument is a typing error

        return function

    return register


_FLOAT_OF_BITS = {types.int64: (types.float64, ir.DoubleType()),
                  types.int32: (types.float32, ir.FloatType())}


@intrinsic
def _bitcast_to_float(typingctx, bits):
    result, target = _FLOAT_OF_BITS[bits]  # only _reduction_impl calls it, with these

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], target)

    return result(bits), codegen


def _float_from_bits(bits):
    """Reinterpret int64/int32 bits as float64/float32 (free in SIMD registers)."""
    return bits.view(np.float64 if isinstance(bits, np.int64) else np.float32)


@overload(_float_from_bits, inline="always")
def _float_from_bits_overload(bits):
    return lambda bits: _bitcast_to_float(bits)


def _reduction_impl(f, i, bias, mantissa_bits, limit, ln2_hi, ln2_lo, n_terms):
    """``_expm1_parts`` for float type ``f`` with exponent bits of int type ``i``."""
    lo, hi = f(-limit), f(limit)
    log2e, half = f(1.4426950408889634), f(0.5)
    ln2_hi, ln2_lo = f(ln2_hi), f(ln2_lo)
    c = tuple(f(1.0 / math.factorial(n)) for n in range(n_terms + 1))
    bias, shift = i(bias), i(mantissa_bits)

    def impl(x):
        x = lo if x < lo else x  # comparisons keep NaN (max/min would not)
        x = hi if x > hi else x
        k = np.floor(x * log2e + half)
        r = (x - k * ln2_hi) - k * ln2_lo
        acc = c[n_terms]  # expm1(r) ≈ r/1! + r²/2! + ... + r^n/n!, Horner form
        for n in range(n_terms - 1, 0, -1):
            acc = c[n] + r * acc
        return _float_from_bits(i((i(k) + bias) << shift)), r * acc

    return impl


@functools.cache
def _make_expm1_parts(f):
    if f is np.float64:  # 13 terms leave a truncation error below 1e-17
        return _reduction_impl(np.float64, np.int64, 1023, 52, 708.0,
                               6.93147180369123816490e-01, 1.90821492927058770002e-10, 13)
    return _reduction_impl(np.float32, np.int32, 127, 23, 87.0,  # 7 terms: 5e-9
                           0.693359375, -2.12194440e-4, 7)


@_compiled_as(_make_expm1_parts)
def _expm1_parts(x):
    """Return ``(2**k, expm1(r))`` with ``exp(x) = 2**k (1 + expm1(r))``."""
    return _make_expm1_parts(_float_type(x))(x)


@functools.cache
def _make_sigmoid(f):
    one = f(1.0)

    def sigmoid(x):
        scale, p = _expm1_parts(-x)
        return one / (one + scale * (one + p))

    return sigmoid


@_compiled_as(_make_sigmoid)
def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, in the float type of ``x``."""
    return _make_sigmoid(_float_type(x))(x)


@functools.cache
def _make_tanh(f):
    one, two, minus_two = f(1.0), f(2.0), f(-2.0)

    def tanh(x):
        # tanh|x| = -expm1(-2|x|) / (2 + expm1(-2|x|)): no cancellation near 0.
        scale, p = _expm1_parts(minus_two * abs(x))
        em1 = scale * p + (scale - one)
        # f(): in plain Python math.copysign returns a Python float (compiled, a no-op)
        return f(math.copysign(-em1 / (two + em1), x))

    return tanh


@_compiled_as(_make_tanh)
def tanh(x):
    """Hyperbolic tangent via ``expm1``, exact-ish near 0, in the float type of ``x``."""
    return _make_tanh(_float_type(x))(x)


@functools.cache
def _make_dsigmoid(f):
    one = f(1.0)

    def dsigmoid(x):
        return x * (one - x)

    return dsigmoid


@_compiled_as(_make_dsigmoid)
def dsigmoid(x):
    """σ'(a) = x (1 − x) at ``x = σ(a)``: from the activation the forward pass kept."""
    return _make_dsigmoid(_float_type(x))(x)


@functools.cache
def _make_dtanh(f):
    one = f(1.0)

    def dtanh(x):
        return one - x * x

    return dtanh


@_compiled_as(_make_dtanh)
def dtanh(x):
    """tanh'(a) = 1 − x² at ``x = tanh(a)``: from the activation the forward pass kept."""
    return _make_dtanh(_float_type(x))(x)


@functools.cache
def _make_flush_tiny(f):
    limit = f(np.finfo(f).tiny * 2.0**26)

    def flush_tiny(x):
        # x·1 or x·0 (±0): a NaN compares False, and NaN·0 keeps it. A product,
        # not a conditional: Numba warns (NumbaIRAssumptionWarning) when it inlines
        # one function with a branch several times in a kernel.
        return x * f(abs(x) >= limit)

    return flush_tiny


@_compiled_as(_make_flush_tiny)
def flush_tiny(x):
    """``x``, or zero (of the sign of ``x``) when ``|x|`` is below 2**26 times
    the smallest normal number (2**-100 in float32, 2**-996 in float64); NaN
    is kept.

    Back-propagated gradients shrink geometrically over long windows (the
    vanishing gradient) and end up subnormal, and every arithmetic operation
    on a subnormal costs a microcode assist of ~100 cycles on x86: at (B, T,
    H) = (256, 168, 256) that made the RNN's backward pass 15x slower. The
    backward kernels pass the gradients they carry from step to step through
    this function, so the products that follow never see a subnormal operand.
    The values dropped are below 2**-100 in absolute terms (2**-996 in
    float64): under one ulp of any float32 gradient entry above 2**-76.
    """
    return _make_flush_tiny(_float_type(x))(x)


CHUNK_ROWS = 32
PARALLEL_MIN_SIZE = 1 << 21  # elements below which a parallel projection does not pay


@njit(**KERNEL_OPTIONS)
def batch_chunks(batch):
    """Row bounds of the batch chunks the kernels run in parallel.

    Chunks of ``CHUNK_ROWS`` rows (the last one takes the remainder): the
    split depends only on the batch size, never on the thread count, so every
    row sees the same arithmetic whatever the parallelism.
    """
    n_chunks = max(1, batch // CHUNK_ROWS)
    bounds = np.empty(n_chunks + 1, dtype=np.int64)
    for c in range(n_chunks):
        bounds[c] = c * CHUNK_ROWS
    bounds[n_chunks] = batch
    return bounds


@njit(**KERNEL_OPTIONS)
def _entry(a, i, k, transposed):
    # row i, column k of the left factor: a[i, k], or a[k, i] when a holds it transposed
    return a[k, i] if transposed else a[i, k]


@njit(**KERNEL_OPTIONS)
def _product_add_rows(a, transposed, b, out, first, n_rows):
    # Row by row, with the same grouping of terms as the 4-row blocks of
    # ``_product_add``: every row's result is the same bits wherever it sits.
    K, N = b.shape
    K4 = K - K % 4
    for i in range(first, first + n_rows):
        o = out[i]
        for k in range(0, K4, 4):
            b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
            s0, s1 = _entry(a, i, k, transposed), _entry(a, i, k + 1, transposed)
            s2, s3 = _entry(a, i, k + 2, transposed), _entry(a, i, k + 3, transposed)
            for j in range(N):
                o[j] += s0 * b0[j] + s1 * b1[j] + s2 * b2[j] + s3 * b3[j]
        for k in range(K4, K):
            s, b_k = _entry(a, i, k, transposed), b[k]
            for j in range(N):
                o[j] += s * b_k[j]


@njit(**KERNEL_OPTIONS)
def _product_add(a, transposed, b, out):
    # out += A @ b, A = a, or aᵀ when ``transposed`` (read in place: a transposed
    # view would compile another copy of these loops for its memory layout).
    # Blocks of 4 rows of A by 4 terms; see matmul_add.
    m = a.shape[1] if transposed else a.shape[0]
    K, N = b.shape
    K4 = K - K % 4
    m4 = m - m % 4
    for i in range(0, m4, 4):
        o0, o1, o2, o3 = out[i], out[i + 1], out[i + 2], out[i + 3]
        for k in range(0, K4, 4):
            b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
            s00, s01 = _entry(a, i, k, transposed), _entry(a, i, k + 1, transposed)
            s02, s03 = _entry(a, i, k + 2, transposed), _entry(a, i, k + 3, transposed)
            s10, s11 = _entry(a, i + 1, k, transposed), _entry(a, i + 1, k + 1, transposed)
            s12, s13 = _entry(a, i + 1, k + 2, transposed), _entry(a, i + 1, k + 3, transposed)
            s20, s21 = _entry(a, i + 2, k, transposed), _entry(a, i + 2, k + 1, transposed)
            s22, s23 = _entry(a, i + 2, k + 2, transposed), _entry(a, i + 2, k + 3, transposed)
            s30, s31 = _entry(a, i + 3, k, transposed), _entry(a, i + 3, k + 1, transposed)
            s32, s33 = _entry(a, i + 3, k + 2, transposed), _entry(a, i + 3, k + 3, transposed)
            for j in range(N):
                w0, w1, w2, w3 = b0[j], b1[j], b2[j], b3[j]
                o0[j] += s00 * w0 + s01 * w1 + s02 * w2 + s03 * w3
                o1[j] += s10 * w0 + s11 * w1 + s12 * w2 + s13 * w3
                o2[j] += s20 * w0 + s21 * w1 + s22 * w2 + s23 * w3
                o3[j] += s30 * w0 + s31 * w1 + s32 * w2 + s33 * w3
        for k in range(K4, K):
            b_k = b[k]
            s0, s1 = _entry(a, i, k, transposed), _entry(a, i + 1, k, transposed)
            s2, s3 = _entry(a, i + 2, k, transposed), _entry(a, i + 3, k, transposed)
            for j in range(N):
                o0[j] += s0 * b_k[j]
                o1[j] += s1 * b_k[j]
                o2[j] += s2 * b_k[j]
                o3[j] += s3 * b_k[j]
    _product_add_rows(a, transposed, b, out, m4, m - m4)


@njit(**KERNEL_OPTIONS)
def matmul_add(a, b, out):
    """``out += a @ b`` for small C-contiguous ``b`` and ``out``.

    ``a`` (m, K), ``b`` (K, N), ``out`` (m, N). Blocks of 4 rows × 4 terms keep
    16 multiply-adds per pair of loads in a SIMD loop over ``N``: 65–90 % of
    OpenBLAS's speed at these sizes, without calling BLAS from inside a
    parallel region (OpenBLAS's pthreads build warns it may hang under OpenMP,
    and its thread pool fights Numba's for the cores) and without its per-call
    overhead for one-row products. Each output row is computed with the same
    operations whatever ``m`` is, so results do not depend on how rows are
    batched.
    """
    _product_add(a, False, b, out)


@njit(**KERNEL_OPTIONS)
def matmul(a, b, out):
    """``out = a @ b`` (see ``matmul_add``): the products inside the time loop."""
    out[:] = out.dtype.type(0.0)
    matmul_add(a, b, out)


def project_inputs(x, w_ih, b_ih, xp):
    """``xp[t] = x[t] W_ihᵀ + b_ih`` for every step: the input half of every gate
    (the ``x @ W_i*.T + b_i*`` terms of ``tests/reference.py``'s ``*_step``).

    ``x`` (T, B, I), ``w_ih`` (G·H, I), ``xp`` (T, B, G·H). Done before the
    recurrence, in parallel over time when large or when the recurrence runs
    in parallel batch chunks. For the narrow inputs of
    forecasting (a few features) this beats a BLAS call, which is slow for an
    inner dimension of 1 and needs a second pass to add the bias. A plain
    function that picks the compiled kernel, so small problems never compile
    the parallel one.
    """
    # A parallel region waits for every thread; when other jobs share the cores
    # that can mean a descheduled thread's next time slice (milliseconds), far
    # more than the projection itself costs unless it is large, or unless the
    # recurrence that follows runs its batch chunks in parallel anyway.
    if xp.size < PARALLEL_MIN_SIZE and xp.shape[1] < 2 * CHUNK_ROWS:
        project_steps(x, w_ih, b_ih, xp)
    else:
        _project_steps_parallel(x, np.ascontiguousarray(w_ih.T), b_ih, xp)


@njit(parallel=True, **KERNEL_OPTIONS)
def _project_steps_parallel(x, w, b_ih, xp):
    for t in prange(xp.shape[0]):
        _project_step(x[t], w, b_ih, xp[t])


@njit(**KERNEL_OPTIONS)
def project_steps(x, w_ih, b_ih, xp):
    """``project_inputs`` in one thread. Compiled functions that are cached must
    call this one: Numba's cache cannot reload a function that calls a
    ``parallel=True`` function (the reloaded code crashes)."""
    w = np.ascontiguousarray(w_ih.T)
    for t in range(xp.shape[0]):
        _project_step(x[t], w, b_ih, xp[t])


@njit(**KERNEL_OPTIONS)
def project_rows(x, w, b_ih, xp):
    """``xp = x w + b_ih`` for 2-D ``x`` (n, I) and ``w = w_ihᵀ`` (I, G·H): the
    input projection of all time steps of a small batch as one product.

    For a batch of one, ``project_steps`` would multiply one row at a time;
    here the rows of all steps share each pass over ``w`` (``matmul_add``'s
    4-row blocks), with the same bits per row.
    """
    _project_step(x, w, b_ih, xp)


@njit(**KERNEL_OPTIONS)
def _project_step(x, w, b_ih, xp):
    matmul(x, w, xp)
    for b in range(xp.shape[0]):
        row = xp[b]
        for j in range(row.shape[0]):
            row[j] += b_ih[j]


@njit(**KERNEL_OPTIONS)
def linear_head(h, weight, bias):
    """``h @ weightᵀ + bias`` for the (B, H) last states: the network's output
    (``pred`` in ``tests/reference.py::forward``)."""
    out = np.empty((h.shape[0], weight.shape[0]), dtype=h.dtype)
    matmul(h, np.ascontiguousarray(weight.T), out)
    for b in range(out.shape[0]):
        row = out[b]
        for j in range(row.shape[0]):
            row[j] += bias[j]
    return out


@njit(**KERNEL_OPTIONS)
def copy_rows(src, dst):
    """``dst[:] = src`` for 2-D arrays of the same shape, element by element.

    Numba compiles an array assignment with a shape check whose error message
    (both shapes formatted as text) costs about 2 s of compilation the first
    time a process compiles one; these copies cannot mismatch.
    """
    for b in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[b, j] = src[b, j]


@njit(**KERNEL_OPTIONS)
def all_finite(a):
    """True when ``a`` holds no NaN or infinity (one pass, no temporary)."""
    flat = a.reshape(-1)
    zero = flat.dtype.type(0.0)
    acc = zero
    for i in range(flat.size):
        acc += flat[i] * zero  # NaN and ±inf turn 0·x into NaN
    return acc == zero


@njit(**KERNEL_OPTIONS)
def accumulate_linear_grads(d, x, dw_t, db):
    """``dw_t += xᵀ d`` and ``db += Σ_rows d``: one step's share of the gradients of
    the weights and bias that made the pre-activations ``x Wᵀ + b`` (``dw_t`` is
    dL/dW transposed), from ``d`` = dL/d(those pre-activations).

    The backward kernels call it for their chunk of rows at every step, while
    ``d`` and ``x`` are still in cache, so this product runs on all threads
    (BLAS runs single-threaded inside a training step, see
    ``gatedts.nn.threads``). ``d`` (m, G), ``x`` (m, N), ``dw_t`` (N, G).
    """
    _product_add(x, True, d, dw_t)
    for k in range(d.shape[0]):
        d_k = d[k]
        for j in range(d_k.shape[0]):
            db[j] += d_k[j]


def chunk_grad_buffers(n_chunks, n_inputs, width, dtype):
    """Zeroed per-chunk partial sums for ``accumulate_linear_grads``:
    ``dw_t`` (n_chunks, n_inputs, width) and ``db`` (n_chunks, width)."""
    return (np.zeros((n_chunks, n_inputs, width), dtype=dtype),
            np.zeros((n_chunks, width), dtype=dtype))


def sum_chunk_grads(dw_t, db):
    """(dL/dW, dL/db) from the chunks' partial sums, added in chunk order: the
    chunks depend only on the batch size, so the bits do not depend on the
    number of threads."""
    dw, b = dw_t[0], db[0]
    for c in range(1, dw_t.shape[0]):
        dw, b = dw + dw_t[c], b + db[c]
    return np.ascontiguousarray(dw.T), b


def projection_grads(dxp, x, w_ih, need_dx):
    """The gradients of a layer's input projection ``xp = x W_ihᵀ + b_ih``.

    From ``dxp`` (T, B, G·H) = dL/dxp and the layer input ``x`` (T, B, I),
    returns ``(dL/dW_ih, dL/db_ih, dL/dx)``, the last (T, B, I) or None when
    ``need_dx`` is false. Batch chunks in parallel, as the recurrence, with
    the weight gradients summed per chunk and then in chunk order
    (``sum_chunk_grads``): the products run on every thread instead of in
    single-threaded BLAS (see ``gatedts.nn.threads``), and the bits do not
    depend on the number of threads.
    """
    x = np.ascontiguousarray(x)
    _, batch, n_in = x.shape
    bounds = batch_chunks(batch)
    dw_t, db = chunk_grad_buffers(len(bounds) - 1, n_in, dxp.shape[2], dxp.dtype)
    dx = np.empty(x.shape if need_dx else (0, 0, 0), dtype=dxp.dtype)
    if len(bounds) == 2:
        _projection_grads_rows(dxp, x, w_ih, dx, need_dx, dw_t[0], db[0], 0, batch)
    else:
        _projection_grads_chunks(dxp, x, w_ih, dx, need_dx, dw_t, db, bounds)
    dw, db = sum_chunk_grads(dw_t, db)
    return dw, db, dx if need_dx else None


@njit(**KERNEL_OPTIONS)
def _projection_grads_rows(dxp, x, w_ih, dx, need_dx, dw_t, db, lo, hi):
    for t in range(dxp.shape[0]):
        accumulate_linear_grads(dxp[t, lo:hi], x[t, lo:hi], dw_t, db)
        if need_dx:
            matmul(dxp[t, lo:hi], w_ih, dx[t, lo:hi])


@njit(parallel=True, **KERNEL_OPTIONS)
def _projection_grads_chunks(dxp, x, w_ih, dx, need_dx, dw_t, db, bounds):
    for c in prange(len(bounds) - 1):
        _projection_grads_rows(dxp, x, w_ih, dx, need_dx, dw_t[c], db[c], bounds[c], bounds[c + 1])
