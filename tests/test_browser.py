"""The built book in a real browser (Debian's chromium, driven by playwright), from file://.

For the front page, every chapter and every appendix: no console errors (but the one the theme
always logs), no request that leaves the machine, every formula rendered by the bundled MathJax,
and no serious or critical accessibility violation found by axe-core, in light and in dark mode,
with every folded code cell and solution unfolded; every image has alt text and every
kernel-free figure an accessible name. On every chapter, every kernel-free figure is redrawn
within 16 ms when any of its controls moves. On every page nothing is wider than its box at the
1280 x 900 viewport, and at a phone's 390 x 844 the page never scrolls sideways, text outputs
wrap and figures fit; every kernel-free figure works by touch in a mobile context. Light and
dark full-page screenshots (JPEG, and phone ones of chapters 3 and 9) go to
_build/screenshots/ for review, with the measured control timings in timings.json and axe's
findings by page, mode and impact in accessibility.json next to them.

axe-core comes from npm (package.json, package-lock.json: `npm ci` puts it in node_modules/) and
is injected from there into each page; nothing is fetched from a CDN.

Without chromium or axe-core these tests skip with the reason shown; with VGLIB_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser or axe-core is a failure instead.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from make_pdf import find_chromium  # noqa: E402  ($CHROMIUM, else Debian's chromium)

sys.path.pop(0)
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
APPENDICES = sorted([*(ROOT / "appendices").glob("*.ipynb"), *(ROOT / "appendices").glob("*.md")])
CHAPTER_PAGES = [f"chapters/{p.stem}" for p in CHAPTERS]
PAGES = ["index", *CHAPTER_PAGES, *(f"appendices/{p.stem}" for p in APPENDICES)]
# Jupyter Book's index.html only forwards to the book's root page (<meta http-equiv="Refresh">),
# so checking "index" checks the root page; other built pages are Sphinx's index and search.
ROOT_PAGE = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
NOT_CHECKED = {ROOT_PAGE, "genindex", "search"}
SCREENSHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Jupyter Book 1's theme declares this constant twice on every page; harmless, and the only
# console error allowed.
KNOWN_THEME_ERROR = "Identifier 'THEBE_JS_URL' has already been declared"
SLIDER_BUDGET_MS = 16.0


def required_or_skip(reason):
    if os.environ.get("VGLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here, but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
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
        for visit in _VISITS.values():
            visit.close()
        _VISITS.clear()
        browser.close()


class Visit:
    """One page load with every request and console message recorded."""

    def __init__(self, browser, url, *, dark=False):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        if dark:  # the theme reads the reader's choice from localStorage before drawing
            self.context.add_init_script(
                "localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');"
            )
        self.page = self.context.new_page()
        self.external, self.errors = [], []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
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

    def close(self):
        self.context.close()


def page_url(built_book, name):
    return (built_book.html / f"{name}.html").as_uri()


_VISITS: dict[str, Visit] = {}


def light_visit(browser, built_book, name) -> Visit:
    """The page loaded once in light mode; both tests below look at the same load."""
    if name not in _VISITS:
        _VISITS[name] = Visit(browser, page_url(built_book, name))
    return _VISITS[name]


def screenshot(page, name, mode):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name.replace('/', '_')}-{mode}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=75)


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_without_errors_and_with_formulas(browser, built_book, name):
    visit = light_visit(browser, built_book, name)
    page = visit.page
    assert visit.external == [], f"requests that leave the machine: {visit.external}"
    unexpected = [e for e in visit.errors if KNOWN_THEME_ERROR not in e]
    assert unexpected == [], f"console errors: {unexpected}"
    unrendered = page.evaluate(
        "Array.from(document.querySelectorAll('.math'))"
        ".filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60))"
    )
    assert unrendered == [], f"formulas MathJax did not render: {unrendered[:5]}"
    if name in CHAPTER_PAGES:
        assert page.evaluate("document.querySelectorAll('mjx-container').length") > 0
    screenshot(page, name, "light")
    dark = Visit(browser, page_url(built_book, name), dark=True)
    assert dark.page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert dark.external == []
    screenshot(dark.page, name, "dark")
    dark.close()


def test_every_page_of_the_book_is_checked_in_the_browser(built_book):
    built = {p.relative_to(built_book.html).with_suffix("").as_posix()
             for p in built_book.html.glob("**/*.html") if "_static" not in p.parts}
    assert built - NOT_CHECKED == set(PAGES), "PAGES is not the list of the book's pages"


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.exists():
        required_or_skip(f"axe-core is not installed ({AXE.relative_to(ROOT)} is missing: npm ci)")
    return AXE


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
# preload: false, else axe fetches every stylesheet again, which chromium refuses from file://
# (a console error per sheet); only css-orientation-lock needs them, and no page locks it.
RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations'], preload: false});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}
"""
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
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING_IMPACTS = IMPACTS[:2]


def audit(page, axe_path) -> list[dict]:
    """axe-core's violations on the page, everything unfolded, with axe injected from disk."""
    page.evaluate(UNFOLD_EVERYTHING)
    page.add_script_tag(path=str(axe_path))
    assert page.evaluate("typeof window.axe === 'object'"), "axe-core did not load"
    return page.evaluate(RUN_AXE)


