"""The printed book: tools/make_pdf.py prints the built book into _build/html/book.pdf.

In a whole test run the pages are printed by tests/test_browser.py, from the page loads its
checks use (tools/make_pdf.py's print_loaded_page), and bound here with tools/make_pdf.py's bind;
when the browser checks did not run (this module alone), tools/make_pdf.py prints the book
itself. A small book of two pages checks that tool from start to end.

The PDF must have a bookmark and a heading for every page of the book, in the book's order,
and every line of every text output of every notebook (and every cell of every vglib.tables
table) must be in the text of its chapter: a line cut off at the paper's edge, or hidden behind
a scroll bar, fails. Text is compared with
all white space removed, since the printed lines wrap where the paper ends.
"""

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SHOWN = {"remove-output", "remove-cell"}  # myst-nb leaves these outputs out of the page
# rendered instead of text/plain when present
RICHER = ("text/html", "image/png", "image/svg+xml", "image/jpeg", "text/markdown",
          "text/latex")
PDF_TIMEOUT_S = 600
_spec = importlib.util.spec_from_file_location("make_pdf", ROOT / "tools" / "make_pdf.py")
make_pdf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_pdf)
# the footer (page title and number) is printed in the bottom margin
FOOTER_PT = float(make_pdf.MARGINS["bottom"].removesuffix("mm")) * 72 / 25.4


def required_or_skip(reason):
    if os.environ.get("VGLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the PDF is required here, but {reason}")
    pytest.skip(f"PDF tests skipped: {reason}")


def squeeze(text: str) -> str:
    """The text without white space; pdfium reports a hyphen that could end a line as \\x02."""
    return re.sub(r"\s+", "", text.replace("\x02", "-"))


def unnumbered(title: str) -> str:
    """'3. Seeing it happen' -> 'Seeing it happen' (the book numbers its chapters)."""
    return re.sub(r"^\d+\.\s+", "", title)


def shown_text_lines(notebook: Path) -> list[str]:
    """Every non-blank line of every text output the book shows for ``notebook``, outside
    the solutions (folded on the page, left out of the PDF)."""
    lines, in_solution = [], False
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":  # a solution's cells are folded: not on paper
            source = "".join(cell["source"])
            start, end = source.rfind("{solution-start}"), source.rfind("{solution-end}")
            in_solution = start > end if max(start, end) >= 0 else in_solution
            continue
        if (cell["cell_type"] != "code" or in_solution
                or NOT_SHOWN & set(cell["metadata"].get("tags", []))):
            continue
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text = "".join(output["text"])
            elif output["output_type"] in ("execute_result", "display_data"):
                data = output.get("data", {})
                page = "".join(data.get("text/html", ""))
                if 'class="vgtable"' in page:  # a vglib.tables.Table: every cell, one a line
                    text = "\n".join(html.unescape(re.sub(r"<[^>]+>", "", cell))
                                      for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", page))
                elif "scrapbook" in output.get("metadata", {}) or any(k in data for k in RICHER):
                    continue  # a glued value (shown in the prose) or a richer form
                else:
                    text = "".join(data.get("text/plain", ""))
            else:
                continue
            lines += [line for line in text.splitlines() if line.strip()]
    return lines


@pytest.fixture(scope="module")
def pdf(built_book):
    """(path, [(title, text of its pages), ...]) of the printed book."""
    path = built_book.html / make_pdf.PDF_NAME
    pages = make_pdf.book_pages()
    if all(name in built_book.printed for _, name in pages):  # by tests/test_browser.py
        make_pdf.bind([(part, *built_book.printed[name]) for part, name in pages], path)
    else:
        if make_pdf.find_chromium() is None:
            required_or_skip("no chromium found to print the book (apt-get install chromium)")
        result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_pdf.py"),
                                 "--html", str(built_book.html)], capture_output=True,
                                text=True, timeout=PDF_TIMEOUT_S)
        assert result.returncode == 0, \
            f"tools/make_pdf.py failed:\n{(result.stdout + result.stderr)[-3000:]}"
    assert path.exists()
    return path, read_pdf(path)


