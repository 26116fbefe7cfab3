"""What the book's live lab (a JavaScript page) takes from vglib: data, networks and checks.

The lab trains a network in the reader's browser with its own JavaScript (``lab/engine.js``).
Everything it must agree with comes from here, so that the page starts where a chapter does and
can be checked against vglib:

- ``datasets()``: the four 2-D data sets of the book (spirals, moons, circles, checkerboard),
  256 points each, as vglib draws them;
- ``presets()``: the book's key experiments, each with its data and its initial weights drawn
  by vglib (a JavaScript random generator cannot reproduce numpy's), and the chapter it comes
  from;
- ``gradient_case`` and ``sgd_case``: a network, a batch and what vglib computes on it (every
  parameter gradient of one forward and backward pass; the losses of 20 SGD steps), for the
  browser test that runs the same in the page;
- ``THRESHOLDS``: ``diagnose``'s thresholds, so the page's flags are the report's flags.

Arrays travel as base64 of little-endian float64 (``encode``/``decode``), exact to the bit.
A network's parameters are its packed buffer (``Sequential.pack``) in vglib's order, which
``layout`` lists: ``[name, shape]`` for each parameter array.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from . import _checks, data, losses, models, optim, probe
from .diagnose import THRESHOLDS

__all__ = ["DATASETS", "THRESHOLDS", "datasets", "decode", "encode", "export_network",
           "gradient_case", "network", "presets", "sgd_case"]

DATASETS = ("spirals", "moons", "circles", "checkerboard")
N_POINTS = 256
DATA_SEED = 0  # the chapters' data: data.spirals(256, np.random.default_rng(0)) in 3, 5 and 7
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
NORMS = (None, "batch", "layer")


def encode(array: np.ndarray) -> str:
    """``array`` as base64 of its float64 values, little-endian, in C order."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f8").tobytes()).decode("ascii")


def decode(text: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The inverse of ``encode``."""
    values = np.frombuffer(base64.b64decode(text), dtype="<f8").copy()
    return values if shape is None else values.reshape(shape)


def datasets() -> dict[str, dict[str, Any]]:
    """The four data sets, ``{"X": base64 (256 x 2), "y": [labels]}`` each."""
    out = {}
    for name in DATASETS:
        X, y = getattr(data, name)(N_POINTS, np.random.default_rng(DATA_SEED))
        out[name] = {"X": encode(X), "y": [int(v) for v in y], "n": len(y)}
    return out


def network(spec: dict[str, Any], seed: int):
    """vglib's ``models.mlp`` for a lab spec: ``depth``, ``width``, ``activation``, ``init``
    (``"xavier_normal"`` or ``"he_normal"``), ``scale`` (multiplies every Dense weight after
    the draw), ``norm`` (``None``, ``"batch"``, ``"layer"``), ``residual``; 2 inputs, 2 classes."""
    activation = spec["activation"]
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
    if spec["norm"] not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}; got {spec['norm']!r}")
    scale = _checks.real_number(spec.get("scale", 1.0), "scale", low=0.0, low_open=True)
    net = models.mlp(2, spec["width"], spec["depth"], 2, activation=activation,
                     init=spec["init"], norm=spec["norm"], residual=spec["residual"],
                     rng=np.random.default_rng(seed))
    for _, layer in probe.dense_layers(net):
        layer.params["W"] *= scale
    return net


def export_network(net, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec``, the parameter layout and the packed parameters (base64)."""
    flat = net.packed()
    if flat is None:
        raise ValueError("net must be packed (models.mlp packs its networks)")
    layout = [[name, list(param.shape)] for name, param, _ in net.parameters()]
    return {"spec": dict(spec), "layout": layout, "params": encode(flat[0])}


def gradient_case(spec: dict[str, Any], seed: int, *, batch: int = 64,
                  dataset: str = "spirals") -> dict[str, Any]:
    """A network, a batch of ``dataset`` and vglib's loss and gradients of one training-mode
    forward and backward pass (softmax cross-entropy, mean over the batch)."""
    net = network(spec, seed)
    X, y = getattr(data, dataset)(batch, np.random.default_rng(seed + 1))
    loss, dlogits = losses.softmax_cross_entropy(net.forward(X, train=True), y)
    net.backward(dlogits)
    return {**export_network(net, spec), "X": encode(X), "y": [int(v) for v in y],
            "loss": loss, "grads": encode(net.packed()[1])}


def sgd_case(spec: dict[str, Any], seed: int, *, steps: int = 20, batch: int = 32,
             lr: float = 0.05, momentum: float = 0.9) -> dict[str, Any]:
    """``steps`` steps of SGD with momentum on minibatches of the spirals drawn in a fixed
    order (exported), and vglib's loss at each step, before the step's update."""
    net = network(spec, seed)
    X, y = data.spirals(N_POINTS, np.random.default_rng(DATA_SEED))
    order = np.random.default_rng(seed + 2).integers(0, len(y), size=(steps, batch))
    opt = optim.SGD(lr, momentum=momentum)
    start = export_network(net, spec)
    trace = []
    for rows in order:
        loss, dlogits = losses.softmax_cross_entropy(net.forward(X[rows], train=True), y[rows])
        net.backward(dlogits)
        opt.step(net)
        trace.append(loss)
    return {**start, "X": encode(X), "y": [int(v) for v in y],
            "order": order.tolist(), "lr": lr, "momentum": momentum, "losses": trace}


def _preset(name: str, chapter: str, title: str, depth: int, activation: str, init: str,
            norm: str | None, residual: bool, *, lr: float, momentum: float, batch: int):
    return {"id": name, "chapter": chapter, "title": title,
            "spec": {"depth": depth, "width": 32, "activation": activation, "init": init,
                     "scale": 1.0, "norm": norm, "residual": residual},
            "train": {"optimizer": "sgd", "lr": lr, "momentum": momentum, "batch": batch,
                      "clip": None},
            "dataset": "spirals", "seed": 1}


# The book's key experiments with the chapters' recipes; each chapter draws its network's weights
# with np.random.default_rng(SEED + 1) = default_rng(1), so the presets do too.
_CH3 = {"lr": 0.05, "momentum": 0.0, "batch": 64}  # chapter 3: SGD 0.05, batches of 64
_CH5 = {"lr": 0.02, "momentum": 0.0, "batch": 16}  # chapter 5: SGD 0.02, batches of 16
_CH7 = {"lr": 0.05, "momentum": 0.9, "batch": 64}  # chapter 7's exercise: SGD with momentum
PRESETS = (
    _preset("sigmoid10", "03_seeing_it_happen", "10 sigmoid layers: the network that stalls",
            10, "sigmoid", "he_normal", None, False, **_CH3),
    _preset("relu30_xavier", "05_initialisation", "30 ReLU layers, Xavier initialisation",
            30, "relu", "xavier_normal", None, False, **_CH5),
    _preset("relu30_he", "05_initialisation", "30 ReLU layers, He initialisation",
            30, "relu", "he_normal", None, False, **_CH5),
    _preset("deep100_plain", "07_residual_connections", "100 layers without skip connections",
            100, "relu", "he_normal", "batch", False, **_CH7),
    _preset("deep100_residual", "07_residual_connections", "100 layers with skip connections",
            100, "relu", "he_normal", "batch", True, **_CH7),
)


def presets() -> list[dict[str, Any]]:
    """The presets with their initial weights (the data sets come from ``datasets``)."""
    out = []
    for preset in PRESETS:
        net = network(preset["spec"], preset["seed"])
        out.append({**preset, "network": export_network(net, preset["spec"])})
    return out
