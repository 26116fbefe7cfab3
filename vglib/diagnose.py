"""Where in a network do gradients vanish or explode? One pass, a verdict per layer.

``diagnose(model, X, y)`` runs one forward and backward pass and reports, for every Dense layer
(input side first), the gradient norm, the size of a plain SGD step relative to the weights,
and the statistics of the activation that follows it. Each layer gets flags, by these rules
(``THRESHOLDS``; the output layer is where the gradient starts, so it is the reference):

* ``vanishing``: the backward signal ``||dL/dz||`` reaching the layer's output, or its
  ``||dL/dW||``, below 1/1000 of the output layer's; or an SGD step at ``lr`` that would change
  the weights by less than one millionth of their size;
* ``exploding``: ``||dL/dz||`` or ``||dL/dW||`` above 1000 times the output layer's, or an SGD
  step that would change the weights by more than 10 % of their size;

(Both norms are needed: ``dL/dW = x^T dL/dz``, so when the forward signal ``x`` grows as fast as
the backward one shrinks, or the other way round, ``||dL/dW||`` alone looks flat.)
* ``saturated``: more than half the activation's entries have a local slope ``f'(z)`` above
  0 but below 5 % of its peak (``probe.SATURATION``; for the sigmoid, ``|z| > 4.36``);
* ``dead``: more than half the activation's units have ``f'(z) = 0`` for every example of the
  batch (ReLUs that never fire on it).

This module only judges: ``diagnose``, ``Report``, ``LayerReport`` and ``THRESHOLDS`` live here,
and ``build_report``, which turns the measurements of each layer (``LayerMeasurement``) into a
report (``vglib.torch.diagnose`` measures a PyTorch model and ends there too).
The measurements it judges live in ``vglib.probe`` (what one pass leaves in each layer:
``leaves``, ``dense_layers``, ``grad_norm_per_layer``, ``activation_stats``, ``weight_snapshot``,
``relative_weight_change``, ``backward_with_signal``); the experiments on a freshly initialised
network (``compute_grad_norms_at_init``, ``compute_signal_std``, ``block_grad_norms``) live in
``vglib.signals``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import _checks, _stable
from .layers import Dense, Layer
from .losses import softmax_cross_entropy
from .probe import ActivationStats, activation_stats, grad_norm_per_layer, is_activation, leaves
from .tables import Mark, Table

__all__ = ["THRESHOLDS", "LayerMeasurement", "LayerReport", "Report", "build_report", "diagnose"]

THRESHOLDS = {
    "vanishing_vs_output": 1e-3,  # ||dL/dz|| or ||dL/dW|| / the output layer's
    "exploding_vs_output": 1e3,
    "vanishing_step": 1e-6,  # lr ||dL/dW|| / ||W||
    "exploding_step": 0.1,
    "saturated": 0.5,  # fraction of entries
    "dead": 0.5,  # fraction of units
}
# what each flag looks like in a report's table: a symbol as well as a colour
FLAG_SYMBOLS = {"vanishing": "\u25bc", "exploding": "\u25b2", "saturated": "\u25c6",
                "dead": "\u2715"}


@dataclass(frozen=True)
class LayerReport:
    """One Dense layer and the activation after it (``None`` for the output layer)."""

    name: str
    shape: tuple[int, int]
    grad_norm: float  # ||dL/dW||
    signal: float  # ||dL/dz||, the gradient arriving at the layer's output
    step_ratio: float  # lr ||dL/dW|| / ||W||
    activation: str | None
    act_mean: float
    act_std: float
    saturated: float
    dead: float
    flags: tuple[str, ...]


@dataclass
class Report:
    """The result of ``diagnose``: per-layer numbers, flags and a verdict."""

    layers: list[LayerReport]
    lr: float
    loss: float
    thresholds: dict = field(default_factory=lambda: dict(THRESHOLDS))
    notes: str = ""  # what the measurement could not see (shown under the table)

    @property
    def flags(self) -> dict[str, list[str]]:
        """Layer name -> its flags (an empty list when the layer looks healthy)."""
        return {layer.name: list(layer.flags) for layer in self.layers}

    @property
    def verdict(self) -> str:
        """One paragraph saying what is wrong, where, and what usually helps."""
        n = len(self.layers)
        by_flag: dict[str, list[int]] = {}
        for i, layer in enumerate(self.layers, start=1):
            for flag in layer.flags:
                by_flag.setdefault(flag, []).append(i)
        if not by_flag:
            spread = max(lay.grad_norm for lay in self.layers) / max(
                min(lay.grad_norm for lay in self.layers), 1e-300)
            return (f"Healthy: the gradient norms of all {n} layers are within a factor of "
                    f"{spread:.3g} of each other, no activation is mostly saturated or dead, "
                    f"and an SGD step at lr={self.lr:g} moves every layer by a sensible "
                    "fraction.")
        advice = {
            "vanishing": "gradients vanish on their way back, so these layers barely learn; "
                         "check the activation, the initial weight scale and the depth",
            "exploding": "gradients explode, so a step would throw these weights far away; "
                         "lower the learning rate, clip the gradients or rescale the weights",
            "saturated": "most units sit where their activation is flat; inputs are too "
                         "large for the activation (initial scale, normalisation)",
            "dead": "most units output zero for every example and pass no gradient back; "
                    "look for a large negative bias or a too-large learning-rate step (in a "
                    "deep, narrow ReLU network it can also mean that the inputs have become "
                    "nearly identical by this depth)",
        }
        parts = [f"{flag.capitalize()} in {_layer_list(layers)} of {n}: {advice[flag]}."
                 for flag, layers in by_flag.items()]
        return " ".join(parts)

    def table(self, *, compact: bool = False) -> Table:
        """The per-layer numbers as a ``vglib.tables.Table``, flags marked with a symbol
        (layer i's name in the model is ``report.layers[i - 1].name``). ``compact`` (the text
        form) leaves out the activation's mean and std, and the activation column when every
        hidden layer has the same one."""
        columns = ["layer", "shape", "||dL/dz||", "||dL/dW||", "step/W", "act",
                   "mean", "std", "satur.", "dead", "flags"]
        rows = []
        for i, lay in enumerate(self.layers, start=1):
            no_act = lay.activation is None
            rows.append([
                i, f"{lay.shape[0]}x{lay.shape[1]}", f"{lay.signal:.2e}",
                f"{lay.grad_norm:.2e}", f"{lay.step_ratio:.1e}", lay.activation or "-",
                "-" if no_act else f"{lay.act_mean:.3g}", "-" if no_act else f"{lay.act_std:.3g}",
                "-" if no_act else f"{lay.saturated:.0%}", "-" if no_act else f"{lay.dead:.0%}",
                Mark(", ".join(f"{FLAG_SYMBOLS[f]} {f}" for f in lay.flags), symbol="")
                if lay.flags else Mark("ok", tone="good"),
            ])
        kinds = {lay.activation for lay in self.layers if lay.activation is not None}
        layers = f"{len(self.layers)} Dense layers"
        if compact:  # one activation throughout goes into the title
            drop = {"mean", "std"} | ({"act"} if len(kinds) == 1 else set())
            keep = [j for j, c in enumerate(columns) if c not in drop]
            columns = [columns[j] for j in keep]
            rows = [[row[j] for j in keep] for row in rows]
            if len(kinds) == 1:
                layers += f" ({kinds.pop()})"
        return Table(columns, rows, title=f"diagnose: {layers}, loss {self.loss:.4g}, "
                     f"step/W for plain SGD at lr={self.lr:g}",
                     notes=f"{self.verdict} {self.notes}".strip())

    def __repr__(self) -> str:
        return repr(self.table(compact=True))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def plot(self, ax, *, title: str = "diagnose: gradient norm per layer"):
        """``||dL/dW||`` per layer (log scale), flagged layers marked, with the two
        output-relative thresholds as dashed lines. Returns ``ax``."""
        layers = np.arange(1, len(self.layers) + 1)
        norms = np.array([lay.grad_norm for lay in self.layers])
        ax.plot(layers, norms, marker="o", color="#0072B2", label="||dL/dW||")
        flagged = [i for i, lay in enumerate(self.layers) if lay.flags]
        if flagged:
            ax.scatter(layers[flagged], norms[flagged], s=90, facecolors="none",
                       edgecolors="#D55E00", linewidths=2, zorder=3, label="flagged")
            for i in flagged:
                ax.annotate(", ".join(self.layers[i].flags), (layers[i], norms[i]),
                            xytext=(0, 8), textcoords="offset points", ha="center",
                            fontsize=8, color="#D55E00")
        reference = norms[-1]
        for key, text in (("vanishing_vs_output", "vanishing below"),
                          ("exploding_vs_output", "exploding above")):
            level = reference * self.thresholds[key]
            ax.axhline(level, color="grey", linestyle="--", linewidth=1)
            ax.annotate(text, (layers[0], level), xytext=(2, 3), textcoords="offset points",
                        fontsize=8, color="grey")
        ax.set_yscale("log")
        ax.set_xlabel("layer (1 = next to the input)")
        ax.set_ylabel("||dL/dW|| (log scale)")
        ax.set_title(title)
        ax.legend(loc="lower right")
        return ax


def _layer_list(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> 'layers 1-3 and 7'."""
    runs, start = [], numbers[0]
    for prev, cur in zip(numbers, [*numbers[1:], None], strict=True):
        if cur is None or cur != prev + 1:  # a run ends at prev
            runs.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    word = "layer" if len(numbers) == 1 else "layers"
    return f"{word} " + (runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1])


