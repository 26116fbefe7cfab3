"""The scalar toys of chapters 1-2: what repeated multiplication does to a signal.

A gradient reaching layer 1 of an ``n``-layer network is, in the simplest picture, a product of
``n`` per-layer factors. These functions compute such products exactly, so the chapters can show
(and test) the numbers instead of asserting them.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _checks, _stable
from . import activations as _activations

__all__ = [
    "FlowSimulation",
    "ProductStats",
    "activation_chain",
    "flow_simulation",
    "layers_until_above",
    "layers_until_below",
    "product_stats",
    "signal_after_layers",
    "whisper_game",
]


def signal_after_layers(factor: float, n_layers: int) -> np.ndarray:
    """``factor ** k`` for ``k = 0 .. n_layers``: the signal left after each layer.

    Entry 0 is the signal at the output (1.0); entry ``n_layers`` is what reaches layer 1.
    """
    factor = _checks.real_number(factor, "factor", low=0.0)
    n_layers = _checks.positive_int(n_layers, "n_layers")
    with np.errstate(over="ignore"):
        signal = factor ** np.arange(n_layers + 1, dtype=np.float64)
    if not np.isfinite(signal[-1]):  # factor > 1: past about log(1.8e308) / log(factor) layers
        last = int(np.argmax(~np.isfinite(signal)))
        raise _checks.NonFiniteError(
            f"factor ** n overflows float64 from n = {last} on (factor = {factor:g}, "
            f"n_layers = {n_layers}); use fewer layers or layers_until_above")
    return signal


def _first_crossing(factor: float, threshold: float, crossed: Callable[[int], bool]) -> int:
    """Smallest ``n >= 0`` with ``crossed(n)``, for ``crossed(n)`` = ``factor ** n`` beyond
    ``threshold``: ``floor(log t / log f) + 1`` from the logarithms, then corrected by one
    where rounding in the logarithms put it off by one."""
    n = max(int(np.floor(np.log(threshold) / np.log(factor))) + 1, 0)
    while n > 0 and crossed(n - 1):
        n -= 1
    while not crossed(n):
        n += 1
    return n


def layers_until_below(factor: float, threshold: float) -> int | None:
    """Smallest ``n`` with ``factor ** n < threshold``; ``None`` when ``factor >= 1`` and the
    signal never falls (for ``threshold <= 1``)."""
    factor = _checks.real_number(factor, "factor", low=0.0, low_open=True)
    threshold = _checks.real_number(threshold, "threshold", low=0.0, low_open=True)
    if threshold > 1.0:
        return 0
    if factor >= 1.0:
        return None
    return _first_crossing(factor, threshold, lambda n: factor**n < threshold)


def layers_until_above(factor: float, threshold: float) -> int | None:
    """Smallest ``n`` with ``factor ** n > threshold`` (an exploding chain, chapter 8);
    ``None`` when ``factor <= 1`` and the signal never grows (for ``threshold >= 1``)."""
    factor = _checks.real_number(factor, "factor", low=0.0, low_open=True)
    threshold = _checks.real_number(threshold, "threshold", low=0.0, low_open=True)
    if threshold < 1.0:
        return 0
    if factor <= 1.0:
        return None
    return _first_crossing(factor, threshold, lambda n: factor**n > threshold)


def activation_chain(activation: str, z: float, n_layers: int) -> np.ndarray:
    """``f'(z) ** k`` for ``k = 1 .. n_layers``: the local derivatives of ``k`` layers that all
    see the same pre-activation ``z``, multiplied together (weights taken as 1).
    """
    fn = _activations.get(activation)
    z = _checks.real_number(z, "z")
    n_layers = _checks.positive_int(n_layers, "n_layers")
    local = float(fn.derivative(np.array(z)))
    return local ** np.arange(1, n_layers + 1, dtype=np.float64)


_MUMBLE = string.ascii_lowercase + "~"


def whisper_game(
    message: str,
    n_children: int,
    factor: float,
    rng: np.random.Generator,
    *,
    noise: float = 0.1,
) -> tuple[list[str], np.ndarray]:
    """Pass ``message`` down a line of ``n_children``, each repeating it ``factor`` times as loud.

    Child ``k`` (``k = 0`` is the first, the output layer) hears loudness ``factor ** k``. In a
    room with background ``noise``, each letter is misheard with probability
    ``noise / (noise + loudness)`` and replaced by a random letter; a misheard letter stays wrong
    down the line. Returns what every child heard and the loudness each heard it at.
    """
    if not isinstance(message, str) or not message:
        raise TypeError(f"message must be a non-empty string; got {message!r}")
    n_children = _checks.positive_int(n_children, "n_children")
    factor = _checks.real_number(factor, "factor", low=0.0)
    rng = _checks.generator(rng)
    noise = _checks.real_number(noise, "noise", low=0.0)
    loudness = factor ** np.arange(n_children, dtype=np.float64)
    letters = np.array(list(message))
    speech = letters != " "
    heard = []
    current = letters.copy()
    for level in loudness:
        p_miss = noise / (noise + level) if noise + level > 0 else 1.0
        missed = speech & (rng.random(letters.size) < p_miss)
        current = np.where(missed, rng.choice(list(_MUMBLE), letters.size), current)
        heard.append("".join(current))
    return heard, loudness


@dataclass(frozen=True)
class FlowSimulation:
    """Per-trial gradient products of the "50-layer" simulation (one value per trial)."""

    sigmoid: np.ndarray
    relu: np.ndarray
    resnet: np.ndarray
    n_layers: int


def flow_simulation(
    rng: np.random.Generator, *, n_trials: int = 10_000, n_layers: int = 50
) -> FlowSimulation:
    """Rebuild the Monte-Carlo "gradient flow" comparison that one source article prints.

    Per trial and layer: "sigmoid" multiplies a factor of exactly 0.25 (sigmoid's largest
    derivative); "ReLU" multiplies a factor of 0.5 or 1.5 with probability 1/2 each (a 0/1 coin
    plus 0.5); "ResNet" multiplies 1. The source then prints the mean over trials.
    """
    rng = _checks.generator(rng)
    n_trials = _checks.positive_int(n_trials, "n_trials")
    n_layers = _checks.positive_int(n_layers, "n_layers")
    coins = rng.integers(0, 2, size=(n_trials, n_layers))
    return FlowSimulation(
        sigmoid=np.full(n_trials, 0.25**n_layers),
        relu=np.prod(coins + 0.5, axis=1),
        resnet=np.ones(n_trials),
        n_layers=n_layers,
    )


@dataclass(frozen=True)
class ProductStats:
    """Three "averages" of positive products that disagree wildly when the spread is large."""

    mean: float
    median: float
    geometric_mean: float


def product_stats(products: np.ndarray) -> ProductStats:
    """Mean, median and geometric mean ``exp(mean(log p))`` of positive ``products``."""
    products = _checks.array(products, "products", ndim=1)
    if (products <= 0).any():
        raise ValueError("products must all be positive (the geometric mean takes their log)")
    return ProductStats(
        mean=_stable.mean(products),
        # halved first: the two middle values near 1e308 would overflow their average
        median=2 * float(np.median(products / 2)),
        geometric_mean=float(np.exp(np.log(products).mean())),
    )
