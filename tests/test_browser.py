"""The built book in a real browser (Debian's chromium, driven by playwright), from file://.

For the front page, every chapter and every appendix: no console errors (but the one the theme
always logs), no request that leaves the machine, every formula rendered by the bundled MathJax,
and no serious or critical accessibility violation found by axe-core, in light mode and, for the
rules that weigh colours, in dark mode (switched with the theme's own button; see audit),
with every folded code cell and solution unfolded (its two colour rules on one element of
every look: see SAMPLED_RULES); every image has alt text and
every kernel-free figure an accessible name. Each page shows the kernel-free figures its
notebook made (every chapter has one), and each is redrawn within 16 ms when any of its
controls moves. On every page nothing is wider than its box at the 1280 x 900 viewport, and at
a phone's 390 x 844 the page never scrolls sideways, text outputs wrap and figures fit; every
kernel-free figure works by touch in a mobile context. The measured control timings go to
_build/screenshots/timings.json and axe's findings by page, mode and impact to
accessibility.json beside it; with ``pytest --screenshots``, full-page light and dark
screenshots of every page (JPEG, and phone ones of chapters 3 and 9) go there too, for review.

Each page is loaded once: the fixture ``visit`` is parametrized over the pages at module scope,
so pytest runs every check of one page on the same load, in the order they are written here
(the accessibility check switches to dark mode and back; the last check unfolds everything and
narrows the viewport to a phone's). The fixture also prints the page for the book's PDF
(tests/test_pdf.py), before any check changes it.

axe-core comes from the pip package axe-playwright-python (requirements.txt), which ships
axe.min.js; it is injected from there into each page, and nothing is fetched from a CDN.

Without chromium or axe-core these tests skip with the reason shown; with VGLIB_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser or axe-core is a failure instead.
"""

import importlib.util
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_pdf  # noqa: E402  (finds chromium, prints a page)

sys.path.pop(0)
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
APPENDICES = sorted([*(ROOT / "appendices").glob("*.ipynb"), *(ROOT / "appendices").glob("*.md")])
CHAPTER_PAGES = [f"chapters/{p.stem}" for p in CHAPTERS]
PAGES = ["index", *CHAPTER_PAGES, "lab", *(f"appendices/{p.stem}" for p in APPENDICES)]
# Jupyter Book's index.html only forwards to the book's root page (<meta http-equiv="Refresh">),
# so checking "index" checks the root page; other built pages are Sphinx's index and search.
ROOT_PAGE = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
NOT_CHECKED = {ROOT_PAGE, "genindex", "search"}
SCREENSHOTS = ROOT / "_build" / "screenshots"
AXE_PACKAGE = "axe-playwright-python"  # the pip package that ships axe-core's axe.min.js
# Jupyter Book 1's theme declares this constant twice on every page; harmless, and the only
# console error allowed.
KNOWN_THEME_ERROR = "Identifier 'THEBE_JS_URL' has already been declared"
SLIDER_BUDGET_MS = 16.0
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def required_or_skip(reason):
    if os.environ.get("VGLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here, but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def axe_path() -> Path | None:
    """axe.min.js inside the installed axe-playwright-python package, if it is there."""
    spec = importlib.util.find_spec(AXE_PACKAGE.replace("-", "_"))
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "axe.min.js").exists():
            return Path(folder) / "axe.min.js"
    return None


