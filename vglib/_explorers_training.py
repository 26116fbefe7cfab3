"""The book's figures of short training runs on the spirals (chapters 3 and 4; ``vglib.explorers``
is where chapters find them), each with its "try this" prompts (``*_PROMPTS``) beside it.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _checks
from ._explorers_fresh import LEVEL
from ._palette import ACTIVATION_COLORS
from .experiments import train_on_spirals
from .interactive import Control, Explorer, Series
from .prompts import Expect, Prompt, Quantity

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
    measured=None,
    name: str = "training-curves",
    prompts=None,
) -> Explorer:
    """The training loss per epoch of the same ``mlp`` on the spirals for each activation and
    depth (every combination is trained once, so keep the lists short). Chapter 4.

    ``measured`` maps ``(activation, depth, seed)`` to runs already trained with this
    explorer's settings, each a dict with the final ``"accuracy"`` and the ``"epoch_loss"`` of
    every epoch (for instance chapter 4's stored sweep ``ch4_activations``, which is
    ``experiments.activation_on_spirals``: Adam, lr 0.01, 30 epochs, width 32): those runs are
    not trained again, the others are."""
    _checks.choice(optimizer, ("adam", "sgd"), "optimizer")
    known = {} if measured is None else dict(measured)

    def run(activation: str, depth: int) -> tuple[np.ndarray, float]:
        if (activation, depth, seed) not in known:
            history = train_on_spirals(activation, depth, seed, optimizer=optimizer, lr=lr,
                                       epochs=epochs, width=width, record=False)
            return history.epoch_loss, float(history.epoch_accuracy[-1])
        given = known[activation, depth, seed]
        losses = np.asarray(given["epoch_loss"], dtype=float)
        if losses.shape != (epochs,):
            raise ValueError(f"measured[{(activation, depth, seed)!r}] has {losses.size} "
                             f"epoch losses; a run of {epochs} epochs has one per epoch")
        return losses, float(given["accuracy"])

    def compute(activation: str, depth: int) -> list[Series]:
        losses, accuracy = run(activation, depth)
        return [Series(f"{activation}, {depth} hidden layers", np.arange(1, epochs + 1),
                       losses, color=ACTIVATION_COLORS[activation],
                       note=f"final training accuracy {accuracy:.0%}",
                       info={"accuracy": accuracy, "loss": float(losses[-1])})]

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
        prompts=TRAINING_CURVES_PROMPTS if prompts is None else prompts,
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
        prompts=TRAINING_GRADIENTS_PROMPTS if prompts is None else prompts,
    )

