"""The appendices: the gallery and fact-check notebooks, the instructors' page, the student
edition's configuration. nbval executes the two notebooks (pyproject.toml's testpaths); these
tests check their structure and what the book build makes of them."""

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


def student_edition():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import student_edition
    finally:
        sys.path.pop(0)
    return student_edition


def test_student_edition_strips_folded_and_gated_solutions_and_keeps_the_rest():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[
        new_markdown_cell("Intro.\n\n```{exercise}\n:label: a\n\nDo A.\n```\n\n"
                          "```{solution} a\n:class: dropdown\n\nAnswer A, $x^2$.\n```\n\nAfter A."),
        new_markdown_cell("```{exercise}\n:label: b\n\nDo B.\n```\n\n"
                          "```{solution-start} b\n:class: dropdown\n```"),
        new_code_cell("answer_b = 42"),
        new_markdown_cell("Explained B.\n\n```{solution-end}\n```\n\nAfter B."),
        new_code_cell("print('kept')"),
    ])
    out = student_edition().strip_solutions(nb)
    text = "\n".join(cell.source for cell in out.cells)
    assert "Answer A" not in text and "answer_b" not in text and "Explained B" not in text
    assert "solution" not in text
    for kept in ("Intro.", "Do A.", "After A.", "Do B.", "After B.", "print('kept')"):
        assert kept in text
    assert [c.cell_type for c in out.cells] == ["markdown", "markdown", "markdown", "code"]
    assert len(nb.cells) == 5  # the original is untouched


@pytest.mark.parametrize("path", [*sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")),
                                  *NOTEBOOKS], ids=lambda p: p.stem)
def test_student_edition_of_each_notebook_has_its_exercises_and_no_solution(path):
    nb = load(path)
    stripped = student_edition().strip_solutions(nb)
    before, after = markdown(nb), markdown(stripped)
    exercises = re.findall(r"```\{exercise\}", before)
    assert re.findall(r"```\{exercise\}", after) == exercises
    assert "{solution" not in after
    assert len(code_cells(stripped)) <= len(code_cells(nb))


def test_student_edition_builds_without_a_warning_and_without_solutions(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "student_edition.py"),
                             str(tmp_path)], capture_output=True, text=True, timeout=900)
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR):", line)]
    assert result.returncode == 0 and not warnings, "\n".join(warnings) or log[-3000:]
    html = tmp_path / "_build" / "html"
    for page in sorted(html.glob("chapters/*.html")):
        text = page.read_text()
        assert re.search(r'class="[^"]*\bexercise\b', text), page.name
        assert not re.search(r'class="[^"]*\bsolution\b', text), page.name
    assert len(list((tmp_path / "notebooks").glob("*.ipynb"))) == len(
        list((ROOT / "chapters").glob("*.ipynb"))) + len(NOTEBOOKS)


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
