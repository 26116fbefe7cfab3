import numpy as np
import pytest

from vglib import NonFiniteError
from vglib.data import sequence_sign
from vglib.gradcheck import gradient_errors, numeric_gradient
from vglib.layers import Dense, Sequential
from vglib.optim import SGD
from vglib.recurrent import (
    RNN,
    backprop_through_time,
    gradient_through_time,
    matrix_with_spectral_radius,
    spectral_radius,
    unroll,
)
from vglib.train import fit


@pytest.mark.parametrize("activation", ["tanh", "identity", "sigmoid"])
def test_rnn_backward_matches_finite_differences(activation, rng):
    layer = RNN(2, 4, 5, activation=activation, radius=1.2, rng=rng)
    layer.params["b"][:] = rng.standard_normal(4) * 0.1
    errors = gradient_errors(layer, rng.standard_normal((3, 10)), rng=rng)
    assert set(errors) == {"x", "U", "W", "b"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ["tanh", "identity"])
def test_backprop_through_time_matches_finite_differences(activation, rng):
    W = matrix_with_spectral_radius(5, 1.3, rng=rng)
    h0, v = rng.standard_normal(5), rng.standard_normal(5)
    grads = backprop_through_time(W, unroll(W, h0, 7, activation=activation), v,
                                  activation=activation)
    numeric = numeric_gradient(lambda: float(v @ unroll(W, h0, 7, activation=activation)[-1]), h0)
    assert np.allclose(grads[0], numeric, rtol=1e-6, atol=1e-8)
    assert np.array_equal(grads[-1], v)


def test_matrix_has_the_asked_spectral_radius(rng):
    for radius in (0.5, 1.0, 3.0):
        W = matrix_with_spectral_radius(20, radius, rng=rng)
        assert spectral_radius(W) == pytest.approx(radius)


def test_linear_gradient_grows_like_radius_to_the_power_of_steps(rng):
    """For a linear recurrence, ||g_k||^(1/k) tends to the spectral radius."""
    for radius in (0.8, 1.25):
        tt = gradient_through_time(radius, 200, n=16, rng=rng)
        rate = (tt.norms[-1] / tt.norms[100]) ** (1 / 100)
        assert rate == pytest.approx(radius, rel=0.02)
        assert tt.norms[0] == pytest.approx(1.0)


def test_clipping_by_norm_rescales_every_step_by_one_factor(rng):
    tt = gradient_through_time(1.5, 30, clip=2.0, rng=rng)
    ratio = tt.clipped_norms / tt.norms
    assert np.allclose(ratio, ratio[0])  # the same factor everywhere: the direction is kept
    assert np.sqrt(np.sum(tt.clipped_norms**2)) == pytest.approx(2.0)
    small = gradient_through_time(0.5, 30, clip=100.0, rng=rng)
    assert np.array_equal(small.clipped_norms, small.norms)  # below the limit: untouched


def test_a_linear_rnn_diverges_without_clipping_and_trains_with_it():
    def run(clip):
        rng = np.random.default_rng(0)
        X, y = sequence_sign(512, 30, rng)
        model = Sequential([RNN(1, 16, 30, activation="identity", rng=rng), Dense(16, 2, rng=rng)])
        return fit(model, X, y, optimizer=SGD(0.01, momentum=0.9), epochs=10, batch_size=32,
                   rng=rng, clip=clip, record_every=None)

    with pytest.raises(NonFiniteError, match="training stopped at step"):
        run(None)
    assert run(1.0).epoch_accuracy[-1] > 0.75


def test_sequence_sign_labels_follow_the_first_numbers(rng):
    X, y = sequence_sign(50, 12, rng, first=3)
    assert X.shape == (50, 12) and np.array_equal(y, X[:, :3].sum(axis=1) > 0)


def test_recurrent_functions_refuse_bad_input(rng):
    with pytest.raises(ValueError, match="W must be square"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="radius"):
        matrix_with_spectral_radius(4, 0.0, rng=rng)
    with pytest.raises(ValueError, match="x must have 10 features"):
        RNN(2, 3, 5, rng=rng).forward(np.ones((4, 9)))
    with pytest.raises(ValueError, match="grad_last must have the shape"):
        backprop_through_time(np.eye(3), np.ones((4, 3)), np.ones(2))
    with pytest.raises(ValueError, match="first must be at most steps"):
        sequence_sign(10, 3, rng, first=4)
    with pytest.raises(RuntimeError, match="before forward"):
        RNN(1, 2, 3, rng=rng).backward(np.ones((1, 2)))
