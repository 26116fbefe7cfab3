"""Looking inside a network: its layers in forward order and what they hold after a pass.

What one pass leaves in each layer is measured here: ``leaves`` and ``dense_layers`` (the layers
in forward order), ``grad_norm_per_layer`` (``||dL/dW||``), ``activation_stats`` (mean, std,
saturated and dead fractions; ``SATURATION``), ``weight_snapshot`` and
``relative_weight_change``, and ``backward_with_signal`` (``||dL/dz||``). These read only what
the layers record in public (``x``, ``y``, ``dy``, ``params``, ``grads``; see ``vglib.layers``).
``vglib.diagnose`` turns them into a verdict per layer, ``train.fit`` records them during
training, and ``vglib.signals`` uses them in its experiments on freshly initialised networks.

Every norm and standard deviation is computed by ``vglib._stable``, which scales by the largest
entry first: a gradient of entries near 1e-170 gets a norm near 1e-170 (not 0, as squaring the
entries would give), and entries near 1e200 a finite one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from . import _checks, _stable
from . import activations as _activations
from .layers import Activation, Dense, Layer, PReLU, Residual, Sequential

__all__ = [
    "SATURATION",
    "ActivationStats",
    "activation_stats",
    "backward_with_signal",
    "dense_layers",
    "grad_norm_per_layer",
    "is_activation",
    "leaves",
    "peak_derivative",
    "relative_weight_change",
    "stats_of",
    "weight_snapshot",
]

# A unit is saturated where its local derivative f'(z) is positive but below this fraction of
# the activation's largest derivative (sigmoid: f'(z) < 0.0125, i.e. |z| > 4.36).
SATURATION = 0.05


def leaves(model: Layer) -> list[tuple[str, Layer]]:
    """Every non-container layer of ``model`` in forward order, with its dotted name."""
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a vglib layer or Sequential; got {type(model).__name__}")
    found: list[tuple[str, Layer]] = []

    def walk(layer: Layer, prefix: str) -> None:
        children = list(getattr(layer, "children", lambda: [])())
        if not children:
            found.append((prefix.rstrip(".") or type(layer).__name__, layer))
        for name, child in children:
            walk(child, f"{prefix}{name}.")

    walk(model, "")
    return found


def dense_layers(model: Layer) -> list[tuple[str, Dense]]:
    """Every ``Dense`` layer of ``model`` in forward order, with its dotted name."""
    return [(name, layer) for name, layer in leaves(model) if isinstance(layer, Dense)]


def grad_norm_per_layer(model: Layer) -> np.ndarray:
    """L2 norm of ``dL/dW`` of every Dense layer, input side first (after a ``backward``),
    computed without underflow: a gradient of entries near 1e-170 gets a norm near 1e-170,
    not 0."""
    return np.array([_stable.norm(layer.grads["W"]) for _, layer in dense_layers(model)])


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
        changes.append(_stable.norm(layer.params["W"] - w0) / _stable.norm(w0))
    return np.array(changes)


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
            norms.append(float(_stable.norm(grad)))
        grad = layer.backward(grad)
    return np.array(norms[::-1])


@cache
def peak_derivative(name: str) -> float:
    """The largest value of the activation's derivative (sigmoid: 1/4, tanh: 1, GELU: 1.13)."""
    z = np.linspace(-10.0, 10.0, 200_001)
    return float(_activations.get(name).derivative(z).max())


@dataclass(frozen=True)
class ActivationStats:
    """What one Activation layer did in the last forward pass."""

    mean: float  # of the outputs a = f(z)
    std: float
    saturated: float  # fraction of entries with 0 < f'(z) < SATURATION x peak
    dead: float  # fraction of units whose f'(z) is exactly 0 for every example


def is_activation(layer: Layer) -> bool:
    """Activation layers: ``Activation`` and the learned ``PReLU``."""
    return isinstance(layer, (Activation, PReLU))


def activation_stats(layer: Activation | PReLU) -> ActivationStats:
    """Statistics of ``layer``'s last forward pass (over the batch and all units)."""
    if not is_activation(layer):
        raise TypeError(f"layer must be a vglib Activation or PReLU; got {type(layer).__name__}")
    if layer.x is None:
        raise RuntimeError("activation_stats needs a forward pass first")
    peak = (peak_derivative(layer.fn.name) if isinstance(layer, Activation)
            else max(1.0, float(layer.params["alpha"].max())))
    return stats_of(layer.y, layer.local_slope(), peak)


def stats_of(a: np.ndarray, slope: np.ndarray, peak: float) -> ActivationStats:
    """``ActivationStats`` of an activation's outputs ``a`` and local slopes ``f'(z)`` (same
    shape, units on the last axis), for an activation whose largest derivative is ``peak``
    (what ``activation_stats`` computes for a vglib layer; ``vglib.torch`` for a PyTorch
    module)."""
    threshold = SATURATION * peak
    flat = slope.reshape(-1, slope.shape[-1])
    return ActivationStats(
        mean=float(a.mean()),
        std=float(_stable.std(a)),
        saturated=float(np.mean((slope > 0) & (slope < threshold))),
        dead=float(np.mean(np.all(flat == 0, axis=0))),
    )
