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
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _checks

__all__ = ["Control", "Explorer", "Series", "format_number"]

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

    def widget(self):
        """Live ipywidgets controls for Jupyter and Colab (needs ipywidgets)."""
        from .widgets import explorer_widget

        return explorer_widget(self)

    def html(self):
        """The kernel-free HTML figure (every state precomputed), for the book and offline use."""
        from .figures import KernelFreeFigure

        return KernelFreeFigure(self)
