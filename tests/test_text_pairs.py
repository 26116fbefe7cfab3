"""Every notebook is paired with a MyST markdown file (jupytext) holding its inputs, so that a
change to a chapter is a readable diff: ``text/chapters/NAME.md`` for ``chapters/NAME.ipynb``
and ``text/appendices/NAME.md`` for ``appendices/NAME.ipynb``. After editing either side, run
``jupytext --sync chapters/*.ipynb appendices/*.ipynb``; these tests fail while a pair differs.
The text files are excluded from the book (``_config.yml``); outputs live only in the notebooks.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("appendices/*.ipynb")])


def _text_path(notebook: Path) -> Path:
    return ROOT / "text" / notebook.parent.name / (notebook.stem + ".md")


def _cells(nb) -> list[tuple]:
    """What a pair must agree on: each cell's type, source and tags."""
    return [(cell.cell_type, cell.source.strip(), tuple(cell.metadata.get("tags", [])))
            for cell in nb.cells]


def test_there_are_notebooks_to_pair():
    assert len(NOTEBOOKS) >= 12


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_notebook_and_its_text_file_hold_the_same_cells(notebook):
    text = _text_path(notebook)
    assert text.exists(), f"{text.relative_to(ROOT)} is missing: run jupytext --sync {notebook}"
    paired = jupytext.read(text, fmt="md:myst")
    original = nbformat.read(notebook, as_version=4)
    ours, theirs = _cells(original), _cells(paired)
    assert len(ours) == len(theirs), (
        f"{notebook.name} has {len(ours)} cells, {text.name} has {len(theirs)}: run jupytext "
        "--sync")
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"cell {i} of {notebook.name} differs from {text.name}: run jupytext --sync"


def test_the_text_files_have_no_outputs_and_no_orphans():
    texts = sorted(ROOT.glob("text/*/*.md"))
    assert {t.relative_to(ROOT / "text") for t in texts} == {
        _text_path(nb).relative_to(ROOT / "text") for nb in NOTEBOOKS}
    for text in texts:
        assert "```{code-cell}" in text.read_text()
        cells = jupytext.read(text, fmt="md:myst").cells
        assert all(not cell.get("outputs") for cell in cells), text


@pytest.mark.parametrize("folder", ["chapters", "appendices"])
def test_each_folder_pairs_its_notebooks_with_the_text_folder(folder):
    config = (ROOT / folder / "jupytext.toml").read_text()
    assert f'formats = "ipynb,../text/{folder}//md:myst"' in config
