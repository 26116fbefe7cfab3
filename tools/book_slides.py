"""A slide deck per chapter, written into the HTML book at _build/html/slides/ by the book build.

A Sphinx extension (``_config.yml``: ``sphinx.local_extensions``), so ``jupyter-book build .``
makes the decks with the book and nothing else needs running. A chapter marks what goes on its
slides with the standard cell metadata ``slideshow.slide_type`` (the one Jupyter's slide view
and nbconvert use):

- ``slide``: a new slide with this cell; ``subslide``: a new slide below the last one;
  ``fragment``: appended to the current slide, revealed by the next key press;
- ``notes``: speaker notes of the current slide (press S in the deck);
- a markdown cell shows its text, with glued numbers (``{glue:text}``) formatted from the
  chapter's executed outputs, glued figures (``{glue:figure}``/``{glue}``) as images, and
  MyST roles reduced to their text; exercise and solution blocks are left out;
- a code cell shows its figures and tables, not its code (its tag ``slide-code`` shows the code
  too, for the few cells whose code teaches).

Each deck opens with the chapter's title and learning objectives and uses reveal.js as shipped
inside the sphinx-revealjs wheel and MathJax as the book serves it (sphinx-mathjax-offline),
so the decks work offline from ``file://``. No script comes from outside the book.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

SLIDE_TYPES = ("slide", "subslide", "fragment", "notes")
GLUE_TEXT = re.compile(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`")
GLUE_ROLE = re.compile(r"\{glue\}`([^`]+)`")
ROLE = re.compile(r"\{(?:term|doc|eq)\}`([^`<]*?)(?:\s*<[^`>]*>)?`")
REF = re.compile(r"\{(?:ref|numref)\}`(?:([^`<]*?)\s*<([^`>]*)>|([^`]*))`")
ADMONITION = re.compile(r"^(`{3,}|:{3,})\{admonition\} *([^\n]*)\n(?::[\w-]+:[^\n]*\n)*", re.M)
GLUE_BLOCK = re.compile(r"```\{glue(?::figure)?\}\s*(\S+)\n(.*?)```", re.S)
DIRECTIVE = re.compile(r"(`{3,})\{(exercise|solution|solution-start|solution-end)\}.*?\1", re.S)
OUTER_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(\w[\w-]*)\}[^\n]*\n(?::\w+:[^\n]*\n)*", re.M)


def _math(content: str, info: dict) -> str:
    escaped = html.escape(content)
    return f"\\[{escaped}\\]" if info["display_mode"] else f"\\({escaped}\\)"


MD = MarkdownIt("commonmark", {"html": True}).enable("table").use(dollarmath_plugin,
                                                                   renderer=_math)


def glued(nb: dict) -> dict:
    """Every value the notebook glued: name -> the output's data (mime type -> content)."""
    found = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap:
                prefix = scrap.get("mime_prefix", "")
                found[scrap["name"]] = {k.removeprefix(prefix): v
                                        for k, v in out.get("data", {}).items()}
    return found


def _text(value: dict, spec: str | None) -> str:
    """A glued value as myst-nb's {glue:text} prints it: formatted with ``spec``, integers as
    integers."""
    plain = value.get("text/plain", "")
    plain = ("".join(plain) if isinstance(plain, list) else plain).strip()
    try:
        number = float(plain)
    except ValueError:
        number = None
    if not spec or number is None:
        return plain.strip("'\"")
    if spec[-1] in "dn" or (spec[-1] in ",_" and number.is_integer()):
        number = int(number)
    return format(number, spec)


def _image(data: dict, alt: str = "") -> str:
    alt = html.escape(" ".join(alt.split()) or "a figure of the chapter", quote=True)
    if "image/png" in data:
        png = data["image/png"]
        png = "".join(png) if isinstance(png, list) else png
        return f'<img alt="{alt}" src="data:image/png;base64,{png.strip()}">'
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        svg = "".join(svg) if isinstance(svg, list) else svg
        return (f'<img alt="{alt}" src="data:image/svg+xml;base64,'
                f'{base64.b64encode(svg.encode()).decode()}">')
    if "text/html" in data:
        text = data["text/html"]
        return "".join(text) if isinstance(text, list) else text
    return ""


def _reference(match: re.Match) -> str:
    """A cross-reference as words: its own text, else what the label points at (a deck has
    no numbered figures or exercises to point to)."""
    text, label = match.group(1), match.group(2) or match.group(3)
    if text:
        return text.replace("%s", "").strip()
    return "the figure" if label.startswith("fig") else (
        "the table" if label.startswith("tab") else "the exercise")