def read_pdf(path: Path) -> list[tuple[str, str]]:
    """[(bookmark title, text of its pages), ...] of a PDF written by tools/make_pdf.py."""
    import pypdfium2
    from pypdf import PdfReader

    reader = PdfReader(path)
    starts = []

    def walk(items):
        for k, item in enumerate(items):
            if isinstance(item, list):
                walk(item)
            # a part's own bookmark is the one followed by the list of its pages' bookmarks
            elif not (k + 1 < len(items) and isinstance(items[k + 1], list)):
                starts.append((item.title, reader.get_destination_page_number(item)))

    walk(reader.outline)
    document = pypdfium2.PdfDocument(path)
    texts = []
    for page in document:  # the text above the footer (page title and number, in the margin)
        width, height = page.get_size()
        texts.append(page.get_textpage().get_text_bounded(0, FOOTER_PT, width, height))
    ends = [start for _, start in starts[1:]] + [len(texts)]
    return [(title, "\n".join(texts[start:end]))
            for (title, start), end in zip(starts, ends, strict=True)]


def book_titles() -> list[tuple[str, Path]]:
    """(title, source file) of every page, in the book's order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    pages = []
    for name in files:
        source = next(ROOT.glob(f"{name}.*"))
        if source.suffix == ".ipynb":
            first = next(c for c in json.loads(source.read_text())["cells"]
                         if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("#"))
            heading = "".join(first["source"]).splitlines()[0]
        else:
            heading = next(line for line in source.read_text().splitlines()
                           if line.startswith("# "))
        pages.append((heading.lstrip("# ").strip(), source))
    return pages


def test_the_pdf_has_a_bookmark_and_a_heading_for_every_page_in_order(pdf, built_book):
    path, chapters = pdf
    expected = [title for title, _ in book_titles()]
    assert [unnumbered(t) for t, _ in chapters] == expected
    for title, text in chapters:
        # the printed heading is the page's title (the bookmark adds the chapter's number)
        assert squeeze(unnumbered(title)) in squeeze(text), f"{title!r} is not on its pages"
    # the front page links to the file that was written
    front = (built_book.html / "intro.html").read_text()
    assert 'href="book.pdf"' in front
    assert path == built_book.html / "book.pdf" and path.stat().st_size > 1_000_000


@pytest.mark.parametrize("source", [s for _, s in book_titles() if s.suffix == ".ipynb"],
                         ids=lambda s: s.stem)
def test_every_line_of_every_text_output_is_printed(pdf, source):
    _, chapters = pdf
    titles = dict((s, t) for t, s in book_titles())
    text = squeeze(dict((unnumbered(t), text) for t, text in chapters)[titles[source]])
    lines = shown_text_lines(source)
    assert lines, f"{source.name} shows no text output"
    missing = [line for line in lines if squeeze(line) not in text]
    assert missing == [], (f"{len(missing)} of {len(lines)} output lines of {source.name} are "
                           "not in the PDF:\n" + "\n".join(missing[:10]))


def test_make_pdf_prints_a_small_book_into_one_pdf_with_a_bookmark_per_page(tmp_path):
    if make_pdf.find_chromium() is None:
        required_or_skip("no chromium found to print the book (apt-get install chromium)")
    for name, title in (("front", "Front page"), ("part/chapter", "A chapter")):
        page = tmp_path / f"{name}.html"
        page.parent.mkdir(exist_ok=True)
        page.write_text(f"<!doctype html><html lang='en'><head><title>{title} \u2014 A book"
                        f"</title></head><body><h1>{title}</h1><p>The text of {name}.</p>"
                        "</body></html>", encoding="utf-8")
    out, count = make_pdf.make_pdf(tmp_path, pages=[("", "front"), ("Part one", "part/chapter")])
    assert out == tmp_path / make_pdf.PDF_NAME and count == 2
    from pypdf import PdfReader

    outline = PdfReader(out).outline
    assert [item.title for item in outline[:2]] == ["Front page", "Part one"]
    assert [item.title for item in outline[2]] == ["A chapter"]  # inside its part
    assert [(title, squeeze(text)) for title, text in read_pdf(out)] == [
        ("Front page", "FrontpageThetextoffront."),
        ("A chapter", "AchapterThetextofpart/chapter."),
    ]
