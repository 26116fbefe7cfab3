import copy

import numpy as np
import pytest
from refusals import assert_refused_naming

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


def test_spectral_radius_of_huge_entries_is_exact_or_refused():
    # LAPACK scales W first: a radius near float64's largest is computed, without a warning
    # (warnings are errors here), and one beyond it is refused with the size of the entries
    W = np.array([[1.7e308, 0.0], [0.0, -1e308]])
    assert spectral_radius(W) == 1.7e308
    assert spectral_radius(np.array([[0.0, 1.5e308], [1.5e308, 0.0]])) == pytest.approx(1.5e308)
    with pytest.raises(NonFiniteError, match=r"^the spectral radius of W exceeds float64 \(W's "
                                             r"entries reach 1\.7e\+308\)$"):
        spectral_radius(np.array([[1.7e308, 1.7e308], [1.7e308, 1.7e308]]))


def test_recurrent_functions_refuse_bad_input(rng):
    with pytest.raises(ValueError, match="W must be a square matrix"):
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


def test_rnn_backward_overwrites_its_gradients_instead_of_adding_to_them(rng):
    layer = RNN(2, 3, 4, radius=1.1, rng=rng)
    layer.params["b"][:] = rng.standard_normal(3) * 0.1
    twin = copy.deepcopy(layer)  # never sees the first pass
    x1, x2 = rng.standard_normal((5, 8)), rng.standard_normal((5, 8))
    layer.forward(x1)
    layer.backward(rng.standard_normal((5, 3)))
    layer.forward(x2)
    dy = rng.standard_normal((5, 3))
    dx = layer.backward(dy)
    twin.forward(x2)
    assert np.allclose(twin.backward(dy), dx, rtol=1e-12, atol=1e-12)
    for key in ("U", "W", "b"):
        assert np.abs(twin.grads[key]).max() > 1e-3
        assert np.allclose(layer.grads[key], twin.grads[key], rtol=1e-12, atol=1e-12), key
    packed = Sequential([layer]).pack()  # the gradients are views of one buffer from here
    packed.forward(x2)
    packed.backward(dy)
    assert packed.packed() is not None  # written in place, not rebound
    for key in ("U", "W", "b"):
        assert np.allclose(layer.grads[key], twin.grads[key], rtol=1e-12, atol=1e-12), key


_RNG = np.random.default_rng(0)

# every argument the recurrences check, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "spectral_radius W": (lambda: spectral_radius(np.ones(3)), "W"),
    "matrix n": (lambda: matrix_with_spectral_radius(0, 1.0, rng=_RNG), "n"),
    "matrix radius": (lambda: matrix_with_spectral_radius(3, -1.0, rng=_RNG), "radius"),
    "matrix rng": (lambda: matrix_with_spectral_radius(3, 1.0, rng=None), "rng"),
    "unroll W": (lambda: unroll(np.ones((2, 3)), np.ones(2), 3), "W"),
    "unroll h0": (lambda: unroll(np.eye(2), np.ones(3), 3), "h0"),
    "unroll steps": (lambda: unroll(np.eye(2), np.ones(2), 0), "steps"),
    "unroll activation": (lambda: unroll(np.eye(2), np.ones(2), 3, activation="relu6"),
                          "activation"),
    "bptt W": (lambda: backprop_through_time("W", np.ones((3, 2)), np.ones(2)), "W"),
    "bptt states": (lambda: backprop_through_time(np.eye(2), np.ones((3, 3)), np.ones(2)),
                    "states"),
    "bptt grad_last": (lambda: backprop_through_time(np.eye(2), np.ones((3, 2)), np.ones(3)),
                       "grad_last"),
    "bptt grad_last type": (lambda: backprop_through_time(np.eye(2), np.ones((3, 2)), "g"),
                            "grad_last"),
    "unroll h0 type": (lambda: unroll(np.eye(2), "h", 3), "h0"),
    "through time clip": (lambda: gradient_through_time(1.0, 3, clip=0.0, rng=_RNG), "clip"),
    "through time rng": (lambda: gradient_through_time(1.0, 3, rng=1), "rng"),
    "RNN in_dim": (lambda: RNN(0, 2, 3, rng=_RNG), "in_dim"),
    "RNN hidden": (lambda: RNN(1, 0, 3, rng=_RNG), "hidden"),
    "RNN steps": (lambda: RNN(1, 2, 0, rng=_RNG), "steps"),
    "RNN activation": (lambda: RNN(1, 2, 3, activation="relu6", rng=_RNG), "activation"),
    "RNN rng": (lambda: RNN(1, 2, 3, rng=None), "rng"),
    "RNN x": (lambda: RNN(1, 2, 3, rng=_RNG).forward(np.ones((2, 4))), "x"),
    "RNN train": (lambda: RNN(1, 2, 3, rng=_RNG).forward(np.ones((2, 3)), train=0), "train"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_rnn_shows_how_it_was_built(rng):
    assert repr(RNN(2, 3, 5, activation="sigmoid", rng=rng)) == (
        "RNN(2, 3, steps=5, activation='sigmoid')")
    assert repr(RNN(1, 4, 2, rng=rng)) == "RNN(1, 4, steps=2, activation='tanh')"


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "elu"])
def test_backprop_through_time_uses_each_step_pre_activation(activation, rng):
    # relu's and elu's slopes need z itself, not only the state: every step is recomputed
    W = matrix_with_spectral_radius(4, 1.5, rng=rng)
    h0, v = rng.standard_normal(4), rng.standard_normal(4)
    grads = backprop_through_time(W, unroll(W, h0, 6, activation=activation), v,
                                  activation=activation)
    numeric = numeric_gradient(lambda: float(v @ unroll(W, h0, 6, activation=activation)[-1]),
                               h0)
    assert np.allclose(grads[0], numeric, rtol=1e-6, atol=1e-8)


