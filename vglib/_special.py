"""The Gaussian CDF in plain numpy (numpy has no ``erf``), accurate to about 1e-13.

Used by the exact GELU, ``z * Phi(z)``. Two textbook expansions of the error function cover the
real line:

* ``|x| < 2``: the Maclaurin series ``erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))``
  (40 terms reach double precision there);
* ``x >= 2``: Laplace's continued fraction
  ``erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``, evaluated
  from the tail with 60 terms, which keeps the *relative* error of the tiny tail small.

Each branch runs only on its own elements, so huge inputs never overflow.
``tests/test_special.py`` compares both against ``math.erf`` and ``math.erfc``.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
_SPLIT = 2.0
_SERIES_TERMS = 40
_FRACTION_TERMS = 60


def _erf_series(x: np.ndarray) -> np.ndarray:
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term *= -x2 / n
        total += term / (2 * n + 1)
    return (2.0 / _SQRT_PI) * total


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    tail = x.copy()
    for k in range(_FRACTION_TERMS, 0, -1):
        tail = x + (0.5 * k) / tail
    return np.exp(-x * x) / (_SQRT_PI * tail)


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function ``1 - erf(x)``, elementwise."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = np.abs(x) < _SPLIT
    out[small] = 1.0 - _erf_series(x[small])
    high = x >= _SPLIT
    out[high] = _erfc_fraction(x[high])
    low = x <= -_SPLIT
    out[low] = 2.0 - _erfc_fraction(-x[low])
    return out


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF ``Phi(z) = erfc(-z / sqrt(2)) / 2``, elementwise."""
    return 0.5 * erfc(-np.asarray(z, dtype=np.float64) / _SQRT_2)


def normal_pdf(z: np.ndarray) -> np.ndarray:
    """Standard normal density ``phi(z) = exp(-z^2 / 2) / sqrt(2 pi)``, elementwise."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-0.5 * z * z) / (_SQRT_2 * _SQRT_PI)
