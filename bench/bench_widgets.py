"""How long a widget takes to answer a control change: compute + redraw, at depth 50.

    python bench/bench_widgets.py

Times the chapter 2 widget (gradient norms at initialisation) at depth 50 for every activation,
and the chapter 1 widget (signal chain, 50 layers) for every factor. Every change recomputes its
data (the explorer's cache is cleared): for chapter 2 that is a forward and backward pass through
the network. Redraw is the figure update plus PNG encoding, reported twice:

* cold: the axes for these limits were never drawn (full matplotlib draw);
* warm: the axes for these limits were drawn before (lines and legend painted over them).

Goal: median compute + redraw <= 100 ms on 2 cores.
"""

from __future__ import annotations

import statistics
import time

from vglib import explorers
from vglib.explorers import GRAD_NORM_ACTIVATIONS
from vglib.widgets import ExplorerView

REPEATS = 5


def change(explorer, view, values, *, cold):
    explorer._cache.clear()
    if cold:
        view._backgrounds.clear()
    start = time.perf_counter()
    explorer.series(**{c.name: values[c.name] for c in explorer.data_controls})
    computed = time.perf_counter()
    view.draw(values)
    view.png()
    done = time.perf_counter()
    return computed - start, done - computed


def report(label, pairs):
    ms = [(1e3 * c, 1e3 * r) for c, r in pairs]
    compute = statistics.median(c for c, _ in ms)
    redraw = statistics.median(r for _, r in ms)
    total = statistics.median(c + r for c, r in ms)
    print(f"{label:44s} compute {compute:5.1f} ms  redraw {redraw:5.1f} ms  "
          f"total {total:5.1f} ms  (median of {len(ms)})")


def measure(label, explorer, states):
    view = ExplorerView(explorer)
    view.draw(explorer.defaults())  # warm-up: fonts, first layout
    view.png()
    for cold in (True, False):
        pairs = [change(explorer, view, values, cold=cold)
                 for _ in range(REPEATS) for values in states]
        report(f"{label}, {'cold' if cold else 'warm'} axes", pairs)


def main() -> None:
    measure("ch. 2 gradient norms, depth 50", explorers.grad_norms_at_init(),
            [{"activation": act, "depth": 50} for act in GRAD_NORM_ACTIVATIONS])
    chain = explorers.signal_chain()
    measure("ch. 1 signal chain, 50 layers", chain,
            [{"factor": f, "layers": 50} for f in chain.controls[0].values])


if __name__ == "__main__":
    main()
