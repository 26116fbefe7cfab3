"""vglib: a small numpy library with hand-written backpropagation, for the course on
vanishing and exploding gradients.

Modules (one idea each): ``activations``, ``init``, ``layers``, ``losses``, ``optim``,
``data``, ``models``, ``gradcheck``, ``chains`` (the scalar toys of chapters 1-2),
``diagnose`` (per-layer gradient statistics), ``plots``, ``widgets`` (ipywidgets, imported
lazily), ``setup`` (notebook environment helpers).
"""

from . import activations, chains, data, diagnose, gradcheck, init, layers, losses, models, optim
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
]
