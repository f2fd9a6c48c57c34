"""Declarative parameter constraints: the values each estimator parameter accepts.

An estimator keeps one table (parameter name -> list of constraints) and checks
its parameters against it in ``fit`` with :func:`validate_params`, which names
the first parameter whose value no constraint accepts. A constraint is any
callable returning whether it accepts a value, with a ``describe()`` for the
message; None in a list accepts None.
"""

import math
import numbers

import numpy as np

__all__ = ["InstanceOf", "Interval", "Options", "Sequence", "describe", "validate_params"]


class Interval:
    """Real numbers (or integers) between ``low`` and ``high``; None is unbounded.

    ``closed`` is "both", "left", "right" or "neither"; infinite ends are
    open, so NaN and ±inf are never inside. Booleans are not numbers here.
    """

    def __init__(self, low=None, high=None, *, closed="both", integer=False):
        self.low, self.high, self.closed, self.integer = low, high, closed, integer

    def __call__(self, value):
        kind = numbers.Integral if self.integer else numbers.Real
        if isinstance(value, bool | np.bool_) or not isinstance(value, kind):
            return False
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        return ((isinstance(value, numbers.Integral) or math.isfinite(value))
                and (self.low is None or (value >= self.low if left else value > self.low))
                and (self.high is None or (value <= self.high if right else value < self.high)))

    def describe(self, plural=False):
        noun = ("integer" if self.integer else "number") + ("s" if plural else "")
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>=' if self.closed in ('both', 'left') else '>'} {self.low}")
        if self.high is not None:
            bounds.append(f"{'<=' if self.closed in ('both', 'right') else '<'} {self.high}")
        noun = f"{noun} {' and '.join(bounds)}" if bounds else f"finite {noun}"
        return noun if plural else f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


class Options:
    """One of the strings ``names`` (or of ``aliases``, accepted but not advertised)."""

    def __init__(self, *names, aliases=()):
        self.names, self.aliases = names, aliases

    def __call__(self, value):
        if isinstance(value, str):
            return value in self.names
        return isinstance(value, type | np.dtype) and value in self.aliases

    def describe(self):
        quoted = ", ".join(map(repr, self.names))
        return quoted if len(self.names) == 1 else f"one of {quoted}"


class InstanceOf:
    """Instances of ``cls`` (a class or a tuple of classes), described as ``text``
    (``plural`` in a :class:`Sequence`)."""

    def __init__(self, cls, text, plural=None):
        self.cls, self.text, self.plural = cls, text, plural

    def __call__(self, value):
        return isinstance(value, self.cls)

    def describe(self, plural=False):
        return self.plural if plural else self.text


class Sequence:
    """A non-empty list, tuple or 1-D array whose every item is accepted by ``item``."""

    def __init__(self, item):
        self.item = item

    def __call__(self, value):
        if not isinstance(value, list | tuple | np.ndarray) or np.ndim(value) != 1:
            return False
        return len(value) > 0 and all(self.item(v) for v in value)

    def describe(self):
        return f"a non-empty sequence of {self.item.describe(plural=True)}"


def _accepts(constraint, value):
    return value is None if constraint is None else constraint(value)


def describe(constraints):
    """What a list of constraints accepts, in words: "an integer >= 1 or 'auto'"."""
    texts = ["None" if c is None else c.describe() for c in constraints]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} or {texts[-1]}"


def validate_params(params, constraints):
    """Raise a ValueError naming the first parameter whose value no constraint accepts.

    ``constraints`` maps each parameter name to a list of constraints (objects
    called with the value; None accepts None).
    """
    for name, allowed in constraints.items():
        value = params[name]
        if not any(_accepts(c, value) for c in allowed):
            raise ValueError(f"{name} must be {describe(allowed)}, got {value!r}")
