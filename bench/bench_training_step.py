"""Time one training step (forward, loss, backward, SGD) of vglib networks.

    python bench/bench_training_step.py

Prints the median milliseconds per step for a few network shapes the chapters use, so a
chapter's size can be chosen from a measurement instead of a guess. If PyTorch happens to be
installed it times the same networks there too and prints the ratio vglib / PyTorch (PyTorch is
never a dependency of the book; this is only a reference point). ``rows()`` returns the same
measurements as rows of ``bench/run.py``'s table.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from vglib.losses import softmax_cross_entropy
from vglib.models import mlp
from vglib.optim import SGD

CASES = [  # (activation, width, depth, residual, norm, batch)
    ("sigmoid", 64, 10, False, None, 256),
    ("sigmoid", 64, 50, False, None, 256),
    ("relu", 64, 50, False, "batch", 256),
    ("relu", 64, 100, True, "batch", 256),
    # chapter 7's residual networks: width 32, batch 128, depth 100 and the 1000-layer demo
    ("relu", 32, 100, True, "batch", 128),
    ("relu", 32, 1000, True, "batch", 128),
]
REPEATS = 30


def median_ms(step, repeats=REPEATS) -> float:
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def vglib_step(activation, width, depth, residual, norm, batch, *, optimizer=None):
    """One training step of a fresh ``mlp`` on random data; ``optimizer`` defaults to SGD(0.01)."""
    rng = np.random.default_rng(0)
    model = mlp(2, width, depth, 2, activation=activation, norm=norm, residual=residual, rng=rng)
    X, y = rng.standard_normal((batch, 2)), rng.integers(0, 2, batch)
    opt = SGD(lr=0.01) if optimizer is None else optimizer

    def step():
        _, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits)
        opt.step(model)

    return step


def torch_step(activation, width, depth, residual, norm, batch):  # pragma: no cover - optional
    import torch

    act = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[activation]

    def hidden():
        layers = [torch.nn.Linear(width, width)]
        if norm == "batch":
            layers.append(torch.nn.BatchNorm1d(width))
        return torch.nn.Sequential(*layers, act())

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.f = hidden()

        def forward(self, x):
            return x + self.f(x)

    body = [Block() for _ in range(depth)] if residual else [hidden() for _ in range(depth)]
    model = torch.nn.Sequential(torch.nn.Linear(2, width), *body, torch.nn.Linear(width, 2))
    model = model.double()
    X = torch.randn(batch, 2, dtype=torch.float64)
    y = torch.randint(0, 2, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(X), y).backward()
        opt.step()

    return step


def case_label(activation, width, depth, residual, norm, batch) -> str:
    return "{} w{} d{}{}{} batch {}".format(
        activation, width, depth, " residual" if residual else "",
        f" {norm}norm" if norm else "", batch,
    )


def measure(repeats=REPEATS):
    """Median ms per step of every case: ``(labels, vglib, torch)``; ``torch`` is None when
    PyTorch is not installed."""
    # vglib first, before torch is even imported: torch's worker threads keep spinning between
    # its operations and would slow numpy down if both ran in the same stretch of time
    labels = [case_label(*case) for case in CASES]
    ours = [median_ms(vglib_step(*case), repeats) for case in CASES]
    try:
        import torch
    except ImportError:
        return labels, ours, None
    torch.set_num_threads(2)
    refs = [median_ms(torch_step(*case), repeats) for case in CASES]
    return labels, ours, refs


def rows(repeats=REPEATS) -> list[tuple[str, str, float | str, str]]:
    """``(benchmark, case, value, unit)`` rows: vglib's ms per step, and PyTorch's with the
    ratio vglib / PyTorch when PyTorch is installed."""
    labels, ours, refs = measure(repeats)
    name = "training step, float64 SGD"
    unit = f"ms (median of {repeats})"
    table = [(name, label, mine, unit) for label, mine in zip(labels, ours, strict=True)]
    if refs is None:
        return [*table, (f"{name}, vglib / PyTorch", "PyTorch not installed: no reference",
                         "-", "")]
    table += [(f"{name}, PyTorch", label, ref, unit)
              for label, ref in zip(labels, refs, strict=True)]
    table += [(f"{name}, vglib / PyTorch", label, mine / ref, "ratio")
              for label, mine, ref in zip(labels, ours, refs, strict=True)]
    return table


def main() -> None:
    labels, ours, refs = measure()
    print(f"float64, SGD, median of {REPEATS} steps"
          + ("" if refs else " (PyTorch not installed: no reference)"))
    for i, (label, mine) in enumerate(zip(labels, ours, strict=True)):
        line = f"{label:44s} vglib {mine:7.2f} ms/step"
        if refs is not None:
            line += f"   torch {refs[i]:7.2f} ms/step   ratio {mine / refs[i]:4.2f}"
        print(line)


if __name__ == "__main__":
    main()