@pytest.fixture(scope="module")
def browser():
    executable = make_pdf.find_chromium()  # $CHROMIUM, else Debian's chromium
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        required_or_skip("no chromium found (apt-get install chromium)" if executable is None
                         else "playwright is not installed (pip install -r requirements.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe_script():
    path = axe_path()
    if path is None:
        required_or_skip(f"axe-core is not installed (pip install {AXE_PACKAGE}, "
                         "as requirements.txt says)")
    return path


def offline_page(browser):
    """A fresh page that records its console errors and aborts (and records) every request
    that would leave the machine: (context, page, external requests, errors)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    external, errors = [], []

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, external, errors


class Visit:
    """One page load with every request and console message recorded."""

    def __init__(self, browser, built_book, name):
        self.name = name
        self.context = browser.new_context(viewport=DESKTOP)
        self.page = self.context.new_page()
        self.external, self.errors = [], []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        url = (built_book.html / f"{name}.html").as_uri()
        self.page.goto(url, wait_until="load")
        if url.endswith("/index.html"):
            self.page.wait_for_url(f"**/{ROOT_PAGE}.html", wait_until="load")
        self.page.wait_for_function(
            "() => !window.MathJax || !window.MathJax.startup || "
            "window.MathJax.startup.promise.then(() => true)", timeout=20_000,
        )
        self.page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if KNOWN_THEME_ERROR not in e]

    def close(self):
        self.context.close()


@pytest.fixture(scope="module", params=PAGES)
def visit(request, browser, built_book):
    """The page loaded once, for every check below (pytest runs a page's checks together); it
    is also printed, as it first shows, for the book's PDF (tests/test_pdf.py)."""
    visit = Visit(browser, built_book, request.param)
    built_book.printed[ROOT_PAGE if visit.name == "index" else visit.name] = \
        make_pdf.print_loaded_page(visit.page)
    yield visit
    visit.close()


def screenshot(config, page, name, mode):
    """A full-page screenshot for review, with ``pytest --screenshots`` only."""
    if not config.getoption("--screenshots"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name.replace('/', '_')}-{mode}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=75)


def update_report(filename, name, entry):
    """Set ``name``'s entry in the JSON report ``filename`` beside the screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report = SCREENSHOTS / filename
    data = json.loads(report.read_text()) if report.exists() else {}
    data[name] = entry
    report.write_text(json.dumps(data, indent=2))


def test_page_loads_offline_without_errors_and_with_formulas(visit, request):
    page = visit.page
    assert visit.external == [], f"requests that leave the machine: {visit.external}"
    assert visit.unexpected_errors() == [], f"console errors: {visit.unexpected_errors()}"
    unrendered = page.evaluate(
        "Array.from(document.querySelectorAll('.math'))"
        ".filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60))"
    )
    assert unrendered == [], f"formulas MathJax did not render: {unrendered[:5]}"
    if visit.name in CHAPTER_PAGES:
        assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    screenshot(request.config, page, visit.name, "light")


def test_every_page_of_the_book_is_checked_in_the_browser(built_book):
    built = {p.relative_to(built_book.html).with_suffix("").as_posix()
             for p in built_book.html.glob("**/*.html")
             if "_static" not in p.parts and "slides" not in p.parts}  # decks: their own test
    assert built - NOT_CHECKED == set(PAGES), "PAGES is not the list of the book's pages"


MOVE_EVERY_CONTROL = """
(figure) => {
  const root = document.getElementById(figure);
  const snapshot = () => Array.from(root.querySelectorAll('polyline'))
      .map(p => p.getAttribute('points')).join(';') + '|' +
      root.querySelector('.vgfig-caption').textContent;
  const results = [];
  for (const control of root.querySelectorAll('input[type=range], select')) {
    const count = control.tagName === 'SELECT' ? control.options.length : Number(control.max) + 1;
    const start = control.value;
    const times = [];
    let changed = 0;
    for (let k = 0; k < count; k++) {
      if (String(k) === start) continue;
      const before = snapshot();
      control.value = String(k);
      // the response time of a position is the fastest of three renders of it, so a garbage
      // collection or another process on the machine does not count as the figure's time
      let fastest = Infinity;
      for (let repeat = 0; repeat < 3; repeat++) {
        const t0 = performance.now();
        control.dispatchEvent(new Event('input', {bubbles: true}));
        fastest = Math.min(fastest, performance.now() - t0);
      }
      times.push(fastest);
      if (snapshot() !== before) changed++;
    }
    control.value = start;
    control.dispatchEvent(new Event('input', {bubbles: true}));
    times.sort((a, b) => a - b);
    results.push({control: control.id, moves: times.length, changed: changed,
                  median_ms: times[Math.floor(times.length / 2)], max_ms: times[times.length - 1]});
  }
  return results;
}
"""
COLLECT_FIGURES = """
() => Array.from(document.querySelectorAll('.vgfig')).map(f => {
  const copy = f.cloneNode(true);
  copy.removeAttribute('data-ready');  // drawn once already; the copy draws itself again
  return copy.outerHTML;
})
"""
# every page's kernel-free figures (outerHTML), for the phone test at the end of this module
_FIGURES: dict[str, list[str]] = {}
FIGURE_ID = re.compile(r'<div class="vgfig"[^>]*\bid="([^"]+)"')


def figures_made_by_the_source(name) -> list[str]:
    """The ids of the kernel-free figures the page's source shows: a notebook's stored outputs
    (outside cells whose output the book removes), or a markdown page's own HTML."""
    source = next(ROOT.glob(f"{ROOT_PAGE if name == 'index' else name}.*"))
    if source.suffix != ".ipynb":
        return FIGURE_ID.findall(source.read_text())
    ids = []
    for cell in json.loads(source.read_text())["cells"]:
        if cell["cell_type"] != "code" or {"remove-output", "remove-cell"} & set(
                cell["metadata"].get("tags", [])):
            continue
        for output in cell.get("outputs", []):
            ids += FIGURE_ID.findall("".join(output.get("data", {}).get("text/html", "")))
    return ids


def test_every_kernel_free_figure_is_shown_and_follows_every_control_within_a_frame(visit):
    """The page shows the figures its source made (every chapter has at least one), and each
    redraws within a frame whenever any of its controls moves."""
    page = visit.page
    _FIGURES[visit.name] = page.evaluate(COLLECT_FIGURES)
    figures = page.evaluate("Array.from(document.querySelectorAll('.vgfig')).map(f => f.id)")
    assert figures == figures_made_by_the_source(visit.name)
    if visit.name in CHAPTER_PAGES:
        assert figures, "the chapter has no kernel-free figure"
    timings = {}
    for figure in figures:
        assert page.evaluate(
            f"document.querySelectorAll('#{figure} polyline').length"
        ) > 0, f"{figure} drew nothing"
        for result in page.evaluate(MOVE_EVERY_CONTROL, figure):
            control = result["control"]
            assert result["moves"] > 0
            assert result["changed"] == result["moves"], f"{control}: a move changed nothing"
            assert result["max_ms"] <= SLIDER_BUDGET_MS, f"{control}: {result['max_ms']:.1f} ms"
            timings[control] = {k: result[k] for k in ("moves", "median_ms", "max_ms")}
    assert visit.unexpected_errors() == [] and visit.external == []
    if figures:
        update_report("timings.json", visit.name, timings)


# Folded content is checked too: myst-nb's hidden code cells are <details>, sphinx-exercise's
# solutions are sphinx-togglebutton dropdowns, which fade in (axe must not see them half-faded).
UNFOLD_EVERYTHING = """
async () => {
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  document.querySelectorAll('button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
  await Promise.all(document.getAnimations()
      .filter(a => a.effect.getComputedTiming().endTime !== Infinity).map(a => a.finished));
}
"""
# The two rules that weigh colours are the slow ones on a chapter (over 12,000 elements, most of
# them the coloured tokens of code cells and MathJax's formulas), and both judge an element by how
# it looks, so each looks at one element of every look instead of all of them:
# - color-contrast weighs the text colour of every element that holds text against the
#   backgrounds behind it. Elements whose text has the same colour, size, weight and shadow, in
#   front of the same backgrounds (the background colours and images of every ancestor up to the
#   first opaque one), under the same opacities and positioned ancestors, and equally visible
#   (hidden, clipped by a scrolling box, or whole) have the same contrast: one look.
# - link-in-text-block asks whether a link inside a paragraph can be told from the text around
#   it (by underline, border, weight or style, else by a 3:1 contrast of the two colours): links
#   that look alike as text and that have the same own styles, inside a block (axe's own
#   isInTextBlock) whose text looks the same, get the same answer.
# The element looked at is marked (data-vg-look, data-vg-link), which axe is configured to look
# for. Where axe cannot tell an element's background (another element, such as a code cell's
# copy button, covers part of it), it looks again at the next 16 elements of the same look.
# Every other rule looks at the whole page.
SAMPLED_RULES = {"color-contrast": "data-vg-look", "link-in-text-block": "data-vg-link"}
ONE_ELEMENT_OF_EACH_LOOK = """
() => axe.configure({rules: [
  {id: 'color-contrast', selector: '[data-vg-look]'},
  {id: 'link-in-text-block', selector: 'a[href][data-vg-link], [role=link][data-vg-link]'},
]})
"""
GROUP_BY_LOOK = """
() => {
  const opaque = (colour) => /^rgb\\(/.test(colour) || /, 1\\)$/.test(colour);
  // what an element adds to the look of the text inside it, read once per element
  const layers = new Map();
  const layerOf = (e) => {
    if (!layers.has(e)) {
      const s = getComputedStyle(e);
      const painted = s.backgroundImage !== 'none' || s.backgroundColor !== 'rgba(0, 0, 0, 0)';
      layers.set(e, {
        background: painted ? s.backgroundColor + ' ' + s.backgroundImage : null,
        opaque: opaque(s.backgroundColor) && s.backgroundImage === 'none',
        effect: s.opacity !== '1' || s.filter !== 'none' || s.mixBlendMode !== 'normal'
          ? `${s.opacity} ${s.filter} ${s.mixBlendMode}` : null,
        position: s.position !== 'static' && s.position !== 'relative' ? s.position : null,
        frame: s.overflowX !== 'visible' || s.overflowY !== 'visible'
          ? e.getBoundingClientRect() : null,
      });
    }
    return layers.get(e);
  };
  const keys = new Map();  // element -> its look as text
  const lookOf = (element) => {
    if (keys.has(element)) return keys.get(element);
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    const look = [style.color, style.fontSize, style.fontWeight, style.textShadow,
                  style.visibility, box.width > 0 && box.height > 0 ? 'shown' : 'not shown'];
    let behind = true;
    for (let e = element; e; e = e.parentElement) {
      const layer = layerOf(e);
      if (behind && layer.background !== null) {
        look.push(layer.background);
        behind = !layer.opaque;
      }
      if (layer.effect !== null) look.push(layer.effect);
      if (layer.position !== null) look.push(layer.position);
      if (e !== element && layer.frame !== null) {
        const frame = layer.frame;
        const whole = box.left >= frame.left && box.right <= frame.right &&
                      box.top >= frame.top && box.bottom <= frame.bottom;
        look.push(whole ? 'inside' : 'clipped');
      }
    }
    keys.set(element, look.join(';'));
    return keys.get(element);
  };
  const group = (elements, keyOf) => {
    const looks = new Map();
    for (const element of elements) {
      const key = keyOf(element);
      if (!looks.has(key)) looks.set(key, []);
      looks.get(key).push(element);
    }
    return Array.from(looks.values());
  };
  // text inside an SVG picture is left out: axe cannot weigh it (it answers "incomplete", imgNode)
  const text = group(Array.from(document.body.querySelectorAll('*')).filter(
      element => !element.closest('svg') && Array.from(element.childNodes)
          .some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim())), lookOf);
  axe.setup(document);
  try {
    const links = group(document.body.querySelectorAll('a[href], [role=link]'), (link) => {
      const s = getComputedStyle(link);
      let block = link.parentElement;
      while (block && getComputedStyle(block).display.startsWith('inline')) {
        block = block.parentElement;
      }
      return [lookOf(link), s.textDecoration, s.borderBottom, s.fontStyle, s.display,
              axe.commons.dom.isInTextBlock(link), block ? lookOf(block) : ''].join('|');
    });
    return {'data-vg-look': text, 'data-vg-link': links};
  } finally {
    axe.teardown();
  }
}
"""
# the reasons axe gives for a colour it could not weigh because another element covers the one
# looked at, or it lies outside the screen
COVERED = ["bgOverlap", "elmPartiallyObscured", "elmPartiallyObscuring", "outsideViewport"]
# preload: false, else axe fetches every stylesheet again, which chromium refuses from file://
# (a console error per sheet); only css-orientation-lock needs them, and no page locks it.
RUN_AXE = """
async ([first, sampled]) => {
  const groups = (GROUP_BY_LOOK)();  // attribute -> looks -> elements
  const tried = {}, marked = {};  // attribute -> look -> elements looked at, marked this round
  const mark = (attribute, look, count) => {
    const elements = groups[attribute][look].slice(tried[attribute][look],
                                                    tried[attribute][look] + count);
    elements.forEach(e => e.setAttribute(attribute, String(look)));
    tried[attribute][look] += elements.length;
    marked[attribute].set(look, elements.length);
  };
  for (const attribute of Object.values(sampled)) {
    tried[attribute] = groups[attribute].map(() => 0);
    marked[attribute] = new Map();
    groups[attribute].forEach((_, look) => mark(attribute, look, 1));
  }
  const found = new Map();
  let options = first;  // the rules chosen by audit() in the first round, sampled ones after
  for (let round = 0; round < 2; round++) {
    const results = await axe.run(document, {...options, preload: false, elementRef: true,
                                             resultTypes: ['violations', 'incomplete']});
    for (const v of results.violations) {
      if (!found.has(v.id)) {
        found.set(v.id, {id: v.id, impact: v.impact, help: v.help, nodes: []});
      }
      found.get(v.id).nodes.push(...v.nodes.map(
          n => ({target: n.target.join(' '), summary: n.failureSummary})));
    }
    const again = [];
    for (const [rule, attribute] of Object.entries(sampled)) {
      // look -> how many of its marked elements axe could not judge because something covers
      // them (another element of the look may be uncovered; other reasons hold for all of them)
      const unclear = new Map();
      for (const v of results.incomplete.filter(v => v.id === rule)) {
        const covered = v.nodes.filter(
            n => n.any.some(check => COVERED.includes(check.data?.messageKey)));
        for (const n of covered) {
          const look = Number(n.element.getAttribute(attribute));
          unclear.set(look, (unclear.get(look) || 0) + 1);
        }
      }
      document.querySelectorAll(`[${attribute}]`).forEach(e => e.removeAttribute(attribute));
      const looks = Array.from(unclear).filter(([look, count]) =>
          count === marked[attribute].get(look) &&
          tried[attribute][look] < groups[attribute][look].length);
      marked[attribute].clear();
      looks.forEach(([look]) => mark(attribute, look, 16));
      if (looks.length) again.push(rule);
    }
    if (!again.length) break;
    options = {runOnly: {type: 'rule', values: again}};
  }
  return Array.from(found.values());
}
""".replace("GROUP_BY_LOOK", GROUP_BY_LOOK.strip()).replace("COVERED", json.dumps(COVERED))
NAMELESS_FIGURES_AND_IMAGES = """
() => {
  axe.setup(document);
  try {
    const figures = Array.from(document.querySelectorAll('.vgfig svg'))
        .filter(svg => !axe.commons.text.accessibleText(svg).trim())
        .map(svg => svg.closest('.vgfig').id);
    const images = Array.from(document.images)
        .filter(img => !(img.getAttribute('alt') || '').trim())
        .map(img => img.getAttribute('src'));
    return {figures, images};
  } finally {
    axe.teardown();
  }
}
"""
# The theme's colour-mode button cycles through its modes (light, auto, dark with a light system
# preference); a reader who prefers dark mode clicks it until the page is dark.
SWITCH_MODE = """
async (mode) => {
  const button = document.querySelector('.theme-switch-button');
  for (let click = 0; click < 3 && document.documentElement.dataset.mode !== mode; click++) {
    button.click();
  }
  await Promise.all(document.getAnimations()
      .filter(a => a.effect.getComputedTiming().endTime !== Infinity).map(a => a.finished));
  return document.documentElement.dataset.theme;
}
"""
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING_IMPACTS = IMPACTS[:2]


# Each run of axe costs seconds on a chapter (over 14,000 elements), most of it in two rules, so
# no rule runs where it cannot find anything new:
# - in dark mode only the rules that weigh colours (every other rule looks at the page's
#   structure, names and sizes, which the mode leaves as they are);
# - "region" (all content inside landmarks: over half of a chapter's audit) on the front page
#   only: the landmarks come from the theme's page template, the same on every page, and
#   myst-nb puts every chapter's content inside its <main>.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
TEMPLATE_RULES = ["region"]


def audit(page, axe_path, *, colours_only: bool = False, template: bool = True) -> list[dict]:
    """axe-core's violations on the page, everything unfolded, with axe injected from disk:
    the two colour rules on one element of every look (``SAMPLED_RULES``), every other rule on
    the whole page; only ``COLOUR_RULES`` if ``colours_only``, and ``TEMPLATE_RULES`` only if
    ``template``."""
    page.evaluate(UNFOLD_EVERYTHING)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_path))
        page.evaluate(ONE_ELEMENT_OF_EACH_LOOK)
    assert page.evaluate("typeof window.axe === 'object'"), "axe-core did not load"
    if colours_only:
        first = {"runOnly": {"type": "rule", "values": COLOUR_RULES}}
    else:
        first = {"rules": {rule: {"enabled": template} for rule in TEMPLATE_RULES}}
    return page.evaluate(RUN_AXE, [first, SAMPLED_RULES])


