"""The shape of the code: stages in order, no private imports, thin notebooks, no copy-paste.

These are the house rules of issue 10, checked on the source itself:

* no module imports a later stage (shared < collect < causes < survival/clv <
  economics < kpi < report < study);
* nobody imports another module's private (``_underscore``) name;
* a notebook holds at most 3 lines of logic (every line of an if/for/while/with/try
  block or definition), everything else being imports, calls, displays and plain
  assignments; what a section shows lives in ``<stage>/views.py``;
* no block of 10 or more lines is repeated across ``churnlab/`` and the notebooks.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT

PKG = ROOT / "churnlab"
#: Rank of each top-level part of the package; a module may import only ranks <= its own.
RANKS = {"collect": 1, "simulate": 1, "causes": 2, "survival": 3, "clv": 3, "economics": 4,
         "kpi": 5, "report": 6, "study": 7}
SHARED = 0
MAX_LOGIC = 3
MAX_REPEAT = 10


def modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def dotted(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def rank(module: str) -> int:
    """A module's stage; the package root (``churnlab/__init__``, which offers open_study) is the top."""
    parts = module.split(".")
    return RANKS.get(parts[1], SHARED) if len(parts) > 1 else max(RANKS.values()) + 1


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = dotted(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
    return out


def test_no_module_imports_a_later_stage():
    bad = []
    for path in modules():
        me = dotted(path)
        for mod, names, line in imports(path):
            targets = [mod] + [f"{mod}.{n}" for n in names]
            if not mod.startswith("churnlab"):
                continue
            # `from churnlab import survival` names a package: rank it by the name
            r = max(rank(t) for t in targets if t.startswith("churnlab.")) if mod == "churnlab" \
                else rank(mod)
            if r > rank(me):
                bad.append(f"{me}:{line} imports {mod} {names}")
    assert not bad, "\n".join(bad)


def test_nobody_imports_another_modules_private_names():
    bad = []
    for path in modules():
        for mod, names, line in imports(path):
            for n in names:
                if n.startswith("_") and not n.startswith("__") and mod.startswith("churnlab"):
                    bad.append(f"{dotted(path)}:{line} imports {mod}.{n}")
    text = {p: p.read_text(encoding="utf-8") for p in modules()}
    for p, src in text.items():  # attribute access into another module: plots._ax(...)
        for m in re.finditer(r"\b(?:[a-z]+)\._[a-z][a-z_]*\(", src):
            if not m.group(0).startswith(("self._", "cls._", "np._", "pd._")):
                bad.append(f"{dotted(p)}: {m.group(0)}")
    assert not bad, "\n".join(bad)


def code_cells(nb: Path) -> list[str]:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def logic_statements(source: str) -> list[str]:
    """Lines of logic: every line of a compound statement (if, for, while, with, try, def,
    class) and any statement that is not an import, a call or display, or a plain assignment."""
    out = []
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign)):
            continue
        if isinstance(node, ast.Expr):  # a call, or a value the notebook displays
            continue
        out += lines[node.lineno - 1:node.end_lineno]
    return out


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_narrative_calls_and_figures(nb):
    cells = code_cells(nb)
    params = cells[0]
    assert [ln.split("=")[0].strip() for ln in params.splitlines() if "=" in ln] == \
        ["params_file", "output_dir"], "the parameters cell holds params_file and output_dir only"
    logic = [s for c in cells[1:] for s in logic_statements(c)]
    assert len(logic) <= MAX_LOGIC, f"{len(logic)} lines of logic:\n" + "\n".join(logic)


def _normalised_lines(text: str) -> list[str]:
    lines = []
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s.startswith("#") or s in (")", "]", "}", '"""', "else:", "try:", "return out"):
            continue
        lines.append(s)
    return lines


def test_no_block_of_ten_lines_is_repeated():
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in modules()}
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        sources[nb.name] = "\n".join(code_cells(nb))
    seen: dict[str, str] = {}
    repeats = []
    for name, text in sources.items():
        lines = _normalised_lines(text)
        for i in range(len(lines) - MAX_REPEAT + 1):
            block = "\n".join(lines[i:i + MAX_REPEAT])
            key = hashlib.sha1(block.encode()).hexdigest()
            if key in seen and seen[key] != name:
                repeats.append(f"{seen[key]} and {name}:\n{block}")
            seen.setdefault(key, name)
    assert not repeats, "\n\n".join(repeats[:3])
