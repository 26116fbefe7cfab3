"""The book's colours, defined once for every kind of figure.

matplotlib plots (``vglib.plots``, where chapters read ``plots.ACTIVATION_COLORS``), the live
widgets (``vglib.widgets``) and the kernel-free HTML figures (``vglib.figures``, which write
each line's colour into the JSON that ``figure.js`` draws from) all take their colours from
here. Plain strings, no imports: the HTML figures need no matplotlib.
"""

from __future__ import annotations

# The Okabe-Ito colours: distinguishable with the common kinds of colour blindness.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish green": "#009E73",
    "reddish purple": "#CC79A7",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
}

# One colour per activation, the same in every chapter and every kind of figure.
ACTIVATION_COLORS = {
    "sigmoid": OKABE_ITO["vermillion"],
    "tanh": OKABE_ITO["orange"],
    "relu": OKABE_ITO["blue"],
    "leaky_relu": OKABE_ITO["sky blue"],
    "prelu": "#1B9E77",  # a darker green than ELU's, beside it in chapter 4
    "elu": OKABE_ITO["bluish green"],
    "gelu": OKABE_ITO["reddish purple"],
    "silu": "#7F3C8D",  # a purple apart from GELU's pink
    "identity": "#555555",  # dark grey: no nonlinearity
}

# Lines that bring no colour of their own take these in turn (the first line blue, ...).
LINE_COLORS = tuple(OKABE_ITO.values())


def line_color(color: str | None, index: int) -> str:
    """The colour to draw line number ``index`` (0, 1, ...) in: its own ``color`` if it has
    one, else the ``index``-th of ``LINE_COLORS`` (cycling)."""
    return color or LINE_COLORS[index % len(LINE_COLORS)]
