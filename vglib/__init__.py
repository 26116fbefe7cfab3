"""vglib: a small numpy library with hand-written backpropagation, for the course on
vanishing and exploding gradients.

Modules (one idea each): ``activations``, ``init``, ``layers``, ``losses``, ``optim``,
``data``, ``models``, ``gradcheck``, ``train``, ``chains`` (the scalar toys of chapters 1-2),
``recurrent`` (unrolled recurrences and a simple RNN layer, chapter 8), ``race`` (the depth race
of chapter 9; import it explicitly),
``claims`` (checks that tie the book's sentences to its data), ``experiments`` and ``sweeps``
(the training experiments reported over several seeds, and their stored results),
``probe`` (what one pass leaves in each layer: gradient norms, activation statistics),
``signals`` (experiments on a freshly initialised network), ``diagnose`` (a verdict per layer,
built on ``probe``'s measurements), ``tables`` (results shown as HTML and text
tables), ``plots``, ``interactive`` (one description of an interactive figure), ``prompts``
(its "try this" prompts), ``explorers`` (the book's interactive figures), ``figures``
(kernel-free HTML figures), ``widgets`` (ipywidgets, imported lazily) and ``setup``
(``doctor()``, ``glue``, Colab detection). Import the last seven explicitly
(``from vglib import explorers``).

Every module is imported when first used (``vglib.layers``, ``from vglib import layers``), not
by ``import vglib``: so ``from vglib.setup import doctor`` works, and can report the problem,
even where numpy or matplotlib is missing or broken.
"""

import importlib

__version__ = "0.4.0"

__all__ = [
    "NonFiniteError",
    "activations",
    "chains",
    "data",
    "diagnose",
    "gradcheck",
    "init",
    "layers",
    "losses",
    "models",
    "optim",
    "probe",
    "recurrent",
    "signals",
    "tables",
]

_DEFINED_IN = {"NonFiniteError": "._checks"}  # names that are not modules: where they live


def __getattr__(name: str):
    """Import a module of ``__all__`` (or the module that defines a name of it) on first use."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _DEFINED_IN:
        value = getattr(importlib.import_module(_DEFINED_IN[name], __name__), name)
    else:
        value = importlib.import_module(f".{name}", __name__)
    globals()[name] = value  # the next lookup finds it without calling this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
