"""The depth race (chapter 9): how deep can each kind of network get and still train?

"Trains" is defined once, here (``DEFINITION``): a network trains at a depth, for one seed and
one learning rate, if it reaches ``TARGET`` training accuracy (inference mode) on ``N_POINTS``
spiral points within ``MAX_STEPS`` minibatch steps of ``BATCH``. ``run_once`` makes that one
attempt and stops as soon as the target is reached.

The sweep (``tools/depth_race.py`` runs it; the chapter reads its results) measures, for every
*series* (configuration, width, optimiser) and every depth of the fixed grid ``DEPTHS``, the
*success rate* over ``SWEEP_SEEDS``:

- learning rates are half-decade steps ``10**(k/2)`` (``RATE_GRID``: 1e-5 ... 1e-1); every rate
  tried at a depth runs with every seed;
- the *best rate* at a depth has the most successes (ties: the fewer median steps of its
  successful seeds, then the smaller rate); the depth's success rate is the best rate's;
  separately, the share of seeds for which *any* tried rate trained;
- rates are searched adaptively (``rates_to_try``): the whole grid at the anchor depths
  ``ANCHORS``, at the first depth and wherever three rates found no success; elsewhere the
  neighbouring (shallower) depth's best rate and one half-decade either side; whenever the best
  rate lies on the edge of what was tried, the next rate beyond is added, past the grid's ends
  too (``RATE_LIMITS``), so the best rate is never on the edge of the searched range unless it
  reaches a limit;
- a series stops once two consecutive grid depths beyond its deepest success (and beyond the
  first anchor, since a shallow sigmoid net can fail where a slightly deeper one trains) have no
  success with any rate.

``next_runs`` and ``summarise`` are pure functions of the runs done so far, so a sweep can be
interrupted and resumed from its cache. Depths count hidden layers (blocks, for residual
networks).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from importlib import resources

import numpy as np

from . import _checks, models, optim, train
from ._checks import NonFiniteError

__all__ = [
    "ANCHORS", "CONFIGS", "DEFINITION", "DEPTHS", "RATE_GRID", "SERIES", "SWEEP_SEEDS",
    "Series", "build", "deepest", "load_sweep", "next_runs", "rate", "run_once", "summarise",
]

WIDTH = 32
N_POINTS = 256
BATCH = 64
MAX_STEPS = 600
TARGET = 0.90
DATA_SEED = 12345

# -- the sweep ------------------------------------------------------------------------------------
SWEEP_SEEDS = (0, 1, 2, 3, 4)
DEPTHS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
ANCHORS = (4, 32, 256)
RATE_GRID = tuple(range(-10, -1))  # exponents k of 10**(k/2): 1e-5, 3.2e-5, ..., 3.2e-2, 1e-1
RATE_LIMITS = (-14, 0)             # how far past the grid an edge may push: 1e-7 ... 1
MOMENTUM = 0.9                     # of the "sgd" optimiser

DEFINITION = (
    f"a network trains at a depth, for one seed and one learning rate, if it reaches "
    f"{TARGET:.0%} training accuracy (inference mode) on {N_POINTS} spiral points within "
    f"{MAX_STEPS} minibatch steps of {BATCH}"
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


@dataclass(frozen=True)
class Series:
    """One row family of the sweep: a configuration of ``CONFIGS`` at a width, trained with an
    optimiser ("adam", or "sgd": SGD with momentum ``MOMENTUM``)."""

    config: str
    width: int = WIDTH
    optimiser: str = "adam"
    max_depth: int = DEPTHS[-1]  # deepest grid depth the sweep runs (a cost cap, stated)

    @property
    def label(self) -> str:
        extra = [f"width {self.width}"] if self.width != WIDTH else []
        extra += ["SGD + momentum"] if self.optimiser == "sgd" else []
        return self.config + (f" ({', '.join(extra)})" if extra else "")


SERIES = (
    *(Series(name) for name in CONFIGS),
    *(Series(name, width) for name in ("sigmoid + Xavier", "ReLU + He") for width in (16,)),
    # the wider plain ReLU nets stop at 256: a failed run there costs 30 s (width 64) to 80 s
    # (width 128), and by 256 the width effect is plain (width 16 has stopped training)
    *(Series(name, width, max_depth=256 if name == "ReLU + He" else DEPTHS[-1])
      for name in ("sigmoid + Xavier", "ReLU + He") for width in (64, 128)),
    Series("ReLU + He", optimiser="sgd"),
    Series("residual + BN", optimiser="sgd"),
)


def rate(k: int) -> float:
    """The learning rate of half-decade exponent ``k``: ``10**(k/2)``."""
    return float(10.0 ** (k / 2))


def build(depth: int, seed: int, *, kind: str, width: int = WIDTH, **kw):
    rng = np.random.default_rng(seed)
    if kind == "stack":
        return models.residual_stack(2, width, depth, 2, rng=rng, **kw)
    return models.mlp(2, width, depth, 2, rng=rng, **kw)


def _optimiser(name: str, lr: float):
    if name == "adam":
        return optim.Adam(lr)
    if name == "sgd":
        return optim.SGD(lr, momentum=MOMENTUM)
    raise ValueError(f"optimiser={name!r} is unknown; choose 'adam' or 'sgd'")


def _train_to_target(model, opt, seed: int, X, y, max_steps: int) -> tuple[bool, int, bool]:
    """Train ``model`` one epoch at a time (batch order from ``seed + 1000``) until its training
    accuracy reaches ``TARGET`` or ``max_steps`` have passed. Returns (success, steps taken,
    diverged)."""
    shuffle, steps_per_epoch = np.random.default_rng(seed + 1000), len(X) // BATCH
    try:
        for epoch in range(1, max_steps // steps_per_epoch + 1):
            h = train.fit(model, X, y, optimizer=opt, epochs=1, batch_size=BATCH, rng=shuffle,
                          record_every=None)
            if h.epoch_accuracy[-1] >= TARGET:
                return True, epoch * steps_per_epoch, False
    except NonFiniteError:
        return False, max_steps, True
    return False, max_steps, False


def run_once(series: Series, depth: int, seed: int, k: int, X, y,
             max_steps: int = MAX_STEPS) -> dict:
    """One attempt: train the ``seed`` network of ``series`` at ``depth`` with learning rate
    ``rate(k)`` until it reaches ``TARGET`` (checked after every epoch) or ``max_steps``.
    Returns ``{"success", "steps", "diverged", "seconds"}``."""
    X = _checks.array(X, "X", ndim=2)
    if len(X) < BATCH:
        raise ValueError(f"X must hold at least one batch ({BATCH} rows) to train on; "
                         f"got {len(X)} rows")
    max_steps = _checks.positive_int(max_steps, "max_steps")
    start = time.perf_counter()
    model = build(depth, seed, width=series.width, **CONFIGS[series.config])
    success, steps, diverged = _train_to_target(model, _optimiser(series.optimiser, rate(k)),
                                                seed, X, y, max_steps)
    return {"success": success, "steps": steps, "diverged": diverged,
            "seconds": round(time.perf_counter() - start, 3)}


def _key(series: Series, depth: int, seed: int, k: int) -> tuple:
    return (series.config, series.width, series.optimiser, depth, seed, k)


def _depth_summary(series: Series, depth: int, rates, runs: dict) -> dict:
    """Success counts per rate and the best rate at one depth (every run present)."""
    per_rate = {}
    for k in sorted(rates):
        outcome = [runs[_key(series, depth, s, k)] for s in SWEEP_SEEDS]
        steps = [r["steps"] for r in outcome if r["success"]]
        per_rate[k] = (len(steps), statistics.median(steps) if steps else None)
    best = min(per_rate, key=lambda k: (-per_rate[k][0], per_rate[k][1] or 0, k))
    trained_any = sum(any(runs[_key(series, depth, s, k)]["success"] for k in rates)
                      for s in SWEEP_SEEDS)
    return {"depth": depth, "rates": sorted(rates),
            "successes": [per_rate[k][0] for k in sorted(rates)],
            "best_k": best, "best_lr": rate(best),
            "success_rate": per_rate[best][0] / len(SWEEP_SEEDS),
            "median_steps": per_rate[best][1], "any_rate": trained_any / len(SWEEP_SEEDS)}


def rates_to_try(series: Series, depth: int, previous: dict | None, runs: dict) -> set[int]:
    """The rates to run at ``depth``, given the previous grid depth's summary and the runs done:
    grows until every rate of the set has run and the best is not on the set's edge (or the edge
    is a ``RATE_LIMITS`` end). Returns a set some of whose runs may still be missing."""
    if depth in ANCHORS or previous is None or previous["success_rate"] == 0:
        tried = set(RATE_GRID)
    else:
        b = previous["best_k"]
        tried = {b - 1, b, b + 1} & set(range(RATE_LIMITS[0], RATE_LIMITS[1] + 1))
    while True:
        if any(_key(series, depth, s, k) not in runs for k in tried for s in SWEEP_SEEDS):
            return tried
        summary = _depth_summary(series, depth, tried, runs)
        if summary["success_rate"] == 0:
            if tried >= set(RATE_GRID):
                return tried
            tried |= set(RATE_GRID)  # three rates found nothing: look everywhere
            continue
        low, high, best = min(tried), max(tried), summary["best_k"]
        if best == low and low > RATE_LIMITS[0]:
            tried.add(low - 1)
        elif best == high and high < RATE_LIMITS[1]:
            tried.add(high + 1)
        else:
            return tried


def next_runs(series: Series, runs: dict) -> list[tuple] | None:
    """The runs ``(depth, seed, k)`` the sweep of ``series`` needs next (all at one depth), or
    ``None`` once the series is finished."""
    previous, deepest, misses = None, None, 0
    for depth in DEPTHS:
        if depth > series.max_depth:
            return None
        tried = rates_to_try(series, depth, previous, runs)
        missing = [(depth, s, k) for k in sorted(tried) for s in SWEEP_SEEDS
                   if _key(series, depth, s, k) not in runs]
        if missing:
            return missing
        previous = _depth_summary(series, depth, tried, runs)
        if previous["success_rate"] > 0:
            deepest, misses = depth, 0
        elif depth > ANCHORS[0] and (deepest is None or depth > deepest):
            misses += 1
            if misses == 2:
                return None
    return None


def summarise(series: Series, runs: dict) -> list[dict]:
    """The per-depth summaries of every depth of ``series`` whose runs are complete."""
    rows, previous = [], None
    for depth in DEPTHS:
        if depth > series.max_depth:
            break
        tried = rates_to_try(series, depth, previous, runs)
        if any(_key(series, depth, s, k) not in runs for k in tried for s in SWEEP_SEEDS):
            break
        previous = _depth_summary(series, depth, tried, runs)
        rows.append(previous)
    return rows


def deepest(depths: list[dict], at_least: float) -> int | None:
    """The deepest depth among a series' per-depth summaries (``summarise``, or a series'
    ``"depths"`` in ``load_sweep()``) whose success rate is at least ``at_least`` (a share of the
    seeds in (0, 1]: 1 for "every seed trains", ``1 / len(SWEEP_SEEDS)`` for "some seed
    trains"); ``None`` if no depth qualifies."""
    if isinstance(at_least, bool) or not isinstance(at_least, (int, float)) \
            or not 0 < at_least <= 1:
        raise ValueError(f"at_least must be a share of seeds in (0, 1]; got {at_least!r}")
    found = [row["depth"] for row in depths if row["success_rate"] >= at_least - 1e-12]
    return max(found) if found else None


def load_sweep() -> dict:
    """The sweep's results, as written by ``tools/depth_race.py`` (shipped with vglib)."""
    return json.loads(resources.files("vglib").joinpath("depth_race_sweep.json").read_text())
