import numpy as np
import pytest

from vglib import NonFiniteError, data
from vglib.losses import mse
from vglib.models import mlp
from vglib.optim import SGD, Adam, global_grad_norm
from vglib.train import TRACED_WEIGHTS, History, accuracy, fit


@pytest.fixture
def moons(rng):
    return data.moons(256, rng, noise=0.1)


def test_fit_learns_the_moons_and_reports_every_epoch(moons, rng):
    X, y = moons
    model = mlp(2, 32, 2, 2, rng=rng)
    history = fit(model, X, y, optimizer=Adam(lr=0.01), epochs=30, batch_size=64, rng=rng)
    assert isinstance(history, History)
    assert history.epoch_loss.shape == history.epoch_accuracy.shape == (30,)
    assert history.step_loss.shape == (30 * 4,) and history.steps_per_epoch == 4
    assert history.epoch_loss[-1] < 0.3 * history.epoch_loss[0]
    assert history.epoch_accuracy[-1] == accuracy(model, X, y) > 0.95


def test_records_have_one_column_per_layer_and_one_row_per_recorded_step(moons, rng):
    X, y = moons
    model = mlp(2, 8, 3, 2, rng=rng)
    history = fit(model, X, y, optimizer=SGD(lr=0.1), epochs=3, batch_size=64, rng=rng,
                  record_every=5)
    assert list(history.steps) == [1, 6, 11]
    assert history.layer_names == ["0", "2", "4", "6"]
    assert history.activation_names == ["1", "3", "5"]
    assert history.grad_norms.shape == history.update_ratios.shape == (3, 4)
    assert history.weight_traces.shape == (3, 4, TRACED_WEIGHTS)
    assert history.initial_weights.shape == (4, TRACED_WEIGHTS)
    for stat in (history.act_mean, history.act_std, history.act_saturated, history.act_dead):
        assert stat.shape == (3, 3)
    assert np.allclose(history.record_epochs, [0.25, 1.5, 2.75])
    assert (history.grad_norms > 0).all() and (history.update_ratios > 0).all()
    assert ((history.act_dead >= 0) & (history.act_dead <= 1)).all()


def test_update_ratio_of_plain_sgd_is_lr_times_gradient_over_weights(moons, rng):
    X, y = moons
    model = mlp(2, 8, 1, 2, rng=rng)
    W0 = model.layers[0].params["W"].copy()
    history = fit(model, X, y, optimizer=SGD(lr=0.05), epochs=1, batch_size=256, rng=rng)
    expected = 0.05 * history.grad_norms[0, 0] / np.linalg.norm(W0)
    assert history.update_ratios[0, 0] == pytest.approx(expected)
    traced = np.linspace(0, W0.size - 1, TRACED_WEIGHTS).astype(int)
    assert np.allclose(history.initial_weights[0], W0.ravel()[traced])


def test_no_recording_is_allowed_and_same_seed_gives_same_training(moons):
    X, y = moons

    def run():
        rng = np.random.default_rng(7)
        model = mlp(2, 8, 2, 2, rng=rng)
        return fit(model, X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=32, rng=rng,
                   record_every=None)

    first, second = run(), run()
    assert np.array_equal(first.step_loss, second.step_loss)
    assert first.grad_norms.shape == (0, 3) and first.steps.size == 0


def test_regression_with_mse_has_no_accuracy(rng):
    X = rng.standard_normal((64, 2))
    y = (X[:, :1] * 2.0 - X[:, 1:]).astype(float)
    model = mlp(2, 16, 1, 1, rng=rng)
    history = fit(model, X, y, loss=mse, optimizer=Adam(lr=0.02), epochs=40, batch_size=16,
                  rng=rng, record_every=None)
    assert np.isnan(history.epoch_accuracy).all()
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]


@pytest.mark.parametrize("clip, check", [
    (1e-3, lambda m: global_grad_norm(m) <= 1e-3 * (1 + 1e-9)),
    (("value", 1e-4), lambda m: max(np.abs(g).max() for _, _, g in m.parameters()) <= 1e-4),
])
def test_clipping_is_applied_before_every_step(moons, rng, clip, check):
    X, y = moons
    model = mlp(2, 8, 2, 2, rng=rng)

    class Checking(SGD):
        def step(self, model):
            assert check(model)
            super().step(model)

    fit(model, X, y, optimizer=Checking(lr=0.1), epochs=1, batch_size=64, rng=rng, clip=clip)


def test_divergence_stops_with_a_floating_point_error_naming_step_and_layer(moons, rng):
    X, y = moons
    model = mlp(2, 16, 6, 2, rng=rng)
    with pytest.raises(FloatingPointError, match=r"training stopped at step \d+ \(epoch 1\): "
                                                 r"the input to layer \d+ \(\w+\)") as info:
        fit(model, X * 1e3, y, optimizer=SGD(lr=1e4), epochs=3, batch_size=64, rng=rng)
    assert isinstance(info.value, NonFiniteError)


def test_progress_prints_a_line_per_epoch(moons, rng, capsys):
    X, y = moons
    fit(mlp(2, 4, 1, 2, rng=rng), X, y, optimizer=SGD(lr=0.1), epochs=2, batch_size=128,
        rng=rng, progress=True, record_every=None)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "accuracy" in lines[0]


def test_bad_input_is_refused(moons, rng):
    X, y = moons
    model = mlp(2, 4, 1, 2, rng=rng)
    opt = SGD(lr=0.1)
    kwargs = dict(optimizer=opt, epochs=1, batch_size=32, rng=rng)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        fit(model, X, y, **{**kwargs, "epochs": 0})
    with pytest.raises(ValueError, match="batch_size must be at most the number of rows"):
        fit(model, X, y, **{**kwargs, "batch_size": 500})
    with pytest.raises(ValueError, match="same number of rows"):
        fit(model, X, y[:5], **kwargs)
    with pytest.raises(TypeError, match="optimizer must have a step"):
        fit(model, X, y, **{**kwargs, "optimizer": "sgd"})
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        fit("mlp", X, y, **kwargs)
    with pytest.raises(ValueError, match="clip must be in"):
        fit(model, X, y, **kwargs, clip=-1.0)
    with pytest.raises(ValueError, match="record_every must be an integer >= 1"):
        fit(model, X, y, **kwargs, record_every=0)
    with pytest.raises(TypeError, match="loss must be a loss function"):
        fit(model, X, y, **kwargs, loss="mse")
    with pytest.raises(ValueError, match=r"y must have shape \(256,\)"):
        accuracy(model, X, y[:3])


def test_step_grad_norm_is_the_global_norm_before_clipping(moons, rng):
    X, y = moons
    model = mlp(2, 8, 2, 2, rng=rng)
    seen = []

    class Recording(SGD):
        def step(self, model):  # runs after clipping: the norm here is at most the limit
            seen.append(global_grad_norm(model))
            super().step(model)

    h = fit(model, X, y, optimizer=Recording(lr=0.1), epochs=2, batch_size=64, rng=rng,
            clip=1e-3, record_every=None)
    assert h.step_grad_norm.shape == h.step_loss.shape == (8,)
    assert np.all(h.step_grad_norm > 1e-3)  # unclipped norms, all above the limit here
    assert np.allclose(seen, 1e-3)
