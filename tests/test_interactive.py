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


# -- prompts ----------------------------------------------------------------------------------

from vglib.claims import ClaimError  # noqa: E402
from vglib.prompts import Expect, Prompt, Quantity  # noqa: E402


def test_a_prompt_is_checked_against_the_state_it_asks_for():
    ex = toy(prompts=[Prompt("Double at every step: where does line a end after 3 steps?",
                             {"scale": 2.0, "upto": 3}, Expect("end[0]", "≈", 8, rel=0.01))])
    (line,) = ex.check_prompts()
    assert line == ("✓ Double at every step: where does line a end after 3 steps? (scale 2, "
                    "up to 3): end[0] = 8 ≈ 8 (within 0.01 relative)")
    assert ex.prompt_state(ex.prompts[0]) == {"scale": 2.0, "upto": 3}


def test_a_prompt_that_no_longer_holds_fails_the_figure_when_it_is_built():
    wrong = Prompt("Halve at every step: the line ends above 1.", {"scale": 0.5},
                   Expect("end[0]", ">", 1))
    with pytest.raises(ClaimError, match=r"the prompt no longer holds: 'Halve at every step: "
                                         r"the line ends above 1.' of figure 'toy' \(scale 0.5, "
                                         r"up to 5\): end\[0\] = 0.0312 > 1 is false"):
        toy(prompts=[wrong])


def test_a_prompt_value_must_be_a_state_of_the_figure():
    off_grid = Prompt("Try 1.5.", {"scale": 1.5}, Expect("end[0]", ">", 1))
    with pytest.raises(ValueError, match=r"sets scale=1.5, which is not a state of the figure: "
                                         r"scale takes 0.5, 2"):
        toy(prompts=[off_grid])
    unknown = Prompt("Try a speed.", {"speed": 2}, Expect("end[0]", ">", 1))
    with pytest.raises(ValueError, match=r"has no control 'speed' \(its controls: scale, upto\)"):
        toy(prompts=[unknown])
    elsewhere = Prompt("Compare.", {"scale": 2.0},
                       Expect(Quantity("end[0]", upto=4), ">", 1))
    with pytest.raises(ValueError, match="sets upto=4, which is not a state"):
        toy(prompts=[elsewhere])


def test_quantities_read_other_states_ratios_and_series_info():
    def compute(scale):
        x = np.arange(4)
        return [Series("a", x, scale ** x, info={"area": float(np.sum(scale ** x))})]

    ex = toy(compute=compute, caption="{end[0]}", prompts=[
        Prompt("Grow, then compare with shrinking.", {"scale": 2.0}, (
            Expect("end[0] / start[0]", "≈", 8, rel=1e-9),
            Expect("max[0]", ">", Quantity("max[0]", scale=0.5)),
            Expect(Quantity("end[0]") / Quantity("end[0]", scale=0.5), "≈", 64, rel=1e-9),
            Expect("area[0]", "in", (14, 16)),
            Expect("min[0]", "≈", 1, abs=1e-12),
        )),
    ])
    (line,) = ex.check_prompts()
    assert "area[0] = 15 in [14, 16]" in line
    assert "end[0] / end[0] at scale=0.5 = 64 ≈ 64" in line
    states = ex.prompt_states(ex.prompts[0])
    assert states == [{"scale": 2.0, "upto": 5}, {"scale": 0.5, "upto": 5}]
    with pytest.raises(ValueError, match=r"width\[0\] is not a reading of the figure "
                                         r"\(start, end, min, max, or one of \['area'\]\)"):
        toy(compute=compute, caption="{end[0]}",
            prompts=[Prompt("p", {"scale": 2.0}, Expect("width[0]", ">", 1))])
    with pytest.raises(ValueError, match=r"end\[2\] reads series 2, but the figure shows 1"):
        toy(compute=compute, caption="{end[0]}",
            prompts=[Prompt("p", {"scale": 2.0}, Expect("end[2]", ">", 1))])


def test_conditions_cannot_be_vacuous():
    with pytest.raises(TypeError, match="bound must be a number; got True"):
        Expect("end[0]", "<", True)
    with pytest.raises(ValueError, match="relation='==' is unknown"):
        Expect("end[0]", "==", 1)
    with pytest.raises(ValueError, match="bound must be finite"):
        Expect("end[0]", "<", float("inf"))
    with pytest.raises(ValueError, match="bound must be finite"):
        Expect("end[0]", "in", (float("-inf"), float("inf")))
    with pytest.raises(ValueError, match="low < high"):
        Expect("end[0]", "in", (2, 1))
    with pytest.raises(ValueError, match="needs a tolerance"):
        Expect("end[0]", "≈", 1)
    with pytest.raises(ValueError, match=r"rel must be in \(0, 0.5\]"):
        Expect("end[0]", "≈", 1, rel=2)
    with pytest.raises(ValueError, match="belong to relation '≈'"):
        Expect("end[0]", "<", 1, rel=0.1)
    with pytest.raises(ValueError, match="a quantity reads one series"):
        Expect("the end", "<", 1)
    with pytest.raises(ValueError, match="one reading or the ratio of two"):
        Quantity("end[0] / start[0]") / Quantity("end[0]")
    with pytest.raises(ValueError, match="a prompt needs its text"):
        Prompt(" ", {"scale": 2.0}, Expect("end[0]", "<", 1))
    with pytest.raises(ValueError, match="settings must name the control values"):
        Prompt("Look.", {}, Expect("end[0]", "<", 1))
    with pytest.raises(TypeError, match="expect must be one Expect or several"):
        Prompt("Look.", {"scale": 2.0}, ())
    with pytest.raises(TypeError, match="must be Prompt objects"):
        toy(prompts=["set the scale to 2"])