def markdown_html(source: str, glue: dict, chapter: str) -> str:
    """A markdown cell as slide HTML: glue resolved, roles reduced, exercises left out."""
    def figure(match: re.Match) -> str:
        name = match.group(1)
        if name not in glue:
            raise KeyError(f"{chapter}: the slides use {{glue}} {name!r}, never glued")
        caption = "\n".join(line for line in match.group(2).splitlines()
                            if not line.startswith(":"))
        alt = re.search(r"^:alt:(.*)$", match.group(2), re.M)
        cap = MD.render(caption.strip()) if caption.strip() else ""
        image = _image(glue[name], alt.group(1) if alt else caption)
        return f'\n<figure>{image}<figcaption>{cap}</figcaption></figure>\n'

    def text(name: str, spec: str | None = None) -> str:
        if name not in glue:
            raise KeyError(f"{chapter}: the slides use {{glue:text}} {name!r}, never glued")
        return html.escape(_text(glue[name], spec))

    source = DIRECTIVE.sub("", source)
    source = GLUE_TEXT.sub(lambda m: text(m.group(1), m.group(2)), source)
    source = GLUE_ROLE.sub(lambda m: text(m.group(1)), source)
    source = ROLE.sub(lambda m: m.group(1).strip(), source)
    source = REF.sub(_reference, source)
    source = GLUE_BLOCK.sub(figure, source)  # after the roles: its caption has them too
    source = ADMONITION.sub(lambda m: f"**{m.group(2).strip()}**\n\n", source)
    # other directives (notes, admonitions): keep their body, drop the fences
    source = OUTER_DIRECTIVE.sub("", source)
    source = re.sub(r"^(`{3,}|:{3,})\s*$", "", source, flags=re.M)
    return MD.render(source)


def code_html(cell: dict) -> str:
    parts = []
    if "slide-code" in cell.get("metadata", {}).get("tags", []):
        parts.append(f'<pre><code class="python">{html.escape("".join(cell["source"]))}'
                     "</code></pre>")
    shows_code = "slide-code" in cell.get("metadata", {}).get("tags", [])
    for out in cell.get("outputs", []):
        if out.get("metadata", {}).get("scrapbook"):
            continue  # glued values show where the text uses them
        if out.get("output_type") == "stream" and shows_code:
            parts.append(f'<pre class="output">{html.escape("".join(out["text"]))}</pre>')
        parts.append(_image(out.get("data", {})))
    return "\n".join(p for p in parts if p)


def _front(nb: dict) -> tuple[str, list[str]]:
    for cell in nb["cells"]:
        if "front-matter" in cell.get("metadata", {}).get("tags", []):
            text = "".join(cell["source"])
            title = re.search(r"^# (.+)$", text, re.M).group(1).strip()
            block = re.search(r"## Learning objectives\n(.*?)\*\*Prerequisites", text, re.S)
            items = re.split(r"\n- ", "\n" + block.group(1).strip())[1:] if block else []
            return title, [" ".join(ROLE.sub(lambda m: m.group(1).strip(), i).split())
                           for i in items]
    raise ValueError("no front-matter cell")


def deck(path: Path, number: int) -> tuple[str, str, int]:
    """(title, deck HTML body, number of slides) of one chapter notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    glue = glued(nb)
    title, objectives = _front(nb)
    items = "".join(f"<li>{MD.renderInline(i)}</li>" for i in objectives)
    slides = [[f"<h1>{number}. {html.escape(title)}</h1>"
               f'<p class="subtitle">Vanishing gradients: an executable course</p>'],
              [f"<h2>After this chapter you can ...</h2><ul class=\"small\">{items}</ul>"]]
    notes: list[list[str]] = [[], []]
    vertical = [False, False]
    section = title  # the heading a slide without one of its own is shown under
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        headings = re.findall(r"^#{2,3} (.+)$", source, re.M) if cell["cell_type"] == \
            "markdown" else []
        if kind not in SLIDE_TYPES:
            section = headings[-1] if headings else section
            continue
        body = (markdown_html(source, glue, path.stem) if cell["cell_type"] == "markdown"
                else code_html(cell))
        if kind in ("slide", "subslide") and not re.match(r"\s*<h[1-3]", body):
            heading = ROLE.sub(lambda m: m.group(1).strip(), section)
            body = f"<h3>{MD.renderInline(heading)}</h3>{body}"
        section = headings[-1] if headings else section
        if kind == "notes":
            notes[-1].append(body)
        elif kind in ("slide", "subslide"):
            slides.append([body])
            notes.append([])
            vertical.append(kind == "subslide")
        else:
            slides[-1].append(f'<div class="fragment">{body}</div>')
    sections = []
    for i, (parts, note) in enumerate(zip(slides, notes, strict=True)):
        aside = f'<aside class="notes">{"".join(note)}</aside>' if note else ""
        section = f"<section>{''.join(parts)}{aside}</section>"
        if i + 1 < len(slides) and vertical[i + 1] and not vertical[i]:
            section = "<section>" + section  # opens a vertical stack
        if vertical[i] and not (i + 1 < len(slides) and vertical[i + 1]):
            section += "</section>"
        sections.append(section)
    return title, "\n".join(sections), len(slides)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} (slides)</title>
<link rel="stylesheet" href="revealjs/dist/reset.css">
<link rel="stylesheet" href="revealjs/dist/reveal.css">
<link rel="stylesheet" href="revealjs/dist/theme/white.css">
<link rel="stylesheet" href="slides.css">
</head>
<body>
<div class="reveal"><div class="slides">
{body}
</div></div>
<script src="revealjs/dist/reveal.js"></script>
<script src="revealjs/plugin/notes/notes.js"></script>
<script>
window.MathJax = {{tex: {{inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]]}},
                  startup: {{typeset: true}}}};
</script>
<script src="../_static/mathjax/tex-chtml.js"></script>
<script>
Reveal.initialize({{hash: true, slideNumber: "c/t", width: 1280, height: 800, margin: 0.04,
                    plugins: [RevealNotes]}});
</script>
</body>
</html>
"""

