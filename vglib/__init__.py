"""vglib: a small numpy library with hand-written backpropagation, for the course on
vanishing and exploding gradients.

Modules (one idea each): ``activations``, ``init``, ``layers``, ``losses``, ``optim``,
``data``, ``models``, ``gradcheck``, ``train``, ``chains`` (the scalar toys of chapters 1-2),
``recurrent`` (unrolled recurrences and a simple RNN layer, chapter 8), ``race`` (the depth race
of chapter 9; import it explicitly),
``claims`` (checks that tie the book's sentences to its data), ``experiments`` and ``sweeps``
(the training experiments reported over several seeds, and their stored results),
``diagnose`` (per-layer gradient statistics), ``tables`` (results shown as HTML and text
tables), ``plots``, ``interactive`` (one description of
an interactive figure), ``explorers`` (the book's interactive figures), ``figures``
(kernel-free HTML figures), ``widgets`` (ipywidgets, imported lazily) and ``setup``
(``doctor()``, ``glue``, Colab detection). Import the last six explicitly
(``from vglib import explorers``).
"""

from . import (
    activations,
    chains,
    data,
    diagnose,
    gradcheck,
    init,
    layers,
    losses,
    models,
    optim,
    recurrent,
    tables,
)
from ._checks import NonFiniteError

__version__ = "0.1.0"

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
    "recurrent",
    "tables",
]
