"""The autograded assignments (course/source/, nbgrader format): release a term's variant, grade.

    python tools/assignments.py release --term-seed 4711 --course ~/vg-course
        a ready nbgrader course directory: source/ with the term seed written in, release/ with
        the student notebooks (solutions and hidden tests removed), nbgrader_config.py
    python tools/assignments.py grade --course ~/vg-course
        nbgrader's autograde for every submission in submitted/<student>/<assignment>/, then a
        table of scores (the same as `nbgrader autograde` for each assignment, then
        `nbgrader export`)
    python tools/assignments.py selftest
        the check tests/test_course.py runs: each assignment's reference solution must score
        full marks and its untouched student notebook zero

Each source notebook carries nbgrader's cell metadata (solution, autograded-test and manually
graded cells) and a locked cell ``TERM_SEED = ...`` from which every number of the assignment
is drawn; the hidden tests compute their expected values from the same seed with vglib, so no
answer is typed anywhere. ``build()`` and the cell helpers below write the source notebooks.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "course" / "source"
TERM_SEED = re.compile(r"^TERM_SEED = \d+$", re.M)
PUBLIC_SEED = 1  # the seed in the public source notebooks: the worked answers are for it

CONFIG = """\
# nbgrader's configuration for this course directory (written by tools/assignments.py)
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "vanishing-gradients"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 60
"""


# ------------------------------------------------------------------------------- writing notebooks

def _cell(kind: str, source: str, nbgrader: dict | None = None, tags: list[str] | None = None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source.strip("\n"))
    if nbgrader is not None:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    if tags:
        cell.metadata["tags"] = tags
    return cell


def md(source: str):
    """Text the student reads (not graded, not locked)."""
    return _cell("markdown", source)


def code(source: str):
    """Code the student runs as it is (not graded)."""
    return _cell("code", source)


def locked(source: str, grade_id: str, kind: str = "code"):
    """A cell nbgrader restores from the source when it grades (the student cannot change it)."""
    return _cell(kind, source, {"grade": False, "solution": False, "locked": True,
                                "grade_id": grade_id})


def solution(source: str, grade_id: str):
    """A code cell to complete: the part between ### BEGIN SOLUTION and ### END SOLUTION is
    replaced by a stub that raises NotImplementedError in the student's notebook."""
    if "### BEGIN SOLUTION" not in source:
        raise ValueError(f"{grade_id}: a solution cell needs ### BEGIN/END SOLUTION markers")
    return _cell("code", source, {"grade": False, "solution": True, "locked": False,
                                  "grade_id": grade_id})


def tests(source: str, grade_id: str, points: int):
    """An autograded test cell: public asserts the student can run, hidden ones between
    ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS (left out of the student's notebook)."""
    return _cell("code", source, {"grade": True, "solution": False, "locked": True,
                                  "grade_id": grade_id, "points": points})


def written(model_answer: str, grade_id: str, points: int):
    """A manually graded written answer: the model answer (between ### BEGIN SOLUTION and
    ### END SOLUTION) becomes "YOUR ANSWER HERE" in the student's notebook; the rubric is in
    course/rubrics.yml under the same grade_id."""
    source = f"### BEGIN SOLUTION\n{model_answer.strip()}\n### END SOLUTION"
    return _cell("markdown", source, {"grade": True, "solution": True, "locked": False,
                                      "grade_id": grade_id, "points": points})


def colab_cell():
    """The chapters' first cell (install vglib in Colab), copied from chapter 1."""
    first = nbformat.read(ROOT / "chapters" / "01_fading_signal.ipynb", as_version=4).cells[0]
    return code(first.source)


def term_seed_cell(seed: int = PUBLIC_SEED):
    return locked(
        "# The term seed: your instructor sets it, and every number of this assignment\n"
        "# is drawn from it. Do not change it.\n"
        f"TERM_SEED = {seed}", "term_seed")


def build(stem: str, title: str, minutes: int, cells: list) -> Path:
    """Write course/source/<stem>/<stem>.ipynb: a title, the Colab cell, the term seed, then
    ``cells``. Returns the path."""
    points = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in cells)
    head = md(f"# Assignment: {title}\n\n"
              f"About {minutes} minutes; {points} points. Complete the cells that raise "
              "`NotImplementedError` and write your answers where it says *YOUR ANSWER HERE*. "
              "Run each test cell: it tells you whether your answer is right and, when it is "
              "not, what is likely wrong. Grading runs more tests than you see.\n\n"
              "Before you hand in: *Restart and run all* and check that no cell fails.")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    nb.cells = [head, colab_cell(), term_seed_cell(), *cells]
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{stem}: grade_id used twice: {ids}")
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{stem[:2]}-{i:02d}"
    path = SOURCE / stem / f"{stem}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------------- a course directory

def assignments() -> list[str]:
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").exists())


