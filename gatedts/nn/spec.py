"""What a network is: :class:`NetworkSpec`, one frozen value.

A spec names the cell, the sizes and every architecture option (the GRU
form, peepholes, bidirectional layers, residual stacks, the head, a decoder
and its known-future covariates) and the dtype. It holds the rules for which
options combine (:data:`COMBINATION_RULES`) and which run on the CPU only
(:data:`CPU_ONLY`), each written once; :func:`gatedts.nn.params.init_params`
draws the parameters of a spec, and :func:`gatedts.nn.params.network_spec`
reads one back from a parameter dict plus the facts the dict cannot show
(a residual stack of equal widths, the sequence head, the GRU form).
"""

from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import numpy as np

from .cells import get_cell

__all__ = ["COMBINATION_RULES", "CPU_ONLY", "HEADS", "NetworkSpec"]

#: What the linear head reads (see :mod:`gatedts.nn.functional`).
Head = Literal["last", "attention", "sequence"]
HEADS: tuple[str, ...] = get_args(Head)
_FLOAT32 = np.dtype(np.float32)


def _check_size(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        kind = "a positive" if low == 1 else "a non-negative"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class NetworkSpec:
    """The architecture of a network: what its parameters and kernels must agree on.

    Parameters
    ----------
    cell : {"gru", "lstm", "rnn"}
    input_size : int
        Input features per time step.
    hidden_sizes : tuple of int
        Units of each layer, bottom first.
    output_size : int, default 1
        Outputs of the linear head (per step with the sequence head or a decoder).
    dtype : numpy dtype, default float32
        float32 or float64.
    reset_after : bool, default True
        The GRU form (ignored by the other cells).
    peephole : bool, default False
        LSTM peephole connections.
    bidirectional : bool, default False
    residual : bool, default False
    head : {"last", "attention", "sequence"}, default "last"
    decoder : bool, default False
        An encoder-decoder network (see :mod:`gatedts.nn.decoder`).
    future_size : int, default 0
        The decoder's known-future covariates per step.

    Raises
    ------
    ValueError
        A size, name or dtype out of range, or options that do not combine
        (one rule of :data:`COMBINATION_RULES`).
    """

    cell: str
    input_size: int
    hidden_sizes: tuple[int, ...]
    output_size: int = 1
    dtype: np.dtype = _FLOAT32
    reset_after: bool = True
    peephole: bool = False
    bidirectional: bool = False
    residual: bool = False
    head: str = "last"
    decoder: bool = False
    future_size: int = 0

    def __post_init__(self):
        get_cell(self.cell)
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        if not len(self.hidden_sizes):
            raise ValueError("hidden_size must name at least one layer")
        checked = {"dtype": dtype,
                   "input_size": _check_size("input_size", self.input_size),
                   "output_size": _check_size("output_size", self.output_size),
                   "hidden_sizes": tuple(_check_size("hidden_size", h)
                                         for h in self.hidden_sizes),
                   "future_size": _check_size("future_size", self.future_size, low=0)}
        for name in ("reset_after", "peephole", "bidirectional", "residual", "decoder"):
            checked[name] = bool(getattr(self, name))
        for name, value in checked.items():  # frozen: normalised once, here
            object.__setattr__(self, name, value)
        if self.head not in HEADS:
            raise ValueError(f"unknown head {self.head!r}; expected one of "
                             f"{', '.join(map(repr, HEADS))}")
        for rule, message in COMBINATION_RULES:
            if rule(self):
                raise ValueError(message.format(spec=self, CELL=self.cell.upper()))

    # ------------------------------------------------------------ derived sizes

    @property
    def num_layers(self) -> int:
        return len(self.hidden_sizes)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def top_width(self) -> int:
        """D: the width of the top layer's output (both directions side by side)."""
        return self.hidden_sizes[-1] * self.num_directions

    @property
    def state_sizes(self) -> tuple[int, ...]:
        """H of each initial/final state, in PyTorch's order: layer by layer, and
        within a bidirectional layer the forward direction before the reverse."""
        return tuple(H for H in self.hidden_sizes for _ in range(self.num_directions))

    @property
    def attention(self) -> bool:
        """Whether the head has parameters of its own (``attention.*``)."""
        return self.head == "attention"

    @property
    def residual_projections(self) -> tuple[int, ...]:
        """The layers with a ``residual_proj_l{k}.weight``: in a residual stack, those
        whose width differs from the layer below."""
        if not self.residual:
            return ()
        sizes = self.hidden_sizes
        return tuple(k for k in range(1, len(sizes)) if sizes[k] != sizes[k - 1])

    # ------------------------------------------------------------ rules

    def cpu_only(self) -> tuple[str, ...]:
        """The messages of the features of this network that run on the CPU only."""
        return tuple(message.format(spec=self) for rule, message in CPU_ONLY if rule(self))

    def check_device(self, device: str) -> None:
        """Raise a ValueError if the network has a CPU-only feature and ``device`` is
        not "cpu"."""
        if device != "cpu":
            refused = self.cpu_only()
            if refused:
                raise ValueError(refused[0])

    def replace(self, **changes: Any) -> "NetworkSpec":
        """A copy with ``changes``, checked like a new spec."""
        return replace(self, **changes)


# (rule, message): a network for which rule(spec) is true is refused with the message
# (formatted with the spec, and CELL its cell in capitals).
COMBINATION_RULES = (
    (lambda s: s.peephole and s.cell != "lstm",
     "peephole=True is only valid for an LSTM, not a {CELL}"),
    (lambda s: s.residual and s.bidirectional,
     "residual=True is not supported with bidirectional layers"),
    (lambda s: s.decoder and s.bidirectional,
     "decoder=True is not supported with bidirectional layers: the decoder runs forward "
     "in time, one step per output"),
    (lambda s: s.decoder and s.head != "last",
     "decoder=True is not supported with head={spec.head!r}: the decoder's head reads its "
     "top state at every step"),
    (lambda s: s.future_size and not s.decoder,
     "future_size is the decoder's number of known-future covariates; pass decoder=True "
     "with it"),
)

# (rule, message): the features the CUDA path does not have.
CPU_ONLY = (
    (lambda s: s.decoder,
     "encoder-decoder networks (decoder=True, 'decoder.*' keys) run on the CPU only: the "
     "CUDA path has no decoder yet; use device='cpu'"),
    (lambda s: s.bidirectional,
     "bidirectional layers run on the CPU only: the CUDA path has no reverse direction "
     "yet; use device='cpu'"),
    (lambda s: s.residual,
     "residual stacks run on the CPU only: the CUDA path has no residual connections yet; "
     "use device='cpu'"),
    (lambda s: s.head != "last",
     "the {spec.head!r} head runs on the CPU only: the CUDA path has the last-state head "
     "(head='last') only; use device='cpu'"),
)