# A page of many elements that look alike and a few that do not: the audit must find each fault
# although it looks at one element of every look.
PLANTED = """<!doctype html><html lang="en"><head><title>planted</title></head><body><main>
<h1>Planted faults</h1>
{good}
<p style="color: #777; background: #888">grey on grey: too little contrast</p>
<p style="color: #222">A paragraph of text with
<a href="#x" style="color: #444; text-decoration: none">a link</a> that looks like the text
around it: not underlined, and its colour too close to the text's.</p>
</main></body></html>"""


def test_the_audit_finds_faults_among_many_elements_that_look_alike(browser, axe_script):
    page = browser.new_page()
    try:
        good = "".join(f'<p style="color: #222">Line {k} of text with <a href="#k{k}" '
                       f'style="color: #444">a link</a> that is underlined, as browsers show '
                       f"links.</p>" for k in range(200))
        page.set_content(PLANTED.format(good=good))
        violations = audit(page, axe_script)
        found = {v["id"]: [n["summary"] for n in v["nodes"]] for v in violations}
        assert set(found) == set(SAMPLED_RULES), describe(violations)
        assert len(found["color-contrast"]) == 1 and "#777777" in found["color-contrast"][0]
        assert len(found["link-in-text-block"]) == 1
    finally:
        page.close()


