"""Execute chapter notebooks in place, so the outputs committed with them are current.

    python tools/run_notebooks.py                 # every notebook in chapters/ and appendices/
    python tools/run_notebooks.py chapters/02_chain_rule.ipynb

Run it after editing a chapter (or vglib code a chapter uses), then commit the notebook:
`python -m pytest` re-executes every chapter and fails if a stored output differs. Execution
uses this Python environment, the chapter's folder as working directory, and a clean kernel.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from vglib.setup import pin_math_kernels

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int) -> float:
    """Execute ``path`` in place; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    ).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)  # widget state: ids change every run, and the HTML book
    nbformat.validate(nb)              # does not use it (see README, "Interactive figures")
    nbformat.write(nb, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: chapters/*.ipynb and appendices/*.ipynb")
    parser.add_argument("--timeout", type=int, default=300, help="per cell, in seconds")
    args = parser.parse_args()
    pin_math_kernels()  # the kernels inherit it: outputs that every x86-64 machine reproduces
    # one OpenBLAS thread, as in the tests (conftest.py): the same bits as with several, and no
    # threads spinning for a core that other work holds (the chapters' matrices are small)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    paths = args.notebooks or [*sorted((ROOT / "chapters").glob("*.ipynb")),
                               *sorted((ROOT / "appendices").glob("*.ipynb"))]
    for path in paths:
        print(f"{path.name}: {execute(path.resolve(), args.timeout):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
