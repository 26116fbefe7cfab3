"""Write the instructors' appendix (appendices/instructors.md) from the chapters themselves.

    python tools/instructor_guide.py           # rewrite appendices/instructors.md
    python tools/instructor_guide.py --check   # exit 1 if the file is not current

Each chapter's title, learning objectives, prerequisites and time are read from its front-matter
cell (the markdown cell tagged ``front-matter``: the one place they are written), its exercises
(full statements) from its exercise directives, so the appendix cannot drift from the chapters;
the suggested project for each chapter comes from appendices/assignments.yml, the ten-week and
three-day plans and the exercise times from course/plan.yml, and the autograded assignments
(questions, points, model answers of the written questions) from course/source/ with their
rubrics in course/rubrics/. tests/test_appendices.py runs the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
OUT = ROOT / "appendices" / "instructors.md"
ASSIGNMENTS = ROOT / "appendices" / "assignments.yml"
PLAN = ROOT / "course" / "plan.yml"
COURSE_SOURCE = ROOT / "course" / "source"
RUBRICS = ROOT / "course" / "rubrics"
QUESTIONS = ROOT / "course" / "questions"
EXERCISE = re.compile(r"^(`{3,})\{exercise\}[^\n]*\n((?::[\w-]+:[^\n]*\n)*)\n?(.*?)\n\1[ \t]*$",
                      re.S | re.M)
EXERCISE_LABEL = re.compile(r"\bch\d+-(?:ex|q)-[\w-]+\b")
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)\n### END SOLUTION", re.S)

TERM = re.compile(r"\{term\}`([^`<]+?)(?:\s*<[^`>]+>)?`")
GLUE = re.compile(r"\{glue:text\}`([^`]+)`")


def block(text: str, stem: str = "") -> str:
    """Markdown of a chapter with its lines kept (code stays code), glossary links reduced to
    their text and glued values fetched from the chapter's notebook (myst-nb's ``path::key``)."""
    # myst-nb reads the text after the last colon as the format: a key without one gets "s",
    # the format myst-nb gives it on its own page
    text = GLUE.sub(lambda m: f"{{glue:text}}`../chapters/{stem}.ipynb::{m.group(1)}"
                    f"{'' if ':' in m.group(1) else ':s'}`", text)
    return TERM.sub(r"\1", text).strip()


def plain(text: str, stem: str = "") -> str:
    """The same on one line."""
    return " ".join(block(text, stem).split())


def markdown(nb: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def front_matter(nb: nbformat.NotebookNode, name: str) -> str:
    """The source of the chapter's one markdown cell tagged ``front-matter``."""
    cells = [cell.source for cell in nb.cells if cell.cell_type == "markdown"
             and "front-matter" in cell.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{name}: expected one markdown cell tagged front-matter, "
                         f"found {len(cells)}")
    return cells[0]


def between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"(.*?)(?:" + end + ")", text, re.S)
    if not match:
        raise ValueError(f"no text between {start!r} and {end!r}")
    return match.group(1).strip()


