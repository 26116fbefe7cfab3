"""Static checks of the chapter notebooks: the parts every chapter must have.

nbval (configured in pyproject.toml) executes the same notebooks and compares their outputs;
these tests check what execution cannot: structure, the Colab cell, glue references.
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]


def _package_version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


# The release of vglib this book was built with: pyproject.toml's version, tagged v<version>.
VERSION = _package_version()

SETUP_CELL = f'''\
# In Colab, install the vglib release this book was made with;
# anywhere else, use the installed one.
import sys

if "google.colab" in sys.modules:
    import subprocess

    release = "git+{REPO_URL}@v{VERSION}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         f"vglib @ {{release}}"],
        check=True,
    )
else:
    print("Not running in Colab: using the vglib installed here.")'''


def load(path):
    return nbformat.read(path, as_version=4)


def markdown(nb):
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def glued_names(nb):
    names = set()
    for cell in code_cells(nb):
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                names.add(scrapbook["name"])
    return names


def test_there_are_chapters_and_the_toc_lists_exactly_them():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*(chapters/[0-9][0-9]_\w+)", toc))
    assert CHAPTERS, "no chapter notebooks found"
    assert listed == {f"chapters/{p.stem}" for p in CHAPTERS}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_is_the_colab_setup_cell(path):
    first = load(path).cells[0]
    assert first.cell_type == "code"
    assert first.source == SETUP_CELL
    assert "remove-cell" in first.metadata.get("tags", [])


def run_setup_cell(monkeypatch, in_colab):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", object())
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(SETUP_CELL, "setup-cell", "exec"), {})
    return calls


def test_setup_cell_does_nothing_outside_colab(monkeypatch, capsys):
    assert run_setup_cell(monkeypatch, in_colab=False) == []
    assert capsys.readouterr().out.startswith("Not running in Colab")


def test_setup_cell_installs_vglib_from_the_repository_in_colab(monkeypatch):
    calls = run_setup_cell(monkeypatch, in_colab=True)
    assert len(calls) == 1
    (command,), kwargs = calls[0]
    assert command[1:4] == ["-m", "pip", "install"]
    assert command[-1] == f"vglib @ git+{REPO_URL}@v{VERSION}"
    assert kwargs == {"check": True}


def test_the_setup_cell_installs_the_release_of_the_installed_vglib():
    import vglib

    assert vglib.__version__ == VERSION, (
        "pyproject.toml and vglib/__init__.py must give the same version")
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_objectives_takeaways_and_exercises_with_hidden_solutions(path):
    text = markdown(load(path))
    titles = re.findall(r"^# \S.*", text, re.M)
    assert len(titles) == 1, f"one '# Title' per chapter (the toc numbers it); got {titles}"
    for heading in ("## Learning objectives", "## Key takeaways", "## Exercises"):
        assert heading in text
    assert "**Prerequisites:**" in text and "**Time:**" in text
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", text)
    assert len(exercises) >= 3
    for label in exercises:
        solution = re.search(r"```\{solution(?:-start)?\} " + re.escape(label) + r"\n([^`]*)", text)
        assert solution, f"exercise {label} has no solution"
        assert ":class: dropdown" in solution.group(1), f"solution of {label} is not hidden"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_glue_reference_is_glued_and_every_figure_has_alt_text(path):
    nb = load(path)
    text = markdown(nb)
    referenced = set(re.findall(r"\{glue(?::text|:md)?\}`([\w]+)", text))
    figures = re.findall(r"```\{glue:figure\} (\w+)\n((?::\w+:[^\n]*\n)*)", text)
    referenced |= {name for name, _ in figures}
    missing = referenced - glued_names(nb)
    assert not missing, f"referenced but never glued: {sorted(missing)}"
    for name, options in figures:
        assert re.search(r":alt: \S", options), f"figure {name} has no alt text"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed_and_seeded(path):
    nb = load(path)
    for cell in code_cells(nb):
        assert cell.execution_count is not None, f"cell not executed:\n{cell.source[:200]}"
        # myst-nb's `execute_notebooks: auto` re-executes a notebook if any code cell has no
        # output; with one in every cell the book build renders the committed outputs as they are
        assert cell.outputs, f"cell has no output:\n{cell.source[:200]}"
        assert not re.search(r"np\.random\.(seed|rand|randn|randint|normal|uniform|choice)\(",
                             cell.source), "use an explicit np.random.default_rng(seed)"
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_widgets_stay_out_of_the_html_and_each_has_a_kernel_free_twin(path):
    cells = code_cells(load(path))
    widget_cells = [c for c in cells if re.search(r"\.widget\(\)", c.source)]
    html_cells = [c for c in cells
                  if any('class="vgfig"' in o.get("data", {}).get("text/html", "")
                         for o in c.get("outputs", []))]
    assert widget_cells, "every chapter has at least one live widget"
    assert len(html_cells) >= len(widget_cells), "each widget has a kernel-free figure"
    for cell in widget_cells:
        tags = cell.metadata.get("tags", [])
        assert "remove-cell" in tags or "remove-output" in tags, cell.source
        assert "nbval-ignore-output" in tags, cell.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_front_matter_is_one_tagged_cell_with_objectives_prerequisites_and_time(path):
    cells = [cell for cell in load(path).cells if cell.cell_type == "markdown"
             and "front-matter" in cell.metadata.get("tags", [])]
    assert len(cells) == 1, "one markdown cell tagged front-matter (tools/instructor_guide.py)"
    text = cells[0].source
    assert "## Learning objectives" in text and "\n- " in text
    assert "**Prerequisites:**" in text
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", text)


def solution_code_cells(nb):
    """The code cells inside gated solutions (solution-start ... solution-end)."""
    inside, found = False, []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if "```{solution-start}" in cell.source:
                inside = True
            if "```{solution-end}" in cell.source:
                inside = False
        elif inside:
            found.append(cell)
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_an_exercise_ends_with_a_passing_self_check(path):
    nb = load(path)
    checked = [cell for cell in solution_code_cells(nb)
               if re.search(r"\bcheck\.\w+\(", cell.source)]
    assert checked, "no exercise solution uses vglib.check"
    shown = "".join(o.get("text", "") for cell in checked for o in cell.outputs)
    assert "✓" in shown and "✗" not in shown, shown
    exercises = markdown(nb)
    assert re.search(r"`check\.\w+\(", exercises), "the exercise text should name its self-check"


NOTEBOOKS = [*CHAPTERS, *sorted((ROOT / "appendices").glob("*.ipynb"))]
CLAIM_CALL = re.compile(r"\bclaims\.that\(")


def claim_checks(nb):
    """(cells calling claims.that, the ✓ lines their stored outputs show)."""
    cells = [cell for cell in code_cells(nb) if CLAIM_CALL.search(cell.source)]
    shown = []
    for cell in cells:
        text = "".join(out.get("text", "") for out in cell.get("outputs", [])
                       if out.get("output_type") == "stream")
        shown.append([line for line in text.splitlines() if line.startswith("✓ ")])
    return cells, shown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_checks_its_claims_against_its_data(path):
    """Every chapter and appendix ties its sentences to its data with vglib.claims checks, and
    each check cell's stored output shows the checks that ran (a ✓ line per claim)."""
    cells, shown = claim_checks(load(path))
    assert cells, f"{path.name} has no claims.that check"
    for cell, lines in zip(cells, shown, strict=False):
        calls = len(CLAIM_CALL.findall(cell.source))
        assert len(lines) >= min(calls, 1), (
            f"{path.name}: a cell calling claims.that shows no ✓ line in its stored output:\n"
            f"{cell.source[:200]}")
