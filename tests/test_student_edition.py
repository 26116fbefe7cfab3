"""tools/make_student_edition.py: the notebooks students get (no solution, a placeholder per
exercise, no outputs) run from top to bottom, failing only in the placeholders; the HTML student
book builds without warnings and without solutions.

The student notebooks are not run here but in the test run of the notebooks themselves: a student
notebook starts with the same code cells as its original, so ``conftest.py`` runs the rest of it
in nbval's kernel, right after the last shared cell (an item named "student edition from Cell
N" in each notebook with exercises). This module checks how that works, on a small notebook.
"""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from test_chapters import markdown

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_student_edition as student  # noqa: E402

sys.path.pop(0)
NOTEBOOKS = student.notebooks()


def solution_texts(nb):
    """The prose lines and code of every solution in ``nb`` (what must not survive)."""
    texts, gated = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if gated:
                texts.append(cell.source)
            continue
        for block in re.findall(r"```\{solution\} \S+\n(?::class: \w+\n)?(.*?)\n```", cell.source,
                                re.S):
            texts += [line for line in block.splitlines() if len(line.strip()) > 30]
        if re.search(r"```\{solution-start\}", cell.source):
            gated = True
        if re.search(r"```\{solution-end\}", cell.source):
            gated = False
            before_end = cell.source.split("```{solution-end}")[0]
            texts += [line for line in before_end.splitlines() if len(line.strip()) > 30]
    return texts


def test_folded_and_gated_solutions_become_placeholders_where_they_were():
    nb = new_notebook(cells=[
        new_markdown_cell("Intro.\n\n```{exercise}\n:label: a\n\nDo A.\n```\n\n"
                          "```{solution} a\n:class: dropdown\n\nAnswer A, $x^2$.\n```\n\nAfter A."),
        new_markdown_cell("```{exercise}\n:label: b\n\nDo B.\n```\n\n"
                          "```{solution-start} b\n:class: dropdown\n```"),
        new_code_cell("answer_b = 42"),
        new_markdown_cell("Explained B.\n\n```{solution-end}\n```\n\nAfter B."),
        new_code_cell("print('kept')"),
    ])
    out = student.strip_solutions(nb, placeholders=True)
    sources = [cell.source for cell in out.cells]
    text = "\n".join(sources)
    assert "Answer A" not in text and "answer_b" not in text and "Explained B" not in text
    assert "{solution" not in text
    kinds = [(c.cell_type, student.PLACEHOLDER_TAG in c.metadata.get("tags", []))
             for c in out.cells]
    assert kinds == [("markdown", False), ("markdown", True), ("markdown", False),
                     ("markdown", False), ("code", True), ("markdown", False), ("code", False)]
    assert sources[0].endswith("Do A.\n```") and sources[2] == "After A."
    assert 'NotImplementedError("exercise b' in sources[4] and sources[5] == "After B."
    assert len(nb.cells) == 5  # the original is untouched
    plain = student.strip_solutions(nb)
    assert not any(student.PLACEHOLDER_TAG in c.metadata.get("tags", []) for c in plain.cells)


