"""Multi-seed results computed ahead of time: the training experiments whose seeds and settings
together take too long to run while a chapter executes.

A *sweep* is an experiment function of ``vglib.experiments`` (keyword arguments in, a dict of
numbers out) and the list of argument sets it is run with (``SWEEPS``). ``tools/sweeps.py``
runs every set (resumable: each finished point is written at once) into
``vglib/sweeps/<name>.json``, shipped with vglib so a notebook in Colab reads it too. A chapter
shows the stored results (``results(name)``, ``table(name, ...)``) beside one live run of the
same function, and ``tests/test_sweeps.py`` re-runs a point of every sweep and checks that it
reproduces the stored numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import product
from pathlib import Path

import numpy as np

from . import experiments

__all__ = ["SEEDS", "SWEEPS", "Sweep", "compute_seconds", "grid", "path", "results", "stored",
           "summary"]

SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Sweep:
    """``function`` (a name in ``vglib.experiments``) run with every dict of ``points``.
    ``live_in``: the notebook that runs the first point again live and compares it with the
    stored result bit for bit (with the pinned kernels), so the tests' quick re-run leaves that
    point to the notebook. ``pending``: still being computed (``tools/sweeps.py`` resumes it);
    its stored points are checked like the others', but no notebook may read it yet."""

    function: str
    points: tuple[dict, ...]
    live_in: str = ""
    pending: bool = False

    @property
    def run(self) -> Callable[..., dict]:
        return getattr(experiments, self.function)


def grid(**axes: Iterable) -> tuple[dict, ...]:
    """Every combination of the given axes, seeds last: ``grid(depth=(2, 4), seed=SEEDS)``."""
    names = list(axes)
    return tuple(dict(zip(names, values, strict=True))
                 for values in product(*(tuple(axes[n]) for n in names)))


SWEEPS = {
    # chapter 3: sigmoid networks on the moons, by depth, under three training settings
    "ch3_moons_depth": Sweep("moons_sigmoid_depth", grid(
        setting=("SGD lr 1, He", "SGD lr 1, Xavier", "Adam lr 0.02, He"),
        depth=(2, 4, 6, 8, 10), seed=SEEDS)),
    # chapter 4: one oversized step, then 40 epochs, for three members of the ReLU family
    "ch4_spike": Sweep("spike", grid(activation=("relu", "leaky_relu", "prelu"), seed=SEEDS)),
    # chapter 4: the same network trained with every activation, at three depths
    "ch4_activations": Sweep("activation_on_spirals", grid(
        activation=("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "silu"),
        depth=(3, 8, 15), seed=SEEDS)),
    # chapter 5: a 30-layer ReLU network, Xavier against He
    "ch5_xavier_he": Sweep("deep_relu_init", grid(init=("xavier_normal", "he_normal"),
                                                   seed=SEEDS)),
    # chapter 6: the learning rates at which a 10-layer ReLU network trains, with and without
    # BatchNorm
    "ch6_learning_rate": Sweep("batchnorm_learning_rate", grid(
        norm=(None, "batch"), lr=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0), seed=SEEDS)),
    # chapter 6: BatchNorm, LayerNorm and neither at small batch sizes
    "ch6_batch_size": Sweep("normalisation_batch_size", grid(
        norm=("batch", "layer", None), size=(2, 8, 64), seed=SEEDS)),
    # chapter 6: internal covariate shift, injected: the noisy-BatchNorm network at lr 0.3
    # (first: nothing recorded, the cheapest), then the plain, BatchNorm and noisy-BatchNorm
    # networks at lr 0.03 with the shift measured at every step
    "ch6_covariate_shift": Sweep("covariate_shift", (
        *grid(kind=("noisy BatchNorm",), lr=(0.3,), seed=SEEDS),
        *grid(kind=experiments.ICS_KINDS, lr=(0.03,), shift=(True,), seed=SEEDS))),
    # chapter 6: the best single step along the full-batch gradient during training, plain and
    # with BatchNorm
    "ch6_single_step": Sweep("single_step_walk", grid(norm=(None, "batch"), seed=SEEDS)),
    # chapter 6, exercise: the colleague's hand-written loop in inference mode (the bug) and in
    # training mode (the fix)
    "ch6_colleague": Sweep("colleague_loop", grid(train_mode=(False, True), seed=SEEDS)),
    # chapter 7: the degradation problem, plain against residual
    "ch7_degradation": Sweep("degradation", grid(depth=(10, 30, 60), residual=(False, True),
                                                 seed=SEEDS)),
    # chapter 7: a thousand residual blocks, trained to 95 %
    "ch7_residual_1000": Sweep("residual_1000", grid(seed=SEEDS),
                               live_in="chapters/07_residual_connections.ipynb"),
    # chapter 8: a linear RNN without clipping (first: it diverges within a few steps), with
    # its gradient's norm clipped to 1 and with every element clipped to 0.02; seed 0 keeps
    # the loss and gradient norm of every step, for the chapter's figure
    "ch8_clipping": Sweep("clipped_rnn", tuple(
        dict(clip=clip, limit=limit, seed=s, curves=s == 0)
        for clip, limit in ((None, None), ("norm", 1.0), ("value", 0.02)) for s in SEEDS)),
    # chapter 8, exercise: other limits for clipping by norm (1 is in ch8_clipping)
    "ch8_clip_limit": Sweep("clipped_rnn", grid(clip=("norm",), limit=(0.1, 10.0, 100.0),
                                                seed=SEEDS)),
    # chapter 9: fewer layers as a fix, on a task that needs depth
    "ch9_shapes": Sweep("shape_on_two_turns", tuple(
        dict(depth=d, width=w, seed=s) for d, w in ((1, 32), (1, 243), (1, 1000), (2, 32), (4, 32))
        for s in SEEDS)),
    # chapter 9, exercise: one very wide hidden layer on the same task (the narrower first)
    "ch9_wide": Sweep("shape_on_two_turns", grid(depth=(1,), width=(2000, 4000), seed=SEEDS)),
    # chapter 10: the window of learning rates in which pre- and post-norm stacks train
    "ch10_placement_window": Sweep("norm_placement_run", grid(
        depth=(2, 4, 8), placement=("pre", "post"), lr=(0.01, 0.03, 0.1), seed=SEEDS)),
    # chapter 10: the gradient of every block of fresh pre- and post-norm stacks (no training)
    "ch10_block_profiles": Sweep("block_profile", grid(
        depth=(50, 100, 200), placement=("pre", "post"), seed=SEEDS)),
    # chapter 10: stacks of 8 blocks at lr 0.03, every run its full 200 steps: post-norm with a
    # warm-up over 50 steps or clipping (the chapter's table), as it is and pre-norm (with the
    # first two, its figure), and with a warm-up over 150 steps (its exercise); seed 0 keeps the
    # loss of every step, for the figure
    "ch10_warm_up": Sweep("norm_placement_run", tuple(
        dict(placement=placement, depth=8, lr=0.03, seed=s, stop_at_target=False, **fix,
             **({"curve": True} if s == 0 else {}))
        for placement, fix in (("post", {"warm_up": 50}), ("post", {"clip": 1.0}), ("post", {}),
                               ("pre", {}), ("post", {"warm_up": 150}))
        for s in SEEDS)),
    # chapter 9 on real data: how deep three configurations train on the handwritten digits
    "ch9_digits_depth": Sweep("digits_depth", grid(
        config=experiments.DIGITS_CONFIGS, depth=experiments.DIGITS_DEPTHS,
        lr=experiments.DIGITS_RATES, seed=SEEDS)),
    # the gallery: every broken network and its fix
    "gallery_cases": Sweep("gallery_case", grid(case=experiments.GALLERY_CASES, seed=SEEDS)),
    # the gallery: is the 100-layer plain ReLU network's fault the learning rate?
    "gallery_plain_relu_lr": Sweep("plain_relu_lr", grid(
        lr=(1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3), seed=SEEDS)),
    # chapter 3 on real data: the 10-layer sigmoid and ReLU networks trained on the digits,
    # and diagnose's report of each trained network
    "ch3_digits_diagnosis": Sweep("digits_diagnosis", grid(activation=("sigmoid", "relu"),
                                                           seed=SEEDS)),
    # chapter 5 on real data: the 30-layer ReLU network on the digits, Xavier against He
    "ch5_digits_xavier_he": Sweep("digits_relu_init", grid(init=("xavier_normal", "he_normal"),
                                                           seed=SEEDS)),
}


