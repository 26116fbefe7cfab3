"""Time chapter 7's 1000-layer residual network: one training step and one epoch of spirals.

    python bench/bench_deep_residual.py

The network is chapter 7's demo, ``mlp(2, 32, 1000, 2, activation="relu", norm="batch",
residual=True)``, trained with Adam(0.01) as the chapter trains it. Prints

* the median milliseconds of one training step (forward, loss, backward, Adam) on a batch of
  128 random points (``bench_training_step.vglib_step``);
* the median seconds of one epoch of ``vglib.train.fit`` over 256 spiral points in batches of 64
  (4 steps, no per-layer records), the unit the chapter's 1000-layer run repeats.

``rows()`` returns the same measurements as rows of ``bench/run.py``'s table.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from bench_training_step import median_ms, vglib_step

from vglib import data, models, optim, train

WIDTH, DEPTH, BATCH = 32, 1000, 128
POINTS, EPOCH_BATCH = 256, 64
STEPS, EPOCHS = 20, 5  # repeats


def step_ms(repeats=STEPS) -> float:
    """Median ms of one Adam training step on a batch of ``BATCH``."""
    step = vglib_step("relu", WIDTH, DEPTH, True, "batch", BATCH, optimizer=optim.Adam(0.01))
    return median_ms(step, repeats)


def epoch_seconds(repeats=EPOCHS) -> float:
    """Median seconds of one ``train.fit`` epoch over ``POINTS`` spiral points, after one
    warm-up epoch."""
    rng = np.random.default_rng(0)
    X, y = data.spirals(POINTS, rng)
    model = models.mlp(2, WIDTH, DEPTH, 2, activation="relu", norm="batch", residual=True,
                       rng=rng)
    adam = optim.Adam(0.01)
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        train.fit(model, X, y, epochs=1, batch_size=EPOCH_BATCH, optimizer=adam, rng=rng,
                  record_every=None)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def rows(steps=STEPS, epochs=EPOCHS) -> list[tuple[str, str, float | str, str]]:
    """``(benchmark, case, value, unit)`` rows: ms per step and seconds per epoch."""
    name = f"ch. 7 residual net, depth {DEPTH}, width {WIDTH}"
    return [
        (name, f"training step, Adam, batch {BATCH}", step_ms(steps),
         f"ms (median of {steps})"),
        (name, f"one epoch: {POINTS} spirals, batch {EPOCH_BATCH}, Adam",
         epoch_seconds(epochs), f"s (median of {epochs})"),
    ]


def main() -> None:
    name = f"ch. 7 residual net, depth {DEPTH}, width {WIDTH}"
    print(f"{name}: training step, Adam, batch {BATCH}: {step_ms():.1f} ms (median of {STEPS})")
    print(f"{name}: one epoch of {POINTS} spirals, batch {EPOCH_BATCH}, Adam: "
          f"{epoch_seconds():.2f} s (median of {EPOCHS})")

if __name__ == "__main__":
    main()
