"""Weight initialisers: ``get(name)(fan_in, fan_out, rng)`` returns a ``(fan_in, fan_out)`` array.

| name             | distribution | scale                               | made for        |
| ---------------- | ------------ | ----------------------------------- | --------------- |
| ``xavier_normal``  | normal       | std = sqrt(2 / (fan_in + fan_out))  | sigmoid, tanh   |
| ``xavier_uniform`` | uniform      | limit = sqrt(6 / (fan_in + fan_out))| sigmoid, tanh   |
| ``he_normal``      | normal       | std = sqrt(2 / fan_in)              | ReLU family     |
| ``he_uniform``     | uniform      | limit = sqrt(6 / fan_in)            | ReLU family     |
| ``lecun_normal``   | normal       | std = sqrt(1 / fan_in)              | SELU, linear    |

A float instead of a name means a plain zero-mean normal with that standard deviation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import _checks
from . import activations as _activations

__all__ = ["get", "names", "recommended_for", "std_of"]

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def _normal(std_of_fans: Callable[[int, int], float]) -> Initializer:
    def draw(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out, rng = _validate(fan_in, fan_out, rng)
        return rng.normal(0.0, std_of_fans(fan_in, fan_out), size=(fan_in, fan_out))

    return draw


def _uniform(limit_of_fans: Callable[[int, int], float]) -> Initializer:
    def draw(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out, rng = _validate(fan_in, fan_out, rng)
        limit = limit_of_fans(fan_in, fan_out)
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    return draw


def _validate(fan_in, fan_out, rng):
    return (
        _checks.positive_int(fan_in, "fan_in"),
        _checks.positive_int(fan_out, "fan_out"),
        _checks.generator(rng),
    )


# The standard deviation each scheme aims for; a uniform on [-l, l] has std l / sqrt(3).
_STD: dict[str, Callable[[int, int], float]] = {
    "xavier_normal": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    "xavier_uniform": lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
    "he_normal": lambda fi, fo: math.sqrt(2.0 / fi),
    "he_uniform": lambda fi, fo: math.sqrt(2.0 / fi),
    "lecun_normal": lambda fi, fo: math.sqrt(1.0 / fi),
}

_REGISTRY: dict[str, Initializer] = {
    "xavier_normal": _normal(_STD["xavier_normal"]),
    "xavier_uniform": _uniform(lambda fi, fo: math.sqrt(6.0 / (fi + fo))),
    "he_normal": _normal(_STD["he_normal"]),
    "he_uniform": _uniform(lambda fi, fo: math.sqrt(6.0 / fi)),
    "lecun_normal": _normal(_STD["lecun_normal"]),
}


# a weight std beyond this overflows any network's signal within a few layers: refused
MAX_STD = 1e3


def names() -> list[str]:
    """The names ``get`` accepts."""
    return list(_REGISTRY)


def get(name: str | float) -> Initializer:
    """The initialiser called ``name``, or a plain normal with std ``name`` if it is a float."""
    if isinstance(name, (int, float, np.floating)) and not isinstance(name, bool):
        std = _checks.real_number(name, "init (a standard deviation)", low=0.0, high=MAX_STD)
        return _normal(lambda fi, fo: std)
    return _REGISTRY[_checks.choice(name, _REGISTRY, "init")]


def std_of(name: str | float, fan_in: int, fan_out: int) -> float:
    """The weight standard deviation that ``get(name)`` draws with for these fans."""
    if isinstance(name, (int, float, np.floating)) and not isinstance(name, bool):
        return _checks.real_number(name, "init (a standard deviation)", low=0.0, high=MAX_STD)
    name = _checks.choice(name, _REGISTRY, "init")
    fan_in = _checks.positive_int(fan_in, "fan_in")
    fan_out = _checks.positive_int(fan_out, "fan_out")
    return _STD[name](fan_in, fan_out)


def recommended_for(activation: str) -> str:
    """The scheme designed for ``activation``: Xavier for sigmoid, tanh and identity (Glorot &
    Bengio 2010), He for the ReLU family including ``"prelu"`` (He et al. 2015), which GELU and
    SiLU resemble.
    """
    if activation == "prelu":
        return "he_normal"
    name = _activations.get(activation).name
    return "xavier_normal" if name in ("sigmoid", "tanh", "identity") else "he_normal"
