"""Training on a CUDA device: loss, sums of squares, Adam and SGD updates, clipping.

The device twins of ``nn.core.loss_value`` and of ``gatedts.nn.optim``. They
do the arithmetic of their numpy originals in the same order and dtype (every
scalar is rounded to the array dtype on the host, as numpy does with a
Python float), so that a fit on the device follows the CPU fit step for step.

Parameters, gradients and optimizer moments live in flat device buffers with
the ``"weight"`` keys first (see ``gatedts.nn.cuda.functional``): an update is one launch
over the whole model, weight decay applies to the first ``n_decay`` elements,
and the global gradient norm is one two-pass reduction (fixed block partials,
then one block): deterministic, with the float64 accumulation of
``nn.optim.global_norm``.
"""

import functools
import math

import numpy as np
from numba import cuda, float64

from ..optim import SGD, Adam, check_number
from .common import SIMULATOR, THREADS, blocks_for, scale_cuda
from .scratch import Workspace

REDUCE_BLOCKS = 2 if SIMULATOR else 128  # partial sums of the first reduction pass

LOSS_KINDS = {"mse": 0, "mae": 1, "huber": 2}  # the codes the loss kernel branches on


@functools.cache
def _loss_kernel(dtype):
    f = np.dtype(dtype).type
    zero, one = f(0.0), f(1.0)

    @cuda.jit
    def loss(pred, y, kind, delta, half, half_delta, two_over_n, n, d_pred, values):
        e = cuda.grid(1)
        if e >= pred.shape[0] * pred.shape[1]:
            return
        i, o = e // pred.shape[1], e % pred.shape[1]
        e = pred[i, o] - y[i, o]
        sign = one if e > zero else (-one if e < zero else e)
        if kind == 0:  # mse
            d_pred[i, o] = two_over_n * e
            values[i, o] = float64(e) * float64(e)
        elif kind == 1:  # mae
            d_pred[i, o] = sign / n
            values[i, o] = float64(abs(e))
        elif abs(e) <= delta:  # huber, quadratic part
            d_pred[i, o] = e / n
            values[i, o] = float64(half * e * e)
        else:  # huber, linear part
            d_pred[i, o] = delta * sign / n
            values[i, o] = float64(delta * (abs(e) - half_delta))

    return loss


def loss_cuda(pred, y, loss, huber_delta, d_pred, values):
    """Per-element loss (float64 ``values``) and its gradient ``d_pred`` (B, O)."""
    f = pred.dtype.type
    n = pred.shape[0] * pred.shape[1]
    kernel = _loss_kernel(pred.dtype)[blocks_for(n, THREADS), THREADS]
    kernel(pred, y, LOSS_KINDS[loss], f(huber_delta), f(0.5), f(0.5 * huber_delta), f(2.0 / n),
           f(n), d_pred, values)


@cuda.jit(device=True)
def _tree_sum(part, tid, acc):
    # part[0] = Σ of every thread's ``acc`` in a fixed tree order. Barriers in a device
    # function are safe under the simulator only in its kernels' own module, whose fake
    # ``cuda`` stays for the whole launch (see nn.cuda.common.device_functions).
    part[tid] = acc
    cuda.syncthreads()
    step = THREADS // 2
    while step > 0:
        if tid < step:
            part[tid] += part[tid + step]
        cuda.syncthreads()
        step //= 2


@cuda.jit
def _sum_partials(a, square, partials):
    # Block b sums a fixed, strided subset of ``a`` (grid-stride order), then a tree.
    part = cuda.shared.array(THREADS, float64)
    tid = cuda.threadIdx.x
    acc = float64(0.0)
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        v = float64(a[i])
        acc += v * v if square else v
    _tree_sum(part, tid, acc)
    if tid == 0:
        partials[cuda.blockIdx.x] = part[0]


@cuda.jit
def _sum_finish(partials, out, slot):
    part = cuda.shared.array(THREADS, float64)
    tid = cuda.threadIdx.x
    acc = float64(0.0)
    for i in range(tid, partials.shape[0], THREADS):
        acc += partials[i]
    _tree_sum(part, tid, acc)
    if tid == 0:
        out[slot] = part[0]


def sum_cuda(a, out, slot, partials, square=False):
    """``out[slot] = Σ a`` (or ``Σ a²``) in float64 over the 1-D device array ``a``.

    ``partials`` is a float64 device scratch array of ``REDUCE_BLOCKS`` elements.
    """
    blocks = min(REDUCE_BLOCKS, blocks_for(a.shape[0], THREADS))
    _sum_partials[blocks, THREADS](a, bool(square), partials[:blocks])
    _sum_finish[1, THREADS](partials[:blocks], out, slot)


