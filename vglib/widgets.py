"""Live ipywidgets controls for an ``Explorer``, for Jupyter, JupyterLab and Colab.

Works with ipywidgets 7.7 (what Colab ships) and 8.x. ipywidgets is imported only when a widget
is built, so the rest of vglib works without it.

The figure is one matplotlib ``Figure`` that the widget keeps. A control change updates the
lines' data in place and sends a PNG to an ``ipywidgets.Image``. Drawing text (ticks, labels,
title) is most of matplotlib's time, and it only changes with the axis limits, which
``Explorer.y_range`` snaps to whole decades: so the rendered axes are kept per pair of limits
and a redraw with known limits only paints the lines and the legend over them (blitting).
``bench/bench_widgets.py`` measures compute + redraw.
"""

from __future__ import annotations

import html
import io

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from ._palette import line_color
from .figures import prompt_markup
from .interactive import Explorer

__all__ = ["ExplorerView", "explorer_widget"]


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:
        raise ImportError(
            "vglib.widgets needs ipywidgets (pip install 'ipywidgets>=7.7'); "
            "the rest of vglib works without it"
        ) from err
    return ipywidgets


class ExplorerView:
    """The matplotlib side of a widget: one figure whose lines are updated in place."""

    MAX_BACKGROUNDS = 64  # rendered axes kept, one per pair of axis limits

    def __init__(self, explorer: Explorer, figsize=(7.0, 4.0), dpi: int = 90) -> None:
        self.explorer = explorer
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self._backgrounds: dict = {}
        self.legend = None
        # the title is HTML above the image (explorer_widget): one text less to draw each time
        self.figure.subplots_adjust(left=0.13, right=0.97, top=0.96, bottom=0.14)
        self.ax = self.figure.add_subplot()
        self.ax.set_xlabel(explorer.xlabel)
        self.ax.set_ylabel(explorer.ylabel)
        if explorer.log_y:
            self.ax.set_yscale("log")
            # at most ~7 labelled decades and no minor ticks: text dominates the redraw time
            self.ax.yaxis.set_major_locator(LogLocator(numticks=7))
            self.ax.yaxis.set_minor_locator(NullLocator())
        self.ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
        self.ax.grid(alpha=0.3)
        self.lines: list = []

    def draw(self, values: dict[str, object]) -> None:
        """Show the state ``values`` (one value per control)."""
        ex = self.explorer
        xmax = ex.xmax_control
        data = {c.name: values[c.name] for c in ex.data_controls}
        lines = ex.visible(ex.series(**data), None if xmax is None else values[xmax.name])
        while len(self.lines) < len(lines):
            (line,) = self.ax.plot([], [], marker="o", markersize=3, linewidth=2)
            self.lines.append(line)
        for i, (artist, series) in enumerate(zip(self.lines, lines, strict=False)):
            artist.set_data(series.x, series.y)
            artist.set_label(series.label)
            artist.set_color(line_color(series.color, i))
            artist.set_linestyle("--" if series.dashed else "-")
            artist.set_marker("o" if series.x.size <= 60 else "")
            artist.set_visible(True)
        for artist in self.lines[len(lines):]:
            artist.set_visible(False)
        xs = np.concatenate([s.x for s in lines])
        self.ax.set_xlim(xs.min() - 0.02 * np.ptp(xs), xs.max() + 0.02 * np.ptp(xs))
        self.ax.set_ylim(*ex.y_range(lines))
        self.legend = self.ax.legend(handles=self.lines[: len(lines)], loc="best", frameon=False)

    def _dynamic(self) -> list:
        return [*self.lines, self.legend]

    def png(self) -> bytes:
        """The figure as PNG bytes. The axes come from the background cache (drawn once per
        pair of limits), the lines and legend are painted over them; the PNG uses a fast zlib
        level (the default level costs as much as the drawing).
        """
        canvas = self.figure.canvas
        key = (self.ax.get_xlim(), self.ax.get_ylim())
        background = self._backgrounds.get(key)
        if background is None:
            visible = [artist.get_visible() for artist in self._dynamic()]
            for artist in self._dynamic():
                artist.set_visible(False)
            canvas.draw()
            background = canvas.copy_from_bbox(self.figure.bbox)
            if len(self._backgrounds) >= self.MAX_BACKGROUNDS:
                self._backgrounds.pop(next(iter(self._backgrounds)))
            self._backgrounds[key] = background
            for artist, was_visible in zip(self._dynamic(), visible, strict=True):
                artist.set_visible(was_visible)
        canvas.restore_region(background)
        for artist in self._dynamic():
            if artist.get_visible():
                self.ax.draw_artist(artist)
        width, height = canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def explorer_widget(explorer: Explorer):
    """Controls for every ``Control`` of ``explorer``, the title, the figure, its caption and its
    "try this" prompts (the same markup as the kernel-free figure's), in a ``VBox``.

    The box also carries ``.controls`` (name -> control widget), ``.image``, ``.caption`` and
    ``.prompts`` (the figure, caption and prompt widgets), ``.view`` (the ``ExplorerView``) and
    ``.refresh()`` (redraw for the current control values).
    """
    widgets = _ipywidgets()
    if not isinstance(explorer, Explorer):
        raise TypeError(f"explorer must be a vglib Explorer; got {type(explorer).__name__}")
    controls = {}
    for control in explorer.controls:
        options = [(control.show(v), v) for v in control.values]
        cls = widgets.Dropdown if control.kind == "dropdown" else widgets.SelectionSlider
        kwargs = {} if control.kind == "dropdown" else {"continuous_update": False}
        controls[control.name] = cls(
            options=options, value=control.default, description=control.label,
            style={"description_width": "initial"}, **kwargs,
        )
    title = widgets.HTML(f"<b>{html.escape(explorer.title)}</b>")
    caption = widgets.HTML()
    image = widgets.Image(format="png")
    view = ExplorerView(explorer)

    def refresh(_change=None) -> None:
        values = {name: widget.value for name, widget in controls.items()}
        view.draw(values)
        image.value = view.png()
        caption.value = html.escape(explorer.caption_for(values))

    for widget in controls.values():
        widget.observe(refresh, names="value")
    prompts = widgets.HTML(prompt_markup(explorer))
    box = widgets.VBox([widgets.HBox(list(controls.values())), title, image, caption, prompts])
    box.controls, box.view, box.refresh = controls, view, refresh
    box.image, box.caption, box.prompts = image, caption, prompts
    refresh()
    return box
