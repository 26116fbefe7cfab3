"""Build the whole book as the README says (into a temporary folder) and fail on any warning."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    command = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    log = result.stdout + result.stderr
    return result.returncode, log, out / "_build" / "html"


def test_book_builds_without_a_single_warning(built_book):
    returncode, log, html = built_book
    warnings = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR):", line)]
    assert returncode == 0 and not warnings, "\n".join(warnings) or log[-3000:]
    assert (html / "index.html").exists()
    assert "Executing notebook" not in log, "the build re-ran a notebook: commit it with outputs"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_has_its_glued_values_figures_and_exercises(built_book, path):
    _, _, html = built_book
    page = (html / "chapters" / f"{path.stem}.html").read_text()
    assert "glue:" not in page, "an unresolved {glue} role or directive"
    assert 'class="pasted-text"' in page, "no glued number made it into the prose"
    assert re.search(r'<figure[^>]*>.*?<img[^>]+alt="[^"]+"', page, re.S), "no figure with alt text"
    assert page.count('class="admonition exercise"') >= 3 or page.count("exercise") >= 3
    assert "solution" in page and "dropdown" in page
