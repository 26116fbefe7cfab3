// Accessibility fixes for markup that Jupyter Book's stack generates and CSS cannot reach (an
// element's accessible name). Jupyter Book adds every .js file in _static/ to every page; axe-core
// checks the result in tests/test_browser.py (rule label-content-name-mismatch, WCAG 2.5.3
// "label in name": what a button shows must be part of its name, so that a speech-input user can
// say what they see). Each fix names where the markup comes from; drop it once that is fixed.
(function () {
  "use strict";

  function fix() {
    // myst-nb (sphinx_.py, visit_HideCellInput): a hide-input cell's <summary> shows "Show code
    // cell source" but is named "Toggle hidden content". Without the aria-label, its name is the
    // visible text, which also says whether the code is shown or hidden.
    document.querySelectorAll('details.hide > summary[aria-label="Toggle hidden content"]')
      .forEach(function (summary) { summary.removeAttribute("aria-label"); });

    // pydata-sphinx-theme (components/search-button-field.html): the search field shows
    // "Search Ctrl+K" but is named "Search". Named by its content, it reads "Search Ctrl+K".
    document.querySelectorAll("button.search-button-field[aria-label]")
      .forEach(function (button) { button.removeAttribute("aria-label"); });

    // pydata-sphinx-theme (components/theme-switcher.html): the colour-mode button is named
    // "Color mode", but its icons carry titles ("Light", "Dark", "System Settings") that Font
    // Awesome turns into SVG <title>s, i.e. text inside the button that is not in its name. The
    // icons are decorative (the button keeps its name and its "Color mode" tooltip), so they
    // lose their titles, before or after Font Awesome has replaced the <i> by an <svg>.
    document.querySelectorAll(".theme-switch-button i[title]")
      .forEach(function (icon) { icon.removeAttribute("title"); });
    document.querySelectorAll(".theme-switch-button svg").forEach(function (svg) {
      svg.querySelectorAll("title").forEach(function (title) { title.remove(); });
      svg.removeAttribute("aria-labelledby");
      svg.setAttribute("aria-hidden", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
})();
