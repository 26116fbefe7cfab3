import numpy as np
import pytest

from vglib import experiments, explorers, signals
from vglib.chains import signal_after_layers
from vglib.figures import prompt_markup
from vglib.interactive import Explorer
from vglib.signals import compute_grad_norms_at_init

# every factory in explorers.__all__ builds one of the book's figures, with its prompts, except
# the building block the others share (the other names are control values chapters read)
BOOK_FIGURES = [name for name in explorers.__all__
                if callable(getattr(explorers, name)) and name != "gradient_flow"]


def test_the_book_figures_and_the_control_values_chapters_read_are_all_in_explorers():
    assert len(BOOK_FIGURES) == 10
    for name in explorers.__all__:
        value = getattr(explorers, name)
        assert callable(value) or (name.isupper() and isinstance(value, (tuple, int))), name
    assert {"signal_chain", "training_curves", "norm_placement"} <= set(BOOK_FIGURES)
    assert explorers.TRAINING_ACTIVATIONS[0] == "sigmoid" and 50 in explorers.GRAD_NORM_DEPTHS


def test_signal_chain_is_factor_to_the_power_and_crops_to_the_layer_count():
    ex = explorers.signal_chain()
    (line,) = ex.series(factor=0.5)
    assert np.allclose(line.y, signal_after_layers(0.5, explorers.MAX_LAYERS))
    (shown,) = ex.visible([line], 20)
    assert shown.x[-1] == 20 and np.isclose(shown.y[-1], 0.5**20)
    assert ex.caption_for({"factor": 0.9, "layers": 10}) == (
        "After 10 layers, a factor of 0.9 per layer has multiplied the signal by 0.349.")


def test_the_factor_that_keeps_half_the_signal_over_100_layers_is_a_state_of_the_slider():
    ex = explorers.signal_chain()
    keeps_half = 2 ** (-1 / 100)  # 0.99309
    nearest = min(ex.controls[0].values, key=lambda f: abs(f - keeps_half))
    assert abs(nearest - keeps_half) < 0.001
    (line,) = ex.visible(ex.series(factor=nearest), 100)
    assert abs(line.y[-1] - 0.5) < 0.01
    assert {0.97, 0.99, 0.993, 0.995} <= set(explorers.FACTORS)
    assert list(explorers.FACTORS) == sorted(explorers.FACTORS)


@pytest.fixture(scope="module")
def book_figures():
    return {name: getattr(explorers, name)() for name in BOOK_FIGURES}


@pytest.mark.parametrize("name", BOOK_FIGURES)
def test_every_book_figure_has_prompts_whose_values_are_states_and_whose_conditions_hold(
    book_figures, name
):
    ex = book_figures[name]
    assert isinstance(ex, Explorer) and ex.prompts, f"{name} has no prompts"
    controls = {c.name: c for c in ex.controls}
    for prompt in ex.prompts:
        for control, value in prompt.settings.items():
            assert value in controls[control].values, (name, prompt.text, control, value)
        for state in ex.prompt_states(prompt):
            assert ex.caption_for(state)  # the caption the reader sees in that state
    lines = ex.check_prompts()  # raises ClaimError if the figure no longer shows what it says
    assert len(lines) == len(ex.prompts) and all(line.startswith("✓ ") for line in lines)
    assert prompt_markup(ex).count("<li>") == len(ex.prompts)


def test_a_figure_built_with_other_control_values_refuses_prompts_it_cannot_show():
    with pytest.raises(ValueError, match=r"sets depth=15, which is not a state of the figure: "
                                         r"depth takes 2, 3"):
        explorers.training_curves("relu", 2, activations=("relu", "sigmoid"), depths=(2, 3))
    small = explorers.training_curves("relu", 2, activations=("relu", "sigmoid"), depths=(2, 3),
                                      epochs=1, prompts=())
    assert small.prompts == ()


def test_grad_norms_at_init_matches_the_diagnose_function():
    ex = explorers.grad_norms_at_init(seed=3, prompts=())
    (line,) = ex.series(activation="tanh", depth=15)
    direct = compute_grad_norms_at_init("tanh", 15, rng=np.random.default_rng(3))
    assert np.array_equal(line.y, direct.norms)
    assert [c.name for c in ex.controls] == ["activation", "depth"]


