"""Kernel-free interactive figures: an ``Explorer`` precomputed into one HTML block.

``KernelFreeFigure(explorer)`` evaluates the explorer's ``compute`` for every combination of its
data controls, and emits a single ``<div>`` with the controls (``<input type=range>`` and
``<select>``), an SVG drawn by a small inline script from inline JSON data (which also gives
every line its colour, from vglib's palette), a caption that is also the figure's text
alternative, and the explorer's "try this" prompts (``prompt_markup``).
Nothing is loaded from anywhere: no external scripts, fonts or CDNs, so it works in the built
book, from ``file://`` and offline. In Jupyter it renders as the cell's HTML output; moving a
control needs no kernel.

Output is deterministic (ids come from the explorer's name, numbers are rounded to 4
significant digits), so nbval can compare it like any other output.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from ._palette import line_color
from .interactive import MIN_DECADES, Explorer, Series

__all__ = ["MAX_BYTES", "KernelFreeFigure", "prompt_markup"]

MAX_BYTES = 200_000  # size budget of one figure's HTML
_SCRIPT = (Path(__file__).with_name("figure.js")).read_text()
_STYLE = """
#{id} {{ margin: 1em 0; color: inherit; }}
#{id} .vgfig-controls {{ display: flex; flex-wrap: wrap; gap: 0.5em 2em; align-items: center;
  font-size: 0.9em; }}
