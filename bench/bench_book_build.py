"""Time the book build: the README's ``jupyter-book build`` into a temporary folder.

    python bench/bench_book_build.py

Runs ``python -c "from jupyter_book.cli.main import main; main()" build <repo root>
--path-output <tmpdir>`` in a subprocess with this Python, so the repository's own ``_build/``
is left alone. The notebooks are committed with their outputs (``execute_notebooks: auto``), so
nothing is executed: this times Sphinx reading the sources and writing the HTML. Prints the
seconds, whether the build succeeded (on failure, the end of its log goes to stderr), the
number of Sphinx warnings and the number of notebooks executed (0 unless one lost its
outputs; their names go to stderr). ``rows()`` returns the same as rows of ``bench/run.py``'s table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = "from jupyter_book.cli.main import main; main()"


def build(root: Path = ROOT) -> tuple[float, int, str]:
    """Build the book at ``root`` into a temporary folder: ``(seconds, exit code, log)``."""
    with tempfile.TemporaryDirectory(prefix="vglib-bench-build-") as out:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", JUPYTER_BOOK, "build", str(root), "--path-output", out],
            capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - start
    return seconds, done.returncode, done.stdout + done.stderr


def rows() -> list[tuple[str, str, float | str, str]]:
    """``(benchmark, case, value, unit)`` rows: build seconds, result, warnings and notebooks
    executed."""
    seconds, code, log = build()
    if code != 0:
        print("\n".join(log.splitlines()[-30:]), file=sys.stderr)
    lines = log.splitlines()
    executed = [line.split(": Executing notebook")[0] for line in lines
                if "Executing notebook using" in line]
    if executed:
        print("book build executed (no stored outputs): " + ", ".join(executed), file=sys.stderr)
    return [
        ("book build", "jupyter-book build into a temporary folder", seconds, "s"),
        ("book build", "result", "succeeded" if code == 0 else f"FAILED (exit {code})", ""),
        ("book build", "Sphinx warnings", sum("WARNING:" in line for line in lines), ""),
        ("book build", "notebooks executed", len(executed), ""),
    ]


def main() -> None:
    for _, case, value, unit in rows():
        print(f"{case:40s} {value:.1f} {unit}" if unit else f"{case:40s} {value}")


if __name__ == "__main__":
    main()
