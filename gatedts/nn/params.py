"""Parameter dicts: their layout, validation and initialisation.

See :mod:`gatedts.nn.functional` for the table of names and shapes (PyTorch
``state_dict`` layout plus a ``head.*`` linear layer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import cast

import numpy as np
from numpy.typing import DTypeLike

from .cells import get_cell, n_gates
from .spec import HEADS, Head, NetworkSpec

ModelSpec = NetworkSpec  # its name in gatedts 0.1


DIRECTIONS = ("", "_reverse")  # the key suffix of each direction, PyTorch's names


def layer_keys(k, direction=0, peephole=False, prefix=""):
    """The keys of layer ``k`` in ``direction`` (0 forward, 1 reverse); ``prefix``
    "decoder." gives the decoder's layer ``k``."""
    suffix = DIRECTIONS[direction]
    keys = [f"{prefix}{name}_l{k}{suffix}"
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return [*keys, f"{prefix}weight_peephole_l{k}{suffix}"] if peephole else keys


def check_bidirectional(spec, bidirectional):
    """``spec.bidirectional``, after checking that a given ``bidirectional`` agrees.

    ``bidirectional=None`` takes what the parameters say (``*_reverse`` keys or
    not); True or False must match them.
    """
    if bidirectional is None or bool(bidirectional) == spec.bidirectional:
        return spec.bidirectional
    if bidirectional:
        raise ValueError("bidirectional=True but params has no '*_reverse' keys: these are the "
                         "parameters of a one-direction network (init_params(..., "
                         "bidirectional=True) makes bidirectional ones)")
    raise ValueError("bidirectional=False but params has '*_reverse' keys: these are the "
                     "parameters of a bidirectional network; pass bidirectional=True (or None)")


# The attention head's keys and their shapes in terms of D (the top layer's output width);
# the attention width A is D.
ATTENTION_KEYS = ("attention.key.weight", "attention.query.weight", "attention.bias",
                  "attention.score.weight")


def attention_shapes(width):
    """The shape of each :data:`ATTENTION_KEYS` entry for a top layer ``width`` D wide."""
    return dict(zip(ATTENTION_KEYS, ((width, width), (width, width), (width,), (1, width)),
                    strict=True))


def has_attention(params):
    """Whether ``params`` (any mapping; anything else says no) holds an ``attention.*`` key."""
    return hasattr(params, "keys") and any(str(key).startswith("attention.") for key in params)


def check_head(spec, head):
    """The head of the network, after checking that a given ``head`` agrees with ``spec``.

    ``head=None`` reads the parameters: "attention" when they hold the
    ``attention.*`` keys, else "last". "sequence" has no parameters of its
    own and must be asked for; it and "last" refuse params with attention
    keys, and "attention" needs them.
    """
    if head is None:
        return spec.head
    if head not in HEADS:
        raise ValueError(f"unknown head {head!r}; expected one of {', '.join(map(repr, HEADS))}")
    if head == "attention" and not spec.attention:
        raise ValueError("head='attention' but params has no 'attention.*' keys: these are the "
                         "parameters of a network without attention (init_params(..., "
                         "head='attention') makes them)")
    if head != "attention" and spec.attention:
        raise ValueError(f"head={head!r} but params has 'attention.*' keys: these are the "
                         "parameters of an attention head; pass head='attention' (or None)")
    return head
DECODER_PREFIX = "decoder."


def has_decoder(params):
    """Whether ``params`` (any mapping; anything else says no) holds ``decoder.*`` keys."""
    return hasattr(params, "keys") and any(str(key).startswith(DECODER_PREFIX) for key in params)


def _decoder_structure(cell, params, hidden, output_size, peephole, projections):
    """The decoder's keys, checked, and its number of known-future covariates.

    The decoder is the encoder's cell with the encoder's layer sizes; its layer
    0 reads the previous value (``output_size`` of them) and the covariates.
    A residual encoder's decoder is residual too: it has a projection
    ``decoder.residual_proj_l{k}.weight`` for each of the encoder's ``projections``.
    """
    keys = [key for k in range(len(hidden))
            for key in layer_keys(k, peephole=peephole, prefix=DECODER_PREFIX)]
    for key in keys:
        if key not in params:
            raise ValueError(f"params is missing {key!r}: a decoder has the encoder's cell and "
                             f"its {len(hidden)} layer(s), under 'decoder.*'")
    G = n_gates(cell)
    n_in = _shape(params, keys[0])[-1] if len(_shape(params, keys[0])) == 2 else -1
    future_size = n_in - output_size
    if future_size < 0:
        raise ValueError(
            f"{keys[0]} has shape {_shape(params, keys[0])}, expected ({G * hidden[0]}, "
            f"{output_size} + future_size): the decoder's first layer reads the previous "
            f"value of the {output_size} target(s), then the known-future covariates")
    in_size = n_in
    step = 5 if peephole else 4
    for k, H in enumerate(hidden):
        w_ih, w_hh, b_ih, b_hh, *peep = keys[step * k: step * (k + 1)]
        context = (f" for decoder layer {k} (input size {in_size}, hidden size {H} like the "
                   f"encoder's layer {k}, {G} gate(s))")
        for key, expected in ((w_ih, (G * H, in_size)), (w_hh, (G * H, H)), (b_ih, (G * H,)),
                              (b_hh, (G * H,)), *((p, (3, H)) for p in peep)):
            _check_shape(params, key, expected, context)
        in_size = H
    for k in projections:
        key = DECODER_PREFIX + residual_key(k)
        if key not in params:
            raise ValueError(f"params is missing {key!r}: the decoder of a residual network "
                             "has a projection wherever the encoder has one")
        _check_shape(params, key, (hidden[k], hidden[k - 1]),
                     f" for the residual projection of decoder layer {k}")
        keys.append(key)
    return keys, future_size


def check_decoder(spec, decoder):
    """Whether the network has a decoder, after checking that a given ``decoder`` agrees.

    ``decoder=None`` takes what the parameters say (``decoder.*`` keys or not);
    True or False must match them.
    """
    if decoder is None or bool(decoder) == spec.decoder:
        return spec.decoder
    if decoder:
        raise ValueError("decoder=True but params has no 'decoder.*' keys: these are the "
                         "parameters of a network without a decoder (init_params(..., "
                         "decoder=True) makes encoder-decoder ones)")
    raise ValueError("decoder=False but params has 'decoder.*' keys: these are the parameters "
                     "of an encoder-decoder network; pass decoder=True (or None)")


def residual_key(k):
    """The key of layer ``k``'s residual projection."""
    return f"residual_proj_l{k}.weight"


def has_residual_projection(params):
    """Whether ``params`` (any mapping; anything else says no) holds a residual projection."""
    return hasattr(params, "keys") and any(str(key).startswith("residual_proj_")
                                           for key in params)


def check_residual(spec, residual):
    """Whether the network is residual, after checking that a given ``residual`` agrees.

    ``residual=None`` takes what the parameters say: residual when they hold a
    ``residual_proj_l{k}.weight`` (which only layers whose input and output
    widths differ have). A stack of equal widths has no such key, so its
    residual form must be asked for with ``residual=True``. True needs the
    projection of every layer whose widths differ; False refuses params with
    projections.
    """
    has_proj = bool(spec.residual_projections)
    if residual is None:
        residual = has_proj
    elif residual and not has_proj:
        sizes = spec.hidden_sizes
        missing = [k for k in range(1, len(sizes)) if sizes[k] != sizes[k - 1]]
        if missing:
            raise ValueError(
                f"residual=True but params has no {residual_key(missing[0])!r}: layer "
                f"{missing[0]} changes width, so its residual goes through a learned projection "
                "(init_params(..., residual=True) makes them)")
    elif not residual and has_proj:
        raise ValueError(
            f"residual=False but params has {residual_key(spec.residual_projections[0])!r}: "
            "these are the parameters of a residual network; pass residual=True (or None)")
    return bool(residual)


def _shape(params, key):
    return np.shape(params[key])


def _check_shape(params, key, expected, context):
    if _shape(params, key) != expected:
        raise ValueError(f"{key} has shape {_shape(params, key)}, expected {expected}{context}")


_SPEC_CACHE: dict = {}  # (cell, keys, shapes, dtypes) -> NetworkSpec: predict validates cheaply


def model_spec(cell: str, params: Mapping[str, np.ndarray], *,
               check_finite: bool = True) -> NetworkSpec:
    """Validate ``params`` for ``cell`` and return the :class:`NetworkSpec` they show.

    A dict cannot show everything: the spec is residual only when ``params``
    holds a residual projection, its head is "attention" or "last", and its
    GRU form the default (see :func:`network_spec` for the rest). The
    structural checks are cached by the keys, shapes and dtypes of
    ``params``; ``check_finite=False`` skips the scan of every value for
    NaN/inf (callers then check their outputs instead).

    Raises
    ------
    TypeError
        ``params`` is not a mapping.
    ValueError
        Unknown cell, missing or unexpected keys, wrong shapes, mixed dtypes,
        or non-finite values, with the offending key named.
    """
    if not hasattr(params, "keys"):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    signature = (cell, *((key, v.shape, v.dtype.char) if type(v) is np.ndarray
                         else (key, np.shape(v), np.asarray(v).dtype.char)
                         for key, v in params.items()))
    spec = _SPEC_CACHE.get(signature)
    if spec is None:
        spec = _validate_structure(cell, params)
        if len(_SPEC_CACHE) > 256:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[signature] = spec
    if check_finite:
        check_finite_params(params)
    return spec


def check_finite_params(params):
    """Raise ValueError naming the first parameter that holds NaN or infinity."""
    for key, value in params.items():
        if not np.isfinite(value).all():
            raise ValueError(f"parameter {key!r} contains NaN or infinity")


def _validate_structure(cell, params):
    get_cell(cell)
    if "weight_ih_l0" not in params:
        raise ValueError("params has no 'weight_ih_l0': not a gatedts/PyTorch parameter dict")
    num_layers = 0
    while f"weight_ih_l{num_layers}" in params:
        num_layers += 1
    bidirectional = "weight_ih_l0_reverse" in params
    directions = range(2 if bidirectional else 1)
    required = [key for k in range(num_layers) for d in directions
                for key in layer_keys(k, d)] + ["head.weight", "head.bias"]
    for key in required:
        if key not in params:
            raise ValueError(f"params is missing {key!r}")
    dtypes = sorted({str(np.asarray(v).dtype) for v in params.values()})
    if dtypes not in (["float32"], ["float64"]):
        raise ValueError(f"params must all be float32 or all float64, got {dtypes}")
    G = n_gates(cell)
    input_size = in_size = _shape(params, "weight_ih_l0")[-1]
    peephole = "weight_peephole_l0" in params
    hidden = []
    for k in range(num_layers):
        H = _shape(params, f"weight_hh_l{k}")[-1]
        GH = G * H
        for d in directions:
            w_ih, w_hh, b_ih, b_hh, peep = layer_keys(k, d, peephole=True)
            context = (f" for {cell.upper()} layer {k}{DIRECTIONS[d]} (input size {in_size}, "
                       f"hidden size {H}, {G} gate(s))")
            for key, expected in ((w_hh, (GH, H)), (w_ih, (GH, in_size)), (b_ih, (GH,)),
                                  (b_hh, (GH,))):
                _check_shape(params, key, expected, context)
            if (peep in params) != peephole:
                raise ValueError("peephole weights must be given for every LSTM layer or for "
                                 "none (in both directions of a bidirectional one)")
            if peephole:
                if cell != "lstm":
                    raise ValueError(f"{peep!r} is only valid for an LSTM, not a {cell.upper()}")
                _check_shape(params, peep, (3, H), context)
        hidden.append(H)
        in_size = H * len(directions)
    output_size = _shape(params, "head.bias")[0] if len(_shape(params, "head.bias")) else 0
    top = "2 * top hidden size" if bidirectional else "top hidden size"
    attention = _check_attention(params, in_size, top)
    if attention:
        _check_shape(params, "head.weight", (output_size, 2 * in_size),
                     f" (outputs, 2 * {top}: the attention head reads [context, last state])")
    else:
        _check_shape(params, "head.weight", (output_size, in_size), f" (outputs, {top})")
    expected = set(required) | {layer_keys(k, d, peephole=True)[-1]
                                for k in range(num_layers) for d in directions if peephole}
    if attention:
        expected |= set(ATTENTION_KEYS)
    projections = _residual_projections(params, hidden, input_size, len(directions))
    expected |= {residual_key(k) for k in projections}
    future_size = None
    if has_decoder(params):
        if bidirectional:
            raise ValueError("a decoder is not supported with bidirectional layers: the "
                             "decoder runs forward in time, one step per output")
        decoder_keys, future_size = _decoder_structure(cell, params, hidden, output_size,
                                                       peephole, projections)
        expected |= set(decoder_keys)
    unexpected = sorted(set(params) - expected)
    if unexpected:
        raise ValueError(
            f"unexpected parameter(s) {unexpected} for a {cell.upper()}: projected "
            "(proj_size) and bias-free PyTorch layers are not supported, and a bidirectional "
            "network has '*_reverse' keys for every layer"
        )
    return NetworkSpec(cell, input_size, tuple(hidden), output_size, np.dtype(dtypes[0]),
                       peephole=peephole, bidirectional=bidirectional,
                       residual=bool(projections), head="attention" if attention else "last",
                       decoder=future_size is not None, future_size=future_size or 0)


def network_spec(cell: str, params: Mapping[str, np.ndarray], *, reset_after: bool = True,
                 bidirectional: bool | None = None, residual: bool | None = None,
                 head: Head | None = None, decoder: bool | None = None,
                 check_finite: bool = False) -> NetworkSpec:
    """The :class:`NetworkSpec` of ``params`` and the facts a dict cannot show.

    ``params`` are validated (see :func:`model_spec`); each option left None
    is read from them, and a given one must agree with them (see
    :func:`check_bidirectional`, :func:`check_residual`, :func:`check_head`,
    :func:`check_decoder`). ``cell`` may be a :class:`NetworkSpec`, whose
    options are then the given ones (the keywords must stay None).

    Raises
    ------
    ValueError
        Invalid ``params``, or an option that disagrees with them or with
        another (:data:`~gatedts.nn.spec.COMBINATION_RULES`).
    """
    if isinstance(cell, NetworkSpec):
        given = cell
        if (bidirectional, residual, head, decoder) != (None,) * 4:
            raise ValueError("pass the architecture either as a NetworkSpec or as keywords "
                             "(bidirectional, residual, head, decoder), not both")
        spec = network_spec(given.cell, params, reset_after=given.reset_after,
                            bidirectional=given.bidirectional, residual=given.residual,
                            head=given.head, decoder=given.decoder, check_finite=check_finite)
        if spec != given:
            raise ValueError(f"params do not match the network spec: they are a {spec}, "
                             f"the spec says {given}")
        return given
    return _with_options(model_spec(cell, params, check_finite=check_finite),
                         bool(reset_after), bidirectional, residual, head, decoder)


@lru_cache(maxsize=256)
def _with_options(spec, reset_after, bidirectional, residual, head, decoder):
    """``spec`` of a dict, with the options of a call checked against it (cached: the
    functional API builds a spec at every call)."""
    check_bidirectional(spec, bidirectional)
    return spec.replace(reset_after=reset_after, residual=check_residual(spec, residual),
                        head=check_head(spec, head), decoder=check_decoder(spec, decoder))


def _check_attention(params, width, top):
    """Whether ``params`` has an attention head, its keys checked: all four or none, each
    shaped for a top layer ``width`` (D) wide."""
    present = [key for key in ATTENTION_KEYS if key in params]
    if not present:
        return False
    missing = [key for key in ATTENTION_KEYS if key not in params]
    if missing:
        raise ValueError(f"params is missing {missing[0]!r}: an attention head has all of "
                         f"{', '.join(ATTENTION_KEYS)}")
    for key, expected in attention_shapes(width).items():
        _check_shape(params, key, expected, f" for the attention head (D = {top} = {width})")
    return True


def _residual_projections(params, hidden, input_size, n_dir):
    """The layers with a residual projection, checked: all layers whose widths differ or none."""
    present = [k for k in range(len(hidden)) if residual_key(k) in params]
    if not present:
        return []
    if n_dir > 1:
        raise ValueError("residual projections are not supported with bidirectional layers")
    widths = [input_size, *hidden]
    needed = [k for k in range(1, len(hidden)) if widths[k] != widths[k + 1]]
    for k in present:
        if k not in needed:
            why = ("layer 0 has no residual" if k == 0 else
                   f"layer {k} keeps its width {hidden[k]}, so its residual needs no projection")
            raise ValueError(f"unexpected parameter {residual_key(k)!r}: {why}")
        _check_shape(params, residual_key(k), (hidden[k], widths[k]),
                     f" for the residual projection of layer {k} (output width, input width)")
    for k in needed:
        if k not in present:
            raise ValueError(f"params is missing {residual_key(k)!r}: a residual network has a "
                             "projection for every layer whose input and output widths differ")
    return present


def as_rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    return np.random.default_rng(random_state)


def _orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _glorot(rng, fan_out, fan_in):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))