CSS = """\
.reveal { font-size: 28px; }
.reveal h1 { font-size: 1.8em; } .reveal h2 { font-size: 1.3em; } .reveal h3 { font-size: 1.1em; }
.reveal h1, .reveal h2, .reveal h3 { text-transform: none; }
.reveal section { text-align: left; }
.reveal code { font-size: 0.85em; }
.reveal .slides section { height: 100%; overflow-y: auto; }
.reveal img { max-height: 560px; max-width: 100%; }
.reveal figure { margin: 0; text-align: center; }
.reveal figcaption { font-size: 0.6em; text-align: left; }
.reveal table { font-size: 0.75em; margin: 0.5em 0; }
.reveal .small { font-size: 0.8em; }
.reveal .vgfig-prompts { font-size: 0.55em; }
.reveal pre.output { font-size: 0.6em; box-shadow: none; }
.reveal .subtitle { color: #555; }
"""

INDEX = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slides: Vanishing gradients, an executable course</title>
<style>
body {{ font-family: sans-serif; max-width: 44em; margin: 2em auto; padding: 0 1em; }}
</style>
</head>
<body>
<main>
<h1>Slides</h1>
<p>One deck per chapter, made from the chapter's own figures, formulas and computed numbers.
Arrow keys or space move through a deck; S opens the speaker notes; Esc shows an overview;
append <code>?print-pdf</code> to a deck's address and print to get a PDF.
<a href="../intro.html">Back to the book</a>.</p>
<ol>
{items}
</ol>
</main>
</body>
</html>
"""


def write_decks(srcdir: Path, outdir: Path, chapters: list[str]) -> list[Path]:
    """Write outdir/slides/: one deck per chapter notebook (docnames, in order), an index,
    reveal.js and the stylesheet. Returns the decks written."""
    import sphinx_revealjs

    out = outdir / "slides"
    out.mkdir(parents=True, exist_ok=True)
    revealjs = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    for part in ("dist", "plugin/notes"):
        target = out / "revealjs" / part
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(revealjs / part, target, ignore=shutil.ignore_patterns("*.map",
                                                                                "*.esm.js"))
    shutil.copy(revealjs / "LICENSE", out / "revealjs" / "LICENSE")
    (out / "slides.css").write_text(CSS, encoding="utf-8")
    written, items = [], []
    for number, doc in enumerate(chapters, 1):
        title, body, n = deck(srcdir / f"{doc}.ipynb", number)
        name = Path(doc).name + ".html"
        (out / name).write_text(PAGE.format(title=html.escape(title), body=body),
                                encoding="utf-8")
        items.append(f'<li><a href="{name}">{html.escape(title)}</a> ({n} slides; '
                     f'<a href="../{doc}.html">the chapter</a>)</li>')
        written.append(out / name)
    (out / "index.html").write_text(INDEX.format(items="\n".join(items)), encoding="utf-8")
    return written


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    chapters = [doc for doc in app.env.found_docs
                if re.fullmatch(r"chapters/\d\d_\w+", doc)
                and (Path(app.srcdir) / f"{doc}.ipynb").exists()]
    write_decks(Path(app.srcdir), Path(app.outdir), sorted(chapters))


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # a preview without building the book: python tools/book_slides.py DIR
    import sys

    root = Path(__file__).resolve().parent.parent
    docs = sorted(f"chapters/{p.stem}" for p in (root / "chapters").glob("[0-9][0-9]_*.ipynb"))
    for path in write_decks(root, Path(sys.argv[1]), docs):
        print(path)
