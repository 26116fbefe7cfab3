"""Loaded by pytest for every test path, chapters included: before nbval starts a notebook
kernel, pin numpy's and OpenBLAS's code paths (``vglib.setup.PINNED_KERNELS``), as
``tools/run_notebooks.py`` does when it stores the outputs, so that they compare exactly on any
x86-64 machine.

``VGLIB_KERNELS=alternative`` chooses deliberately different code paths instead
(``vglib.setup.ALTERNATIVE_KERNELS``): the stored outputs then differ in their last bits, so run
the notebooks with ``--nbval-lax`` (no output compared); every claim check (``vglib.claims``)
still raises if the data stop supporting a sentence. ``.ci/run`` does this once.
"""

import os

from vglib.setup import choose_math_kernels

choose_math_kernels(os.environ.get("VGLIB_KERNELS", "pinned"))


# Book-level tests: they build the book, drive a browser or execute every notebook.
BOOK_MODULES = {"test_book", "test_browser", "test_links", "test_pdf", "test_student_edition"}


def pytest_addoption(parser):
    parser.addoption("--unit-only", action="store_true",
                     help="only the unit tests of vglib and the tools: no book build, browser, "
                          "notebook execution or bit-for-bit reproduction of stored results "
                          "(used by .ci/run for the oldest versions)")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--unit-only"):
        return
    keep, drop = [], []
    for item in items:
        module = getattr(item, "module", None)
        book_level = (module is None  # a notebook cell (nbval)
                      or module.__name__.rsplit(".", 1)[-1] in BOOK_MODULES
                      or "built_book" in getattr(item, "fixturenames", ())
                      # stored numbers are reproduced bit for bit only with the newest versions
                      or item.get_closest_marker("stored_results") is not None)
        (drop if book_level else keep).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep
