"""Self-checks for the exercises: they say *what* is wrong with an answer, not only that it is.

Each function takes the learner's answer (a number or a function), compares it with the right
one computed here, and returns a ``Result``: true or false, with a message that names the likely
mistake, for example::

    >>> check.derivative(lambda z: 2 * sigmoid_prime(2 * z), "tanh")
    ✗ tanh': your derivative is off by a factor of 0.5 everywhere (at z = 0 you give 0.5, the
    right value is 1). A constant factor usually comes from the chain rule: check the inner
    derivative.

In a notebook the result shows its message; ``bool(result)`` tells whether the answer is right.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _checks
from . import activations as _activations
from . import chains as _chains
from . import init as _init
from .gradcheck import gradient_errors
from .layers import BatchNorm, LayerNorm

__all__ = [
    "Result",
    "batchnorm_forward",
    "derivative",
    "layer_gradients",
    "leaky_he_std",
    "parameter_count",
    "residual_factor",
    "steps_until",
    "xavier_std",
]


@dataclass(frozen=True)
class Result:
    """The verdict on an answer: ``ok`` and a message saying why."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return ("✓ " if self.ok else "✗ ") + self.message

    __repr__ = __str__


def _right(message: str) -> Result:
    return Result(True, message)


def _wrong(message: str) -> Result:
    return Result(False, message)


