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

"Try this" prompts are data too (``vglib.prompts``): an ``Explorer`` checks its prompts when it
is built, so a chapter fails when one of them stops being true.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _checks, claims
from .prompts import LINE_READINGS, Prompt, Quantity, format_number

__all__ = ["Control", "Explorer", "Series"]

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


_PLACEHOLDER = re.compile(r"\{(\w+)(?:\[(\d+)\])?\}")


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
            if part.key in LINE_READINGS:
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
