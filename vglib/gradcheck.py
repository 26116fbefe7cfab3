"""Finite-difference checks of hand-written backward passes.

The numerical gradient of a scalar ``L`` with respect to each entry ``u`` is the central
difference ``(L(u + h) - L(u - h)) / (2 h)``, accurate to ``O(h^2)``. What ``L`` is:

* a layer or model ``f``: ``L = sum(dy * f(x))`` with a fixed random ``dy`` (so ``dL/dy = dy``),
  or ``L = loss(f(x), target)`` when ``loss`` is given;
* a loss function ``f(inputs, target) -> (loss, dinputs)``: the loss itself.

The error of one array is ``||analytic - numeric|| / max(||analytic|| + ||numeric||, floor)``
(L2 norms). ``floor`` is 1e-3 times the largest ``||analytic|| + ||numeric||`` in the check: a
gradient that is exactly zero (a bias followed by BatchNorm) has only finite-difference noise
(about 1e-9) to compare, which that floor turns into an error near 1e-7 instead of 1. A correct
backward pass in float64 gives errors around 1e-9; a wrong one gives something near 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _checks, _stable
from .layers import Layer

__all__ = ["gradcheck", "gradient_errors", "numeric_gradient", "relative_error"]

LossFn = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

FLOOR_FRACTION = 1e-3


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 0.0) -> float:
    """``||a - n|| / max(||a|| + ||n||, floor)``; 0.0 when both arrays are zero."""
    analytic = _checks.array(analytic, "analytic")
    numeric = _checks.array(numeric, "numeric")
    if analytic.shape != numeric.shape:
        raise ValueError(f"analytic and numeric must have the same shape; got "
                         f"{analytic.shape} and {numeric.shape}")
    floor = _checks.real_number(floor, "floor", low=0.0)
    # the ratio does not change when all three terms are divided by the largest entry, which
    # keeps norms of entries near 1e308 finite
    top = max(float(np.abs(analytic).max()), float(np.abs(numeric).max()))
    if top == 0:
        return 0.0
    a, n = analytic / top, numeric / top
    scale = max(float(_stable.norm(a) + _stable.norm(n)), floor / top)
    return 0.0 if scale == 0 else float(_stable.norm(a - n) / scale)


def numeric_gradient(
    objective: Callable[[], float], array: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Central differences ``(objective(u + h) - objective(u - h)) / (2 h)`` for every entry
    ``u`` of ``array``, which is perturbed in place (and restored) while ``objective()`` runs.
    """
    if not callable(objective):
        raise TypeError(f"objective must be a function of no arguments; got {objective!r}")
    if not isinstance(array, np.ndarray) or array.dtype != np.float64:
        raise TypeError("array must be a float64 numpy array that objective() reads")
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)  # views into the same memory
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        plus = objective()
        flat[i] = original - h
        minus = objective()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def _layer_gradients(layer, x, target, loss, rng, h, train):
    """``{name: (analytic, numeric)}`` for ``x`` and every parameter of ``layer``."""
    out = layer.forward(x, train)
    if loss is None:
        dy = rng.standard_normal(out.shape)

        def objective() -> float:
            return float(np.sum(dy * layer.forward(x, train)))
    else:
        _, dy = loss(out, target)

        def objective() -> float:
            return loss(layer.forward(x, train), target)[0]

    layer.forward(x, train)
    pairs = {"x": [layer.backward(dy)]}
    for name, _, grad in layer.parameters():
        pairs[name] = [grad.copy()]
    pairs["x"].append(numeric_gradient(objective, x, h))
    for name, param, _ in layer.parameters():
        pairs[name].append(numeric_gradient(objective, param, h))
    return pairs


def gradient_errors(
    f: Layer | LossFn,
    x: np.ndarray,
    target: np.ndarray | None = None,
    *,
    loss: LossFn | None = None,
    rng: np.random.Generator | None = None,
    h: float = 1e-6,
    train: bool = True,
) -> dict[str, float]:
    """Error of ``f``'s gradient for ``x`` and for every parameter: ``{"x": err, "0.W": err, ...}``.

    ``f`` is a layer/model (then ``loss`` and ``target`` are optional, together) or a loss
    function (then ``target`` is required). ``rng`` draws ``dy`` (default: seed 0).
    """
    x = _checks.array(x, "x").copy()
    # a step above 0.1 measures a secant, not a derivative
    h = _checks.real_number(h, "h", low=0.0, high=0.1, low_open=True)
    _checks.flag(train, "train")
    rng = np.random.default_rng(0) if rng is None else _checks.generator(rng)
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a function (output, target) -> (loss, dout); got {loss!r}")
    if isinstance(f, Layer):
        if (loss is None) != (target is None):
            raise ValueError("for a layer, give loss and target together (or neither)")
        pairs = _layer_gradients(f, x, target, loss, rng, h, train)
    elif callable(f):
        if target is None:
            raise ValueError("to check a loss function, give its target as well")
        pairs = {"x": [f(x, target)[1], numeric_gradient(lambda: f(x, target)[0], x, h)]}
    else:
        raise TypeError(
            f"f must be a vglib layer/model or a loss function; got {type(f).__name__}"
        )
    floor = FLOOR_FRACTION * max(
        float(_stable.norm(a) + _stable.norm(n)) for a, n in pairs.values()
    )
    if not np.isfinite(floor):
        raise _checks.NonFiniteError(
            f"the gradients' norms overflow float64 (x reaches {np.abs(x).max():.3g}), so "
            "they cannot be compared: check the gradient at a smaller x")
    return {name: relative_error(a, n, floor) for name, (a, n) in pairs.items()}


def gradcheck(
    f: Layer | LossFn, x: np.ndarray, target: np.ndarray | None = None, **kwargs
) -> float:
    """The largest error over ``x`` and all parameters; arguments as in ``gradient_errors``."""
    return max(gradient_errors(f, x, target, **kwargs).values())
