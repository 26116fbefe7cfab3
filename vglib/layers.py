"""Layers with hand-written backward passes.

The layer contract (``Layer``; ``tests/test_layers.py`` checks every rule for every layer):

* ``params`` and ``grads`` are dicts with the same keys; ``forward(x, train=True) -> y`` and
  ``backward(dy) -> dx``. ``train`` is a ``bool``. Inputs are ``(batch, features)`` arrays
  (``LayerNorm`` and the activations accept any leading axes).
* ``backward`` uses what the last ``forward`` recorded and **overwrites** ``grads``: it never
  adds to the previous call's values. It writes them **in place**, as the formula,
  ``self.grads["W"][...] = self.x.T @ dy``, never by rebinding (``self.grads["W"] = ...``):
  ``Sequential.pack`` makes the arrays views into one buffer, which the optimisers update in a
  few whole-buffer operations; a rebound array silently leaves that fast path.
* Records for inspection (``None`` until the first pass): every layer that is not a container
  keeps ``x``, the input of the last ``forward`` (for an activation: the pre-activation ``z``),
  ``y``, its output, and ``dy``, the ``dL/dy`` of the last ``backward``. ``vglib.probe`` and
  ``vglib.diagnose`` read these.
* ``backward`` before any ``forward`` raises ``RuntimeError`` (a misuse of order, not bad input);
  bad input raises ``ValueError`` or ``TypeError`` naming the argument.
* A layer object appears at most once in a network: ``Sequential`` and ``Residual`` refuse to be
  built with the same object twice (its records and gradients would be overwritten by its
  second use; tie weights by sharing arrays in a layer of your own instead).

Each backward formula sits right under its forward pass; ``tests/test_layers.py`` checks all of
them against central finite differences in float64.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

import numpy as np

from . import _checks
from . import activations as _activations
from . import init as _init

__all__ = [
    "Activation",
    "BatchNorm",
    "Dense",
    "Layer",
    "LayerNorm",
    "PReLU",
    "Residual",
    "Sequential",
]


# one Dense layer's weights at most: 400 MB in float64, far beyond this course's networks
MAX_WEIGHTS = 50_000_000


class Layer:
    """Base class: a differentiable map ``y = f(x)`` with parameters."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        # records of the last pass (see the module docstring); containers keep none
        self.x: np.ndarray | None = None  # input of the last forward
        self.y: np.ndarray | None = None  # output of the last forward
        self.dy: np.ndarray | None = None  # dL/dy of the last backward

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return self.forward(x, train)

    def _start(self, x: object, train: object, **shape) -> np.ndarray:
        """Check a forward pass's arguments; returns ``x`` as a float64 array."""
        _checks.flag(train, "train")
        return _checks.array(x, "x", **shape)

    def parameters(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(name, param, grad)`` for every parameter, names prefixed by ``prefix``."""
        for name, layer, key in self._slots(prefix):
            yield name, layer.params[key], layer.grads[key]

    def _slots(self, prefix: str = "") -> Iterator[tuple[str, Layer, str]]:
        """Yield ``(name, owning layer, key)`` for every parameter (used by ``pack``)."""
        for key in self.params:
            yield prefix + key, self, key

    def _output(self, y: np.ndarray) -> np.ndarray:
        """Record ``y`` as the forward output, after checking it did not overflow."""
        if not _checks.all_finite(y):
            _checks.finite_result(y, f"the output of {type(self).__name__}", "the output of",
                                  f" (its input x reaches {np.abs(self.x).max():.3g})")
        _checks.mark_finite(y)
        self.y = y
        return y

    def _input_grad(self, dx: np.ndarray) -> np.ndarray:
        """``dx`` returned by ``backward``, after checking it did not overflow."""
        if _checks.all_finite(dx):
            return dx
        return _checks.finite_result(dx, f"dL/dx of {type(self).__name__}",
                                     "the gradient leaving",
                                     f" (its dy reaches {np.abs(self.dy).max():.3g})")

    def _need_forward(self, cached: object) -> None:
        if cached is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")

    def _check_dy(self, dy: object, shape: tuple[int, ...]) -> np.ndarray:
        """Check ``dy`` against the forward output's shape and record it as ``self.dy``.
        A NaN or inf in ``dy`` is not looked for here: it reaches ``dx``, whose check names
        the layer (inside a network, ``dy`` is the layer above's ``dx``, checked already)."""
        dy = _checks.array(dy, "dy", finite=False)
        if dy.shape != shape:
            raise ValueError(
                f"{type(self).__name__}.backward: dy must have the forward output's shape "
                f"{shape}; got {dy.shape}"
            )
        self.dy = dy
        return dy


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b`` with ``W: (fan_in, fan_out)``, ``b: (fan_out,)``."""

    def __init__(
        self,
        fan_in: int,
        fan_out: int,
        *,
        init: str | float = "he_normal",
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.fan_in = _checks.positive_int(fan_in, "fan_in")
        self.fan_out = _checks.positive_int(fan_out, "fan_out")
        if self.fan_in * self.fan_out > MAX_WEIGHTS:
            raise ValueError(
                f"fan_in * fan_out must be at most {MAX_WEIGHTS:,} weights (about "
                f"{MAX_WEIGHTS * 8 / 1e9:.1f} GB); got {fan_in} * {fan_out}")
        self.init = init
        W = _init.get(init)(self.fan_in, self.fan_out, _checks.generator(rng))
        self.params = {"W": W, "b": np.zeros(self.fan_out)}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros(self.fan_out)}

    def forward(self, x, train=True):
        self.x = self._start(x, train, ndim=2, last_dim=self.fan_in)
        return self._output(self.x @ self.params["W"] + self.params["b"])

    def backward(self, dy):
        self._need_forward(self.x)
        dy = self._check_dy(dy, self.y.shape)
        self.grads["W"][...] = self.x.T @ dy  # dL/dW = x^T dL/dy
        self.grads["b"][...] = dy.sum(axis=0)  # dL/db = sum over the batch of dL/dy
        return self._input_grad(dy @ self.params["W"].T)  # dL/dx = dL/dy W^T

    def __repr__(self) -> str:
        return f"Dense({self.fan_in}, {self.fan_out}, init={self.init!r})"


class Activation(Layer):
    """Elementwise nonlinearity ``y = f(x)``; see ``vglib.activations`` for the names."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.fn = _activations.get(name)

    @property
    def name(self) -> str:
        return self.fn.name

    def forward(self, x, train=True):
        self.x = self._start(x, train)  # the pre-activation z
        return self._output(self.fn.apply(self.x))

    def backward(self, dy):
        self._need_forward(self.x)
        dy = self._check_dy(dy, self.x.shape)
        return self._input_grad(dy * self.local_slope())  # chain rule: dy * f'(z)

    def local_slope(self) -> np.ndarray:
        """``f'(z)`` at the inputs of the last forward pass."""
        self._need_forward(self.x)
        return self.fn.derivative_from_output(self.x, self.y)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): ``y = x`` for ``x > 0``, ``y = alpha x`` otherwise,
    with one learned slope ``alpha`` per feature (last axis), starting at ``init`` (0.25).
    """

    name = "prelu"

    def __init__(self, dim: int, *, init: float = 0.25) -> None:
        super().__init__()
        self.dim = _checks.positive_int(dim, "dim")
        init = _checks.real_number(init, "init", low=0.0, high=1.0)
        self.params = {"alpha": np.full(self.dim, init)}
        self.grads = {"alpha": np.zeros(self.dim)}

    def forward(self, x, train=True):
        self.x = self._start(x, train, last_dim=self.dim)
        return self._output(np.where(self.x > 0, self.x, self.params["alpha"] * self.x))

    def local_slope(self) -> np.ndarray:
        """``dy/dx``: 1 where ``x > 0``, ``alpha`` elsewhere."""
        self._need_forward(self.x)
        return np.where(self.x > 0, 1.0, self.params["alpha"])

    def backward(self, dy):
        self._need_forward(self.x)
        dy = self._check_dy(dy, self.x.shape)
        batch_axes = tuple(range(dy.ndim - 1))
        # dL/dalpha = sum over the batch of dy * x where x <= 0 (alpha multiplies only those)
        self.grads["alpha"][...] = (dy * np.minimum(self.x, 0.0)).sum(axis=batch_axes)
        return self._input_grad(dy * self.local_slope())

    def __repr__(self) -> str:
        return f"PReLU({self.dim})"


def _mean(a: np.ndarray, axis: int) -> np.ndarray:
    """The mean over ``axis``, kept as a length-1 axis (np.mean without its
    Python-level overhead)."""
    return np.add.reduce(a, axis=axis, keepdims=True) / a.shape[axis]


def _normalise_backward(dxhat: np.ndarray, xhat: np.ndarray,
                        inv_std: np.ndarray, axis: int) -> np.ndarray:
    """dL/dx for ``xhat = (x - mean) * inv_std``, with the mean and the
    biased variance over ``axis`` (chapter 6 derives it)."""
    return inv_std * (dxhat - xhat * _mean(dxhat * xhat, axis)
                      - _mean(dxhat, axis))


class BatchNorm(Layer):
    """Batch normalisation over the batch axis of ``(batch, dim)`` inputs.

    Training: ``xhat = (x - mean_B) / sqrt(var_B + eps)``, ``y = gamma * xhat + beta`` with the
    batch mean and biased batch variance; the running statistics are updated as PyTorch does,
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased variance for the running
    value). ``train=False`` normalises with the running statistics instead.
    """

    def __init__(self, dim: int, *, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.dim = _checks.positive_int(dim, "dim")
        self.eps = _checks.real_number(eps, "eps", low=0.0, low_open=True)
        self.momentum = _checks.real_number(momentum, "momentum", low=0.0, high=1.0)
        self.params = {"gamma": np.ones(self.dim), "beta": np.zeros(self.dim)}
        self.grads = {"gamma": np.zeros(self.dim), "beta": np.zeros(self.dim)}
        self.running_mean = np.zeros(self.dim)
        self.running_var = np.ones(self.dim)
        self._cache: tuple | None = None

    def forward(self, x, train=True):
        self.x = self._start(x, train, ndim=2, last_dim=self.dim)
        n = self.x.shape[0]
        if train:
            if n < 2:
                raise ValueError(
                    "BatchNorm in training mode needs a batch of at least "
                    f"2 rows; got {n} (use train=False, or LayerNorm, for "
                    "single examples)"
                )
            with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                mean = np.add.reduce(self.x, axis=0) / n
                xc = self.x - mean
                var = np.einsum("ij,ij->j", xc, xc) / n  # biased: / n
            if not np.isfinite(var).all():
                raise _checks.NonFiniteError(
                    "BatchNorm: the batch variance of x overflows float64 "
                    f"(|x| reaches {np.abs(self.x).max():.3g}), so the "
                    "running variance cannot be kept; scale the input "
                    "down, e.g. standardise the data"
                )
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            # the running variance is the unbiased one: / (n - 1)
            self.running_var = ((1 - m) * self.running_var
                                + m * var * n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
            xc = self.x - mean
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = xc * inv_std
        self._cache = (xhat, inv_std, train)
        return self._output(self.params["gamma"] * xhat + self.params["beta"])

    def backward(self, dy):
        self._need_forward(self._cache)
        xhat, inv_std, train = self._cache
        dy = self._check_dy(dy, xhat.shape)
        # dL/dgamma = sum over the batch of dy * xhat; dL/dbeta = sum of dy
        self.grads["gamma"][...] = np.einsum("ij,ij->j", dy, xhat)
        self.grads["beta"][...] = dy.sum(axis=0)
        dxhat = dy * self.params["gamma"]
        if not train:  # fixed statistics: a per-feature affine map
            return self._input_grad(dxhat * inv_std)
        return self._input_grad(_normalise_backward(dxhat, xhat, inv_std, axis=0))

    def __repr__(self) -> str:
        return f"BatchNorm({self.dim}, eps={self.eps:g}, momentum={self.momentum:g})"


class LayerNorm(Layer):
    """Layer normalisation over the last axis: each example uses its own mean and variance.

    ``xhat = (x - mean) / sqrt(var + eps)`` over the last axis, ``y = gamma * xhat + beta``;
    the same computation in training and inference.
    """

    def __init__(self, dim: int, *, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim = _checks.positive_int(dim, "dim")
        self.eps = _checks.real_number(eps, "eps", low=0.0, low_open=True)
        self.params = {"gamma": np.ones(self.dim), "beta": np.zeros(self.dim)}
        self.grads = {"gamma": np.zeros(self.dim), "beta": np.zeros(self.dim)}
        self._cache: tuple | None = None

    def forward(self, x, train=True):
        self.x = x = self._start(x, train, last_dim=self.dim)
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            mean = x.mean(axis=-1, keepdims=True)
            var = x.var(axis=-1, keepdims=True)
        if np.isfinite(var).all():
            inv_std = 1.0 / np.sqrt(var + self.eps)
            xhat = (x - mean) * inv_std
        else:  # entries near 1e154 or more: the squares overflow, so scale first
            scale = np.abs(x).max(axis=-1, keepdims=True)
            xs = x / scale
            std_s = np.sqrt(xs.var(axis=-1, keepdims=True)
                            + self.eps / scale / scale)
            flat = std_s == 0  # a constant row (its eps / scale^2 underflowed): xhat = 0
            std_s[flat] = 1.0
            inv_std = np.where(flat, 1.0 / np.sqrt(self.eps), 1.0 / scale / std_s)
            xhat = (xs - xs.mean(axis=-1, keepdims=True)) / std_s
        self._cache = (xhat, inv_std)
        return self._output(self.params["gamma"] * xhat + self.params["beta"])

    def backward(self, dy):
        self._need_forward(self._cache)
        xhat, inv_std = self._cache
        dy = self._check_dy(dy, xhat.shape)
        batch_axes = tuple(range(dy.ndim - 1))
        # dL/dgamma = sum over the batch of dy * xhat; dL/dbeta = sum of dy
        self.grads["gamma"][...] = (dy * xhat).sum(axis=batch_axes)
        self.grads["beta"][...] = dy.sum(axis=batch_axes)
        return self._input_grad(_normalise_backward(dy * self.params["gamma"], xhat,
                                                    inv_std, axis=-1))

    def __repr__(self) -> str:
        return f"LayerNorm({self.dim}, eps={self.eps:g})"


def _as_layer(obj: object, argname: str) -> Layer:
    if not isinstance(obj, Layer):
        raise TypeError(
            f"{argname} must be a vglib layer (Dense, Activation, BatchNorm, LayerNorm, "
            f"Residual, Sequential); got {type(obj).__name__}"
        )
    return obj


def _refuse_reuse(container: _Container) -> None:
    """Raise if one layer object appears twice anywhere inside ``container``."""
    seen: dict[int, str] = {}

    def walk(layer: Layer, path: str) -> None:
        if id(layer) in seen:
            raise ValueError(
                f"the same {type(layer).__name__} object is used twice, as layer "
                f"{seen[id(layer)]} and as layer {path}; a layer records its last input "
                "and gradients, so a second use would overwrite the first. Make a new "
                "layer for each place (weight tying needs a layer written for it)"
            )
        seen[id(layer)] = path
        if isinstance(layer, _Container):
            for name, child in layer.children():
                walk(child, f"{path}.{name}")

    for name, child in container.children():
        walk(child, name)


def _forward_child(name: str, child: Layer, x: np.ndarray, train: bool) -> np.ndarray:
    """``child.forward(x)``; a non-finite value anywhere inside is reported with its path."""
    try:
        return child.forward(x, train)
    except _checks.NonFiniteError as err:
        err.add_location(name, child)
        raise


def _backward_child(name: str, child: Layer, dy: np.ndarray) -> np.ndarray:
    """``child.backward(dy)``; a non-finite gradient inside is reported with its path."""
    try:
        return child.backward(dy)
    except _checks.NonFiniteError as err:
        if err.role == "the input to":
            err.role = "the gradient arriving at"
        err.add_location(name, child)
        raise


class _Container(Layer):
    """A layer made of named sub-layers; ``params``/``grads`` are flat views with dotted names."""

    def children(self) -> Iterator[tuple[str, Layer]]:
        raise NotImplementedError

    def _slots(self, prefix=""):
        for name, child in self.children():
            yield from child._slots(f"{prefix}{name}.")

    def pack(self) -> _Container:
        """Move every parameter and gradient into two contiguous buffers; returns ``self``.

        Each layer keeps its ``params`` and ``grads`` dicts, whose arrays become views into
        ``self.flat_params`` and ``self.flat_grads``. Values do not change. The optimisers and
        clipping functions then update all parameters with a few whole-buffer operations
        instead of a Python loop over thousands of small arrays (``mlp`` packs its networks).
        If a layer's array is later replaced, the buffers are no longer used (see ``packed``).
        """
        slots, seen = [], set()
        for name, layer, key in self._slots():
            if (id(layer), key) not in seen:
                seen.add((id(layer), key))
                slots.append((name, layer, key))
        sizes = [layer.params[key].size for _, layer, key in slots]
        self.flat_params = np.empty(sum(sizes))
        self.flat_grads = np.zeros(sum(sizes))
        self._packed = []
        start = 0
        for (name, layer, key), size in zip(slots, sizes, strict=True):
            shape = layer.params[key].shape
            param = self.flat_params[start : start + size].reshape(shape)
            grad = self.flat_grads[start : start + size].reshape(shape)
            param[...] = layer.params[key]
            grad[...] = layer.grads[key]
            layer.params[key], layer.grads[key] = param, grad
            self._packed.append((name, layer.params, layer.grads, key, param, grad))
            start += size
        return self

    def packed(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(flat_params, flat_grads)`` if ``pack()`` was called and every layer still uses
        its views into them; otherwise ``None``."""
        entries = getattr(self, "_packed", None)
        if entries is None:
            return None
        for _, params, grads, key, param, grad in entries:
            if params.get(key) is not param or grads.get(key) is not grad:
                return None
        return self.flat_params, self.flat_grads

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {name: param for name, param, _ in self.parameters()}

    @params.setter
    def params(self, value) -> None:  # the base __init__ assigns {}; containers derive theirs
        pass

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {name: grad for name, _, grad in self.parameters()}

    @grads.setter
    def grads(self, value) -> None:
        pass