def chapter_info(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    text = front_matter(nb, path.name)
    objectives = between(text, "## Learning objectives", r"\*\*Prerequisites:\*\*")
    items = [plain(item, path.stem) for item in re.split(r"\n- ", "\n" + objectives)[1:]]
    time = plain(between(text, "**Time:**", r"\n\n|$"))
    minutes = re.search(r"about (\d+) minutes", time)
    exercises = []
    for match in EXERCISE.finditer(markdown(nb)):
        label = re.search(r":label: (\S+)", match.group(2)).group(1)
        exercises.append((label, block(match.group(3), path.stem)))
    return {
        "stem": path.stem,
        "number": int(path.stem[:2]),
        "title": re.search(r"^# (.+)$", text, re.M).group(1).strip(),
        "objectives": items,
        "prerequisites": plain(between(text, "**Prerequisites:**", r"\n\n")),
        "time": time.split(". ")[0].rstrip("."),
        "minutes": int(minutes.group(1)) if minutes else None,
        "exercises": exercises,
    }


def assignment_info(stem: str) -> dict:
    """The autograded assignment of a chapter: its questions (title, points, how graded), the
    model answers of its written questions and their rubrics."""
    nb = nbformat.read(COURSE_SOURCE / stem / f"{stem}.ipynb", as_version=4)
    rubrics = yaml.safe_load((RUBRICS / f"{stem}.yml").read_text(encoding="utf-8"))
    questions, written = [], []
    for cell in nb.cells:
        heading = re.match(r"## Question \d+ \((\d+) points?\): (.+)", cell.source)
        if cell.cell_type == "markdown" and heading:
            questions.append({"title": heading.group(2).strip(), "points": int(heading.group(1)),
                              "kind": "autograded"})
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and grading.get("solution") and cell.cell_type == "markdown":
            questions[-1]["kind"] = "written"
            rubric = rubrics[grading["grade_id"]]
            answer = SOLUTION_REGION.search(cell.source).group(1).strip()
            written.append({"title": questions[-1]["title"], "points": grading["points"],
                            "answer": answer, **rubric})
    if set(rubrics) != {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                        if c.metadata.get("nbgrader", {}).get("solution")
                        and c.cell_type == "markdown"}:
        raise SystemExit(f"course/rubrics/{stem}.yml and the written questions of "
                         f"course/source/{stem} disagree")
    minutes = re.search(r"About (\d+) minutes", nb.cells[0].source)
    return {"questions": questions, "written": written,
            "points": sum(q["points"] for q in questions),
            "minutes": int(minutes.group(1)) if minutes else 0}


def _titles(chapters: list[dict], stems: list[str]) -> str:
    by_stem = {c["stem"]: c for c in chapters}
    return "; ".join(f"{by_stem[s]['number']}. {{doc}}`{by_stem[s]['title']} "
                     f"<../chapters/{s}>`" for s in stems)


def render() -> str:
    assignments = yaml.safe_load(ASSIGNMENTS.read_text(encoding="utf-8"))
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    chapters = [chapter_info(p) for p in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))]
    stems = {c["stem"] for c in chapters}
    for name, keys in (("appendices/assignments.yml", set(assignments)),
                       ("course/plan.yml exercise_minutes", set(plan["exercise_minutes"])),
                       ("course/source/", {p.name for p in COURSE_SOURCE.iterdir()
                                           if p.is_dir()})):
        if keys ^ stems:
            raise SystemExit(f"{name} and chapters/ disagree on: {keys ^ stems}")
    graded = {c["stem"]: assignment_info(c["stem"]) for c in chapters}
    for c in chapters:
        c["exercise_minutes"] = plan["exercise_minutes"][c["stem"]]
        c["assignment_minutes"] = graded[c["stem"]]["minutes"]
        c["total"] = (c["minutes"] or 0) + c["exercise_minutes"] + c["assignment_minutes"]
    reading = sum(c["minutes"] or 0 for c in chapters)
    total = sum(c["total"] for c in chapters)
    n_exercises = sum(len(c["exercises"]) for c in chapters)
    n_questions = sum(len(yaml.safe_load(p.read_text(encoding="utf-8"))["questions"])
                      for p in QUESTIONS.glob("*.yml"))
    lines = [
        "<!-- Generated by tools/instructor_guide.py from the chapters, course/ and "
        "appendices/assignments.yml; edit those, then run the tool. -->",
        "",
        "# For instructors",
        "",
        f"The book has {len(chapters)} chapters, about {reading / 60:.0f} hours of reading and "
        f"running, {n_exercises} exercises with solutions and an autograded assignment per "
        f"chapter: about {total / 60:.0f} hours of student work in all. Each chapter stands on "
        "the ones it lists as prerequisites, so a course can take Part I (chapters 1-3) as a "
        "unit and then choose among the fixes of Part II; chapters 9 and 10 assume all of "
        "Part II.",
        "",
        "Every chapter runs on a laptop in about a minute or less, and in Google Colab (the launch "
        "button at the top of each chapter page), so students need no local installation. "
        "The numbers in the text are computed by the notebook, so a student who changes a seed "
        "or a size sees the text's claims tested on their own run.",
        "",
        "What this page gives you: a {ref}`ten-week plan <plan-module>` and a "
        "{ref}`three-day workshop <plan-workshop>`; <a href=\"../slides/index.html\">a slide "
        "deck per chapter</a>; an {ref}`autograded assignment per chapter <autograding>` with "
        "rubrics and model answers; a {doc}`question bank <question_bank>` with "
        f"{n_questions} questions (printable, and as a Moodle import); every exercise in full; "
        "and {ref}`a student edition <student-edition>` without any of it.",
        "",
        "## Overview",
        "",
        "Times in minutes: reading and running the chapter (its own estimate), its exercises, "
        "its autograded assignment, and the total.",
        "",
        "| chapter | reading | exercises | assignment | total | prerequisites |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in chapters:
        minutes = f"{c['minutes']}" if c["minutes"] else "-"
        lines.append(f"| {c['number']}. {{doc}}`{c['title']} <../chapters/{c['stem']}>` | "
                     f"{minutes} | {c['exercise_minutes']} ({len(c['exercises'])}) | "
                     f"{c['assignment_minutes']} | {c['total']} | {c['prerequisites']} |")
    lines += ["", "(plan-module)=", "## A ten-week module", "",
              "One 90-minute session a week: about 50 minutes of the chapter shown live from its "
              "slides and notebook, 30 minutes of an activity in class, 10 minutes for "
              "questions from the question bank. The chapter's autograded assignment is due "
              "before the next session.", ""]
    def linked(text: str) -> str:  # exercise labels become numbered links
        return EXERCISE_LABEL.sub(lambda m: f"{{numref}}`{m.group(0)}`", " ".join(text.split()))

    number = {c["stem"]: c["number"] for c in chapters}
    for week in plan["module"]:
        due = " and ".join(f"chapter {number[s]}'s ({graded[s]['points']} points)"
                           for s in week["chapters"])
        lines += [f"**Week {week['week']}: {_titles(chapters, week['chapters'])}.** "
                  f"*Show:* {linked(week['show'])} "
                  f"*Activity:* {linked(week['activity'])} "
                  f"*Assignment:* {due}.", ""]
    lines += ["(plan-workshop)=", "## A three-day workshop", "",
              "Four 90-minute sessions a day. The exercises move to the evenings and the "
              "assignments become optional homework.", ""]
    for day in plan["workshop"]:
        sessions = "; ".join(f"session {i}: {_titles(chapters, s)}" if s
                             else f"session {i}: clinic"
                             for i, s in enumerate(day["sessions"], 1))
        lines += [f"**Day {day['day']}, {day['title']}.** {sessions}. "
                  f"{' '.join(day['note'].split())}", ""]
    for c in chapters:
        info = graded[c["stem"]]
        lines += [f"## {c['number']}. {c['title']}", "",
                  f"{{doc}}`Open the chapter <../chapters/{c['stem']}>`, "
                  f"<a href=\"../slides/{c['stem']}.html\">its slides</a>. "
                  f"**Time:** {c['time']}; the exercises about {c['exercise_minutes']} minutes, "
                  f"the assignment about {info['minutes']}. "
                  f"**Prerequisites:** {c['prerequisites']}", "",
                  "**Learning objectives.** After the chapter a student can:", ""]
        lines += [f"- {item}" for item in c["objectives"]]
        lines += ["", "**Exercises** (solutions are in the chapter, folded):", ""]
        for label, body in c["exercises"]:
            text = "\n".join(("  " + line) if line.strip() else "" for line in
                             body.splitlines()).strip()
            lines += [f"- {{numref}}`{label}`. {text}", ""]
        lines += [f"**Autograded assignment** (`course/source/{c['stem']}`, {info['points']} "
                  "points): " + "; ".join(f"{q['title']} ({q['points']}, {q['kind']})"
                                          for q in info["questions"]) + ".", ""]
        for w in info["written"]:
            lines += [f"*Rubric for \"{w['title']}\"* ({w['points']} points). "
                      f"**Full marks:** {' '.join(w['full'].split())} "
                      f"**Partial:** {' '.join(w['partial'].split())} "
                      f"**No marks:** {' '.join(w['wrong'].split())}", "",
                      f"*Model answer.* {' '.join(w['answer'].split())}", ""]
        lines += [f"**Suggested project.** {' '.join(assignments[c['stem']].split())}"]
    lines += ["", AUTOGRADING, "", STUDENT_EDITION]
    return "\n".join(lines) + "\n"


AUTOGRADING = """\
(autograding)=
## Autograded assignments

Each chapter has a short assignment in `course/source/<chapter>/<chapter>.ipynb`, in
[nbgrader](https://nbgrader.readthedocs.io)'s format: two or three questions graded by tests and
one written question graded by hand with the rubric above. nbgrader was chosen over
otter-grader because its student notebooks are plain notebooks: they need nothing beyond vglib,
so they run in Colab (ipywidgets 7.7) and with the oldest versions the book supports, whereas
otter-grader 7's student notebooks import otter, which requires ipywidgets 8.1.5 or later.
Grading runs on your machine with nbgrader's `autograde`, no Docker.

Every question has public tests, which the student runs in the notebook (most are vglib.check's
self-checks, which say what is wrong with an answer but never what the right answer is), and
hidden tests, which nbgrader removes from the student's copy and restores when it grades.

**What is public, and a term of your own.** This repository holds the assignments with their
reference solutions and hidden tests, the rubrics and the model answers: a student who finds
them finds the method, but not this term's answers. Every number an assignment asks about
(factors, depths, widths, data) is drawn from a *term seed* in a locked cell, and the hidden
tests compute the expected answers from it with vglib, so no answer is written anywhere. Pick a
seed, keep it to yourself until the deadline, and release:

```bash
python tools/assignments.py release --term-seed 4711 --course ~/vg-course
```

This makes `~/vg-course` an nbgrader course directory (`nbgrader_config.py`, `source/` with
your seed written in, `release/` with the student notebooks: solutions replaced by stubs that
raise `NotImplementedError`, hidden tests removed). Hand out the notebooks in `release/`
(or push them to a repository for Colab). Collect the submissions into
`submitted/<student>/<assignment>/<assignment>.ipynb` (nbgrader's `collect` or
`zip_collect` does this for you), then grade:

```bash
python tools/assignments.py grade --course ~/vg-course --csv scores.csv
```

which runs `nbgrader autograde` for every submission and writes the automatic scores; grade
the written answers in nbgrader's formgrader (`jupyter lab` in the course directory, the
Formgrader panel) with the rubrics on this page, then `nbgrader generate_feedback`. The test
suite grades every assignment twice: its reference solution must get full marks for the tested
questions and its untouched student notebook zero (`python tools/assignments.py selftest`).
"""


STUDENT_EDITION = """\
(student-edition)=
## A student edition without solutions

Every solution in the book is a `solution` directive of sphinx-exercise, folded in the pages you
are reading. To hand out the book without them:

```bash
python tools/make_student_edition.py --html _build/student
```

This writes two things, and leaves the repository as it is:

- **notebooks** in `_build/student/chapters` and `_build/student/appendices`: every solution
  removed, a placeholder after each exercise (a code cell that raises `NotImplementedError`
  until the student replaces it, or a "Your answer" cell for a written answer) and all outputs
  cleared. They run from top to bottom, stopping only at the placeholders (the test suite checks
  this for every notebook). Hand them out, or put them in a repository of their own for Colab;
- **the HTML book** in `_build/student/_build/html`: the book as you know it, every exercise
  with its number, no solution, and without this page and the question bank (links to them
  become plain text). Publish it while an assignment is open and the full book afterwards.

Beyond the solutions, the student edition leaves out what would give them away elsewhere: the
gallery's case headings, which name each fault, become "Case 1" to "Case 6", and its last two
sections (every case over five seeds, the figure of every fix) are left out. The test suite
searches each student notebook for every value a solution computes, every function only a
solution defines and every reference to removed material. The slides and the assignments'
student notebooks hold no solution either.

At least one exercise per chapter ends with a self-check from `vglib.check`, which tells a
student what is wrong with an answer ("your derivative is off by a factor of 0.5
everywhere") rather than only that it is, and never prints the right number for a wrong one.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if appendices/instructors.md is not current")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(ROOT)} is not current: run python tools/instructor_guide.py")
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
