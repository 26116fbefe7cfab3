"""Losses: each returns ``(mean_loss, dinput)``, the mean over the batch and its gradient."""

from __future__ import annotations

import numpy as np

from . import _checks, _stable
from .activations import get as _get_activation

__all__ = ["binary_cross_entropy_with_logits", "mse", "softmax_cross_entropy"]

_sigmoid = _get_activation("sigmoid").forward


def _labels(labels: object, n: int, n_classes: int) -> np.ndarray:
    # float labels that are whole numbers are accepted
    arr = _checks.targets(labels, n, "labels", labels=True, rows="logits")
    if arr.max() >= n_classes:
        raise ValueError(
            f"labels must be in 0..{n_classes - 1} for {n_classes} classes; "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer ``labels``.

    ``logits: (n, classes)``, ``labels: (n,)``. Gradient: ``(softmax(logits) - onehot) / n``.
    """
    logits = _checks.array(logits, "logits", ndim=2)
    n, n_classes = logits.shape
    labels = _labels(labels, n, n_classes)
    shifted = logits - logits.max(axis=1, keepdims=True)  # log-sum-exp trick: no overflow
    _checks.finite_result(shifted, "logits", "the output of",
                          " (logits - their row's largest: the logits spread beyond float64)")
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, labels].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1.0  # d/dlogits of -log softmax = softmax - onehot
    return float(loss), dlogits / n


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements. Gradient: ``2 (pred - target) / pred.size``."""
    pred = _checks.array(pred, "pred")
    target = _checks.array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape; got {pred.shape} and {target.shape}"
        )
    diff = pred - target
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.mean(diff * diff)
    if not np.isfinite(loss):
        raise _checks.NonFiniteError(
            f"mse: the loss overflows float64 (pred - target reaches {np.abs(diff).max():.3g}, "
            "its square does not fit a float)")
    return float(loss), 2.0 * diff / diff.size


def binary_cross_entropy_with_logits(
    logits: np.ndarray, targets: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of ``sigmoid(logits)`` against ``targets`` in [0, 1].

    Per element: ``log(1 + exp(x)) - t x`` written as ``max(x, 0) - t x + log1p(exp(-|x|))``
    (no overflow). Gradient: ``(sigmoid(x) - t) / size``.
    """
    logits = _checks.array(logits, "logits")
    targets = _checks.array(targets, "targets")
    if logits.shape != targets.shape:
        raise ValueError(
            f"logits and targets must have the same shape; got {logits.shape} and {targets.shape}"
        )
    if targets.min() < 0 or targets.max() > 1:
        raise ValueError(
            f"targets must be in [0, 1]; got values from {targets.min():g} to {targets.max():g}"
        )
    per_element = np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-np.abs(logits)))
    return _stable.mean(per_element), (_sigmoid(logits) - targets) / logits.size
