import numpy as np
import pytest

from vglib import data

MAKERS = [data.spirals, data.moons, data.circles, data.checkerboard]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_dtypes_and_balance(make, rng):
    X, y = make(301, rng)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= (1 if make is not data.checkerboard else 60)
    assert np.isfinite(X).all() and np.abs(X).max() < 3


@pytest.mark.parametrize("make", MAKERS)
def test_same_seed_same_data_and_rows_are_shuffled(make):
    X1, y1 = make(200, np.random.default_rng(3))
    X2, y2 = make(200, np.random.default_rng(3))
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert 0 < np.mean(y1[:100]) < 1  # both classes appear in the first half


def test_spirals_with_three_classes_and_no_noise_sit_on_their_arms():
    X, y = data.spirals(300, np.random.default_rng(0), classes=3, noise=0.0)
    assert set(np.unique(y)) == {0, 1, 2}
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() >= 0.05 - 1e-12 and r.max() <= 1.0 + 1e-12


def test_circles_radii():
    X, y = data.circles(400, np.random.default_rng(0), noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)


def test_checkerboard_labels_follow_the_tiles():
    X, y = data.checkerboard(500, np.random.default_rng(0), tiles=2)
    expected = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int)
    assert np.array_equal(y, expected)


def test_bad_input_is_refused(rng):
    with pytest.raises(ValueError, match="n must be an integer >= 2; got 1"):
        data.moons(1, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        data.spirals(100, 0)
    with pytest.raises(ValueError, match="noise must be in"):
        data.circles(100, rng, noise=-1)
    with pytest.raises(ValueError, match="factor must be in"):
        data.circles(100, rng, factor=1.5)
    with pytest.raises(ValueError, match="classes must be an integer >= 2"):
        data.spirals(100, rng, classes=1)
    with pytest.raises(ValueError, match="tiles must be an integer >= 2"):
        data.checkerboard(100, rng, tiles=1)
