"""Make the student edition: every exercise, no solution.

    python tools/make_student_edition.py                 # notebooks into _build/student
    python tools/make_student_edition.py OUT_DIR         # notebooks into OUT_DIR
    python tools/make_student_edition.py --html OUT_DIR  # and the HTML book, OUT_DIR/_build/html

Notebooks: every chapter and appendix notebook with its solutions removed (folded ``solution``
directives, and for gated solutions everything from ``solution-start`` to ``solution-end``,
code cells included), a placeholder after every exercise (a code cell that raises
``NotImplementedError`` where the solution had code, an "Your answer" cell where it was text)
and all outputs cleared, so students run them from the top. They land in OUT_DIR/chapters and
OUT_DIR/appendices, beside each other as in the repository.

HTML (``--html``): the book's sources are copied to a temporary folder, the solutions removed
from the notebooks there (outputs kept, no placeholders: the book shows results, not empty
cells), the instructors' pages (the plans, rubrics, model answers and the question bank with
its answer key) left out, and the copy built with ``jupyter-book build``. The repository itself
is never touched. (sphinx-exercise's own ``hide_solutions`` option cannot be used: it fails on
gated solutions.)

Besides the solutions, a notebook can mark what would give an answer away elsewhere: a cell
tagged ``student-remove`` is left out of the student edition (the gallery's summary of every
fix), and a cell whose metadata has ``student_source`` shows that text instead of its own (the
gallery's case headings, which name each fault). tests/test_student_edition.py searches the
edition for every solution's values and names.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("_config.yml", "_toc.yml", "intro.md", "lab.md", "_static", "chapters", "appendices",
           "lab", "tools/book_slides.py", "tools/book_lab.py")
# pages for instructors only: left out of the student book, links to them become plain text
INSTRUCTOR_PAGES = ("appendices/instructors", "appendices/question_bank")
REMOVE_TAG = "student-remove"
NOTEBOOK_DIRS = ("chapters", "appendices")
OPENING = re.compile(r"^(`{3,})\{solution\}\s+(\S+)")
START = re.compile(r"^`{3,}\{solution-start\}\s+(\S+)")
END = re.compile(r"^`{3,}\{solution-end\}")
PLACEHOLDER_TAG = "student-placeholder"


def placeholder_code(label: str) -> nbformat.NotebookNode:
    cell = new_code_cell(
        f"# Exercise {label}: your code goes here (delete the line below when you start).\n"
        f'raise NotImplementedError("exercise {label}: not solved yet")'
    )
    cell.id, cell.metadata["tags"] = f"student-{label}", [PLACEHOLDER_TAG]
    return cell


def placeholder_text(label: str) -> nbformat.NotebookNode:
    cell = new_markdown_cell(f"**Your answer** (exercise `{label}`): ...")
    cell.id, cell.metadata["tags"] = f"student-{label}", [PLACEHOLDER_TAG]
    return cell


def strip_solutions(nb: nbformat.NotebookNode, *, placeholders: bool = False
                    ) -> nbformat.NotebookNode:
    """``nb`` without its solutions, as a new notebook; exercises and all other cells stay.
    With ``placeholders``, each removed solution leaves a placeholder cell (tagged
    ``student-placeholder``) where it was: code for a solution with code cells, text otherwise.
    """
    cells: list[nbformat.NotebookNode] = []
    gated: str | None = None  # the label of the gated solution being skipped
    gated_code = False

    def emit_text(cell, lines: list[str], part: int) -> None:
        text = "\n".join(lines).strip("\n")
        if text:
            new = nbformat.from_dict(dict(cell))
            new.source = text
            if part:  # a cell split around a solution: the later parts get ids of their own
                new.id, new.metadata = f"{cell.get('id', 'cell')}-{part}", {}
            cells.append(new)

    for cell in nb.cells:
        if REMOVE_TAG in cell.metadata.get("tags", []):
            continue
        if "student_source" in cell.metadata:
            cell = nbformat.from_dict(dict(cell))
            cell.source = cell.metadata["student_source"]
        if cell.cell_type != "markdown":
            if gated is None:
                cells.append(cell)
            elif cell.cell_type == "code":
                gated_code = True
            continue
        lines, chunk, part, i = cell.source.split("\n"), [], 0, 0
        while i < len(lines):
            line = lines[i]
            if gated is not None:
                if END.match(line):
                    if placeholders:
                        cells.append(placeholder_code(gated) if gated_code
                                     else placeholder_text(gated))
                    gated, gated_code = None, False
                    i += 1  # the solution-end fence has a closing line of its own
                    while i < len(lines) and not lines[i].startswith("```"):
                        i += 1
                i += 1
                continue
            start, folded = START.match(line), OPENING.match(line)
            if start or folded:
                emit_text(cell, chunk, part)
                chunk, part = [], part + 1
            if start:
                gated, gated_code = start.group(1), False
                i += 1
                continue
            if folded:
                fence, label = folded.groups()
                i += 1
                while i < len(lines) and lines[i].strip() != fence:
                    i += 1
                if i == len(lines):
                    raise ValueError(f"the solution of {label} is not closed")
                if placeholders:
                    cells.append(placeholder_text(label))
                i += 1
                continue
            chunk.append(line)
            i += 1
        emit_text(cell, chunk, part)
    if gated is not None:
        raise ValueError(f"the solution-start of {gated} has no solution-end")
    out = nbformat.from_dict(dict(nb))
    out.cells = cells
    return out


def clear_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("widgets", None)
    return nb


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student edition of ``nb`` (a new notebook; ``nb`` is left as it is): placeholders
    for the solutions, no outputs."""
    return clear_outputs(strip_solutions(copy.deepcopy(nb), placeholders=True))


