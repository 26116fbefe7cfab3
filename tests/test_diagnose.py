import ast
from pathlib import Path

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import diagnose, probe
from vglib.losses import mse, softmax_cross_entropy
from vglib.models import mlp


def test_diagnose_exports_only_what_it_defines():
    # the measurements live in probe and signals, under one name each; no re-exports here
    tree = ast.parse(Path(diagnose.__file__).read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    defined |= {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert set(diagnose.__all__) <= defined, sorted(set(diagnose.__all__) - defined)
    assert {"diagnose", "Report", "LayerReport", "THRESHOLDS"} <= set(diagnose.__all__)


@pytest.fixture
def spirals_batch():
    return __import__("vglib").data.spirals(256, np.random.default_rng(0))


def test_diagnose_finds_vanishing_gradients_in_a_deep_sigmoid_net(spirals_batch):
    X, y = spirals_batch
    model = mlp(2, 32, 10, 2, activation="sigmoid", init="xavier_normal",
                rng=np.random.default_rng(1))
    report = diagnose.diagnose(model, X, y, lr=0.1)
    assert list(report.flags) == [name for name, _ in probe.dense_layers(model)]
    assert report.flags["0"] == ["vanishing"] and report.flags["20"] == []
    assert report.verdict.startswith("Vanishing in layers 1-")
    assert report.layers[0].activation == "sigmoid" and report.layers[-1].activation is None
    text = str(report)
    assert "||dL/dW||" in text and " ".join(text.split()).endswith(report.verdict)


def test_diagnose_calls_a_healthy_relu_net_healthy(spirals_batch):
    X, y = spirals_batch
    model = mlp(2, 32, 10, 2, rng=np.random.default_rng(1))
    report = diagnose.diagnose(model, X, y, lr=0.1)
    assert all(flags == [] for flags in report.flags.values())
    assert report.verdict.startswith("Healthy")


def test_diagnose_finds_dead_saturated_and_exploding_layers(spirals_batch):
    X, y = spirals_batch
    dead = mlp(2, 32, 6, 2, rng=np.random.default_rng(1))
    dead.layers[4].params["b"][:] = -10.0  # every unit of hidden layer 3 off for every example
    assert "dead" in diagnose.diagnose(dead, X, y).flags["4"]
    hot = mlp(2, 32, 6, 2, activation="tanh", init=1.0, rng=np.random.default_rng(1))
    assert "saturated" in diagnose.diagnose(hot, X, y, lr=0.1).flags["4"]
    # linear layers with weights of std 1 and 32 inputs multiply the gradient by about
    # sqrt(32) per layer on its way back: layer 1 gets thousands of times the output layer's
    loud = mlp(2, 32, 6, 2, activation="identity", init=1.0, rng=np.random.default_rng(1))
    assert "exploding" in diagnose.diagnose(loud, X, y, lr=1e-6).flags["0"]


def test_report_helpers_render_and_plot(spirals_batch):
    import matplotlib.pyplot as plt

    X, y = spirals_batch
    report = diagnose.diagnose(mlp(2, 8, 3, 2, activation="sigmoid", rng=np.random.default_rng(1)),
                               X, y, loss=softmax_cross_entropy, lr=0.01)
    assert "<table" in report._repr_html_() and report.verdict in report._repr_html_()
    fig, ax = plt.subplots()
    assert report.plot(ax) is ax and ax.get_yscale() == "log"
    plt.close(fig)


def test_diagnose_accepts_other_losses_and_refuses_bad_input(rng):
    X = rng.standard_normal((32, 3))
    model = mlp(3, 8, 2, 1, rng=rng)
    report = diagnose.diagnose(model, X, X[:, :1], loss=mse)
    assert len(report.layers) == 3
    with pytest.raises(TypeError, match="loss must be a loss function"):
        diagnose.diagnose(model, X, X[:, :1], loss="mse")
    with pytest.raises(ValueError, match="lr must be in"):
        diagnose.diagnose(model, X, X[:, :1], loss=mse, lr=0)
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        diagnose.diagnose("model", X, X)


# -- the rules: every threshold, each flag on both sides of it ---------------------------------

def test_thresholds_are_the_documented_ones():
    assert diagnose.THRESHOLDS == {
        "vanishing_vs_output": 1e-3,
        "exploding_vs_output": 1e3,
        "vanishing_step": 1e-6,
        "exploding_step": 0.1,
        "saturated": 0.5,
        "dead": 0.5,
    }


def _linear_loss(out, target):
    """L = sum(out * target): the gradient reaching the output is ``target``, whatever ``out``."""
    return float(np.sum(out * target)), target.copy()


def _two_scalar_layers(a, c):
    """x -> Dense(1, 1) with weight a -> identity -> Dense(1, 1) with weight c (no biases).

    With four inputs and targets of 1 (``_linear_loss``), for the first layer: signal ratio
    ||dL/dz|| / the output layer's = c, ||dL/dW|| ratio = c / a, SGD step ratio = 4 lr c / a.
    """
    from vglib.layers import Activation, Dense, Sequential

    rng = np.random.default_rng(0)
    model = Sequential([Dense(1, 1, init=0.0, rng=rng), Activation("identity"),
                        Dense(1, 1, init=0.0, rng=rng)])
    model.layers[0].params["W"][...] = a
    model.layers[2].params["W"][...] = c
    return model


# Each rule as (a, c, lr) for a factor f times its threshold, and the flag it raises on the far
# side; the other two measures sit in their healthy range. Measured just below and just above
# (f = 1 -+ 1e-6): a threshold moved by more than a millionth of itself is caught.
RULES = {
    "signal_vanishing": (lambda f: (1e-3 * f, 1e-3 * f, 0.25e-3), "vanishing", "below"),
    "grad_vanishing": (lambda f: (1 / (1e-3 * f), 1.0, 0.25), "vanishing", "below"),
    "step_vanishing": (lambda f: (1.0, 1.0, 1e-6 * f / 4), "vanishing", "below"),
    "signal_exploding": (lambda f: (1e3 * f, 1e3 * f, 0.25e-3), "exploding", "above"),
    "grad_exploding": (lambda f: (1 / (1e3 * f), 1.0, 0.25e-5), "exploding", "above"),
    "step_exploding": (lambda f: (1.0, 1.0, 0.1 * f / 4), "exploding", "above"),
}


@pytest.mark.parametrize("side", ["below", "above"])
@pytest.mark.parametrize("case", list(RULES))
def test_vanishing_and_exploding_flags_switch_at_their_thresholds(case, side):
    rule, flag, flagged_side = RULES[case]
    a, c, lr = rule(1 - 1e-6 if side == "below" else 1 + 1e-6)
    x = np.ones((4, 1))
    report = diagnose.diagnose(_two_scalar_layers(a, c), x, np.ones((4, 1)), loss=_linear_loss,
                               lr=lr)
    first, output = report.layers
    assert first.signal / output.signal == pytest.approx(c, rel=1e-12)
    assert first.grad_norm / output.grad_norm == pytest.approx(c / a, rel=1e-12)
    assert first.step_ratio == pytest.approx(4 * lr * c / a, rel=1e-12)
    assert report.flags["0"] == ([flag] if side == flagged_side else [])


def _saturated_or_dead(kind, count):
    """A hidden layer of 10 whose activation is saturated (sigmoid, ``count`` of 10 entries at
    z = 10) or dead (ReLU, ``count`` of 10 units with z = -99 for every example)."""
    from vglib.layers import Activation, Dense, Sequential

    rng = np.random.default_rng(0)
    if kind == "saturated":  # one unit, ten examples: the fraction is over entries
        model = Sequential([Dense(1, 1, init=0.0, rng=rng), Activation("sigmoid"),
                            Dense(1, 1, rng=rng)])
        model.layers[0].params["W"][...] = 1.0
        x = np.array([10.0] * count + [0.0] * (10 - count)).reshape(10, 1)
    else:  # ten units, four examples: the fraction is over units
        model = Sequential([Dense(1, 10, init=0.0, rng=rng), Activation("relu"),
                            Dense(10, 1, rng=rng)])
        model.layers[0].params["W"][...] = 1.0
        model.layers[0].params["b"][:count] = -100.0
        x = np.ones((4, 1))
    return model, x


@pytest.mark.parametrize("kind", ["saturated", "dead"])
def test_saturated_and_dead_flags_need_more_than_half(kind):
    for count, flagged in ((5, False), (6, True)):
        model, x = _saturated_or_dead(kind, count)
        report = diagnose.diagnose(model, x, np.ones((len(x), 1)), loss=_linear_loss, lr=1e-3)
        assert getattr(report.layers[0], kind) == pytest.approx(count / 10)
        assert (kind in report.flags["0"]) is flagged, (count, report.flags["0"])


# -- the report: verdict, table and plot of given per-layer numbers ----------------------------

def _layer(i, flags=(), activation="tanh", grad_norm=None):
    """A LayerReport with simple, distinct numbers (layer i of a hand-made report)."""
    return diagnose.LayerReport(
        name=str(2 * (i - 1)), shape=(3, 4), grad_norm=grad_norm or 10.0 ** -i,
        signal=2.0 * 10.0 ** -i, step_ratio=3e-4 * i, activation=activation,
        act_mean=0.125 * i, act_std=0.5, saturated=0.25, dead=0.0625, flags=tuple(flags))


def _report(flags_per_layer, activations=None):
    n = len(flags_per_layer)
    activations = activations or ["tanh"] * (n - 1) + [None]
    return diagnose.Report([_layer(i, flags, act) for i, (flags, act)
                            in enumerate(zip(flags_per_layer, activations, strict=True), 1)],
                           lr=0.05, loss=0.6931)


def test_the_verdict_names_each_flag_with_its_layers_and_what_helps():
    report = _report([["vanishing"], ["vanishing", "dead"], ["vanishing"], ["saturated"],
                      ["vanishing"], ["exploding"], []])
    assert report.verdict == (
        "Vanishing in layers 1-3 and 5 of 7: gradients vanish on their way back, so these "
        "layers barely learn; check the activation, the initial weight scale and the depth. "
        "Dead in layer 2 of 7: most units output zero for every example and pass no gradient "
        "back; look for a large negative bias or a too-large learning-rate step (in a deep, "
        "narrow ReLU network it can also mean that the inputs have become nearly identical by "
        "this depth). "
        "Saturated in layer 4 of 7: most units sit where their activation is flat; inputs are "
        "too large for the activation (initial scale, normalisation). "
        "Exploding in layer 6 of 7: gradients explode, so a step would throw these weights far "
        "away; lower the learning rate, clip the gradients or rescale the weights.")


@pytest.mark.parametrize("layers, words", [
    ([1], "layer 1"), ([2, 3], "layers 2-3"), ([1, 3, 5], "layers 1, 3 and 5"),
    ([1, 2, 3, 5, 6, 8], "layers 1-3, 5-6 and 8"), ([4, 5, 6, 7, 8], "layers 4-8"),
])
def test_the_verdict_writes_layer_numbers_as_runs(layers, words):
    report = _report([["dead"] if i in layers else [] for i in range(1, 9)])
    assert report.verdict.startswith(f"Dead in {words} of 8: ")


def test_a_healthy_verdict_gives_the_spread_of_the_gradient_norms():
    report = _report([[], [], []])  # grad norms 0.1, 0.01, 0.001
    assert report.verdict == (
        "Healthy: the gradient norms of all 3 layers are within a factor of 100 of each other, "
        "no activation is mostly saturated or dead, and an SGD step at lr=0.05 moves every "
        "layer by a sensible fraction.")
    assert report.flags == {"0": [], "2": [], "4": []}


def test_the_table_has_one_row_per_layer_and_marks_the_flags():
    from vglib.tables import Mark

    report = _report([["vanishing", "saturated"], ["dead"], []],
                     activations=["tanh", "relu", None])
    table = report.table()
    assert table.columns == ["layer", "shape", "||dL/dz||", "||dL/dW||", "step/W", "act",
                             "mean", "std", "satur.", "dead", "flags"]
    assert table.rows[0] == [1, "3x4", "2.00e-01", "1.00e-01", "3.0e-04", "tanh", "0.125",
                             "0.5", "25%", "6%", Mark("\u25bc vanishing, \u25c6 saturated",
                                                      symbol="")]
    assert table.rows[1][-1] == Mark("\u2715 dead", symbol="")
    assert table.rows[2] == [3, "3x4", "2.00e-03", "1.00e-03", "9.0e-04", "-", "-", "-", "-",
                             "-", Mark("ok", tone="good")]
    assert table.title == "diagnose: 3 Dense layers, loss 0.6931, step/W for plain SGD at lr=0.05"
    assert table.notes == report.verdict
    assert report._repr_html_() == table._repr_html_()
    # the text form leaves out mean and std; "act" stays, as the activations differ
    compact = report.table(compact=True)
    assert compact.columns == ["layer", "shape", "||dL/dz||", "||dL/dW||", "step/W", "act",
                               "satur.", "dead", "flags"]
    assert compact.rows[0][:6] == [1, "3x4", "2.00e-01", "1.00e-01", "3.0e-04", "tanh"]
    assert compact.title == table.title and repr(report) == str(report) == repr(compact)


def test_the_compact_table_names_a_single_activation_in_its_title():
    compact = _report([[], [], []]).table(compact=True)
    assert "act" not in compact.columns and "mean" not in compact.columns
    assert compact.columns == ["layer", "shape", "||dL/dz||", "||dL/dW||", "step/W", "satur.",
                               "dead", "flags"]
    assert compact.rows[1] == [2, "3x4", "2.00e-02", "1.00e-02", "6.0e-04", "25%", "6%",
                               compact.rows[1][-1]]
    assert compact.title.startswith("diagnose: 3 Dense layers (tanh), loss 0.6931")


def test_the_plot_shows_the_norms_the_flagged_layers_and_both_thresholds():
    import matplotlib.pyplot as plt

    report = _report([["vanishing"], [], ["exploding", "dead"], []])
    fig, ax = plt.subplots()
    try:
        assert report.plot(ax) is ax
        (line,) = ax.get_lines()[:1]
        assert list(line.get_xdata()) == [1, 2, 3, 4]
        assert np.allclose(line.get_ydata(), [0.1, 0.01, 1e-3, 1e-4])
        assert line.get_label() == "||dL/dW||" and line.get_marker() == "o"
        (marks,) = ax.collections
        assert np.allclose(marks.get_offsets(), [[1, 0.1], [3, 1e-3]])
        assert marks.get_label() == "flagged"
        texts = [t.get_text() for t in ax.texts]
        assert texts == ["vanishing", "exploding, dead", "vanishing below", "exploding above"]
        levels = [ln.get_ydata()[0] for ln in ax.get_lines()[1:]]
        assert np.allclose(levels, [1e-4 * 1e-3, 1e-4 * 1e3])  # the output layer's, x 1e-/+3
        assert all(ln.get_linestyle() == "--" for ln in ax.get_lines()[1:])
        assert ax.get_yscale() == "log"
        assert ax.get_title() == "diagnose: gradient norm per layer"
        assert ax.get_xlabel() == "layer (1 = next to the input)"
        assert ax.get_ylabel() == "||dL/dW|| (log scale)"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["||dL/dW||", "flagged"]
    finally:
        plt.close(fig)
    fig, ax = plt.subplots()
    try:
        _report([[], []]).plot(ax, title="healthy")
        assert len(ax.collections) == 0 and ax.get_title() == "healthy"
    finally:
        plt.close(fig)


_DX, _DY = np.random.default_rng(0).standard_normal((6, 2)), np.arange(6) % 2

# every argument diagnose checks, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "model": (lambda: diagnose.diagnose("net", _DX, _DY), "model"),
    "X": (lambda: diagnose.diagnose(mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), _DX[0], _DY),
          "X"),
    "y": (lambda: diagnose.diagnose(mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), _DX,
                                    _DY[:2]), "y"),
    "loss": (lambda: diagnose.diagnose(mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), _DX, _DY,
                                       loss=None), "loss"),
    "lr": (lambda: diagnose.diagnose(mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), _DX, _DY,
                                     lr=-1.0), "lr"),
    "train": (lambda: diagnose.diagnose(mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), _DX,
                                        _DY, train="yes"), "train"),
    "no Dense": (lambda: diagnose.diagnose(
        __import__("vglib").layers.Activation("relu"), _DX, _DX, loss=mse), "model"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_diagnose_can_judge_the_network_in_inference_mode():
    from vglib.layers import Activation, BatchNorm, Dense, Sequential

    rng = np.random.default_rng(0)
    model = Sequential([Dense(2, 3, rng=rng), BatchNorm(3), Activation("tanh"),
                        Dense(3, 2, rng=rng)])
    X = rng.standard_normal((6, 2)) * 50.0 + 100.0
    trained, fixed = (diagnose.diagnose(model, X, _DY, train=mode) for mode in (True, False))
    # BatchNorm's starting statistics (mean 0, variance 1) leave inputs near 100 saturated
    assert trained.layers[0].saturated < 0.5 < fixed.layers[0].saturated
    assert fixed.loss != trained.loss and fixed.lr == 0.01


def _one_example(a, c, lr, target=1.0):
    """diagnose on ``_two_scalar_layers(a, c)`` with one example (x = 1, dL/dout = target):
    the first layer's signal ratio is c, its gradient ratio c / a, its step ratio lr c / a."""
    return diagnose.diagnose(_two_scalar_layers(a, c), np.ones((1, 1)), np.full((1, 1), target),
                             loss=_linear_loss, lr=lr)


@pytest.mark.parametrize("a, c, lr, measure, threshold", [
    (1e-3, 1e-3, 1e-3, "signal", 1e-3), (1e3, 1.0, 1.0, "grad", 1e-3),
    (1e3, 1e3, 1e-3, "signal", 1e3), (1e-3, 1.0, 1e-6, "grad", 1e3),
    (1.0, 1.0, 1e-6, "step", 1e-6), (1.0, 1.0, 0.1, "step", 0.1),
])
def test_a_measure_exactly_at_its_threshold_raises_no_flag(a, c, lr, measure, threshold):
    # the rules say "below" and "above": equality is healthy
    report = _one_example(a, c, lr)
    first, output = report.layers
    value = {"signal": first.signal / output.signal, "grad": first.grad_norm / output.grad_norm,
             "step": first.step_ratio}[measure]
    assert value == threshold
    assert report.flags["0"] == []


def test_ratios_to_a_tiny_output_gradient_are_still_ratios():
    # an output gradient of 1e-5 with every layer alike: healthy, nothing vanishes
    report = _one_example(1.0, 1.0, 1.0, target=1e-5)  # steps of 1e-5: healthy
    assert report.layers[1].signal == pytest.approx(1e-5)
    assert report.flags == {"0": [], "2": []}


def test_each_dense_layer_is_judged_with_the_first_activation_after_it():
    from vglib.layers import Activation, BatchNorm, Dense, Sequential

    rng = np.random.default_rng(0)
    model = Sequential([Activation("tanh"),  # before any Dense: belongs to none
                        Dense(2, 3, rng=rng), BatchNorm(3), Activation("relu"),
                        Activation("sigmoid"),  # a second activation: not the layer's
                        Dense(3, 3, rng=rng), Dense(3, 2, rng=rng)])
    X = rng.standard_normal((8, 2))
    report = diagnose.diagnose(model, X, np.arange(8) % 2)
    assert [lay.activation for lay in report.layers] == ["relu", None, None]
    stats = probe.activation_stats(model.layers[3])
    first = report.layers[0]
    assert (first.act_mean, first.act_std, first.saturated, first.dead) == (
        stats.mean, stats.std, stats.saturated, stats.dead)
    assert np.isnan(report.layers[1].act_mean) and np.isnan(report.layers[2].dead)
    assert report.layers[1].shape == (3, 3) and report.layers[0].shape == (2, 3)
    assert diagnose.diagnose(model, X, np.arange(8) % 2, train=True).loss == report.loss
    with pytest.raises(ValueError, match="^model has no Dense layer to diagnose$"):
        diagnose.diagnose(Sequential([Activation("relu")]), X, X, loss=mse)


def test_the_plot_uses_the_colour_blind_safe_colours_and_draws():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    report = _report([["vanishing"], [], []])
    fig, ax = plt.subplots()
    try:
        report.plot(ax)
        fig.canvas.draw()  # text positions and coordinates are checked when drawn
        line, low, high = ax.get_lines()
        assert to_hex(line.get_color()) == "#0072b2"
        (marks,) = ax.collections
        assert to_hex(marks.get_edgecolor()[0]) == "#d55e00"
        assert marks.get_facecolor().size == 0 or marks.get_facecolor()[0][3] == 0  # hollow
        assert marks.get_sizes().tolist() == [90] and marks.get_linewidths()[0] == 2
        assert marks.get_zorder() == 3
        for guide in (low, high):
            assert to_hex(guide.get_color()) == "#808080" and guide.get_linewidth() == 1
        flag_text, low_text, high_text = ax.texts
        assert flag_text.get_fontsize() == 8 and to_hex(flag_text.get_color()) == "#d55e00"
        assert flag_text.get_ha() == "center" and flag_text.xyann == (0, 8)
        assert flag_text.anncoords == "offset points" and flag_text.xy == (1, 0.1)
        for text, level in ((low_text, 1e-3 * 1e-3), (high_text, 1e-3 * 1e3)):
            assert text.get_fontsize() == 8 and to_hex(text.get_color()) == "#808080"
            assert text.xyann == (2, 3) and text.anncoords == "offset points"
            assert text.xy == (1, pytest.approx(level))
        assert ax.get_legend()._loc == 4  # lower right
    finally:
        plt.close(fig)


def test_diagnose_names_the_type_it_refuses():
    with pytest.raises(TypeError, match="^model must be a vglib layer or Sequential; got str$"):
        diagnose.diagnose("net", _DX, _DY)
