"""How long a widget takes to answer a control change: compute + redraw, at depth 50.

    python bench/bench_widgets.py

Times the chapter 2 widget (gradient norms at initialisation) at depth 50 for every activation,
and the chapter 1 widget (signal chain, 50 layers) for every factor. Every change recomputes its
data (the explorer's cache is cleared): for chapter 2 that is a forward and backward pass through
the network. Redraw is the figure update plus PNG encoding, reported twice:

* cold: the axes for these limits were never drawn (full matplotlib draw);
* warm: the axes for these limits were drawn before (lines and legend painted over them).

Goal: median compute + redraw <= 100 ms on 2 cores. ``rows()`` returns the same measurements
as rows of ``bench/run.py``'s table.
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


def medians(pairs):
    """Median compute, redraw and total milliseconds of ``(compute, redraw)`` seconds."""
    ms = [(1e3 * c, 1e3 * r) for c, r in pairs]
    return (statistics.median(c for c, _ in ms), statistics.median(r for _, r in ms),
            statistics.median(c + r for c, r in ms))


def measure(label, explorer, states, repeats=REPEATS):
    """``(label, compute, redraw, total, count)`` medians in ms, for cold then warm axes."""
    view = ExplorerView(explorer)
    view.draw(explorer.defaults())  # warm-up: fonts, first layout
    view.png()
    results = []
    for cold in (True, False):
        pairs = [change(explorer, view, values, cold=cold)
                 for _ in range(repeats) for values in states]
        results.append((f"{label}, {'cold' if cold else 'warm'} axes", *medians(pairs),
                        len(pairs)))
    return results


def measure_all(repeats=REPEATS):
    """The measurements of every widget (see ``measure``)."""
    chain = explorers.signal_chain()
    return [
        *measure("ch. 2 gradient norms, depth 50", explorers.grad_norms_at_init(),
                 [{"activation": act, "depth": 50} for act in GRAD_NORM_ACTIVATIONS], repeats),
        *measure("ch. 1 signal chain, 50 layers", chain,
                 [{"factor": f, "layers": 50} for f in chain.controls[0].values], repeats),
    ]


def rows(repeats=REPEATS) -> list[tuple[str, str, float | str, str]]:
    """``(benchmark, case, value, unit)`` rows: compute, redraw and total ms of each widget."""
    table = []
    for label, compute, redraw, total, count in measure_all(repeats):
        unit = f"ms (median of {count})"
        table += [("widget: compute + redraw", f"{label}: {part}", value, unit)
                  for part, value in (("compute", compute), ("redraw", redraw),
                                      ("total", total))]
    return table


def main() -> None:
    for label, compute, redraw, total, count in measure_all():
        print(f"{label:44s} compute {compute:5.1f} ms  redraw {redraw:5.1f} ms  "
              f"total {total:5.1f} ms  (median of {count})")


if __name__ == "__main__":
    main()
