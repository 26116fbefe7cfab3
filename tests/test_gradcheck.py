import numpy as np
import pytest

from vglib.gradcheck import gradcheck, gradient_errors, numeric_gradient, relative_error
from vglib.layers import BatchNorm, Dense, Sequential
from vglib.losses import mse


class BrokenDense(Dense):
    """Dense with a classic bug: the weight gradient is off by a factor of 2."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["W"] = 2 * self.grads["W"]
        return dx


def test_a_correct_layer_passes_and_a_broken_one_fails(rng):
    x = rng.standard_normal((4, 3))
    assert gradcheck(Dense(3, 2, rng=rng), x, rng=rng) < 1e-8
    errors = gradient_errors(BrokenDense(3, 2, rng=rng), x, rng=rng)
    assert errors["W"] == pytest.approx(1 / 3, rel=1e-4)  # |2g - g| / (|2g| + |g|)
    assert errors["x"] < 1e-8 and errors["b"] < 1e-8


def test_a_broken_loss_gradient_is_caught(rng):
    def half_mse(pred, target):
        loss, d = mse(pred, target)
        return loss, d / 2

    pred, target = rng.standard_normal(5), rng.standard_normal(5)
    assert gradcheck(mse, pred, target) < 1e-8
    assert gradcheck(half_mse, pred, target) > 0.3


def test_a_gradient_that_is_exactly_zero_is_not_reported_as_wrong(rng):
    # a bias followed by BatchNorm has zero gradient: the mean subtraction removes it
    model = Sequential([Dense(3, 4, rng=rng), BatchNorm(4)])
    errors = gradient_errors(model, rng.standard_normal((6, 3)), rng=rng)
    assert np.linalg.norm(model.layers[0].grads["b"]) < 1e-12
    assert max(errors.values()) < 1e-6


def test_check_with_a_loss_and_the_default_generator(rng):
    model = Sequential([Dense(3, 2, rng=rng)])
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    assert gradcheck(model, x, target, loss=mse) < 1e-8
    assert gradient_errors(model, x) == gradient_errors(model, x)  # seeded default


def test_relative_error_definition():
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([2.0]), np.array([1.0])) == pytest.approx(1 / 3)
    assert relative_error(np.array([1e-9]), np.array([0.0]), floor=1.0) == pytest.approx(1e-9)


def test_bad_input_is_refused(rng):
    with pytest.raises(TypeError, match="f must be a vglib layer/model or a loss function"):
        gradcheck(42, np.ones(3))
    with pytest.raises(ValueError, match="give its target"):
        gradcheck(mse, np.ones(3))
    with pytest.raises(ValueError, match="give loss and target together"):
        gradcheck(Dense(3, 2, rng=rng), np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="h must be in"):
        gradcheck(mse, np.ones(3), np.ones(3), h=0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        gradcheck(Dense(3, 2, rng=rng), np.ones((2, 3)), rng=7)


def test_numeric_gradient_of_a_quadratic_is_exact_enough():
    w = np.array([1.0, -2.0, 3.0])
    grad = numeric_gradient(lambda: float(np.sum(w**2)), w)
    assert np.allclose(grad, 2 * w, atol=1e-8)
    assert np.array_equal(w, [1.0, -2.0, 3.0])  # restored
    with pytest.raises(TypeError, match="objective must be a function"):
        numeric_gradient(3.0, w)
    with pytest.raises(TypeError, match="array must be a float64 numpy array"):
        numeric_gradient(lambda: 0.0, [1.0, 2.0])
