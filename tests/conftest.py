"""Shared test setup: a headless matplotlib backend, a seeded generator, one book build.

The book is built once per test run (xdist runs every module that uses ``built_book`` on one
worker: see the repository's conftest.py). Its PDF is printed from the same page loads as the
browser checks: tests/test_browser.py prints each page it loads into ``Build.printed``, and
tests/test_pdf.py binds them with tools/make_pdf.py (or, when the browser checks did not run,
runs tools/make_pdf.py itself).
"""

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


@dataclass
class Build:
    returncode: int
    log: str
    html: Path
    # page (as in _toc.yml) -> (title, PDF bytes), printed by tests/test_browser.py
    printed: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book built as the README says, with warnings as errors, into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    return Build(result.returncode, result.stdout + result.stderr, out / "_build" / "html")