def _number(answer: object, what: str) -> float | Result:
    """``answer`` as a float, or a Result saying why it is not a number."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return _wrong(f"{what}: expected a number, got {type(answer).__name__} "
                      f"{_checks.shown(answer)}.")
    try:
        value = float(answer)
    except OverflowError:
        return _wrong(f"{what}: your answer is an integer too large for any float; expected "
                      "a finite number.")
    if not math.isfinite(value):
        return _wrong(f"{what}: your answer is {value}; expected a finite number.")
    return value


def _power(base: float, exponent: float) -> float:
    """``base ** exponent``, or inf or 0 where that overflows or underflows a float."""
    try:
        return base ** exponent
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        return math.inf


def _close(a: float, b: float, rtol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-300)


def _off(value: float, want: float) -> str:
    """Which way a wrong number is off, without giving the right one away."""
    return "which is too large." if value > want else "which is too small."


def _call(fn: Callable, what: str, *args, like: np.ndarray | None = None, hint: str = ""):
    """``fn(*args)`` as a float array, or a Result describing what went wrong (with ``like``:
    also when the result's shape differs from ``like``'s, explained by ``hint``)."""
    if not callable(fn):
        return _wrong(f"{what}: expected a function, got {type(fn).__name__}.")
    try:
        out = np.asarray(fn(*args), dtype=np.float64)
    except Exception as error:  # the learner's code: report any failure as feedback
        return _wrong(f"{what}: calling your function raised {type(error).__name__}: {error}")
    if like is not None and out.shape != like.shape:
        return _wrong(f"{what}: for input of shape {like.shape} your function returned shape "
                      f"{out.shape}; {hint}")
    return out


# ---------------------------------------------------------------------------------- chapters 1, 8

def steps_until(answer: object, factor: float, target: float) -> Result:
    """The smallest whole number of layers (or steps) ``n`` for which ``factor ** n`` falls
    below ``target`` (``factor < 1``) or rises above it (``factor > 1``)."""
    factor = _checks.real_number(factor, "factor", low=0.0, low_open=True)
    target = _checks.real_number(target, "target", low=0.0, low_open=True)
    if factor == 1:
        raise ValueError("factor must not be 1 (1^n never crosses anything); got 1")
    what = f"{factor:g}^n {'<' if factor < 1 else '>'} {target:g}"
    value = _number(answer, what)
    if isinstance(value, Result):
        return value
    exact = math.log(target) / math.log(factor)
    right = (_chains.layers_until_below(factor, target) if factor < 1
             else _chains.layers_until_above(factor, target))
    if value < 0:
        return _wrong(f"{what}: n counts layers or steps, a whole number >= 0; you gave "
                      f"{value:g}.")
    if value == right:
        return _right(f"{what} first holds at n = {right}: {factor:g}^{right} = "
                      f"{_power(factor, right):.3g}, while {factor:g}^{right - 1} = "
                      f"{_power(factor, right - 1):.3g} has not crossed {target:g} yet.")
    if not value.is_integer():
        if _close(value, exact, 1e-3):
            return _wrong(f"{what}: {value:g} solves {factor:g}^n = {target:g} exactly, but n "
                          "counts layers: round it to the first whole number that crosses.")
        return _wrong(f"{what}: n counts layers or steps, so it is a whole number; you gave "
                      f"{value:g}.")
    n = int(value)
    if n == right - 1:
        return _wrong(f"{what}: one short. {factor:g}^{n} = {_power(factor, n):.3g} has not "
                      f"crossed {target:g} yet (the equation's solution, {exact:.2f}, must be "
                      "rounded up, not down).")
    if n == right + 1:
        return _wrong(f"{what}: one too many. {factor:g}^{n - 1} = {_power(factor, n - 1):.3g} "
                      "already crosses.")
    return _wrong(f"{what}: you give n = {n:.6g}, but {factor:g}^{n:.6g} = "
                  f"{_power(factor, n):.3g} is far from {target:g}. Take logarithms: "
                  f"n = log({target:g}) / log({factor:g}).")


# ------------------------------------------------------------------------------- chapters 2 and 4

def derivative(fn: Callable, of: str) -> Result:
    """Compare ``fn(z)`` with the derivative of the activation named ``of`` (a name of
    ``vglib.activations``) on z in [-6, 6], and say where and how they differ."""
    f = _activations.get(of)
    z = np.linspace(-6.0, 6.0, 241)  # includes 0
    what = f"{f.name}'"
    got = _call(fn, what, z.copy(), like=z,
                hint="it should work element by element (use numpy functions, not math).")
    if isinstance(got, Result):
        return got
    want = f.derivative(z)
    error = np.abs(got - want)
    if np.all(error <= 1e-6 * (1 + np.abs(want))):
        return _right(f"{what} matches on [-6, 6] (largest difference {error.max():.1e}).")
    if np.allclose(got, -want, atol=1e-6):
        return _wrong(f"{what}: your derivative has the wrong sign everywhere.")
    zero = z.size // 2
    nonzero = np.abs(want) > 1e-3
    ratios = got[nonzero] / want[nonzero]
    if np.allclose(ratios, ratios[0], rtol=1e-4) and not np.isclose(ratios[0], 1.0):
        return _wrong(f"{what}: your derivative is off by a factor of {ratios[0]:.4g} everywhere "
                      f"(at z = 0 you give {got[zero]:.4g}, the right value is {want[zero]:.4g}). "
                      "A constant factor usually comes from the chain rule: check the inner "
                      "derivative.")
    worst = int(np.argmax(error))
    sides = [name for name, part in (("z < 0", z < 0), ("z > 0", z > 0))
             if np.any(error[part] > 1e-6 * (1 + np.abs(want[part])))]
    where = " and ".join(sides) if sides else "z = 0"
    return _wrong(f"{what}: wrong for {where}; the largest difference is at z = {z[worst]:.2f}, "
                  f"where you give {got[worst]:.4g} and the right value is {want[worst]:.4g}.")


# ------------------------------------------------------------------------------- chapters 3 and 5

def _std_check(fn: Callable, what: str, cases: list[tuple], right: Callable,
               wrong_ones: dict[str, Callable]) -> Result:
    for args in cases:
        got = _call(fn, what, *args, like=np.empty(()),
                    hint="expected one number (a standard deviation).")
        if isinstance(got, Result):
            return got
        want = right(*args)
        if _close(float(got), want, 1e-6):
            continue
        shown = ", ".join(f"{a:g}" for a in args)
        for mistake, formula in wrong_ones.items():
            if _close(float(got), formula(*args), 1e-6):
                return _wrong(f"{what}: for ({shown}) you give {float(got):.4g}: {mistake}")
        return _wrong(f"{what}: for ({shown}) you give {float(got):.4g}, {_off(float(got), want)}"
                      " Start from the variance rule of the chapter.")
    return _right(f"{what} is right for every case tried ({len(cases)}).")


def xavier_std(fn: Callable) -> Result:
    """``fn(fan_in, fan_out)`` must be the standard deviation of Xavier (Glorot) normal
    initialisation, ``sqrt(2 / (fan_in + fan_out))``."""
    return _std_check(
        fn, "Xavier std", [(64, 64), (100, 300), (2, 32)],
        lambda n, m: _init.std_of("xavier_normal", n, m),
        {
            "that is the variance; the standard deviation is its square root.":
                lambda n, m: 2 / (n + m),
            "you used 1/(fan_in + fan_out) for the variance; Glorot and Bengio's compromise "
            "(2010, Eq. 12) has a 2 in the numerator.": lambda n, m: math.sqrt(1 / (n + m)),
            "that is He initialisation, sqrt(2 / fan_in), designed for ReLU.":
                lambda n, m: _init.std_of("he_normal", n, m),
            "that is the old heuristic 1/sqrt(fan_in), which Xavier initialisation replaces.":
                lambda n, m: 1 / math.sqrt(n),
            "that is the limit of the uniform version, sqrt(6 / (fan_in + fan_out)), not a "
            "standard deviation.": lambda n, m: math.sqrt(6 / (n + m)),
        },
    )


def leaky_he_std(fn: Callable) -> Result:
    """``fn(fan_in, slope)`` must be He's standard deviation for a leaky ReLU with negative
    slope ``slope``: ``sqrt(2 / ((1 + slope^2) fan_in))``."""
    return _std_check(
        fn, "leaky-ReLU He std", [(64, 0.01), (100, 0.2), (32, 0.5), (50, 1.0)],
        lambda n, a: math.sqrt(2 / ((1 + a * a) * n)),
        {
            "that is the variance; the standard deviation is its square root.":
                lambda n, a: 2 / ((1 + a * a) * n),
            "that is He's value for a plain ReLU: a leaky ReLU also passes a^2 of the "
            "variance on the negative side, so the factor is (1 + a^2) / 2.":
                lambda n, a: _init.std_of("he_normal", n, 1),
            "the negative side contributes a^2 of the variance, not a.":
                lambda n, a: math.sqrt(2 / ((1 + a) * n)),
            "the leak adds variance, so divide by (1 + a^2), do not multiply.":
                lambda n, a: math.sqrt(2 * (1 + a * a) / n),
        },
    )


# ---------------------------------------------------------------------------------------- chapter 6

def batchnorm_forward(fn: Callable, eps: float = 1e-5) -> Result:
    """``fn(x)`` must be batch normalisation in training mode without scale and shift:
    ``(x - mean) / sqrt(var + eps)`` with the mean and (biased) variance of every feature over
    the batch (axis 0)."""
    eps = _checks.real_number(eps, "eps", low=0.0, high=1.0, low_open=True)
    what = "batch normalisation"
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(16, 5)) * np.array([1.0, 10.0, 0.1, 1.0, 5.0])
    x[:, 3] = 0.7 + 1e-3 * rng.standard_normal(16)  # a feature with a tiny variance

    def slip(ddof=0, epsilon=eps, center=True):  # batch normalisation with one slip
        mean = x.mean(axis=0) if center else 0.0
        return (x - mean) / np.sqrt(x.var(axis=0, ddof=ddof) + epsilon)

    got = _call(fn, what, x.copy(), like=x, hint="the output has the input's shape.")
    if isinstance(got, Result):
        return got
    want = BatchNorm(x.shape[1], eps=eps).forward(x, train=True)  # gamma 1, beta 0
    if np.allclose(got, want, rtol=1e-6, atol=1e-9):
        return _right(f"{what}: right, every feature has mean 0 and variance "
                      f"{want.var(axis=0).max():.3f} or less (epsilon shrinks the tiny one).")
    mistakes = {
        "you normalised each example over its features (axis 1): that is layer normalisation; "
        "batch normalisation uses each feature's statistics over the batch (axis 0).":
            LayerNorm(x.shape[1], eps=eps).forward(x),
        "you used the unbiased variance (ddof=1); batch normalisation divides by the batch "
        "size.": slip(ddof=1),
        "you left out epsilon: it only shows for a feature with a tiny variance, as here in "
        "feature 4, but then it keeps the division safe.": slip(epsilon=0.0),
        "you did not subtract the batch mean.": slip(center=False),
        "you divided by the variance; divide by the standard deviation sqrt(var + eps).":
            (x - x.mean(axis=0)) / (x.var(axis=0) + eps),
        "add epsilon to the variance inside the square root, not to the standard deviation.":
            (x - x.mean(axis=0)) / (x.std(axis=0) + eps),
    }
    for mistake, candidate in mistakes.items():
        if np.allclose(got, candidate, rtol=1e-6, atol=1e-9):
            return _wrong(f"{what}: {mistake}")
    worst = np.unravel_index(np.argmax(np.abs(got - want)), x.shape)
    return _wrong(f"{what}: the output differs; at example {worst[0]}, feature {worst[1]} you "
                  f"give {got[worst]:.4g}, the right value is {want[worst]:.4g}.")


# ---------------------------------------------------------------------------------------- chapter 7

def residual_factor(answer: object, a: float, blocks: int) -> Result:
    """The factor by which ``blocks`` scalar residual blocks ``y = x + a x`` multiply the
    gradient: ``(1 + a) ** blocks``."""
    a = _checks.real_number(a, "a", low=-1e3, high=1e3)
    blocks = _checks.positive_int(blocks, "blocks", maximum=10_000)
    what = f"{blocks} residual blocks with a = {a:g}"
    value = _number(answer, what)
    if isinstance(value, Result):
        return value
    try:
        want = (1 + a) ** blocks
    except OverflowError:
        raise ValueError(f"(1 + a)^blocks overflows a float for a = {a:g} and blocks = "
                         f"{blocks}; choose a smaller a or fewer blocks") from None
    if _close(value, want, 1e-6):
        return _right(f"{what}: (1 + a)^{blocks} = {want:.4g}.")
    if _close(value, a ** blocks, 1e-6):
        return _wrong(f"{what}: {value:.4g} = a^{blocks} is the *plain* network's factor; each "
                      "residual block multiplies the gradient by 1 + a.")
    if _close(value, 1 + a ** blocks, 1e-6):
        return _wrong(f"{what}: 1 + a^{blocks} adds the identity once at the end; the skip is in "
                      f"every block, so the factor is (1 + a)^{blocks}.")
    if _close(value, 1 + blocks * a, 1e-6):
        return _wrong(f"{what}: 1 + {blocks}a is only the first-order term of (1 + a)^{blocks}, "
                      "good when a is tiny; here it is not.")
    return _wrong(f"{what}: you give {value:.4g}, {_off(value, want)} Each block multiplies "
                  "the gradient by its own factor.")


# ---------------------------------------------------------------------------------------- chapter 9

def parameter_count(answer: object, widths: list[int]) -> Result:
    """The number of parameters (weights and biases) of an MLP whose layer widths are
    ``widths``, input first: ``sum((n_in + 1) * n_out)`` over consecutive pairs."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths must be a list of layer widths, input first; got "
                        f"{_checks.shown(widths)}")
    widths = [_checks.positive_int(w, "widths[i]") for w in widths]
    if len(widths) < 2:
        raise ValueError(f"widths must list at least two layers (input and output); got "
                         f"{widths}")
    what = f"parameters of an MLP {' -> '.join(map(str, widths))}"
    value = _number(answer, what)
    if isinstance(value, Result):
        return value
    if value < 0 or not value.is_integer():
        return _wrong(f"{what}: a parameter count is a whole number >= 0; you gave {value:g}.")
    pairs = list(itertools.pairwise(widths))
    want = sum((n + 1) * m for n, m in pairs)
    if value == want:
        return _right(f"{what}: {want:,} ({' + '.join(f'{(n + 1) * m:,}' for n, m in pairs)}).")
    weights = sum(n * m for n, m in pairs)
    if value == weights:
        return _wrong(f"{what}: {weights:,} counts the weights only; every unit of every "
                      "layer after the input also has a bias.")
    for n, m in pairs:
        if value in (n * m, (n + 1) * m):
            return _wrong(f"{what}: that is one layer's count ({n} -> {m}); add up all "
                          f"{len(pairs)} layers.")
    shown = f"{value:,.0f}" if value < 1e15 else f"{value:.3g}"
    return _wrong(f"{what}: you give {shown}, {_off(value, want)} Count each layer's "
                  "(inputs + 1) x outputs and add them up.")


