"""Link the first use of every glossary term in each chapter to its glossary entry.

    python tools/link_glossary.py                      # every chapters/NN_*.ipynb
    python tools/link_glossary.py chapters/04_activation_functions.ipynb

The terms are those of appendices/glossary.md; the words that count as a use of a term (its
surface forms) are listed in appendices/glossary_forms.yml. In each chapter the earliest use of
a term, in the reading order of the markdown cells, becomes {term}`matched text <Term>`, with the
matched text kept as written. A use is only linked where a link can go: never in code (fenced,
indented or inline), math, an existing role, a link, an HTML tag, a heading, a directive's
options, a table's separator line or a References section (paper titles stay as published);
prose inside directives such as exercise, solution, note, admonition and glue:figure captions
is linked. A term whose first use sits in such a place is linked at its first linkable use. An
existing {term} role counts as a use, so a second run changes nothing. Only the sources of
markdown cells are rewritten; code cells, outputs and metadata are left as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "appendices" / "glossary.md"
FORMS = ROOT / "appendices" / "glossary_forms.yml"

# Directives whose body is prose that MyST renders as text, so terms in it may be linked. The
# body of any other directive (code-block, math, glossary, ...) is left alone.
PROSE_DIRECTIVES = frozenset({
    "admonition", "attention", "caution", "danger", "dropdown", "epigraph", "error", "exercise",
    "figure", "glue:figure", "hint", "important", "margin", "note", "seealso", "sidebar",
    "solution", "solution-end", "solution-start", "tip", "topic", "warning",
})

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_NAME = re.compile(r"^\{(?P<name>[\w:.-]+)\}")
OPTION = re.compile(r"^\s*:[\w-]+:(\s|$)")
HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})(\s|$)")
REFERENCES = re.compile(r"^ {0,3}#{1,6}\s+references\s*$", re.IGNORECASE)
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")
TARGET = re.compile(r"^\s*\([^)\s]+\)=\s*$")  # a MyST label line, (name)=
COMMENT = re.compile(r"^\s*%")  # a MyST comment line
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])(\s+|$)")

# Inline constructs that must never contain a link. Tried left to right, the earliest wins, so a
# dollar sign inside inline code does not start math, and a role's backticks are not code.
INLINE_SKIP = re.compile(
    r"""
      (?P<role>\{(?P<role_name>[\w:.+-]+)\}(?P<rticks>`+)(?P<role_body>[\s\S]*?)(?<!`)(?P=rticks)(?!`))
    | (?P<cticks>`+)[\s\S]*?(?<!`)(?P=cticks)(?!`)          # inline code
    | \$\$[\s\S]*?\$\$                                      # display math
    | (?<![\\$])\$(?![\s$])(?:\\.|[^$\\])*?(?<![\s\\])\$      # inline math
    | \\begin\{(?P<env>[\w*]+)\}[\s\S]*?\\end\{(?P=env)\}    # amsmath environment
    | !?\[(?:\\.|[^\]\\])*\](?:\([^)]*\)|\[[^\]]*\])        # link or image, text and target
    | <!--[\s\S]*?-->                                       # HTML comment
    | </?[A-Za-z][^<>\n]*>                                  # HTML tag or autolink
    | https?://\S+                                          # bare URL
    | \{\{[\s\S]*?\}\}                                      # substitution
    """,
    re.VERBOSE,
)
ROLE_TARGET = re.compile(r"^(?:[\s\S]*?<(?P<target>[^<>]+)>|(?P<plain>[\s\S]+))$")

BLANKED = "\x00"  # stands in for every character where no link may go


def read_glossary_terms(path: Path = GLOSSARY) -> list[str]:
    """The terms of the glossary directive in ``path``, in file order."""
    terms: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not inside:
            inside = line.startswith("```{glossary}")
            continue
        if line.startswith("```"):
            break
        if line.strip() and not line[0].isspace() and not OPTION.match(line):
            terms.append(line.strip())
    if not terms:
        raise ValueError(f"{path} has no terms in a ```{{glossary}} directive")
    return terms


def read_forms(path: Path = FORMS) -> dict[str, list[str]]:
    """The surface forms of every term, as listed in ``path`` (term -> list of forms)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must map each term to a list of forms; got {type(data).__name__}")
    forms: dict[str, list[str]] = {}
    for term, values in data.items():
        if not isinstance(values, list) or not values or not all(
            isinstance(value, str) and value.strip() for value in values
        ):
            raise ValueError(
                f"{path}: term {term!r} needs a non-empty list of forms; got {values!r}"
            )
        forms[str(term)] = values
    return forms


