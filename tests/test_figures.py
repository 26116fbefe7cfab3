"""The kernel-free HTML figures: self-contained, deterministic, within budget.

They are driven in a real browser by tests/test_browser.py; these checks need no browser.
"""

import json
import re

import pytest

from vglib import explorers
from vglib.figures import MAX_BYTES, KernelFreeFigure, prompt_markup


@pytest.fixture(scope="module")
def figures():
    return [explorers.signal_chain().html(), explorers.grad_norms_at_init().html()]


def embedded_data(figure):
    match = re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', figure.html)
    return json.loads(match.group(1))


def test_figures_load_nothing_from_anywhere(figures):
    for figure in figures:
        markup = figure.html.replace('"http://www.w3.org/2000/svg"', "")  # a name, not a request
        assert not re.search(r"https?://|src=|href=|@import|url\(", markup)


def test_figures_are_within_the_size_budget(figures):
    for figure in figures:
        assert figure.size_bytes <= MAX_BYTES
        assert figure.size_bytes == len(figure.html.encode())


def test_every_state_of_every_data_control_is_precomputed(figures):
    chain, grads = (embedded_data(f) for f in figures)
    assert len(chain["states"]) == len(explorers.FACTORS)
    assert len(grads["states"]) == (
        len(explorers.GRAD_NORM_ACTIVATIONS) * len(explorers.GRAD_NORM_DEPTHS)
    )
    depth_10 = explorers.GRAD_NORM_DEPTHS.index(10)
    sigmoid = grads["states"][f"0|{depth_10}"][0]
    assert len(sigmoid["y"]) == 11 and sigmoid["label"].startswith("sigmoid")


def test_output_is_deterministic():
    assert explorers.signal_chain().html().html == explorers.signal_chain().html().html


def test_controls_are_labelled_and_the_caption_is_the_text_alternative(figures):
    for figure in figures:
        ids = re.findall(r'<(?:input|select) [^>]*id="([^"]+)"', figure.html)
        assert ids
        for control_id in ids:
            assert f'<label for="{control_id}">' in figure.html
        assert re.search(r'<svg [^>]*role="img" aria-labelledby="[^"]+-title [^"]+-caption"',
                         figure.html)
        assert 'aria-live="polite"' in figure.html


def test_caption_shown_before_javascript_runs_is_the_default_state(figures):
    assert ("After 10 layers, a factor of 0.9 per layer has multiplied the signal by 0.349."
            in figures[0].html)


def test_repr_is_stable_and_informative(figures):
    assert re.fullmatch(r"KernelFreeFigure\('signal-chain': 2 controls, 34 precomputed states, "
                        r"\d+\.\d kB\)", repr(figures[0]))
    assert figures[0]._repr_html_() == figures[0].html


def test_the_prompts_are_listed_under_the_caption_each_with_what_the_reader_should_see(figures):
    chain = figures[0]
    caption_end = chain.html.index('class="vgfig-caption"')
    prompts = chain.html.index('class="vgfig-prompts"')
    assert caption_end < prompts < chain.html.index('<script type="application/json"')
    ex = chain.explorer
    assert chain.html.count("<li>") == len(ex.prompts) == chain.html.count("<details>")
    find_half = next(p for p in ex.prompts if "half of the signal" in p.text)
    assert find_half.text in chain.html
    # the answer sits behind the fold: the state and the caption the reader will see there
    assert ("<summary>What you should see</summary><p>factor per layer 0.99, number of layers "
            "100: “After 100 layers, a factor of 0.99 per layer has multiplied the signal by "
            "0.366.”</p><p>factor per layer 0.993, number of layers 100: “After 100 layers, a "
            "factor of 0.993 per layer has multiplied the signal by 0.495.”</p>") in chain.html
    assert prompt_markup(explorers.gradient_flow(controls=("depth",))) == ""
    assert "float32&#x27;s machine epsilon" in chain.html  # prompt text is escaped


def test_over_budget_and_bad_input_are_refused(monkeypatch):
    monkeypatch.setattr("vglib.figures.MAX_BYTES", 1000)
    with pytest.raises(ValueError, match="over the 1,000-byte budget"):
        explorers.signal_chain().html()
    with pytest.raises(TypeError, match="explorer must be a vglib Explorer"):
        KernelFreeFigure("signal-chain")


def test_vglib_and_the_html_figures_work_without_ipywidgets():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['ipywidgets'] = None\n"
        "import vglib, vglib.explorers, vglib.figures, vglib.widgets\n"
        "print(vglib.explorers.signal_chain().html().size_bytes > 0)\n"
        "try:\n    vglib.explorers.signal_chain().widget()\n"
        "except ImportError as err:\n    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "True",
        "vglib.widgets needs ipywidgets (pip install 'ipywidgets>=7.7'); "
        "the rest of vglib works without it",
    ]


def test_the_html_figures_need_no_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ImportError(name + ' is blocked for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from vglib import explorers, figures\n"
        "figure = explorers.exploding_recurrence().html()\n"
        "print(isinstance(figure, figures.KernelFreeFigure), figure.size_bytes > 10_000)\n"
        "print('matplotlib' in sys.modules)\n"
        "try:\n    import vglib.plots\n"
        "except ImportError as err:\n    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["True True", "False",
                                       "matplotlib is blocked for this test"]


def test_figure_js_has_no_colours_of_its_own():
    from pathlib import Path

    import vglib

    script = Path(vglib.__file__).with_name("figure.js").read_text()
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(", script)
    assert "PALETTE" not in script
    # a line is drawn in the colour its data carries (and text in the page's own colour)
    assert "var color = s.color;" in script


def test_every_line_carries_its_colour_from_vglibs_palette():
    import numpy as np

    from vglib._palette import ACTIVATION_COLORS, LINE_COLORS
    from vglib.interactive import Control, Explorer, Series

    def compute(n):  # n lines without a colour of their own, and one with
        x = np.arange(3.0)
        return [*(Series(f"line {i}", x, x + i + 1) for i in range(n)),
                Series("tanh", x, x + 10, color=ACTIVATION_COLORS["tanh"])]

    many = Explorer(name="many-lines", title="t", xlabel="x", ylabel="y",
                    controls=[Control("n", "lines", (1, 7), 7)], compute=compute,
                    caption="{end[0]}", alt="lines")
    data = embedded_data(many.html())
    seven = [line["color"] for line in data["states"]["1"]]
    assert seven == [*LINE_COLORS, LINE_COLORS[0], ACTIVATION_COLORS["tanh"]]  # 6 colours cycle
    assert [line["color"] for line in data["states"]["0"]] == [LINE_COLORS[0],
                                                               ACTIVATION_COLORS["tanh"]]


def test_the_book_figures_carry_the_activation_colours(figures):
    from vglib._palette import ACTIVATION_COLORS

    chain, grads = (embedded_data(f) for f in figures)
    assert {line["color"] for state in chain["states"].values() for line in state} == {
        ACTIVATION_COLORS["relu"]}
    sigmoid_at_10 = grads["states"][f"0|{explorers.GRAD_NORM_DEPTHS.index(10)}"][0]
    assert sigmoid_at_10["color"] == ACTIVATION_COLORS["sigmoid"]