# --------------------------------------------------------------------------------------- chapter 10

def layer_gradients(layer, x: np.ndarray, *, tolerance: float = 1e-6) -> Result:
    """Compare the hand-written backward pass of ``layer`` (a vglib ``Layer``) with finite
    differences in float64, for the input and for every parameter, and name the gradients that
    are wrong."""
    what = f"{type(layer).__name__} backward"
    x = _checks.array(x, "x")
    tolerance = _checks.real_number(tolerance, "tolerance", low=0.0, low_open=True)
    try:
        errors = gradient_errors(layer, x)
    except Exception as error:  # the learner's layer: report any failure as feedback
        return _wrong(f"{what}: running forward and backward raised {type(error).__name__}: "
                      f"{error}")
    bad = {name: err for name, err in errors.items() if not err <= tolerance}
    if not bad:
        return _right(f"{what} matches finite differences for "
                      f"{', '.join(sorted(errors))} (largest relative error "
                      f"{max(errors.values()):.1e}).")
    good = sorted(set(errors) - set(bad))
    parts = [f"the gradient for {name} is wrong (relative error {err:.2g})"
             for name, err in sorted(bad.items())]
    tail = f"; {', '.join(good)} {'is' if len(good) == 1 else 'are'} right." if good else "."
    return _wrong(f"{what}: {'; '.join(parts)}{tail}")
