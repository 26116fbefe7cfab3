"""The built book in a real browser (Debian's chromium, driven by playwright), from file://.

For the front page, every chapter and every appendix: no console errors (but the one the theme
always logs), no request that leaves the machine, every formula rendered by the bundled MathJax,
and no serious or critical accessibility violation found by axe-core, in light and in dark mode,
with every folded code cell and solution unfolded; every image has alt text and every
kernel-free figure an accessible name. On every chapter, every kernel-free figure is redrawn
within 16 ms when any of its controls moves. Light and dark full-page screenshots (JPEG) go to
_build/screenshots/ for review, with the measured control timings in timings.json and axe's
findings by page, mode and impact in accessibility.json next to them.

axe-core comes from npm (package.json, package-lock.json: `npm ci` puts it in node_modules/) and
is injected from there into each page; nothing is fetched from a CDN.

Without chromium or axe-core these tests skip with the reason shown; with VGLIB_REQUIRE_BROWSER=1
(set by .ci/run) a missing browser or axe-core is a failure instead.
"""

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
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


def find_chromium():
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


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
