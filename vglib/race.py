"""The depth race (chapter 9): how deep can each kind of network get and still train?

"Trains" is defined once, here (``DEFINITION``), and used by both the full search
(``tools/depth_race.py``, whose results the chapter reads) and the chapter's live version: a
network of width ``WIDTH`` trains at a depth if, for at least one learning rate of a small Adam
sweep, it reaches ``TARGET`` training accuracy (inference mode) on ``N_POINTS`` spiral points
within ``MAX_STEPS`` minibatch steps. ``search`` doubles the depth from 2 until a depth fails (or
``MAX_DEPTH`` is reached) and then bisects between the last success and the first failure.
Depths count hidden layers (blocks, for residual networks).
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from . import models, optim, train
from ._checks import NonFiniteError

__all__ = ["CONFIGS", "DEFINITION", "build", "load_results", "search", "trains"]

WIDTH = 32
N_POINTS = 256
BATCH = 64
MAX_STEPS = 600
TARGET = 0.90
LEARNING_RATES = (0.01, 0.003, 0.03, 0.001, 0.1)  # tried in this order; the first that trains wins
SEEDS = (0, 1, 2)
MAX_DEPTH = 256
RESOLUTION = 0.1  # bisect until first failure / last success <= 1.1
DATA_SEED = 12345

_RATES = ", ".join(f"{lr:g}" for lr in sorted(LEARNING_RATES))
DEFINITION = (
    f"a network of width {WIDTH} trains at a depth if, for at least one Adam learning rate in "
    f"{{{_RATES}}}, it reaches {TARGET:.0%} training "
    f"accuracy (inference mode) on {N_POINTS} spiral points within {MAX_STEPS} minibatch steps "
    f"of {BATCH}"
)

CONFIGS = {  # name: keyword arguments of build()
    "sigmoid + Xavier": dict(kind="mlp", activation="sigmoid", init="xavier_normal"),
    "tanh + Xavier": dict(kind="mlp", activation="tanh", init="xavier_normal"),
    "ReLU + He": dict(kind="mlp", activation="relu", init="he_normal"),
    "ReLU + He + BN": dict(kind="mlp", activation="relu", init="he_normal", norm="batch"),
    "residual + BN": dict(kind="mlp", activation="relu", init="he_normal", norm="batch",
                          residual=True),
    "pre-LN + GELU + residual": dict(kind="stack", activation="gelu", norm="layer",
                                     placement="pre"),
}


def build(depth: int, seed: int, *, kind: str, **kw):
    rng = np.random.default_rng(seed)
    if kind == "stack":
        return models.residual_stack(2, WIDTH, depth, 2, rng=rng, **kw)
    return models.mlp(2, WIDTH, depth, 2, rng=rng, **kw)


def trains(config: dict, depth: int, seed: int, X, y, *, learning_rates=LEARNING_RATES,
           max_steps: int = MAX_STEPS) -> tuple[bool, float | None, int]:
    """Does ``build(depth, seed, **config)`` train on ``(X, y)``? Returns (success, the learning
    rate that succeeded, the steps it took)."""
    steps_per_epoch = len(X) // BATCH
    for lr in learning_rates:
        model = build(depth, seed, **config)
        opt, shuffle = optim.Adam(lr), np.random.default_rng(seed + 1000)
        try:
            for epoch in range(1, max_steps // steps_per_epoch + 1):
                h = train.fit(model, X, y, optimizer=opt, epochs=1, batch_size=BATCH,
                              rng=shuffle, record_every=None)
                if h.epoch_accuracy[-1] >= TARGET:
                    return True, lr, epoch * steps_per_epoch
        except NonFiniteError:
            continue  # diverged at this learning rate: try the next one
    return False, None, max_steps


def search(config: dict, seed: int, X, y, log=print) -> dict:
    """The deepest depth at which ``config`` trains (doubling, then bisection), with every
    depth tried."""
    tried: dict[int, bool] = {}

    def attempt(depth: int) -> bool:
        ok, lr, steps = trains(config, depth, seed, X, y)
        tried[depth] = ok
        log(f"    depth {depth:4d}: {'trains' if ok else 'fails'}"
            + (f" (lr {lr:g}, {steps} steps)" if ok else ""))
        return ok

    depth, best, worst = 2, None, None
    while depth <= MAX_DEPTH:
        if attempt(depth):
            best, depth = depth, depth * 2
        else:
            worst = depth
            break
    if best is not None and worst is not None:
        while worst / best > 1 + RESOLUTION and worst - best > 1:
            middle = (best + worst) // 2
            if attempt(middle):
                best = middle
            else:
                worst = middle
    return {"seed": seed, "max_depth": best, "first_failure": worst,
            "capped": worst is None and best is not None,
            "tried": {str(d): ok for d, ok in sorted(tried.items())}}




def load_results() -> dict:
    """The results of the full search, as written by ``tools/depth_race.py`` (shipped with vglib,
    so a notebook in Colab finds them too)."""
    return json.loads(resources.files("vglib").joinpath("depth_race.json").read_text())
