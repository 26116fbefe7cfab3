"""One description, two front ends: an interactive figure as data.

An ``Explorer`` names its controls, a ``compute`` function that turns control values into line
``Series``, the axes and a caption template. From that single description

* ``explorer.widget()`` builds live ipywidgets controls for Jupyter and Colab (``vglib.widgets``),
* ``explorer.html()`` precomputes every combination of control values and returns a self-contained
  HTML/SVG/JS figure that works without a kernel, in the HTML book and offline
  (``vglib.figures``),

so both always show the same controls, the same data and the same caption.

Caption templates use ``{control_name}`` for a control's current value and ``{start[i]}`` /
``{end[i]}`` for the first / last visible y value of series ``i``, and ``{note}`` for the text
``compute`` attached to the state (``Series.note`` of the first series).

"Try this" prompts are data too. A ``Prompt`` names the control values it asks the reader to
choose, its text, and what the figure then shows, as ``Expect`` conditions on ``Quantity``
readings of the figure (the numbers its caption reports)::

    Prompt("Find the factor at which 100 layers still leave about half of the signal.",
           settings={"factor": 0.993, "layers": 100},
           expect=Expect("end[0]", "in", (0.45, 0.55)))

An ``Explorer`` checks its prompts when it is built: every value must be a state of the figure
and every condition must hold (``claims.ClaimError`` if one no longer does), so a chapter fails
when one of its prompts stops being true. Both front ends show the prompts under the figure,
each with the state it asks for and that state's caption behind a "what you should see" fold.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _checks, claims

__all__ = ["Control", "Expect", "Explorer", "Prompt", "Quantity", "Series", "format_number"]

ROLES = ("data", "xmax")
MIN_DECADES = 3.0


@dataclass(frozen=True)
class Control:
    """A control: a slider over ``values`` or a dropdown (``kind="dropdown"``) of them.

    ``role="data"``: the value is passed to ``compute``. ``role="xmax"``: the value crops the
    x-axis to ``x <= value`` (a "number of layers shown" slider needs no extra data).
    """

    name: str
    label: str
    values: tuple
    default: object
    kind: str = "slider"
    role: str = "data"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"name must be a Python identifier; got {self.name!r}")
        # plain Python values (numpy scalars do not survive JSON or widget options cleanly)
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in self.values)
        object.__setattr__(self, "values", values)
        if isinstance(self.default, np.generic):
            object.__setattr__(self, "default", self.default.item())
        if len(self.values) < 2:
            raise ValueError(f"control {self.name!r} needs at least 2 values; got {self.values!r}")
        if self.default not in self.values:
            raise ValueError(
                f"default={self.default!r} of control {self.name!r} is not one of its values"
            )
        _checks.choice(self.kind, ("slider", "dropdown"), "kind")
        _checks.choice(self.role, ROLES, "role")

    @property
    def index(self) -> int:
        """Position of the default value."""
        return self.values.index(self.default)

    def show(self, value: object) -> str:
        """The value as the figure shows it."""
        return format_number(value) if isinstance(value, (int, float)) else str(value)


@dataclass(frozen=True)
class Series:
    """One line of a figure."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: str | None = None
    dashed: bool = False
    note: str = ""
    info: dict = field(default_factory=dict, compare=False)  # numbers for tables, not drawn

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=np.float64)
        y = np.asarray(self.y, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"series {self.label!r}: x and y must be 1-D of the same length")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)


def format_number(value: float) -> str:
    """Three significant digits, like Python's ``"{:.3g}"`` (the HTML figures use the same)."""
    return f"{value:.3g}"


_PLACEHOLDER = re.compile(r"\{(\w+)(?:\[(\d+)\])?\}")


# -- prompts: what a "try this" asks the reader to set, and what the figure then shows ----------

_READING = re.compile(r"(\w+)\[(\d+)\]")
_LINE_READINGS = ("start", "end", "min", "max")  # any other name: a number in Series.info
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


