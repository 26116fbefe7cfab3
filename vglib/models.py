"""Ready-made networks built from ``vglib.layers``."""

from __future__ import annotations

import numpy as np

from . import _checks
from . import activations as _activations
from . import init as _init
from .layers import Activation, BatchNorm, Dense, Layer, LayerNorm, PReLU, Residual, Sequential

__all__ = ["NORMS", "PLACEMENTS", "mlp", "residual_stack"]

PLACEMENTS = ("pre", "post")

NORMS = (None, "batch", "layer")

# the deepest network the course builds has 1000 blocks; 10,000 already takes a minute to build
MAX_DEPTH = 10_000


def _norm_layer(norm: str | None, width: int) -> list[Layer]:
    if norm is None:
        return []
    return [BatchNorm(width) if norm == "batch" else LayerNorm(width)]


def mlp(
    in_dim: int,
    width: int,
    depth: int,
    out_dim: int,
    *,
    activation: str = "relu",
    init: str | float = "he_normal",
    norm: str | None = None,
    residual: bool = False,
    rng: np.random.Generator,
) -> Sequential:
    """A multilayer perceptron with ``depth`` hidden layers of ``width`` units.

    Plain (``residual=False``), every hidden layer is ``Dense -> [norm] -> activation``::

        [Dense(in, w), norm, act] + (depth - 1) x [Dense(w, w), norm, act] + [Dense(w, out)]

    Residual (``residual=True``), a linear stem projects the input to ``width`` and each of the
    ``depth`` hidden layers becomes a block ``x + act(norm(Dense(x)))``::

        [Dense(in, w)] + depth x [Residual(Sequential([Dense(w, w), norm, act]))] + [Dense(w, out)]

    ``activation`` is a name of ``vglib.activations`` or ``"prelu"`` (a learned ``PReLU`` layer).
    ``norm`` is ``None``, ``"batch"`` (BatchNorm) or ``"layer"`` (LayerNorm). Every Dense layer
    is drawn with ``init``; biases start at zero. The network comes packed (``Sequential.pack``):
    its parameters live in one buffer, so optimiser steps are whole-array operations.
    """
    in_dim = _checks.positive_int(in_dim, "in_dim")
    width = _checks.positive_int(width, "width")
    depth = _checks.positive_int(depth, "depth", maximum=MAX_DEPTH)
    out_dim = _checks.positive_int(out_dim, "out_dim")
    if activation != "prelu":
        _activations.get(activation)  # fail early, with the list of names
    _init.get(init)
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r} is unknown; choose None, 'batch' or 'layer'")
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be True or False; got {residual!r}")
    rng = _checks.generator(rng)

    def hidden(fan_in: int) -> list[Layer]:
        act = PReLU(width) if activation == "prelu" else Activation(activation)
        return [Dense(fan_in, width, init=init, rng=rng), *_norm_layer(norm, width), act]

    layers: list[Layer]
    if residual:
        layers = [Dense(in_dim, width, init=init, rng=rng)]
        layers += [Residual(Sequential(hidden(width))) for _ in range(depth)]
    else:
        layers = hidden(in_dim)
        for _ in range(depth - 1):
            layers += hidden(width)
    layers.append(Dense(width, out_dim, init=init, rng=rng))
    return Sequential(layers).pack()


def residual_stack(
    in_dim: int,
    width: int,
    depth: int,
    out_dim: int,
    *,
    activation: str = "gelu",
    norm: str = "layer",
    placement: str = "pre",
    rng: np.random.Generator,
) -> Sequential:
    """The block structure of a Transformer's MLP sub-layers, in an MLP: ``depth`` residual
    blocks whose branch is ``Dense -> activation -> Dense`` (He initialisation), with the
    normalisation placed as in Xiong et al. (2020)::

        pre-norm:  x <- x + F(norm(x))        (final norm before the output layer)
        post-norm: x <- norm(x + F(x))

    A linear stem maps ``in_dim`` to ``width``; a Dense layer maps ``width`` to ``out_dim``.
    """
    in_dim = _checks.positive_int(in_dim, "in_dim")
    width = _checks.positive_int(width, "width")
    depth = _checks.positive_int(depth, "depth", maximum=MAX_DEPTH)
    out_dim = _checks.positive_int(out_dim, "out_dim")
    _activations.get(activation)
    if norm not in ("batch", "layer"):
        raise ValueError(f"norm={norm!r} is unknown; choose 'batch' or 'layer'")
    placement = _checks.choice(placement, PLACEMENTS, "placement")
    rng = _checks.generator(rng)

    def branch() -> Sequential:
        return Sequential([Dense(width, width, rng=rng), Activation(activation),
                           Dense(width, width, rng=rng)])

    layers: list[Layer] = [Dense(in_dim, width, rng=rng)]
    for _ in range(depth):
        if placement == "pre":
            layers.append(Residual(Sequential([*_norm_layer(norm, width), branch()])))
        else:
            layers += [Residual(branch()), *_norm_layer(norm, width)]
    if placement == "pre":
        layers += _norm_layer(norm, width)
    layers.append(Dense(width, out_dim, rng=rng))
    return Sequential(layers).pack()