def test_the_recurrence_is_linear_by_default_and_states_keep_their_batch_shape(rng):
    W = np.array([[0.5, 1.0], [-1.0, 0.5]])
    h0 = rng.standard_normal((3, 2))
    states = unroll(W, h0, 4)
    assert states.shape == (5, 3, 2)
    assert np.allclose(states[4], h0 @ np.linalg.matrix_power(W.T, 4))
    grads = backprop_through_time(W, states, np.ones((3, 2)))
    assert grads.shape == (5, 3, 2)
    assert np.allclose(grads[0], np.ones((3, 2)) @ np.linalg.matrix_power(W, 4))


def test_backprop_through_time_accepts_states_and_gradients_that_are_not_finite(rng):
    # the gradients of a run that diverged can still be inspected: NaN where they broke
    W = np.eye(2)
    states = np.array([[1.0, 1.0], [np.inf, 1.0], [np.inf, 1.0]])
    grads = backprop_through_time(W, states, np.array([np.inf, 1.0]), activation="tanh")
    assert grads.shape == (3, 2) and not np.isfinite(grads[:2]).all()
    huge = backprop_through_time(np.eye(2) * 1e200, np.ones((3, 2)), np.ones(2) * 1e200)
    assert not np.isfinite(huge[0]).any()  # overflowed quietly: no warning, no error
    with pytest.raises(ValueError, match=r"^grad_last must have the shape of one state, \(2,\); "
                                         r"got \(3,\)$"):
        backprop_through_time(W, states, np.ones(3))


@pytest.mark.parametrize("activation", ["identity", "gelu"])  # gelu(-inf) is NaN
def test_unroll_names_the_step_where_the_state_overflows(activation):
    with pytest.raises(NonFiniteError, match=r"^the state overflows float64 at step 2: W's "
                                             r"spectral radius \(1e\+200\) is too large for 3 "
                                             r"steps from this h0$"):
        # z_1 = (1e200, -1e200), z_2 = (1e400, -1e400): overflows at step 2
        unroll(np.array([[1e200, 0.0], [-1e200, 0.0]]), np.ones(2), 3, activation=activation)