def describe(violations) -> str:
    lines = []
    for v in sorted(violations, key=lambda v: IMPACTS.index(v["impact"])):
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        lines += [f"    {n['target']}: {' '.join(n['summary'].split())}" for n in v["nodes"][:5]]
    return "\n".join(lines)


def test_page_has_no_serious_accessibility_violation_in_light_or_dark_mode(
    visit, axe_script, request
):
    page = visit.page
    found = {"light": audit(page, axe_script, template=visit.name == "index")}
    nameless = page.evaluate(NAMELESS_FIGURES_AND_IMAGES)
    try:
        assert page.evaluate(SWITCH_MODE, "dark") == "dark", "the theme has no dark mode"
        found["dark"] = audit(page, axe_script, colours_only=True)
        screenshot(request.config, page, visit.name, "dark")
    finally:
        assert page.evaluate(SWITCH_MODE, "light") == "light"
    assert visit.external == [], f"requests that leave the machine: {visit.external}"
    update_report("accessibility.json", visit.name, {
        mode: {"by_impact": dict(Counter(v["impact"] for v in violations for _ in v["nodes"])),
               "rules": {v["id"]: len(v["nodes"]) for v in violations}}
        for mode, violations in found.items()})
    failing = [mode for mode, violations in found.items()
               if any(v["impact"] in BLOCKING_IMPACTS for v in violations)]
    assert failing == [], "\n".join(f"{mode} mode:\n{describe(found[mode])}" for mode in failing)
    assert nameless["images"] == [], f"images without alt text: {nameless['images']}"
    assert nameless["figures"] == [], f"kernel-free figures without a name: {nameless['figures']}"


