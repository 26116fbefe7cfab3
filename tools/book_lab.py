"""The live lab's files in the built book: _build/html/lab/ (a Sphinx extension, like book_slides).

The lab page (lab.md) loads its scripts from lab/ beside it, so no other page loads them:

- ``engine.js`` and ``lab.js`` (the engine and the page's controls and views), ``lab.css``,
  copied from the repository's lab/ folder;
- ``data.js``, written here from vglib (``vglib.lab``): the four data sets, the presets with
  their initial weights, and ``diagnose``'s thresholds, as one classic script that sets
  ``window.VGLAB_DATA`` (a page opened from ``file://`` may not fetch a JSON file);
- ``lab-static.svg``, the picture the printed book (and the PDF) shows in place of the live
  lab: each preset's per-layer gradient norms at initialisation, computed by vglib.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("engine.js", "lab.js", "lab.css")


def data_script() -> str:
    from vglib import lab

    payload = {"datasets": lab.datasets(), "presets": lab.presets(),
               "thresholds": lab.THRESHOLDS}
    return ("// Written by tools/book_lab.py from vglib.lab when the book is built.\n"
            f"window.VGLAB_DATA = {json.dumps(payload, separators=(',', ':'))};\n")


def initial_profiles() -> dict[str, list[float]]:
    """Each preset's ||dL/dW|| per Dense layer at initialisation, on a batch of its data."""
    import numpy as np

    from vglib import data, diagnose, lab

    out = {}
    for preset in lab.PRESETS:
        net = lab.network(preset["spec"], preset["seed"])
        X, y = getattr(data, preset["dataset"])(lab.N_POINTS, np.random.default_rng(lab.DATA_SEED))
        report = diagnose.diagnose(net, X, y, lr=preset["train"]["lr"])
        out[preset["title"]] = [layer.grad_norm for layer in report.layers]
    return out


COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00")


def static_svg(profiles: dict[str, list[float]]) -> str:
    """A log-scale line chart of the profiles, as plain SVG text."""
    width, height, left, right, top, bottom = 720, 360, 70, 250, 20, 50
    values = [v for p in profiles.values() for v in p if v > 0]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    depth = max(len(p) for p in profiles.values())

    def x(i: int) -> float:
        return left + (width - left - right) * i / max(depth - 1, 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (hi - math.log10(max(v, 10.0**lo))) / (hi - lo)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" font-family="sans-serif" font-size="12">',
             "<title>The lab's presets at initialisation: gradient norm per layer</title>",
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for e in range(lo, hi + 1):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(10.0**e):.1f}" '
                     f'y2="{y(10.0**e):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y(10.0**e) + 4:.1f}" text-anchor="end">'
                     f'1e{e}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" '
                 'text-anchor="middle">Dense layer (input side on the left)</text>')
    parts.append(f'<text transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" '
                 'text-anchor="middle">||dL/dW|| (log scale)</text>')
    for k, (title, profile) in enumerate(profiles.items()):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(profile))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{points}"/>')
        parts.append(f'<text x="{width - right + 10}" y="{top + 16 + 18 * k}" '
                     f'fill="{colour}">{title}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_lab(outdir: Path) -> Path:
    out = outdir / "lab"
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy(ROOT / "lab" / name, out / name)
    (out / "data.js").write_text(data_script(), encoding="utf-8")
    (out / "lab-static.svg").write_text(static_svg(initial_profiles()), encoding="utf-8")
    return out


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html" and "lab" in app.env.found_docs:
        write_lab(Path(app.outdir))


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
