"""The layering rules, checked on the real import graph: `core` and `printing` import no domain; domains
never import the API, FastAPI or Starlette (import-linter contracts in pyproject.toml); no domain imports another
domain's tables; no import cycles between modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ["enterprises", "traceability", "disclosure", "complaints", "credit", "insurance"]
PACKAGES = ["api", "core", "printing", *DOMAINS]


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_no_domain_imports_another_domains_models():
    graph = _graph()
    offending = []
    for module in sorted(graph.modules):
        domain = module.split(".")[0]
        if domain not in DOMAINS:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            other = imported.split(".")[0]
            if other in DOMAINS and other != domain and imported.split(".")[1:2] == ["models"]:
                offending.append(f"{module} -> {imported}")
    assert offending == [], "read another domain through its service, not its tables: " + ", ".join(offending)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in graph.modules}
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(edges[node])):
                nxt = edges[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles():
    # A package's __init__ that re-exports its children is not a cycle worth breaking; none do today.
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("a", "b", "c"):
        graph.add_module(m)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def test_architecture_md_events_table_is_generated_from_the_contracts():
    sys.path.insert(0, str(ROOT / "scripts"))
    import events_table

    doc = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert events_table.rewrite(doc, events_table.table()) == doc, (
        "ARCHITECTURE.md's events table is out of date: run scripts/events_table.py --write"
    )