# -- reading on any screen ------------------------------------------------------------------------
# What must never be wider than its box at the desktop viewport (1280 x 900: a content column of
# about 752 px, 77 characters of code font), by kind, inside the article.
BOXES = {
    "code cell": "div.cell_input pre, div.highlight pre",
    "output": "div.cell_output > .output, div.cell_output pre, .vgtable",
    "table": "table, .pst-scrollable-table-container",
    "figure": "figure, img, .vgfig, .vgfig svg",
    "formula": "mjx-container[display='true']",
}
OVERFLOWING = """
(boxes) => {
  const found = [];
  for (const [kind, selector] of Object.entries(boxes)) {
    for (const el of document.querySelectorAll('article.bd-article :is(' + selector + ')')) {
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        const cell = el.closest('.cell, section');
        found.push({kind, wider_by_px: el.scrollWidth - el.clientWidth,
                    where: cell ? (cell.id || cell.querySelector('[id]')?.id || '') : '',
                    text: (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80)});
      }
    }
  }
  return found;
}
"""
# At a phone's width: the page never scrolls sideways, text outputs wrap, figures fit; tables,
# code and formulas may scroll inside their own box.
PHONE_PROBLEMS = """
() => {
  const root = document.documentElement;
  const problems = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`the page scrolls sideways by ${root.scrollWidth - root.clientWidth} px`);
  }
  for (const pre of document.querySelectorAll('article.bd-article div.cell_output pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      problems.push('a text output does not wrap: ' + pre.textContent.trim().slice(0, 60));
    }
  }
  for (const fig of document.querySelectorAll('article.bd-article :is(img, .vgfig svg)')) {
    const box = fig.parentElement.getBoundingClientRect();
    if (fig.getBoundingClientRect().width > box.width + 1) {
      problems.push('a figure is wider than its column: ' +
                    (fig.getAttribute('alt') || fig.closest('.vgfig')?.id || '').slice(0, 60));
    }
  }
  return problems;
}
"""