@cuda.jit
def _adam(p, g, m, v, n_decay, coefficients):
    # the step's scalars, rounded to the array dtype on the host (see adam_cuda)
    weight_decay, c1, beta2, c2, bias_correction2, eps, step_size = coefficients
    i = cuda.grid(1)
    if i >= p.shape[0]:
        return
    grad = g[i]
    if i < n_decay:  # torch: grad + weight_decay * param
        grad = p[i] * weight_decay + grad
    m[i] += (grad - m[i]) * c1
    v[i] = v[i] * beta2 + grad * grad * c2
    denom = math.sqrt(v[i]) / bias_correction2 + eps
    p[i] -= m[i] / denom * step_size


def adam_cuda(p, g, m, v, n_decay, adam, lr):
    """One step of the host ``optim.Adam`` ``adam`` (its hyper-parameters, and its
    ``n_steps``, which counts this step) at learning rate ``lr``, over flat device buffers."""
    f = p.dtype.type
    beta1, beta2, n_steps = adam.beta1, adam.beta2, adam.n_steps
    coefficients = (f(adam.weight_decay), f(1.0 - beta1), f(beta2), f(1.0 - beta2),
                    f(math.sqrt(1.0 - beta2**n_steps)), f(adam.eps),
                    f(lr / (1.0 - beta1**n_steps)))
    _adam[blocks_for(p.shape[0], THREADS), THREADS](p, g, m, v, n_decay, coefficients)


@cuda.jit
def _sgd(p, g, buf, n_decay, weight_decay, momentum, nesterov, lr):
    i = cuda.grid(1)
    if i >= p.shape[0]:
        return
    grad = g[i]
    if i < n_decay:
        grad = p[i] * weight_decay + grad
    if momentum > 0:
        buf[i] = buf[i] * momentum + grad
        grad = grad + buf[i] * momentum if nesterov else buf[i]
    p[i] -= grad * lr


def sgd_cuda(p, g, buf, n_decay, sgd, lr):
    """One step of the host ``optim.SGD`` ``sgd`` (its hyper-parameters) at learning
    rate ``lr``, over flat device buffers (``buf`` unused without momentum)."""
    f = p.dtype.type
    _sgd[blocks_for(p.shape[0], THREADS), THREADS](p, g, buf, n_decay, f(sgd.weight_decay),
                                                   f(sgd.momentum), bool(sgd.nesterov), f(lr))


# ------------------------------------------------------------------ the host-side drivers


def global_norm(dgrads, ws=None):
    """L2 norm of a :class:`DeviceParams` (float64 sum, as ``nn.optim.global_norm``)."""
    ws = Workspace() if ws is None else ws
    stats = ws.get("norm", (1,), np.float64)
    sum_cuda(dgrads.flat, stats, 0, ws.get("partials", (REDUCE_BLOCKS,), np.float64),
             square=True)
    return math.sqrt(float(stats.copy_to_host()[0]))


def clip_norm_to(dgrads, norm, max_norm):
    """Scale ``dgrads`` (of norm ``norm``) in place to a norm <= ``max_norm``; return ``norm``."""
    max_norm = math.inf if max_norm is None else max_norm
    scale = check_number("max_norm", max_norm, 0.0, math.inf, high_closed=True) / (norm + 1e-6)
    if math.isfinite(norm) and scale < 1.0:
        scale_cuda(dgrads.flat, scale)
    return norm


def clip_grad_norm(dgrads, max_norm):
    """``nn.optim.clip_grad_norm`` for a :class:`DeviceParams`; returns the norm before clipping."""
    return clip_norm_to(dgrads, global_norm(dgrads), max_norm)


class DeviceOptimizer:
    """Steps an ``nn.optim.Adam`` or ``nn.optim.SGD`` on flat device buffers.

    The host optimizer keeps its hyper-parameters and step count; its moment
    buffers live on the device until :meth:`sync` copies them back.
    """

    def __init__(self, optimizer, dparams):
        if not isinstance(optimizer, Adam | SGD):
            raise TypeError(f"expected an optim.Adam or optim.SGD, got {type(optimizer).__name__}")
        self.host, self.layout = optimizer, dparams.layout
        self.state = {name: cuda.to_device(self.layout.flatten(arrays))
                      for name, arrays in optimizer.state.items()}

    def step(self, dparams, dgrads, lr=None):
        opt = self.host
        lr = opt.lr if lr is None else check_number("lr", lr, 0.0)
        opt.n_steps += 1
        n_decay = self.layout.n_decay if opt.weight_decay > 0 else 0
        if isinstance(opt, Adam):
            adam_cuda(dparams.flat, dgrads.flat, self.state["exp_avg"], self.state["exp_avg_sq"],
                      n_decay, opt, lr)
        else:
            buf = self.state.get("momentum_buffer", dgrads.flat)
            sgd_cuda(dparams.flat, dgrads.flat, buf, n_decay, opt, lr)

    def sync(self):
        """Copy the moment buffers back into the host optimizer's state, in place."""
        for name, flat in self.state.items():
            self.layout.unflatten(flat.copy_to_host(), self.host.state[name])
