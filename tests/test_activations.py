import numpy as np
import pytest

from vglib import activations
from vglib._special import normal_cdf

ALL = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "identity"]


def central_difference(fn, z, h=1e-6):
    return (fn.forward(z + h) - fn.forward(z - h)) / (2 * h)


def test_get_knows_every_name_of_the_contract():
    assert activations.names() == ALL
    for name in ALL:
        assert activations.get(name).name == name


@pytest.mark.parametrize("name", ALL)
def test_derivative_matches_finite_differences(name):
    # avoid the kinks of relu / leaky_relu / elu at 0, where no derivative exists
    z = np.concatenate([np.linspace(-8, -0.01, 300), np.linspace(0.01, 8, 300)])
    fn = activations.get(name)
    numeric = central_difference(fn, z)
    assert np.max(np.abs(fn.derivative(z) - numeric)) < 1e-8


@pytest.mark.parametrize("name", ALL)
def test_elementwise_on_any_shape(name):
    fn = activations.get(name)
    z = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    assert fn.forward(z).shape == z.shape
    assert fn.derivative(z).shape == z.shape
    assert np.allclose(fn.forward(z).ravel(), fn.forward(z.ravel()))


@pytest.mark.parametrize("name", ALL)
def test_stable_for_huge_inputs(name):
    fn = activations.get(name)
    z = np.array([-1e3, -710.0, -50.0, 0.0, 50.0, 710.0, 1e3])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out, d = fn.forward(z), fn.derivative(z)
    assert np.isfinite(out).all() and np.isfinite(d).all()


def test_formulas_at_known_points():
    z = np.array([-2.0, 0.0, 3.0])
    assert np.allclose(activations.get("sigmoid").forward(z), 1 / (1 + np.exp(-z)))
    assert np.allclose(activations.get("relu").forward(z), [0, 0, 3])
    assert np.allclose(activations.get("leaky_relu").forward(z), [-0.02, 0, 3])
    assert np.allclose(activations.get("elu").forward(z), [np.exp(-2) - 1, 0, 3])
    assert np.allclose(activations.get("gelu").forward(z), z * normal_cdf(z))
    assert np.allclose(activations.get("silu").forward(z), z / (1 + np.exp(-z)))
    assert np.allclose(activations.get("identity").forward(z), z)


def test_gelu_is_the_exact_form_not_the_tanh_approximation():
    z = np.array([-1.0, 1.0, 2.0])
    tanh_approx = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    exact = activations.get("gelu").forward(z)
    assert np.allclose(exact, [-0.15865525393145707, 0.8413447460685429, 1.9544997361036416])
    assert np.max(np.abs(exact - tanh_approx)) > 1e-5


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    z = np.linspace(-10, 10, 200001)
    d = activations.get("sigmoid").derivative(z)
    assert d.max() <= 0.25
    assert d.max() == pytest.approx(0.25, abs=1e-15)
    assert z[np.argmax(d)] == pytest.approx(0.0, abs=1e-9)


def test_tanh_derivative_peaks_at_one_four_times_sigmoid():
    z = np.linspace(-10, 10, 200001)
    assert activations.get("tanh").derivative(z).max() == pytest.approx(1.0)
    assert activations.get("tanh").derivative(z).max() / activations.get(
        "sigmoid"
    ).derivative(z).max() == pytest.approx(4.0)


def test_relu_derivative_is_zero_or_one_and_leaky_never_zero():
    z = np.linspace(-5, 5, 101)
    assert set(np.unique(activations.get("relu").derivative(z))) == {0.0, 1.0}
    assert set(np.unique(activations.get("leaky_relu").derivative(z))) == {0.01, 1.0}


def test_sigmoid_derivative_at_four_corrects_the_source():
    # a source says "near 0.01"; the value is 0.0177
    assert activations.get("sigmoid").derivative(np.array(4.0)) == pytest.approx(0.0177, abs=5e-5)


def test_unknown_name_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"activation='sigmod' is unknown \(did you mean 'sig"):
        activations.get("sigmod")
    with pytest.raises(TypeError, match="activation must be a name"):
        activations.get(3)


def test_derivatives_at_exactly_zero_follow_the_stated_conventions():
    # at the kinks the derivative is the left one for relu, leaky_relu and prelu-like units
    # (a unit at z = 0 is off), and 1 for elu (alpha exp(0))
    expected = {"sigmoid": 0.25, "tanh": 1.0, "relu": 0.0, "leaky_relu": 0.01, "elu": 1.0,
                "gelu": 0.5, "silu": 0.5, "identity": 1.0}
    for name, slope in expected.items():
        fn = activations.get(name)
        assert fn.derivative(np.zeros(3)).tolist() == [slope] * 3, name
        assert fn.forward(np.zeros(2)).tolist() == [0.5 if name == "sigmoid" else 0.0] * 2


def test_get_returns_an_activation_object_unchanged_and_names_are_a_copy():
    relu = activations.get("relu")
    assert activations.get(relu) is relu
    names = activations.names()
    names.append("swish")
    assert "swish" not in activations.names()
    assert repr(activations.get("sigmoid")) == "<activation sigmoid: 1 / (1 + exp(-z))>"


@pytest.mark.parametrize("name", ALL)
def test_forward_and_derivative_refuse_what_is_not_a_finite_array(name):
    fn = activations.get(name)
    for method in (fn.forward, fn.derivative):
        with pytest.raises(TypeError, match="^z must be"):
            method("one")
        with pytest.raises(ValueError, match="^z contains 1 NaN or inf"):
            method(np.array([0.0, np.nan]))
