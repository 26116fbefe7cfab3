import math

import numpy as np
import pytest

from vglib import init

EXPECTED_STD = {
    "xavier_normal": lambda fi, fo: math.sqrt(2 / (fi + fo)),
    "xavier_uniform": lambda fi, fo: math.sqrt(6 / (fi + fo)) / math.sqrt(3),
    "he_normal": lambda fi, fo: math.sqrt(2 / fi),
    "he_uniform": lambda fi, fo: math.sqrt(6 / fi) / math.sqrt(3),
    "lecun_normal": lambda fi, fo: math.sqrt(1 / fi),
}


@pytest.mark.parametrize("name", list(EXPECTED_STD))
def test_std_within_three_percent_on_a_large_draw(name, rng):
    W = init.get(name)(1000, 1000, rng)
    assert W.shape == (1000, 1000)
    assert abs(W.mean()) < 0.01 * EXPECTED_STD[name](1000, 1000)
    assert W.std() == pytest.approx(EXPECTED_STD[name](1000, 1000), rel=0.03)


@pytest.mark.parametrize("name", list(EXPECTED_STD))
def test_std_formula_uses_the_right_fans(name, rng):
    W = init.get(name)(400, 100, rng)
    assert W.shape == (400, 100)
    assert W.std() == pytest.approx(EXPECTED_STD[name](400, 100), rel=0.03)
    assert init.std_of(name, 400, 100) == pytest.approx(EXPECTED_STD[name](400, 100))


def test_xavier_normal_variance_is_two_over_fan_sum_not_one():
    # a source gives 1/(fan_in + fan_out); Glorot & Bengio (2010) Eq. 12 give 2/(fan_in + fan_out)
    assert init.std_of("xavier_normal", 300, 100) ** 2 == pytest.approx(2 / 400)


def test_uniform_schemes_respect_their_limits(rng):
    assert np.abs(init.get("xavier_uniform")(50, 30, rng)).max() <= math.sqrt(6 / 80)
    assert np.abs(init.get("he_uniform")(50, 30, rng)).max() <= math.sqrt(6 / 50)


def test_a_float_means_a_plain_normal_with_that_std(rng):
    W = init.get(0.05)(1000, 1000, rng)
    assert W.std() == pytest.approx(0.05, rel=0.03)
    assert init.std_of(0.05, 3, 4) == 0.05


def test_same_seed_same_weights():
    a = init.get("he_normal")(5, 4, np.random.default_rng(1))
    b = init.get("he_normal")(5, 4, np.random.default_rng(1))
    assert np.array_equal(a, b)


def test_recommended_init_per_activation():
    assert init.recommended_for("sigmoid") == "xavier_normal"
    assert init.recommended_for("tanh") == "xavier_normal"
    assert init.recommended_for("relu") == "he_normal"
    assert init.recommended_for("gelu") == "he_normal"


def test_bad_input_is_refused(rng):
    with pytest.raises(ValueError, match="init='kaiming' is unknown"):
        init.get("kaiming")
    with pytest.raises(ValueError, match="must be in"):
        init.get(-0.1)
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1; got 0"):
        init.get("he_normal")(0, 3, rng)
    with pytest.raises(TypeError, match="fan_out must be an integer"):
        init.get("he_normal")(3, 2.5, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.get("he_normal")(3, 3, 42)
    with pytest.raises(ValueError, match="init='nope' is unknown"):
        init.std_of("nope", 3, 3)
    with pytest.raises(ValueError, match="activation='nope' is unknown"):
        init.recommended_for("nope")
