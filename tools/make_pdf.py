"""Print the built book to one PDF, offline: chromium prints every page, pypdf binds them.

    jupyter-book build .                 # first the HTML book, into _build/html
    python tools/make_pdf.py             # then _build/html/book.pdf (linked from the front page)

Each page of the book (front page, chapters, appendices, in the order of _toc.yml) is opened
from file:// in the system chromium (playwright drives it; nothing is downloaded), its formulas
rendered by the bundled MathJax, and printed with the print style sheet: no sidebars, code and
text outputs wrapped at the paper's edge, tables whole, kernel-free figures in their default
state; what the page folds away is left out (solutions, hidden code; the exercises and every
output stay). The pages are then bound into one PDF with
an outline (a bookmark per page, parts as in the book's table of contents).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HTML = ROOT / "_build" / "html"
PDF_NAME = "book.pdf"  # at the root of the built site; the front page links to it
BOOK_TITLE = "Vanishing Gradients: an executable course"
# the screen font shrunk to a book's size on A4 (a line of code holds about 90 characters)
PRINT_SCALE = 0.8
# the footer (page title and number) sits in the bottom margin; tests/test_pdf.py reads the text
# above it
MARGINS = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}

# Wait for MathJax (bundled in _static/) to typeset. Solutions and hidden code stay folded on
# paper (_config.yml: togglebutton_open_on_print: false; _static/reading.css leaves them out).
READY = """
async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  return document.title;
}
"""
FOOTER = ('<div style="font-size:8px;width:100%;padding:0 12mm;color:#555;'
          'display:flex;justify-content:space-between"><span class="title"></span>'
          '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span>'
          '</div>')


def book_pages() -> list[tuple[str, str]]:
    """(part caption or "", page path without suffix) for every page, in the book's order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [("", toc["root"])]
    for part in toc.get("parts", []):
        pages += [(part.get("caption", ""), entry["file"]) for entry in part["chapters"]]
    return pages


def find_chromium() -> str | None:
    """$CHROMIUM, else Debian's chromium."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def print_loaded_page(page) -> tuple[str, bytes]:
    """(title, PDF bytes) of the book's page loaded in ``page`` (a playwright Page), once its
    formulas are typeset; the page is back in screen mode afterwards."""
    title = page.evaluate(READY).split(" \u2014 ")[0].strip()
    page.emulate_media(media="print")
    try:
        pdf = page.pdf(format="A4", scale=PRINT_SCALE, print_background=True,
                       display_header_footer=True, header_template="<span></span>",
                       footer_template=FOOTER, margin=MARGINS)
    finally:
        page.emulate_media(media="screen")
    return title, pdf


def print_pages(browser, html: Path, pages) -> list[tuple[str, str, bytes]]:
    """(part, title, PDF bytes) for each page, printed by ``browser`` (a playwright Browser)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # nothing leaves the machine: the book is self-contained
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("file:", "data:", "blob:")) else route.abort())
    page = context.new_page()
    printed = []
    try:
        for part, name in pages:
            path = html / f"{name}.html"
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing: build the book first "
                                        "(jupyter-book build .)")
            page.goto(path.as_uri(), wait_until="load")
            printed.append((part, *print_loaded_page(page)))
    finally:
        context.close()
    return printed


def bind(printed, out: Path) -> int:
    """Concatenate the printed pages into ``out`` with an outline; return the page count."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    parts: dict[str, object] = {}
    for part, title, pdf in printed:
        start = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(pdf)), import_outline=False)
        parent = None
        if part:
            if part not in parts:
                parts[part] = writer.add_outline_item(title=part, page_number=start)
            parent = parts[part]
        writer.add_outline_item(title=title, page_number=start, parent=parent)
    writer.add_metadata({"/Title": BOOK_TITLE})
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        writer.write(f)
    return len(writer.pages)


def make_pdf(html: Path = DEFAULT_HTML, out: Path | None = None, pages=None
             ) -> tuple[Path, int]:
    """Print the built book under ``html`` into ``out`` (default: ``html / "book.pdf"``) with
    the system chromium; return the PDF's path and its number of pages. ``pages``: (part,
    page) pairs in the order to print, by default ``book_pages()``."""
    out = out or html / PDF_NAME
    executable = find_chromium()
    if executable is None:
        raise SystemExit("no chromium found: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            count = bind(print_pages(browser, html, pages or book_pages()), out)
        finally:
            browser.close()
    return out, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=DEFAULT_HTML,
                        help="the built HTML book (default: _build/html)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"the PDF to write (default: <html>/{PDF_NAME})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    out, pages = make_pdf(args.html, args.out)
    print(f"{out}: {pages} pages, {out.stat().st_size / 1e6:.1f} MB, "
          f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