#{id} .vgfig-controls label {{ display: flex; gap: 0.5em; align-items: center; }}
#{id} .vgfig-controls output {{ min-width: 4.5em; font-variant-numeric: tabular-nums; }}
#{id} svg {{ width: 100%; max-width: 720px; height: auto; display: block; }}
#{id} .vgfig-caption {{ font-size: 0.95em; margin: 0.25em 0 0; }}
#{id} .vgfig-prompts {{ font-size: 0.95em; margin: 0.75em 0 0; }}
#{id} .vgfig-prompts p {{ margin: 0.25em 0; }}
#{id} .vgfig-prompts ol {{ margin: 0.25em 0; padding-left: 1.5em; }}
#{id} .vgfig-prompts summary {{ cursor: pointer; font-size: 0.9em; }}
"""


def _round(values: np.ndarray) -> list[float]:
    return [float(f"{v:.4g}") for v in values]


def _encode_x(x: np.ndarray) -> list[float] | dict[str, float]:
    """An evenly spaced x is stored as start and step, anything else as a list."""
    if x.size > 2 and np.allclose(np.diff(x), x[1] - x[0]):
        return {"start": float(x[0]), "step": float(x[1] - x[0])}
    return _round(x)


def _encode_series(s: Series, index: int) -> dict:
    """Line number ``index`` of a state, with the colour to draw it in (``figure.js`` has none
    of its own: every colour comes from ``vglib._palette``)."""
    return {"label": s.label, "color": line_color(s.color, index), "dashed": s.dashed,
            "note": s.note, "x": _encode_x(s.x), "y": _round(s.y)}


def prompt_markup(explorer: Explorer) -> str:
    """The explorer's prompts as HTML: a numbered list, each prompt with the state it asks for
    and the captions of the states it reads folded under "What you should see"; ``""`` if the
    explorer has no prompts. Both front ends show it under the figure."""
    if not explorer.prompts:
        return ""
    items = []
    for prompt in explorer.prompts:
        shown = "".join(
            f"<p>{html.escape(explorer.describe_state(state))}: "
            f"“{html.escape(explorer.caption_for(state))}”</p>"
            for state in explorer.prompt_states(prompt)
        )
        items.append(f"<li>{html.escape(prompt.text)}<details><summary>What you should see"
                     f"</summary>{shown}</details></li>")
    return ('<div class="vgfig-prompts"><p><strong>Try this</strong></p>'
            f"<ol>{''.join(items)}</ol></div>")


class KernelFreeFigure:
    """An ``Explorer`` rendered as a self-contained interactive HTML figure."""

    def __init__(self, explorer: Explorer) -> None:
        if not isinstance(explorer, Explorer):
            raise TypeError(f"explorer must be a vglib Explorer; got {type(explorer).__name__}")
        self.explorer = explorer
        self.id = f"vgfig-{explorer.name}"
        self.html = self._render()
        if len(self.html.encode()) > MAX_BYTES:
            raise ValueError(
                f"figure {explorer.name!r} is {len(self.html.encode()):,} bytes of HTML, over "
                f"the {MAX_BYTES:,}-byte budget: use fewer control values or fewer points"
            )

    # -- data ----------------------------------------------------------------------------------
    def _data(self) -> dict:
        ex = self.explorer
        data_controls = ex.data_controls
        states = {}
        for values in ex.states():
            key = "|".join(str(c.values.index(values[c.name])) for c in data_controls)
            states[key] = [_encode_series(s, i) for i, s in enumerate(ex.series(**values))]
        return {
            "title": ex.title,
            "xlabel": ex.xlabel,
            "ylabel": ex.ylabel,
            "logY": ex.log_y,
            "minDecades": MIN_DECADES,
            "caption": ex.caption,
            "controls": [
                {"name": c.name, "label": c.label, "kind": c.kind, "role": c.role,
                 "values": list(c.values), "shown": [c.show(v) for v in c.values]}
                for c in ex.controls
            ],
            "states": states,
        }

    # -- markup --------------------------------------------------------------------------------
    def _control_markup(self, control) -> str:
        cid = f"{self.id}-{control.name}"
        shown = html.escape(control.show(control.default))
        label = html.escape(control.label)
        if control.kind == "dropdown":
            options = "".join(
                f'<option value="{i}"{" selected" if i == control.index else ""}>'
                f"{html.escape(control.show(v))}</option>"
                for i, v in enumerate(control.values)
            )
            return f'<label for="{cid}">{label} <select id="{cid}">{options}</select></label>'
        return (
            f'<label for="{cid}">{label} <input type="range" id="{cid}" min="0" '
            f'max="{len(control.values) - 1}" step="1" value="{control.index}" '
            f'aria-valuetext="{shown}"> <output id="{cid}-shown" for="{cid}">{shown}</output>'
            "</label>"
        )

    def _render(self) -> str:
        ex = self.explorer
        data = json.dumps(self._data(), separators=(",", ":"), allow_nan=False)
        data = data.replace("</", "<\\/")  # a JSON string can never close the <script> early
        controls = "".join(self._control_markup(c) for c in ex.controls)
        caption = html.escape(ex.caption_for(ex.defaults()))
        return (
            f'<div class="vgfig" id="{self.id}">'
            f"<style>{_STYLE.format(id=self.id)}</style>"
            f'<div class="vgfig-controls">{controls}</div>'
            f'<svg id="{self.id}-svg" viewBox="0 0 640 380" role="img" '
            f'aria-labelledby="{self.id}-title {self.id}-caption">'
            f'<title id="{self.id}-title">{html.escape(ex.title)}. {html.escape(ex.alt)}</title>'
            '<text x="320" y="190" text-anchor="middle" fill="currentColor">'
            "This interactive figure needs JavaScript (in Jupyter: a trusted notebook).</text>"
            "</svg>"
            f'<p class="vgfig-caption" id="{self.id}-caption" aria-live="polite">{caption}</p>'
            f"{prompt_markup(ex)}"
            f'<script type="application/json" id="{self.id}-data">{data}</script>'
            f"<script>{_SCRIPT.replace('__VGFIG_ID__', self.id)}</script>"
            "</div>"
        )

    # -- display -------------------------------------------------------------------------------
    @property
    def size_bytes(self) -> int:
        return len(self.html.encode())

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        n_states = len(list(self.explorer.states()))
        return (f"KernelFreeFigure({self.explorer.name!r}: {len(self.explorer.controls)} controls, "
                f"{n_states} precomputed states, {self.size_bytes / 1000:.1f} kB)")
