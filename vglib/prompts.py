"""The "try this" prompts of an interactive figure, as data the figure checks.

A ``Prompt`` names the control values it asks the reader to choose, its text, and what the
figure then shows, as ``Expect`` conditions on ``Quantity`` readings of the figure (the numbers
its caption reports)::

    Prompt("Find the factor at which 100 layers still leave about half of the signal.",
           settings={"factor": 0.993, "layers": 100},
           expect=Expect("end[0]", "in", (0.45, 0.55)))

An ``Explorer`` (``vglib.interactive``) checks its prompts when it is built: every value must be
a state of the figure and every condition must hold (``claims.ClaimError`` if one no longer
does), so a chapter fails when one of its prompts stops being true. Both front ends show the
prompts under the figure, each with the state it asks for and that state's caption behind a
"what you should see" fold (``figures.prompt_markup``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import _checks, claims

__all__ = ["LINE_READINGS", "Expect", "Prompt", "Quantity", "as_quantity", "format_number"]


def format_number(value: float) -> str:
    """A number as captions and prompts show it: three significant digits, like Python's
    ``"{:.3g}"`` (``figure.js`` formats the same way)."""
    return f"{value:.3g}"


_READING = re.compile(r"(\w+)\[(\d+)\]")
LINE_READINGS = ("start", "end", "min", "max")  # any other name: a number in Series.info
_ORDER = ("<", "<=", ">", ">=")


class Quantity:
    """A number the figure shows in a prompt's state.

    ``Quantity("end[0]")``: the last visible y value of series 0, what a caption's ``{end[0]}``
    reports (``start[i]``: the first; ``min[i]`` / ``max[i]``: the extremes of the visible line;
    any other name: that entry of ``Series.info``, e.g. ``accuracy[0]``).
    ``Quantity("start[0]", depth=25)``: the same reading with ``depth`` set to 25 instead
    (the other controls as in the prompt). ``Quantity("start[0] / end[0]")``: the ratio of two
    readings of one state; ``a / b``: the ratio of two quantities, also of different states.
    """

    def __init__(self, reading: str, /, **settings: object) -> None:
        parts = reading.split("/") if isinstance(reading, str) else [None]
        match = _READING.fullmatch(parts[0].strip()) if parts[0] is not None else None
        if match is None or len(parts) > 2:
            raise ValueError(
                f"a quantity reads one series, like 'end[0]', 'start[1]', 'max[0]' or "
                f"'accuracy[0]', or is the ratio of two, like 'start[0] / end[0]'; "
                f"got {reading!r}"
            )
        self.reading, self.key, self.index = match.group(0), match.group(1), int(match.group(2))
        self.settings = dict(settings)
        self.over: Quantity | None = None
        if len(parts) == 2:
            self.over = Quantity(parts[1].strip(), **settings)

    def __truediv__(self, other: Quantity | str) -> Quantity:
        other = as_quantity(other)
        if self.over is not None or other.over is not None:
            raise ValueError("a quantity is one reading or the ratio of two, not more")
        ratio = Quantity(self.reading, **self.settings)
        ratio.over = other
        return ratio

    def parts(self) -> list[Quantity]:
        """The readings: this one, or the numerator and the denominator of a ratio."""
        return [self] if self.over is None else [Quantity(self.reading, **self.settings),
                                                 self.over]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        def one(q: Quantity) -> str:
            at = ", ".join(f"{k}={v!r}" for k, v in q.settings.items())
            return q.reading + (f" at {at}" if at else "")

        return one(self) if self.over is None else f"{one(self.parts()[0])} / {one(self.over)}"

    __repr__ = __str__


def as_quantity(value: Quantity | str) -> Quantity:
    """``value`` itself, or the ``Quantity`` a string such as ``"end[0]"`` names."""
    return value if isinstance(value, Quantity) else Quantity(value)


def _finite_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number; got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{what} must be finite (an infinite bound passes anything); "
                         f"got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Expect:
    """What the figure shows in a prompt's state: ``quantity relation bound``.

    ``relation``: ``<``, ``<=``, ``>``, ``>=`` against a number or another ``Quantity``;
    ``in`` a closed interval ``(low, high)``; ``≈`` a number within ``rel`` (relative, at most
    ``claims.MAX_REL``) or ``abs``. Bounds are finite, so no condition passes everything.
    """

    quantity: Quantity | str
    relation: str
    bound: object
    rel: float | None = None
    abs: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", as_quantity(self.quantity))
        _checks.choice(self.relation, (*_ORDER, "in", "≈"), "relation")
        if self.relation == "in":
            if not isinstance(self.bound, (tuple, list)) or len(self.bound) != 2:
                raise ValueError(f"relation 'in' needs an interval (low, high); got {self.bound!r}")
            low, high = (_finite_number(b, "bound") for b in self.bound)
            if not low < high:
                raise ValueError(f"the interval must have low < high; got {self.bound!r}")
            object.__setattr__(self, "bound", (low, high))
        elif isinstance(self.bound, Quantity):
            if self.relation not in _ORDER:
                raise ValueError(f"a quantity as bound takes <, <=, > or >=; got {self.relation!r}")
        else:
            object.__setattr__(self, "bound", _finite_number(self.bound, "bound"))
        if self.relation == "≈":
            if self.rel is None and self.abs is None:
                raise ValueError("relation '≈' needs a tolerance: rel= or abs=")
            if self.rel is not None and not 0 < self.rel <= claims.MAX_REL:
                raise ValueError(f"rel must be in (0, {claims.MAX_REL}]; got {self.rel!r}")
            if self.abs is not None and not self.abs > 0:
                raise ValueError(f"abs must be positive; got {self.abs!r}")
        elif self.rel is not None or self.abs is not None:
            raise ValueError(f"rel= and abs= belong to relation '≈', not {self.relation!r}")

    def quantities(self) -> list[Quantity]:
        """Every reading this condition needs."""
        bound = self.bound.parts() if isinstance(self.bound, Quantity) else []
        return [*self.quantity.parts(), *bound]

    def holds(self, value: float, bound: float | tuple[float, float]) -> bool:
        """Whether ``value relation bound`` holds (the comparison is ``claims.word``'s)."""
        if self.relation in _ORDER:
            return claims.word(value, self.relation, bound, "yes", "no") == "yes"
        if self.relation == "in":
            return (claims.word(value, ">=", bound[0], "yes", "no") == "yes"
                    and claims.word(value, "<=", bound[1], "yes", "no") == "yes")
        tolerance = max(self.rel * abs(bound) if self.rel is not None else 0.0,
                        self.abs if self.abs is not None else 0.0)
        return claims.word(abs(value - bound), "<=", tolerance, "yes", "no") == "yes"

    def describe(self, value: float, bound: float | tuple[float, float]) -> str:
        """The condition with its numbers, e.g. ``end[0] = 0.495 in [0.45, 0.55]``."""
        if self.relation == "in":
            shown = f"[{format_number(bound[0])}, {format_number(bound[1])}]"
        else:
            shown = format_number(bound)
            if isinstance(self.bound, Quantity):
                shown = f"{self.bound} = {shown}"
        tolerance = (f" (within {self.rel:g} relative)" if self.rel is not None else "") + (
            f" (within {self.abs:g})" if self.abs is not None else "")
        return f"{self.quantity} = {format_number(value)} {self.relation} {shown}{tolerance}"


@dataclass(frozen=True)
class Prompt:
    """A "try this" of an interactive figure: the text the reader sees, the control values it
    asks for (``settings``; controls it does not name stay at the figure's default) and what
    the figure then shows (``expect``: one ``Expect`` or several)."""

    text: str
    settings: dict
    expect: Expect | tuple[Expect, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"a prompt needs its text; got {self.text!r}")
        if not isinstance(self.settings, dict) or not self.settings:
            raise ValueError(f"prompt {self.text!r}: settings must name the control values it "
                             f"asks for (a non-empty dict); got {self.settings!r}")
        expect = (self.expect,) if isinstance(self.expect, Expect) else tuple(self.expect)
        if not expect or not all(isinstance(e, Expect) for e in expect):
            raise TypeError(f"prompt {self.text!r}: expect must be one Expect or several; "
                            f"got {self.expect!r}")
        settings = {k: v.item() if isinstance(v, np.generic) else v
                    for k, v in self.settings.items()}
        object.__setattr__(self, "settings", settings)
        object.__setattr__(self, "expect", expect)

