import os
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
    assert ("numpy 1.21.0 is outside the supported range >=1.26: pip install 'numpy>=1.26', "
            "then restart Python (in a notebook: restart the kernel)") in report.problems
    assert any(p.startswith("ipywidgets is not installed (vglib supports ipywidgets>=7.7,<9): "
                            "pip install 'ipywidgets>=7.7,<9'") for p in report.problems)
    assert "2 problem(s)" in str(report)


def test_alternative_kernels_differ_from_the_pinned_ones_and_override_what_is_set():
    from vglib.setup import (
        ALTERNATIVE_KERNELS,
        PINNED_KERNELS,
        _for_this_numpy,
        _on_x86_64,
        choose_math_kernels,
    )

    assert set(ALTERNATIVE_KERNELS) == set(PINNED_KERNELS)
    assert all(ALTERNATIVE_KERNELS[k] != PINNED_KERNELS[k] for k in PINNED_KERNELS)
    env = choose_math_kernels("alternative", dict(PINNED_KERNELS))
    if _on_x86_64():
        # with the CPU features the installed numpy knows (all of them, for the newest numpy)
        assert env == _for_this_numpy(ALTERNATIVE_KERNELS)
        assert env["OPENBLAS_CORETYPE"] == ALTERNATIVE_KERNELS["OPENBLAS_CORETYPE"]
    assert choose_math_kernels("pinned", {"OPENBLAS_CORETYPE": "Zen"})["OPENBLAS_CORETYPE"] == "Zen"
    with pytest.raises(ValueError, match="kernels='fast' is unknown; choose one of pinned"):
        choose_math_kernels("fast", {})


# -- doctor() where numpy or matplotlib is missing or broken ------------------------------------
# Each check runs in a fresh Python, where the package is blocked before anything imports it.

BLOCK = """
import sys

class Block:  # makes every import of the package fail, as a broken install would
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {package!r}:
            raise ImportError(name + " is blocked for this test")

sys.meta_path.insert(0, Block())
"""
DOCTOR = """
from vglib.setup import doctor
report = doctor()
print("vglib modules imported:", sorted(m for m in sys.modules if m.startswith("vglib")))
"""


def run_python(code, **kwargs):
    import subprocess

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_doctor_reports_a_numpy_that_cannot_be_imported_instead_of_raising():
    result = run_python(BLOCK.format(package="numpy") + DOCTOR)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert "  numpy       -          supported >=1.26     BROKEN" in lines
    assert "2 problem(s):" in lines
    assert ("  - numpy is installed but cannot be imported (ImportError: numpy is blocked for "
            "this test): reinstall it with pip install --force-reinstall 'numpy>=1.26', then "
            "restart Python (in a notebook: restart the kernel)") in lines
    assert ("  - matplotlib cannot be imported because numpy cannot (ImportError: numpy is "
            "blocked for this test): fix numpy first") in lines
    assert lines[-1] == "vglib modules imported: ['vglib', 'vglib.setup']"


def test_doctor_reports_a_matplotlib_that_cannot_be_imported_instead_of_raising():
    result = run_python(BLOCK.format(package="matplotlib") + DOCTOR)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("  numpy ") and line.endswith(" ok") for line in lines)
    assert "  matplotlib  -          supported >=3.8      BROKEN" in lines
    assert ("  - matplotlib is installed but cannot be imported (ImportError: matplotlib is "
            "blocked for this test): reinstall it with pip install --force-reinstall "
            "'matplotlib>=3.8', then restart Python (in a notebook: restart the kernel)") in lines
    assert "1 problem(s):" in lines


