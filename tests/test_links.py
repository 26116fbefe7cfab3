"""Every local link of the built book leads somewhere: the file exists and so does the anchor.

Every HTML page of the build is parsed (html.parser, no browser); every href and src that is not
external (http:, https:, mailto:, javascript:, data:, ...) is resolved relative to its page, the
way a browser does from file://, and must name an existing file (a folder counts if it holds an
index.html) or be one that a tool writes after the build (WRITTEN_AFTER_BUILD); a #fragment
must be the id, or an <a name>, of an element of the target page. The
theme's Jinja macro files that Sphinx copies into _static/ are templates, not pages, and are
left out.
"""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL_SCHEMES = {"http", "https", "mailto", "javascript", "data", "tel", "ftp"}
# Files written into the built site after `jupyter-book build` (the README says how): a link to
# one of them is fine before it exists. tests/test_pdf.py checks that the PDF lands there.
WRITTEN_AFTER_BUILD = {"book.pdf": "tools/make_pdf.py"}
LINK_ATTRIBUTES = {"href", "src"}


class PageParser(HTMLParser):
    """The local links of one page (with their line numbers) and the anchors it defines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.anchors.add(value)
            elif name in LINK_ATTRIBUTES and value.strip():
                self.links.append((self.getpos()[0], value.strip()))

    handle_startendtag = handle_starttag


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser


def pages_of(html_root: Path) -> list[Path]:
    return sorted(p for p in html_root.rglob("*.html")
                  if "_static" not in p.relative_to(html_root).parts)


def written_after_build(target: Path, html_root: Path) -> bool:
    try:
        return target.resolve().relative_to(html_root.resolve()).as_posix() in WRITTEN_AFTER_BUILD
    except ValueError:  # outside the site
        return False


def broken_links(html_root: Path) -> tuple[list[str], int]:
    """Every broken local link under html_root as 'page:line: href (why)', and how many links
    were checked."""
    anchors: dict[Path, set[str]] = {}

    def anchors_of(path: Path) -> set[str]:
        if path not in anchors:
            anchors[path] = parse(path).anchors
        return anchors[path]

    broken, checked = [], 0
    for page in pages_of(html_root):
        parsed = parse(page)
        anchors[page] = parsed.anchors
        for line, href in parsed.links:
            url = urlsplit(href)
            if url.scheme.lower() in EXTERNAL_SCHEMES or (not url.scheme and url.netloc):
                continue
            checked += 1
            where = f"{page.relative_to(html_root)}:{line}: {href}"
            if url.scheme:
                broken.append(f"{where} (a {url.scheme}: link does not work in the published book)")
                continue
            target = (page.parent / unquote(url.path)) if url.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() and not written_after_build(target, html_root):
                broken.append(f"{where} (no file {target})")
                continue
            fragment = unquote(url.fragment)
            if fragment and target.suffix == ".html" and fragment not in anchors_of(target):
                broken.append(f"{where} (no id or name {fragment!r} in {target.name})")
    return broken, checked


def test_every_local_link_and_anchor_of_the_book_exists(built_book):
    assert (built_book.html / "index.html").exists(), built_book.log[-3000:]
    broken, checked = broken_links(built_book.html)
    assert checked > 100, f"only {checked} local links found: is the book empty?"
    assert broken == [], f"{len(broken)} broken local links:\n" + "\n".join(broken)


def test_the_link_check_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<h1 id="top">t</h1><a name="old">o</a>')
    (tmp_path / "page.html").write_text(
        '<a href="sub/">ok</a> <a href="sub/index.html#top">ok</a> <a href="#here" id="here">ok'
        '</a> <a href="sub/index.html#old">ok</a> <img src="pic%20one.png" alt="ok">'
        '<a href="https://example.org/missing">external</a> <a href="mailto:a@b.c">mail</a>'
        '<a href="missing.html">bad</a> <a href="sub/index.html#nowhere">bad</a>'
        '<script src="/abs/script.js"></script> <a href="book.pdf">written later</a>'
        '<a href="sub/book.pdf">bad</a>'
    )
    (tmp_path / "pic one.png").write_bytes(b"")
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "macros.html").write_text('<a href="{{ pathto(x) }}">template</a>')
    broken, checked = broken_links(tmp_path)
    assert checked == 10
    assert [b.split(" (")[0] for b in broken] == [
        "page.html:1: missing.html", "page.html:1: sub/index.html#nowhere",
        "page.html:1: /abs/script.js", "page.html:1: sub/book.pdf",
    ]
