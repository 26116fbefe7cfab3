import numpy as np
import pytest

from vglib.interactive import Control, Explorer, Series


def toy(**overrides):
    def compute(scale):
        x = np.arange(6)
        return [Series("a", x, scale ** x, note=f"scale {scale}"), Series("b", x, np.ones(6))]

    spec = dict(
        name="toy", title="Toy", xlabel="x", ylabel="y", compute=compute,
        controls=[Control("scale", "scale", (0.5, 2.0), 0.5),
                  Control("upto", "up to", (2, 3, 5), 5, role="xmax")],
        caption="scale {scale} up to {upto}: {start[0]} -> {end[0]}, flat {end[1]} ({note})",
        alt="a toy",
    )
    spec.update(overrides)
    return Explorer(**spec)


def test_caption_fills_controls_and_the_visible_ends_of_series():
    ex = toy()
    expected = "scale 2 up to 3: 1 -> 8, flat 1 (scale 2.0)"
    assert ex.caption_for({"scale": 2.0, "upto": 3}) == expected
    assert ex.caption_for(ex.defaults()) == "scale 0.5 up to 5: 1 -> 0.0312, flat 1 (scale 0.5)"


def test_series_are_computed_once_per_data_state():
    calls = []

    def compute(scale):
        calls.append(scale)
        return [Series("a", [0, 1], [1, scale])]

    ex = toy(compute=compute, caption="{scale}")
    ex.series(scale=0.5)
    ex.series(scale=0.5)
    assert calls == [0.5]
    assert [s["scale"] for s in ex.states()] == [0.5, 2.0]


def test_xmax_control_crops_the_lines():
    ex = toy()
    lines = ex.visible(ex.series(scale=2.0), 2)
    assert list(lines[0].x) == [0, 1, 2] and list(lines[0].y) == [1, 2, 4]


def test_log_y_range_is_whole_decades_and_at_least_three_of_them():
    ex = toy()
    flat = [Series("a", [0, 1], [0.5, 0.6])]
    assert ex.y_range(flat) == (1e-2, 1e1)
    steep = [Series("a", [0, 1], [1e-8, 0.3])]
    assert ex.y_range(steep) == (1e-9, 1e0)


def test_numpy_values_become_plain_python():
    control = Control("f", "f", tuple(np.linspace(0.1, 0.3, 3)), np.float64(0.1))
    assert all(type(v) is float for v in control.values) and type(control.default) is float


def test_bad_specifications_are_refused():
    with pytest.raises(ValueError, match="default=7 of control 'k' is not one of its values"):
        Control("k", "k", (1, 2), 7)
    with pytest.raises(ValueError, match="needs at least 2 values"):
        Control("k", "k", (1,), 1)
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        Control("a b", "k", (1, 2), 1)
    with pytest.raises(ValueError, match="kind='knob' is unknown"):
        Control("k", "k", (1, 2), 1, kind="knob")
    with pytest.raises(ValueError, match="role='zoom' is unknown"):
        Control("k", "k", (1, 2), 1, role="zoom")
    with pytest.raises(ValueError, match=r"caption placeholder \{speed\} is not a control name"):
        toy(caption="{speed}")
    with pytest.raises(ValueError, match="name must be lowercase"):
        toy(name="Toy Figure")
    with pytest.raises(ValueError, match="x and y must be 1-D of the same length"):
        Series("a", [1, 2], [1])
    with pytest.raises(TypeError, match="must return a list of Series"):
        toy(compute=lambda scale: [1, 2]).series(scale=0.5)