# nbval's markers for a cell it does not simply run (skips it, or expects it to raise)
NBVAL_SPECIAL = re.compile(r"^\s*#\s*NBVAL_(SKIP|RAISES_EXCEPTION)\b", re.M)
NBVAL_SPECIAL_TAGS = {"nbval-skip", "nbval-raises-exception", "raises-exception"}


def runs_as_written(cell: nbformat.NotebookNode) -> bool:
    """Whether nbval runs ``cell`` as a student's Jupyter would: not skipped, no error expected."""
    return (not NBVAL_SPECIAL.search(cell.source)
            and not NBVAL_SPECIAL_TAGS & set(cell.metadata.get("tags", [])))


def student_code_after_shared_start(original: nbformat.NotebookNode
                                    ) -> tuple[int, list[nbformat.NotebookNode]]:
    """Where the student edition's code departs from the original's, and what it runs from there.

    Both start with the same code cells (the solutions come near the end), so a kernel that has
    run the original's first ``k`` code cells is in the state a student's kernel would be in.
    Returns ``k`` (the number of code cells the two share from the top, counting only cells nbval
    runs as written) and the student edition's code cells after them: placeholders and the cells
    kept around the removed solutions. An empty list means the student edition runs exactly the
    original's code.
    """
    ours = [c for c in original.cells if c.cell_type == "code"]
    theirs = [c for c in student_notebook(original).cells if c.cell_type == "code"]
    shared = 0
    while (shared < min(len(ours), len(theirs))
           and theirs[shared].source == ours[shared].source
           and PLACEHOLDER_TAG not in theirs[shared].metadata.get("tags", [])
           and runs_as_written(ours[shared])):
        shared += 1
    if shared == len(ours) == len(theirs):
        return shared, []
    return shared, theirs[shared:]


def notebooks() -> list[Path]:
    return [path for folder in NOTEBOOK_DIRS for path in sorted((ROOT / folder).glob("*.ipynb"))]


def write_notebooks(out: Path) -> list[Path]:
    """The student notebooks (placeholders, no outputs) under ``out``; returns their paths."""
    written = []
    for path in notebooks():
        target = out / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def without_instructor_pages(book: Path) -> None:
    """Delete the instructors' pages from the book copy ``book``, from its table of contents,
    and turn every link to them into its plain text."""
    for page in INSTRUCTOR_PAGES:
        (book / f"{page}.md").unlink(missing_ok=True)
    toc = book / "_toc.yml"
    toc.write_text("".join(line for line in toc.read_text().splitlines(keepends=True)
                           if not any(line.strip() == f"- file: {p}" for p in INSTRUCTOR_PAGES)))
    link = re.compile(r"\{doc\}`([^`<]+?)\s*<[^`>]*(?:" + "|".join(
        re.escape(Path(p).name) for p in INSTRUCTOR_PAGES) + r")>`")
    for path in [*book.glob("*.md"), *book.glob("*/*.md")]:
        path.write_text(link.sub(r"\1", path.read_text(encoding="utf-8")), encoding="utf-8")
    for path in book.glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = link.sub(r"\1", cell.source)
        nbformat.write(nb, path)


def build_html(out: Path) -> int:
    """Build the book without solutions into ``out/_build/html``; returns the exit code."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in SOURCES:
            source = ROOT / name
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, Path(tmp) / name,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            else:
                shutil.copy2(source, Path(tmp) / name)
        for path in Path(tmp).glob("*/*.ipynb"):
            nbformat.write(strip_solutions(nbformat.read(path, as_version=4)), path)
        without_instructor_pages(Path(tmp))
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
                   "build", tmp, "--path-output", str(out)]
        return subprocess.run(command, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--html", action="store_true", help="also build the HTML book")
    args = parser.parse_args()
    out = args.out.resolve()
    written = write_notebooks(out)
    print(f"{len(written)} student notebooks in {out}")
    if args.html:
        code = build_html(out)
        if code:
            return code
        print(f"student book: {out / '_build' / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
