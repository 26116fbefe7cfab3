"""Find every quoted phrase of the fact check verbatim in the source article it quotes.

    python tools/check_source_quotes.py                        # sources in ../shared/sources
    python tools/check_source_quotes.py --sources DIR          # or elsewhere

appendices/source_claims.yml lists every checkable claim of the four source articles with a
short phrase quoted from its article (and, under `not_checked`, the passages read and left out:
analogies, opinions, repetitions); a claim about a program's output also lists the lines the
article says it prints. This script looks up each phrase and line in its article, comparing
case-sensitively with runs of whitespace (line breaks included) treated as one space. It
prints the number of claims per article and exits with status 1, listing them, if any phrase is
not found. tests/test_appendices.py runs the same check.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "appendices" / "source_claims.yml"
SOURCES = ROOT.parent / "shared" / "sources"


def normalise(text: str) -> str:
    """``text`` with every run of whitespace replaced by one space, stripped."""
    return re.sub(r"\s+", " ", text).strip()


def load(path: Path = CLAIMS) -> dict:
    """The data file: ``sources``, ``citations``, ``claims`` and ``not_checked``."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def missing_quotes(data: dict, sources: Path = SOURCES) -> list[str]:
    """One line per quote (of a claim or of a passage not checked) or printed line that its
    article does not contain, or whose article is unknown; an empty list if all are found."""
    texts = {}
    for name in data["sources"]:
        path = sources / f"{name}.txt"
        texts[name] = normalise(path.read_text(encoding="utf-8")) if path.exists() else None
    problems = []
    for kind in ("claims", "not_checked"):
        for entry in data.get(kind) or []:
            label = entry.get("id", "not_checked")
            source, quote = entry.get("source"), entry.get("quote")
            if source not in texts:
                problems.append(f"{label}: unknown source {source!r}")
            elif texts[source] is None:
                problems.append(f"{label}: {sources / (source + '.txt')} does not exist")
            elif not isinstance(quote, str) or not quote.strip():
                problems.append(f"{label}: no quote")
            elif normalise(quote) not in texts[source]:
                problems.append(f"{label}: not found in {source}: {quote!r}")
            if texts.get(source) is not None:
                for line in entry.get("printed") or []:
                    if normalise(line) not in texts[source]:
                        problems.append(f"{label}: printed line not found in {source}: {line!r}")
    return problems


def claims_per_source(data: dict) -> Counter:
    """How many claims each article contributes (every article listed, zeros included)."""
    counts = Counter({name: 0 for name in data["sources"]})
    counts.update(claim["source"] for claim in data["claims"])
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=SOURCES,
                        help=f"the folder of source-NNN.txt files (default: {SOURCES})")
    parser.add_argument("--claims", type=Path, default=CLAIMS, help="the data file")
    args = parser.parse_args()
    if not args.sources.is_dir():
        print(f"no source articles at {args.sources}", file=sys.stderr)
        return 2
    data = load(args.claims)
    counts = claims_per_source(data)
    for name, count in sorted(counts.items()):
        print(f"{name}: {count:3d} claims  ({data['sources'][name]})")
    skipped = len(data.get("not_checked") or [])
    print(f"total:      {sum(counts.values()):3d} claims; {skipped} passages read and not listed "
          "(analogies, opinions, repetitions)")
    problems = missing_quotes(data, args.sources)
    if problems:
        print(f"\n{len(problems)} quote(s) not found verbatim:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("every quote was found verbatim in its article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
