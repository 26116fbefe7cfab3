"""The book's figures of a freshly initialised MLP, layer by layer (``vglib.explorers`` is where
chapters find them): the gradient norm per layer (``gradient_flow`` and its versions for
chapters 2, 6, 7 and 9) and the spread of activations and gradients (chapter 5). Each factory
has its "try this" prompts (``*_PROMPTS``) beside it.
"""

from __future__ import annotations

import numpy as np

from ._palette import ACTIVATION_COLORS
from .interactive import Control, Explorer, Series
from .prompts import Expect, Prompt, Quantity
from .signals import compute_grad_norms_at_init, compute_signal_std

GRAD_NORM_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")
GRAD_NORM_DEPTHS = (2, 5, 10, 15, 20, 30, 40, 50)
INIT_SCALES = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.41, 1.5, 2.0)  # 1.41: Xavier -> He
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
    depths: tuple[int, ...] = GRAD_NORM_DEPTHS,
    seed: int = 0,
    name: str = "gradient-flow",
    prompts=(),
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
        "depth": Control("depth", "hidden layers", tuple(depths), depth),
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
        prompts=tuple(prompts),
    )


def _first_to_last(**settings) -> Quantity:
    """Layer 1's gradient over the output layer's (the two numbers the caption reports)."""
    return Quantity("start[0] / end[0]", **settings)


LEVEL = (0.01, 100.0)  # "within two orders of magnitude of the output layer's gradient"

GRAD_NORMS_AT_INIT_PROMPTS = (
    Prompt("Switch the activation to tanh, then to ReLU, at 10 hidden layers. How does layer "
           "1's gradient compare with the output layer's now?",
           {"activation": "relu", "depth": 10},
           (Expect(_first_to_last(activation="tanh"), "in", LEVEL),
            Expect(_first_to_last(), "in", LEVEL),
            Expect(_first_to_last(activation="sigmoid"), "<", 1e-5))),
    Prompt("Back to the sigmoid: push the depth to 50. How many orders of magnitude now "
           "separate layer 1's gradient from the output layer's?",
           {"activation": "sigmoid", "depth": 50},
           Expect(_first_to_last(), "<", 1e-20)),
    Prompt("Keep 50 hidden layers and switch to tanh, then to ReLU. Do their curves tilt as "
           "the sigmoid's does?",
           {"activation": "relu", "depth": 50},
           (Expect(_first_to_last(activation="tanh"), "in", LEVEL),
            Expect(_first_to_last(), "in", LEVEL))),
)


def grad_norms_at_init(activation: str = "sigmoid", depth: int = 10, *, seed: int = 0,
                       prompts=None) -> Explorer:
    """Chapter 2: ``gradient_flow`` with two controls, activation and depth."""
    if prompts is None:
        prompts = GRAD_NORMS_AT_INIT_PROMPTS
    return gradient_flow(activation, depth, controls=("activation", "depth"), seed=seed,
                         name="grad-norms-at-init", prompts=prompts)


NORMALISATION_DEPTH_PROMPTS = (
    Prompt("Set the depth to 50 and switch the normalisation off. What reaches layer 1?",
           {"norm": "no normalisation", "depth": 50},
           Expect(_first_to_last(), "<", 1e-20)),
    Prompt("Switch BatchNorm back on, still at 50 layers. Does layer 1's gradient still "
           "vanish?",
           {"norm": "BatchNorm", "depth": 50},
           Expect(_first_to_last(), ">", 0.1)),
    Prompt("Now LayerNorm at 50 layers: does it rescue layer 1 as BatchNorm does?",
           {"norm": "LayerNorm", "depth": 50},
           Expect(_first_to_last(), "<", 1e-15)),
)


def normalisation_depth(depth: int = 30, norm: str = "BatchNorm", *, seed: int = 0,
                        prompts=None) -> Explorer:
    """Chapter 6: ``gradient_flow`` of a sigmoid network (Xavier) with two controls, the
    normalisation and the depth."""
    if prompts is None:
        prompts = NORMALISATION_DEPTH_PROMPTS
    return gradient_flow("sigmoid", depth, norm=norm, controls=("norm", "depth"), seed=seed,
                         name="bn-depth", prompts=prompts)


RESIDUAL_DEPTHS = (10, 25, 50, 100)
RESIDUAL_DEPTH_PROMPTS = (
    Prompt("With the skips off, move the depth from 25 to 100 layers. How far does layer 1's "
           "gradient fall?",
           {"skip": "plain", "depth": 100},
           Expect(Quantity("start[0]", depth=25) / Quantity("start[0]"), ">", 1e30)),
    Prompt("Switch the skips on and move the depth from 25 to 100 again.",
           {"skip": "residual", "depth": 100},
           (Expect(Quantity("start[0]", depth=25) / Quantity("start[0]"), "in", (0.5, 2.0)),
            Expect("start[0]", ">", 0.01))),
)


def residual_depth(depth: int = 50, skip: str = "plain", *, seed: int = 0,
                   prompts=None) -> Explorer:
    """Chapter 7: ``gradient_flow`` of a sigmoid network (Xavier, no normalisation) with two
    controls, the skip connections and the depth (up to 100 layers)."""
    if prompts is None:
        prompts = RESIDUAL_DEPTH_PROMPTS
    return gradient_flow("sigmoid", depth, skip=skip, controls=("skip", "depth"),
                         depths=RESIDUAL_DEPTHS, seed=seed, name="residual-depth",
                         prompts=prompts)


