"""Build the whole book as the README says (into a temporary folder) and fail on any warning."""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# the repository's conftest.py, as a module of its own name (tests/conftest.py is "conftest")
_spec = importlib.util.spec_from_file_location("book_conftest", ROOT / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def test_book_builds_without_a_single_warning(built_book):
    warnings = [line for line in built_book.log.splitlines()
                if re.search(r"\b(WARNING|ERROR):", line)]
    assert built_book.returncode == 0 and not warnings, (
        "\n".join(warnings) or built_book.log[-3000:]
    )
    assert (built_book.html / "index.html").exists()
    assert "Executing notebook" not in built_book.log, (
        "the build re-ran a notebook: commit it with outputs"
    )


def test_every_module_that_uses_the_built_book_shares_one_build():
    """conftest.py runs these modules on one worker (xdist), so the book is built once: they
    are the modules with a test or fixture that takes built_book."""
    using = {f"tests/{path.name}" for path in sorted((ROOT / "tests").glob("test_*.py"))
             if re.search(r"\bdef \w+\([^)]*\bbuilt_book\b", path.read_text())}
    assert using == set(conftest.BUILT_BOOK_MODULES)


def test_mathjax_is_served_from_the_build(built_book):
    assert (built_book.html / "_static" / "mathjax" / "tex-chtml.js").exists()
    page = (built_book.html / "chapters" / f"{CHAPTERS[0].stem}.html").read_text()
    assert re.search(r'<script[^>]+src="[./]*_static/mathjax/tex-chtml\.js', page)
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
    assert not remote, f"the page loads {remote}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_has_colab_and_binder_launch_buttons(built_book, path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    owner_repo = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    page = (built_book.html / "chapters" / f"{path.stem}.html").read_text()
    colab = (f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/"
             f"chapters/{path.name}")
    assert colab in page
    assert f"https://mybinder.org/v2/gh/{owner_repo}/{branch}" in page


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page_has_its_glued_values_figures_and_exercises(built_book, path):
    page = (built_book.html / "chapters" / f"{path.stem}.html").read_text()
    assert "glue:" not in page, "an unresolved {glue} role or directive"
    assert 'class="pasted-text"' in page, "no glued number made it into the prose"
    assert re.search(r'<figure[^>]*>.*?<img[^>]+alt="[^"]+"', page, re.S), "no figure with alt text"
    assert len(re.findall(r'class="[^"]*\bexercise\b', page)) >= 3
    assert re.search(r'class="[^"]*\bsolution\b[^"]*\bdropdown\b', page)
    assert 'class="vgfig"' in page, "no kernel-free interactive figure"
    assert "widget-view" not in page and "jupyter-widgets" not in page, "dead widget output"
