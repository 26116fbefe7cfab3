import math

import numpy as np

from vglib._special import erfc, normal_cdf, normal_pdf


def test_erfc_matches_math_erfc_across_the_real_line():
    x = np.concatenate([np.linspace(-6, 6, 4001), np.linspace(6, 26, 501)])
    expected = np.array([math.erfc(v) for v in x])
    assert np.max(np.abs(erfc(x) - expected) / expected) < 1e-12


def test_normal_cdf_matches_math_erf_and_keeps_tiny_tails_accurate():
    z = np.linspace(-30, 8, 3001)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    assert np.max(np.abs(normal_cdf(z) - expected) / expected) < 1e-12


def test_normal_cdf_saturates_without_warnings_for_huge_inputs():
    z = np.array([-1e4, -1e3, 1e3, 1e4])
    assert np.array_equal(normal_cdf(z), [0.0, 0.0, 1.0, 1.0])


def test_normal_pdf_integrates_to_one():
    z = np.linspace(-12, 12, 200001)
    assert abs(normal_pdf(z).sum() * (z[1] - z[0]) - 1.0) < 1e-10
