"""Tables of results that read well everywhere: an HTML table in Jupyter, Colab and the book,
aligned text in a terminal or a plain-text output.

``Table(columns, rows)`` displays itself: ``_repr_html_`` gives a ``<table>`` (numbers
right-aligned, a caption, a scroll box of its own on a narrow screen) and ``__repr__`` the same
rows as aligned text. Both are deterministic, so nbval can compare them.

A cell is a string, an ``int``, a ``float`` (formatted with the column's entry in ``formats``,
``.3g`` by default) or a ``Mark``: a word with a symbol that stands out (a flag such as
"vanishing"), coloured in HTML but never by colour alone.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from dataclasses import dataclass

TEXT_WIDTH = 77  # characters of code font in the book's content column

# A string that reads as a number (98.8%, -1.2e-05, 1,024, 0.5 (0.4-0.6), NaN) is right-aligned;
# "1024+" (at least) too; "-", "none" and empty cells do not decide a column's alignment.
_NUMBER = re.compile(r"^[-+\u2212]?(\d[\d,]*\.?\d*|\.\d+|nan|inf)(e[-+]?\d+)?\+?\s*[%x×]?"
                     r"(\s*\(.*\))?$", re.IGNORECASE)
_NO_VALUE = ("", "-", "none")

# tone -> (symbol used when the caller gives none, CSS class, colour). HTML outputs sit on a light
# background in Jupyter, Colab and the book (its dark mode too): both colours keep a contrast of
# at least 4.5:1 there (WCAG AA; the book's browser tests check it with axe-core).
TONES = {
    "bad": ("\u25b2", "vgtable-bad", "#9b1c14"),
    "good": ("\u2713", "vgtable-good", "#145222"),
}


@dataclass(frozen=True)
class Mark:
    """A cell that stands out: ``symbol`` + ``text``, in the tone's colour in HTML."""

    text: str
    tone: str = "bad"
    symbol: str | None = None

    def __post_init__(self):
        if self.tone not in TONES:
            raise ValueError(f"tone={self.tone!r} is unknown; choose one of {', '.join(TONES)}")

    def __str__(self) -> str:
        symbol = TONES[self.tone][0] if self.symbol is None else self.symbol
        return f"{symbol} {self.text}" if symbol else self.text