def path(name: str) -> Path:
    """Where sweep ``name``'s results live (inside the installed vglib)."""
    if name not in SWEEPS:
        raise ValueError(f"sweep={name!r} is unknown; choose one of {', '.join(SWEEPS)}")
    return Path(str(resources.files("vglib").joinpath("sweeps", f"{name}.json")))


def results(name: str) -> list[dict]:
    """The stored points of sweep ``name``: a list of ``{"params": ..., "result": ...}`` in the
    order of ``SWEEPS[name].points``; raises if the sweep has not been run completely."""
    points = stored(name)
    if len(points) < len(SWEEPS[name].points):
        raise ValueError(f"sweep {name!r} is incomplete ({len(SWEEPS[name].points) - len(points)}"
                         f" of {len(SWEEPS[name].points)} points missing); run "
                         f"`python tools/sweeps.py {name}`")
    return points


def stored(name: str) -> list[dict]:
    """The points of sweep ``name`` stored so far, complete or not, in the order of
    ``SWEEPS[name].points`` (``results`` is for a finished sweep)."""
    file = path(name)
    by_params = {json.dumps(p["params"], sort_keys=True): p for p in
                 (json.loads(file.read_text())["points"] if file.exists() else [])}
    return [by_params[key] for key in (json.dumps(p, sort_keys=True)
                                       for p in SWEEPS[name].points) if key in by_params]


def compute_seconds(name: str) -> float:
    """How many seconds of compute the stored points of sweep ``name`` took, in all (on the
    machine that ran ``tools/sweeps.py``, one point at a time per core)."""
    results(name)  # complete, or the error that says how to complete it
    return float(json.loads(path(name).read_text())["seconds"])


def summary(name: str, key: str, by: tuple[str, ...]) -> dict[tuple, dict]:
    """Median, min and max of result ``key`` over the seeds, for every combination of the
    parameters ``by``: ``{(value, ...): {"median", "min", "max", "values"}}``."""
    groups: dict[tuple, list[float]] = {}
    for point in results(name):
        groups.setdefault(tuple(point["params"][b] for b in by), []).append(
            point["result"][key])
    return {group: {"median": float(np.median(values)), "min": float(min(values)),
                    "max": float(max(values)), "values": values}
            for group, values in groups.items()}