def test_an_unclosed_solution_is_an_error_not_a_silent_loss():
    nb = new_notebook(cells=[new_markdown_cell("```{solution-start} x\n:class: dropdown\n```")])
    with pytest.raises(ValueError, match="x has no solution-end"):
        student.strip_solutions(nb)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return {path.name: path for path in student.write_notebooks(out)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_has_every_exercise_no_solution_and_no_output(edition, path):
    original = nbformat.read(path, as_version=4)
    nb = nbformat.read(edition[path.name], as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert "{solution" not in text
    survivors = [line for line in solution_texts(original) if line.strip() in text]
    assert not survivors, f"solution text survived: {survivors[:3]}"
    labels = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", markdown(original))
    assert re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", text) == labels
    placeholders = [c for c in nb.cells if student.PLACEHOLDER_TAG in c.metadata.get("tags", [])]
    assert len(placeholders) == len(labels)
    assert all(not c.outputs and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")


def test_the_student_edition_departs_from_the_original_at_its_first_removed_solution():
    nb = new_notebook(cells=[
        new_code_cell("x = 1"),
        new_code_cell("y = x + 1"),
        new_markdown_cell("```{exercise}\n:label: a\n\nDo A.\n```\n\n"
                          "```{solution-start} a\n:class: dropdown\n```"),
        new_code_cell("answer = y * 2"),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell("print(y)"),
    ])
    shared, cells = student.student_code_after_shared_start(nb)
    assert shared == 2
    assert [c.source.splitlines()[-1] for c in cells] == [
        'raise NotImplementedError("exercise a: not solved yet")', "print(y)"]
    assert nb.cells[3].source == "answer = y * 2"  # the original is untouched
    nb.cells[1].metadata["tags"] = ["nbval-skip"]  # nbval would not run it: not shared
    assert student.student_code_after_shared_start(nb)[0] == 1
    without_exercise = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("print(x)")])
    assert student.student_code_after_shared_start(without_exercise) == (2, [])


def notebook_whose_later_cell_needs_a_solution():
    """A chapter whose one exercise's solution defines a name that the cell after it uses,
    committed with outputs as nbval expects."""
    nb = new_notebook(cells=[
        new_code_cell("x = 20"),
        new_markdown_cell("```{exercise}\n:label: double\n\nDouble x.\n```\n\n"
                          "```{solution-start} double\n:class: dropdown\n```"),
        new_code_cell("answer = 2 * x"),
        new_markdown_cell("```{solution-end}\n```"),
        new_code_cell("print(answer + 2)"),
    ])
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        cell.execution_count = number
    code[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    return nb


def test_the_student_edition_runs_in_nbvals_kernel_and_fails_where_it_needs_a_solution(
    pytester,
):
    nbformat.write(notebook_whose_later_cell_needs_a_solution(), pytester.path / "chapter.ipynb")
    pytester.makeconftest(  # the repository's conftest.py, whose hook adds the student run
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('book', {str(ROOT / 'conftest.py')!r})\n"
        "book = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(book)\n"
        "pytest_addoption = book.pytest_addoption\n"
        "pytest_collection_modifyitems = book.pytest_collection_modifyitems\n")
    result = pytester.runpytest("--nbval", "--nbval-current-env", "-p", "no:xdist",
                                "-p", "no:cacheprovider", "-v")
    result.stdout.fnmatch_lines([
        "*ipynb::Cell 0 PASSED*",
        "*ipynb::student edition from Cell 1 FAILED*",  # before the solution's cell runs
        "*ipynb::Cell 1 PASSED*",
        "*ipynb::Cell 2 PASSED*",
        "*a cell fails (does it need a removed solution?)*",
        "*NameError: name 'answer' is not defined*",
    ])
    result.assert_outcomes(passed=3, failed=1)


def test_student_book_builds_without_a_warning_and_without_solutions(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_student_edition.py"),
                             "--html", str(tmp_path)], capture_output=True, text=True,
                            timeout=900)
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR):", line)]
    assert result.returncode == 0 and not warnings, "\n".join(warnings) or log[-3000:]
    html = tmp_path / "_build" / "html"
    for page in [*sorted(html.glob("chapters/*.html")), html / "appendices" / "gallery.html"]:
        text = page.read_text()
        assert re.search(r'class="[^"]*\bexercise\b', text), page.name
        assert not re.search(r'class="[^"]*\bsolution\b', text), page.name
    assert len(list(tmp_path.glob("*/*.ipynb"))) == len(NOTEBOOKS)
    # the instructors' material stays out: its pages, and anything of theirs on other pages
    for page in student.INSTRUCTOR_PAGES:
        assert not (html / f"{page}.html").exists(), page
    pages = {p: p.read_text() for p in html.glob("**/*.html") if "_static" not in p.parts}
    for marker in ("Model answer", "Answer key", "Rubric for", "question_bank.html",
                   "instructors.html", "BEGIN SOLUTION"):
        assert not [p.name for p, text in pages.items() if marker in text], marker
    gallery = pages[html / "appendices" / "gallery.html"]
    assert "Case 4" in gallery and "BatchNorm in the wrong mode" not in gallery
    assert (html / "slides" / "01_fading_signal.html").exists()


