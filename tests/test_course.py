"""The instructors' kit: the question bank, the autograded assignments and the course plans.

- course/questions/: every question is well formed (exactly one correct choice, numeric answers
  computed by an expression, not typed), and the printable page and the GIFT export are current;
- course/source/: nbgrader grades every assignment's reference solution with full marks and its
  untouched student notebook with zero, under a term seed other than the public one (so the
  hidden tests compute their answers from the seed); the student notebooks keep no solution,
  hidden test or model answer;
- course/plan.yml: the ten-week plan and the workshop cover every chapter once.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import assignments  # noqa: E402
import question_bank  # noqa: E402

sys.path.pop(0)
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
TERM_SEED = 20261203  # any seed but the public one: the answers must follow it


# ----------------------------------------------------------------------------- the question bank

def test_the_question_bank_is_well_formed_and_its_page_and_gift_export_are_current():
    banks = question_bank.load_all()
    assert [b["chapter"] for b in banks] == CHAPTERS
    for bank in banks:
        assert len(bank["questions"]) >= question_bank.MIN_QUESTIONS, bank["chapter"]
        for q in bank["questions"]:
            if q["kind"] == "choice":
                assert sum(ok for _, ok in q["choices"]) == 1, q["id"]
    page = question_bank.page(banks) + "\n"
    assert question_bank.PAGE.read_text(encoding="utf-8") == page, \
        "appendices/question_bank.md is not current: run python tools/question_bank.py"
    assert question_bank.GIFT.read_text(encoding="utf-8") == question_bank.gift(banks), \
        "course/question_bank.gift is not current: run python tools/question_bank.py"


BAD = {
    "two correct choices": ({"kind": "choice", "choices": [
        {"text": "a", "correct": True}, {"text": "b", "correct": True}, {"text": "c"}]},
        "exactly one choice"),
    "no correct choice": ({"kind": "choice", "choices": [
        {"text": "a"}, {"text": "b"}, {"text": "c"}]}, "exactly one choice"),
    "a typed answer": ({"kind": "numeric", "answer": "0.25", "tolerance": 0, "format": "g"},
                       "not a typed number"),
    "a typed negative answer": ({"kind": "numeric", "answer": "-3", "tolerance": 0,
                                 "format": "g"}, "not a typed number"),
    "the answer in the stem": ({"kind": "numeric", "stem": "Is it {x}?", "values": {"x": "2 ** 5"},
                                "answer": "x", "tolerance": 0, "format": "d"}, "gives the answer"),
    "choices that read the same": ({"kind": "choice", "values": {"a": "1 / 2"}, "choices": [
        {"text": "{a:.1f}", "correct": True}, {"text": "0.5"}, {"text": "c"}]}, "read the same"),
    "an unknown placeholder": ({"kind": "choice", "choices": [
        {"text": "{nope}", "correct": True}, {"text": "b"}, {"text": "c"}]}, "placeholder"),
}


@pytest.mark.parametrize("fault", BAD)
def test_the_checker_refuses_a_malformed_question(tmp_path, fault):
    broken, message = BAD[fault]
    good = {"id": "g", "kind": "numeric", "stem": "Two to the fifth?", "answer": "2 ** 5",
            "tolerance": 0, "format": "d", "explanation": "It is {answer}."}
    questions = [dict(good, id=f"g{i}") for i in range(question_bank.MIN_QUESTIONS - 1)]
    questions.append({"id": "bad", "stem": "Which?", "explanation": "Because.", **broken})
    path = tmp_path / "01_fading_signal.yml"
    path.write_text(yaml.safe_dump({"chapter": path.stem, "questions": questions}))
    with pytest.raises(question_bank.BankError, match=message):
        question_bank.evaluate(path)
    questions[-1] = dict(good, id="bad")
    path.write_text(yaml.safe_dump({"chapter": path.stem, "questions": questions}))
    assert len(question_bank.evaluate(path)["questions"]) == question_bank.MIN_QUESTIONS


def test_the_gift_export_has_one_right_answer_per_question_and_escapes_its_syntax():
    text = question_bank.GIFT.read_text(encoding="utf-8")
    questions = [line for line in text.splitlines() if line.startswith("::")]
    assert len(questions) == sum(len(yaml.safe_load(p.read_text())["questions"])
                                 for p in question_bank.BANK.glob("*.yml"))
    for line in questions:
        body = re.sub(r"\\.", "", line)  # escaped characters are text
        assert body.count("{") == body.count("}") == 1, line
        answers = body[body.index("{") + 1:body.index("}")].split("####")[0]
        if answers.startswith("#"):
            assert re.fullmatch(r"#-?[\d.e+-]+:[\d.e+-]+ ", answers), line
        else:
            assert answers.count("=") == 1 and answers.lstrip().startswith(("=", "~")), line


# -------------------------------------------------------------------------------- the assignments

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    rows = assignments.selftest(course, TERM_SEED)
    return course, rows


def test_every_chapter_has_an_assignment_with_a_rubric_for_each_written_question():
    assert assignments.assignments() == CHAPTERS
    for name in CHAPTERS:
        nb = nbformat.read(assignments.SOURCE / name / f"{name}.ipynb", as_version=4)
        cells = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
        tests = [c for c in cells if c["grade"] and not c["solution"]]
        written = [c["grade_id"] for c in cells if c["grade"] and c["solution"]]
        assert len(tests) >= 2 and written, name
        rubric = yaml.safe_load((ROOT / "course" / "rubrics" / f"{name}.yml").read_text())
        assert set(rubric) == set(written), name
        for entry in rubric.values():
            assert {"question", "full", "partial", "wrong"} <= set(entry), name


def test_nbgrader_gives_the_solutions_full_marks_and_the_untouched_notebooks_zero(graded):
    _, rows = graded
    scores = {(r["student"], r["assignment"]): r for r in rows}
    assert {a for _, a in scores} == set(CHAPTERS)
    for name in CHAPTERS:
        solution, untouched = scores["solution", name], scores["untouched", name]
        assert solution["auto_max"] > 0
        assert solution["auto_score"] == solution["auto_max"], (name, solution)
        assert untouched["auto_score"] == 0, (name, untouched)
        assert solution["written_max"] > 0, name


def test_the_student_notebooks_keep_no_solution_hidden_test_or_model_answer(graded):
    course, _ = graded
    for name in CHAPTERS:
        source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
        released = (course / "release" / name / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released, name
        assert f"TERM_SEED = {TERM_SEED}" in released, name
        regions = r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)\n\s*### END \1"
        text = "\n".join(c.source for c in source.cells)
        public = re.sub(regions, "", text, flags=re.S)  # what the student may see anyway
        for _, region in re.findall(regions, text, re.S):
            for line in region.splitlines():
                if len(line.strip()) > 25 and line.strip() not in public:
                    assert json.dumps(line.strip())[1:-1] not in released, (name, line)


def test_a_term_seed_changes_the_numbers_and_the_released_notebook_needs_only_vglib(graded):
    course, _ = graded
    public = assignments.with_seed(assignments.SOURCE / CHAPTERS[0] / f"{CHAPTERS[0]}.ipynb",
                                   assignments.PUBLIC_SEED)
    assert f"TERM_SEED = {assignments.PUBLIC_SEED}" in public
    for name in CHAPTERS:
        released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in released.cells if c.cell_type == "code")
        imports = set(re.findall(r"^\s*(?:from|import) (\w+)", code, re.M))
        assert imports <= {"numpy", "matplotlib", "vglib", "sys", "subprocess", "math", "torch"}, \
            (name, imports)
        assert "otter" not in code and "nbgrader" not in code
        assert "rng = np.random.default_rng(TERM_SEED)" in code, name


def test_a_negative_term_seed_is_refused_by_name(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["assignments.py", "release", "--term-seed", "-1",
                                      "--course", "/nonexistent"])
    with pytest.raises(SystemExit):
        assignments.main()
    assert "--term-seed must be a whole number >= 0" in capsys.readouterr().err


# ------------------------------------------------------------------------------------- the plans

def test_the_ten_week_plan_and_the_workshop_cover_every_chapter_once():
    plan = yaml.safe_load((ROOT / "course" / "plan.yml").read_text())
    weeks = [w["week"] for w in plan["module"]]
    assert weeks == list(range(1, 11))
    assert sorted(c for w in plan["module"] for c in w["chapters"]) == CHAPTERS
    assert sorted(c for d in plan["workshop"] for s in d["sessions"] for c in s) == CHAPTERS
    assert len(plan["workshop"]) == 3
    assert set(plan["exercise_minutes"]) == set(CHAPTERS)
    labels = {m for p in (ROOT / "chapters").glob("*.ipynb")
              for m in re.findall(r":label: (ch\d+-[\w-]+)", p.read_text())}
    for week in plan["module"]:  # every exercise a plan names exists
        for label in re.findall(r"\bch\d+-(?:ex|q)-[\w-]+", week["activity"] + week["show"]):
            assert label in labels, (week["week"], label)


def test_every_assignment_installs_the_same_vglib_release_in_colab_as_the_chapters():
    colab = nbformat.read(ROOT / "chapters" / "01_fading_signal.ipynb", as_version=4).cells[0]
    for name in CHAPTERS:
        nb = nbformat.read(assignments.SOURCE / name / f"{name}.ipynb", as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.source == colab.source, name
