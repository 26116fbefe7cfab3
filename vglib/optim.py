"""Optimisers and gradient clipping, working on anything with ``parameters()``.

``parameters()`` yields ``(name, param, grad)``; optimisers update ``param`` in place, so every
layer keeps its own arrays. A NaN or inf gradient stops the step with an error that names the
parameter (``"3.W"``) instead of silently spreading through the weights.
"""

from __future__ import annotations

import numpy as np

from . import _checks, _stable

__all__ = ["SGD", "Adam", "WarmUp", "clip_grad_norm", "clip_grad_value", "global_grad_norm"]


def _check_model(model: object) -> None:
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"model must have a parameters() method (a vglib layer or Sequential); "
            f"got {type(model).__name__}"
        )


def _flat(model: object) -> tuple[np.ndarray, np.ndarray] | None:
    """The packed ``(params, grads)`` buffers of ``model`` if it has intact ones and every
    gradient is finite; ``None`` means: take the per-parameter path."""
    _check_model(model)
    packed = getattr(model, "packed", None)
    buffers = packed() if callable(packed) else None
    if buffers is None or not np.isfinite(buffers[1]).all():
        return None  # the per-parameter path names the parameter that is not finite
    return buffers


def _parameters(model: object) -> list[tuple[str, np.ndarray, np.ndarray]]:
    _check_model(model)
    params = list(model.parameters())
    for name, param, grad in params:
        if not np.isfinite(grad).all():
            raise _checks.NonFiniteError(
                f"the gradient of parameter {name!r} contains NaN or inf: training diverged; "
                "lower the learning rate or clip the gradients"
            )
        if grad.shape != param.shape:
            raise ValueError(
                f"the gradient of {name!r} has shape {grad.shape} but the parameter has "
                f"{param.shape}; run backward() after forward() before stepping"
            )
    return params


PACKED = "<packed>"  # the name used for a model's packed buffer until an error names the entry


class _StepError(_checks.NonFiniteError):
    """A step that would leave a NaN or inf; ``index`` is the first bad entry."""

    def __init__(self, detail: str, index: int) -> None:
        super().__init__(detail)
        self.index = index


def _refuse_non_finite(values: np.ndarray, what: str) -> None:
    """Raise if ``values`` (the new parameter or optimiser state) holds a NaN or inf."""
    if np.isfinite(values).all():
        return
    index = int(np.argmax(~np.isfinite(values).ravel()))
    raise _StepError(f"{what}: lower the learning rate or clip the gradients", index)


def _apply(name: str, param: np.ndarray, step: np.ndarray) -> None:
    """``param -= step``, unless that would leave a NaN or inf in ``param`` (which then stays
    as it was)."""
    new = param - step
    _refuse_non_finite(new, f"an optimiser step would make parameter {name!r} NaN or inf "
                            f"(the step reaches {np.abs(step).max():.3g})")
    param[...] = new


def _stepping(optimizer_step):
    """Run ``optimizer_step(self, model)``; an error in the packed buffer names the parameter
    the bad entry belongs to."""

    def step(self, model: object) -> None:
        # parameters updated one by one are restored if a later one fails (a packed buffer
        # is updated in one operation, which a failure leaves undone anyway)
        saved = None if _flat(model) is not None else [
            (param, param.copy()) for _, param, _ in model.parameters()]
        try:
            # numpy's overflow warnings are silenced: the checks above raise instead
            with np.errstate(over="ignore", invalid="ignore"):
                optimizer_step(self, model)
        except _StepError as err:
            for param, old in saved or ():
                param[...] = old
            offset = 0
            for name, param, _ in model.parameters():  # the packing order
                if err.index < offset + param.size:
                    raise _checks.NonFiniteError(
                        err.detail.replace(repr(PACKED), repr(name))) from None
                offset += param.size
            raise

    step.__doc__ = optimizer_step.__doc__
    return step


