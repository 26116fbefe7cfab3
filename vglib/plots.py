"""The book's figures. Each ``plot_*`` draws on a given matplotlib ``ax`` and returns it.

Call ``use_book_style()`` once at the top of a notebook for the shared look; nothing here
changes matplotlib's settings on import.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from . import activations as _activations
from ._palette import ACTIVATION_COLORS, OKABE_ITO  # chapters read plots.ACTIVATION_COLORS
from .chains import FlowSimulation, ProductStats

__all__ = [
    "ACTIVATION_COLORS",
    "plot_activation",
    "plot_chain_products",
    "plot_grad_norms",
    "plot_product_histogram",
    "plot_saturation",
    "plot_signal",
    "use_book_style",
]

BOOK_STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": mpl.cycler(color=list(ACTIVATION_COLORS.values())),
}


def use_book_style() -> None:
    """Apply the book's matplotlib settings (sizes, grid, colours) for the rest of the session."""
    mpl.rcParams.update(BOOK_STYLE)


def _color(name: str) -> str | None:
    return ACTIVATION_COLORS.get(name)


def plot_signal(
    ax: Axes,
    signals: dict[str, np.ndarray],
    *,
    log: bool = True,
    floor: float | None = None,
    title: str = "What is left of the signal after each layer",
) -> Axes:
    """Signal (entry ``k`` = after ``k`` layers) for each labelled chain, log scale by default.

    ``floor`` draws a dashed line, e.g. the float64 precision below which an update is lost.
    """
    for label, values in signals.items():
        ax.plot(np.arange(len(values)), values, marker="o", markersize=3, label=label)
    if floor is not None:
        ax.axhline(floor, color="grey", linestyle="--", linewidth=1)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("layers the signal has passed through")
    ax.set_ylabel("signal left" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.legend()
    return ax


def plot_activation(ax: Axes, name: str, z: np.ndarray | None = None) -> Axes:
    """An activation ``f(z)`` (solid) and its derivative ``f'(z)`` (dashed) on one axis."""
    fn = _activations.get(name)
    z = np.linspace(-6, 6, 601) if z is None else np.asarray(z, dtype=np.float64)
    color = _color(fn.name)
    ax.plot(z, fn.forward(z), color=color, label=f"{fn.name}(z)")
    ax.plot(z, fn.derivative(z), color=color, linestyle="--", label=f"{fn.name}'(z)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("value")
    ax.set_title(fn.name)
    ax.legend()
    return ax


def plot_saturation(
    ax: Axes, name: str = "sigmoid", *, z_max: float = 10.0, threshold: float = 0.01
) -> Axes:
    """``f'(z)`` over ``[-z_max, z_max]`` with the saturated regions (``f'(z) < threshold``)
    shaded: inputs there pass back less than ``threshold`` of the gradient.
    """
    fn = _activations.get(name)
    z = np.linspace(-z_max, z_max, 2001)
    d = fn.derivative(z)
    ax.plot(z, d, color=_color(fn.name), label=f"{fn.name}'(z)")
    ax.fill_between(
        z, 0, 1, where=d < threshold, color="grey", alpha=0.25,
        transform=ax.get_xaxis_transform(), label=f"saturated: {fn.name}' < {threshold:g}",
    )
    ax.set_xlim(-z_max, z_max)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel(f"{fn.name}'(z)")
    ax.set_title(f"Where {fn.name} stops passing gradients back")
    ax.legend(loc="upper right")
    return ax


def plot_chain_products(ax: Axes, chains: dict[str, np.ndarray], *, z: float) -> Axes:
    """Products of local derivatives after 1..n layers for each activation (log scale)."""
    for name, products in chains.items():
        layers = np.arange(1, len(products) + 1)
        ax.plot(layers, products, marker="o", color=_color(name), label=f"{name}: f'({z:g})^n")
    ax.set_yscale("log")
    ax.set_xlabel("number of layers n")
    ax.set_ylabel("product of local derivatives (log scale)")
    ax.set_title(f"Every layer sees z = {z:g}")
    ax.legend()
    return ax


def plot_product_histogram(
    ax: Axes,
    simulation: FlowSimulation,
    stats: ProductStats,
    *,
    bins: int | None = None,
    legend_loc: str = "upper left",
) -> Axes:
    """Histogram of log10 of the per-trial "ReLU" products, with mean, median, geometric mean.

    A product of 0.5s and 1.5s takes one value per count of 1.5s, evenly spaced in log10 (by
    log10 3); by default there is one bin per possible count, so no bar is split or empty.
    """
    logs = np.log10(simulation.relu)
    if bins is None:
        step = np.log10(3.0)
        low, high = logs.min() - step / 2, logs.max() + step / 2
        bins = np.linspace(low, high, int(np.rint((high - low) / step)) + 1)
    ax.hist(logs, bins=bins, color=_color("relu"), alpha=0.7)
    marks = [
        ("mean", stats.mean, "black", "-"),
        ("median", stats.median, OKABE_ITO["vermillion"], "--"),
        ("geometric mean", stats.geometric_mean, OKABE_ITO["bluish green"], ":"),
    ]
    for label, value, color, style in marks:
        ax.axvline(np.log10(value), color=color, linestyle=style, linewidth=2,
                   label=f"{label} = {value:.3g}")
    ax.set_xlabel(f"log10 of the product of {simulation.n_layers} random factors")
    ax.set_ylabel("number of trials")
    ax.set_title("One average, three answers")
    ax.legend(loc=legend_loc)
    return ax


def plot_grad_norms(
    ax: Axes,
    norms: dict[str, np.ndarray],
    *,
    title: str = "Gradient norm per layer",
    ylabel: str = "||dL/dW|| (log scale)",
    colors: dict[str, str] | None = None,
) -> Axes:
    """A per-layer norm (1 = next to the input) for each labelled network, log scale.

    Lines take ``colors[label]``, else the book's colour of an activation called ``label``,
    else the next colour of the cycle.
    """
    colors = colors or {}
    for label, values in norms.items():
        layers = np.arange(1, len(values) + 1)
        ax.plot(layers, values, marker="o", markersize=3, label=label,
                color=colors.get(label, _color(label)))
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return ax