def test_doctor_reports_a_numpy_that_raises_while_it_is_imported(tmp_path):
    broken = tmp_path / "numpy"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise RuntimeError('half-installed numpy')\n")
    result = run_python("import sys" + DOCTOR, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert ("numpy is installed but cannot be imported (RuntimeError: half-installed numpy): "
            "reinstall it with pip install --force-reinstall 'numpy>=1.26'") in result.stdout
    assert ("matplotlib cannot be imported because numpy cannot (RuntimeError: half-installed "
            "numpy): fix numpy first") in result.stdout


def test_doctor_names_a_missing_numpy_and_a_file_that_hides_it(tmp_path):
    missing = run_python("import sys; sys.modules['numpy'] = None" + DOCTOR)
    assert missing.returncode == 0 and missing.stderr == "", missing.stderr
    assert ("  - numpy is not installed (vglib supports numpy>=1.26): pip install 'numpy>=1.26'"
            in missing.stdout)
    (tmp_path / "numpy.py").write_text("answer = 42\n")  # a learner's own numpy.py
    hidden = run_python("import sys" + DOCTOR, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert hidden.returncode == 0 and hidden.stderr == "", hidden.stderr
    assert (f"  - the numpy that Python imports is {tmp_path / 'numpy.py'}, not the package: "
            "rename that file or folder") in hidden.stdout


# -- the package imports its modules on first use ---------------------------------------------


def test_importing_vglib_or_its_setup_imports_neither_numpy_nor_matplotlib():
    code = ("import sys\nimport vglib\nfrom vglib.setup import doctor, glue, in_colab\n"
            "print(sorted(m for m in ('numpy', 'matplotlib') if m in sys.modules))\n"
            "print(sorted(m for m in sys.modules if m.startswith('vglib')))")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "['vglib', 'vglib.setup']"]


def test_the_modules_of_vglib_are_there_on_first_use():
    code = """
import sys
import vglib
assert "vglib.layers" not in sys.modules
layer = vglib.layers.Dense  # the attribute imports the module
assert "vglib.layers" in sys.modules and "numpy" in sys.modules
from vglib import losses, tables
from vglib import NonFiniteError
from vglib._checks import NonFiniteError as defined
assert NonFiniteError is defined is vglib.NonFiniteError
assert set(vglib.__all__) <= set(dir(vglib)) and "__version__" in dir(vglib)
for name in vglib.__all__:
    getattr(vglib, name)
try:
    vglib.no_such_module
except AttributeError as err:
    print(err)
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "module 'vglib' has no attribute 'no_such_module'\n"


def test_every_name_in_all_is_the_module_or_class_it_names():
    import importlib

    import vglib
    from vglib._checks import NonFiniteError

    assert vglib.NonFiniteError is NonFiniteError
    for name in vglib.__all__:
        if name != "NonFiniteError":
            assert getattr(vglib, name) is importlib.import_module(f"vglib.{name}")


def test_run_time_leaves_out_waiting_and_counts_work():
    import time

    from vglib import setup

    before, wall_before = setup.run_time(), setup.elapsed()
    time.sleep(0.3)  # waiting, as for a free core: the wall time grows, the CPU time does not
    assert setup.elapsed() - wall_before >= 0.3
    assert setup.run_time() - before < 0.1
    busy = time.process_time()
    while time.process_time() - busy < 0.3:  # working: both grow
        pass
    assert setup.run_time() - before >= 0.25
    assert 0 <= setup.run_time() <= setup.elapsed()


def test_kernels_pinned_says_whether_the_pinned_kernels_are_set():
    from vglib import setup

    pinned = setup.pin_math_kernels({})
    if not pinned:  # not x86-64: nothing is pinned, and results are never the stored bits
        assert not setup.kernels_pinned({})
        return
    # an older numpy is given fewer CPU features to leave out: not the book's kernels
    assert setup.kernels_pinned(pinned) == (pinned == setup.PINNED_KERNELS)
    assert setup.kernels_pinned(dict(setup.PINNED_KERNELS))
    assert not setup.kernels_pinned({})
    assert not setup.kernels_pinned(setup.choose_math_kernels("alternative", {}))


def test_cpu_features_the_installed_numpy_does_not_know_are_left_out():
    # an older numpy (Colab's 2.0) does not know X86_V4: naming it would make numpy warn at
    # import, a failure under warnings-as-errors; the installed numpy is asked in a subprocess
    from vglib.setup import _numpy_can_disable

    assert _numpy_can_disable("AVX512_ICL NOT_A_FEATURE") == "AVX512_ICL"
    assert _numpy_can_disable("AVX512_ICL") == "AVX512_ICL"


def test_doctor_reports_the_optional_packages_and_a_missing_one_is_no_problem():
    # scikit-learn "not installed": its metadata cannot be found
    hide = ("import sys, importlib.metadata as m\nreal = m.version\n"
            "def version(name):\n    if name == 'scikit-learn':\n"
            "        raise m.PackageNotFoundError(name)\n    return real(name)\n"
            "m.version = version\n")
    missing = run_python(hide + DOCTOR + "print('torch imported:', 'torch' in sys.modules)")
    assert missing.returncode == 0 and missing.stderr == "", missing.stderr
    line = next(line for line in missing.stdout.splitlines()
                if line.startswith("  scikit-learn"))
    assert "not installed (optional: vglib.data.digits" in line
    assert "problem" not in missing.stdout
    torch_line = next(line for line in missing.stdout.splitlines() if line.startswith("  torch"))
    assert torch_line.split()[1] != "-" and torch_line.endswith(" ok")
    assert "torch imported: False" in missing.stdout  # read from its metadata, not imported
