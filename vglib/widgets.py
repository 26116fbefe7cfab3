"""ipywidgets controls wired to vglib's ``compute_*`` and ``plot_*`` functions.

For Jupyter, JupyterLab and Colab (ipywidgets 7.7 and 8.x). ipywidgets is imported only when a
widget is built, so the rest of vglib works without it. Each widget draws on one matplotlib
figure that it keeps: a control change updates the plotted data in place and re-renders that
figure, instead of building a new one.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import _checks
from . import plots as _plots
from .chains import signal_after_layers
from .diagnose import compute_grad_norms_at_init

__all__ = ["grad_norms_at_init", "signal_chain"]


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "vglib.widgets needs ipywidgets (pip install 'ipywidgets>=7.7'); "
            "the rest of vglib works without it"
        ) from err
    return ipywidgets


class _FigureView:
    """A matplotlib figure shown in an ``ipywidgets.Output`` and re-rendered on request."""

    def __init__(self, widgets, figsize=(7.0, 4.0)):
        self.figure = Figure(figsize=figsize)
        self.ax = self.figure.add_subplot()
        self.output = widgets.Output()

    def show_line(self, line, x, y, *, label: str, caption, text: str) -> None:
        """Put ``(x, y)`` into ``line`` on the log y-axis, rescale, set the caption, re-render."""
        line.set_data(x, y)
        line.set_label(label)
        self.ax.set_xlim(x[0] - 0.5, x[-1] + 0.5)
        self.ax.set_ylim(max(float(np.min(y)), 1e-300) / 3, float(np.max(y)) * 3)
        self.ax.legend()
        caption.value = text
        self.render()

    def render(self) -> None:
        from IPython.display import display

        self.figure.canvas.draw_idle()
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)


def _wire(widgets, controls, caption, view, update):
    """Call ``update(*values)`` whenever a control changes; lay out controls, caption, figure.

    Returns the ``VBox``, with ``.update`` and ``.view`` attached for code and tests.
    """

    def on_change(_change=None) -> None:
        update(*(control.value for control in controls))

    for control in controls:
        control.observe(on_change, names="value")
    box = widgets.VBox([widgets.HBox(controls), caption, view.output])
    box.update, box.view = update, view
    on_change()
    return box


def signal_chain(factor: float = 0.9, n_layers: int = 10):
    """Sliders for a per-layer factor and a number of layers; plots the signal left (log axis).

    Returns an ``ipywidgets.VBox``; its ``.update(factor, n_layers)`` redraws (also used by the
    sliders), ``.view.ax`` is the axis.
    """
    widgets = _ipywidgets()
    factor = _checks.real_number(factor, "factor", low=0.05, high=1.5)
    n_layers = _checks.positive_int(n_layers, "n_layers")
    factor_slider = widgets.FloatSlider(
        value=factor, min=0.05, max=1.5, step=0.05, description="factor",
        continuous_update=True, readout_format=".2f",
    )
    layers_slider = widgets.IntSlider(
        value=n_layers, min=1, max=100, step=1, description="layers", continuous_update=True
    )
    caption = widgets.HTML()
    view = _FigureView(widgets)
    _plots.plot_signal(view.ax, {"signal": signal_after_layers(factor, n_layers)})
    (line,) = view.ax.get_lines()

    def update(factor: float, n_layers: int) -> None:
        values = signal_after_layers(factor, n_layers)
        view.show_line(
            line, np.arange(n_layers + 1), values, label=f"factor {factor:.2f}", caption=caption,
            text=f"After <b>{n_layers}</b> layers a factor of <b>{factor:.2f}</b> leaves "
            f"<b>{values[-1]:.3g}</b> of the signal.",
        )

    return _wire(widgets, [factor_slider, layers_slider], caption, view, update)


def grad_norms_at_init(activation: str = "sigmoid", depth: int = 10, *, seed: int = 0):
    """A dropdown for the activation and a slider for the depth; plots ``||dL/dW||`` per layer
    of a freshly initialised network (``diagnose.compute_grad_norms_at_init``).

    Returns an ``ipywidgets.VBox`` with ``.update(activation, depth)`` and ``.view``.
    """
    widgets = _ipywidgets()
    depth = _checks.positive_int(depth, "depth")
    seed = _checks.positive_int(seed, "seed", minimum=0)
    activation_box = widgets.Dropdown(
        options=["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"],
        value=activation, description="activation",
    )
    depth_slider = widgets.IntSlider(
        value=depth, min=2, max=50, step=1, description="depth", continuous_update=False
    )
    caption = widgets.HTML()
    view = _FigureView(widgets)
    _plots.plot_grad_norms(view.ax, {activation: np.ones(depth + 1)})
    (line,) = view.ax.get_lines()

    def update(activation: str, depth: int) -> None:
        result = compute_grad_norms_at_init(activation, depth, rng=np.random.default_rng(seed))
        line.set_color(_plots.ACTIVATION_COLORS[result.activation])
        view.show_line(
            line, result.layers, result.norms, label=f"{result.activation}, {result.init} init",
            caption=caption,
            text=f"{result.activation}, depth {depth}: layer 1 gets a gradient "
            f"<b>{result.norms[0]:.2g}</b>, the output layer <b>{result.norms[-1]:.2g}</b>.",
        )

    return _wire(widgets, [activation_box, depth_slider], caption, view, update)