def test_the_recurrences_refuse_sizes_beyond_their_limits():
    assert unroll(np.zeros((2000, 2000)), np.zeros(2000), 1).shape == (2, 2000)
    with pytest.raises(ValueError, match=r"^W must have at most 2000 rows; got shape "
                                         r"\(2001, 2001\)$"):
        unroll(np.zeros((2001, 2001)), np.zeros(2001), 1)
    h0 = np.zeros((1000, 2))  # 2000 numbers per state: at most 5000 steps (10 million numbers)
    assert unroll(np.eye(2), h0[:1], 3).shape == (4, 1, 2)
    with pytest.raises(ValueError, match=r"^steps must be an integer <= 5,000; got 5001"):
        unroll(np.eye(2), h0, 5001)
    with pytest.raises(ValueError, match=r"^n must be an integer <= 2,000; got 2001"):
        matrix_with_spectral_radius(2001, 1.0, rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    assert spectral_radius(matrix_with_spectral_radius(3, 1e3, rng=rng)) == pytest.approx(1e3)
    with pytest.raises(ValueError, match=r"^radius must be in \(0, 1000\]; got 1000\.5"):
        matrix_with_spectral_radius(3, 1000.5, rng=rng)
    assert spectral_radius(np.zeros((3, 3))) == 0.0


def test_gradient_through_time_starts_from_a_unit_state_and_a_unit_gradient():
    def by_hand(seed, radius, steps, activation, n):
        rng = np.random.default_rng(seed)
        W = matrix_with_spectral_radius(n, radius, rng=rng)
        h0 = rng.standard_normal(n)
        states = unroll(W, h0 / np.linalg.norm(h0), steps, activation=activation)
        g = rng.standard_normal(n)
        grads = backprop_through_time(W, states, g / np.linalg.norm(g), activation=activation)
        return np.linalg.norm(grads, axis=-1)[::-1]

    tt = gradient_through_time(1.3, 12, activation="tanh", rng=np.random.default_rng(5))
    assert (tt.radius, tt.activation, tt.clipped_norms) == (1.3, "tanh", None)
    assert tt.steps_back.tolist() == list(range(13))
    assert np.allclose(tt.norms, by_hand(5, 1.3, 12, "tanh", 32), rtol=1e-12)  # n = 32
    assert tt.norms[0] == pytest.approx(1.0)
    linear = gradient_through_time(0.9, 5, n=4, rng=np.random.default_rng(6))
    assert linear.activation == "identity"
    assert np.allclose(linear.norms, by_hand(6, 0.9, 5, "identity", 4), rtol=1e-12)


def test_rnn_starts_with_the_stated_scales_and_takes_only_flat_sequences():
    layer = RNN(400, 20, 2, rng=np.random.default_rng(0))
    assert spectral_radius(layer.params["W"]) == pytest.approx(1.0)  # radius 1 by default
    U = layer.params["U"]  # variance 1 / in_dim: std 0.05, standard error 0.05 / sqrt(2 n)
    assert abs(U.std() - 0.05) < 6 * 0.05 / np.sqrt(2 * U.size)
    assert np.array_equal(layer.params["b"], np.zeros(20))
    with pytest.raises(ValueError, match="^x must be a 2-D array"):
        RNN(1, 2, 3, rng=np.random.default_rng(0)).forward(np.ones((2, 1, 3)))


@pytest.mark.parametrize("activation", ["identity", "gelu"])
def test_an_rnn_that_overflows_says_so_with_its_input(activation, rng):
    layer = RNN(1, 2, 3, activation=activation, radius=1.0, rng=rng)
    layer.params["U"][...] = 1.0
    layer.params["W"][...] = -3 * np.eye(2)  # z_2 = 1e308 - 3e308: -inf (gelu: NaN)
    with pytest.raises(NonFiniteError, match=r"^the output of RNN: .*\(its input x reaches "
                                             r"1e\+308\)"):
        layer.forward(np.full((2, 3), 1e308))


def test_when_the_gradient_overflows_clipping_has_no_factor_to_give():
    # radius 10 over 308 steps: the states stay finite (just), the gradient sent back does not
    tt = gradient_through_time(10.0, 308, n=2, clip=1.0, rng=np.random.default_rng(3))
    assert np.isinf(tt.norms[-1]) and np.isfinite(tt.norms[:-1]).all()
    assert tt.clipped_norms is None
