import numpy as np
import pytest

from vglib import NonFiniteError, data
from vglib.models import mlp
from vglib.optim import SGD, Adam
from vglib.train import accuracy, fit


def test_fit_learns_the_moons(rng):
    X, y = data.moons(400, rng, noise=0.1)
    model = mlp(2, 32, 2, 2, rng=rng)
    before = accuracy(model, X, y)
    history = fit(model, X, y, optimizer=Adam(lr=0.01), steps=300, batch_size=64, rng=rng)
    assert len(history.loss) == 300
    assert np.mean(history.loss[-20:]) < 0.5 * np.mean(history.loss[:20])
    assert accuracy(model, X, y) > max(0.95, before)


def test_callback_runs_before_training_and_after_every_step(rng):
    X, y = data.circles(64, rng)
    model = mlp(2, 8, 1, 2, rng=rng)
    history = fit(model, X, y, optimizer=SGD(lr=0.1), steps=5, rng=rng,
                  callback=lambda step, m: (step, m.layers[0].params["W"][0, 0]))
    assert [step for step, _ in history.records] == [0, 1, 2, 3, 4, 5]
    assert history.records[0][1] != history.records[-1][1]


def test_same_seed_same_training():
    def run():
        rng = np.random.default_rng(7)
        X, y = data.spirals(100, rng)
        model = mlp(2, 8, 2, 2, rng=rng)
        return fit(model, X, y, optimizer=SGD(lr=0.1), steps=10, batch_size=32, rng=rng).loss

    assert run() == run()


def test_divergence_stops_with_the_step_and_the_place(rng):
    X, y = data.moons(64, rng)
    X = X * 1e3
    model = mlp(2, 16, 6, 2, rng=rng)
    with np.errstate(all="ignore"), pytest.raises(NonFiniteError, match=r"stopped at step \d+"):
        fit(model, X, y, optimizer=SGD(lr=1e3), steps=50, rng=rng)


def test_clip_norm_is_applied(rng):
    X, y = data.moons(64, rng)
    model = mlp(2, 8, 2, 2, rng=rng)
    norms = []

    def record(step, m):
        from vglib.optim import global_grad_norm
        norms.append(global_grad_norm(m))

    fit(model, X, y, optimizer=SGD(lr=0.1), steps=3, rng=rng, clip_norm=1e-3, callback=record)
    assert max(norms[1:]) <= 1e-3 * (1 + 1e-9)


def test_bad_input_is_refused(rng):
    X, y = data.moons(20, rng)
    model = mlp(2, 4, 1, 2, rng=rng)
    opt = SGD(lr=0.1)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        fit(model, X, y, optimizer=opt, steps=0, rng=rng)
    with pytest.raises(ValueError, match="batch_size must be at most the number of rows"):
        fit(model, X, y, optimizer=opt, steps=1, batch_size=50, rng=rng)
    with pytest.raises(ValueError, match="same number of rows"):
        fit(model, X, y[:5], optimizer=opt, steps=1, rng=rng)
    with pytest.raises(TypeError, match="optimizer must have a step"):
        fit(model, X, y, optimizer="sgd", steps=1, rng=rng)
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        fit("mlp", X, y, optimizer=opt, steps=1, rng=rng)
    with pytest.raises(ValueError, match=r"y must have shape \(20,\)"):
        accuracy(model, X, y[:3])
