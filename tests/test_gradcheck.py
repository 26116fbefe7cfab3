import re

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib.gradcheck import (
    FLOOR_FRACTION,
    gradcheck,
    gradient_errors,
    numeric_gradient,
    relative_error,
)
from vglib.layers import BatchNorm, Dense, Layer, Sequential
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


class SlightlyWrongBias(Dense):
    """Dense whose bias gradient is 1 % too large: a small but real error."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["b"] *= 1.01
        return dx


def test_a_one_percent_error_in_a_small_gradient_is_reported(rng):
    # inputs near 100 make dL/dW about 100 times dL/db, so b's gradient is the small one
    layer = SlightlyWrongBias(3, 2, rng=rng)
    errors = gradient_errors(layer, rng.standard_normal((4, 3)) + 100.0, rng=rng)
    assert np.linalg.norm(layer.grads["b"]) < 0.05 * np.linalg.norm(layer.grads["W"])
    assert errors["b"] == pytest.approx(0.01 / 2.01, rel=1e-3)  # |1.01 g - g| / |2.01 g|
    assert errors["W"] < 1e-6 and errors["x"] < 1e-6
    assert gradcheck(layer, rng.standard_normal((4, 3)) + 100.0, rng=rng) > 1e-3


class TwoScales(Layer):
    """``y = 1000 x big + 0.001 x tiny`` with a wrong ``tiny`` gradient (twice the true one):
    its gradient is a millionth of the largest in the check, which is below the floor."""

    def __init__(self):
        super().__init__()
        self.params = {"big": np.ones(1), "tiny": np.ones(1)}
        self.grads = {"big": np.zeros(1), "tiny": np.zeros(1)}

    def forward(self, x, train=True):
        self.x_seen = x
        return x * (1e3 * self.params["big"] + 1e-3 * self.params["tiny"])

    def backward(self, dy):
        self.grads["big"][...] = 1e3 * np.sum(dy * self.x_seen)
        self.grads["tiny"][...] = 2 * 1e-3 * np.sum(dy * self.x_seen)  # the bug: 2 x
        return dy * (1e3 * self.params["big"] + 1e-3 * self.params["tiny"])


def test_the_floor_is_a_thousandth_of_the_largest_gradient_and_only_shrinks_tiny_errors():
    assert FLOOR_FRACTION == 1e-3
    errors = gradient_errors(TwoScales(), np.ones((1, 1)), rng=np.random.default_rng(0))
    assert errors["big"] < 1e-8 and errors["x"] < 1e-8
    # without a floor the error would be 1/3; with it, ||2t - t|| / (1e-3 * largest norm sum),
    # largest = x's: ||dx|| + ||dx numeric|| = 2 (1e3 + 1e-3) |dy|, and ||2t - t|| = 1e-3 |dy|
    assert errors["tiny"] == pytest.approx(1e-3 / (1e-3 * 2 * (1e3 + 1e-3)), rel=1e-4)
    assert errors["tiny"] > 1e-6  # still far above what a correct float64 backward gives


def test_numeric_gradient_is_the_central_difference_with_step_h():
    # for u^3 the central difference is exactly 3 u^2 + h^2
    w = np.array([1.0, -2.0, 0.5])
    grad = numeric_gradient(lambda: float(np.sum(w**3)), w, h=0.1)
    assert np.allclose(grad, 3 * w**2 + 0.01, rtol=1e-10)
    grad = numeric_gradient(lambda: float(np.sum(w**3)), w)  # default h = 1e-6
    assert np.allclose(grad, 3 * w**2 + 1e-12, rtol=1e-8, atol=0)

    def cube(x, target):
        return float(np.sum(x**3)), 3 * x**2

    x = np.array([1.0, 2.0])
    expected = relative_error(3 * x**2, 3 * x**2 + 0.01)
    assert gradient_errors(cube, x, x, h=0.1)["x"] == pytest.approx(expected, rel=1e-8)


def test_relative_error_scales_first_so_huge_entries_stay_finite():
    a, n = np.array([2e300, 0.0]), np.array([1e300, 0.0])
    assert relative_error(a, n) == pytest.approx(1 / 3, rel=1e-12)
    assert relative_error(a, n, floor=6e300) == pytest.approx(1 / 6, rel=1e-12)  # floor wins
    assert relative_error(a, n, floor=1e300) == pytest.approx(1 / 3, rel=1e-12)  # sum wins
    assert relative_error(np.array([1e308, 1e308]), np.array([1e308, 0.0])) == pytest.approx(
        1 / (np.sqrt(2) + 1), rel=1e-12)
    assert relative_error(np.zeros(2), np.zeros(2), floor=1.0) == 0.0
    assert relative_error(np.array([2.0, 0.0]), np.zeros(2)) == 1.0  # nothing matches: 1
    with pytest.raises(ValueError, match=r"^analytic and numeric must have the same shape; "
                                         r"got \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"^floor must be in \[0, inf\); got -1"):
        relative_error(np.zeros(2), np.zeros(2), floor=-1.0)
    with pytest.raises(TypeError, match="^analytic must be"):
        relative_error("a", np.zeros(2))
    with pytest.raises(TypeError, match="^numeric must be"):
        relative_error(np.zeros(2), "n")


def test_gradient_errors_checks_its_step_train_flag_and_loss(rng):
    layer = Dense(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    with pytest.raises(ValueError, match=r"^h must be in \(0, 0\.1\]; got 0\.5"):
        gradient_errors(layer, x, h=0.5)
    assert gradient_errors(layer, x, h=0.1)["W"] < 1e-8  # a linear map: any step is exact
    with pytest.raises(TypeError, match="^train must be True or False"):
        gradient_errors(layer, x, train="no")
    with pytest.raises(TypeError, match=r"^loss must be a function \(output, target\)"):
        gradient_errors(layer, x, np.ones((4, 2)), loss="mse")
    with pytest.raises(TypeError, match="^x must be"):
        gradient_errors(layer, "x")


def test_the_default_generator_is_seed_zero_and_a_loss_replaces_the_random_dy(rng):
    model = Sequential([Dense(3, 3, rng=rng), BatchNorm(3)])
    x = rng.standard_normal((5, 3))
    assert gradient_errors(model, x) == gradient_errors(model, x, rng=np.random.default_rng(0))
    assert gradient_errors(model, x) != gradient_errors(model, x, rng=np.random.default_rng(1))
    target = rng.standard_normal((5, 3))
    errors = gradient_errors(model, x, target, loss=mse)
    assert set(errors) == {"x", "0.W", "0.b", "1.gamma", "1.beta"}
    assert max(errors.values()) < 1e-6
    # the loss's gradient, not a random dy, is what reaches the layer: a wrong loss gradient
    # shows up as a wrong layer gradient

    def half_mse(pred, tgt):
        value, d = mse(pred, tgt)
        return value, d / 2

    assert gradient_errors(model, x, target, loss=half_mse)["1.beta"] == pytest.approx(
        1 / 3, rel=1e-6)


def test_gradients_too_large_to_compare_are_an_error_that_says_so():
    from vglib import NonFiniteError

    def sum_of_squares(x, target):  # overflows to inf near 1e200: the differences are NaN
        with np.errstate(over="ignore"):
            return float(np.sum(x * x)), 2 * x

    with pytest.raises(NonFiniteError, match="^the gradients' norms overflow float64 "
                                             r"\(x reaches 1e\+200\), so they cannot be "
                                             "compared: check the gradient at a smaller x$"):
        gradient_errors(sum_of_squares, np.full(3, 1e200), np.zeros(3))


# every argument the checks refuse, with a message that starts with its name
BAD_ARGUMENTS = {
    "f": (lambda: gradcheck("f", np.ones(2)), "f"),
    "x": (lambda: gradcheck(mse, "x", np.ones(2)), "x"),
    "h": (lambda: gradcheck(mse, np.ones(2), np.ones(2), h=-1.0), "h"),
    "rng": (lambda: gradcheck(Dense(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2)),
                              rng="seed"), "rng"),
    "objective": (lambda: numeric_gradient(None, np.ones(2)), "objective"),
    "array": (lambda: numeric_gradient(lambda: 0.0, np.ones(2, dtype=np.float32)), "array"),
    "floor": (lambda: relative_error(np.ones(2), np.ones(2), floor="1"), "floor"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


class Cube(Layer):
    """``y = p x^3``: central differences of step h are off by exactly p h^2 for x."""

    def __init__(self):
        super().__init__()
        self.params, self.grads = {"p": np.array([2.0])}, {"p": np.zeros(1)}

    def forward(self, x, train=True):
        self.x_seen = x
        return self.params["p"] * x**3

    def backward(self, dy):
        self.grads["p"][...] = np.sum(dy * self.x_seen**3)
        return dy * 3 * self.params["p"] * self.x_seen**2


def _total(out, target):
    """L = sum(out): dL/dout = 1."""
    return float(np.sum(out)), np.ones_like(out)


def test_the_step_h_reaches_every_numeric_gradient_of_a_layer():
    x = np.array([[1.0, -2.0]])
    errors = gradient_errors(Cube(), x, x, loss=_total, h=0.1)
    assert errors["x"] == pytest.approx(relative_error(6 * x**2, 6 * x**2 + 2 * 0.01), rel=1e-9)
    assert errors["p"] < 1e-12  # L is linear in p: any step is exact
    assert gradient_errors(Cube(), x, x, loss=_total)["x"] < 1e-8  # h = 1e-6 by default


def test_an_inference_mode_check_with_a_loss_uses_inference_mode_throughout(rng):
    bn = BatchNorm(3)
    bn.forward(rng.standard_normal((16, 3)) * 3 + 2)  # running statistics far from the batch's
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    errors = gradient_errors(bn, x, target, loss=mse, train=False)
    assert max(errors.values()) < 1e-6


def test_gradcheck_messages_say_what_to_give():
    with pytest.raises(ValueError, match=re.escape(
            "for a layer, give loss and target together (or neither)") + "$"):
        gradcheck(Dense(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2)), loss=mse)
    with pytest.raises(ValueError, match=re.escape(
            "to check a loss function, give its target as well") + "$"):
        gradcheck(mse, np.ones(2))
    with pytest.raises(TypeError, match="^f must be a vglib layer/model or a loss function; "
                                        "got int$"):
        gradcheck(3, np.ones(2))
    with pytest.raises(TypeError, match=re.escape(
            "array must be a float64 numpy array that objective() reads") + "$"):
        numeric_gradient(lambda: 0.0, [1.0])
