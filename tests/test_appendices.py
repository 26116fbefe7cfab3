"""The appendices: the gallery and fact-check notebooks, the instructors' page. nbval executes
the two notebooks (pyproject.toml's testpaths); these tests check their structure and what the
book build makes of them. The student edition has tests/test_student_edition.py."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_chapters import SETUP_CELL, code_cells, glued_names, load, markdown

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "appendices").glob("*.ipynb"))
VERDICTS = ("right", "roughly right", "wrong", "misleading", "overstated", "contested",
            "unsupported")
# COURSE.md's corrections: the fact check must show each (a phrase of the claim as the table
# quotes it)
CORRECTIONS = (
    r"$0.1^{10} = 0.00000001$",
    r"$0.25^{50} \approx 7.88 \times 10^{-36}$",
    "$\\sigma'(4)$ is \"near 0.01\"",
    '"ReLU: 0.1245"',
    '"even worse"',
    r"$1/(n_\text{in} + n_\text{out})$",
    '"Modern 2025: 10,000+ layers (Llama 3: 100B params)"',
    '"occurs only with sigmoid and tanh"',
    '"max(z>0)z"',
    '"internal covariate shift"',
    '"completely destroy"',
    '"proved that 1000+ layer networks can be trained"',
    '"maximum trainable layers"',
    '"the first killer (2010–2012)"',
)


def test_toc_lists_every_appendix():
    toc = (ROOT / "_toc.yml").read_text()
    pages = {p.stem for p in (ROOT / "appendices").iterdir() if p.suffix in (".md", ".ipynb")}
    assert pages == {"gallery", "fact_check", "instructors", "glossary"}
    for page in pages:
        assert f"- file: appendices/{page}\n" in toc


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_appendix_notebook_is_executed_with_the_setup_cell_and_resolved_glue(path):
    nb = load(path)
    assert nb.cells[0].source == SETUP_CELL
    for cell in code_cells(nb):
        assert cell.execution_count is not None and cell.outputs, cell.source[:200]
        assert not any(o.get("output_type") == "error" for o in cell.outputs)
    text = markdown(nb)
    referenced = set(re.findall(r"\{glue(?::text|:md)?\}`(\w+)", text))
    referenced |= set(re.findall(r"```\{glue:figure\} (\w+)", text))
    assert referenced, "an appendix that computes values refers to them"
    assert not referenced - glued_names(nb)


def fact_rows():
    text = markdown(load(ROOT / "appendices" / "fact_check.ipynb"))
    return [line for line in text.splitlines()
            if line.startswith("| ") and not line.startswith(("| claim", "| ---"))]


def test_fact_check_covers_every_correction_of_the_syllabus():
    rows = "\n".join(fact_rows())
    missing = [claim for claim in CORRECTIONS if claim not in rows]
    assert not missing, f"corrections missing from the fact check: {missing}"


def test_every_fact_check_row_has_a_value_a_verdict_and_a_chapter():
    rows = fact_rows()
    assert len(rows) >= 30
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) == 4, row
        claim, value, verdict, chapter = cells
        assert claim and value, row
        assert verdict.replace("*", "").startswith(VERDICTS), f"unknown verdict: {row}"
        assert re.fullmatch(r"(\d+|gallery)(, (\d+|gallery))*", chapter), row
        if verdict.startswith("**wrong"):
            # a wrong claim gets the right value: computed here (glued) or cited from a paper
            assert "{glue:text}" in value or re.search(r"\(\w[^)]*\d{4}", value), row


def test_gallery_has_six_faults_each_an_exercise_with_a_folded_solution():
    text = markdown(load(ROOT / "appendices" / "gallery.ipynb"))
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", text)
    assert len(labels) >= 6
    for label in labels:
        assert re.search(r"```\{solution-start\} " + label + r"\n:class: dropdown", text)
    assert text.count("```{solution-end}") == len(labels)
    assert len(re.findall(r"^## \d\. ", text, re.M)) == len(labels)


def test_instructors_page_is_generated_from_the_current_chapters():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "instructor_guide.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_instructors_page_lists_every_exercise_of_every_chapter():
    page = (ROOT / "appendices" / "instructors.md").read_text()
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        labels = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", markdown(load(path)))
        assert labels
        for label in labels:
            assert f"{{numref}}`{label}`" in page, label


@pytest.mark.parametrize("page", ["gallery", "fact_check", "instructors", "glossary"])
def test_appendix_pages_are_in_the_built_book(built_book, page):
    html = (built_book.html / "appendices" / f"{page}.html").read_text()
    assert "glue:" not in html and "{term}" not in html and "{numref}" not in html
    if page in ("gallery", "fact_check"):
        assert 'class="pasted-text"' in html
    if page == "gallery":
        assert re.search(r'<img[^>]+alt="[^"]+"', html)
        assert re.search(r'class="[^"]*\bsolution\b[^"]*\bdropdown\b', html)
    if page == "instructors":
        assert html.count('href="../chapters/') >= 10