class Table:
    """Rows of results with named columns; shows as HTML in notebooks and as text elsewhere.

    ``columns``: the header names; ``rows``: sequences of cells, one per column;
    ``title``: a caption; ``notes``: a sentence or two under the table (wrapped in text form);
    ``formats``: column name -> format spec for float cells (default ``.3g``);
    ``groups``: ``[(label, number of columns), ...]`` for a header row above ``columns``
    (label ``""`` for columns without a group); the spans must add up to ``len(columns)``.
    """

    def __init__(self, columns, rows, *, title: str = "", notes: str = "",
                 formats: dict | None = None, groups=None):
        for argname, value in (("columns", columns), ("rows", rows)):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise TypeError(f"{argname} must be a list; got {type(value).__name__}")
        self.columns = [str(c) for c in columns]
        if not self.columns:
            raise ValueError("columns must name at least one column")
        empty = [j for j, c in enumerate(self.columns) if not c.strip()]
        if empty:  # a screen reader reads a column's name with each of its cells
            raise ValueError(f"columns[{empty[0]}] is empty: give every column a name")
        self.rows = []
        for i, row in enumerate(rows):
            if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
                raise TypeError(f"rows[{i}] must be a list of cells; got {type(row).__name__}")
            self.rows.append(list(row))
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"rows[{i}] has {len(row)} cells; columns has "
                                 f"{len(self.columns)}")
        self.title, self.notes = str(title), str(notes)
        self.formats = dict(formats or {})
        unknown = set(self.formats) - set(self.columns)
        if unknown:
            raise ValueError(f"formats names columns that do not exist: {sorted(unknown)}")
        self.groups = [(str(label), int(span)) for label, span in (groups or [])]
        if self.groups and sum(span for _, span in self.groups) != len(self.columns):
            raise ValueError(f"groups span {sum(s for _, s in self.groups)} columns; "
                             f"columns has {len(self.columns)}")

    # -- cells -----------------------------------------------------------------------------------
    def _text(self, column: str, cell) -> str:
        if isinstance(cell, bool) or cell is None:
            return {True: "yes", False: "no", None: ""}[cell]
        if isinstance(cell, int):
            return str(cell)
        if isinstance(cell, float):
            if math.isnan(cell):
                return "NaN"
            return format(cell, self.formats.get(column, ".3g"))
        return str(cell)

    def _cells(self) -> list[list[str]]:
        return [[self._text(c, cell) for c, cell in zip(self.columns, row, strict=True)]
                for row in self.rows]

    def _right_aligned(self, cells) -> list[bool]:
        right = []
        for j in range(len(self.columns)):
            values = [(row[j], text[j]) for row, text in zip(self.rows, cells, strict=True)
                      if text[j].strip().lower() not in _NO_VALUE]
            right.append(bool(values) and all(
                (isinstance(v, int | float) and not isinstance(v, bool))
                or (isinstance(v, str) and _NUMBER.match(t.strip()) is not None)
                for v, t in values))
        return right

    # -- text ------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        cells = self._cells()
        right = self._right_aligned(cells)
        widths = [max([len(c)] + [len(row[j]) for row in cells])
                  for j, c in enumerate(self.columns)]
        if self.groups:  # widen the last column of a group until its label fits
            j = 0
            for label, span in self.groups:
                room = sum(widths[j:j + span]) + 2 * (span - 1)
                widths[j + span - 1] += max(0, len(label) - room)
                j += span

        def line(texts):
            return "  ".join(t.rjust(w) if r else t.ljust(w)
                             for t, w, r in zip(texts, widths, right, strict=True)).rstrip()

        out = textwrap.wrap(self.title, TEXT_WIDTH) if self.title else []
        if self.groups:
            j, labels = 0, []
            for label, span in self.groups:
                labels.append(label.center(sum(widths[j:j + span]) + 2 * (span - 1)))
                j += span
            out.append("  ".join(labels).rstrip())
        out.append(line(self.columns))
        out += [line(row) for row in cells]
        if self.notes:
            out += textwrap.wrap(self.notes, TEXT_WIDTH)
        return "\n".join(out)

    __str__ = __repr__

    # -- HTML ------------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        cells = self._cells()
        right = self._right_aligned(cells)

        def style(j):  # numbers stay on one line; words may wrap on a narrow screen
            return (' style="text-align:right;white-space:nowrap"' if right[j]
                    else ' style="text-align:left"')

        parts = ['<div class="vgtable" role="group" tabindex="0" '
                 f'aria-label="{html.escape(self.title or "table", quote=True)}" '
                 'style="overflow-x:auto;max-width:100%">',
                 '<table style="font-variant-numeric:tabular-nums">']
        if self.title:
            parts.append(f'<caption style="text-align:left">{html.escape(self.title)}</caption>')
        parts.append("<thead>")
        if self.groups:
            parts.append("<tr>" + "".join(
                f'<th colspan="{span}" scope="colgroup" style="text-align:center">'
                f"{html.escape(label)}</th>" if label else f'<td colspan="{span}"></td>'
                for label, span in self.groups) + "</tr>")
        parts.append("<tr>" + "".join(f'<th scope="col"{style(j)}>{html.escape(c)}</th>'
                                      for j, c in enumerate(self.columns)) + "</tr>")
        parts.append("</thead><tbody>")
        for row, texts in zip(self.rows, cells, strict=True):
            tds = []
            for j, (cell, text) in enumerate(zip(row, texts, strict=True)):
                if isinstance(cell, Mark):
                    _, css, colour = TONES[cell.tone]
                    text = (f'<span class="{css}" style="color:{colour};font-weight:600">'
                            f"{html.escape(text)}</span>")
                else:
                    text = html.escape(text)
                tds.append(f"<td{style(j)}>{text}</td>")
            parts.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("</tbody></table>")
        if self.notes:
            parts.append(f"<p>{html.escape(self.notes)}</p>")
        parts.append("</div>")
        return "\n".join(parts)
