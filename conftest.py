"""Loaded by pytest for every test path, chapters included.

Kernels: before nbval starts a notebook kernel, pin numpy's and OpenBLAS's code paths
(``vglib.setup.PINNED_KERNELS``), as ``tools/run_notebooks.py`` does when it stores the outputs, so
that they compare exactly on any x86-64 machine. ``VGLIB_KERNELS=alternative`` chooses
deliberately different code paths instead (``vglib.setup.ALTERNATIVE_KERNELS``): the stored
outputs then differ in their last bits, so run the notebooks with ``--nbval-lax`` (no output
compared); every claim check (``vglib.claims``) still raises if the data stop supporting a
sentence. ``.ci/run`` does this once.

The student edition: each notebook runs once per test run. The student edition
(``tools/make_student_edition.py``) starts with the same code cells as the original, so the
kernel in which nbval runs the original is, just before the first cell where the two differ,
in the state a student's kernel would be in. There a ``StudentEditionRun`` item runs the rest of
the student edition in that kernel: each placeholder must raise its ``NotImplementedError``
and every other cell must run (a cell that needed a removed solution fails). Then nbval goes
on with the original's own cells; the cells the student edition keeps after a solution run
twice, so they must not change what a later cell prints (they define functions and draw from
their own seeded generators).

Running on two cores: ``pyproject.toml`` runs pytest with ``-n auto --dist loadfile`` (xdist),
and ``pytest_xdist_make_scheduler`` below hands out the work in units that one worker runs from
start to end: a notebook (its cells share a kernel), a test module, and the modules that look at
the built book together (``BUILT_BOOK_MODULES``: the session fixture ``built_book`` of
``tests/conftest.py`` then builds the book once). The longest units go first.
"""

import os
import sys
from pathlib import Path

# One OpenBLAS thread per process (this one, its xdist workers and their notebook kernels), set
# before numpy is first imported: xdist already keeps every core busy, and OpenBLAS's extra
# threads would compete for the same cores, spinning while they wait (a chapter took three
# times the CPU time with them). The results are the same bits with one thread or several.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest

from vglib.setup import choose_math_kernels

choose_math_kernels(os.environ.get("VGLIB_KERNELS", "pinned"))

# pytester runs pytest on a small notebook in tests/test_student_edition.py
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent

# Book-level tests: they build the book, drive a browser or execute every notebook.
BOOK_MODULES = {"test_book", "test_browser", "test_lab", "test_links", "test_pdf",
                "test_student_edition"}
# The modules whose tests use the built book (the session fixture built_book): xdist runs them
# on one worker, one after the other, so the book is built once (tests/test_book.py checks that
# this is the list of those modules).
BUILT_BOOK_MODULES = ("tests/test_appendices.py", "tests/test_book.py", "tests/test_browser.py",
                      "tests/test_lab.py", "tests/test_links.py", "tests/test_pdf.py")
BUILT_BOOK_UNIT = "the built book"
# Seconds each unit of work took in a whole run on a busy 2-core machine (the JUnit report); only
# their order matters: xdist hands the units out longest first, and the others after them, so
# that no long unit starts last.
EXPECTED_SECONDS = {
    BUILT_BOOK_UNIT: 194,
    "tests/test_course.py": 55,
    "chapters/07_residual_connections.ipynb": 25,
    "chapters/03_seeing_it_happen.ipynb": 22,
    "chapters/05_initialisation.ipynb": 16,
    "tests/test_student_edition.py": 16,
    "chapters/09_depth_race.ipynb": 14,
    "tests/test_sweeps.py": 12,
    "tests/test_explorers.py": 12,
    "chapters/01_fading_signal.ipynb": 11,
    "chapters/02_chain_rule.ipynb": 11,
    "appendices/gallery.ipynb": 11,
    "chapters/10_modern_stack.ipynb": 10,
    "chapters/11_pytorch.ipynb": 10,
    "appendices/fact_check.ipynb": 9,
    "tests/test_depth_race.py": 9,
    "chapters/06_batch_normalisation.ipynb": 8,
    "chapters/04_activation_functions.ipynb": 7,
    "chapters/08_exploding_gradients.ipynb": 6,
}


