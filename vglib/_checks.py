"""Input validation shared by vglib's public functions.

Every check raises ``ValueError`` or ``TypeError`` whose message names the argument, the value
received and what is allowed, so a learner can fix the call without reading vglib's source.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable

import numpy as np


class NonFiniteError(ValueError, FloatingPointError):
    """An array that must be finite holds NaN or inf (training diverged, or bad input).

    Both a ``ValueError`` (bad input to a function) and a ``FloatingPointError`` (a computation
    that overflowed), so either ``except`` catches it.

    Containers (``Sequential``, ``Residual``) add where it happened as the error passes through
    them, so the message names the layer by its dotted path, e.g. ``layer 5.block.0 (Dense)``.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.path: list[str] = []
        self.layer_type = ""

    def add_location(self, name: str, layer: object) -> None:
        """Record that the error arose inside child ``name`` (a ``layer``) of a container."""
        if not self.path:
            self.layer_type = type(layer).__name__
        self.path.insert(0, name)

    def __str__(self) -> str:
        if not self.path:
            return self.detail
        return f"the input to layer {'.'.join(self.path)} ({self.layer_type}): {self.detail}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def choice(value: object, allowed: Iterable[str], argname: str) -> str:
    """Return ``value`` if it is one of ``allowed`` names, else raise with the list of choices."""
    allowed = list(allowed)
    if not isinstance(value, str):
        raise TypeError(
            f"{argname} must be a name (str), one of {', '.join(allowed)}; got {_short(value)}"
        )
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"{argname}={value!r} is unknown{hint}; choose one of {', '.join(allowed)}"
        )
    return value


def positive_int(value: object, argname: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argname} must be an integer >= {minimum}; got {_short(value)}")
    if value < minimum:
        raise ValueError(f"{argname} must be an integer >= {minimum}; got {value}")
    return int(value)


def real_number(
    value: object,
    argname: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in [low, high] (or (low, high] with ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argname} must be a real number; got {_short(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{argname} must be finite; got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf)" if high is None else f"{high:g}]"
        raise ValueError(f"{argname} must be in {left}{lo}, {hi}; got {value:g}")
    return value


def generator(rng: object, argname: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a numpy Generator (vglib never uses global random state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{argname} must be a numpy.random.Generator, e.g. numpy.random.default_rng(0); "
            f"got {_short(rng)}"
        )
    return rng


def array(
    x: object,
    argname: str,
    *,
    ndim: int | None = None,
    last_dim: int | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as a float64 array, checking its rank, last axis and finiteness."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.size:  # the hot path in training
        if (ndim is None or x.ndim == ndim) and (last_dim is None or x.shape[-1] == last_dim):
            # one reduction instead of isfinite + all: a finite sum means every value is finite
            if not finite or np.isfinite(np.add.reduce(x, axis=None)):
                return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{argname} must be an array of numbers; got {_short(x)}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{argname} must be an array of numbers; got {_short(x)}") from err
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{argname} must be a {ndim}-D array; got shape {arr.shape}")
    if last_dim is not None and (arr.ndim == 0 or arr.shape[-1] != last_dim):
        raise ValueError(
            f"{argname} must have {last_dim} features on its last axis; got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{argname} must not be empty; got shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteError(
            f"{argname} contains {bad} NaN or inf value(s) out of {arr.size}; "
            "the input must be finite (if this happened during training, the run diverged: "
            "lower the learning rate or clip the gradients)"
        )
    return arr
