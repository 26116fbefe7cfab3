"""Recurrences: one matrix applied again and again (chapter 8, exploding gradients).

An unrolled recurrence ``h_{t+1} = f(h_t W^T)`` is a deep network whose layers all share the
same weight matrix ``W``. Backpropagating through ``T`` steps multiplies the gradient by
``W^T`` (times ``f'``) ``T`` times, so its size goes roughly like ``rho(W)^T``, where ``rho`` is
the spectral radius (the largest absolute eigenvalue): it explodes for ``rho > 1`` and
vanishes for ``rho < 1``.

``RNN`` is the same recurrence with inputs, as a layer that ``vglib.train.fit`` can train.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks, _stable
from . import activations as _activations
from .layers import Layer

__all__ = [
    "RNN",
    "ThroughTime",
    "backprop_through_time",
    "gradient_through_time",
    "matrix_with_spectral_radius",
    "spectral_radius",
    "unroll",
]


def spectral_radius(W: np.ndarray) -> float:
    """The largest absolute eigenvalue of the square matrix ``W``. LAPACK scales ``W`` itself
    before it looks for eigenvalues, so entries near float64's largest (1.8e308) are fine; a
    radius beyond it raises ``NonFiniteError``."""
    W = _square(W)
    radius = np.max(np.abs(np.linalg.eigvals(W)))  # numpy.linalg silences LAPACK's overflow
    if not np.isfinite(radius):
        raise _checks.NonFiniteError(f"the spectral radius of W exceeds float64 (W's "
                                     f"entries reach {np.abs(W).max():.3g})")
    return float(radius)


def matrix_with_spectral_radius(n: int, radius: float, *, rng: np.random.Generator) -> np.ndarray:
    """A random ``n x n`` Gaussian matrix rescaled so its spectral radius is exactly ``radius``."""
    n = _checks.positive_int(n, "n", maximum=MAX_UNITS)
    radius = _checks.real_number(radius, "radius", low=0.0, high=1e3, low_open=True)
    W = _checks.generator(rng).standard_normal((n, n)) / np.sqrt(n)
    return W * (radius / spectral_radius(W))


# the recurrences here are small: an eigen-decomposition of more units takes minutes
MAX_UNITS = 2000


def _square(W: object) -> np.ndarray:
    W = _checks.array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix; got shape {W.shape}")
    if W.shape[0] > MAX_UNITS:
        raise ValueError(f"W must have at most {MAX_UNITS} rows; got shape {W.shape}")
    return W


def unroll(W: np.ndarray, h0: np.ndarray, steps: int, *, activation: str = "identity"):
    """The states ``h_0, ..., h_T`` of ``h_{t+1} = f(h_t W^T)``, shape ``(steps + 1, n)``
    (``h0`` of shape ``(n,)``) or ``(steps + 1, batch, n)`` (``h0`` of shape ``(batch, n)``)."""
    W = _square(W)
    h0 = _checks.array(h0, "h0")
    if h0.ndim == 0 or h0.shape[-1] != W.shape[0]:
        raise ValueError(f"h0 must have W's size ({W.shape[0]}) on its last axis; got shape "
                         f"{h0.shape}")
    steps = _checks.positive_int(steps, "steps", maximum=_checks.LARGEST_COUNT // h0.size)
    f = _activations.get(activation)
    states = np.empty((steps + 1, *h0.shape))
    states[0] = h0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            states[t + 1] = f.apply(states[t] @ W.T)
            if not np.isfinite(states[t + 1]).all():
                raise _checks.NonFiniteError(
                    f"the state overflows float64 at step {t + 1}: W's spectral radius "
                    f"({spectral_radius(W):.3g}) is too large for {steps} steps from this h0")
    return states


def backprop_through_time(
    W: np.ndarray, states: np.ndarray, grad_last: np.ndarray, *, activation: str = "identity"
) -> np.ndarray:
    """``dL/dh_t`` for every step ``t``, given ``dL/dh_T = grad_last`` and the ``states`` of
    ``unroll``. Each step back is ``dL/dh_t = (dL/dh_{t+1} * f'(z_{t+1})) W``, the chain rule
    through ``h_{t+1} = f(z_{t+1})``, ``z_{t+1} = h_t W^T``."""
    W = _square(W)
    states = _checks.array(states, "states", last_dim=W.shape[0], finite=False)
    grad_last = _checks.array(grad_last, "grad_last", finite=False)
    if grad_last.shape != states.shape[1:]:
        raise ValueError(
            f"grad_last must have the shape of one state, {states.shape[1:]}; got {grad_last.shape}"
        )
    f = _activations.get(activation)
    grads = np.empty_like(states)
    grads[-1] = grad_last
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(len(states) - 2, -1, -1):
            z = states[t] @ W.T  # recomputed: cheaper than storing every pre-activation
            grads[t] = (grads[t + 1] * f.derivative_from_output(z, states[t + 1])) @ W
    return grads


@dataclass
class ThroughTime:
    """How big the gradient is after travelling back ``k`` steps, ``k = 0 .. steps``."""

    radius: float
    activation: str
    steps_back: np.ndarray  # 0, 1, ..., steps
    norms: np.ndarray  # ||dL/dh_{T-k}||, the gradient that arrives k steps back
    clipped_norms: np.ndarray | None  # the same after clipping the whole gradient, if asked


def gradient_through_time(
    radius: float,
    steps: int,
    *,
    activation: str = "identity",
    n: int = 32,
    clip: float | None = None,
    rng: np.random.Generator,
) -> ThroughTime:
    """Unroll ``steps`` steps with a random ``n x n`` matrix of spectral radius ``radius`` from a
    random unit state, send a unit gradient back from the last state and measure its norm at
    every step back. With ``clip``, also those norms after clipping by norm: the gradient with
    respect to all states, taken as one vector, is rescaled to norm at most ``clip`` (one factor
    for every step, so the direction and the decay or growth along the steps are kept).
    """
    rng = _checks.generator(rng)
    W = matrix_with_spectral_radius(n, radius, rng=rng)
    h0 = rng.standard_normal(n)
    h0 /= _stable.norm(h0)
    states = unroll(W, h0, steps, activation=activation)
    g = rng.standard_normal(n)
    g /= _stable.norm(g)
    norms = _stable.norm(backprop_through_time(W, states, g, activation=activation), axis=-1)
    norms = norms[::-1]
    clipped = None
    if clip is not None:  # clipping by norm rescales the whole gradient by one factor
        clip = _checks.real_number(clip, "clip", low=0.0, low_open=True)
        total = float(_stable.norm(norms))
        clipped = norms * min(1.0, clip / total) if np.isfinite(total) else None
    return ThroughTime(radius, _activations.get(activation).name, np.arange(steps + 1),
                       norms, clipped)


class RNN(Layer):
    """A simple (Elman) recurrent layer that returns its last state.

    The input is a batch of sequences flattened to ``(batch, steps * in_dim)`` (so it fits
    every vglib tool that expects 2-D data): step ``t`` reads columns ``t*in_dim:(t+1)*in_dim``.
    ``h_0 = 0``, ``h_t = f(x_t U + h_{t-1} W + b)``; the output is ``h_T``, shape
    ``(batch, hidden)``. ``W`` starts as a random matrix with spectral radius ``radius``,
    ``U`` with variance ``1 / in_dim``.
    Backward is backpropagation through time: ``dh_{t-1} = (dh_t * f'(z_t)) W^T``.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        steps: int,
        *,
        activation: str = "tanh",
        radius: float = 1.0,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.in_dim = _checks.positive_int(in_dim, "in_dim")
        self.hidden = _checks.positive_int(hidden, "hidden")
        self.steps = _checks.positive_int(steps, "steps")
        self.fn = _activations.get(activation)
        rng = _checks.generator(rng)
        self.params = {
            "U": rng.standard_normal((self.in_dim, self.hidden)) / np.sqrt(self.in_dim),
            "W": matrix_with_spectral_radius(self.hidden, radius, rng=rng),
            "b": np.zeros(self.hidden),
        }
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self._cache: tuple | None = None

    def forward(self, x, train=True):
        self.x = x = self._start(x, train, ndim=2, last_dim=self.steps * self.in_dim)
        xs = x.reshape(len(x), self.steps, self.in_dim)
        U, W, b = self.params["U"], self.params["W"], self.params["b"]
        h = np.zeros((len(x), self.hidden))
        zs, hs = [], [h]
        # a diverging run overflows here; the next layer's input check reports it by name
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(self.steps):
                z = xs[:, t] @ U + h @ W + b
                h = self.fn.apply(z)
                zs.append(z)
                hs.append(h)
        self._cache = (xs, zs, hs)
        return self._output(h)

    def backward(self, dy):
        self._need_forward(self._cache)
        xs, zs, hs = self._cache
        dh = self._check_dy(dy, hs[-1].shape)
        U, W = self.params["U"], self.params["W"]
        # dU = sum_t x_t^T dz_t, dW = sum_t h_{t-1}^T dz_t, db = sum_t sum_batch dz_t:
        # summed in place over the steps, starting from zero (the layer contract)
        dU, dW, db = self.grads["U"], self.grads["W"], self.grads["b"]
        for grad in (dU, dW, db):
            grad[...] = 0.0
        dxs = np.empty_like(xs)
        for t in range(self.steps - 1, -1, -1):
            dz = dh * self.fn.derivative_from_output(zs[t], hs[t + 1])
            dU += xs[:, t].T @ dz
            dW += hs[t].T @ dz
            db += dz.sum(axis=0)
            dxs[:, t] = dz @ U.T
            dh = dz @ W.T
        return self._input_grad(dxs.reshape(len(xs), -1))

    def __repr__(self) -> str:
        return (f"RNN({self.in_dim}, {self.hidden}, steps={self.steps}, "
                f"activation={self.fn.name!r})")
