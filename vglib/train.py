"""Minibatch training with a record of what every layer did along the way.

``fit`` shuffles ``(X, y)`` every epoch, steps through it in minibatches and returns a
``History``: the loss and accuracy of every epoch and, every ``record_every`` steps, per-layer
gradient norms, a few weight values per layer ("epoch vs weight value" traces), the size of each
update relative to the weights, and activation statistics (``probe.activation_stats``), all
computed without underflow or overflow (``vglib._stable``).
A NaN or inf anywhere stops training with a ``FloatingPointError`` naming the step and the
first layer affected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _checks, _stable
from .layers import Layer
from .losses import softmax_cross_entropy
from .optim import clip_grad_norm, clip_grad_value, global_grad_norm
from .probe import activation_stats, dense_layers, is_activation, leaves

__all__ = ["History", "accuracy", "fit"]

TRACED_WEIGHTS = 4  # weights per layer followed in History.weight_traces


@dataclass
class History:
    """What ``fit`` measured. Per-layer arrays have one column per Dense layer (input side
    first, names in ``layer_names``) or per activation layer (``activation_names``), and one
    row per recorded step (``steps``)."""

    epoch_loss: np.ndarray  # mean minibatch loss of each epoch
    epoch_accuracy: np.ndarray  # accuracy on (X, y) after each epoch (NaN unless classifying)
    step_loss: np.ndarray  # the loss of every step
    step_grad_norm: np.ndarray  # global gradient norm of every step, before any clipping
    steps: np.ndarray  # the steps recorded (1 = the first step)
    layer_names: list[str]
    grad_norms: np.ndarray  # ||dL/dW|| at each recorded step
    update_ratios: np.ndarray  # ||W_after - W_before|| / ||W_before|| of that step
    initial_weights: np.ndarray  # (layers, TRACED_WEIGHTS) before training
    weight_traces: np.ndarray  # (records, layers, TRACED_WEIGHTS) after each recorded step
    activation_names: list[str]
    act_mean: np.ndarray
    act_std: np.ndarray
    act_saturated: np.ndarray
    act_dead: np.ndarray
    steps_per_epoch: int = 1

    @property
    def record_epochs(self) -> np.ndarray:
        """The recorded steps in units of epochs (step 10 of 20 per epoch = 0.5)."""
        return self.steps / self.steps_per_epoch


def _model(model: object) -> Layer:
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a vglib layer or Sequential; got {type(model).__name__}")
    return model


def accuracy(model: Layer, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the label (inference mode: ``train=False``)."""
    _model(model)
    X = _checks.array(X, "X", ndim=2)
    y = _checks.targets(y, len(X), "y", labels=True)
    logits = model.forward(X, train=False)
    return float(np.mean(logits.argmax(axis=1) == y))


def _clipper(clip) -> Callable | None:
    if clip is None:
        return None
    if isinstance(clip, tuple) and len(clip) == 2 and clip[0] in ("norm", "value"):
        kind, limit = clip
    else:
        kind, limit = "norm", clip
    limit = _checks.real_number(limit, "clip", low=0.0, low_open=True)
    if kind == "norm":
        return lambda model: clip_grad_norm(model, limit)
    return lambda model: clip_grad_value(model, limit)


def _traced_indices(size: int) -> np.ndarray:
    return np.linspace(0, size - 1, TRACED_WEIGHTS).astype(int)


def _record(records, step, grads, before, dense, picks, acts) -> None:
    """Append this step's per-layer measurements to ``records``."""
    records["steps"].append(step)
    records["grad"].append(grads)
    records["ratio"].append([
        _stable.norm(layer.params["W"] - w0) / max(_stable.norm(w0), 1e-300)
        for (_, layer), w0 in zip(dense, before, strict=True)])
    records["traces"].append([layer.params["W"].ravel()[p]
                              for (_, layer), p in zip(dense, picks, strict=True)])
    stats = [activation_stats(layer) for _, layer in acts]
    for key, attr in (("mean", "mean"), ("std", "std"), ("sat", "saturated"), ("dead", "dead")):
        records[key].append([getattr(s, attr) for s in stats])


