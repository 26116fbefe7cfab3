"""How signals travel through a freshly initialised network, forward and backward.

``compute_grad_norms_at_init``: the gradient of every layer's weights after one batch
(chapter 2). ``compute_signal_std``: the standard deviation of every layer's activations on the
way forward and of the gradient on the way back (chapter 5, after Glorot & Bengio 2010).
``block_grad_norms``: the gradient of every residual block of a pre- or post-norm stack
(chapter 10, after Xiong et al. 2020). ``GradNorms`` and ``SignalStd`` hold the results.

Each builds its own network, so only the experiment lives here: the measurements it makes
(``grad_norm_per_layer``, ``backward_with_signal``, ...) come from ``vglib.probe``, and a verdict
on a network of your own from ``vglib.diagnose``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks, _stable
from .data import spirals
from .init import recommended_for
from .layers import Dense
from .losses import softmax_cross_entropy
from .models import mlp, residual_stack
from .probe import backward_with_signal, dense_layers, grad_norm_per_layer, is_activation

__all__ = [
    "GradNorms",
    "SignalStd",
    "block_grad_norms",
    "compute_grad_norms_at_init",
    "compute_signal_std",
]


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
        """Layer numbers 1 .. len(norms) (1 is next to the input)."""
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


@dataclass(frozen=True)
class SignalStd:
    """Per-layer spread of a fresh network's signals (layers 1..depth, input side first):
    ``forward`` is the std of each hidden layer's activations, ``backward`` the std of the
    gradient ``dL/dz`` arriving at each hidden layer's pre-activations."""

    activation: str
    depth: int
    init: str | float
    init_scale: float
    forward: np.ndarray
    backward: np.ndarray

    @property
    def layers(self) -> np.ndarray:
        return np.arange(1, self.depth + 1)


def compute_signal_std(
    activation: str,
    depth: int,
    *,
    rng: np.random.Generator,
    init: str | float | None = None,
    init_scale: float = 1.0,
    width: int = 64,
    n_samples: int = 256,
) -> SignalStd:
    """Push ``n_samples`` standard-normal inputs through ``mlp(width, width, depth, width)``
    and a standard-normal gradient back from its output; report the standard deviation of the
    activations and of ``dL/dz`` at every hidden layer.

    With every layer ``width`` wide, variance propagation predicts how both change per layer:
    ``Var[z_l] = n Var[W] E[f(z_{l-1})^2]`` forward, ``Var[dL/dz_l] = n Var[W] E[f'(z_l)^2]
    Var[dL/dz_{l+1}]`` backward; Xavier and He choose ``Var[W]`` to keep them constant.
    """
    rng = _checks.generator(rng)
    init_scale = _checks.real_number(init_scale, "init_scale", low=0.0, low_open=True)
    if init is None:
        init = recommended_for(activation)
    model = mlp(width, width, depth, width, activation=activation, init=init, rng=rng)
    if init_scale != 1.0:
        for _, layer in dense_layers(model):
            layer.params["W"] *= init_scale
    X = rng.standard_normal((n_samples, width))
    out = model.forward(X)
    model.backward(rng.standard_normal(out.shape))
    acts = [layer for layer in model.layers if is_activation(layer)]
    hidden = [layer for layer in model.layers if isinstance(layer, Dense)][:-1]
    return SignalStd(
        activation, depth, init, init_scale,
        forward=np.array([_stable.std(layer.y) for layer in acts]),
        backward=np.array([_stable.std(layer.dy) for layer in hidden]),
    )


def block_grad_norms(
    depth: int,
    placement: str,
    *,
    rng: np.random.Generator,
    width: int = 32,
    n_samples: int = 256,
) -> np.ndarray:
    """``||dL/dW||`` of every residual block of a fresh ``residual_stack(2, width, depth, 2,
    placement=placement)`` (LayerNorm, GELU) after one batch of ``n_samples`` spiral points: for
    block ``k`` the norm of the gradients of both Dense layers of its branch together, input side
    first (``depth`` values). No training."""
    depth = _checks.positive_int(depth, "depth")
    rng = _checks.generator(rng)
    X, y = spirals(n_samples, rng)
    model = residual_stack(2, width, depth, 2, placement=placement, rng=rng)
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    per_dense = grad_norm_per_layer(model)[1:-1]  # without the stem and the output layer
    return _stable.norm(per_dense.reshape(depth, 2), axis=1)
