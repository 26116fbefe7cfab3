"""vglib.check: each self-check accepts the right answer and names the mistake in wrong ones."""

import math

import numpy as np
import pytest

from vglib import check
from vglib.activations import get
from vglib.layers import Dense, Layer

sigmoid = get("sigmoid")


def right(result, *phrases):
    assert result.ok and bool(result) and str(result).startswith("✓"), str(result)
    for phrase in phrases:
        assert phrase in result.message, result.message


def wrong(result, *phrases):
    assert not result.ok and not bool(result) and str(result).startswith("✗"), str(result)
    for phrase in phrases:
        assert phrase in result.message, result.message


def test_steps_until_counts_whole_layers_and_says_which_way_an_answer_is_off():
    right(check.steps_until(270, 0.95, 1e-6), "n = 270")
    wrong(check.steps_until(269, 0.95, 1e-6), "one short", "rounded")
    wrong(check.steps_until(271, 0.95, 1e-6), "one too many")
    wrong(check.steps_until(math.log(1e-6) / math.log(0.95), 0.95, 1e-6), "round it")
    wrong(check.steps_until(50, 0.95, 1e-6), "Take logarithms")
    wrong(check.steps_until("270", 0.95, 1e-6), "expected a number")
    right(check.steps_until(142, 1.05, 1000))  # growing: the first n above the target


def test_derivative_finds_constant_factors_signs_and_the_side_that_is_wrong():
    right(check.derivative(lambda z: 4 * sigmoid.derivative(2 * z), "tanh"), "matches")
    wrong(check.derivative(lambda z: 2 * sigmoid.derivative(2 * z), "tanh"),
          "off by a factor of 0.5", "at z = 0 you give 0.5", "right value is 1", "chain rule")
    wrong(check.derivative(lambda z: -(1 - np.tanh(z) ** 2), "tanh"), "wrong sign")
    wrong(check.derivative(lambda z: np.where(z > 0, 1.0, 0.0), "leaky_relu"), "wrong for z < 0")
    wrong(check.derivative(lambda z: 1.0, "tanh"), "returned shape ()", "element by element")
    wrong(check.derivative(lambda z: z.undefined, "tanh"), "raised AttributeError")
    wrong(check.derivative(3.0, "tanh"), "expected a function")


def test_xavier_std_recognises_the_variance_and_the_common_wrong_formulas():
    right(check.xavier_std(lambda n, m: np.sqrt(2 / (n + m))))
    wrong(check.xavier_std(lambda n, m: 2 / (n + m)), "that is the variance")
    wrong(check.xavier_std(lambda n, m: np.sqrt(1 / (n + m))), "2 in the numerator")
    wrong(check.xavier_std(lambda n, m: np.sqrt(2 / n)), "He initialisation")
    wrong(check.xavier_std(lambda n, m: 0.1), "too small")


def test_leaky_he_std_explains_where_the_slope_enters():
    right(check.leaky_he_std(lambda n, a: np.sqrt(2 / ((1 + a**2) * n))))
    wrong(check.leaky_he_std(lambda n, a: np.sqrt(2 / n)), "plain ReLU", "(1 + a^2) / 2")
    wrong(check.leaky_he_std(lambda n, a: np.sqrt(2 / ((1 + a) * n))), "a^2 of the variance")
    wrong(check.leaky_he_std(lambda n, a: 2 / ((1 + a**2) * n)), "that is the variance")


def test_batchnorm_forward_tells_the_axis_the_variance_and_epsilon_apart():
    def bn(x, eps=1e-5):
        return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)

    right(check.batchnorm_forward(bn), "mean 0")
    wrong(check.batchnorm_forward(
        lambda x: (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)),
        "layer normalisation", "axis 0")
    wrong(check.batchnorm_forward(
        lambda x: (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + 1e-5)), "ddof=1")
    wrong(check.batchnorm_forward(lambda x: (x - x.mean(0)) / x.std(0)), "epsilon")
    wrong(check.batchnorm_forward(lambda x: x / np.sqrt(x.var(0) + 1e-5)), "batch mean")
    wrong(check.batchnorm_forward(lambda x: (x - x.mean(0)) / (x.var(0) + 1e-5)),
          "divided by the variance")
    wrong(check.batchnorm_forward(lambda x: x[:2]), "returned shape (2, 5)")


