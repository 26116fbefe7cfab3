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

    def __init__(self, detail: str, *, role: str = "the input to", subject: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.subject = subject  # what was not finite, named when no layer path is known
        self.role = role  # what of the layer was not finite: "the input to", "the output of"...
        self.path: list[str] = []
        self.layer_type = ""

    def add_location(self, name: str, layer: object) -> None:
        """Record that the error arose inside child ``name`` (a ``layer``) of a container."""
        if not self.path:
            self.layer_type = type(layer).__name__
        self.path.insert(0, name)

    def __str__(self) -> str:
        if not self.path:
            return f"{self.subject}: {self.detail}" if self.subject else self.detail
        return f"{self.role} layer {'.'.join(self.path)} ({self.layer_type}): {self.detail}"


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def choice(value: object, allowed: Iterable[str], argname: str) -> str:
    """Return ``value`` if it is one of ``allowed`` names, else raise with the list of choices."""
    allowed = list(allowed)
    if not isinstance(value, str):
        raise TypeError(
            f"{argname} must be a name (str), one of {', '.join(allowed)}; got {shown(value)}"
        )
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"{argname}={value!r} is unknown{hint}; choose one of {', '.join(allowed)}"
        )
    return value


# vglib is for networks and data sets that fit a laptop: a count above this is a typo
# (10**9 rows, say), refused before it exhausts the memory
LARGEST_COUNT = 10_000_000


def positive_int(value: object, argname: str, *, minimum: int = 1,
                 maximum: int = LARGEST_COUNT) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{argname} must be an integer >= {minimum}; got {shown(value)}")
    if value < minimum:
        raise ValueError(f"{argname} must be an integer >= {minimum}; got {value}")
    if value > maximum:
        raise ValueError(
            f"{argname} must be an integer <= {maximum:,}; got {shown(value)} "
            "(far more than a network or data set of this course needs)"
        )
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
        raise TypeError(f"{argname} must be a real number; got {shown(value)}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond float64, e.g. 10**400
        raise ValueError(f"{argname} must be a finite number; got {shown(value)}, "
                         "too large for a float") from None
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
            f"got {shown(rng)}"
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
    """Return ``x`` as a float64 array, checking its rank, last axis and finiteness (an array
    that ``mark_finite`` was given last is not scanned again)."""
    if type(x) is np.ndarray and x.dtype == np.float64 and x.size:  # the hot path in training
        if (ndim is None or x.ndim == ndim) and (last_dim is None or x.shape[-1] == last_dim):
            if not finite or x is _last_finite[0] or all_finite(x):
                return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{argname} must be an array of (real) numbers; got {shown(x)}")
    try:
        if np.iscomplexobj(x):
            raise TypeError("complex")
        arr = np.asarray(x, dtype=np.float64)
    except OverflowError:  # Python ints beyond float64, e.g. 10**400
        raise ValueError(f"{argname} holds a number too large for a float (beyond "
                         f"1.8e308); got {shown(x)}") from None
    except (TypeError, ValueError) as err:
        raise TypeError(f"{argname} must be an array of (real) numbers, in a regular shape; "
                        f"got {shown(x)}") from err
    if arr.dtype != np.float64:  # np.asarray returned e.g. an object array unchanged
        raise TypeError(f"{argname} must be an array of numbers; got {shown(x)}")
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


def flag(value: object, argname: str) -> bool:
    """Return ``value`` if it is a bool (``train="False"`` would otherwise count as true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argname} must be True or False; got {shown(value)}")
    return bool(value)


# The array a layer's output check found finite last (by identity). Inside a network every
# layer's input is the output of the layer below, checked a moment ago: ``array`` does not scan
# it again, which saves a pass over every activation of every step. (An output changed in place
# before it is passed on is then not looked at as an input; a NaN or inf in it still reaches
# the next layer's output, whose check names that layer.)
_last_finite: list = [None]


def mark_finite(x: np.ndarray) -> None:
    """Record ``x``, just found finite by a layer's output check (see ``_last_finite``)."""
    _last_finite[0] = x


def all_finite(x: np.ndarray) -> bool:
    """Whether every entry of the float array ``x`` is finite. (``isfinite`` never warns, so no
    ``errstate`` is needed: a sum would be one pass too, but can overflow and warn, and the
    ``errstate`` around it costs more than the pass on a network's small arrays.)"""
    return bool(np.isfinite(x).all())


def finite_result(value: np.ndarray, what: str, role: str, note: str = "") -> np.ndarray:
    """Return ``value`` if every entry is finite, else raise ``NonFiniteError`` saying that
    ``what`` overflowed (``role`` as in ``NonFiniteError``; ``note`` says more)."""
    if all_finite(value):
        return value
    bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
    raise NonFiniteError(
        f"{bad} of its {np.size(value)} values are NaN or inf{note}: it overflowed float64 "
        "(if this happened during training, the run diverged: lower the learning rate or "
        "clip the gradients)", role=role, subject=what)


def targets(y: object, n: int, argname: str, *, labels: bool, rows: str = "X") -> np.ndarray:
    """Check training targets for ``n`` rows: with ``labels``, ``n`` whole-number class indices
    >= 0 (returned as int64); otherwise a finite float array with ``n`` rows."""
    if labels:
        if isinstance(y, (str, bytes)) or y is None:
            raise TypeError(f"{argname} must be an array of class labels 0, 1, ...; "
                            f"got {shown(y)}")
        try:
            if np.iscomplexobj(y):
                raise TypeError("complex")
            arr = np.asarray(y)
        except (TypeError, ValueError, OverflowError) as err:
            raise TypeError(f"{argname} must be an array of class labels 0, 1, ...; "
                            f"got {shown(y)}") from err
        if arr.dtype == bool or arr.dtype.kind not in "iuf":
            raise TypeError(f"{argname} must hold class labels 0, 1, ... (integers); got "
                            f"dtype {arr.dtype}")
        if arr.dtype.kind == "f":
            if not np.isfinite(arr).all() or np.any(arr != np.round(arr)):
                raise ValueError(f"{argname} must hold whole-number class labels; got "
                                 f"{shown(arr)}")
            if arr.size and np.abs(arr).max() > 2**53:
                raise ValueError(f"{argname} holds a label too large to be a class; got "
                                 f"{np.abs(arr).max():g}")
            arr = arr.astype(np.int64)
        if arr.size and arr.min() < 0:
            raise ValueError(f"{argname} must hold class labels >= 0; got {arr.min()}")
    else:
        arr = array(y, argname)
    if arr.shape[:1] != (n,) or (labels and arr.ndim != 1):
        raise ValueError(f"{argname} must have one {'label' if labels else 'target'} per "
                         f"row of {rows} ({n} rows); got shape {arr.shape}")
    return arr