def _draw_layer(params, keys, rng, cell, H, in_size, forget_bias, peephole):
    """Draw one layer's weights into ``params`` under ``keys`` (see :func:`init_params`)."""
    G = n_gates(cell)
    w_ih, w_hh, b_ih, b_hh, peep = keys
    params[w_ih] = np.concatenate([_glorot(rng, H, in_size) for _ in range(G)])
    params[w_hh] = np.concatenate([_orthogonal(rng, H) for _ in range(G)])
    params[b_ih] = np.zeros(G * H)
    params[b_hh] = np.zeros(G * H)
    if cell == "lstm":
        params[b_ih][H : 2 * H] = forget_bias
    if peephole:
        params[peep] = np.zeros((3, H))


def init_params(cell: str | NetworkSpec, input_size: int | None = None,
                hidden_size: int | Sequence[int] | None = None, num_layers: int = 1,
                output_size: int = 1, *,
                random_state: int | np.random.Generator | np.random.RandomState | None = None,
                dtype: DTypeLike = np.float32, reset_after: bool = True, peephole: bool = False,
                forget_bias: float = 1.0, bidirectional: bool = False, residual: bool = False,
                head: Head = "last", decoder: bool = False,
                future_size: int = 0) -> dict[str, np.ndarray]:
    """Fresh parameters for a stacked ``cell`` network with a linear head.

    The initialisation is the Keras one, chosen over PyTorch's uniform
    ±1/√H because it trains recurrent forecasters more reliably:

    * each gate's input block of ``weight_ih`` is Glorot-uniform;
    * each gate's recurrent block of ``weight_hh`` is a random orthogonal
      matrix, so at initialisation a step neither shrinks nor grows the
      gradient flowing back through ``W_hh`` (Saxe et al. 2014);
    * biases are zero, except the LSTM forget gate whose total bias is
      ``forget_bias``: 1 by default (Jozefowicz et al. 2015), so the cell
      starts by remembering; 0 gives PyTorch's zero-mean start;
    * peephole weights start at zero (a plain LSTM); the head is Glorot-uniform.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"} or NetworkSpec
    input_size : int
        Number of input features.
    hidden_size : int or sequence of int
        Hidden size of every layer, or one size per layer (e.g. ``(128, 64)``).
    num_layers : int, default 1
        Number of stacked layers when ``hidden_size`` is an int; with a
        sequence it must be 1 or ``len(hidden_size)``.
    output_size : int, default 1
        Width of the linear head (e.g. the forecast horizon).
    random_state : None, int, numpy Generator or RandomState
    dtype : float32 or float64
    reset_after : bool, default True
        Accepted for symmetry with the other functions; both GRU forms share
        one parameter layout.
    peephole : bool, default False
        Add ``weight_peephole_l{k}`` (LSTM only).
    forget_bias : float, default 1.0
        Initial total bias of the LSTM forget gate, stored in ``bias_ih_l{k}``
        (``bias_hh_l{k}`` stays zero). Ignored for the GRU and the RNN.
    bidirectional : bool, default False
        Every layer also runs backwards in time, with its own weights under
        PyTorch's names ``weight_ih_l{k}_reverse`` etc.; layers above the first
        and the head see both directions concatenated (width 2·H).
    residual : bool, default False
        Each layer above the first adds its input to its output. A layer
        whose width differs from its input's gets a learned projection
        ``residual_proj_l{k}.weight`` (H_k, H_{k-1}) for that input; a stack
        of equal widths gets no new parameter (so pass ``residual=True`` to
        the other functions). Not with ``bidirectional``.
    head : {"last", "attention", "sequence"}, default "last"
        "attention" adds the additive-attention keys ``attention.key.weight``
        (D, D), ``attention.query.weight`` (D, D), ``attention.bias`` (D,)
        and ``attention.score.weight`` (1, D), D the top layer's output
        width, drawn like PyTorch's ``nn.Linear`` (uniform ±1/√D; the bias
        too), and makes ``head.weight`` (O, 2·D): it reads the context next
        to the last state. "last" and "sequence" have the same parameters
        (the sequence head is the same linear map at every step). The
        attention keys are drawn last, so the other weights do not depend on
        the option.
    decoder : bool, default False
        Add a decoder (an encoder-decoder network for multi-step forecasts,
        see :mod:`gatedts.nn.decoder`): the same cell, layers and sizes again
        under ``decoder.*``, its layer 0 reading the previous value of the
        ``output_size`` targets and ``future_size`` known-future covariates
        (``decoder.weight_ih_l0`` is (G·H_0, output_size + future_size)). The
        head then maps the decoder's top state to the ``output_size`` targets
        of each step. With ``residual`` both stacks are residual, the decoder
        with its own ``decoder.residual_proj_l{k}.weight``. Not with
        ``bidirectional``.
    future_size : int, default 0
        Known-future covariates per decoder step (only with ``decoder``).

    Returns
    -------
    dict of str to ndarray

    Notes
    -----
    ``init_params(spec, random_state=..., forget_bias=...)`` draws the
    parameters of a :class:`NetworkSpec` (the other arguments stay unset).
    """
    if isinstance(cell, NetworkSpec):
        if (input_size, hidden_size) != (None, None):
            raise ValueError("init_params(spec, ...) takes the sizes from the spec")
        return init_network(cell, random_state=random_state, forget_bias=forget_bias)
    get_cell(cell)
    if input_size is None or hidden_size is None:
        raise ValueError("init_params(cell, ...) needs input_size and hidden_size")
    if peephole and cell != "lstm":
        raise ValueError(f"peephole=True is only valid for an LSTM, not a {cell.upper()}")
    sizes = ([cast(int, hidden_size)] * num_layers if np.ndim(hidden_size) == 0
             else list(cast(Sequence[int], hidden_size)))
    if np.ndim(hidden_size) and num_layers not in (1, len(sizes)):
        raise ValueError(f"num_layers={num_layers} contradicts hidden_size={tuple(sizes)}")
    if isinstance(num_layers, bool) or not isinstance(num_layers, int | np.integer) \
            or num_layers < 1:
        raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
    spec = NetworkSpec(cell, input_size, tuple(sizes), output_size, np.dtype(dtype),
                       reset_after=reset_after, peephole=peephole, bidirectional=bidirectional,
                       residual=residual, head=head, decoder=decoder, future_size=future_size)
    return init_network(spec, random_state=random_state, forget_bias=forget_bias)


