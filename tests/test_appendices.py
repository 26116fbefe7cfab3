"""The appendices: the gallery and fact-check notebooks, the instructors' page. nbval executes
the two notebooks (pyproject.toml's testpaths); these tests check their structure and what the
book build makes of them. The student edition has tests/test_student_edition.py.

The fact check renders its tables from appendices/source_claims.yml, one entry per checkable
claim of the four source articles. The tests below check that data: every quote is verbatim in
its article (in ../shared/sources, beside the repository, as in CI), every verdict is one of the
categories, every value is computed by the notebook or cited from ../shared/FACTS.md, and the
stored tables show every claim."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from test_chapters import SETUP_CELL, code_cells, glued_names, load, markdown

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "appendices").glob("*.ipynb"))
FACT_CHECK = ROOT / "appendices" / "fact_check.ipynb"
SHARED = ROOT.parent / "shared"
SOURCES = SHARED / "sources"
FACTS = SHARED / "FACTS.md"
COURSE = SHARED / "COURSE.md"
VERDICTS = ("right", "roughly right", "wrong", "misleading", "overstated", "contested",
            "unsupported")
CHAPTER_NUMBERS = {int(p.name[:2]) for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")}
PLACEHOLDER = re.compile(r"\[\[(\w+)(?::[^\]]*)?\]\]")

sys.path.insert(0, str(ROOT / "tools"))
import check_source_quotes  # noqa: E402

sys.path.pop(0)
DATA = check_source_quotes.load()
CLAIMS = DATA["claims"]
CITATIONS = DATA["citations"]

# COURSE.md's "Corrections the book must make": for each (its first column), the phrases of the
# claim as the articles word it, and the verdicts that correction allows.
CORRECTIONS = {
    "0.1^10 = 0.00000001": [("source-000", "0.00000001", {"wrong"})],
    "0.25^50 ~ 7.88e-36": [("source-001", "7.88 × 10⁻³⁶", {"wrong"})],
    'sigmoid\'(4) "near 0.01"': [("source-000", "near **0.01**", {"wrong"})],
    '50-layer simulation prints "ReLU: 0.1245"': [("source-001", "0.1245", {"misleading"})],
    'tanh "even worse" than sigmoid': [("source-001", "Even worse with tanh", {"wrong"})],
    "Xavier normal variance 1/(fan_in + fan_out)": [
        ("source-002", "\\frac{1}{\\text{fan_in} + \\text{fan_out}}", {"wrong"})],
    '"Modern 2025: 10,000+ layers (Llama 3: 100B params)"': [
        ("source-001", "10,000+", {"wrong"}), ("source-001", "Llama 3: 100B params", {"wrong"})],
    '"occurs only with sigmoid and tanh"': [("source-002", "Occurs only in case of", {"wrong"})],
    'the ReLU formula printed as "max(z>0)z"': [("source-001", "max(z>0)z", {"wrong"})],
    'BN works by reducing "internal covariate shift"': [
        ("source-001", "have to keep re-adapting", {"contested"})],
    'residual connections "completely destroy" vanishing gradients': [
        ("source-001", "completely destroys", {"overstated"})],
    '"ResNet proved 1000+ layer networks can be trained"': [
        ("source-001", "ResNet proved 1000+ layer networks", {"misleading"})],
    'a table of "max layers before/after" per method': [
        ("source-001", phrase, {"unsupported"})
        for phrase in ("3–5 | 5–8", "8–10 | 30+", "| 30 | 100+", "| 100 | 1000+")],
    'ReLU was "the first killer (2010–2012)" via AlexNet': [
        ("source-001", "The First Killer (2010–2012)", {"misleading"}),
        ("source-001", "Paper: Alex Krizhevsky et al.", {"misleading"})],
}
# claims no chapter treats (only the fact check does): none; a gap would be named here on purpose
ONLY_IN_THE_FACT_CHECK: set[str] = set()


def values_of(claim):
    return [claim["value"]] if isinstance(claim["value"], str) else list(claim["value"])


def test_toc_lists_every_appendix():
    toc = (ROOT / "_toc.yml").read_text()
    pages = {p.stem for p in (ROOT / "appendices").iterdir() if p.suffix in (".md", ".ipynb")}
    assert pages == {"gallery", "fact_check", "instructors", "question_bank", "glossary"}
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


# --- the fact check's data ------------------------------------------------------------------

def test_quotes_are_verbatim_in_the_source_articles():
    if not SOURCES.is_dir():
        pytest.skip(f"the source articles are not at {SOURCES} (CI has them beside the "
                    "repository): quotes not checked")
    print(f"checking the quotes against {SOURCES}")
    assert check_source_quotes.missing_quotes(DATA, SOURCES) == []


def test_the_quote_check_finds_a_phrase_that_is_not_verbatim():
    if not SOURCES.is_dir():
        pytest.skip(f"the source articles are not at {SOURCES}: nothing to compare with")
    altered = {**DATA, "claims": [{**CLAIMS[0], "quote": CLAIMS[0]["quote"] + " (sic)"},
                                  {**CLAIMS[1], "quote": CLAIMS[1]["quote"].upper()},
                                  {**CLAIMS[2], "source": "source-999"}], "not_checked": []}
    problems = check_source_quotes.missing_quotes(altered, SOURCES)
    assert len(problems) == 3 and "unknown source" in problems[2]
    spaced = {**DATA, "claims": [{**CLAIMS[0], "quote": "\n  ".join(CLAIMS[0]["quote"].split())}],
              "not_checked": []}
    assert check_source_quotes.missing_quotes(spaced, SOURCES) == []  # whitespace may differ


def test_the_maintainer_script_counts_the_claims_of_every_article():
    if not SOURCES.is_dir():
        pytest.skip(f"the source articles are not at {SOURCES}")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_source_quotes.py")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, count in check_source_quotes.claims_per_source(DATA).items():
        assert re.search(rf"^{name}: +{count} claims", result.stdout, re.M), result.stdout
        assert count >= 10, f"{name}: only {count} claims"
    assert len(CLAIMS) >= 100


def test_every_claim_has_an_id_a_source_a_claim_a_value_a_verdict_and_a_chapter():
    ids = Counter(claim["id"] for claim in CLAIMS)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    for claim in CLAIMS:
        assert claim["source"] in DATA["sources"], claim["id"]
        assert claim["quote"].strip() and claim["claim"].strip() and claim["note"].strip()
        assert claim["verdict"] in VERDICTS, f"{claim['id']}: unknown verdict {claim['verdict']!r}"
        assert values_of(claim), claim["id"]
        assert isinstance(claim["chapter"], list), claim["id"]
        for chapter in claim["chapter"]:
            assert chapter == "gallery" or chapter in CHAPTER_NUMBERS, (claim["id"], chapter)
        if "quoted" in claim:
            assert 0 < float(claim["tolerance"]) <= 0.5, claim["id"]


def test_only_the_known_coverage_gaps_are_treated_in_the_fact_check_alone():
    assert {claim["id"] for claim in CLAIMS if not claim["chapter"]} == ONLY_IN_THE_FACT_CHECK


def test_every_value_is_computed_by_the_notebook_or_cited_from_the_facts():
    glued = glued_names(load(FACT_CHECK))
    for claim in CLAIMS:
        shown = set(PLACEHOLDER.findall(claim["note"]))
        assert shown <= glued, f"{claim['id']}: the note shows values the notebook does not glue"
        for name in values_of(claim):
            if name in CITATIONS:
                author = CITATIONS[name]["cite"].split(" (")[0]
                assert author in claim["note"], f"{claim['id']}: the note does not cite {author}"
            else:
                assert name in glued, f"{claim['id']}: {name} is neither glued nor a citation"
                assert name in shown or claim.get("quoted") == name, (
                    f"{claim['id']}: {name} is not shown in the note")
        if isinstance(claim.get("quoted"), str):
            assert claim["quoted"] in glued, claim["id"]
    if not FACTS.exists():
        pytest.skip(f"{FACTS} is absent: the citations' identifiers were not looked up")
    facts = check_source_quotes.normalise(FACTS.read_text(encoding="utf-8"))
    for key, citation in CITATIONS.items():
        assert check_source_quotes.normalise(citation["facts"]) in facts, (
            f"{key}: {citation['facts']!r} is not in FACTS.md")


def test_numbers_of_cited_claims_come_from_the_facts_or_the_article():
    if not (FACTS.exists() and SOURCES.is_dir()):
        pytest.skip(f"{FACTS} or {SOURCES} is absent")
    facts = FACTS.read_text(encoding="utf-8")
    for claim in CLAIMS:
        if not all(name in CITATIONS for name in values_of(claim)):
            continue  # a computed value: its numbers come from the notebook
        article = (SOURCES / f"{claim['source']}.txt").read_text(encoding="utf-8")
        for number in re.findall(r"\d+(?:[.,]\d+)*", claim["note"]):
            assert number in facts or number in article, f"{claim['id']}: {number} from where?"


def test_every_wrong_claim_carries_a_computed_or_cited_value():
    for claim in CLAIMS:
        if claim["verdict"] == "wrong":
            computed = PLACEHOLDER.search(claim["note"])
            cited = any(name in CITATIONS for name in values_of(claim))
            assert computed or cited, claim["id"]


def test_fact_check_covers_every_correction_of_the_syllabus():
    if COURSE.exists():
        table = COURSE.read_text(encoding="utf-8").split("## Corrections the book must make")[1]
        rows = [line.split(" | ")[0].lstrip("| ").strip() for line in table.splitlines()
                if line.startswith("| ") and not line.startswith(("| source claim", "| ---"))]
        assert set(rows) == set(CORRECTIONS), "COURSE.md's corrections and this test differ"
    missing = []
    for correction, phrases in CORRECTIONS.items():
        for source, phrase, verdicts in phrases:
            if not any(c["source"] == source and phrase in c["quote"] and c["verdict"] in verdicts
                       for c in CLAIMS):
                missing.append((correction, phrase))
    assert not missing, f"corrections missing from the fact check: {missing}"


def test_the_fact_check_reads_its_data_from_the_book_repository_in_colab():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    owner_repo = config["url"].removeprefix("https://github.com/")
    raw = f"https://raw.githubusercontent.com/{owner_repo}/{config['branch']}/appendices/"
    sources = "\n".join(cell.source for cell in code_cells(load(FACT_CHECK)))
    sources = re.sub(r'"\s*\n\s*"', "", sources)  # a literal split over lines, joined
    assert f'"{raw}"' in sources and '"source_claims.yml"' in sources


def rendered_rows():
    """source -> the table rows the stored fact-check notebook shows for it."""
    rows = {}
    for cell in code_cells(load(FACT_CHECK)):
        match = re.fullmatch(r'show\("(source-\d+)"\)', cell.source.strip())
        if match:
            table = "".join(o["data"]["text/markdown"] for o in cell.outputs
                            if "text/markdown" in o.get("data", {}))
            rows[match[1]] = [line for line in table.splitlines()
                              if line.startswith("| ") and not line.startswith(
                                  ("| the article says", "| ---"))]
    return rows


def test_the_stored_tables_show_every_claim_with_a_value_a_verdict_and_a_chapter():
    rows = rendered_rows()
    assert set(rows) == set(DATA["sources"])
    for source, count in check_source_quotes.claims_per_source(DATA).items():
        assert len(rows[source]) == count, f"{source}: re-run the notebook after editing the data"
    for row in (r for source_rows in rows.values() for r in source_rows):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        assert len(cells) == 4, row
        claim, value, verdict, chapter = cells
        assert claim and value and "[[" not in value, row
        assert verdict.replace("*", "") in VERDICTS, f"unknown verdict: {row}"
        assert re.fullmatch(r"(\d+|gallery)(, (\d+|gallery))*|only here", chapter), row


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


@pytest.mark.parametrize("page", ["gallery", "fact_check", "instructors", "question_bank",
                                  "glossary"])
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
        slides = re.findall(r'href="\.\./slides/([\w.]+)"', html)  # links the deck index and decks
        assert slides and all((built_book.html / "slides" / s).exists() for s in slides)
    if page == "question_bank":
        assert "Answer key" in html and html.count("<li>") >= 8 * 11
