"""What a layer records for inspection is read through its public attributes only.

``vglib.layers`` documents the records (``x``, ``y``, ``dy``); the layers' own modules
(``layers``, ``recurrent``) may use their private state, nobody else may: not ``probe``,
``signals``, ``diagnose``, ``train``, the other vglib modules, nor the book's notebooks.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYER_MODULES = {"layers.py", "recurrent.py"}  # where the layers themselves are defined
OWN = {"self", "cls"}
PROTOCOL = re.compile(r"_repr_\w+_|_ipython_\w+_")  # IPython's display hooks are public


def imported_names(source: str) -> set[str]:
    """The names that the imports in ``source`` bind."""
    imports = [node for node in ast.walk(ast.parse(source))
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    return {(alias.asname or alias.name).split(".")[0] for node in imports for alias in node.names}


def private_reads(source: str, modules: set[str] | None = None) -> list[str]:
    """Every ``<expr>._name`` in ``source`` where ``<expr>`` is another object: not ``self`` or
    ``cls``, and not one of ``modules`` (default: the names imported in ``source``). Dunders and
    display hooks are allowed."""
    tree = ast.parse(source)
    modules = imported_names(source) if modules is None else modules
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or attr.startswith("__") or PROTOCOL.fullmatch(attr):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in OWN | modules:
            continue
        found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_finds_private_reads_of_other_objects():
    source = (
        "from vglib import layers\n"
        "class Mine:\n"
        "    def f(self, layer, dense, model):\n"
        "        self._x = layer._a\n"
        "        return dense._dy, model.layers[0]._cache, layers._normalise_backward\n"
    )
    assert private_reads(source) == [
        "line 4: layer._a", "line 5: dense._dy", "line 5: model.layers[0]._cache"]
    assert private_reads("def f(self, layer):\n    return self._x, layer.x, layer.dy\n") == []


def vglib_sources() -> list[Path]:
    return sorted(path for path in (ROOT / "vglib").rglob("*.py")
                  if path.name not in LAYER_MODULES)


@pytest.mark.parametrize("path", vglib_sources(), ids=lambda path: path.name)
def test_vglib_reads_no_private_attribute_of_a_layer(path):
    assert private_reads(path.read_text(encoding="utf-8")) == []


def notebooks() -> list[Path]:
    return sorted([*(ROOT / "chapters").glob("*.ipynb"), *(ROOT / "appendices").glob("*.ipynb")])


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.name)
def test_notebooks_read_no_private_attribute_of_a_layer(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = {cell.get("id"): "".join(cell["source"]) for cell in cells
               if cell["cell_type"] == "code"}
    modules = set().union(*map(imported_names, sources.values()))  # imported in any cell
    found = {cell: reads for cell, source in sources.items()
             if (reads := private_reads(source, modules))}
    assert found == {}
