import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from vglib import widgets


def test_signal_chain_updates_the_same_line_when_a_slider_moves():
    box = widgets.signal_chain(factor=0.9, n_layers=10)
    factor_slider, layers_slider = box.children[0].children
    line = box.view.ax.get_lines()[0]
    assert np.isclose(line.get_ydata()[-1], 0.9**10)
    factor_slider.value = 0.5
    layers_slider.value = 20
    assert box.view.ax.get_lines()[0] is line  # the artist is reused, not redrawn from scratch
    assert np.isclose(line.get_ydata()[-1], 0.5**20)
    assert "0.5" in box.children[1].value and "20" in box.children[1].value


def test_grad_norms_widget_recomputes_for_activation_and_depth():
    box = widgets.grad_norms_at_init("sigmoid", 5)
    activation, depth = box.children[0].children
    line = box.view.ax.get_lines()[0]
    assert len(line.get_ydata()) == 6
    activation.value = "relu"
    depth.value = 12
    assert len(line.get_ydata()) == 13
    assert "relu" in box.children[1].value


def test_widgets_refuse_bad_input():
    with pytest.raises(ValueError, match="factor must be in"):
        widgets.signal_chain(factor=5.0)
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        widgets.grad_norms_at_init("relu", 0)
