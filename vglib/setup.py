"""Helpers for the notebook environment: Colab detection and gluing values into the book."""

from __future__ import annotations

import sys

__all__ = ["glue", "in_colab"]


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


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
