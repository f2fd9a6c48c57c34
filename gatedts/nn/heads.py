"""The heads on top of the recurrent layers: forward and exact backward, on the CPU.

A head turns the top layer's output sequence ``S`` (T, B, D), time-major, D
its width (both directions side by side when bidirectional; with ``residual``
it includes the skip), and ``q`` (B, D), the vector the plain head reads
(PyTorch's ``h_n`` of the top layer, or the residual top output at the last
step), into the prediction:

``"last"``
    ``ŷ = W q + b`` (B, O): today's head.
``"attention"``
    Bahdanau's additive attention with ``q`` as the query::

        e_t = v · tanh(W_k s_t + W_q q + b_a)      (v = attention.score.weight)
        α = softmax_t(e),  context = Σ_t α_t s_t
        ŷ = W [context, q] + b                     (head.weight is (O, 2·D))

``"sequence"``
    ``ŷ_t = W s_t + b`` at every step (B, T, O), PyTorch's ``Linear`` on
    ``output`` (``return_sequences=True``).

Each backward takes dL/dŷ and returns the full dL/dS (T, B, D) (None for
``"last"``) and dL/dq (None for ``"sequence"``), storing the head's own
parameter gradients; :mod:`gatedts.nn.functional` sends them into the top
layer's BPTT. The forward affine maps use the kernels' row-by-row product
(``linear_head``), so a window's prediction does not depend on the batch it
is in. The layer kernels are not touched: the heads are composed around them.
"""

from dataclasses import dataclass

import numpy as np

from .cpu.common import linear_head


@dataclass
class AttentionCache:
    """What the attention head's forward pass keeps for its backward pass."""

    u: np.ndarray  # (T, B, A) tanh(W_k s_t + W_q q + b_a)
    alpha: np.ndarray  # (T, B) the attention weights
    z: np.ndarray  # (B, 2·D) [context, q], what the linear head reads


def _affine(x, weight, bias=None):
    """``x @ weightᵀ + bias`` over the last axis of ``x``, row by row (see the module doc)."""
    rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    if bias is None:
        bias = np.zeros(weight.shape[0], dtype=x.dtype)
    return linear_head(rows, np.ascontiguousarray(weight), bias).reshape(*x.shape[:-1], -1)


def forward(head, params, S, q):
    """The head's prediction and its cache: ``(prediction, cache)``.

    Parameters
    ----------
    head : {"last", "attention", "sequence"}
    params : dict of str to ndarray
    S : ndarray (T, B, D)
        The top layer's output sequence, time-major.
    q : ndarray (B, D)
        What the plain head reads.

    Returns
    -------
    prediction : ndarray (B, O), or (B, T, O) for "sequence"
    cache : AttentionCache or None
    """
    weight, bias = params["head.weight"], params["head.bias"]
    if head == "last":
        return linear_head(np.ascontiguousarray(q), weight, bias), None
    if head == "sequence":
        return _affine(np.ascontiguousarray(S.transpose(1, 0, 2)), weight, bias), None
    query = _affine(q, params["attention.query.weight"], params["attention.bias"])  # (B, A)
    u = np.tanh(_affine(S, params["attention.key.weight"]) + query)  # (T, B, A)
    e = _affine(u, params["attention.score.weight"])[..., 0]  # (T, B)
    alpha = np.exp(e - e.max(axis=0))
    alpha /= alpha.sum(axis=0)
    context = (alpha[..., None] * S).sum(axis=0)  # (B, D)
    z = np.ascontiguousarray(np.concatenate([context, q], axis=1))
    return linear_head(z, weight, bias), AttentionCache(u, alpha, z)


def backward(head, params, S, q, cache, d_pred, grads):
    """dL/dS (T, B, D) and dL/dq (B, D) from dL/dprediction; either may be None.

    The gradients of the head's own parameters (``head.*``, ``attention.*``)
    go into ``grads``.
    """
    weight = params["head.weight"]
    if head == "last":
        grads["head.weight"] = d_pred.T @ q
        grads["head.bias"] = d_pred.sum(axis=0)
        return None, d_pred @ weight
    if head == "sequence":
        d2 = d_pred.reshape(-1, d_pred.shape[-1])  # (B·T, O)
        grads["head.weight"] = d2.T @ S.transpose(1, 0, 2).reshape(-1, S.shape[-1])
        grads["head.bias"] = d2.sum(axis=0)
        return (d_pred @ weight).transpose(1, 0, 2), None
    D = S.shape[-1]
    u, alpha = cache.u, cache.alpha
    grads["head.weight"] = d_pred.T @ cache.z
    grads["head.bias"] = d_pred.sum(axis=0)
    dz = d_pred @ weight  # (B, 2D)
    d_context, dq = dz[:, :D], dz[:, D:].copy()
    dS = alpha[..., None] * d_context  # context = Σ_t α_t s_t
    d_alpha = np.einsum("tbd,bd->tb", S, d_context)
    de = alpha * (d_alpha - (alpha * d_alpha).sum(axis=0))  # through the softmax
    v = params["attention.score.weight"][0]
    grads["attention.score.weight"] = np.einsum("tb,tba->a", de, u)[None]
    d_pre = de[..., None] * v * (1.0 - u * u)  # (T, B, A) through the tanh
    d_pre2 = d_pre.reshape(-1, d_pre.shape[-1])
    grads["attention.key.weight"] = d_pre2.T @ S.reshape(-1, D)
    dS += d_pre @ params["attention.key.weight"]
    d_query = d_pre.sum(axis=0)  # (B, A): the query term is the same at every step
    grads["attention.bias"] = d_query.sum(axis=0)
    grads["attention.query.weight"] = d_query.T @ q
    dq += d_query @ params["attention.query.weight"]
    return dS, dq