def pytest_configure(config):
    """Hypothesis profiles for the property tests: ``short`` by default (a fixed set of
    examples, so that a run is reproducible and CI never flakes), ``slow`` with ``--slow``
    (many more, new ones each run)."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # a venv for the notebooks only (.ci/run's Colab versions)
        return

    settings.register_profile("short", max_examples=150, deadline=None, derandomize=True,
                              database=None, suppress_health_check=list(HealthCheck))
    settings.register_profile("slow", max_examples=5000, deadline=None,
                              suppress_health_check=list(HealthCheck))
    settings.load_profile("slow" if config.getoption("--slow") else "short")


def pytest_addoption(parser):
    parser.addoption("--unit-only", action="store_true",
                     help="only the unit tests of vglib and the tools: no book build, browser, "
                          "notebook execution or bit-for-bit reproduction of stored results "
                          "(used by .ci/run for the oldest versions)")
    parser.addoption("--screenshots", action="store_true",
                     help="tests/test_browser.py also writes full-page light and dark "
                          "screenshots of every page to _build/screenshots/ for review")
    parser.addoption("--slow", action="store_true",
                     help="the property tests (hypothesis) with many more examples each")


def student_edition_tool():
    """tools/make_student_edition.py, imported once."""
    if "make_student_edition" not in sys.modules:
        sys.path.insert(0, str(ROOT / "tools"))
        try:
            import make_student_edition  # noqa: F401
        finally:
            sys.path.pop(0)
    return sys.modules["make_student_edition"]


class StudentEditionError(Exception):
    """The student edition of a notebook does not run as it should."""


class StudentEditionRun(pytest.Item):
    """The student edition of a notebook from where it departs from the original, run in the
    kernel nbval runs the original in (see the module's docstring)."""

    def __init__(self, *, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = cells

    def runtest(self):
        placeholder_tag = student_edition_tool().PLACEHOLDER_TAG
        kernel = self.parent.kernel  # nbval's, started for the notebook's first item
        if kernel is None or not kernel.is_alive():
            raise StudentEditionError("the notebook's kernel is not running")
        for cell in self.cells:
            reply = kernel.kc.execute_interactive(
                cell.source, store_history=False, allow_stdin=False, stop_on_error=False,
                timeout=self.config.option.nbval_cell_timeout,
                output_hook=lambda message: None)["content"]
            error = (reply["ename"], reply["evalue"]) if reply["status"] == "error" else None
            if placeholder_tag in cell.metadata.get("tags", []):
                if error is None or error[0] != "NotImplementedError" \
                        or "not solved yet" not in error[1]:
                    raise StudentEditionError(
                        f"a placeholder does not raise its NotImplementedError (it gave "
                        f"{error}):\n{cell.source}")
            elif error is not None:
                raise StudentEditionError(
                    f"a cell fails (does it need a removed solution?):\n{cell.source[:300]}"
                    f"\n{error[0]}: {error[1]}")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, StudentEditionError):
            return f"student edition of {self.path.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"


def add_student_edition_runs(items):
    """Insert a StudentEditionRun into each notebook whose student edition runs other code,
    right after the last cell the two share."""
    notebooks = {}
    for item in items:
        if hasattr(item, "cell_num") and hasattr(item.parent, "nb"):  # nbval's cells
            notebooks.setdefault(item.parent, []).append(item)
    for notebook, cells in notebooks.items():
        shared, student_cells = student_edition_tool().student_code_after_shared_start(
            notebook.nb)
        if not student_cells:
            continue
        if not set(range(shared)) <= {cell.cell_num for cell in cells}:
            continue  # a shared cell was left out (-k ...): the kernel would not be ready
        run = StudentEditionRun.from_parent(notebook, name=f"student edition from Cell {shared}",
                                            cells=student_cells)
        before = [cell for cell in cells if cell.cell_num < shared]
        items.insert(items.index(before[-1]) + 1 if before else items.index(cells[0]), run)


def unit_of_work(nodeid: str) -> str:
    """The unit of work of xdist that a test belongs to: the built book, else its file."""
    path = nodeid.split("::", 1)[0]
    return BUILT_BOOK_UNIT if path in BUILT_BOOK_MODULES else path


@pytest.hookimpl(optionalhook=True)  # a hook of xdist, which may not be installed
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the built book's modules as one unit and the longest units
    first."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BookScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return unit_of_work(nodeid)

        def _assign_work_unit(self, node):
            self.workqueue = type(self.workqueue)(sorted(
                self.workqueue.items(), key=lambda unit: -EXPECTED_SECONDS.get(unit[0], 0)))
            super()._assign_work_unit(node)

    return BookScheduling(config, log)


@pytest.hookimpl(tryfirst=True)  # before -k and -m select items
def pytest_collection_modifyitems(config, items):
    add_student_edition_runs(items)
    if not config.getoption("--unit-only"):
        return
    keep, drop = [], []
    for item in items:
        module = getattr(item, "module", None)
        book_level = (module is None  # a notebook cell (nbval) or its student edition
                      or module.__name__.rsplit(".", 1)[-1] in BOOK_MODULES
                      or "built_book" in getattr(item, "fixturenames", ())
                      # stored numbers are reproduced bit for bit only with the newest versions
                      or item.get_closest_marker("stored_results") is not None)
        (drop if book_level else keep).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep
