"""A minimal training loop: minibatch steps, a loss history, and a clear stop on NaN or inf."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from .layers import Layer
from .losses import softmax_cross_entropy
from .optim import clip_grad_norm

__all__ = ["History", "accuracy", "fit"]


@dataclass
class History:
    """What ``fit`` measured: the minibatch loss at every step, plus what ``callback`` returned."""

    loss: list[float] = field(default_factory=list)
    records: list[object] = field(default_factory=list)


def accuracy(model: Layer, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the label (inference mode)."""
    logits = model.forward(X, train=False)
    y = np.asarray(y)
    if y.shape != (logits.shape[0],):
        raise ValueError(f"y must have shape ({logits.shape[0]},); got {y.shape}")
    return float(np.mean(logits.argmax(axis=1) == y))


def fit(
    model: Layer,
    X: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: object,
    steps: int,
    rng: np.random.Generator,
    batch_size: int | None = None,
    loss: Callable = softmax_cross_entropy,
    clip_norm: float | None = None,
    callback: Callable[[int, Layer], object] | None = None,
) -> History:
    """Train ``model`` for ``steps`` minibatch steps on ``(X, y)``.

    Each step draws ``batch_size`` rows without replacement (all rows when ``None``), runs
    forward, ``loss``, backward, optional ``clip_norm`` (global norm clipping) and
    ``optimizer.step``. ``callback(step, model)`` runs after every step (step 0 is before
    training) and what it returns is kept in ``History.records``. A loss or activation that
    becomes NaN or inf stops training with an error naming the step and the layer.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a vglib layer or Sequential; got {type(model).__name__}")
    X = _checks.array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"X and y must have the same number of rows; got {len(X)} and {len(y)}")
    steps = _checks.positive_int(steps, "steps")
    rng = _checks.generator(rng)
    n = X.shape[0]
    batch_size = n if batch_size is None else _checks.positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the number of rows ({n}); got {batch_size}")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(model) method; got {optimizer!r}")
    if clip_norm is not None:
        clip_norm = _checks.real_number(clip_norm, "clip_norm", low=0.0, low_open=True)

    history = History()
    if callback is not None:
        history.records.append(callback(0, model))
    for step in range(1, steps + 1):
        rows = rng.choice(n, size=batch_size, replace=False) if batch_size < n else slice(None)
        try:
            out = model.forward(X[rows], train=True)
            value, dout = loss(out, y[rows])
            model.backward(dout)
            if clip_norm is not None:
                clip_grad_norm(model, clip_norm)
            optimizer.step(model)
        except _checks.NonFiniteError as err:
            raise _checks.NonFiniteError(f"training stopped at step {step}: {err}") from err
        history.loss.append(value)
        if callback is not None:
            history.records.append(callback(step, model))
    return history
