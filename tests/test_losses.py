import re

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import NonFiniteError
from vglib.gradcheck import gradcheck
from vglib.losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy


def test_softmax_cross_entropy_value_and_gradient(rng):
    logits = rng.standard_normal((6, 4)) * 3
    labels = np.array([0, 3, 1, 2, 2, 0])
    loss, dlogits = softmax_cross_entropy(logits, labels)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(6), labels])))
    assert dlogits.shape == logits.shape
    assert gradcheck(softmax_cross_entropy, logits, labels) < 1e-6


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0], [-1000.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dlogits = softmax_cross_entropy(logits, np.array([0, 0]))
    assert loss == pytest.approx(1000.0)  # first row is right, second is off by 2000 / 2
    assert np.isfinite(dlogits).all()


def test_uniform_logits_give_log_of_the_class_count():
    loss, _ = softmax_cross_entropy(np.zeros((3, 5)), np.array([0, 1, 4]))
    assert loss == pytest.approx(np.log(5))


def test_mse_value_and_gradient(rng):
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, dpred = mse(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    assert np.allclose(dpred, 2 * (pred - target) / 12)
    assert gradcheck(mse, pred, target) < 1e-6


def test_binary_cross_entropy_with_logits_value_gradient_and_stability(rng):
    logits = rng.standard_normal((5, 2)) * 4
    targets = rng.uniform(0, 1, (5, 2))
    loss, _ = binary_cross_entropy_with_logits(logits, targets)
    p = 1 / (1 + np.exp(-logits))
    assert loss == pytest.approx(np.mean(-(targets * np.log(p) + (1 - targets) * np.log(1 - p))))
    assert gradcheck(binary_cross_entropy_with_logits, logits, targets) < 1e-6
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        big, dbig = binary_cross_entropy_with_logits(np.array([1e3, -1e3]), np.array([0.0, 1.0]))
    assert big == pytest.approx(1e3) and np.allclose(dbig, [0.5, -0.5])


def test_losses_refuse_bad_input():
    expected = r"labels must be in 0\.\.2 for 3 classes; got values from 0 to 3"
    with pytest.raises(ValueError, match=expected):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"one label per row of logits \(2 rows\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="labels must hold whole-number class labels"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="logits must be a 2-D array"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(NonFiniteError, match="logits contains 1 NaN or inf"):
        softmax_cross_entropy(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="pred and target must have the same shape"):
        mse(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        binary_cross_entropy_with_logits(np.zeros(2), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="logits and targets must have the same shape"):
        binary_cross_entropy_with_logits(np.zeros(2), np.zeros(3))


# every argument a loss checks, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "softmax logits": (lambda: softmax_cross_entropy("z", np.array([0])), "logits"),
    "softmax labels": (lambda: softmax_cross_entropy(np.zeros((2, 3)), "ab"), "labels"),
    "mse pred": (lambda: mse("p", np.zeros(2)), "pred"),
    "mse target": (lambda: mse(np.zeros(2), "t"), "target"),
    "bce logits": (lambda: binary_cross_entropy_with_logits("z", np.zeros(2)), "logits"),
    "bce targets": (lambda: binary_cross_entropy_with_logits(np.zeros(2), "t"), "targets"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_overflowing_losses_say_where_and_why():
    with np.errstate(over="ignore"), pytest.raises(NonFiniteError, match=re.escape(
            "logits: 1 of its 2 values are NaN or inf (logits - their row's largest: the "
            "logits spread beyond float64): it overflowed float64")):
        softmax_cross_entropy(np.array([[1e308, -1e308]]), np.array([0]))
    with pytest.raises(NonFiniteError, match=re.escape(
            "mse: the loss overflows float64 (pred - target reaches 2e+200, its square does not "
            "fit a float)") + "$"):
        mse(np.array([1e200]), np.array([-1e200]))
