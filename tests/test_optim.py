import numpy as np
import pytest

from vglib import NonFiniteError
from vglib.layers import Dense, Sequential
from vglib.optim import SGD, Adam, clip_grad_norm, clip_grad_value, global_grad_norm


class Quadratic:
    """A one-parameter 'model' with loss (w - 3)^2 / 2, so its gradient is w - 3."""

    def __init__(self, w=0.0):
        self.w = np.array([w])
        self.g = np.zeros(1)

    def parameters(self):
        yield "w", self.w, self.g

    def backward(self):
        self.g[:] = self.w - 3.0


def test_sgd_is_w_minus_lr_times_gradient():
    model = Quadratic(0.0)
    model.backward()
    SGD(lr=0.1).step(model)
    assert model.w[0] == pytest.approx(0.3)


def test_sgd_momentum_follows_pytorch_convention():
    model, opt = Quadratic(0.0), SGD(lr=0.1, momentum=0.9)
    model.backward()
    opt.step(model)  # v = g = -3, w = 0.3
    model.backward()
    opt.step(model)  # v = 0.9 * -3 + (-2.7) = -5.4, w = 0.3 + 0.54
    assert model.w[0] == pytest.approx(0.84)


@pytest.mark.parametrize("opt", [SGD(lr=0.1), SGD(lr=0.05, momentum=0.9), Adam(lr=0.1)])
def test_optimisers_minimise_a_quadratic(opt):
    model = Quadratic(-5.0)
    for _ in range(500):
        model.backward()
        opt.step(model)
    assert model.w[0] == pytest.approx(3.0, abs=1e-3)


def test_adam_first_step_moves_every_weight_by_lr():
    model = Quadratic(0.0)
    model.backward()
    Adam(lr=0.01).step(model)  # bias-corrected m / sqrt(v) = sign(g) on step 1
    assert model.w[0] == pytest.approx(0.01, rel=1e-6)


def test_optimiser_updates_layer_parameters_in_place(rng):
    layer = Dense(3, 2, rng=rng)
    W = layer.params["W"]
    before = W.copy()
    layer.forward(rng.standard_normal((4, 3)))
    layer.backward(np.ones((4, 2)))
    SGD(lr=0.5).step(layer)
    assert layer.params["W"] is W
    assert np.allclose(W, before - 0.5 * layer.grads["W"])


def test_clip_grad_norm_rescales_globally_and_returns_the_old_norm(rng):
    model = Sequential([Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)])
    model.forward(rng.standard_normal((5, 3)))
    model.backward(rng.standard_normal((5, 2)) * 100)
    grads_before = [g.copy() for _, _, g in model.parameters()]
    norm = global_grad_norm(model)
    assert clip_grad_norm(model, 1.0) == pytest.approx(norm)
    assert global_grad_norm(model) == pytest.approx(1.0)
    for before, (_, _, after) in zip(grads_before, model.parameters(), strict=True):
        assert np.allclose(after, before / norm)  # same direction


def test_clip_grad_norm_leaves_small_gradients_alone(rng):
    model = Quadratic(2.9)
    model.backward()
    assert clip_grad_norm(model, 5.0) == pytest.approx(0.1)
    assert model.g[0] == pytest.approx(-0.1)


def test_clip_grad_value_clips_each_element():
    model = Quadratic(-7.0)
    model.backward()  # gradient -10
    assert clip_grad_value(model, 0.5) == 1
    assert model.g[0] == -0.5


def test_nan_gradient_stops_the_step_and_names_the_parameter(rng):
    model = Sequential([Dense(2, 2, rng=rng)])
    model.layers[0].grads["b"][1] = np.nan
    with pytest.raises(NonFiniteError, match="gradient of parameter '0.b'"):
        SGD(lr=0.1).step(model)
    with pytest.raises(NonFiniteError, match="'0.b'"):
        clip_grad_norm(model, 1.0)


def test_optimisers_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\); got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match="momentum must be in"):
        SGD(lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="betas must each be in"):
        Adam(lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam(lr=0.1, betas=0.9)
    with pytest.raises(ValueError, match="eps must be in"):
        Adam(lr=0.1, eps=0)
    with pytest.raises(TypeError, match="model must have a parameters"):
        SGD(lr=0.1).step([1, 2])
    with pytest.raises(ValueError, match="max_norm must be in"):
        clip_grad_norm(Quadratic(), 0)
    with pytest.raises(ValueError, match="limit must be in"):
        clip_grad_value(Quadratic(), -1)
