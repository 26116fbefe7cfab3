"""Per-layer gradient statistics: where in a network do gradients vanish or explode?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .data import spirals
from .init import recommended_for
from .layers import Dense, Layer, Residual, Sequential
from .losses import softmax_cross_entropy
from .models import mlp

__all__ = [
    "GradNorms",
    "backward_with_signal",
    "compute_grad_norms_at_init",
    "dense_layers",
    "grad_norm_per_layer",
    "relative_weight_change",
    "weight_snapshot",
]


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


def backward_with_signal(model: Sequential, dout: np.ndarray) -> np.ndarray:
    """Run ``model.backward(dout)`` and return the *backward signal* ``||dL/dz||`` arriving at
    the output ``z`` of every top-level Dense or Residual layer, input side first (for an
    ``mlp``: one value per hidden layer or block, plus the stem and the output layer).

    Unlike ``||dL/dW||``, which also scales with the layer's input, this is the gradient that
    the chain rule carries from layer to layer.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a vglib Sequential; got {type(model).__name__}")
    grad = _checks.array(dout, "dout")
    norms = []
    for layer in reversed(model.layers):
        if isinstance(layer, (Dense, Residual)):
            norms.append(float(np.linalg.norm(grad)))
        grad = layer.backward(grad)
    return np.array(norms[::-1])


def weight_snapshot(model: Layer) -> list[np.ndarray]:
    """Copies of every Dense layer's ``W``, input side first (to compare with later)."""
    return [layer.params["W"].copy() for _, layer in dense_layers(model)]


def relative_weight_change(model: Layer, before: list[np.ndarray]) -> np.ndarray:
    """``||W_now - W_before|| / ||W_before||`` for every Dense layer, input side first.

    ``before`` is a ``weight_snapshot(model)`` taken earlier. Near 0: the layer is still at its
    starting point.
    """
    layers = dense_layers(model)
    if not isinstance(before, (list, tuple)) or len(before) != len(layers):
        count = len(before) if isinstance(before, (list, tuple)) else type(before).__name__
        raise ValueError(
            f"before must be a weight_snapshot of this model ({len(layers)} Dense layers); "
            f"got {count}"
        )
    changes = []
    for (name, layer), w0 in zip(layers, before, strict=True):
        w0 = np.asarray(w0)
        if w0.shape != layer.params["W"].shape:
            raise ValueError(
                f"before[{len(changes)}] has shape {w0.shape} but layer {name} has W of shape "
                f"{layer.params['W'].shape}"
            )
        changes.append(np.linalg.norm(layer.params["W"] - w0) / np.linalg.norm(w0))
    return np.array(changes)


@dataclass(frozen=True)
class GradNorms:
    """Per-layer gradient norms of one freshly initialised network, input side first:
    ``norms`` are ``||dL/dW||`` and ``signal`` the backward signal ``||dL/dz||`` of layers
    1..depth, then the output layer (a residual network has its stem first: depth + 2 values).
    """

    activation: str
    depth: int
    init: str | float
    norms: np.ndarray
    signal: np.ndarray
    init_scale: float = 1.0
    norm: str | None = None
    residual: bool = False
    width: int = 64
    n_samples: int = 128

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
    init_scale: float = 1.0,
    norm: str | None = None,
    residual: bool = False,
    n_samples: int = 128,
) -> GradNorms:
    """Build ``mlp(2, width, depth, 2, norm=norm, residual=residual)``, run one batch of the
    spirals data forward and the cross-entropy gradient backward, and return ``||dL/dW||`` and
    ``||dL/dz||`` for every layer (no training).

    ``init=None`` uses the scheme designed for the activation (``init.recommended_for``);
    ``init_scale`` then multiplies every weight matrix (1 = the scheme as designed).
    """
    rng = _checks.generator(rng)
    init_scale = _checks.real_number(init_scale, "init_scale", low=0.0, low_open=True)
    if init is None:
        init = recommended_for(activation)
    X, y = spirals(n_samples, rng)
    model = mlp(2, width, depth, 2, activation=activation, init=init, norm=norm,
                residual=residual, rng=rng)
    if init_scale != 1.0:
        for _, layer in dense_layers(model):
            layer.params["W"] *= init_scale
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    signal = backward_with_signal(model, dlogits)
    return GradNorms(activation, depth, init, grad_norm_per_layer(model), signal,
                     init_scale, norm, residual, width, n_samples)
