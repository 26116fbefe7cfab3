"""vglib's diagnosis for PyTorch models, ``diagnose(module, X, y, loss=...)``, and
``to_torch(model)``, the same network as a vglib model built in PyTorch with the same weights.

The same one-pass measurement as ``vglib.diagnose.diagnose``, taken from a ``torch.nn.Module``
with hooks, and the same ``Report`` (the thresholds, ``report.flags``, the verdict, the table and
the plot are ``vglib.diagnose``'s): one entry per ``torch.nn.Linear``, in the order the forward
pass runs them, with its shape as ``(fan_in, fan_out)`` (PyTorch stores ``weight`` as
``(fan_out, fan_in)``).

This module needs PyTorch (``pip install vglib[torch]``); ``import vglib`` does not import it.
"""

from __future__ import annotations

import numbers
from contextlib import ExitStack

import numpy as np

from . import _checks, _stable
from . import activations as _activations
from .diagnose import LayerMeasurement, Report, build_report
from .probe import peak_derivative, stats_of

try:
    import torch
except ImportError as err:  # pragma: no cover - the message is what matters
    raise ImportError("vglib.torch needs PyTorch: pip install torch (or vglib[torch])") from err

__all__ = ["ACTIVATION_MODULES", "Residual", "diagnose", "to_torch"]

# The activation modules whose statistics the report shows, and vglib's name for each (its
# derivative formula and peak are vglib's, so a network gets the same numbers from either).
ACTIVATION_MODULES = {
    torch.nn.Sigmoid: "sigmoid",
    torch.nn.Tanh: "tanh",
    torch.nn.ReLU: "relu",
    torch.nn.LeakyReLU: "leaky_relu",
    torch.nn.ELU: "elu",
    torch.nn.GELU: "gelu",
    torch.nn.SiLU: "silu",
    torch.nn.PReLU: "prelu",
}
INVISIBLE = ("an activation is called there as a function, such as F.relu or torch.sigmoid, "
             "the hooks cannot see it: use its module, such as nn.ReLU() or nn.Sigmoid()")


def _slope_and_peak(module: torch.nn.Module, name: str, z: np.ndarray,
                    a: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``f'(z)`` elementwise and the largest value ``f'`` takes, by vglib's formulas; ``None``
    for a setting vglib's activation does not have (then no statistics are shown)."""
    if name == "prelu":
        alpha = module.weight.detach().double().cpu().numpy()
        if alpha.size not in (1, z.shape[-1]):
            return None
        return np.where(z > 0, 1.0, alpha), max(1.0, float(alpha.max()))
    if name == "leaky_relu" and module.negative_slope != _activations.LEAKY_SLOPE:
        slope = float(module.negative_slope)
        return np.where(z > 0, 1.0, slope), max(1.0, slope)
    if (name == "elu" and module.alpha != _activations.ELU_ALPHA) or (
            name == "gelu" and module.approximate != "none"):
        return None
    return _activations.get(name).derivative_from_output(z, a), peak_derivative(name)


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float64).cpu().numpy()


def _inputs(module, X, y):
    """``X`` and ``y`` as tensors: ``X`` in the dtype of the module's first floating-point
    parameter, integer ``y`` as ``torch.long`` (class labels), floating ``y`` like ``X``."""
    dtype = next((p.dtype for p in module.parameters() if p.is_floating_point()),
                 torch.get_default_dtype())
    if not isinstance(X, torch.Tensor):
        X = torch.as_tensor(_checks.array(X, "X"), dtype=dtype)
    if not isinstance(y, torch.Tensor):
        kind = np.asarray(y).dtype.kind if isinstance(y, (np.ndarray, list, tuple)) else "?"
        labels = kind in "biu"  # whole numbers: class labels; floats: targets
        y = _checks.targets(y, X.shape[0] if X.ndim else -1, "y", labels=labels)
        y = torch.as_tensor(y, dtype=torch.long if labels else dtype)
    if X.ndim < 1 or y.ndim < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have one row per example; got shapes {tuple(X.shape)} "
                         f"and {tuple(y.shape)}")
    return X, y


