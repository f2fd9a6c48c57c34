"""The one registry of recurrent cells: names, gates and the CPU layer of each.

Every other module asks this one which cells exist (:data:`CELL_NAMES`), how
many gates a cell has and in which order its gate blocks sit in
``weight_ih``/``weight_hh`` (:func:`get_cell`). Adding a cell means one entry
here, its kernels in ``nn/cpu/`` and ``nn/cuda/`` and a layer class in each
folder's ``layers.py`` (see CONTRIBUTING.md).
"""

from dataclasses import dataclass

from .cpu import layers as cpu_layers


@dataclass(frozen=True)
class Cell:
    """What the rest of gatedts needs to know about one cell type.

    Attributes
    ----------
    name : str
        "gru", "lstm" or "rnn": the name every public function takes.
    n_gates : int
        G, the number of blocks of ``H`` rows in ``weight_ih``/``weight_hh``.
    gate_names : tuple of str
        The activations kept per step, in block order (empty for the RNN,
        whose only activation is ``h``).
    state_name : str or None
        The second carried state (``"c"`` for the LSTM's cell state).
    cpu_layer : type
        The class in :mod:`gatedts.nn.cpu.layers` that runs one layer.
    """

    name: str
    n_gates: int
    gate_names: tuple[str, ...]
    state_name: str | None
    cpu_layer: type


CELLS = {cell.name: cell for cell in (
    Cell("gru", 3, ("r", "z", "n"), None, cpu_layers.GRU),
    Cell("lstm", 4, ("i", "f", "g", "o"), "c", cpu_layers.LSTM),
    Cell("rnn", 1, (), None, cpu_layers.RNN),
)}
CELL_NAMES = tuple(CELLS)


def get_cell(name):
    """The :class:`Cell` called ``name``; a ValueError naming the choices otherwise."""
    cell = CELLS.get(name) if isinstance(name, str) else None
    if cell is None:
        raise ValueError(f"unknown cell {name!r}; expected one of {', '.join(CELL_NAMES)}")
    return cell


def n_gates(name):
    """G for the cell ``name``: 3 for the GRU, 4 for the LSTM, 1 for the RNN."""
    return get_cell(name).n_gates


def cpu_layer(spec):
    """The :mod:`gatedts.nn.cpu.layers` object that runs one layer of the network ``spec``
    (a :class:`~gatedts.nn.spec.NetworkSpec`), in its GRU form."""
    layer = get_cell(spec.cell).cpu_layer
    return layer(spec.reset_after) if spec.cell == "gru" else layer()