def _flags(lay: LayerReport, output: LayerReport, stats) -> tuple[str, ...]:
    t = THRESHOLDS
    ratios = (lay.grad_norm / max(output.grad_norm, 1e-300),
              lay.signal / max(output.signal, 1e-300))
    flags = []
    if min(ratios) < t["vanishing_vs_output"] or lay.step_ratio < t["vanishing_step"]:
        flags.append("vanishing")
    if max(ratios) > t["exploding_vs_output"] or lay.step_ratio > t["exploding_step"]:
        flags.append("exploding")
    if stats is not None and stats.saturated > t["saturated"]:
        flags.append("saturated")
    if stats is not None and stats.dead > t["dead"]:
        flags.append("dead")
    return tuple(flags)


def diagnose(model: Layer, X: np.ndarray, y: np.ndarray, *, loss=softmax_cross_entropy,
             lr: float = 0.01, train: bool = True) -> Report:
    """One forward and backward pass of ``model`` on ``(X, y)`` with ``loss`` (a function of
    ``vglib.losses``); a ``Report`` of every Dense layer with the flags described above.

    ``lr`` is the SGD learning rate used to express each gradient as a step size.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a vglib layer or Sequential; got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a loss function of vglib.losses; got {loss!r}")
    lr = _checks.real_number(lr, "lr", low=0.0, low_open=True)
    X = _checks.array(X, "X", ndim=2)
    y = _checks.targets(y, len(X), "y", labels=loss is softmax_cross_entropy)
    _checks.flag(train, "train")
    value, dout = loss(model.forward(X, train), y)
    model.backward(dout)
    groups: list[list] = []  # [name, Dense, activation layer or None]
    for name, layer in leaves(model):
        if isinstance(layer, Dense):
            groups.append([name, layer, None])
        elif is_activation(layer) and groups and groups[-1][2] is None:
            groups[-1][2] = layer
    if not groups:
        raise ValueError("model has no Dense layer to diagnose")
    grad_norms = grad_norm_per_layer(model)  # the Dense layers in the same (forward) order
    return build_report(
        [LayerMeasurement(name, dense.params["W"].shape, grad_norm, float(_stable.norm(dense.dy)),
                          float(_stable.norm(dense.params["W"])),
                          None if act is None else act.name,
                          None if act is None else activation_stats(act))
         for (name, dense, act), grad_norm in zip(groups, grad_norms.tolist(), strict=True)],
        lr=lr, loss=float(value))


@dataclass(frozen=True)
class LayerMeasurement:
    """What one pass measured of a Dense (or ``torch.nn.Linear``) layer and the activation after
    it: the input of ``build_report``."""

    name: str
    shape: tuple[int, int]  # (fan_in, fan_out)
    grad_norm: float  # ||dL/dW||
    signal: float  # ||dL/dz||
    weight_norm: float  # ||W||
    activation: str | None
    stats: ActivationStats | None


def build_report(layers: list[LayerMeasurement], *, lr: float, loss: float,
                 notes: str = "") -> Report:
    """The ``Report`` of measured layers (input side first, the output layer last): the flags
    by ``THRESHOLDS`` and the verdict. ``diagnose`` and ``vglib.torch.diagnose`` both end here,
    so a network gets the same report from either."""
    if not layers:
        raise ValueError("layers must hold at least the output layer")
    reports = [LayerReport(
        name=m.name, shape=tuple(m.shape), grad_norm=m.grad_norm, signal=m.signal,
        step_ratio=lr * m.grad_norm / max(m.weight_norm, 1e-300), activation=m.activation,
        act_mean=np.nan if m.stats is None else m.stats.mean,
        act_std=np.nan if m.stats is None else m.stats.std,
        saturated=np.nan if m.stats is None else m.stats.saturated,
        dead=np.nan if m.stats is None else m.stats.dead,
        flags=(),
    ) for m in layers]
    output = reports[-1]
    reports = [replace(lay, flags=_flags(lay, output, m.stats))
               for lay, m in zip(reports, layers, strict=True)]
    return Report(reports, lr, loss, notes=notes)
