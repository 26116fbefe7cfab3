"""Shared test setup: a headless matplotlib backend, a seeded generator, one book build (and
its PDF, printed in the background while other tests run)."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_pdf import find_chromium  # noqa: E402

sys.path.pop(0)


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


@dataclass
class Build:
    returncode: int
    log: str
    html: Path
    pdf_job: subprocess.Popen | None = None  # tools/make_pdf.py on this build, if it can run


def start_pdf_job(html: Path) -> subprocess.Popen | None:
    """Print the built book to html/book.pdf in a separate process, while the tests go on
    (tests/test_pdf.py waits for it)."""
    if not html.joinpath("index.html").exists():
        return None
    if find_chromium() is None:
        return None
    # at the lowest priority: it prints on the CPU the tests leave idle, and does not slow them
    return subprocess.Popen([sys.executable, str(ROOT / "tools" / "make_pdf.py"),
                             "--html", str(html)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: os.nice(19))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book built as the README says, with warnings as errors, into a temporary folder."""
    out = tmp_path_factory.mktemp("book")
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    html = out / "_build" / "html"
    build = Build(result.returncode, result.stdout + result.stderr, html)
    if result.returncode == 0:
        build.pdf_job = start_pdf_job(html)
    yield build
    if build.pdf_job is not None:  # stop it if no test waited for it, and close its pipe
        if build.pdf_job.poll() is None:
            build.pdf_job.kill()
        if not build.pdf_job.stdout.closed:
            build.pdf_job.communicate()
