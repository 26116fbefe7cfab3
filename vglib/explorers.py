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

__all__ = ["grad_norms_at_init", "gradient_flow", "signal_chain"]

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
INIT_SCALES = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)
NORMS = {"no normalisation": None, "BatchNorm": "batch", "LayerNorm": "layer"}
SKIPS = {"plain": False, "residual": True}
ALL_CONTROLS = ("activation", "depth", "init_scale", "norm", "skip")


def gradient_flow(
    activation: str = "relu",
    depth: int = 20,
    init_scale: float = 1.0,
    norm: str = "no normalisation",
    skip: str = "plain",
    *,
    controls: tuple[str, ...] = ALL_CONTROLS,
    seed: int = 0,
    name: str = "gradient-flow",
) -> Explorer:
    """``||dL/dW||`` per layer of a freshly initialised MLP (width 64; the recommended
    initialisation of the activation, times ``init_scale``; optional BatchNorm/LayerNorm and
    residual blocks). ``controls`` picks which settings get a control (any of
    ``ALL_CONTROLS``); the others stay at the values given. Every combination of the chosen
    controls is precomputed for the HTML figure, so choose few.
    """
    unknown = set(controls) - set(ALL_CONTROLS)
    if unknown or not controls:
        raise ValueError(f"controls must be some of {ALL_CONTROLS}; got {controls!r}")
    fixed = {"activation": activation, "depth": depth, "init_scale": init_scale, "norm": norm,
             "skip": skip}
    specs = {
        "activation": Control("activation", "activation", GRAD_NORM_ACTIVATIONS, activation,
                              kind="dropdown"),
        "depth": Control("depth", "hidden layers", GRAD_NORM_DEPTHS, depth),
        "init_scale": Control("init_scale", "init scale", INIT_SCALES, init_scale),
        "norm": Control("norm", "normalisation", tuple(NORMS), norm, kind="dropdown"),
        "skip": Control("skip", "skip connections", tuple(SKIPS), skip, kind="dropdown"),
    }

    def compute(**chosen) -> list[Series]:
        settings = {**fixed, **chosen}
        result = compute_grad_norms_at_init(
            settings["activation"], settings["depth"], rng=np.random.default_rng(seed),
            init_scale=settings["init_scale"], norm=NORMS[settings["norm"]],
            residual=SKIPS[settings["skip"]],
        )
        label = f"{result.activation}, {result.init}"
        if result.init_scale != 1.0:
            label += f" x {result.init_scale:g}"
        return [Series(label, result.layers, result.norms,
                       color=ACTIVATION_COLORS[result.activation])]

    # the caption names what a control sets, and a fixed setting only when it is not the default
    parts = ["{activation}" if "activation" in controls else activation]
    for key, default in (("norm", "no normalisation"), ("skip", "plain")):
        if key in controls:
            parts.append("{" + key + "}")
        elif fixed[key] != default:
            parts.append(fixed[key])
    if "init_scale" in controls:
        parts.append("init scale {init_scale}")
    elif init_scale != 1.0:
        parts.append(f"init scale {init_scale:g}")
    parts.append(("{depth}" if "depth" in controls else str(depth)) + " hidden layers")
    return Explorer(
        name=name,
        title="Gradient norm per layer at initialisation",
        xlabel="layer (1 = next to the input)",
        ylabel="||dL/dW|| (log scale)",
        controls=[specs[c] for c in ALL_CONTROLS if c in controls],
        compute=compute,
        caption=", ".join(parts) + ": layer 1 gets a gradient of {start[0]}, the output layer "
                "{end[0]}.",
        alt="Gradient norm of every layer of a freshly initialised network on a logarithmic "
            "axis, for the chosen settings.",
    )


def grad_norms_at_init(activation: str = "sigmoid", depth: int = 10, *, seed: int = 0) -> Explorer:
    """Chapter 2: ``gradient_flow`` with two controls, activation and depth."""
    return gradient_flow(activation, depth, controls=("activation", "depth"), seed=seed,
                         name="grad-norms-at-init")
