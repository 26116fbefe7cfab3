"""The glossary appendix and tools/link_glossary.py, which links each term's first use per chapter.

appendices/glossary.md defines the terms, appendices/glossary_forms.yml lists the words that
count as a use of each; every chapter must already have its first uses linked, which is the same
as saying that running the linker on it changes nothing.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
GLOSSARY = ROOT / "appendices" / "glossary.md"
FORMS = ROOT / "appendices" / "glossary_forms.yml"

# Terms that no chapter uses yet: chapter 10 ("the modern stack") will. Nothing else may be
# defined without being used.
PENDING = {"post-norm", "RMSNorm", "SwiGLU", "warm-up"}

_spec = importlib.util.spec_from_file_location("link_glossary", ROOT / "tools" / "link_glossary.py")
link_glossary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(link_glossary)

# A small glossary for the unit tests, so that each one reads on its own.
TERMS = {
    "ReLU": ["ReLU", "ReLUs"],
    "leaky ReLU": ["leaky ReLU"],
    "loss": ["loss"],
    "learning rate": ["learning rate", "learning rates"],
    "batch normalisation": ["batch normalisation", "BatchNorm"],
}


def link(*cells):
    return link_glossary.link_text(list(cells), TERMS)


def markdown_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def glossary_entries():
    """term -> definition, read from the glossary directive."""
    block = re.search(r"```\{glossary\}\n(.*?)\n```", GLOSSARY.read_text(), re.S).group(1)
    entries = re.findall(r"^(\S[^\n]*)\n((?:[ \t]+[^\n]*\n?)+)", block, re.M)
    return {term: " ".join(definition.split()) for term, definition in entries
            if not term.startswith(":")}


# --- the glossary -----------------------------------------------------------------------------

def test_glossary_and_forms_list_the_same_terms():
    terms = link_glossary.read_glossary_terms(GLOSSARY)
    assert len(terms) == len(set(terms)), "a term is defined twice"
    assert set(terms) == set(link_glossary.read_forms(FORMS))
    assert list(glossary_entries()) == terms


def test_every_definition_says_which_chapter_explains_the_term():
    for term, definition in glossary_entries().items():
        assert re.search(r"\bchapters? \d+", definition), f"{term}: no chapter in {definition!r}"


def test_every_term_is_used_in_a_chapter_unless_it_is_pending():
    terms = link_glossary.load_terms()
    assert PENDING <= set(terms), f"PENDING names no glossary term: {PENDING - set(terms)}"
    used = set()
    for path in CHAPTERS:
        for source in link_glossary.link_text(markdown_cells(path), terms):
            used.update(re.findall(r"\{term\}`[^`]*?<([^<>`]+)>`", source))
    assert not set(terms) - used - PENDING, "defined but used by no chapter"


def test_the_glossary_is_part_of_the_book():
    assert re.search(r"^\s*- file: appendices/glossary\s*$", (ROOT / "_toc.yml").read_text(), re.M)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_linking_the_chapter_changes_nothing(path):
    cells = markdown_cells(path)
    linked = link_glossary.link_text(cells, link_glossary.load_terms())
    changed = [new for old, new in zip(cells, linked, strict=True) if new != old]
    assert not changed, (
        f"run `python tools/link_glossary.py chapters/{path.name}`; first changed cell:\n"
        f"{changed[0][:500]}" if changed else ""
    )


def test_the_files_must_agree_on_the_terms(tmp_path):
    glossary = tmp_path / "glossary.md"
    glossary.write_text("# Glossary\n\n```{glossary}\n:sorted:\n\nloss\n  What falls.\n```\n")
    forms = tmp_path / "forms.yml"
    forms.write_text('loss: ["loss"]\ngradient: ["gradient"]\n')
    with pytest.raises(ValueError, match=r"forms for terms not in the glossary \['gradient'\]"):
        link_glossary.load_terms(glossary, forms)


def test_a_form_may_belong_to_one_term_only():
    with pytest.raises(ValueError, match="'norm' belongs to both"):
        link_glossary.link_text(["text"], {"batch norm": ["norm"], "layer norm": ["norm"]})


# --- the linker on small texts ----------------------------------------------------------------

def test_the_first_use_is_linked_and_later_ones_are_not():
    assert link("The loss falls. The loss is low.", "A loss again.") == [
        "The {term}`loss <loss>` falls. The loss is low.", "A loss again."]


def test_the_matched_text_keeps_its_case_and_its_form():
    assert link("Learning rates and BatchNorm.") == [
        "{term}`Learning rates <learning rate>` and {term}`BatchNorm <batch normalisation>`."]


def test_a_form_split_over_two_lines_becomes_one_role_on_the_second_line():
    assert link("- a small learning\n  rate here") == [
        "- a small\n  {term}`learning rate <learning rate>` here"]
    assert link("a *learning\nrate* here") == ["a *{term}`learning rate <learning rate>`* here"]


def test_whole_words_only():
    assert link("Losses and lossy ReLUs.") == ["Losses and lossy {term}`ReLUs <ReLU>`."]


def test_the_longest_form_at_a_position_wins():
    assert link("A leaky ReLU is not a ReLU.") == [
        "A {term}`leaky ReLU <leaky ReLU>` is not a {term}`ReLU <ReLU>`."]


def test_half_of_a_hyphenated_compound_is_not_a_use():
    assert link("ReLU-like and pre-ReLU units; then ReLU.") == [
        "ReLU-like and pre-ReLU units; then {term}`ReLU <ReLU>`."]


@pytest.mark.parametrize("text", [
    "Inline `loss` code, then the loss.",
    "Math $\\text{loss}$ and\n$$\nloss\n$$\nthen the loss.",
    "Math over two lines $a +\nloss$, then the loss.",
    "A role {glue:text}`loss` and {numref}`loss`, then the loss.",
    "A [loss](https://example.org/loss) link, then the loss.",
    "An <span title=\"loss\">tag</span>, then the loss.",
    "# The loss\n\nthen the loss.",
    "```python\nloss = 1\n```\n\nthen the loss.",
    "~~~\nloss\n~~~\n\nthen the loss.",
    "Code:\n\n    loss = f(x)\n\nthen the loss.",
    "<!-- the loss -->\n\nthen the loss.",
    "```{code-block} python\nloss = 1\n```\n\nthen the loss.",
    "## References\n\n- A paper on the loss.\n\n## Then\n\nthen the loss.",
])
def test_no_link_goes_where_it_cannot_or_should_not(text):
    (linked,) = link(text)
    assert linked.count("{term}`") == 1 and linked.endswith("then the {term}`loss <loss>`.")


def test_a_table_cell_is_prose():
    table = "| fix | effect |\n| --- | --- |\n| BatchNorm | ReLU |"
    assert link(table) == [table.replace("| BatchNorm | ReLU |",
                                         "| {term}`BatchNorm <batch normalisation>` | "
                                         "{term}`ReLU <ReLU>` |")]


def test_a_heading_use_leaves_the_term_to_the_next_linkable_use():
    assert link("## Batch normalisation", "BatchNorm rescales.") == [
        "## Batch normalisation", "{term}`BatchNorm <batch normalisation>` rescales."]


def test_prose_inside_directives_is_linked_but_their_options_are_not():
    figure = "```{glue:figure} fig_loss\n:name: fig-loss\n:alt: The loss.\n\nThe loss.\n```"
    assert link(figure) == [figure.replace("\n\nThe loss.", "\n\nThe {term}`loss <loss>`.")]
    exercise = "```{exercise}\n:label: ex-1\n\nWhy does the loss fall?\n```"
    assert link(exercise) == [exercise.replace("the loss", "the {term}`loss <loss>`")]
    solution = ("```{solution-start} ex-1\n:class: dropdown\n```\n\n"
                "The loss falls.\n\n```{solution-end}\n```")
    assert link(solution) == [solution.replace("The loss", "The {term}`loss <loss>`")]
    note = "```{admonition} The loss\n:class: note\n\nA ReLU.\n```"
    assert link(note) == [note.replace("A ReLU", "A {term}`ReLU <ReLU>`")]


def test_an_existing_term_role_counts_as_the_first_use():
    cells = ["The {term}`losses <loss>` and {term}`ReLU` fall.", "The loss, a ReLU."]
    assert link(*cells) == cells


def test_an_earlier_plain_use_is_still_linked_before_a_later_role():
    assert link("The loss.", "The {term}`loss <loss>`.") == [
        "The {term}`loss <loss>`.", "The {term}`loss <loss>`."]


def test_linking_twice_changes_nothing():
    cells = ["# Title\n\nA leaky ReLU, a ReLU and the learning\nrate.",
             "```{note}\nThe loss of BatchNorm.\n```", "The loss `loss` $loss$ ReLU."]
    once = link(*cells)
    assert once != cells and link(*once) == once