def removed_code(original, student_nb):
    """The code cells of ``original`` that the student edition left out (solutions, cells
    tagged student-remove)."""
    kept = {c.source for c in student_nb.cells if c.cell_type == "code"}
    return [c for c in original.cells if c.cell_type == "code" and c.source not in kept]


def defined_names(cells) -> set[str]:
    """The functions and classes the cells define (a solution's own tools)."""
    return {name for c in cells for name in re.findall(r"^(?:def|class) (\w+)", c.source,
                                                          re.M)}


def telling(value: str) -> bool:
    """Whether a printed number is specific enough that finding it means it leaked: two or more
    significant digits and a decimal point, percent or exponent, or four digits or more."""
    digits = re.sub(r"\D", "", re.sub(r"e[+-]?\d+$", "", value)).lstrip("0")
    return len(digits) >= 4 or (len(digits) >= 2 and bool(re.search(r"[.%e]", value)))


LEAK_PHRASES = re.compile(r"previous solution|solution (?:above|below)|see the solution|"
                          r"in the solution|solution's|open the solution|the last section",
                          re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_student_edition_leaks_no_solution_value_name_or_reference(edition, path):
    """Beyond the solution text: no value a solution glues (by name or as printed), no name
    only a solution defines, no cell the book marks as giving answers away, no heading or
    text the book replaces for students, and no reference to removed material."""
    original = nbformat.read(path, as_version=4)
    nb = nbformat.read(edition[path.name], as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    gone = removed_code(original, nb)
    keys = {k for c in gone for k in re.findall(r"glue\(\s*f?[\"'](\w+)", c.source)}
    used = set(re.findall(r"\{glue(?::\w+)?\}`(\w+)", text))
    assert not keys & used, f"the student text shows values its solutions compute: {keys & used}"
    shown = {}  # a solution's glued value as the full book prints it
    specs = dict(re.findall(r"\{glue:text\}`(\w+):([^`]+)`", markdown(original)))
    for cell in gone:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook", {})
            plain = out.get("data", {}).get(f"{scrap.get('mime_prefix', '')}text/plain")
            if scrap.get("name") in specs and plain:
                try:
                    shown[scrap["name"]] = format(float(plain), specs[scrap["name"]])
                except ValueError:
                    pass
    printed = {k: v for k, v in shown.items()
               if telling(v) and re.search(rf"(?<![\w.]){re.escape(v)}(?![\w])",
                                                          prose)}
    assert not printed, f"the student text prints values of the solutions: {printed}"
    only_solutions = defined_names(gone) - defined_names(
        [c for c in original.cells if c.cell_type == "code" and c not in gone])
    # where a name would tell: the code students run, and code spans of the prose outside the
    # exercises (an exercise names what the student is to write)
    outside = re.sub(r"(`{3,})\{exercise\}.*?\n\1", "", prose, flags=re.S)
    spans = " ".join(re.findall(r"`([^`\n]+)`", outside))
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code") + "\n" + spans
    code = re.sub(r"([\"']).*?\1", "", code)  # a string is text, not a name
    exercises = "\n".join(re.findall(r"(`{3,})\{exercise\}(.*?)\n\1", prose, re.S)[i][1]
                          for i in range(len(re.findall(r"`{3,}\{exercise\}", prose))))
    named = {n for n in only_solutions - set(re.findall(r"\w+", exercises))
             if re.search(rf"\b{n}\b", code)}
    assert not named, f"the student edition names what only a solution defines: {named}"
    for cell in original.cells:
        if "student-remove" in cell.metadata.get("tags", []):
            assert cell.source not in text
        if "student_source" in cell.metadata:
            replaced = [line for line in cell.source.splitlines()
                        if line not in cell.metadata["student_source"] and len(line) > 12]
            assert replaced and not [line for line in replaced if line in text], replaced
            assert cell.metadata["student_source"] in text
    assert not LEAK_PHRASES.findall(text), LEAK_PHRASES.findall(text)


def test_the_gallery_headings_name_no_fault_in_the_student_edition(edition):
    nb = nbformat.read(edition["gallery.ipynb"], as_version=4)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert headings == [f"## Case {n}" for n in range(1, 7)], headings