def test_nothing_is_wider_than_its_box_on_a_desktop_or_a_phone(visit, request):
    page, name = visit.page, visit.name
    page.evaluate(UNFOLD_EVERYTHING)  # folded code and solutions are checked too
    wide = page.evaluate(OVERFLOWING, BOXES)
    assert wide == [], f"{name}: {len(wide)} elements are wider than their box at 1280 px:\n" + \
        "\n".join(f"  {w['kind']} in #{w['where']} (+{w['wider_by_px']} px): {w['text']}"
                  for w in wide[:15])
    page.set_viewport_size(PHONE)
    try:
        problems = page.evaluate(PHONE_PROBLEMS)
        if name in (f"chapters/{CHAPTERS[2].stem}", f"chapters/{CHAPTERS[8].stem}"):
            screenshot(request.config, page, name, "phone")
    finally:
        page.set_viewport_size(DESKTOP)
    assert problems == [], f"{name} at 390 x 844:\n" + "\n".join(problems[:15])


# Every kernel-free figure of the book, on a phone (touch, no mouse): a tap on a slider's track
# or a choice in a menu redraws the figure. The figures are self-contained, so they are copied
# from the chapters (as the pages' figure checks above found them) into one page of a mobile
# context instead of loading every chapter again.
FIGURE_STATE = """
(id) => {
  const root = document.getElementById(id).closest('.vgfig');
  return Array.from(root.querySelectorAll('polyline')).map(p => p.getAttribute('points'))
      .join(';') + '|' + root.querySelector('.vgfig-caption').textContent;
}
"""


