"""Slow, obviously-correct pure-numpy GRU / LSTM / RNN: forward and BPTT.

Everything here is written one time step and one equation at a time, straight
from the gate equations, with no buffers shared between steps and no fused
loops. The Numba kernels are checked against it; it is checked against finite
differences and (when installed) PyTorch autograd.

Parameters follow PyTorch's ``state_dict`` layout (see ``gatedts.nn.functional``).

Which kernel each function is the twin of (CPU in ``gatedts.nn.cpu``, CUDA in
``gatedts.nn.cuda``): ``gru_step`` / ``gru_step_back`` for ``gru_forward`` /
``gru_backward`` (the kernels run them for every step), likewise ``lstm_*`` and
``rnn_*``; ``forward``'s prediction for the one-call ``*_predict`` kernels.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def n_layers(params):
    return sum(1 for key in params
               if key.startswith("weight_ih_l") and not key.endswith("_reverse"))


def layer(params, k, suffix=""):
    """The weights of layer ``k`` (``suffix="_reverse"``: its reverse direction),
    with the peephole row (i, f, o) or None."""
    return (
        params[f"weight_ih_l{k}{suffix}"],
        params[f"weight_hh_l{k}{suffix}"],
        params[f"bias_ih_l{k}{suffix}"],
        params[f"bias_hh_l{k}{suffix}"],
        params.get(f"weight_peephole_l{k}{suffix}"),
    )


# ---------------------------------------------------------------- one step


def step(cell, x, h, c, weights, reset_after=True):
    """One step of ``cell`` with ``weights`` = :func:`layer`: ``(h, c, cache)``
    (``c`` is passed through unchanged by the GRU and the RNN)."""
    w_ih, w_hh, b_ih, b_hh, peep = weights
    if cell == "gru":
        h, cache = gru_step(x, h, w_ih, w_hh, b_ih, b_hh, reset_after)
    elif cell == "lstm":
        return lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh, peep)
    else:
        h, cache = rnn_step(x, h, w_ih, w_hh, b_ih, b_hh)
    return h, c, cache


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh, reset_after):
    """One GRU step (kernels: ``gru_forward``): ``h_new`` and what the step back needs."""
    H = h.shape[1]
    W_ir, W_iz, W_in = w_ih[:H], w_ih[H : 2 * H], w_ih[2 * H :]
    W_hr, W_hz, W_hn = w_hh[:H], w_hh[H : 2 * H], w_hh[2 * H :]
    b_ir, b_iz, b_in = b_ih[:H], b_ih[H : 2 * H], b_ih[2 * H :]
    b_hr, b_hz, b_hn = b_hh[:H], b_hh[H : 2 * H], b_hh[2 * H :]
    r = sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    if reset_after:
        n = np.tanh(x @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
    else:
        n = np.tanh(x @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
    h_new = (1.0 - z) * n + z * h
    return h_new, (x, h, r, z, n)


def gru_step_back(dh, cache, w_ih, w_hh, b_hh, reset_after):
    """Gradients of one GRU step given dL/dh_new (kernels: ``gru_backward``).

    Returns dL/dx, dL/dh_prev and the parameter gradients; the kernels keep
    ``da_x`` = (da_r, da_z, da_n) as ``dxp`` and (da_r, da_z, d_hn) as ``dhp``.
    """
    x, h, r, z, n = cache
    H = h.shape[1]
    W_hr, W_hz, W_hn = w_hh[:H], w_hh[H : 2 * H], w_hh[2 * H :]
    b_hn = b_hh[2 * H :]
    dz = dh * (h - n)
    dn = dh * (1.0 - z)
    dh_prev = dh * z
    da_n = dn * (1.0 - n**2)
    da_z = dz * z * (1.0 - z)
    if reset_after:
        hn = h @ W_hn.T + b_hn
        dr = da_n * hn
        d_hn = da_n * r  # gradient w.r.t. (W_hn h + b_hn)
        dW_hn = d_hn.T @ h
        dh_prev = dh_prev + d_hn @ W_hn
    else:
        d_rh = da_n @ W_hn
        dr = d_rh * h
        d_hn = da_n
        dW_hn = da_n.T @ (r * h)
        dh_prev = dh_prev + d_rh * r
    da_r = dr * r * (1.0 - r)
    dh_prev = dh_prev + da_r @ W_hr + da_z @ W_hz
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)
    grads = {
        "w_ih": da_x.T @ x,
        "b_ih": da_x.sum(0),
        "w_hh": np.concatenate([da_r.T @ h, da_z.T @ h, dW_hn], axis=0),
        "b_hh": np.concatenate([da_r.sum(0), da_z.sum(0), d_hn.sum(0)]),
    }
    dx = da_x @ w_ih
    return dx, dh_prev, grads


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh, peep):
    """One LSTM step (kernels: ``lstm_forward``), with peepholes unless ``peep`` is None."""
    H = h.shape[1]
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    a_i, a_f, a_g, a_o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    if peep is not None:
        a_i = a_i + peep[0] * c
        a_f = a_f + peep[1] * c
    i = sigmoid(a_i)
    f = sigmoid(a_f)
    g = np.tanh(a_g)
    c_new = f * c + i * g
    if peep is not None:
        a_o = a_o + peep[2] * c_new
    o = sigmoid(a_o)
    h_new = o * np.tanh(c_new)
    return h_new, c_new, (x, h, c, i, f, g, o, c_new)


def lstm_step_back(dh, dc_next, cache, w_ih, w_hh, peep):
    """Gradients of one LSTM step given dL/dh_new and dL/dc_new (kernels:
    ``lstm_backward``, which keep ``da`` = (da_i, da_f, da_g, da_o)).

    Returns dL/dx, dL/dh_prev, dL/dc_prev and the parameter gradients.
    """
    x, h, c, i, f, g, o, c_new = cache
    tc = np.tanh(c_new)
    do = dh * tc
    da_o = do * o * (1.0 - o)
    dc = dc_next + dh * o * (1.0 - tc**2)
    if peep is not None:
        dc = dc + da_o * peep[2]
    da_i = dc * g * i * (1.0 - i)
    da_f = dc * c * f * (1.0 - f)
    da_g = dc * i * (1.0 - g**2)
    dc_prev = dc * f
    if peep is not None:
        dc_prev = dc_prev + da_i * peep[0] + da_f * peep[1]
    da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
    grads = {
        "w_ih": da.T @ x,
        "b_ih": da.sum(0),
        "w_hh": da.T @ h,
        "b_hh": da.sum(0),
    }
    if peep is not None:
        grads["peep"] = np.stack(
            [(da_i * c).sum(0), (da_f * c).sum(0), (da_o * c_new).sum(0)]
        )
    return da @ w_ih, da @ w_hh, dc_prev, grads


def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """One tanh RNN step (kernels: ``rnn_forward``)."""
    h_new = np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
    return h_new, (x, h, h_new)


def rnn_step_back(dh, cache, w_ih, w_hh):
    """Gradients of one RNN step given dL/dh_new (kernels: ``rnn_backward``, which keep ``da``)."""
    x, h, h_new = cache
    da = dh * (1.0 - h_new**2)
    grads = {"w_ih": da.T @ x, "b_ih": da.sum(0), "w_hh": da.T @ h, "b_hh": da.sum(0)}
    return da @ w_ih, da @ w_hh, grads


# ---------------------------------------------------------------- whole model


def forward(cell, params, X, h0=None, c0=None, reset_after=True, residual=False):
    """Returns (prediction (B, O), top-layer sequence (B, T, H), caches, h_n, c_n).

    With ``residual`` see :func:`residual_forward`.
    """
    X = np.asarray(X, dtype=np.float64)
    B, T, _ = X.shape
    seq = [X[:, t, :] for t in range(T)]
    caches, h_n, c_n = [], [], []
    for k in range(n_layers(params)):
        H = params[f"weight_hh_l{k}"].shape[1]
        h = np.zeros((B, H)) if h0 is None else np.array(h0[k], dtype=np.float64)
        c = np.zeros((B, H)) if c0 is None else np.array(c0[k], dtype=np.float64)
        out, layer_caches = [], []
        for t in range(T):
            h, c, cache = step(cell, seq[t], h, c, layer(params, k), reset_after)
            if residual and k > 0:  # the layer's input, projected where the widths differ
                proj = params.get(f"residual_proj_l{k}.weight")
                out.append(h + (seq[t] if proj is None else seq[t] @ proj.T))
            else:
                out.append(h)
            layer_caches.append(cache)
        caches.append(layer_caches)
        h_n.append(h)
        c_n.append(c)
        seq = out
    pred = seq[-1] @ params["head.weight"].T + params["head.bias"]
    return pred, np.stack(seq, axis=1), caches, h_n, c_n


def residual_forward(cell, params, X, h0=None, c0=None, reset_after=True):
    """A residual stack: layer k > 0 outputs, at every step t, its hidden state
    plus its input at t (times ``residual_proj_l{k}.weight``ᵀ when the layer
    changes width). The next layer and the head read these outputs; the states
    carried from step to step (and h_n, c_n) are the layer's own.

    Returns (prediction (B, O), top-layer output sequence (B, T, H), h_n, c_n).
    """
    pred, seq, _, h_n, c_n = forward(cell, params, X, h0, c0, reset_after, residual=True)
    return pred, seq, h_n, c_n


def bidirectional_forward(cell, params, X, h0=None, c0=None, reset_after=True):
    """A bidirectional network, as ``torch.nn.GRU/LSTM/RNN(bidirectional=True)``.

    Every layer runs its forward weights over t = 0..T-1 and its ``*_reverse``
    weights over t = T-1..0; its output at step t is both hidden states at t
    side by side. The head reads the top layer's forward state after the last
    step and reverse state after the first. States ``h0``/``c0`` are per
    layer and direction, PyTorch's (num_layers*2, B, H) order.

    Returns (prediction (B, O), top-layer sequence (B, T, 2H), h_n, c_n).
    """
    X = np.asarray(X, dtype=np.float64)
    B, T, _ = X.shape
    seq = [X[:, t, :] for t in range(T)]
    h_n, c_n = [], []
    for k in range(n_layers(params)):
        outputs = []
        for d, suffix in enumerate(("", "_reverse")):
            H = params[f"weight_hh_l{k}{suffix}"].shape[1]
            h = np.zeros((B, H)) if h0 is None else np.array(h0[2 * k + d], dtype=np.float64)
            c = np.zeros((B, H)) if c0 is None else np.array(c0[2 * k + d], dtype=np.float64)
            out = [None] * T
            for t in (range(T) if d == 0 else reversed(range(T))):
                h, c, _ = step(cell, seq[t], h, c, layer(params, k, suffix), reset_after)
                out[t] = h
            outputs.append(out)
            h_n.append(h)
            c_n.append(c)
        seq = [np.concatenate([outputs[0][t], outputs[1][t]], axis=1) for t in range(T)]
    last = np.concatenate([h_n[-2], h_n[-1]], axis=1)
    pred = last @ params["head.weight"].T + params["head.bias"]
    return pred, np.stack(seq, axis=1), h_n, c_n


def loss_value(pred, y, loss, delta=1.0):
    e = pred - y
    if loss == "mse":
        return np.mean(e**2), 2.0 * e / e.size
    if loss == "mae":
        return np.mean(np.abs(e)), np.sign(e) / e.size
    quad = np.abs(e) <= delta
    value = np.where(quad, 0.5 * e**2, delta * (np.abs(e) - 0.5 * delta))
    return np.mean(value), np.where(quad, e, delta * np.sign(e)) / e.size


def pinball_loss(pred, y, quantiles):
    """The quantile loss, element by element: mean of max(q u, (q - 1) u), u = y - pred.

    ``pred`` (B, O·Q) holds each of the O targets' Q quantiles side by side.
    Returns the value and its gradient with respect to ``pred`` (0 where u = 0).
    """
    Q = len(quantiles)
    total, grad = 0.0, np.zeros_like(pred)
    for b in range(y.shape[0]):
        for j in range(y.shape[1]):
            for k, q in enumerate(quantiles):
                u = y[b, j] - pred[b, j * Q + k]
                total += max(q * u, (q - 1) * u)
                grad[b, j * Q + k] = -q if u > 0 else (1 - q if u < 0 else 0.0)
    return total / pred.size, grad / pred.size


def loss_and_grad(cell, params, X, y, loss="mse", h0=None, c0=None, reset_after=True):
    """Returns (loss, grads, dX, dh0 per layer, dc0 per layer)."""
    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    pred, seq, caches, _, _ = forward(cell, params, X, h0, c0, reset_after)
    y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
    value, dpred = loss_value(pred, y, loss)
    grads = {"head.weight": dpred.T @ seq[:, -1, :], "head.bias": dpred.sum(0)}
    L = n_layers(params)
    T = seq.shape[1]
    d_out = [np.zeros_like(seq[:, t, :]) for t in range(T)]
    d_out[-1] = dpred @ params["head.weight"]
    dh0, dc0 = [None] * L, [None] * L
    for k in reversed(range(L)):
        w_ih, w_hh, _, b_hh, peep = layer(params, k)
        H = w_hh.shape[1]
        acc = {"w_ih": 0.0, "b_ih": 0.0, "w_hh": 0.0, "b_hh": 0.0, "peep": 0.0}
        dh_next = np.zeros((seq.shape[0], H))
        dc_next = np.zeros((seq.shape[0], H))
        d_in = [None] * T
        for t in reversed(range(T)):
            dh = d_out[t] + dh_next
            cache = caches[k][t]
            if cell == "gru":
                dx, dh_next, g = gru_step_back(dh, cache, w_ih, w_hh, b_hh, reset_after)
            elif cell == "lstm":
                dx, dh_next, dc_next, g = lstm_step_back(dh, dc_next, cache, w_ih, w_hh, peep)
            else:
                dx, dh_next, g = rnn_step_back(dh, cache, w_ih, w_hh)
            for name, value_ in g.items():
                acc[name] = acc[name] + value_
            d_in[t] = dx
        grads[f"weight_ih_l{k}"] = acc["w_ih"]
        grads[f"weight_hh_l{k}"] = acc["w_hh"]
        grads[f"bias_ih_l{k}"] = acc["b_ih"]
        grads[f"bias_hh_l{k}"] = acc["b_hh"]
        if peep is not None:
            grads[f"weight_peephole_l{k}"] = acc["peep"]
        dh0[k], dc0[k] = dh_next, dc_next
        d_out = d_in
    dX = np.stack(d_out, axis=1)
    return value, grads, dX, dh0, dc0


# ---------------------------------------------------------------- heads


def attention_head(params, S, q):
    """The attention head, one sample and one step at a time (``gatedts.nn.heads``).

    ``S`` (B, T, D) the top layer's output, batch-first, ``q`` (B, D) the query
    (what the plain head reads). ``e_t = v · tanh(W_k s_t + W_q q + b)``,
    ``α = softmax_t(e)``, ``context = Σ_t α_t s_t``, prediction ``W [context, q] + b``.

    Returns (prediction (B, O), α (B, T)).
    """
    W_k, W_q = params["attention.key.weight"], params["attention.query.weight"]
    b, v = params["attention.bias"], params["attention.score.weight"][0]
    B, T, _ = S.shape
    pred, alphas = [], []
    for i in range(B):
        scores = np.array([v @ np.tanh(W_k @ S[i, t] + W_q @ q[i] + b) for t in range(T)])
        alpha = np.exp(scores - scores.max())
        alpha = alpha / alpha.sum()
        context = sum(alpha[t] * S[i, t] for t in range(T))
        z = np.concatenate([context, q[i]])
        pred.append(params["head.weight"] @ z + params["head.bias"])
        alphas.append(alpha)
    return np.array(pred), np.array(alphas)


def attention_head_back(params, S, q, d_pred):
    """Gradients of the attention head given dL/dprediction (B, O), sample by sample.

    Returns (dS (B, T, D), dq (B, D), dict of the head's parameter gradients).
    """
    W_k, W_q = params["attention.key.weight"], params["attention.query.weight"]
    b, v = params["attention.bias"], params["attention.score.weight"][0]
    W = params["head.weight"]
    B, T, D = S.shape
    grads = {key: np.zeros_like(params[key]) for key in
             ("head.weight", "head.bias", "attention.key.weight", "attention.query.weight",
              "attention.bias", "attention.score.weight")}
    dS, dq = np.zeros_like(S), np.zeros_like(q)
    for i in range(B):
        u = [np.tanh(W_k @ S[i, t] + W_q @ q[i] + b) for t in range(T)]
        scores = np.array([v @ u[t] for t in range(T)])
        alpha = np.exp(scores - scores.max())
        alpha = alpha / alpha.sum()
        context = sum(alpha[t] * S[i, t] for t in range(T))
        z = np.concatenate([context, q[i]])
        grads["head.weight"] += np.outer(d_pred[i], z)
        grads["head.bias"] += d_pred[i]
        dz = W.T @ d_pred[i]
        d_context, dq[i] = dz[:D], dz[D:]
        d_alpha = np.array([S[i, t] @ d_context for t in range(T)])
        # softmax Jacobian: dα_t/de_s = α_t (δ_ts − α_s)
        de = np.array([sum(d_alpha[t] * alpha[t] * ((t == s) - alpha[s]) for t in range(T))
                       for s in range(T)])
        for t in range(T):
            dS[i, t] += alpha[t] * d_context
            grads["attention.score.weight"][0] += de[t] * u[t]
            d_pre = de[t] * v * (1.0 - u[t] ** 2)
            grads["attention.key.weight"] += np.outer(d_pre, S[i, t])
            grads["attention.query.weight"] += np.outer(d_pre, q[i])
            grads["attention.bias"] += d_pre
            dS[i, t] += W_k.T @ d_pre
            dq[i] += W_q.T @ d_pre
    return dS, dq, grads


def sequence_head(params, S):
    """The sequence head: ``W s_t + b`` at every step; ``S`` (B, T, D) -> (B, T, O)."""
    B, T, _ = S.shape
    return np.array([[params["head.weight"] @ S[i, t] + params["head.bias"] for t in range(T)]
                     for i in range(B)])


def head_forward(cell, params, X, head, h0=None, c0=None, reset_after=True, residual=False):
    """A whole network with ``head`` ("last", "attention" or "sequence") on the
    reference layers: plain, residual (``residual``) or bidirectional (``*_reverse``
    keys). Returns (prediction, α (B, T) or None)."""
    # The layers alone: the plain forwards' own head is replaced by one of the right width.
    width = params["head.weight"].shape[1] // (2 if head == "attention" else 1)
    layers = dict(params, **{"head.weight": np.zeros((1, width)), "head.bias": np.zeros(1)})
    if "weight_ih_l0_reverse" in params:
        _, S, h_n, _ = bidirectional_forward(cell, layers, X, h0, c0, reset_after)
        q = np.concatenate([h_n[-2], h_n[-1]], axis=1)
    else:
        _, S, _, _, _ = forward(cell, layers, X, h0, c0, reset_after, residual=residual)
        q = S[:, -1]
    if head == "attention":
        return attention_head(params, S, q)
    if head == "sequence":
        return sequence_head(params, S), None
    return q @ params["head.weight"].T + params["head.bias"], None


# ---------------------------------------------------------------- encoder-decoder


def seq2seq_forward(cell, params, X, horizon, X_future=None, y_start=None, y_teacher=None,
                    h0=None, c0=None, reset_after=True, residual=False):
    """An encoder-decoder network (``gatedts.nn.decoder``), one step at a time.

    The encoder is :func:`forward` over ``X``; the decoder (the ``decoder.*``
    weights, same cell, layers and sizes) starts from the encoder's final
    states, layer by layer. At step j its layer 0 reads the previous value of
    the O targets next to ``X_future[:, j]``: at j = 0 ``y_start`` (by default
    ``X[:, -1, :O]``), then the head's own previous output, or
    ``y_teacher[:, j - 1]`` when teacher-forced. The head reads the decoder's
    top output at every step. With ``residual`` both stacks are residual (see
    :func:`residual_forward`; the decoder's projections are
    ``decoder.residual_proj_l{k}.weight``), the states passed on the layers' own.

    Returns (prediction (B, horizon, O), decoder top states (B, horizon, H),
    decoder h_n, decoder c_n).
    """
    X = np.asarray(X, dtype=np.float64)
    B = X.shape[0]
    O = params["head.bias"].shape[0]  # noqa: E741
    _, _, _, h, c = forward(cell, params, X, h0, c0, reset_after, residual=residual)
    decoder = {key.removeprefix("decoder."): v for key, v in params.items()
               if key.startswith("decoder.")}
    prev = X[:, -1, :O] if y_start is None else np.asarray(y_start, dtype=np.float64)
    preds, tops = [], []
    for j in range(horizon):
        future = np.zeros((B, 0)) if X_future is None else X_future[:, j]
        u = np.concatenate([prev, future], axis=1)
        for k in range(n_layers(decoder)):
            h[k], c[k], _ = step(cell, u, h[k], c[k], layer(decoder, k), reset_after)
            if residual and k > 0:
                proj = decoder.get(f"residual_proj_l{k}.weight")
                u = h[k] + (u if proj is None else u @ proj.T)
            else:
                u = h[k]
        pred = u @ params["head.weight"].T + params["head.bias"]
        preds.append(pred)
        tops.append(u)
        prev = pred if y_teacher is None else y_teacher[:, j]
    return np.stack(preds, axis=1), np.stack(tops, axis=1), h, c
