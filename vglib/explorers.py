"""The book's interactive figures, each an ``Explorer`` (see ``vglib.interactive``).

In a chapter::

    from vglib import explorers
    chain = explorers.signal_chain()
    chain.widget()   # live controls in Jupyter / Colab
    chain.html()     # the same figure without a kernel (HTML book, offline)

Every figure of the book has its factory in this module's namespace, and beside the factory's
definition the figure's "try this" prompts (``*_PROMPTS``): what each asks the reader to set
and what the figure then shows. A factory uses them unless given ``prompts=`` (``prompts=()``:
none, e.g. for a figure with other control values). The explorer checks them when it is built,
so a chapter fails when one of its prompts stops being true; both front ends show them under
the figure, so the chapter's text need not repeat them.

Defined here: the signal chain (chapter 1), the recurrence (chapter 8) and the norm placement
(chapter 10). A freshly initialised MLP layer by layer (chapters 2, 5, 6, 7, 9) is defined in
``_explorers_fresh``, short training runs (chapters 3, 4) in ``_explorers_training``. None of
them needs matplotlib.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from ._explorers_fresh import (
    ALL_CONTROLS,
    GRAD_NORM_ACTIVATIONS,
    GRAD_NORM_DEPTHS,
    all_fixes,
    grad_norms_at_init,
    gradient_flow,
    normalisation_depth,
    residual_depth,
    signal_propagation,
)
from ._explorers_training import (
    TRAINING_ACTIVATIONS,
    TRAINING_DEPTHS,
    training_curves,
    training_gradients,
)
from ._palette import ACTIVATION_COLORS
from .chains import signal_after_layers
from .interactive import Control, Explorer, Series
from .prompts import Expect, Prompt, Quantity
from .recurrent import gradient_through_time
from .signals import block_grad_norms

__all__ = [
    # control values that chapters read
    "ALL_CONTROLS",
    "FACTORS",
    "GRAD_NORM_ACTIVATIONS",
    "GRAD_NORM_DEPTHS",
    "MAX_LAYERS",
    "TRAINING_ACTIVATIONS",
    "TRAINING_DEPTHS",
    # the book's figures
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

# -- the signal chain (chapter 1) ------------------------------------------------------------

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
        prompts=SIGNAL_CHAIN_PROMPTS if prompts is None else prompts,
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
        prompts=EXPLODING_RECURRENCE_PROMPTS if prompts is None else prompts,
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
    measured=None, name: str = "norm-placement", prompts=None,
) -> Explorer:
    """Chapter 10: ``||dL/dW||`` of every block of a fresh pre-norm and a fresh post-norm
    residual stack (width 32, LayerNorm, GELU; ``signals.block_grad_norms``), the geometric mean
    over ``seeds`` initialisations (seed ``s`` draws ``rng=np.random.default_rng(s)``), with the
    depth as the control.

    ``measured`` maps ``(depth, placement, seed)`` to profiles already measured that way (for
    instance chapter 10's stored sweep ``ch10_block_profiles``): those stacks are not built
    again, the others are."""
    seeds = _checks.positive_int(seeds, "seeds")
    known = {} if measured is None else dict(measured)

    def profile(depth: int, placement: str, seed: int) -> np.ndarray:
        if (depth, placement, seed) not in known:
            return block_grad_norms(depth, placement, rng=np.random.default_rng(seed))
        norms = np.asarray(known[depth, placement, seed], dtype=float)
        if norms.shape != (depth,):
            raise ValueError(f"measured[{(depth, placement, seed)!r}] has shape {norms.shape}; "
                             f"a profile of {depth} blocks has one value per block")
        return norms

    def compute(depth: int) -> list[Series]:
        lines = []
        for placement, color in (("pre", ACTIVATION_COLORS["gelu"]),
                                 ("post", ACTIVATION_COLORS["sigmoid"])):
            norms = np.array([profile(depth, placement, s) for s in range(seeds)])
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
        prompts=NORM_PLACEMENT_PROMPTS if prompts is None else prompts,
    )
