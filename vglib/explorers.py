"""The book's interactive figures, each an ``Explorer`` (see ``vglib.interactive``).

In a chapter::

    from vglib import explorers
    chain = explorers.signal_chain()
    chain.widget()   # live controls in Jupyter / Colab
    chain.html()     # the same figure without a kernel (HTML book, offline)

Every figure of the book has its factory here, and beside it the figure's "try this" prompts
(``*_PROMPTS``): what each asks the reader to set and what the figure then shows. A factory
uses them unless given ``prompts=`` (``prompts=()``: none, e.g. for a figure with other
control values). The explorer checks them when it is built, so a chapter fails when one of its
prompts stops being true; both front ends show them under the figure, so the chapter's text
need not repeat them.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _checks
from .chains import signal_after_layers
from .experiments import train_on_spirals
from .interactive import Control, Expect, Explorer, Prompt, Quantity, Series
from .plots import ACTIVATION_COLORS
from .recurrent import gradient_through_time
from .signals import block_grad_norms, compute_grad_norms_at_init, compute_signal_std

__all__ = [
    "all_fixes",
    "exploding_recurrence",
    "grad_norms_at_init",
    "gradient_flow",
    "norm_placement",
    "normalisation_depth",
    "residual_depth",
    "signal_chain",
    "signal_propagation",
    "training_curves",
    "training_gradients",
]

# 0.05, 0.10, ..., 1.50, and the states near 1 where a long chain keeps a fair share
FACTORS = tuple(sorted({round(0.05 * k, 2) for k in range(1, 31)} | {0.97, 0.99, 0.993, 0.995}))
MAX_LAYERS = 100
FLOAT32_EPS = 1.1920929e-07  # np.finfo(np.float32).eps, the threshold chapter 1 uses

SIGNAL_CHAIN_PROMPTS = (
    Prompt("Set the factor to 0.5 and the number of layers to 50. Is what is left above or "
           "below float32's machine epsilon, about 1.2e-07?",
           {"factor": 0.5, "layers": 50},
           Expect("end[0]", "<", FLOAT32_EPS)),
    Prompt("Find the factor at which 100 layers still leave about half of the signal.",
           {"factor": 0.993, "layers": 100},
           (Expect(Quantity("end[0]", factor=0.99), "<", 0.45),  # no neighbour does, ...
            Expect("end[0]", "in", (0.45, 0.55)),  # ... 0.993 does: 2 ** (-1 / 100) = 0.9931
            Expect(Quantity("end[0]", factor=0.995), ">", 0.55))),
    Prompt("Now set the factor to 1.05, still over 100 layers. What happens to the signal?",
           {"factor": 1.05, "layers": 100},
           Expect("end[0]", ">", 100)),
)


def _prompts(prompts, default):
    return default if prompts is None else tuple(prompts)


def signal_chain(factor: float = 0.9, n_layers: int = 10, *, prompts=None) -> Explorer:
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
        caption="After {layers} layers, a factor of {factor} per layer has multiplied the signal "
                "by {end[0]}.",
        alt="A line on a logarithmic axis: the signal after each layer, for the chosen factor.",
        prompts=_prompts(prompts, SIGNAL_CHAIN_PROMPTS),
    )


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
    return gradient_flow(activation, depth, controls=("activation", "depth"), seed=seed,
                         name="grad-norms-at-init",
                         prompts=_prompts(prompts, GRAD_NORMS_AT_INIT_PROMPTS))


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
    return gradient_flow("sigmoid", depth, norm=norm, controls=("norm", "depth"), seed=seed,
                         name="bn-depth", prompts=_prompts(prompts, NORMALISATION_DEPTH_PROMPTS))


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
    return gradient_flow("sigmoid", depth, skip=skip, controls=("skip", "depth"),
                         depths=RESIDUAL_DEPTHS, seed=seed, name="residual-depth",
                         prompts=_prompts(prompts, RESIDUAL_DEPTH_PROMPTS))


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
    return gradient_flow("sigmoid", depth, controls=("activation", "norm", "skip"), seed=seed,
                         name="all-fixes", prompts=_prompts(prompts, ALL_FIXES_PROMPTS))


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
        prompts=_prompts(prompts, SIGNAL_PROPAGATION_PROMPTS),
    )


# -- short training runs (chapters 3 and 4) ----------------------------------------------------

TRAINING_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu")
TRAINING_DEPTHS = (3, 8, 15)
LEARNS = 0.9  # "learns the spirals": 90 % training accuracy, the depth race's definition

TRAINING_CURVES_PROMPTS = (
    Prompt("Switch between sigmoid, tanh and ReLU at 15 hidden layers and compare how far the "
           "loss falls in 30 epochs.",
           {"activation": "relu", "depth": 15},
           (Expect(Quantity("end[0]", activation="sigmoid"), ">", 0.6),  # ln 2 = 0.693: 50:50
            Expect(Quantity("end[0]", activation="tanh"), "<",
                   Quantity("end[0]", activation="sigmoid")),
            Expect(Quantity("end[0]", activation="tanh"), ">", Quantity("end[0]")),
            Expect("end[0]", "<", 0.25))),
    Prompt("Then go through the ReLU family at the same depth: leaky ReLU, PReLU, ELU, GELU "
           "and SiLU. Which of them learn the spirals?",
           {"activation": "silu", "depth": 15},
           tuple(Expect(Quantity("accuracy[0]", activation=name), ">", LEARNS)
                 for name in ("relu", "leaky_relu", "prelu", "elu", "gelu", "silu"))),
)

TRAINING_GRADIENT_DEPTHS = (2, 4, 6, 8, 10)
TRAINING_GRADIENTS_PROMPTS = (
    Prompt("Switch to tanh, then to ReLU, at 10 hidden layers, and compare how far the solid "
           "line falls from the output layer to layer 1.",
           {"activation": "relu", "depth": 10},
           (Expect(Quantity("start[1] / end[1]", activation="tanh"), "in", LEVEL),
            Expect("start[1] / end[1]", "in", LEVEL),
            Expect(Quantity("start[1] / end[1]", activation="sigmoid"), "<", 1e-4))),
    Prompt("Bring the sigmoid network down to 2 hidden layers and step the depth up again. "
           "What does every step do to layer 1's gradient?",
           {"activation": "sigmoid", "depth": 10},
           tuple(Expect(Quantity("start[1]", depth=depth) / Quantity("start[1]", depth=deeper),
                        ">", 2)
                 for depth, deeper in itertools.pairwise(TRAINING_GRADIENT_DEPTHS))),
    Prompt("Read the final training accuracy in the caption as you step the sigmoid network "
           "through the depths. Does it learn the spirals at any of them?",
           {"activation": "sigmoid", "depth": 2},
           tuple(Expect(Quantity("accuracy[0]", depth=depth), "<", 0.6)
                 for depth in TRAINING_GRADIENT_DEPTHS)),
    Prompt("Do the same for tanh and ReLU: do they do better shallow or deep?",
           {"activation": "relu", "depth": 10},
           tuple(expect for name in ("tanh", "relu") for expect in (
               Expect(Quantity("accuracy[0]", activation=name, depth=2), "<",
                      Quantity("accuracy[0]", activation=name)),
               Expect(Quantity("accuracy[0]", activation=name), ">", LEARNS)))),
)


def _training_controls(activation, depth, activations, depths):
    return [Control("activation", "activation", activations, activation, kind="dropdown"),
            Control("depth", "hidden layers", depths, depth)]


def training_curves(
    activation: str = "sigmoid",
    depth: int = 8,
    *,
    activations: tuple[str, ...] = TRAINING_ACTIVATIONS,
    depths: tuple[int, ...] = TRAINING_DEPTHS,
    optimizer: str = "adam",
    lr: float = 0.01,
    epochs: int = 30,
    width: int = 32,
    seed: int = 0,
    name: str = "training-curves",
    prompts=None,
) -> Explorer:
    """The training loss per epoch of the same ``mlp`` on the spirals for each activation and
    depth (every combination is trained once, so keep the lists short). Chapter 4."""
    _checks.choice(optimizer, ("adam", "sgd"), "optimizer")

    def compute(activation: str, depth: int) -> list[Series]:
        history = train_on_spirals(activation, depth, seed, optimizer=optimizer, lr=lr,
                                   epochs=epochs, width=width, record=False)
        accuracy = float(history.epoch_accuracy[-1])
        return [Series(f"{activation}, {depth} hidden layers", np.arange(1, epochs + 1),
                       history.epoch_loss, color=ACTIVATION_COLORS[activation],
                       note=f"final training accuracy {accuracy:.0%}",
                       info={"accuracy": accuracy, "loss": float(history.epoch_loss[-1])})]

    return Explorer(
        name=name,
        title=f"Training loss ({optimizer}, lr {lr:g}, width {width})",
        xlabel="epoch",
        ylabel="cross-entropy loss (log scale)",
        controls=_training_controls(activation, depth, activations, depths),
        compute=compute,
        caption="{activation}, {depth} hidden layers: the loss goes from {start[0]} after the "
                "first epoch to {end[0]} after the last; {note}.",
        alt="The training loss per epoch on a logarithmic axis for the chosen activation and "
            "depth.",
        prompts=_prompts(prompts, TRAINING_CURVES_PROMPTS),
    )


def training_gradients(
    activation: str = "sigmoid",
    depth: int = 8,
    *,
    activations: tuple[str, ...] = ("sigmoid", "tanh", "relu"),
    depths: tuple[int, ...] = TRAINING_GRADIENT_DEPTHS,
    optimizer: str = "sgd",
    lr: float = 0.05,
    epochs: int = 30,
    width: int = 32,
    seed: int = 0,
    name: str = "training-gradients",
    prompts=None,
) -> Explorer:
    """``||dL/dW||`` per layer during training on the spirals: at the first step and at the
    first step of the last epoch, for each activation and depth (chapter 3's recipe)."""
    _checks.choice(optimizer, ("adam", "sgd"), "optimizer")

    def compute(activation: str, depth: int) -> list[Series]:
        history = train_on_spirals(activation, depth, seed, optimizer=optimizer, lr=lr,
                                   epochs=epochs, width=width, record=True)
        layers = np.arange(1, len(history.layer_names) + 1)
        color = ACTIVATION_COLORS[activation]
        accuracy = float(history.epoch_accuracy[-1])
        note = f"final training accuracy {accuracy:.0%}"
        return [Series("first step", layers, history.grad_norms[0], color=color, dashed=True,
                       note=note, info={"accuracy": accuracy}),
                Series(f"epoch {epochs}", layers, history.grad_norms[-1], color=color)]

    return Explorer(
        name=name,
        title=f"Gradient norm per layer during training ({optimizer}, lr {lr:g})",
        xlabel="layer (1 = next to the input)",
        ylabel="||dL/dW|| (log scale)",
        controls=_training_controls(activation, depth, activations, depths),
        compute=compute,
        caption="{activation}, {depth} hidden layers, epoch " + str(epochs)
                + ": layer 1 gets a gradient of {start[1]}, the output layer {end[1]}; {note}.",
        alt="Gradient norm of every layer on a logarithmic axis, at the start and at the end "
            "of training, for the chosen activation and depth.",
        prompts=_prompts(prompts, TRAINING_GRADIENTS_PROMPTS),
    )


# -- exploding gradients through a recurrence (chapter 8) -------------------------------------

RADII = (0.5, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5)
RECURRENCE_STEPS = (10, 25, 50, 100)
CLIP_LIMITS = ("off", 10.0, 1.0, 0.1)

EXPLODING_RECURRENCE_PROMPTS = (
    Prompt("Set the steps to 100 and the radius to 0.95. How much of the gradient reaches the "
           "first step?",
           {"radius": 0.95, "steps": 100},
           Expect("end[0]", "<", 0.01)),
    Prompt("Now move the radius to 1.05, still over 100 steps: five per cent more per step.",
           {"radius": 1.05, "steps": 100},
           (Expect("end[0]", ">", 1),
            Expect(Quantity("end[0]") / Quantity("end[0]", radius=0.95), ">", 1e3))),
)


def exploding_recurrence(
    radius: float = 1.1, steps: int = 50, clip: str | float = 1.0, *,
    activation: str = "identity", seed: int = 0, name: str = "exploding-recurrence",
    prompts=None,
) -> Explorer:
    """Chapter 8: the gradient sent back through ``steps`` steps of ``h <- f(h W^T)`` with a
    32 x 32 matrix of spectral radius ``radius`` (``recurrent.gradient_through_time``), and the
    same gradient clipped by norm to ``clip`` (``"off"``: not clipped)."""

    def compute(radius: float, steps: int, clip: str | float) -> list[Series]:
        limit = None if clip == "off" else clip
        tt = gradient_through_time(radius, steps, activation=activation, clip=limit,
                                   rng=np.random.default_rng(seed))
        lines = [Series("not clipped", tt.steps_back, tt.norms, color=ACTIVATION_COLORS["relu"])]
        if tt.clipped_norms is not None:
            lines.append(Series(f"clipped by norm to {clip:g}", tt.steps_back, tt.clipped_norms,
                                color=ACTIVATION_COLORS["relu"], dashed=True))
        return lines

    return Explorer(
        name=name,
        title="A gradient travelling back through a recurrence",
        xlabel="steps back from the loss",
        ylabel="||dL/dh|| (log scale)",
        controls=[
            Control("radius", "spectral radius", RADII, radius),
            Control("steps", "steps unrolled", RECURRENCE_STEPS, steps),
            Control("clip", "clip norm at", CLIP_LIMITS, clip, kind="dropdown"),
        ],
        compute=compute,
        caption="Spectral radius {radius}, {steps} steps: a unit gradient at the loss has norm "
                "{end[0]} when it reaches the first step (clipping: {clip}).",
        alt="Gradient norm at every step back through an unrolled recurrence on a logarithmic "
            "axis, with and without clipping by norm.",
        prompts=_prompts(prompts, EXPLODING_RECURRENCE_PROMPTS),
    )


PLACEMENT_DEPTHS = (25, 50, 100, 200)

NORM_PLACEMENT_PROMPTS = (
    Prompt("Step through the depths and compare the two blocks next to the output: which "
           "placement hands its last block the larger gradient?",
           {"depth": 200},
           tuple(Expect(Quantity("end[1] / end[0]", depth=depth), ">", 2)
                 for depth in PLACEMENT_DEPTHS)),
    Prompt("At 200 blocks, follow the pre-norm line from the input side to the output side. "
           "How much smaller is the last block's gradient than the first's?",
           {"depth": 200},
           Expect("start[0] / end[0]", ">", 5)),
)


def norm_placement(
    depth: int = 100, *, depths: tuple[int, ...] = PLACEMENT_DEPTHS, seeds: int = 3,
    name: str = "norm-placement", prompts=None,
) -> Explorer:
    """Chapter 10: ``||dL/dW||`` of every block of a fresh pre-norm and a fresh post-norm
    residual stack (width 32, LayerNorm, GELU; ``signals.block_grad_norms``), the geometric mean
    over ``seeds`` initialisations, with the depth as the control."""
    seeds = _checks.positive_int(seeds, "seeds")

    def compute(depth: int) -> list[Series]:
        lines = []
        for placement, color in (("pre", ACTIVATION_COLORS["gelu"]),
                                 ("post", ACTIVATION_COLORS["sigmoid"])):
            norms = np.array([block_grad_norms(depth, placement, rng=np.random.default_rng(s))
                              for s in range(seeds)])
            lines.append(Series(f"{placement}-norm", np.arange(1, depth + 1),
                                np.exp(np.log(norms).mean(axis=0)), color=color,
                                dashed=placement == "post"))
        return lines

    return Explorer(
        name=name,
        title="Gradient norm per residual block at initialisation: pre-norm vs post-norm",
        xlabel="residual block (1 = next to the input)",
        ylabel="||dL/dW|| of the block (log scale)",
        controls=[Control("depth", "residual blocks", tuple(depths), depth)],
        compute=compute,
        caption="{depth} blocks: the block next to the output gets {end[0]} with pre-norm and "
                "{end[1]} with post-norm; the block next to the input {start[0]} and {start[1]}.",
        alt="Gradient norm of every residual block of a fresh pre-norm and a fresh post-norm "
            "stack on a logarithmic axis, for the chosen depth.",
        prompts=_prompts(prompts, NORM_PLACEMENT_PROMPTS),
    )