def test_gradient_flow_offers_all_five_controls_and_any_subset():
    ex = explorers.gradient_flow()
    assert [c.name for c in ex.controls] == list(explorers.ALL_CONTROLS)
    (line,) = ex.series(activation="relu", depth=5, init_scale=0.5, norm="BatchNorm",
                        skip="residual")
    direct = compute_grad_norms_at_init("relu", 5, rng=np.random.default_rng(0), init_scale=0.5,
                                        norm="batch", residual=True)
    assert np.array_equal(line.y, direct.norms) and line.y.size == 7
    small = explorers.gradient_flow(controls=("init_scale",), norm="LayerNorm")
    assert [c.name for c in small.controls] == ["init_scale"]
    assert small.caption.startswith("relu, LayerNorm, init scale {init_scale}, 20 hidden layers")


def test_gradient_flow_refuses_unknown_controls():
    with pytest.raises(ValueError, match="controls must be some of"):
        explorers.gradient_flow(controls=("width",))
    with pytest.raises(ValueError, match="default=0.3 of control 'init_scale'"):
        explorers.gradient_flow(init_scale=0.3)


def test_signal_propagation_shows_forward_and_backward_spread():
    ex = explorers.signal_propagation(depth=10, prompts=())
    forward, backward = ex.series(activation="relu", init="he_normal", init_scale=1.0)
    assert forward.y.shape == backward.y.shape == (10,) and backward.dashed
    assert "he_normal x 1" in ex.caption_for({"activation": "relu", "init": "he_normal",
                                              "init_scale": 1.0})
    with pytest.raises(ValueError, match="controls must be some of"):
        explorers.signal_propagation(controls=("depth",))


def test_training_explorers_train_once_per_state():
    curves = explorers.training_curves("relu", 2, activations=("relu", "sigmoid"), depths=(2, 3),
                                       epochs=3, prompts=())
    (loss,) = curves.series(activation="relu", depth=2)
    assert loss.x.tolist() == [1, 2, 3] and "final training accuracy" in loss.note
    grads = explorers.training_gradients("relu", 2, activations=("relu", "tanh"), depths=(2, 3),
                                         epochs=2, prompts=())
    first, last = grads.series(activation="tanh", depth=3)
    assert first.y.shape == last.y.shape == (4,)
    with pytest.raises(ValueError, match="optimizer='rmsprop' is unknown"):
        explorers.training_curves(optimizer="rmsprop")


def test_training_curves_carry_the_final_numbers_for_tables():
    ex = explorers.training_curves("relu", 2, activations=("relu", "tanh"), depths=(2, 3),
                                   epochs=2, prompts=())
    (line,) = ex.series(activation="relu", depth=2)
    assert set(line.info) == {"accuracy", "loss"} and line.info["loss"] == line.y[-1]


def test_gradient_flow_takes_its_depth_stops_from_the_caller():
    ex = explorers.gradient_flow("sigmoid", 100, controls=("skip", "depth"), depths=(10, 100))
    assert ex.prompts == ()  # the building block has none; the book's uses bring theirs
    assert ex.controls[0].values == (10, 100)  # controls come in ALL_CONTROLS order
    (plain,) = ex.series(skip="plain", depth=100)
    (res,) = ex.series(skip="residual", depth=100)
    assert plain.y[0] < 1e-40 < 1e-2 < res.y[0]  # the stairs against the lift


def test_exploding_recurrence_follows_the_spectral_radius_and_clips_by_one_factor():
    from vglib.recurrent import gradient_through_time

    ex = explorers.exploding_recurrence()
    assert [c.name for c in ex.controls] == ["radius", "steps", "clip"]
    unclipped, clipped = ex.series(radius=1.2, steps=50, clip=1.0)
    direct = gradient_through_time(1.2, 50, clip=1.0, rng=np.random.default_rng(0))
    assert np.array_equal(unclipped.y, direct.norms)
    assert np.allclose(clipped.y / unclipped.y, clipped.y[0] / unclipped.y[0])
    assert unclipped.y[-1] > 100 * unclipped.y[0]  # radius 1.2 explodes over 50 steps
    (only,) = ex.series(radius=0.8, steps=25, clip="off")
    assert only.y[-1] < 0.01
    assert ex.html().size_bytes < 200_000