def diagnose(module: torch.nn.Module, X, y, *, loss, lr: float = 0.01,
             train: bool = True) -> Report:
    """One forward and backward pass of ``module`` on ``(X, y)`` (numpy arrays or tensors)
    with ``loss`` (a PyTorch loss function such as ``torch.nn.functional.cross_entropy``,
    called as ``loss(module(X), y)``), in training mode (``train=True``) or evaluation mode;
    the ``vglib.diagnose.Report`` of every ``nn.Linear`` the pass ran, input side first, with
    the flags of ``vglib.diagnose.THRESHOLDS``. ``lr`` is the SGD learning rate used to express
    each gradient as a step size.

    The activation statistics of a layer come from the first activation *module* the forward
    pass runs after its Linear (``ACTIVATION_MODULES``: nn.Sigmoid, nn.Tanh, nn.ReLU, ...). An
    activation called as a function (``F.relu``, ``torch.sigmoid``) is invisible to hooks: that
    layer then shows no statistics, and the report's notes say so.

    Afterwards every hook is removed, every submodule is back in the mode it was in and every
    parameter's ``.grad`` is what it was, even when the pass fails. In training mode the pass
    updates BatchNorm's running statistics, as a training step would. A Linear that runs more
    than once in a pass (a tied layer) is refused: its gradient would mix the uses.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a PyTorch loss function such as "
                        f"torch.nn.functional.cross_entropy; got {loss!r}")
    if isinstance(lr, torch.Tensor) or not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a real number; got {_checks.shown(lr)}")
    lr = _checks.real_number(lr, "lr", low=0.0, low_open=True)
    _checks.flag(train, "train")
    X, y = _inputs(module, X, y)
    names = {m: name or type(m).__name__ for name, m in module.named_modules()}
    runs: list[dict] = []  # one per Linear run, in order: its module, output, dL/dz, activation
    last_linear: list[dict] = []  # the latest Linear run, while no activation has followed it

    def after_linear(layer, inputs, output):
        if any(run["module"] is layer for run in runs):
            raise ValueError(f"the Linear layer {names[layer]!r} ran twice in one forward pass; "
                             "diagnose needs each nn.Linear to run once (a tied layer's "
                             "gradient mixes its uses)")
        run = {"module": layer, "signal": None, "activation": None}
        if output.requires_grad:
            output.register_hook(lambda grad: run.__setitem__("signal", _numpy(grad)))
        runs.append(run)
        last_linear[:] = [run]

    def after_activation(layer, inputs, output):
        if last_linear:
            last_linear[0]["activation"] = (layer, _numpy(inputs[0]), _numpy(output))
            last_linear.clear()

    modes = {m: m.training for m in module.modules()}
    grads = {p: p.grad for p in module.parameters()}
    with ExitStack() as cleanup:
        cleanup.callback(lambda: [m.train(mode) for m, mode in modes.items()])
        cleanup.callback(lambda: [setattr(p, "grad", g) for p, g in grads.items()])
        for sub in module.modules():
            if isinstance(sub, torch.nn.Linear):
                cleanup.callback(sub.register_forward_hook(after_linear).remove)
            elif type(sub) in ACTIVATION_MODULES:
                cleanup.callback(sub.register_forward_hook(after_activation).remove)
        module.train(train)
        for p in grads:
            p.grad = None
        value = loss(module(X), y)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise TypeError(f"loss must return a single number (a 0-d tensor); got {value!r}")
        if not torch.isfinite(value):
            raise _checks.NonFiniteError(f"the loss is {value.item()}: the forward pass "
                                         "overflowed, so there is no gradient to diagnose")
        if not runs:
            raise ValueError("module ran no torch.nn.Linear layer to diagnose")
        value.backward()
        measured, unseen = [], []
        for i, run in enumerate(runs, start=1):
            layer = run["module"]
            W = _numpy(layer.weight).T  # (fan_in, fan_out), as vglib stores it
            dW = np.zeros_like(W) if layer.weight.grad is None else _numpy(layer.weight.grad).T
            stats, act_name = None, None
            if run["activation"] is not None:
                act, z, a = run["activation"]
                act_name = ACTIVATION_MODULES[type(act)]
                found = _slope_and_peak(act, act_name, z, a)
                stats = None if found is None else stats_of(a, *found)
            elif i < len(runs):
                unseen.append(i)
            signal = run["signal"]
            measured.append(LayerMeasurement(
                name=names[layer], shape=W.shape, grad_norm=float(_stable.norm(dW)),
                signal=0.0 if signal is None else float(_stable.norm(signal)),
                weight_norm=float(_stable.norm(W)), activation=act_name, stats=stats))
    notes = ""
    if unseen:
        listed = ", ".join(str(i) for i in unseen)
        notes = (f"No activation module ran between layer{'s' if len(unseen) > 1 else ''} "
                 f"{listed} and the next Linear, so no activation statistics there (if "
                 f"{INVISIBLE}).")
    return build_report(measured, lr=lr, loss=float(value.item()), notes=notes)


class Residual(torch.nn.Module):
    """``block(x) + x``, or ``block(x) + shortcut(x)``: vglib's ``layers.Residual`` in PyTorch."""

    def __init__(self, block: torch.nn.Module, shortcut: torch.nn.Module | None = None) -> None:
        super().__init__()
        self.block, self.shortcut = block, shortcut

    def forward(self, x):
        return self.block(x) + (x if self.shortcut is None else self.shortcut(x))