def test_every_kernel_free_figure_works_by_touch_on_a_phone(browser, built_book):
    figures = []
    for name in PAGES:
        if name not in _FIGURES:  # this module's page checks did not run (pytest -k ...)
            visit = Visit(browser, built_book, name)
            _FIGURES[name] = visit.page.evaluate(COLLECT_FIGURES)
            visit.close()
        figures += _FIGURES[name]
    assert len(figures) >= len(CHAPTER_PAGES)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_content('<!doctype html><html lang="en"><head><meta name="viewport" '
                         'content="width=device-width, initial-scale=1"></head><body>'
                         + "".join(figures) + "</body></html>")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        controls = page.evaluate(
            "Array.from(document.querySelectorAll('.vgfig :is(input[type=range], select)'))"
            ".map(c => [c.id, c.tagName, c.value, c.tagName === 'SELECT' ? "
            "c.options[(c.selectedIndex + 1) % c.options.length].value : null])")
        assert controls
        moved = []
        for control_id, tag, start, other in controls:
            control = page.locator(f"#{control_id}")
            before = page.evaluate(FIGURE_STATE, control_id)
            if tag == "INPUT":  # tap near the end of the track farthest from the thumb
                box = control.bounding_box()
                at_end = page.evaluate(f"(c => c.value === c.max)(document.getElementById("
                                       f"'{control_id}'))")
                x = box["width"] * (0.03 if at_end else 0.97)
                control.tap(position={"x": x, "y": box["height"] / 2})
            else:
                control.tap()
                control.select_option(other)
            value = page.evaluate(f"document.getElementById('{control_id}').value")
            if value != start and page.evaluate(FIGURE_STATE, control_id) != before:
                moved.append(control_id)
        assert errors == []
        assert moved == [c[0] for c in controls], \
            f"controls a tap did not work: {sorted(set(c[0] for c in controls) - set(moved))}"
    finally:
        context.close()


