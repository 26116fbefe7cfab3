"""Build the book for students: every exercise, no solution.

    python tools/student_edition.py            # into _build/student
    python tools/student_edition.py OUT_DIR    # into OUT_DIR

The HTML book lands in OUT_DIR/_build/html, and the notebooks without solutions (outputs kept)
in OUT_DIR/notebooks, ready to hand out.

The script copies the book's sources to a temporary folder, removes every solution from the
notebooks there (``solution`` directives, and for gated solutions everything from
``solution-start`` to ``solution-end``, code cells included), and runs ``jupyter-book build`` on
the copy. The repository itself is not touched. (sphinx-exercise's own ``hide_solutions`` option
cannot be used: it fails on gated solutions.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("_config.yml", "_toc.yml", "intro.md", "chapters", "appendices")
OPENING = re.compile(r"^(`{3,})\{solution\}")
START = re.compile(r"^`{3,}\{solution-start\}")
END = re.compile(r"^`{3,}\{solution-end\}")


def _drop_solution_blocks(lines: list[str]) -> list[str]:
    """Remove each ``{solution}`` fenced block: from its opening line to the closing fence of
    the same length."""
    kept, closing = [], None
    for line in lines:
        if closing is None:
            match = OPENING.match(line)
            if match:
                closing = match.group(1)
                continue
            kept.append(line)
        elif line.strip() == closing:
            closing = None
    if closing is not None:
        raise ValueError("a {solution} block is not closed")
    return kept


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without its solutions, as a new notebook; exercises and all other cells stay."""
    cells, gated = [], False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not gated:
                cells.append(cell)
            continue
        lines, kept = cell.source.split("\n"), []
        i = 0
        while i < len(lines):
            line = lines[i]
            if gated:
                if END.match(line):
                    gated = False
                    i += 1  # the solution-end fence has a closing line of its own
                    while i < len(lines) and not lines[i].startswith("```"):
                        i += 1
                i += 1
                continue
            if START.match(line):
                gated = True
                i += 1
                continue
            kept.append(line)
            i += 1
        text = "\n".join(_drop_solution_blocks(kept)).strip("\n")
        if text:
            new = nbformat.from_dict(dict(cell))
            new.source = text
            cells.append(new)
    if gated:
        raise ValueError("a solution-start has no solution-end")
    out = nbformat.from_dict(dict(nb))
    out.cells = cells
    return out


def write_sources(target: Path) -> None:
    """Copy the book's sources into ``target`` with the solutions removed from every notebook."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, target / name)
    for path in target.glob("*/*.ipynb"):
        nbformat.write(strip_solutions(nbformat.read(path, as_version=4)), path)


def main() -> int:
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "_build" / "student"
    with tempfile.TemporaryDirectory() as tmp:
        write_sources(Path(tmp))
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
                   "build", tmp, "--path-output", str(out)]
        result = subprocess.run(command, check=False)
        notebooks = out / "notebooks"
        notebooks.mkdir(parents=True, exist_ok=True)
        for path in Path(tmp).glob("*/*.ipynb"):
            shutil.copy2(path, notebooks / path.name)
    if result.returncode == 0:
        print(f"student edition: {out / '_build' / 'html' / 'index.html'} and {notebooks}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