def with_seed(path: Path, seed: int) -> str:
    """The source notebook at ``path`` with ``TERM_SEED = seed`` in its locked seed cell."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade_id") == "term_seed"]
    if len(cells) != 1 or len(TERM_SEED.findall(cells[0].source)) != 1:
        raise ValueError(f"{path.name}: expected one cell term_seed setting TERM_SEED once")
    cells[0].source = TERM_SEED.sub(f"TERM_SEED = {seed}", cells[0].source)
    return nbformat.writes(nb)


def _alembic_head() -> str:
    """The head revision of nbgrader's gradebook schema, read in this process. nbgrader asks
    for it by running the ``alembic`` command in a subprocess whenever it creates a gradebook
    (about 5 s here); the answer is the same, from the same migration scripts."""
    import nbgrader
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()


def _api(course: Path):
    import nbgrader.api
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    head = _alembic_head()
    nbgrader.api.get_alembic_version = lambda: head

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "vanishing-gradients"
    config.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    config.ExecutePreprocessor.timeout = 60
    config.Exchange.root = str(course / "exchange")
    return NbGraderAPI(config=config)


def _quietly(fn, *args, **kwargs):
    """Run an nbgrader API call with its log captured (shown only if it fails) and its
    library's warnings (SQLAlchemy's, about nbgrader's own session use) silenced."""
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fn(*args, **kwargs)
    if not result["success"]:
        raise RuntimeError(f"nbgrader failed:\n{result.get('log')}\n{result.get('error')}")
    return result


def release(course: Path, seed: int, names: list[str] | None = None) -> list[Path]:
    """Make ``course`` an nbgrader course directory for a term: the sources with ``seed``
    written in, and the student notebooks in release/. Returns the student notebooks."""
    course = course.resolve()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)), encoding="utf-8")
    api = _api(course)
    released = []
    for name in names or assignments():
        target = course / "source" / name
        target.mkdir(parents=True, exist_ok=True)
        text = with_seed(SOURCE / name / f"{name}.ipynb", seed)
        (target / f"{name}.ipynb").write_text(text, encoding="utf-8")
        _quietly(api.generate_assignment, name, force=True)
        released.append(course / "release" / name / f"{name}.ipynb")
    return released


def submit(course: Path, student: str, name: str, notebook: Path) -> None:
    """Put ``notebook`` where nbgrader expects student ``student``'s submission of ``name``."""
    target = course / "submitted" / student / name
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, target / f"{name}.ipynb")


def grade(course: Path) -> list[dict]:
    """Autograde every submission under submitted/; one row per (student, assignment)."""
    from nbgrader.api import Gradebook

    course = course.resolve()
    api = _api(course)
    rows = []
    for folder in sorted((course / "submitted").glob("*/*")):
        student, name = folder.parent.name, folder.name
        _quietly(api.autograde, name, student, force=True)
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            sub = gb.find_submission(name, student)
            rows.append({"student": student, "assignment": name,
                         "auto_score": sub.code_score, "auto_max": sub.max_code_score,
                         "written_max": sub.max_written_score,
                         "needs_manual_grade": sub.needs_manual_grade})
    return rows


def selftest(course: Path, seed: int = PUBLIC_SEED, names: list[str] | None = None) -> list[dict]:
    """Release, then hand in each assignment twice: the reference solution (student
    "solution") and the untouched student notebook (student "untouched"); grade both."""
    names = names or assignments()
    released = release(course, seed, names)
    for name, student_nb in zip(names, released, strict=True):
        submit(course, "solution", name, course / "source" / name / f"{name}.ipynb")
        submit(course, "untouched", name, student_nb)
    return grade(course)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="an nbgrader course directory for one term")
    rel.add_argument("--term-seed", type=int, required=True,
                     help="a number of your choice, kept private until the deadline")
    rel.add_argument("--course", type=Path, required=True, help="the course directory to make")
    gra = sub.add_parser("grade", help="autograde every submission in COURSE/submitted/")
    gra.add_argument("--course", type=Path, required=True)
    gra.add_argument("--csv", type=Path, help="also write the scores to this CSV file")
    st = sub.add_parser("selftest", help="solutions score full marks, untouched notebooks zero")
    st.add_argument("--course", type=Path, default=ROOT / "_build" / "course-selftest")
    st.add_argument("--term-seed", type=int, default=PUBLIC_SEED)
    args = parser.parse_args()
    if args.command == "release":
        if args.term_seed < 0:
            parser.error(f"--term-seed must be a whole number >= 0; got {args.term_seed}")
        for path in release(args.course, args.term_seed):
            print(f"released {path}")
        return 0
    if args.command == "selftest":
        shutil.rmtree(args.course, ignore_errors=True)
        rows = selftest(args.course, args.term_seed)
    else:
        rows = grade(args.course)
    for r in rows:
        print(f"{r['student']:>12} {r['assignment']:<28} auto {r['auto_score']:g} / "
              f"{r['auto_max']:g}, written {r['written_max']:g} points to grade by hand")
    if args.command == "grade" and args.csv:
        with args.csv.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if args.command == "selftest":
        bad = [r for r in rows if r["auto_score"] != (r["auto_max"] if r["student"] == "solution"
                                                      else 0)]
        if bad:
            print(f"FAILED: {bad}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