def test_residual_factor_separates_plain_first_order_and_identity_once():
    right(check.residual_factor(1.25**50, 0.25, 50))
    wrong(check.residual_factor(0.25**50, 0.25, 50), "plain")
    wrong(check.residual_factor(1 + 0.25**50, 0.25, 50), "every block")
    wrong(check.residual_factor(1 + 50 * 0.25, 0.25, 50), "first-order")
    wrong(check.residual_factor(3.0, 0.25, 50), "too small")


def test_parameter_count_includes_biases_and_every_layer():
    right(check.parameter_count((2 + 1) * 2000 + (2000 + 1) * 2, [2, 2000, 2]))
    wrong(check.parameter_count(2 * 2000 + 2000 * 2, [2, 2000, 2]), "weights only")
    wrong(check.parameter_count(3 * 2000, [2, 2000, 2]), "one layer's count")
    wrong(check.parameter_count(12345, [2, 2000, 2]), "too large")
    wrong(check.parameter_count(5000, [2, 2000, 2]), "too small")


def test_a_wrong_number_is_told_which_way_it_is_off_never_the_right_number():
    # the student edition and the assignments' public tests print these messages: a wrong
    # answer must not be answered with the right one
    count = (2 + 1) * 2000 + (2000 + 1) * 2
    for answer in (2 * 2000 + 2000 * 2, 5000, 12345, 99999):
        message = str(check.parameter_count(answer, [2, 2000, 2]))
        assert f"{count:,}" not in message and str(count) not in message, message
        assert f"{count - 2 * 2000 - 2000 * 2:,}" not in message, message  # the missing biases
    wrong(check.parameter_count(99999, [2, 2000, 2]), "too large")
    factor = 1.25**50
    for answer in (3.0, 1e9):
        message = str(check.residual_factor(answer, 0.25, 50))
        assert f"{factor:.4g}" not in message, message
    wrong(check.residual_factor(1e9, 0.25, 50), "too large")
    message = str(check.xavier_std(lambda n, m: 0.1))
    assert "right value" not in message and "ratio" not in message, message
    wrong(check.xavier_std(lambda n, m: 10.0), "too large")


class Scale(Layer):
    """y = g * x, with a backward pass that can be broken on purpose."""

    def __init__(self, n, bug=None):
        super().__init__()
        self.params = {"g": np.linspace(0.5, 1.5, n)}
        self.grads = {"g": np.zeros(n)}
        self.bug = bug

    def forward(self, x, train=True):
        self._x = x
        return self.params["g"] * x

    def backward(self, dy):
        self.grads["g"][...] = np.sum(dy * self._x, axis=0) * (2 if self.bug == "g" else 1)
        return dy * (self.params["g"] if self.bug != "x" else 1.0)


def test_layer_gradients_names_the_wrong_gradient():
    x = np.random.default_rng(0).standard_normal((4, 3))
    right(check.layer_gradients(Scale(3), x), "matches finite differences")
    wrong(check.layer_gradients(Scale(3, bug="g"), x), "gradient for g is wrong", "x is right")
    wrong(check.layer_gradients(Scale(3, bug="x"), x), "gradient for x is wrong", "g is right")
    wrong(check.layer_gradients(Dense(3, 2, rng=np.random.default_rng(0)), np.ones((4, 5))),
          "raised")


@pytest.mark.parametrize("result", [check.steps_until(270, 0.95, 1e-6),
                                    check.steps_until(3, 0.95, 1e-6)])
def test_a_result_shows_its_message_in_a_notebook(result):
    assert repr(result) == str(result) and result.message in repr(result)


def test_steps_until_is_exact_where_the_logarithm_is_not():
    tiny = np.finfo(float).tiny  # 0.25^511 == tiny exactly: the first n *below* it is 512
    right(check.steps_until(512, 0.25, tiny))
    wrong(check.steps_until(511, 0.25, tiny), "one short")
    with pytest.raises(ValueError, match="factor"):
        check.steps_until(3, 1.0, 0.5)
