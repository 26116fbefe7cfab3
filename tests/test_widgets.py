import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from vglib import explorers  # noqa: E402
from vglib.figures import prompt_markup  # noqa: E402
from vglib.widgets import ExplorerView, explorer_widget  # noqa: E402


def test_widget_has_the_same_controls_and_values_as_the_html_figure():
    ex = explorers.grad_norms_at_init()
    box = ex.widget()
    assert list(box.controls) == [c.name for c in ex.controls]
    assert isinstance(box.controls["activation"], ipywidgets.Dropdown)
    assert isinstance(box.controls["depth"], ipywidgets.SelectionSlider)
    assert [value for _, value in box.controls["depth"].options] == list(ex.controls[1].values)


def test_moving_a_slider_updates_the_same_artists_and_the_caption():
    ex = explorers.signal_chain()
    box = ex.widget()
    line = box.view.lines[0]
    first_png = bytes(box.image.value)
    assert box.image.format == "png" and first_png.startswith(b"\x89PNG")
    box.controls["factor"].value = 0.5
    box.controls["layers"].value = 20
    assert box.view.lines[0] is line  # updated in place, not re-created
    assert np.isclose(line.get_ydata()[-1], 0.5**20) and len(line.get_xdata()) == 21
    assert box.caption.value == ex.caption_for({"factor": 0.5, "layers": 20})
    assert bytes(box.image.value) != first_png


def test_redraw_from_cached_axes_is_pixel_identical_to_a_full_draw():
    ex = explorers.signal_chain()
    view = ExplorerView(ex)
    view.draw({"factor": 0.9, "layers": 10})
    full = view.png()
    view.draw({"factor": 0.5, "layers": 60})
    view.png()
    view.draw({"factor": 0.9, "layers": 10})
    assert view.png() == full


def test_the_widget_shows_the_same_prompts_as_the_html_figure():
    ex = explorers.signal_chain()
    box = ex.widget()
    assert box.children[-1] is box.prompts
    assert box.prompts.value == prompt_markup(ex) and "half of the signal" in box.prompts.value


def test_refuses_something_that_is_not_an_explorer():
    with pytest.raises(TypeError, match="explorer must be a vglib Explorer"):
        explorer_widget("signal-chain")


def test_all_five_network_controls_redraw_the_figure():
    box = explorers.gradient_flow().widget()
    assert [w.description for w in box.controls.values()] == [
        "activation", "hidden layers", "init scale", "normalisation", "skip connections"]
    changes = {"activation": "tanh", "depth": 5, "init_scale": 0.5, "norm": "LayerNorm",
               "skip": "residual"}
    for name, value in changes.items():
        before = (bytes(box.image.value), box.caption.value)
        box.controls[name].value = value
        assert (bytes(box.image.value), box.caption.value) != before, name
    assert box.caption.value.startswith("tanh, LayerNorm, residual, init scale 0.5, 5 hidden")


def test_the_widget_draws_every_line_in_the_colour_the_html_figure_gives_it():
    import json
    import re

    from matplotlib.colors import to_hex

    from vglib.interactive import Control, Explorer, Series

    def compute(n):  # n lines without a colour of their own
        return [Series(f"line {i}", [0, 1, 2], [1, 2, 3 + i]) for i in range(n)]

    ex = Explorer(name="plain-lines", title="t", xlabel="x", ylabel="y",
                  controls=[Control("n", "lines", (2, 8), 8)], compute=compute,
                  caption="{end[0]}", alt="lines")
    view = ExplorerView(ex)
    view.draw({"n": 8})
    drawn = [to_hex(line.get_color()).upper() for line in view.lines]
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>',
                                ex.html().html).group(1))
    html_colors = [line["color"].upper() for line in data["states"]["1"]]
    assert drawn == html_colors and len(set(drawn)) == 6  # six colours, then they repeat