def init_network(spec, *, random_state=None, forget_bias=1.0):
    """Fresh parameters of the network ``spec`` (see :func:`init_params` for the draws)."""
    real = int | float | np.integer | np.floating
    if (isinstance(forget_bias, bool) or not isinstance(forget_bias, real)
            or not np.isfinite(forget_bias)):
        raise ValueError(f"forget_bias must be a finite number, got {forget_bias!r}")
    rng = as_rng(random_state)
    cell, sizes, output_size = spec.cell, spec.hidden_sizes, spec.output_size
    params = {}
    in_size = spec.input_size
    directions = range(spec.num_directions)
    for k, H in enumerate(sizes):
        for d in directions:
            _draw_layer(params, layer_keys(k, d, peephole=True), rng, cell, H, in_size,
                        forget_bias, spec.peephole)
        in_size = H * len(directions)
    head_w = {"head.weight": _glorot(rng, output_size, in_size),
              "head.bias": np.zeros(output_size)}
    # Residual projections, then the attention head, then the decoder are drawn last, in
    # this order, so that the other weights do not depend on the options.
    for k in spec.residual_projections:
        params[residual_key(k)] = _glorot(rng, sizes[k], sizes[k - 1])
    if spec.attention:
        bound = 1.0 / math.sqrt(in_size)  # nn.Linear's: fan_in is D for all three maps
        params.update({key: rng.uniform(-bound, bound, size=shape)
                       for key, shape in attention_shapes(in_size).items()})
        # The head reads [context, last state]: the last-state half keeps the draw a plain
        # network would get, the context half is drawn after everything else.
        head_w["head.weight"] = np.concatenate(
            [_glorot(rng, output_size, in_size), head_w["head.weight"]], axis=1)
    params.update(head_w)
    if spec.decoder:
        in_size = output_size + spec.future_size
        for k, H in enumerate(sizes):
            _draw_layer(params, layer_keys(k, peephole=True, prefix=DECODER_PREFIX), rng,
                        cell, H, in_size, forget_bias, spec.peephole)
            in_size = H
        for k in spec.residual_projections:
            params[DECODER_PREFIX + residual_key(k)] = _glorot(rng, sizes[k], sizes[k - 1])
    return {key: value.astype(spec.dtype) for key, value in params.items()}


def n_parameters(cell, input_size, hidden_size, output_size=1):
    """Weights of a one-layer ``cell`` network with a linear head."""
    G = n_gates(cell)
    return G * hidden_size * (input_size + hidden_size + 2) + (hidden_size + 1) * output_size


def hidden_size_for_budget(cell, n_params, input_size, output_size=1):
    """The hidden size whose one-layer network comes closest to ``n_params`` weights."""
    G = n_gates(cell)
    # G·H² + (G·(I + 2) + O)·H + O = n_params
    b = G * (input_size + 2) + output_size
    root = (-b + math.sqrt(b * b + 4 * G * (n_params - output_size))) / (2 * G)
    candidates = [max(1, math.floor(root)), max(1, math.ceil(root))]
    return min(candidates, key=lambda h: abs(n_parameters(cell, input_size, h, output_size)
                                             - n_params))
