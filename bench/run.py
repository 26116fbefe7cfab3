"""Every benchmark of the project in one table, measured on the spot.

    python bench/run.py               # 25 s on a quiet 2-core machine
    python bench/run.py --quick       # fewer repeats: about 20 s
    python bench/run.py --skip-build  # without the book build (combines with --quick)

A busy machine makes it slower (and the timings unreliable; the machine line warns when the
load is high), and so does a notebook without stored outputs, which the book build executes.

Prints a line naming the machine, then one aligned table (benchmark | case | value | unit) of
the rows of

1. ``bench_training_step.py``: ms per training step of the chapters' network shapes (with
   PyTorch's and the ratio vglib / PyTorch when PyTorch is installed);
2. ``bench_deep_residual.py``: chapter 7's 1000-layer residual network, ms per training step
   and seconds per epoch of 256 spiral points;
3. ``bench_widgets.py``: compute + redraw ms of the chapter 1 and 2 widgets;
4. ``bench_book_build.py``: seconds to build the book into a temporary folder, and whether the
   build succeeded.

Each of those scripts also runs on its own. Progress goes to stderr, the table to stdout.

The timings are of numpy's and OpenBLAS's unpinned, fastest code paths: nothing here calls
``vglib.setup.pin_math_kernels()``, which the notebooks use only so that their outputs are
bit-identical on every machine. The machine line says "kernels pinned" if the environment pins
them anyway (``vglib.setup.PINNED_KERNELS``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import bench_book_build
import bench_deep_residual
import bench_training_step
import bench_widgets
import numpy as np

from vglib.setup import PINNED_KERNELS

QUICK_REPEATS = {"training step": 5, "deep residual steps": 5, "deep residual epochs": 2,
                 "widgets": 1}
HEADER = ("benchmark", "case", "value", "unit")


def machine() -> str:
    """One line: cores, processor, Python, numpy, whether the kernels are pinned, and the load
    average (processes already running) at the start."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    pinned = [key for key in PINNED_KERNELS if key in os.environ]
    load = ""
    if hasattr(os, "getloadavg"):
        # other processes on the cores made some training steps 30 times slower in our runs
        busy = os.getloadavg()[0]
        load = f", load {busy:.1f}" + (" (busy: expect slow, noisy timings)"
                                       if busy >= cores / 2 else "")
    return (f"machine: {cores} cores{f' ({model})' if model else ''}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"kernels {'pinned (' + ', '.join(pinned) + ')' if pinned else 'unpinned'}{load}")


def format_value(value: float | str) -> str:
    """Three significant figures or so, never in exponent notation; text and counts as is."""
    if isinstance(value, str | int):
        return str(value)
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{decimals}f}"


def table(rows) -> str:
    """Aligned text: text columns to the left, values to the right."""
    cells = [HEADER, *((name, case, format_value(value), unit) for name, case, value, unit in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip()
             for a, b, c, d in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    parser.add_argument("--skip-build", action="store_true", help="do not build the book")
    args = parser.parse_args(argv)

    def repeats(name, default):
        return QUICK_REPEATS[name] if args.quick else default

    print(machine(), flush=True)
    # measured in this order and printed in the docstring's: the training step goes last
    # because its PyTorch reference imports torch, whose threads would slow numpy afterwards
    measurements = [
        ("deep residual", lambda: bench_deep_residual.rows(
            repeats("deep residual steps", bench_deep_residual.STEPS),
            repeats("deep residual epochs", bench_deep_residual.EPOCHS))),
        ("widgets", lambda: bench_widgets.rows(repeats("widgets", bench_widgets.REPEATS))),
        ("book build", None if args.skip_build else bench_book_build.rows),
        ("training step", lambda: bench_training_step.rows(
            repeats("training step", bench_training_step.REPEATS))),
    ]
    results = {}
    for name, measure in measurements:
        if measure is None:
            results[name] = [(name, "skipped (--skip-build)", "-", "")]
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        results[name] = measure()
        print(f"  {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    order = ("training step", "deep residual", "widgets", "book build")
    print(table([row for name in order for row in results[name]]))


if __name__ == "__main__":
    main()
