"""Derive the Chebyshev coefficients that vglib/_special.py uses for erfc.

    python tools/fit_erfc.py

With t = 1 / (1 + x/2), the function g(t) = log(erfc(x) / t) + x^2 is smooth on t in (0, 1]
(it tends to -log(2 sqrt(pi)) as x -> infinity), so a degree-24 Chebyshev series in t
approximates it to about 1e-15, and erfc(x) = t exp(-x^2 + g(t)) keeps its *relative* accuracy
even in the far tail. The fit samples math.erfc at 4000 Chebyshev nodes of t for x in
[0, 26.5] (beyond that erfc underflows). Prints the coefficients and the measured error.
"""

import math

import numpy as np
from numpy.polynomial import chebyshev

X_MAX = 26.5
DEGREE = 24
T_MIN = 1.0 / (1.0 + X_MAX / 2)


def main() -> None:
    nodes = np.cos(np.pi * (np.arange(4000) + 0.5) / 4000)
    t = T_MIN + (1 - T_MIN) * (nodes + 1) / 2
    x = 2.0 / t - 2.0
    g = np.array([math.log(math.erfc(v) / tv) + v * v for v, tv in zip(x, t, strict=True)])
    fit = chebyshev.Chebyshev.fit(t, g, DEGREE, domain=[T_MIN, 1.0])
    print(f"T_MIN = 1 / (1 + {X_MAX} / 2)")
    print("COEFFICIENTS = (")
    for c in fit.coef:
        print(f"    {float(c)!r},")
    print(")")
    grid = np.linspace(0, X_MAX, 50001)
    tg = 1.0 / (1.0 + grid / 2)
    approx = tg * np.exp(-grid * grid + fit(tg))
    exact = np.array([math.erfc(v) for v in grid])
    print(f"max relative error on [0, {X_MAX}]: {np.max(np.abs(approx - exact) / exact):.2e}")


if __name__ == "__main__":
    main()