@dataclass
class Explorer:
    """An interactive line plot: controls, how to compute its lines, and how to label them."""

    name: str
    title: str
    xlabel: str
    ylabel: str
    controls: Sequence[Control]
    compute: Callable[..., list[Series]]
    caption: str
    alt: str
    log_y: bool = True
    prompts: Sequence[Prompt] = ()
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.name):
            raise ValueError(f"name must be lowercase letters, digits and '-'; got {self.name!r}")
        names = [c.name for c in self.controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique; got {names}")
        for key, _ in _PLACEHOLDER.findall(self.caption):
            if key not in names and key not in ("start", "end", "note"):
                raise ValueError(f"caption placeholder {{{key}}} is not a control name")
        self.prompts = tuple(self.prompts)
        if not all(isinstance(p, Prompt) for p in self.prompts):
            raise TypeError(f"prompts of {self.name!r} must be Prompt objects")
        self.check_prompts()

    @property
    def data_controls(self) -> list[Control]:
        return [c for c in self.controls if c.role == "data"]

    @property
    def xmax_control(self) -> Control | None:
        return next((c for c in self.controls if c.role == "xmax"), None)

    def defaults(self) -> dict[str, object]:
        return {c.name: c.default for c in self.controls}

    def series(self, **values) -> list[Series]:
        """The lines for these data-control values (computed once, then cached)."""
        key = tuple(values[c.name] for c in self.data_controls)
        if key not in self._cache:
            names = [c.name for c in self.data_controls]
            lines = self.compute(**dict(zip(names, key, strict=True)))
            if not lines or not all(isinstance(s, Series) for s in lines):
                raise TypeError(f"compute of {self.name!r} must return a list of Series")
            self._cache[key] = lines
        return self._cache[key]

    def states(self):
        """Every combination of data-control values, as dicts."""
        names = [c.name for c in self.data_controls]
        for combo in itertools.product(*(c.values for c in self.data_controls)):
            yield dict(zip(names, combo, strict=True))

    def visible(self, lines: list[Series], xmax: float | None) -> list[Series]:
        """The lines cropped to ``x <= xmax`` (no cropping without an xmax control)."""
        if xmax is None:
            return lines
        return [Series(s.label, s.x[s.x <= xmax], s.y[s.x <= xmax], s.color, s.dashed, s.note,
                       s.info) for s in lines]

    def y_range(self, lines: list[Series]) -> tuple[float, float]:
        """The y-axis range for these (visible) lines.

        Log axis: whole decades around the data with a little room, at least ``MIN_DECADES``
        of them (so a flat line looks flat, and nearby states share an axis). Linear axis: the
        data range padded by 5 %. ``figure.js`` applies the same rule.
        """
        ys = np.concatenate([s.y for s in lines])
        if not self.log_y:
            low, high = float(ys.min()), float(ys.max())
            pad = 0.05 * ((high - low) or 1.0)
            return low - pad, high + pad
        logs = np.log10(ys[ys > 0])  # a point within 0.15 decade of a bound gets one more
        low = float(np.floor(logs.min() - 0.15))
        high = float(np.ceil(logs.max() + 0.15))
        missing = max(0.0, MIN_DECADES - (high - low))
        low -= np.ceil(missing / 2)
        high += np.floor(missing / 2)
        return 10.0**low, 10.0**high

    def caption_for(self, values: dict[str, object]) -> str:
        """The caption for a full set of control values (the same text the HTML figure shows)."""
        xmax = self.xmax_control
        lines = self.visible(
            self.series(**{c.name: values[c.name] for c in self.data_controls}),
            None if xmax is None else values[xmax.name],
        )
        controls = {c.name: c for c in self.controls}

        def fill(match: re.Match) -> str:
            key, index = match.group(1), match.group(2)
            if key in controls:
                return controls[key].show(values[key])
            if key == "note":
                return lines[0].note
            series = lines[int(index or 0)]
            return format_number(series.y[0] if key == "start" else series.y[-1])

        return _PLACEHOLDER.sub(fill, self.caption)

    # -- prompts ----------------------------------------------------------------------------------
    def _state(self, base: dict[str, object], settings: dict[str, object], prompt: Prompt):
        """``base`` with ``settings`` applied, each value checked to be a state of the figure."""
        controls = {c.name: c for c in self.controls}
        state = dict(base)
        for name, value in settings.items():
            if name not in controls:
                raise ValueError(
                    f"prompt {prompt.text!r} of figure {self.name!r} sets {name}={value!r}, but "
                    f"the figure has no control {name!r} (its controls: {', '.join(controls)})"
                )
            if value not in controls[name].values:
                shown = ", ".join(controls[name].show(v) for v in controls[name].values)
                raise ValueError(
                    f"prompt {prompt.text!r} of figure {self.name!r} sets {name}={value!r}, "
                    f"which is not a state of the figure: {name} takes {shown}"
                )
            state[name] = value
        return state

    def prompt_state(self, prompt: Prompt) -> dict[str, object]:
        """Every control's value in the state a prompt asks for."""
        return self._state(self.defaults(), prompt.settings, prompt)

    def _read(self, quantity: Quantity, state: dict[str, object], prompt: Prompt) -> float:
        values = []
        for part in quantity.parts():
            at = self._state(state, part.settings, prompt)
            xmax = self.xmax_control
            lines = self.visible(self.series(**{c.name: at[c.name] for c in self.data_controls}),
                                 None if xmax is None else at[xmax.name])
            if part.index >= len(lines):
                raise ValueError(f"prompt {prompt.text!r}: {part.reading} reads series "
                                 f"{part.index}, but the figure shows {len(lines)} there")
            series = lines[part.index]
            if part.key in _LINE_READINGS:
                y = series.y
                values.append(float({"start": y[0], "end": y[-1], "min": y.min(),
                                     "max": y.max()}[part.key]))
            elif part.key in series.info:
                values.append(float(series.info[part.key]))
            else:
                raise ValueError(
                    f"prompt {prompt.text!r}: {part.reading} is not a reading of the figure "
                    f"(start, end, min, max, or one of {sorted(series.info)})"
                )
        return values[0] if len(values) == 1 else values[0] / values[1]

    def prompt_states(self, prompt: Prompt) -> list[dict[str, object]]:
        """Every state the prompt's conditions read, in the order they first read it (the
        prompt's own state first if no condition reads it)."""
        state = self.prompt_state(prompt)
        states = []
        for expect in prompt.expect:
            for part in expect.quantities():
                other = self._state(state, part.settings, prompt)
                if other not in states:
                    states.append(other)
        return states if state in states else [state, *states]

    def check_prompts(self) -> list[str]:
        """Check every prompt: its values are states of the figure and its conditions hold.

        Returns one ``✓`` line per prompt; raises ``ValueError`` for a value that is not a state
        and ``claims.ClaimError`` for a condition the figure no longer meets."""
        lines = []
        for prompt in self.prompts:
            state = self.prompt_state(prompt)
            shown = []
            for expect in prompt.expect:
                value = self._read(expect.quantity, state, prompt)
                bound = (self._read(expect.bound, state, prompt)
                         if isinstance(expect.bound, Quantity) else expect.bound)
                if not expect.holds(value, bound):
                    raise claims.ClaimError(
                        f"the prompt no longer holds: {prompt.text!r} of figure {self.name!r} "
                        f"({self.describe_state(state)}): {expect.describe(value, bound)} is "
                        f"false"
                    )
                shown.append(expect.describe(value, bound))
            lines.append(f"✓ {prompt.text} ({self.describe_state(state)}): {'; '.join(shown)}")
        return lines

    def describe_state(self, values: dict[str, object]) -> str:
        """``label value`` for every control: "factor per layer 0.993, number of layers 100"."""
        return ", ".join(f"{c.label} {c.show(values[c.name])}" for c in self.controls)

    def widget(self):
        """Live ipywidgets controls for Jupyter and Colab (needs ipywidgets)."""
        from .widgets import explorer_widget

        return explorer_widget(self)

    def html(self):
        """The kernel-free HTML figure (every state precomputed), for the book and offline use."""
        from .figures import KernelFreeFigure

        return KernelFreeFigure(self)