class SGD:
    """Stochastic gradient descent, with optional (PyTorch-style) momentum.

    ``v = momentum * v + g``, ``w = w - lr * v``; with ``momentum=0`` this is ``w -= lr * g``.
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = _checks.real_number(lr, "lr", low=0.0, low_open=True)
        self.momentum = _checks.real_number(momentum, "momentum", low=0.0, high=1.0)
        if self.momentum == 1.0:
            raise ValueError("momentum must be in [0, 1); got 1 (the velocity would never decay)")
        self.velocity: dict[str, np.ndarray] = {}

    @_stepping
    def step(self, model: object) -> None:
        """Update every parameter of ``model`` in place from its current gradient."""
        flat = _flat(model)
        if flat is not None:
            self._update(PACKED, *flat)
            return
        for name, param, grad in _parameters(model):
            self._update(name, param, grad)

    def _update(self, name: str, param: np.ndarray, grad: np.ndarray) -> None:
        if not self.momentum:
            _apply(name, param, self.lr * grad)
            return
        v = self.velocity.get(name)
        v = grad.copy() if v is None else self.momentum * v + grad
        _refuse_non_finite(v, f"the momentum of parameter {name!r} overflows float64")
        self.velocity[name] = v
        _apply(name, param, self.lr * v)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
    ``w -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``.
    """

    def __init__(
        self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.lr = _checks.real_number(lr, "lr", low=0.0, low_open=True)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        self.betas = tuple(_checks.real_number(b, "betas[i]", low=0.0, high=1.0) for b in betas)
        if max(self.betas) >= 1.0:
            raise ValueError(f"betas must each be in [0, 1); got {betas!r}")
        self.eps = _checks.real_number(eps, "eps", low=0.0, low_open=True)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    @_stepping
    def step(self, model: object) -> None:
        """Update every parameter of ``model`` in place from its current gradient."""
        flat = _flat(model)
        params = [(PACKED, *flat)] if flat is not None else _parameters(model)
        self.t += 1
        b1, b2 = self.betas
        correction1 = 1.0 - b1**self.t
        correction2 = 1.0 - b2**self.t
        for name, param, grad in params:
            m, v = self.m.get(name), self.v.get(name)
            if m is None or m.shape != grad.shape:
                m, v = np.zeros_like(grad), np.zeros_like(grad)
                self.m[name], self.v[name] = m, v
            m *= b1  # m = b1 m + (1 - b1) g, in place
            m += (1 - b1) * grad
            v *= b2  # v = b2 v + (1 - b2) g^2
            v += (1 - b2) * grad * grad
            _refuse_non_finite(v, f"Adam's second moment of parameter {name!r} overflows "
                                  "float64 (gradient entries near 1e154 or more square to inf)")
            _apply(name, param, self.lr * (m / correction1) / (np.sqrt(v / correction2)
                                                               + self.eps))

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, betas={self.betas}, eps={self.eps:g})"


class WarmUp:
    """Linear learning-rate warm-up around another optimiser: step ``t`` (from 1) uses
    ``lr * min(1, t / steps)``, where ``lr`` is the wrapped optimiser's learning rate, so the
    rate climbs from ``lr / steps`` to ``lr`` over the first ``steps`` steps and then stays."""

    def __init__(self, optimizer: object, steps: int) -> None:
        base = getattr(optimizer, "lr", None)
        if not callable(getattr(optimizer, "step", None)) or base is None:
            raise TypeError(f"optimizer must be a vglib optimiser (SGD or Adam); got {optimizer!r}")
        self.optimizer = optimizer
        self.steps = _checks.positive_int(steps, "steps")
        self.base_lr = base
        self.t = 0

    @property
    def lr(self) -> float:
        """The learning rate the next step will use."""
        return self.base_lr * min(1.0, (self.t + 1) / self.steps)

    def step(self, model: object) -> None:
        """One step of the wrapped optimiser at the warmed-up learning rate."""
        self.optimizer.lr = self.lr
        self.t += 1
        self.optimizer.step(model)

    def __repr__(self) -> str:
        return f"WarmUp({self.optimizer!r}, steps={self.steps})"


def _grads(model: object) -> list[np.ndarray]:
    """The gradient arrays of ``model``: its packed buffer if intact, else one per parameter
    (checked, so a NaN or inf names its parameter)."""
    flat = _flat(model)
    return [flat[1]] if flat is not None else [g for _, _, g in _parameters(model)]


def global_grad_norm(model: object) -> float:
    """The L2 norm of all gradients of ``model`` taken together as one vector (computed without
    overflow or underflow, even for entries near 1e200 or 1e-200)."""
    return float(_stable.total_norm(_grads(model)))


def clip_grad_norm(model: object, max_norm: float) -> float:
    """Rescale all gradients together so their global L2 norm is at most ``max_norm``.

    Pascanu, Mikolov & Bengio (2013), Algorithm 1: if ``||g|| > max_norm``,
    ``g <- (max_norm / ||g||) g``. The direction is kept. Returns the norm *before* clipping.
    """
    max_norm = _checks.real_number(max_norm, "max_norm", low=0.0, low_open=True)
    grads = _grads(model)
    total = float(_stable.total_norm(grads))
    if total > max_norm:
        scale = max_norm / total
        for grad in grads:
            grad *= scale
    return total


def clip_grad_value(model: object, limit: float) -> int:
    """Clip every gradient element to ``[-limit, limit]`` in place (this can turn the direction).

    Returns how many elements were clipped.
    """
    limit = _checks.real_number(limit, "limit", low=0.0, low_open=True)
    clipped = 0
    for grad in _grads(model):
        clipped += int(np.count_nonzero(np.abs(grad) > limit))
        np.clip(grad, -limit, limit, out=grad)
    return clipped
