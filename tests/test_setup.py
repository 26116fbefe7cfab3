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