def to_torch(model) -> torch.nn.Module:
    """The vglib ``model`` (``Sequential``, ``Residual``, ``Dense``, ``Activation``,
    ``BatchNorm``, ``LayerNorm``) as a float64 PyTorch module computing the same function with
    copies of the same weights (``Dense``'s ``W`` of shape ``(fan_in, fan_out)`` becomes
    ``Linear.weight = W.T``) and BatchNorm's running statistics; training the copy leaves
    ``model`` as it was."""
    from . import layers as vl

    def tensor(array):
        return torch.nn.Parameter(torch.tensor(array, dtype=torch.float64))

    if isinstance(model, vl.Sequential):
        return torch.nn.Sequential(*(to_torch(layer) for layer in model.layers))
    if isinstance(model, vl.Residual):
        return Residual(to_torch(model.block),
                        None if model.shortcut is None else to_torch(model.shortcut))
    if isinstance(model, vl.Dense):
        linear = torch.nn.Linear(model.fan_in, model.fan_out, dtype=torch.float64)
        linear.weight, linear.bias = tensor(model.params["W"].T), tensor(model.params["b"])
        return linear
    if isinstance(model, vl.Activation):
        modules = {name: kind for kind, name in ACTIVATION_MODULES.items() if name != "prelu"}
        if model.name == "identity":
            return torch.nn.Identity()
        if model.name not in modules:
            raise ValueError(f"activation {model.name!r} has no PyTorch module here; "
                             f"to_torch knows {', '.join(sorted(modules))} and identity")
        if model.name == "leaky_relu":
            return torch.nn.LeakyReLU(_activations.LEAKY_SLOPE)
        if model.name == "elu":
            return torch.nn.ELU(_activations.ELU_ALPHA)
        return modules[model.name]()
    if isinstance(model, vl.BatchNorm):
        norm = torch.nn.BatchNorm1d(model.dim, eps=model.eps, momentum=model.momentum,
                                    dtype=torch.float64)
        norm.weight, norm.bias = tensor(model.params["gamma"]), tensor(model.params["beta"])
        norm.running_mean.copy_(torch.tensor(model.running_mean))
        norm.running_var.copy_(torch.tensor(model.running_var))
        return norm
    if isinstance(model, vl.LayerNorm):
        norm = torch.nn.LayerNorm(model.dim, eps=model.eps, dtype=torch.float64)
        norm.weight, norm.bias = tensor(model.params["gamma"]), tensor(model.params["beta"])
        return norm
    raise TypeError(f"model must be a vglib Sequential, Residual, Dense, Activation, BatchNorm "
                    f"or LayerNorm; got {type(model).__name__}")