def load_terms(glossary: Path = GLOSSARY, forms: Path = FORMS) -> dict[str, list[str]]:
    """Every glossary term with its surface forms; the two files must list the same terms."""
    terms = read_glossary_terms(glossary)
    surface = read_forms(forms)
    missing, extra = set(terms) - set(surface), set(surface) - set(terms)
    if missing or extra:
        raise ValueError(
            f"{glossary.name} and {forms.name} disagree: no forms for {sorted(missing)}, "
            f"forms for terms not in the glossary {sorted(extra)}"
        )
    return {term: surface[term] for term in terms}


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _form_pattern(terms: Mapping[str, Sequence[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for every form (longest first) and the map from a form to its term."""
    owner: dict[str, str] = {}
    for term, forms in terms.items():
        for form in forms:
            key = _normalise(form)
            if owner.get(key, term) != term:
                raise ValueError(f"form {form!r} belongs to both {owner[key]!r} and {term!r}")
            owner[key] = term
    alternatives = sorted(owner, key=len, reverse=True)
    words = "|".join(r"\s+".join(re.escape(word) for word in form.split()) for form in alternatives)
    # whole words only, and never one half of a hyphenated compound such as "ReLU-like"
    pattern = re.compile(rf"(?<!\w)(?<!\w-)(?:{words})(?!\w)(?!-\w)", re.IGNORECASE)
    return pattern, owner


def _blocked_lines(lines: list[str]) -> list[bool]:
    """For each line of a markdown cell: True if no link may go anywhere on it."""
    blocked = [False] * len(lines)
    fences: list[tuple[str, int, bool]] = []  # (fence character, length, body is prose)
    in_options = in_yaml_options = in_indented_code = False
    after_blank, list_indent = True, 0
    references_level = 0  # inside a "References" section: paper titles are not prose to link
    for index, line in enumerate(lines):
        heading = None if fences else HEADING.match(line)
        if heading and references_level and len(heading["level"]) <= references_level:
            references_level = 0
        if heading and REFERENCES.match(line):
            references_level = len(heading["level"])
        if references_level:
            blocked[index] = True
            continue
        fence = FENCE.match(line)
        closing = [
            level for level, (char, length, _) in enumerate(fences)
            if fence and fence["fence"][0] == char and len(fence["fence"]) >= length
            and not fence["info"].strip()
        ]
        if closing:
            del fences[closing[0]:]
            blocked[index] = True
            in_options = in_yaml_options = in_indented_code = False
            after_blank, list_indent = True, 0
            continue
        if fences and not fences[-1][2]:  # inside a code block
            blocked[index] = True
            continue
        if in_yaml_options:
            blocked[index] = True
            in_yaml_options = line.strip() != "---"
            continue
        if in_options:
            if OPTION.match(line):
                blocked[index] = True
                continue
            if line.strip() == "---" and lines[index - 1].lstrip().startswith(fences[-1][0] * 3):
                blocked[index] = in_yaml_options = True
                in_options = False
                continue
            in_options = False
        if fence:
            directive = DIRECTIVE_NAME.match(fence["info"].strip())
            prose = bool(directive) and directive["name"] in PROSE_DIRECTIVES
            fences.append((fence["fence"][0], len(fence["fence"]), prose))
            blocked[index] = True
            in_options, in_indented_code = prose, False
            after_blank, list_indent = True, 0
            continue
        if not line.strip():
            after_blank = True
            continue
        indent = len(line) - len(line.lstrip(" "))
        if (in_indented_code or after_blank) and indent >= list_indent + 4:
            blocked[index] = in_indented_code = True
            after_blank = False
            continue
        in_indented_code = False
        item = LIST_ITEM.match(line)
        if item:
            list_indent = len(item.group(0)) if item.group(3) else indent + 2
        elif after_blank and indent < list_indent:
            list_indent = 0
        after_blank = False
        blocked[index] = bool(
            HEADING.match(line) or TABLE_SEPARATOR.match(line) or TARGET.match(line)
            or COMMENT.match(line)
        )
    return blocked


def _scan(text: str, terms: Mapping[str, str], pattern: re.Pattern[str]):
    """Uses of terms in one cell, in order: (start, end, term or None, is an existing role).

    ``terms`` maps a normalised term name to the term, to recognise existing {term} roles; a
    plain use has None as its term.
    """
    lines = text.split("\n")
    blocked = _blocked_lines(lines)
    visible = list("\n".join(
        BLANKED * len(line) if is_blocked else line
        for line, is_blocked in zip(lines, blocked, strict=True)
    ))
    uses = []
    # Inline constructs never cross a paragraph, so look for them one paragraph at a time.
    offset = 0
    for paragraph in re.split(r"(\n\s*\n)", "".join(visible)):
        for part in re.split(f"({BLANKED}+)", paragraph):
            if not part.startswith(BLANKED):
                for skip in INLINE_SKIP.finditer(part):
                    start, end = offset + skip.start(), offset + skip.end()
                    visible[start:end] = BLANKED * (end - start)
                    if skip["role"] and skip["role_name"] == "term":
                        target = ROLE_TARGET.match(skip["role_body"])
                        name = _normalise(target["target"] or target["plain"])
                        if name in terms:
                            uses.append((start, end, terms[name], True))
            offset += len(part)
    for match in pattern.finditer("".join(visible)):
        uses.append((match.start(), match.end(), None, False))
    return sorted(uses, key=lambda use: use[0])


def _role(text: str, start: int, end: int, term: str) -> tuple[int, int, str]:
    """The edit that turns ``text[start:end]`` into a term role: (start, end, replacement).

    A role must not contain a line break. When a form runs over two lines ("learning\nrate"),
    the break moves to just before the role if a space precedes it there, so that neither line
    grows by a whole line; otherwise the two lines are joined.
    """
    matched = text[start:end]
    role = f"{{term}}`{' '.join(matched.split())} <{term}>`"
    if "\n" not in matched:
        return start, end, role
    before = text[:start].rstrip(" \t")
    if len(before) < start and before and not before.endswith("\n"):
        indent = re.search(r"\n([ \t]*)", matched).group(1)
        return len(before), end, f"\n{indent}{role}"
    return start, end, role


def link_text(cells: Sequence[str], terms: Mapping[str, Sequence[str]]) -> list[str]:
    """Link the first use of every term in a chapter's markdown cells, given in reading order.

    ``terms`` maps each glossary term to its surface forms. Returns the new cell sources.
    """
    pattern, owner = _form_pattern(terms)
    by_name = {_normalise(term): term for term in terms}
    linked: set[str] = set()
    result = []
    for text in cells:
        edits = []
        for start, end, term, is_role in _scan(text, by_name, pattern):
            term = term or owner[_normalise(text[start:end])]
            if term in linked:
                continue
            linked.add(term)
            if not is_role:
                edits.append(_role(text, start, end, term))
        for start, end, replacement in reversed(edits):
            text = text[:start] + replacement + text[end:]
        result.append(text)
    return result


def link_notebook(path: Path, terms: Mapping[str, Sequence[str]]) -> int:
    """Link the first uses in one notebook in place; return the number of links added."""
    nb = nbformat.read(path, as_version=4)
    cells = [cell for cell in nb.cells if cell.cell_type == "markdown"]
    sources = link_text([cell.source for cell in cells], terms)
    added = 0
    for cell, source in zip(cells, sources, strict=True):
        added += source.count("{term}`") - cell.source.count("{term}`")
        cell.source = source
    if added:  # the linker only ever adds roles, so no new role means no change
        nbformat.write(nb, path)
    return added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every chapters/NN_*.ipynb"
    )
    args = parser.parse_args(argv)
    terms = load_terms()
    paths = args.notebooks or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {link_notebook(path, terms)} links added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
