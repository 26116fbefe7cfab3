"""The book's interactive figures, each an ``Explorer`` (see ``vglib.interactive``).

In a chapter::

    from vglib import explorers
    chain = explorers.signal_chain()
    chain.widget()   # live controls in Jupyter / Colab
    chain.html()     # the same figure without a kernel (HTML book, offline)
"""

from __future__ import annotations

import numpy as np

from .chains import signal_after_layers
from .diagnose import compute_grad_norms_at_init
from .interactive import Control, Explorer, Series
from .plots import ACTIVATION_COLORS

__all__ = ["grad_norms_at_init", "signal_chain"]

FACTORS = tuple(round(0.05 * k, 2) for k in range(1, 31))  # 0.05, 0.10, ..., 1.50
MAX_LAYERS = 100


def signal_chain(factor: float = 0.9, n_layers: int = 10) -> Explorer:
    """Chapter 1: the signal left after each of ``n_layers`` layers that multiply it by
    ``factor`` (log axis). Controls: the factor and the number of layers shown.
    """

    def compute(factor: float) -> list[Series]:
        signal = signal_after_layers(factor, MAX_LAYERS)
        return [Series(f"factor {factor:g}", np.arange(MAX_LAYERS + 1), signal,
                       color=ACTIVATION_COLORS["relu"])]

    return Explorer(
        name="signal-chain",
        title="What is left of the signal after n layers",
        xlabel="layers the signal has passed through",
        ylabel="signal left (log scale)",
        controls=[
            Control("factor", "factor per layer", FACTORS, factor),
            Control("layers", "number of layers", tuple(range(1, MAX_LAYERS + 1)), n_layers,
                    role="xmax"),
        ],
        compute=compute,
        caption="After {layers} layers, a factor of {factor} per layer leaves {end[0]} of the "
                "signal.",
        alt="A line on a logarithmic axis: the signal after each layer, for the chosen factor.",
    )


GRAD_NORM_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")
GRAD_NORM_DEPTHS = (2, 5, 10, 15, 20, 30, 40, 50)


def grad_norms_at_init(activation: str = "sigmoid", depth: int = 10, *, seed: int = 0) -> Explorer:
    """Chapter 2: ``||dL/dW||`` per layer of a freshly initialised MLP (width 64, each
    activation with its recommended initialisation). Controls: activation and depth.
    """

    def compute(activation: str, depth: int) -> list[Series]:
        result = compute_grad_norms_at_init(activation, depth, rng=np.random.default_rng(seed))
        return [Series(f"{activation}, {result.init} init", result.layers, result.norms,
                       color=ACTIVATION_COLORS[activation])]

    return Explorer(
        name="grad-norms-at-init",
        title="Gradient norm per layer at initialisation",
        xlabel="layer (1 = next to the input)",
        ylabel="||dL/dW|| (log scale)",
        controls=[
            Control("activation", "activation", GRAD_NORM_ACTIVATIONS, activation,
                    kind="dropdown"),
            Control("depth", "hidden layers", GRAD_NORM_DEPTHS, depth),
        ],
        compute=compute,
        caption="{activation}, {depth} hidden layers: layer 1 gets a gradient of {start[0]}, "
                "the output layer {end[0]}.",
        alt="Gradient norm of every layer of a freshly initialised network on a logarithmic "
            "axis, for the chosen activation and depth.",
    )
