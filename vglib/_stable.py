"""Norms and standard deviations that neither underflow nor overflow.

``np.linalg.norm`` and ``np.std`` square every entry. In float64 a square below about 1e-308
loses its digits and one below 5e-324 becomes 0, so a gradient whose entries are all near 1e-170
would get a norm of exactly 0; a square above 1.8e308 becomes inf, so entries near 1e160 would
give an infinite norm. The functions here first divide by the power of two nearest the largest
magnitude ``m`` (an exact division), so every square they form is at most 1, and multiply the
result back: ``norm(x) = m * norm(x / m)``.

Scaling costs an extra pass over the data, so each function first computes the plain result
(exactly as numpy does) and scales only when that result could have lost something: when the
sum of squares is not finite or is below 2**-900 (far below anything ordinary data produce,
and far above where a lost square could matter). On ordinary data the results are therefore
bit for bit those of ``np.linalg.norm`` and ``np.std``.

NaN and inf: a NaN anywhere in the values reduced gives NaN; otherwise an inf gives a norm of
inf and a standard deviation of NaN (the mean is infinite, so the deviations are undefined), as
in numpy. An all-zero input gives exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["norm", "std", "total_norm"]

# A sum of squares at least this large lost nothing that matters to underflow: each square that
# underflows is off by at most 2**-1075, a relative 2**-175 of this sum, even for 2**40 entries.
_SAFE_LOW = 2.0**-900


def _float_array(x: object) -> np.ndarray:
    if type(x) is np.ndarray and x.dtype == np.float64:
        return x
    return np.asarray(x, dtype=np.float64)


def _scale_back(value: float, exponent: int) -> float:
    """``value * 2**exponent``; inf when the product is too large for a float64."""
    try:
        return math.ldexp(value, exponent)
    except OverflowError:
        return math.inf


def _flat_norm_scaled(flat: np.ndarray) -> float:
    """The Euclidean norm of a 1-D array, scaled by its largest magnitude first."""
    if flat.size == 0:
        return 0.0
    m = float(np.max(np.abs(flat)))  # NaN if any NaN, else inf if any inf
    if m == 0.0 or not math.isfinite(m):
        return m
    exponent = math.frexp(m)[1]  # m = f * 2**exponent with 0.5 <= f < 1
    y = np.ldexp(flat, -exponent)  # exact: every |y| < 1
    return _scale_back(math.sqrt(float(np.vdot(y, y))), exponent)


def norm(x: object, axis: int | tuple[int, ...] | None = None, *, keepdims: bool = False):
    """The Euclidean (Frobenius) norm ``sqrt(sum x**2)`` of ``x``, over all entries
    (``axis=None``: a numpy float64, as ``np.linalg.norm(x)``) or along ``axis`` (an array, as
    ``np.linalg.norm(x, axis=axis)``), computed without underflow or overflow."""
    x = _float_array(x)
    if axis is None and not keepdims:
        flat = x.ravel(order="K")  # as np.linalg.norm: the same summation order
        total = float(np.vdot(flat, flat))  # np.dot's BLAS sum, but silent when it overflows
        if _SAFE_LOW <= total < math.inf:  # False for NaN
            return np.float64(math.sqrt(total))
        return np.float64(_flat_norm_scaled(flat))
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(x * x, axis=axis, keepdims=keepdims)
    plain = np.sqrt(total)
    fine = (total >= _SAFE_LOW) & (total < np.inf)
    if fine.all() or x.size == 0:
        return plain
    m = np.max(np.abs(x), axis=axis, keepdims=True)  # NaN if any NaN, else inf if any inf
    exponent = np.frexp(m)[1]  # 0 for 0, inf and NaN, which then pass through unscaled
    y = np.ldexp(x, -exponent)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.ldexp(np.sqrt(np.add.reduce(y * y, axis=axis, keepdims=True)), exponent)
    return np.where(fine, plain, scaled.reshape(plain.shape))


def total_norm(arrays: Iterable[np.ndarray]) -> np.float64:
    """The norm of several arrays taken together as one vector (e.g. all gradients of a
    model), computed without underflow or overflow."""
    flats = [_float_array(a).ravel(order="K") for a in arrays]
    total = sum(float(np.vdot(f, f)) for f in flats)
    if _SAFE_LOW <= total < math.inf:
        return np.float64(math.sqrt(total))
    # the norm of the norms: exact in exact arithmetic, each one computed safely
    return norm(np.array([norm(f) for f in flats], dtype=np.float64))


def std(x: object, axis: int | tuple[int, ...] | None = None, *, keepdims: bool = False):
    """The population standard deviation (``ddof=0``, as ``np.std``) of ``x``, over all entries
    (a numpy float64) or along ``axis`` (an array), computed without underflow or overflow."""
    x = _float_array(x)
    if x.size == 0:
        raise ValueError("the standard deviation of an empty array is undefined")
    # the plain computation, step for step as np.var does it
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(x, axis=axis, keepdims=True)
        count = x.size // total.size  # the entries reduced into each result
        dev = x - total / count
        np.multiply(dev, dev, out=dev)
        var = np.add.reduce(dev, axis=axis, keepdims=keepdims) / count
    if axis is None and not keepdims:
        var = float(var)
        if _SAFE_LOW <= var < math.inf:
            return np.float64(math.sqrt(var))
    else:
        fine = (var >= _SAFE_LOW) & (var < np.inf)
        if fine.all():
            return np.sqrt(var)
    # scaled: divide by the largest magnitude, centre, divide by the largest deviation
    m = np.max(np.abs(x), axis=axis, keepdims=True)
    e1 = np.frexp(m)[1]
    y = np.ldexp(x, -e1)  # |y| < 1
    with np.errstate(over="ignore", invalid="ignore"):
        dev = y - np.add.reduce(y, axis=axis, keepdims=True) / count  # |dev| < 2, or NaN
        e2 = np.frexp(np.max(np.abs(dev), axis=axis, keepdims=True))[1]
        z = np.ldexp(dev, -e2)  # the largest |z| is in [0.5, 1)
        np.multiply(z, z, out=z)
        scaled = np.ldexp(np.sqrt(np.add.reduce(z, axis=axis, keepdims=True) / count), e1 + e2)
    if axis is None and not keepdims:
        return np.float64(scaled.item())
    scaled = scaled.reshape(np.shape(var))
    return np.where(fine, np.sqrt(var), scaled)


def mean(x: np.ndarray) -> float:
    """The mean of all entries, without the overflow of their sum for entries near 1e308
    (then each entry is divided by the count first); on ordinary data exactly ``x.mean()``."""
    with np.errstate(over="ignore"):
        plain = x.mean()
    if np.isfinite(plain) or not np.isfinite(x).all():
        return float(plain)
    return float(np.sum(x / x.size))