def describe(violations) -> str:
    lines = []
    for v in sorted(violations, key=lambda v: IMPACTS.index(v["impact"])):
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        lines += [f"    {n['target']}: {' '.join(n['summary'].split())}" for n in v["nodes"][:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violation_in_light_or_dark_mode(
    browser, built_book, axe_script, name
):
    light = light_visit(browser, built_book, name)
    dark = Visit(browser, page_url(built_book, name), dark=True)
    try:
        found = {"light": audit(light.page, axe_script), "dark": audit(dark.page, axe_script)}
        nameless = light.page.evaluate(NAMELESS_FIGURES_AND_IMAGES)
    finally:
        dark.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report = SCREENSHOTS / "accessibility.json"
    data = json.loads(report.read_text()) if report.exists() else {}
    data[name] = {mode: {"by_impact": dict(Counter(v["impact"] for v in violations
                                                   for _ in v["nodes"])),
                         "rules": {v["id"]: len(v["nodes"]) for v in violations}}
                  for mode, violations in found.items()}
    report.write_text(json.dumps(data, indent=2))
    failing = [mode for mode, violations in found.items()
               if any(v["impact"] in BLOCKING_IMPACTS for v in violations)]
    assert failing == [], "\n".join(f"{mode} mode:\n{describe(found[mode])}" for mode in failing)
    assert nameless["images"] == [], f"images without alt text: {nameless['images']}"
    assert nameless["figures"] == [], f"kernel-free figures without a name: {nameless['figures']}"


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


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_every_kernel_free_figure_follows_every_control_within_a_frame(browser, built_book, name):
    visit = light_visit(browser, built_book, name)
    figures = visit.page.evaluate(
        "Array.from(document.querySelectorAll('.vgfig')).map(f => f.id)"
    )
    assert figures, "the chapter has no kernel-free figure"
    timings = {}
    for figure in figures:
        assert visit.page.evaluate(
            f"document.querySelectorAll('#{figure} polyline').length"
        ) > 0, f"{figure} drew nothing"
        for result in visit.page.evaluate(MOVE_EVERY_CONTROL, figure):
            control = result["control"]
            assert result["moves"] > 0
            assert result["changed"] == result["moves"], f"{control}: a move changed nothing"
            assert result["max_ms"] <= SLIDER_BUDGET_MS, f"{control}: {result['max_ms']:.1f} ms"
            timings[control] = {k: result[k] for k in ("moves", "median_ms", "max_ms")}
    unexpected = [e for e in visit.errors if KNOWN_THEME_ERROR not in e]
    assert unexpected == [] and visit.external == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    report = SCREENSHOTS / "timings.json"
    data = json.loads(report.read_text()) if report.exists() else {}
    data[name] = timings
    report.write_text(json.dumps(data, indent=2))


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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
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


@pytest.mark.parametrize("name", PAGES)
def test_nothing_is_wider_than_its_box_on_a_desktop_or_a_phone(browser, built_book, name):
    visit = light_visit(browser, built_book, name)
    page = visit.page
    page.evaluate(UNFOLD_EVERYTHING)  # folded code and solutions are checked too
    wide = page.evaluate(OVERFLOWING, BOXES)
    assert wide == [], f"{name}: {len(wide)} elements are wider than their box at 1280 px:\n" + \
        "\n".join(f"  {w['kind']} in #{w['where']} (+{w['wider_by_px']} px): {w['text']}"
                  for w in wide[:15])
    page.set_viewport_size(PHONE)
    try:
        problems = page.evaluate(PHONE_PROBLEMS)
        if name in (f"chapters/{CHAPTERS[2].stem}", f"chapters/{CHAPTERS[8].stem}"):
            screenshot(page, name, "phone")
    finally:
        page.set_viewport_size(DESKTOP)
    assert problems == [], f"{name} at 390 x 844:\n" + "\n".join(problems[:15])


# Every kernel-free figure of the book, on a phone (touch, no mouse): a tap on a slider's track
# or a choice in a menu redraws the figure. The figures are self-contained, so they are copied
# from the chapters into one page of a mobile context instead of loading every chapter again.
COLLECT_FIGURES = """
() => Array.from(document.querySelectorAll('.vgfig')).map(f => {
  const copy = f.cloneNode(true);
  copy.removeAttribute('data-ready');  // drawn once already; the copy draws itself again
  return copy.outerHTML;
})
"""
FIGURE_STATE = """
(id) => {
  const root = document.getElementById(id).closest('.vgfig');
  return Array.from(root.querySelectorAll('polyline')).map(p => p.getAttribute('points'))
      .join(';') + '|' + root.querySelector('.vgfig-caption').textContent;
}
"""


def test_every_kernel_free_figure_works_by_touch_on_a_phone(browser, built_book):
    figures = []
    for name in CHAPTER_PAGES:
        figures += light_visit(browser, built_book, name).page.evaluate(COLLECT_FIGURES)
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