ALL_FIXES_PROMPTS = (
    Prompt("Switch to ReLU, BatchNorm and residual blocks together. What does layer 1 get "
           "now?",
           {"activation": "relu", "norm": "BatchNorm", "skip": "residual"},
           (Expect(Quantity("start[0]", activation="sigmoid", norm="no normalisation",
                            skip="plain") / Quantity("start[0]"), "<", 1e-10),
            Expect("start[0]", ">", 0.1))),
)


def all_fixes(depth: int = 30, *, seed: int = 0, prompts=None) -> Explorer:
    """Chapter 9: ``gradient_flow`` of a ``depth``-layer network with three controls, the
    activation, the normalisation and the skip connections."""
    if prompts is None:
        prompts = ALL_FIXES_PROMPTS
    return gradient_flow("sigmoid", depth, controls=("activation", "norm", "skip"), seed=seed,
                         name="all-fixes", prompts=prompts)


# -- signal propagation at initialisation (chapter 5) ----------------------------------------

SIGNAL_ACTIVATIONS = ("sigmoid", "tanh", "relu")
SIGNAL_INITS = ("xavier_normal", "he_normal")
FLAT = (0.25, 4.0)  # "flat": within a factor 4 over the 50 layers
_FORWARD, _BACKWARD = "end[0] / start[0]", "start[1] / end[1]"  # layer 50 / 1; layer 1 / 50

SIGNAL_PROPAGATION_PROMPTS = (
    Prompt("ReLU with He: move the scale one notch either side of 1, to 0.9 and to 1.1. What "
           "happens to the activations at layer 50?",
           {"activation": "relu", "init": "he_normal", "init_scale": 1.1},
           (Expect(Quantity(_FORWARD, init_scale=0.9), "<", 0.01),
            Expect(Quantity(_FORWARD, init_scale=1.0), "in", FLAT),
            Expect(_FORWARD, ">", 10))),
    Prompt("ReLU with Xavier: which scale balances it? Compare 1.25, 1.41 and 1.5.",
           {"activation": "relu", "init": "xavier_normal", "init_scale": 1.41},
           (Expect(Quantity(_FORWARD, init_scale=1.25), "<", 0.01),
            Expect(_FORWARD, "in", FLAT),
            Expect(_BACKWARD, "in", FLAT),
            Expect(Quantity(_FORWARD, init_scale=1.5), ">", FLAT[1]))),
    Prompt("Tanh with Xavier: try the scale 1.1. Does the gradient reach layer 1 better or "
           "worse than at 1?",
           {"activation": "tanh", "init": "xavier_normal", "init_scale": 1.1},
           Expect(Quantity("start[1]") / Quantity("start[1]", init_scale=1.0), ">", 2)),
    Prompt("Push tanh with Xavier on to the scale 2. What happens to the gradient at layer 1, "
           "and to the activations?",
           {"activation": "tanh", "init": "xavier_normal", "init_scale": 2.0},
           (Expect("start[1]", ">", 100), Expect("max[0]", "<", 1))),
    Prompt("Sigmoid: can any scheme and scale on the slider balance its gradient? Try both "
           "schemes at the largest scale, 2.",
           {"activation": "sigmoid", "init": "he_normal", "init_scale": 2.0},
           (Expect(_BACKWARD, "<", 1e-6),
            Expect(Quantity(_BACKWARD, init="xavier_normal"), "<", 1e-6))),
)


def signal_propagation(
    activation: str = "tanh",
    init: str = "xavier_normal",
    init_scale: float = 1.0,
    *,
    depth: int = 50,
    controls: tuple[str, ...] = ("activation", "init", "init_scale"),
    seed: int = 0,
    name: str = "signal-propagation",
    prompts=None,
) -> Explorer:
    """The std of the activations (forward) and of the gradient ``dL/dz`` (backward) at every
    layer of a fresh ``depth``-layer, 64-wide network (``signals.compute_signal_std``), for an
    activation, an initialisation scheme and a multiplier of its scale (chapter 5)."""
    allowed = ("activation", "init", "init_scale")
    if set(controls) - set(allowed) or not controls:
        raise ValueError(f"controls must be some of {allowed}; got {controls!r}")
    fixed = {"activation": activation, "init": init, "init_scale": init_scale}
    specs = {
        "activation": Control("activation", "activation", SIGNAL_ACTIVATIONS, activation,
                              kind="dropdown"),
        "init": Control("init", "initialisation", SIGNAL_INITS, init, kind="dropdown"),
        "init_scale": Control("init_scale", "init scale", INIT_SCALES, init_scale),
    }

    def compute(**chosen) -> list[Series]:
        settings = {**fixed, **chosen}
        result = compute_signal_std(settings["activation"], depth, init=settings["init"],
                                    init_scale=settings["init_scale"],
                                    rng=np.random.default_rng(seed))
        color = ACTIVATION_COLORS[result.activation]
        return [Series("activations (forward)", result.layers, result.forward, color=color),
                Series("gradients (backward)", result.layers, result.backward, color=color,
                       dashed=True)]

    named = [("{" + key + "}") if key in controls else str(fixed[key]) for key in allowed]
    return Explorer(
        name=name,
        title=f"Signal spread through {depth} layers at initialisation",
        xlabel="layer (1 = next to the input)",
        ylabel="standard deviation (log scale)",
        controls=[specs[key] for key in allowed if key in controls],
        compute=compute,
        caption=f"{named[0]}, {named[1]} x {named[2]}: the activations' spread goes from "
                "{start[0]} at layer 1 to {end[0]} at layer " + str(depth) + "; the gradient's "
                "from {end[1]} at layer " + str(depth) + " to {start[1]} at layer 1.",
        alt="Two lines on a logarithmic axis: the standard deviation of the activations and of "
            "the gradients at every layer of a freshly initialised deep network.",
        prompts=SIGNAL_PROPAGATION_PROMPTS if prompts is None else prompts,
    )

