"""The question bank (course/questions/*.yml): check it, and write its printable page and its
Moodle export.

    python tools/question_bank.py                  # write appendices/question_bank.md and
                                                   # course/question_bank.gift
    python tools/question_bank.py --check          # exit 1 if a question is malformed or either
                                                   # file is not current (tests/test_course.py)
    python tools/question_bank.py --validate FILE  # check one chapter's file, print it rendered

One YAML file per chapter. A question is ``kind: choice`` (3 to 5 choices, exactly one marked
``correct: true``) or ``kind: numeric`` (``answer``: a Python expression, evaluated here, with an
absolute ``tolerance`` and a ``format`` to print it). ``values`` are Python expressions too,
evaluated in order after the file's ``setup`` code; texts use them as ``{name:spec}``, so every
number that is a result is computed, not typed. Moodle imports the GIFT file with
Question bank > Import > GIFT format.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "course" / "questions"
PAGE = ROOT / "appendices" / "question_bank.md"
GIFT = ROOT / "course" / "question_bank.gift"
MIN_QUESTIONS = 8
KEYS = {"choice": {"id", "kind", "stem", "values", "choices", "explanation"},
        "numeric": {"id", "kind", "stem", "values", "answer", "tolerance", "format",
                    "explanation"}}


class BankError(ValueError):
    """A malformed question: the message names the file, the question and what is wrong."""


def _is_typed(expression: str) -> bool:
    """True for a literal number (``0.25``, ``-3``), which an answer must not be."""
    tree = ast.parse(expression, mode="eval").body
    if isinstance(tree, ast.UnaryOp):
        tree = tree.operand
    return isinstance(tree, ast.Constant)


def evaluate(path: Path) -> dict:
    """Load one chapter's file, compute every value and answer, format every text; raise
    BankError on the first malformed question."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if set(data) - {"chapter", "setup", "questions"} or "questions" not in data:
        raise BankError(f"{path.name}: top-level keys are chapter, setup, questions")
    if data.get("chapter") != path.stem:
        raise BankError(f"{path.name}: chapter must be {path.stem!r}, got {data.get('chapter')!r}")
    namespace: dict = {}
    exec(data.get("setup") or "import numpy as np", namespace)
    out = []
    for q in data["questions"]:
        where = f"{path.name}: question {q.get('id', '?')}"
        kind = q.get("kind")
        if kind not in KEYS:
            raise BankError(f"{where}: kind must be 'choice' or 'numeric', got {kind!r}")
        unknown = set(q) - KEYS[kind]
        missing = KEYS[kind] - {"values"} - set(q)
        if unknown or missing:
            raise BankError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
        ns = dict(namespace)
        values = {}
        for name, expression in (q.get("values") or {}).items():
            values[name] = ns[name] = eval(str(expression), ns)
        item = {"id": q["id"], "kind": kind, "chapter": path.stem}
        if kind == "numeric":
            if not isinstance(q["answer"], str) or _is_typed(q["answer"]):
                raise BankError(f"{where}: answer must be an expression that computes it, "
                                f"not a typed number; got {q['answer']!r}")
            answer = eval(q["answer"], ns)
            if not isinstance(answer, (int, float)) and not hasattr(answer, "__float__"):
                raise BankError(f"{where}: answer must be a number; got {answer!r}")
            values["answer"] = answer
            tolerance = q["tolerance"]
            if not isinstance(tolerance, (int, float)) or tolerance < 0:
                raise BankError(f"{where}: tolerance must be a number >= 0; got {tolerance!r}")
            item.update(answer=answer, tolerance=float(tolerance),
                        shown=format(answer, q["format"]))
        try:
            item["stem"] = " ".join(q["stem"].format(**values).split())
            item["explanation"] = " ".join(q["explanation"].format(**values).split())
            if kind == "choice":
                item["choices"] = [(" ".join(c["text"].format(**values).split()),
                                    c.get("correct", False) is True) for c in q["choices"]]
        except (KeyError, IndexError, ValueError) as error:
            raise BankError(f"{where}: a placeholder does not fit its values: {error}") from None
        if kind == "choice":
            texts = [text for text, _ in item["choices"]]
            if not 3 <= len(texts) <= 5:
                raise BankError(f"{where}: 3 to 5 choices, not {len(texts)}")
            if sum(right for _, right in item["choices"]) != 1:
                raise BankError(f"{where}: exactly one choice must be correct: true")
            if len(set(texts)) != len(texts):
                raise BankError(f"{where}: two choices read the same: {texts}")
        elif re.search(rf"(?<![\d.]){re.escape(item['shown'])}(?![\d])", item["stem"]):
            raise BankError(f"{where}: the stem gives the answer away ({item['shown']})")
        if len(item["explanation"]) > 320:
            raise BankError(f"{where}: the explanation is one line (at most 320 characters)")
        out.append(item)
    if len(out) < MIN_QUESTIONS:
        raise BankError(f"{path.name}: {len(out)} questions; at least {MIN_QUESTIONS}")
    return {"chapter": path.stem, "questions": out}


