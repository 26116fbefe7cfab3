import math

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import init

EXPECTED_STD = {
    "xavier_normal": lambda fi, fo: math.sqrt(2 / (fi + fo)),
    "xavier_uniform": lambda fi, fo: math.sqrt(6 / (fi + fo)) / math.sqrt(3),
    "he_normal": lambda fi, fo: math.sqrt(2 / fi),
    "he_uniform": lambda fi, fo: math.sqrt(6 / fi) / math.sqrt(3),
    "lecun_normal": lambda fi, fo: math.sqrt(1 / fi),
}


# A sample of n draws: the standard error of its mean is sigma / sqrt(n), that of its standard
# deviation sigma * sqrt((kurtosis - 1) / (4 n)) (sigma / sqrt(2 n) for a normal, kurtosis 3; a
# uniform has kurtosis 9/5). The tests allow SE_ALLOWED standard errors: at FAN_IN x FAN_OUT =
# 240 000 draws that is 0.87 % of sigma for a normal, so a scale off by 2.5 % (17 standard errors)
# fails, while a correct one fails with a probability near 2e-9.
FAN_IN, FAN_OUT = 800, 300  # different, so that a formula using the wrong fan is caught
SE_ALLOWED = 6.0
KURTOSIS = {"normal": 3.0, "uniform": 9 / 5}
KIND = {"xavier_normal": "normal", "xavier_uniform": "uniform", "he_normal": "normal",
        "he_uniform": "uniform", "lecun_normal": "normal"}
LIMIT = {"xavier_uniform": math.sqrt(6 / (FAN_IN + FAN_OUT)), "he_uniform": math.sqrt(6 / FAN_IN)}


def assert_drawn_with_std(W, sigma, kind):
    n = W.size
    se_mean = sigma / math.sqrt(n)
    se_std = sigma * math.sqrt((KURTOSIS[kind] - 1) / (4 * n))
    assert abs(W.mean()) < SE_ALLOWED * se_mean
    assert abs(W.std() - sigma) < SE_ALLOWED * se_std, (
        f"sample std {W.std():.6g} is {(W.std() - sigma) / se_std:.1f} standard errors from "
        f"{sigma:.6g}")


@pytest.mark.parametrize("name", list(EXPECTED_STD))
def test_weights_are_drawn_with_the_scheme_std_to_within_sampling_error(name, rng):
    W = init.get(name)(FAN_IN, FAN_OUT, rng)
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == np.float64
    assert_drawn_with_std(W, EXPECTED_STD[name](FAN_IN, FAN_OUT), KIND[name])
    assert init.std_of(name, FAN_IN, FAN_OUT) == pytest.approx(
        EXPECTED_STD[name](FAN_IN, FAN_OUT), rel=1e-12)


@pytest.mark.parametrize("name", list(LIMIT))
def test_uniform_weights_reach_their_limit_and_never_pass_it(name, rng):
    W = init.get(name)(FAN_IN, FAN_OUT, rng)
    limit, n = LIMIT[name], W.size
    # P(max |W| < (1 - delta) limit) = (1 - delta)^n; delta chosen so that this is 1e-9
    delta = 1 - 1e-9 ** (1 / n)  # about 9e-5 here: a limit 2.5 % too small fails surely
    assert (1 - delta) * limit < np.abs(W).max() <= limit
    assert W.min() < 0 < W.max()


@pytest.mark.parametrize("name", list(EXPECTED_STD))
def test_a_dense_layer_draws_its_weights_with_its_init(name, rng):
    from vglib.layers import Dense

    W = Dense(FAN_IN, FAN_OUT, init=name, rng=rng).params["W"]
    assert W.shape == (FAN_IN, FAN_OUT)
    assert_drawn_with_std(W, EXPECTED_STD[name](FAN_IN, FAN_OUT), KIND[name])


def test_xavier_normal_variance_is_two_over_fan_sum_not_one():
    # a source gives 1/(fan_in + fan_out); Glorot & Bengio (2010) Eq. 12 give 2/(fan_in + fan_out)
    assert init.std_of("xavier_normal", 300, 100) ** 2 == pytest.approx(2 / 400)


def test_a_float_means_a_plain_normal_with_that_std(rng):
    W = init.get(0.05)(FAN_IN, FAN_OUT, rng)
    assert_drawn_with_std(W, 0.05, "normal")
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


# every argument the initialisers check, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "get name": (lambda: init.get("glorot"), "init"),
    "get std": (lambda: init.get(-0.5), "init (a standard deviation)"),
    "get huge std": (lambda: init.get(2e3), "init (a standard deviation)"),
    "draw fan_in": (lambda: init.get("he_normal")(0, 3, np.random.default_rng(0)), "fan_in"),
    "draw fan_out": (lambda: init.get("he_uniform")(3, 0, np.random.default_rng(0)), "fan_out"),
    "draw rng": (lambda: init.get("xavier_uniform")(3, 3, 0), "rng"),
    "std_of name": (lambda: init.std_of("glorot", 3, 3), "init"),
    "std_of std": (lambda: init.std_of(-0.5, 3, 3), "init (a standard deviation)"),
    "std_of huge std": (lambda: init.std_of(2e3, 3, 3), "init (a standard deviation)"),
    "std_of fan_in": (lambda: init.std_of("he_normal", 0, 3), "fan_in"),
    "std_of fan_out": (lambda: init.std_of("he_normal", 3, "4"), "fan_out"),
    "recommended_for": (lambda: init.recommended_for("relu6"), "activation"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_the_names_and_the_recommendations():
    assert init.names() == ["xavier_normal", "xavier_uniform", "he_normal", "he_uniform",
                            "lecun_normal"]
    assert init.std_of(0.0, 3, 3) == 0.0 and init.std_of(1e3, 3, 3) == 1e3  # the bounds
    assert np.array_equal(init.get(0.0)(2, 2, np.random.default_rng(0)), np.zeros((2, 2)))
    for name in ("identity", "sigmoid", "tanh"):
        assert init.recommended_for(name) == "xavier_normal"
    for name in ("relu", "leaky_relu", "elu", "gelu", "silu", "prelu"):
        assert init.recommended_for(name) == "he_normal"