# the text of a deck's slides (not of its scripts) that still holds a \( or \[ of MathJax
UNTYPESET_MATH = r"""() => {
    const walker = document.createTreeWalker(document.querySelector('.slides'),
        NodeFilter.SHOW_TEXT, {acceptNode: n => n.parentElement.closest('script, style')
            ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    const found = [];
    while (walker.nextNode()) {
        if (/\\[(\[]/.test(walker.currentNode.nodeValue)) found.push(walker.currentNode.nodeValue);
    }
    return found;
}"""


def test_every_slide_deck_works_offline_renders_its_formulas_and_moves_on_by_keyboard(
        browser, built_book):
    """The decks of tools/book_slides.py (_build/html/slides/), as an instructor opens them from
    file://: reveal.js and MathJax from the book itself, nothing from outside, no console error;
    every deck has the chapter's title slide, objectives and marked cells, its formulas are
    typeset, and the right-arrow key moves to the next slide."""
    slides = built_book.html / "slides"
    decks = sorted(slides.glob("[0-9][0-9]_*.html"))
    assert [d.stem for d in decks] == [p.stem for p in CHAPTERS]
    index = (slides / "index.html").read_text()
    assert all(f'href="{d.name}"' in index for d in decks)
    context, page, external, errors = offline_page(browser)
    for deck in decks:
        page.goto(deck.as_uri(), wait_until="load")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
        page.evaluate("() => MathJax.startup.promise")
        total = page.evaluate("() => Reveal.getTotalSlides()")
        assert total >= 6, f"{deck.name}: {total} slides"
        raw = page.evaluate(UNTYPESET_MATH)
        assert not raw, f"{deck.name}: a formula was not typeset"
        assert page.locator("mjx-container").count() > 0, f"{deck.name}: no formula at all"
        before = page.evaluate("() => Reveal.getIndices().h")
        page.keyboard.press("ArrowRight")
        assert page.evaluate("() => Reveal.getIndices().h") == before + 1, deck.name
        images = page.evaluate("() => [...document.images].map(i => [i.complete && "
                               "i.naturalWidth > 0, i.alt])")
        assert all(ok and alt for ok, alt in images), f"{deck.name}: {images}"
    context.close()
    assert not external, f"requests that left the machine: {external[:5]}"
    assert not errors, errors
