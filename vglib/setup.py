"""Helpers for the notebook environment: Colab detection, a version check, gluing values.

Only the standard library is imported here (nothing of vglib, no numpy, no matplotlib), so
``from vglib.setup import doctor; doctor()`` works, and says what to do, where numpy or
matplotlib is missing or broken.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

__all__ = [
    "ALTERNATIVE_KERNELS",
    "OPTIONAL",
    "PINNED_KERNELS",
    "SUPPORTED",
    "Report",
    "choose_math_kernels",
    "doctor",
    "elapsed",
    "glue",
    "in_colab",
    "kernels_pinned",
    "pin_math_kernels",
    "run_time",
    "satisfies",
    "versions",
]

# The ranges of pyproject.toml (tests/test_setup.py checks that the two agree). Google Colab's
# numpy 2.0, matplotlib 3.10 and ipywidgets 7.7.1 are inside them; the lower bounds are tested
# by .ci/run with .ci/oldest.txt.
SUPPORTED = {
    "python": ">=3.10",
    "numpy": ">=1.26",
    "matplotlib": ">=3.8",
    "ipywidgets": ">=7.7,<9",
}
# What only some of the book needs (vglib.torch and chapter 11; vglib.data.digits and the
# real-data sections): doctor reports their versions, and a missing one is not a problem.
OPTIONAL = {
    "torch": (">=2.2,<3", "vglib.torch and chapter 11"),
    "scikit-learn": (">=1.3,<2", "vglib.data.digits, the real-data sections"),
}


# numpy and its OpenBLAS pick their fastest code for the processor at run time (AVX2, AVX-512,
# ...), and the different code paths round differently in the last bit. Training amplifies such
# differences, so a notebook executed on one x86-64 machine would not reproduce its stored outputs
# on another. With these settings every x86-64 machine with AVX2 takes the same paths.
PINNED_KERNELS = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # numpy: AVX2 at most
    "OPENBLAS_CORETYPE": "Haswell",                               # OpenBLAS: its AVX2 kernels
    "ATEN_CPU_CAPABILITY": "avx2",                                # PyTorch (chapter 11): AVX2
}


# Deliberately different code paths (numpy's SSE baseline loops, OpenBLAS's Sandybridge kernels):
# the last bits of every trained weight change, so a run under these settings shows whether the
# book's claims (checked by vglib.claims) hold for a reader whose processor differs.
ALTERNATIVE_KERNELS = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Sandybridge",
    "ATEN_CPU_CAPABILITY": "default",  # PyTorch's unvectorised kernels
}
KERNEL_CHOICES = {"pinned": PINNED_KERNELS, "alternative": ALTERNATIVE_KERNELS}


def _on_x86_64() -> bool:
    """Whether this is an x86-64 machine, the only kind the kernel settings apply to."""
    return platform.machine().lower() in ("x86_64", "amd64")


@functools.cache
def _numpy_can_disable(features: str) -> str:
    """``features`` (for ``NPY_DISABLE_CPU_FEATURES``) without the names that the installed
    numpy does not dispatch: an older numpy (Colab's 2.0 knows neither ``X86_V4`` nor
    ``AVX512_SPR``) warns about them when it is imported, an ``ImportWarning`` that a test run
    with warnings as errors turns into a failure. Asked of a fresh interpreter, so this process
    does not import numpy."""
    environ = {**os.environ, "NPY_DISABLE_CPU_FEATURES": features}
    try:
        done = subprocess.run([sys.executable, "-W", "always::ImportWarning", "-c", "import numpy"],
                              env=environ, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return features
    unknown = re.search(r"cannot disable CPU features \(([^)]*)\)", done.stderr)
    if unknown is None:
        return features
    return " ".join(f for f in features.split() if f not in unknown.group(1).split())


def _for_this_numpy(kernels: dict) -> dict:
    return {**kernels, "NPY_DISABLE_CPU_FEATURES":
            _numpy_can_disable(kernels["NPY_DISABLE_CPU_FEATURES"])}


def choose_math_kernels(choice: str = "pinned", environ: dict | None = None) -> dict:
    """Set the kernels ``choice`` names (``"pinned"``, the default, or ``"alternative"``) in
    ``environ`` (default ``os.environ``) on x86-64. ``"pinned"`` leaves values already set alone
    (see ``pin_math_kernels``); ``"alternative"`` overrides them. Returns ``environ``."""
    if choice not in KERNEL_CHOICES:
        raise ValueError(f"kernels={choice!r} is unknown; choose one of "
                         f"{', '.join(KERNEL_CHOICES)}")
    if choice == "pinned":
        return pin_math_kernels(environ)
    environ = os.environ if environ is None else environ
    if _on_x86_64():
        environ.update(_for_this_numpy(ALTERNATIVE_KERNELS))
    return environ


def pin_math_kernels(environ: dict | None = None) -> dict:
    """Set ``PINNED_KERNELS`` in ``environ`` (default ``os.environ``) on x86-64, where they
    apply, unless already set; processes started afterwards (notebook kernels) compute
    bit-identical results on any x86-64 machine with AVX2 (with the numpy the book was made
    with: an older one is given only the CPU features it knows). Returns ``environ``."""
    environ = os.environ if environ is None else environ
    # all set already (a worker or tool started from a pinned process): numpy is not asked
    if _on_x86_64() and not set(PINNED_KERNELS) <= set(environ):
        for key, value in _for_this_numpy(PINNED_KERNELS).items():
            environ.setdefault(key, value)
    return environ


def kernels_pinned(environ: dict | None = None) -> bool:
    """True when this process computes with ``PINNED_KERNELS`` (x86-64, the variables set as
    ``pin_math_kernels`` sets them): then its results are the same bits as the book's stored
    outputs and sweeps. On another processor, or with other kernels, training runs differ in
    their last bits, and a chaotic run can end elsewhere."""
    environ = os.environ if environ is None else environ
    return _on_x86_64() and all(
        environ.get(key) == value for key, value in PINNED_KERNELS.items())


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


# when this module was first imported: wall clock, and this process's CPU time
_STARTED = time.perf_counter()
_STARTED_CPU = time.process_time()


def elapsed() -> float:
    """Seconds since ``vglib.setup`` was first imported in this process: a chapter's wall time
    so far, since every chapter imports it in its first code cells."""
    return time.perf_counter() - _STARTED


def run_time() -> float:
    """What a chapter has cost so far, in seconds: the smaller of its wall time (``elapsed()``)
    and the CPU time its process has used since ``vglib.setup`` was imported. On a quiet machine
    the two agree. On a busy one (a test run with every core taken) the wall time also counts
    the waits for a free core, which the CPU time leaves out; with several BLAS threads the CPU
    time counts every thread, and the wall time only the time that passed. So a chapter that
    runs in a minute on a quiet machine also passes its time check in a busy test run."""
    return min(elapsed(), time.process_time() - _STARTED_CPU)


def versions() -> str:
    """One line naming the versions that computed a notebook's outputs, e.g.
    ``"Python 3.11.7, numpy 2.1.0, matplotlib 3.10.0, vglib 0.1.0"``.
    """
    import matplotlib
    import numpy

    from . import __version__

    python = ".".join(str(part) for part in sys.version_info[:3])
    return (
        f"Python {python}, numpy {numpy.__version__}, matplotlib {matplotlib.__version__}, "
        f"vglib {__version__}"
    )


def _numeric(version: str) -> tuple[int, ...]:
    """``"2.0.2"`` -> ``(2, 0, 2)``; pre-release tags and local parts are ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` meets every clause of ``spec`` (``">=7.7,<9"``)."""
    have = _numeric(version)
    for clause in spec.split(","):
        op, bound = re.fullmatch(r"\s*(>=|<=|==|<|>)\s*([\d.]+)\s*", clause).groups()
        want = _numeric(bound)
        width = max(len(have), len(want))
        a, b = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
        if not {">=": a >= b, "<=": a <= b, "==": a == b, "<": a < b, ">": a > b}[op]:
            return False
    return True


@dataclass
class Report:
    """What ``doctor`` found: one line per check, and the problems among them."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.problems:
            verdict = "Everything vglib needs is here."
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            verdict = f"{len(self.problems)} problem(s):\n{listed}"
        return "\n".join(["vglib environment check", *self.lines, verdict])


def _widget_frontend() -> tuple[bool, str]:
    """Can ipywidgets render here? (A best guess: the browser side is not visible from Python.)"""
    if importlib.util.find_spec("ipywidgets") is None:
        return False, "ipywidgets is not installed: pip install 'ipywidgets>=7.7,<9'"
    try:
        from IPython import get_ipython
    except ImportError:
        return False, "IPython is not installed, so there is no notebook to show widgets in"
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False, "not running in a Jupyter kernel (widgets need a notebook frontend)"
    if in_colab():
        import ipywidgets

        if _numeric(ipywidgets.__version__) >= (8,):
            return True, ("Colab with ipywidgets 8: run "
                          "google.colab.output.enable_custom_widget_manager() once")
        return True, "Colab renders ipywidgets 7 natively"
    for package in ("jupyterlab_widgets", "widgetsnbextension"):
        if importlib.util.find_spec(package) is not None:
            return True, f"Jupyter kernel with the {package} frontend package installed"
    return True, ("Jupyter kernel, but no jupyterlab_widgets / widgetsnbextension next to it: if "
                  "sliders do not appear, pip install jupyterlab_widgets where Jupyter runs")


def _first_line(err: BaseException, limit: int = 160) -> str:
    """``ErrorType: message`` on one line, cut at ``limit`` characters."""
    text = f"{type(err).__name__}: {err}".strip().splitlines()[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _import_version(name: str) -> tuple[str | None, str | None, str]:
    """Import package ``name``: ``(version, None, "")`` if it works, else ``(None, kind,
    detail)`` with ``kind`` ``"missing"`` (not installed), ``"broken"`` (importing it raises:
    ``detail`` is the error) or ``"hidden"`` (something without a version took its name:
    ``detail`` is where it is)."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:
            return None, "missing", ""
        return None, "broken", _first_line(err)
    except Exception as err:  # a broken install can raise anything while it is imported
        return None, "broken", _first_line(err)
    version = getattr(module, "__version__", None)
    if not isinstance(version, str):
        where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])),
                                                          "an unknown place")
        return None, "hidden", str(where)
    return version, None, ""


def _problem(name: str, spec: str, version: str | None, kind: str | None, detail: str,
             failed: list[str]) -> tuple[str, str | None]:
    """The status column and the problem (``None``: none) of one package's check; ``failed``
    names the packages that could not be imported so far."""
    restart = "then restart Python (in a notebook: restart the kernel)"
    if kind == "missing":
        return "missing", (f"{name} is not installed (vglib supports {name}{spec}): "
                           f"pip install '{name}{spec}', {restart}")
    if kind == "hidden":
        return "HIDDEN", (f"the {name} that Python imports is {detail}, not the package: rename "
                          f"that file or folder, {restart}")
    if kind == "broken":
        cause = next((other for other in failed if other in detail), None)
        if cause is not None:  # e.g. matplotlib fails because numpy does
            return "BROKEN", (f"{name} cannot be imported because {cause} cannot ({detail}): "
                              f"fix {cause} first")
        return "BROKEN", (f"{name} is installed but cannot be imported ({detail}): reinstall it "
                          f"with pip install --force-reinstall '{name}{spec}', {restart}")
    if not satisfies(version, spec):
        what = ("use a Python in this range" if name == "python"
                else f"pip install '{name}{spec}', {restart}")
        return "UNSUPPORTED", f"{name} {version} is outside the supported range {spec}: {what}"
    return "ok", None


def doctor(print_report: bool = True) -> Report:
    """Check what a learner needs: Python, numpy, matplotlib and ipywidgets against the supported
    ranges, the optional torch and scikit-learn (``OPTIONAL``: a missing one is reported, not a
    problem), whether widgets can render here, whether this is Colab. Prints and returns a
    Report.

    It never raises for what it checks: a missing or broken package (one that fails to import)
    is reported as a problem, with what to do about it. It imports nothing of vglib.
    """
    report = Report()
    failed: list[str] = []
    for name, spec in SUPPORTED.items():
        if name == "python":
            version, kind, detail = ".".join(str(part) for part in sys.version_info[:3]), None, ""
        else:
            version, kind, detail = _import_version(name)
        status, problem = _problem(name, spec, version, kind, detail, failed)
        if problem is not None:
            report.problems.append(problem)
        if kind is not None:
            failed.append(name)
        report.lines.append(f"  {name:<11} {version or '-':<10} supported {spec:<10} {status}")
    for name, (spec, needed_by) in OPTIONAL.items():
        # the installed version, read without importing the package (importing torch takes
        # seconds); a broken install shows when the chapter that needs it imports it
        try:
            version, kind, detail = importlib.metadata.version(name), None, ""
        except importlib.metadata.PackageNotFoundError:
            version, kind, detail = None, "missing", ""
        if kind == "missing":
            status = f"not installed (optional: {needed_by}; pip install '{name}{spec}')"
        else:
            status, problem = _problem(name, spec, version, kind, detail, failed)
            if problem is not None:
                report.problems.append(problem)
        report.lines.append(f"  {name:<11} {version or '-':<10} supported {spec:<10} {status}")
    report.lines.append(f"  {'Colab':<11} {'yes' if in_colab() else 'no'}")
    try:
        can_render, why = _widget_frontend()
    except Exception as err:  # a broken IPython or ipywidgets: say so, do not raise
        can_render, why = False, f"could not tell ({_first_line(err)})"
    report.lines.append(f"  {'widgets':<11} {'can render' if can_render else 'cannot render'}: "
                        f"{why}")
    if print_report:
        print(report)
    return report


def glue(name: str, value: object, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the book's ``{glue:text}`` / ``{glue:figure}`` roles.

    With myst-nb installed (the book build, the tests) this is ``myst_nb.glue``. Without it
    (Colab), the text of the chapter cannot show glued values, so numbers are printed here
    (``name = value``) and figures displayed instead.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string; got {name!r}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        from IPython.display import display as ipy_display

        if display or hasattr(value, "savefig"):
            ipy_display(value)
        else:
            print(f"{name} = {value!r}")
        return
    myst_glue(name, value, display=display)
