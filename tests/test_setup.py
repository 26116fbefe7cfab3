import platform
import sys

import pytest

from vglib import setup


def test_in_colab_follows_the_google_colab_module(monkeypatch):
    assert setup.in_colab() is False
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert setup.in_colab() is True


def test_glue_falls_back_to_printing_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes "from myst_nb import ..." fail
    setup.glue("answer", 0.25**50)
    assert capsys.readouterr().out == "answer = 7.888609052210118e-31\n"


def test_glue_refuses_a_bad_name():
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        setup.glue("", 1.0)


def test_versions_names_python_numpy_matplotlib_and_vglib():
    import matplotlib
    import numpy

    import vglib

    line = setup.versions()
    assert line.startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}.")
    assert f"numpy {numpy.__version__}" in line
    assert f"matplotlib {matplotlib.__version__}" in line
    assert line.endswith(f"vglib {vglib.__version__}")


def test_supported_ranges_are_the_ones_in_pyproject():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    declared = dict(re.findall(r'"(numpy|matplotlib|ipywidgets)([<>=!][^"]*)"', text))
    declared["python"] = re.search(r'requires-python = "([^"]+)"', text).group(1)
    assert declared == setup.SUPPORTED


@pytest.mark.parametrize("version, spec, ok", [
    ("7.7.1", ">=7.7,<9", True), ("8.1.5", ">=7.7,<9", True), ("9.0.0", ">=7.7,<9", False),
    ("7.6.5", ">=7.7,<9", False), ("2.0.2", ">=1.26", True), ("1.25.2", ">=1.26", False),
    ("3.10.0rc1", ">=3.8", True), ("3.10", ">=3.10", True),
])
def test_satisfies_compares_versions_numerically(version, spec, ok):
    assert setup.satisfies(version, spec) is ok


def test_doctor_reports_versions_colab_and_widgets(capsys):
    report = setup.doctor()
    out = capsys.readouterr().out
    assert out.startswith("vglib environment check")
    for name in ("python", "numpy", "matplotlib", "ipywidgets", "Colab", "widgets"):
        assert name in out
    assert report.problems == [] and "Everything vglib needs is here." in out
    assert "cannot render: not running in a Jupyter kernel" in out  # pytest is not a kernel


def test_doctor_names_an_unsupported_or_missing_package(monkeypatch):
    import numpy

    monkeypatch.setattr(numpy, "__version__", "1.21.0")
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes the import fail
    report = setup.doctor(print_report=False)
    assert "numpy 1.21.0 is outside the supported range >=1.26" in report.problems
    assert any(p.startswith("ipywidgets is not installed") for p in report.problems)
    assert "2 problem(s)" in str(report)


def test_alternative_kernels_differ_from_the_pinned_ones_and_override_what_is_set():
    from vglib.setup import ALTERNATIVE_KERNELS, PINNED_KERNELS, choose_math_kernels

    assert set(ALTERNATIVE_KERNELS) == set(PINNED_KERNELS)
    assert all(ALTERNATIVE_KERNELS[k] != PINNED_KERNELS[k] for k in PINNED_KERNELS)
    env = choose_math_kernels("alternative", dict(PINNED_KERNELS))
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert env == ALTERNATIVE_KERNELS
    assert choose_math_kernels("pinned", {"OPENBLAS_CORETYPE": "Zen"})["OPENBLAS_CORETYPE"] == "Zen"
    with pytest.raises(ValueError, match="kernels='fast' is unknown; choose one of pinned"):
        choose_math_kernels("fast", {})