def load_all() -> list[dict]:
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    files = sorted(BANK.glob("*.yml"))
    if [p.stem for p in files] != chapters:
        raise BankError(f"course/questions/ must have one file per chapter: {chapters}")
    banks = [evaluate(p) for p in files]
    ids = [q["id"] for b in banks for q in b["questions"]]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise BankError(f"question ids used twice: {doubled}")
    return banks


def _title(stem: str) -> str:
    if str(Path(__file__).resolve().parent) not in sys.path:  # the tools share one folder
        sys.path.insert(0, str(Path(__file__).resolve().parent))
    from instructor_guide import chapter_info

    info = chapter_info(ROOT / "chapters" / f"{stem}.ipynb")
    return f"{info['number']}. {info['title']}"


LETTERS = "abcde"


def page(banks: list[dict]) -> str:
    """The printable page: each chapter's questions, then the answer key at the end."""
    n = sum(len(b["questions"]) for b in banks)
    lines = ["<!-- Generated by tools/question_bank.py from course/questions/; edit those, "
             "then run the tool. -->", "", "# Question bank", "",
             f"{n} questions, at least {MIN_QUESTIONS} for each chapter: multiple choice and "
             "numeric, each with its answer and a one-line explanation in the answer key at the "
             "end of this page (print the questions alone by stopping before it). The same "
             "questions, in Moodle's GIFT format, are in `course/question_bank.gift` "
             "(Question bank > Import > GIFT format). Every numeric answer is computed by "
             "`python tools/question_bank.py` from an expression in `course/questions/`, and "
             "the test suite checks that each question has exactly one correct answer.", ""]
    for b in banks:
        lines += [f"## {_title(b['chapter'])}", ""]
        for i, q in enumerate(b["questions"], 1):
            lines.append(f"{i}. {q['stem']}")
            if q["kind"] == "choice":
                lines.append("")
                lines += [f"   {LETTERS[j]}) {text}" for j, (text, _) in
                          enumerate(q["choices"])]
            else:
                lines += ["", "   Answer: ______"]
            lines.append("")
    lines += ["## Answer key", ""]
    for b in banks:
        lines += [f"**{_title(b['chapter'])}**", ""]
        for i, q in enumerate(b["questions"], 1):
            if q["kind"] == "choice":
                right = next(j for j, (_, ok) in enumerate(q["choices"]) if ok)
                answer = f"{LETTERS[right]})"
            else:
                answer = q["shown"] + (f" (± {q['tolerance']:g})" if q["tolerance"] else "")
            lines.append(f"{i}. **{answer}** {q['explanation']}")
        lines.append("")
    return "\n".join(lines)


def _gift_escape(text: str) -> str:
    return re.sub(r"([~=#{}:\\])", r"\\\1", text)


def gift(banks: list[dict]) -> str:
    """Moodle's GIFT format: one category per chapter, feedback = the explanation."""
    lines = ["// Generated by tools/question_bank.py from course/questions/ (Moodle: Question "
             "bank > Import > GIFT format)", ""]
    for b in banks:
        lines += [f"$CATEGORY: vanishing-gradients/{b['chapter']}", ""]
        for q in b["questions"]:
            head = f"::{_gift_escape(q['id'])}::[markdown]{_gift_escape(q['stem'])}"
            feedback = f"####{_gift_escape(q['explanation'])}"
            if q["kind"] == "choice":
                options = " ".join(("=" if ok else "~") + _gift_escape(text)
                                   for text, ok in q["choices"])
                lines.append(f"{head} {{{options} {feedback}}}")
            else:
                lines.append(f"{head} {{#{float(q['answer']):.10g}:{q['tolerance']:g} "
                             f"{feedback}}}")
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--validate", type=Path, metavar="FILE")
    args = parser.parse_args()
    try:
        if args.validate:
            bank = evaluate(args.validate.resolve())
            for q in bank["questions"]:
                print(f"[{q['id']}] {q['stem']}")
                for text, right in q.get("choices", []):
                    print(f"   {'*' if right else ' '} {text}")
                if q["kind"] == "numeric":
                    print(f"   = {q['shown']} (± {q['tolerance']:g})")
                print(f"   -> {q['explanation']}\n")
            print(f"{len(bank['questions'])} questions: valid")
            return 0
        banks = load_all()
    except BankError as error:
        print(error)
        return 1
    wanted = {PAGE: page(banks) + "\n", GIFT: gift(banks)}
    stale = [p for p, text in wanted.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)} is not current: run python tools/question_bank.py")
        return 1 if stale else 0
    for p, text in wanted.items():
        p.write_text(text, encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
