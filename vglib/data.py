"""Small 2-D classification data sets drawn with numpy from a given ``rng`` (no downloads).

Each returns ``(X, y)``: ``X`` float64 of shape ``(n, 2)`` with coordinates of order 1, ``y``
int64 class labels of shape ``(n,)``. Rows come shuffled; classes are as balanced as ``n``
allows. ``sequence_sign`` is the exception: sequences for the recurrent networks of chapter 8.
``digits`` is real data: scikit-learn's bundled 8x8 images of handwritten digits (shipped
inside scikit-learn, no download; ``pip install vglib[data]``), split at random by ``rng``.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["DIGITS_PIXEL_MAX", "checkerboard", "circles", "digits", "moons", "sequence_sign",
           "spirals"]


MAX_NOISE = 1e3
MAX_TURNS = 1e3  # spiral turns: beyond this the arms are closer than any noise


def _class_sizes(n: int, classes: int) -> np.ndarray:
    sizes = np.full(classes, n // classes)
    sizes[: n % classes] += 1
    return sizes


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def _common(n, rng, noise, *, minimum):
    n = _checks.positive_int(n, "n", minimum=minimum)
    rng = _checks.generator(rng)
    # the points have coordinates of order 1: a noise std above MAX_NOISE is a typo
    noise = _checks.real_number(noise, "noise", low=0.0, high=MAX_NOISE)
    return n, rng, noise


def spirals(
    n: int, rng: np.random.Generator, *, classes: int = 2, turns: float = 1.0, noise: float = 0.05
):
    """Interleaved spiral arms, one per class: radius ``r`` in (0, 1], angle
    ``2 pi (turns r + c / classes)``, plus Gaussian noise of std ``noise``.
    """
    classes = _checks.positive_int(classes, "classes", minimum=2)
    n, rng, noise = _common(n, rng, noise, minimum=classes)
    turns = _checks.real_number(turns, "turns", low=0.0, high=MAX_TURNS, low_open=True)
    Xs, ys = [], []
    for c, size in enumerate(_class_sizes(n, classes)):
        r = np.linspace(0.05, 1.0, size)
        angle = 2 * np.pi * (turns * r + c / classes)
        Xs.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
        ys.append(np.full(size, c))
    X = np.vstack(Xs) + noise * rng.standard_normal((n, 2))
    return _shuffled(X, np.concatenate(ys), rng)


def moons(n: int, rng: np.random.Generator, *, noise: float = 0.1):
    """Two interleaving half circles of radius 1 (class 0 on top, class 1 shifted below)."""
    n, rng, noise = _common(n, rng, noise, minimum=2)
    top, bottom = _class_sizes(n, 2)
    t0 = rng.uniform(0, np.pi, top)
    t1 = rng.uniform(0, np.pi, bottom)
    X = np.vstack([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    X = X - [0.5, 0.25]  # centre the pair on the origin
    y = np.concatenate([np.zeros(top), np.ones(bottom)])
    return _shuffled(X + noise * rng.standard_normal((n, 2)), y, rng)


def circles(n: int, rng: np.random.Generator, *, noise: float = 0.05, factor: float = 0.5):
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor`` inside it."""
    n, rng, noise = _common(n, rng, noise, minimum=2)
    factor = _checks.real_number(factor, "factor", low=0.0, high=1.0, low_open=True)
    outer, inner = _class_sizes(n, 2)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.concatenate([np.ones(outer), np.full(inner, factor)])
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    y = np.concatenate([np.zeros(outer), np.ones(inner)])
    return _shuffled(X + noise * rng.standard_normal((n, 2)), y, rng)


def checkerboard(n: int, rng: np.random.Generator, *, tiles: int = 4, noise: float = 0.0):
    """Points uniform on the square [-1, 1]^2, labelled by the colour of a ``tiles`` x ``tiles``
    checkerboard (optionally jittered by Gaussian ``noise`` after labelling).
    """
    n, rng, noise = _common(n, rng, noise, minimum=2)
    tiles = _checks.positive_int(tiles, "tiles", minimum=2)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    cell = np.minimum(np.floor((X + 1.0) / 2.0 * tiles), tiles - 1).astype(np.int64)
    y = (cell[:, 0] + cell[:, 1]) % 2
    return _shuffled(X + noise * rng.standard_normal((n, 2)), y, rng)


def sequence_sign(n: int, steps: int, rng: np.random.Generator, *, first: int = 5):
    """Sequences of ``steps`` standard-normal numbers, ``X`` of shape ``(n, steps)``; the label
    is 1 when the sum of the *first* ``first`` numbers is positive. A recurrent network reads
    the whole sequence and answers at the end, so the gradient that teaches it must travel
    back through ``steps - first`` or more steps.
    """
    n = _checks.positive_int(n, "n", minimum=2)
    steps = _checks.positive_int(steps, "steps")
    first = _checks.positive_int(first, "first")
    if first > steps:
        raise ValueError(f"first must be at most steps ({steps}); got {first}")
    X = _checks.generator(rng).standard_normal((n, steps))
    return X, (X[:, :first].sum(axis=1) > 0).astype(np.int64)


DIGITS_PIXEL_MAX = 16.0  # the digits' pixels are ink counts from 0 to 16


def _digits_table() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as (pixels float64 (1797, 64), labels int64). Read straight from the
    table scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``, the file its
    ``load_digits`` reads, located without importing scikit-learn: the import alone costs over a
    second); through ``load_digits`` if a scikit-learn version keeps it elsewhere."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ImportError("vglib.data.digits needs scikit-learn, which ships the digits: "
                          "pip install scikit-learn (or vglib[data])")
    for folder in spec.submodule_search_locations or ():
        table = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if table.is_file():
            rows = np.loadtxt(table, delimiter=",", ndmin=2)
            return rows[:, :-1].astype(np.float64), rows[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def digits(rng: np.random.Generator, *, test_fraction: float = 0.25):
    """scikit-learn's bundled handwritten digits (1,797 images of 8x8 pixels, 10 classes, shipped
    inside the package: no download), split at random by ``rng`` into a training and a test set
    with every class in the same proportion in both (``test_fraction`` of each class is held
    out). Returns ``(X_train, y_train, X_test, y_test)``: ``X`` float64 of shape ``(n, 64)``,
    each pixel standardised with the mean and standard deviation of the *training* rows (pixels
    that are 0 in every training image stay 0), ``y`` int64 labels 0-9. Needs scikit-learn
    (``pip install vglib[data]``); ``import vglib`` does not."""
    rng = _checks.generator(rng)
    test_fraction = _checks.real_number(test_fraction, "test_fraction", low=0.0, high=1.0,
                                        low_open=True)
    images, labels = _digits_table()
    test = np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == digit))
        held_out = round(test_fraction * len(members))
        if held_out < 1 or held_out >= len(members):
            raise ValueError(f"test_fraction={test_fraction} leaves no training or no test "
                             f"image of digit {digit} ({len(members)} images)")
        test[members[:held_out]] = True
    train_rows, test_rows = rng.permutation(np.flatnonzero(~test)), rng.permutation(
        np.flatnonzero(test))
    mean = images[train_rows].mean(axis=0)
    std = images[train_rows].std(axis=0)
    std[std == 0] = 1.0  # a pixel that never has ink in training stays 0
    X = (images - mean) / std
    return X[train_rows], labels[train_rows], X[test_rows], labels[test_rows]