class Residual(_Container):
    """Skip connection ``y = x + block(x)``, or ``y = shortcut(x) + block(x)`` with a projection.

    Backward: ``dL/dx = dL/dy + block'(x)^T dL/dy`` -- the identity path carries the gradient
    unchanged (the "+1" in ``I + J_F``).
    """

    def __init__(self, block: Layer, shortcut: Layer | None = None) -> None:
        super().__init__()
        self.block = _as_layer(block, "block")
        self.shortcut = None if shortcut is None else _as_layer(shortcut, "shortcut")
        self._x_shape: tuple[int, ...] | None = None
        _refuse_reuse(self)

    def children(self):
        yield "block", self.block
        if self.shortcut is not None:
            yield "shortcut", self.shortcut

    def forward(self, x, train=True):
        x = self._start(x, train)
        fx = _forward_child("block", self.block, x, train)
        skip = x if self.shortcut is None else _forward_child("shortcut", self.shortcut, x, train)
        if fx.shape != skip.shape:
            if self.shortcut is None:
                raise ValueError(
                    f"Residual: the block maps shape {x.shape} to {fx.shape}, so x + block(x) "
                    "is undefined; give a projection shortcut, e.g. "
                    f"Residual(block, shortcut=Dense({x.shape[-1]}, {fx.shape[-1]}, rng=rng))"
                )
            raise ValueError(
                f"Residual: shortcut(x) has shape {skip.shape} but block(x) has {fx.shape}; "
                "they must match to be added"
            )
        self._x_shape = x.shape
        return skip + fx

    def backward(self, dy):
        self._need_forward(self._x_shape)
        dx = _backward_child("block", self.block, dy)
        if self.shortcut is None:
            return dy + dx  # identity path: d(x)/dx = I
        return _backward_child("shortcut", self.shortcut, dy) + dx

    def __repr__(self) -> str:
        extra = "" if self.shortcut is None else f", shortcut={self.shortcut!r}"
        return f"Residual({self.block!r}{extra})"


class Sequential(_Container):
    """Layers applied in order; backward runs them in reverse (the chain rule)."""

    def __init__(self, layers: Iterable[Layer]) -> None:
        super().__init__()
        if isinstance(layers, Layer):
            raise TypeError("layers must be a list of layers; got a single layer (use [layer])")
        try:
            layers = list(layers)
        except TypeError as err:
            kind = type(layers).__name__
            raise TypeError(f"layers must be a list of layers; got {kind}") from err
        if not layers:
            raise ValueError("layers must contain at least one layer; got an empty list")
        self.layers = [_as_layer(layer, f"layers[{i}]") for i, layer in enumerate(layers)]
        _refuse_reuse(self)

    def children(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def forward(self, x, train=True):
        _checks.flag(train, "train")
        for i, layer in enumerate(self.layers):
            x = _forward_child(str(i), layer, x, train)
        return x

    def backward(self, dy):
        for i in range(len(self.layers) - 1, -1, -1):
            dy = _backward_child(str(i), self.layers[i], dy)
        return dy

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __repr__(self) -> str:
        inner = ",\n".join(f"({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return "Sequential(\n" + textwrap.indent(inner, "  ") + "\n)"