def test_norm_placement_shows_pre_and_post_norm_for_each_depth():
    ex = explorers.norm_placement(depths=(4, 8), depth=8, seeds=2, prompts=())
    assert [c.name for c in ex.controls] == ["depth"]
    pre, post = ex.series(depth=4)
    assert (pre.label, post.label) == ("pre-norm", "post-norm")
    assert pre.x.tolist() == [1, 2, 3, 4] and post.y.shape == (4,)
    runs = [signals.block_grad_norms(4, "post", rng=np.random.default_rng(s)) for s in (0, 1)]
    assert np.allclose(post.y, np.sqrt(runs[0] * runs[1]))


def test_norm_placement_uses_the_profiles_it_is_given_and_measures_the_others():
    measured = {(4, "post", 0): signals.block_grad_norms(4, "post", rng=np.random.default_rng(0))}
    fresh = explorers.norm_placement(depths=(2, 4), depth=4, seeds=2, prompts=())
    given = explorers.norm_placement(depths=(2, 4), depth=4, seeds=2, prompts=(),
                                     measured=measured)
    assert given.html().html == fresh.html().html
    planted = {(4, "post", 0): np.full(4, 1e-3)}  # not what a stack gives: it must be used
    (pre, post) = explorers.norm_placement(depths=(2, 4), depth=4, seeds=2, prompts=(),
                                           measured=planted).series(depth=4)
    assert np.array_equal(pre.y, fresh.series(depth=4)[0].y)
    assert not np.allclose(post.y, fresh.series(depth=4)[1].y)
    with pytest.raises(ValueError, match=r"measured\[\(4, 'post', 0\)\] has shape \(3,\)"):
        explorers.norm_placement(depths=(2, 4), depth=4, seeds=1, prompts=(),
                                 measured={(4, "post", 0): np.ones(3)}).html()


def test_training_curves_use_the_runs_they_are_given_and_train_the_others():
    small = {"activations": ("relu", "tanh"), "depths": (2, 3), "epochs": 3, "prompts": ()}
    run = experiments.activation_on_spirals("tanh", 3, 0, epochs=3)
    fresh = explorers.training_curves("relu", 2, **small)
    given = explorers.training_curves("relu", 2, **small, measured={("tanh", 3, 0): run})
    assert given.html().html == fresh.html().html
    planted = {("tanh", 3, 0): {"accuracy": 0.25, "epoch_loss": [3.0, 2.0, 1.0]}}
    ex = explorers.training_curves("relu", 2, **small, measured=planted)
    (line,) = ex.series(activation="tanh", depth=3)  # not what training gives: it is used
    assert line.y.tolist() == [3.0, 2.0, 1.0] and line.info == {"accuracy": 0.25, "loss": 1.0}
    (other,) = ex.series(activation="relu", depth=3)
    assert np.array_equal(other.y, fresh.series(activation="relu", depth=3)[0].y)
    other_seed = explorers.training_curves("relu", 2, **small, seed=1, measured=planted)
    assert other_seed.series(activation="tanh", depth=3)[0].y.tolist() != [3.0, 2.0, 1.0]
    with pytest.raises(ValueError, match=r"measured\[\('tanh', 3, 0\)\] has 2 epoch losses"):
        explorers.training_curves("relu", 2, **small, measured={
            ("tanh", 3, 0): {"accuracy": 0.5, "epoch_loss": [1.0, 0.5]}}).html()


def test_the_chapter_figures_built_on_gradient_flow_keep_their_names_and_controls(book_figures):
    normalisation = book_figures["normalisation_depth"]
    assert normalisation.name == "bn-depth"
    assert [c.name for c in normalisation.controls] == ["depth", "norm"]
    residual = book_figures["residual_depth"]
    assert residual.name == "residual-depth" and residual.controls[0].values == (10, 25, 50, 100)
    fixes = book_figures["all_fixes"]
    assert fixes.name == "all-fixes"
    assert [c.name for c in fixes.controls] == ["activation", "norm", "skip"]
