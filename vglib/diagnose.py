"""Per-layer gradient statistics: where in a network do gradients vanish or explode?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .data import spirals
from .init import recommended_for
from .layers import Dense, Layer
from .losses import softmax_cross_entropy
from .models import mlp

__all__ = ["GradNorms", "compute_grad_norms_at_init", "dense_layers", "grad_norm_per_layer"]


def dense_layers(model: Layer) -> list[tuple[str, Dense]]:
    """Every ``Dense`` layer of ``model`` in forward order, with its dotted name prefix."""
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a vglib layer or Sequential; got {type(model).__name__}")
    found: list[tuple[str, Dense]] = []

    def walk(layer: Layer, prefix: str) -> None:
        if isinstance(layer, Dense):
            found.append((prefix.rstrip("."), layer))
        for name, child in getattr(layer, "children", lambda: [])():
            walk(child, f"{prefix}{name}.")

    walk(model, "")
    return found


def grad_norm_per_layer(model: Layer) -> np.ndarray:
    """L2 norm of ``dL/dW`` of every Dense layer, input side first (after a ``backward``)."""
    return np.array([np.linalg.norm(layer.grads["W"]) for _, layer in dense_layers(model)])


@dataclass(frozen=True)
class GradNorms:
    """Per-layer weight-gradient norms of one freshly initialised network."""

    activation: str
    depth: int
    init: str | float
    norms: np.ndarray  # (depth + 1,): hidden layers 1..depth, then the output layer

    @property
    def layers(self) -> np.ndarray:
        """Layer numbers 1 .. depth + 1 (1 is next to the input)."""
        return np.arange(1, self.norms.size + 1)

    @property
    def first_to_last(self) -> float:
        """How much smaller the first layer's gradient is than the last hidden layer's."""
        return float(self.norms[0] / self.norms[-2]) if self.norms.size > 2 else 1.0


def compute_grad_norms_at_init(
    activation: str,
    depth: int,
    *,
    rng: np.random.Generator,
    width: int = 64,
    init: str | float | None = None,
    n_samples: int = 256,
) -> GradNorms:
    """Build ``mlp(2, width, depth, 2)``, run one batch of the spirals data forward and the
    cross-entropy gradient backward, and return ``||dL/dW||`` for every layer (no training).

    ``init=None`` uses the scheme designed for the activation (``init.recommended_for``).
    """
    rng = _checks.generator(rng)
    if init is None:
        init = recommended_for(activation)
    X, y = spirals(n_samples, rng)
    model = mlp(2, width, depth, 2, activation=activation, init=init, rng=rng)
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    return GradNorms(activation, depth, init, grad_norm_per_layer(model))
