"""Activation functions and their derivatives, elementwise on arrays of any shape.

``get(name)`` returns an object with ``forward(z)`` and ``derivative(z)``, which check their
input (a finite array of numbers). Each also has ``apply(z)``, the same ``f(z)`` without the
check, and ``derivative_from_output(z, a)``, the derivative computed from the cached forward
output ``a = f(z)``: what a layer's forward and backward passes use once the layer has checked
its input (it saves recomputing ``exp``).

All are stable for ``|z|`` up to 1e3 and beyond: no overflow, no warnings.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from ._special import normal_cdf, normal_pdf

__all__ = ["ActivationFunction", "get", "names"]

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # For z < -709, exp(-z) overflows to inf and 1 / (1 + inf) = 0, the right limit: the
    # overflow is expected, so it is silenced. (Twice as fast as the two-branch form.)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


class ActivationFunction:
    """An elementwise nonlinearity ``a = f(z)`` with its derivative ``f'(z)``."""

    name = ""
    formula = ""

    def forward(self, z: np.ndarray) -> np.ndarray:
        """``f(z)`` elementwise, for a finite array (or number) ``z``."""
        return self.apply(_checks.array(z, "z"))

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """``f'(z)`` elementwise, for a finite array (or number) ``z``."""
        z = _checks.array(z, "z")
        return self.derivative_from_output(z, self.apply(z))

    def apply(self, z: np.ndarray) -> np.ndarray:
        """``f(z)`` for a float64 array already checked (``forward`` checks it)."""
        raise NotImplementedError

    def derivative_from_output(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``f'(z)`` elementwise, given the forward output ``a = f(z)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<activation {self.name}: {self.formula}>"


class Sigmoid(ActivationFunction):
    name, formula = "sigmoid", "1 / (1 + exp(-z))"

    def apply(self, z):
        return _sigmoid(z)

    def derivative_from_output(self, z, a):
        return a * (1.0 - a)  # sigma'(z) = sigma(z) (1 - sigma(z)) <= 1/4


class Tanh(ActivationFunction):
    name, formula = "tanh", "tanh(z)"

    def apply(self, z):
        return np.tanh(np.asarray(z, dtype=np.float64))

    def derivative_from_output(self, z, a):
        return 1.0 - a * a  # tanh'(z) = 1 - tanh(z)^2 <= 1


class ReLU(ActivationFunction):
    name, formula = "relu", "max(0, z)"

    def apply(self, z):
        return np.maximum(np.asarray(z, dtype=np.float64), 0.0)

    def derivative_from_output(self, z, a):
        return (z > 0).astype(np.float64)  # 1 where the unit is active, else 0


class LeakyReLU(ActivationFunction):
    name, formula = "leaky_relu", f"max({LEAKY_SLOPE} z, z)"

    def apply(self, z):
        return np.where(z > 0, z, LEAKY_SLOPE * z)

    def derivative_from_output(self, z, a):
        return np.where(z > 0, 1.0, LEAKY_SLOPE)  # never exactly zero


class ELU(ActivationFunction):
    name, formula = "elu", f"z if z > 0 else {ELU_ALPHA:g} (exp(z) - 1)"

    def apply(self, z):
        return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0.0)))

    def derivative_from_output(self, z, a):
        return np.where(z > 0, 1.0, a + ELU_ALPHA)  # alpha exp(z) = f(z) + alpha for z <= 0


class GELU(ActivationFunction):
    name, formula = "gelu", "z Phi(z), Phi the standard normal CDF"

    def apply(self, z):
        return z * normal_cdf(z)

    def derivative_from_output(self, z, a):
        # Phi(z) = a / z reuses the forward pass's CDF, the expensive part (Phi(0) = 1/2)
        cdf = np.divide(a, z, out=np.full(np.shape(z), 0.5), where=z != 0)
        return cdf + z * normal_pdf(z)  # product rule on z Phi(z)


class SiLU(ActivationFunction):
    name, formula = "silu", "z sigmoid(z)"

    def apply(self, z):
        return z * _sigmoid(z)

    def derivative_from_output(self, z, a):
        s = _sigmoid(z)
        return s * (1.0 + z * (1.0 - s))  # product rule: s + z s (1 - s)


class Identity(ActivationFunction):
    name, formula = "identity", "z"

    def apply(self, z):
        return z.copy()

    def derivative_from_output(self, z, a):
        return np.ones_like(z, dtype=np.float64)


_REGISTRY: dict[str, ActivationFunction] = {
    cls.name: cls()
    for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, SiLU, Identity)
}


def names() -> list[str]:
    """The names ``get`` accepts."""
    return list(_REGISTRY)


def get(name: str | ActivationFunction) -> ActivationFunction:
    """The activation called ``name`` (an ``ActivationFunction`` is returned as it is)."""
    if isinstance(name, ActivationFunction):
        return name
    return _REGISTRY[_checks.choice(name, _REGISTRY, "activation")]