def fit(
    model: Layer,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: Callable = softmax_cross_entropy,
    optimizer: object,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    clip: float | tuple[str, float] | None = None,
    record_every: int | None = 1,
    progress: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` passes of minibatches of ``batch_size``.

    Each epoch visits the rows in a new random order (``rng``); a last batch smaller than
    ``batch_size`` is skipped (it is a different one each epoch). ``clip`` is a global-norm limit
    (``1.0`` or ``("norm", 1.0)``) or an element limit (``("value", 0.5)``), applied before
    each optimiser step. ``record_every=k`` records the per-layer measurements every ``k`` steps
    (``None``: none, the fastest). ``progress=True`` prints a line per epoch.
    """
    _model(model)
    X = _checks.array(X, "X", ndim=2)
    if not callable(loss):
        raise TypeError(f"loss must be a loss function of vglib.losses; got {loss!r}")
    classifying = loss is softmax_cross_entropy
    y = _checks.targets(y, len(X), "y", labels=classifying)
    _checks.flag(progress, "progress")
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    n = X.shape[0]
    if batch_size > n:
        raise ValueError(f"batch_size must be at most the number of rows ({n}); got {batch_size}")
    rng = _checks.generator(rng)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(model) method; got {optimizer!r}")
    clipper = _clipper(clip)
    if record_every is not None:
        record_every = _checks.positive_int(record_every, "record_every")

    dense = dense_layers(model)
    acts = [(name, layer) for name, layer in leaves(model) if is_activation(layer)]
    picks = [_traced_indices(layer.params["W"].size) for _, layer in dense]
    initial = np.array([layer.params["W"].ravel()[p] for (_, layer), p in zip(dense, picks,
                                                                                strict=True)])
    per_epoch = n // batch_size
    records: dict[str, list] = {key: [] for key in
                                ("steps", "grad", "ratio", "traces", "mean", "std", "sat", "dead")}
    step_losses, step_norms, epoch_loss, epoch_acc = [], [], [], []
    step = 0
    # numpy's own overflow warnings are silenced: the finite checks below say where it happened
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            for b in range(per_epoch):
                rows = order[b * batch_size:(b + 1) * batch_size]
                step += 1
                record = record_every is not None and (step - 1) % record_every == 0
                try:
                    value, dout = loss(model.forward(X[rows], train=True), y[rows])
                    model.backward(dout)
                    step_norms.append(global_grad_norm(model))
                    if clipper is not None:
                        clipper(model)
                    before = [lay.params["W"].copy() for _, lay in dense] if record else None
                    grads = [_stable.norm(lay.grads["W"]) for _, lay in dense] if record else None
                    optimizer.step(model)
                except _checks.NonFiniteError as err:
                    raise _checks.NonFiniteError(
                        f"training stopped at step {step} (epoch {epoch}): {err}") from err
                step_losses.append(value)
                if record:
                    _record(records, step, grads, before, dense, picks, acts)
            epoch_loss.append(float(np.mean(step_losses[-per_epoch:])))
            try:
                epoch_acc.append(accuracy(model, X, y) if classifying else np.nan)
            except _checks.NonFiniteError as err:
                raise _checks.NonFiniteError(
                    f"training stopped after step {step} (epoch {epoch}), whose update left the "
                    f"network producing NaN or inf: {err}") from err
            if progress:
                shown = "" if np.isnan(epoch_acc[-1]) else f", accuracy {epoch_acc[-1]:.3f}"
                print(f"epoch {epoch}/{epochs}: loss {epoch_loss[-1]:.4f}{shown}")

    def table(key: str, width: int) -> np.ndarray:
        return np.array(records[key], dtype=np.float64).reshape(len(records["steps"]), width)

    return History(
        epoch_loss=np.array(epoch_loss),
        epoch_accuracy=np.array(epoch_acc),
        step_loss=np.array(step_losses),
        step_grad_norm=np.array(step_norms[: len(step_losses)]),
        steps=np.array(records["steps"], dtype=np.int64),
        layer_names=[name for name, _ in dense],
        grad_norms=table("grad", len(dense)),
        update_ratios=table("ratio", len(dense)),
        initial_weights=initial,
        weight_traces=np.array(records["traces"], dtype=np.float64).reshape(
            len(records["steps"]), len(dense), TRACED_WEIGHTS),
        activation_names=[name for name, _ in acts],
        act_mean=table("mean", len(acts)),
        act_std=table("std", len(acts)),
        act_saturated=table("sat", len(acts)),
        act_dead=table("dead", len(acts)),
        steps_per_epoch=per_epoch,
    )
