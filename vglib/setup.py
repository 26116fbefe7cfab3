"""Helpers for the notebook environment: Colab detection and gluing values into the book."""

from __future__ import annotations

import sys

__all__ = ["glue", "in_colab", "versions"]


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def versions() -> str:
    """One line naming the versions that computed a notebook's outputs, e.g.
    ``"Python 3.11.7, numpy 2.1.0, matplotlib 3.10.0, vglib 0.1.0"``.
    """
    import matplotlib
    import numpy

    from . import __version__

    python = ".".join(str(part) for part in sys.version_info[:3])
    return (
        f"Python {python}, numpy {numpy.__version__}, matplotlib {matplotlib.__version__}, "
        f"vglib {__version__}"
    )


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` / ``{glue:figure}`` roles.

    With myst-nb installed (the book build, the tests) this is ``myst_nb.glue``. Without it
    (Colab), the text of the chapter cannot show glued values, so numbers are printed here
    (``name = value``) and figures displayed instead.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string; got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        from IPython.display import display as ipy_display

        if display or hasattr(value, "savefig"):
            ipy_display(value)
        else:
            print(f"{name} = {value!r}")
        return
    myst_glue(name, value, display=display)
