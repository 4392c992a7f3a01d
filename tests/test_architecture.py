"""The layering rules, checked on the real import graph: `core` and `printing` import no domain; domains
never import the API, FastAPI or Starlette (import-linter contracts in pyproject.toml); no domain imports another
domain's tables; no import cycles between modules. And, on the source: no module state in domains and core
(configuration reaches services explicitly), handlers read the contract's typed `event.data`, never the raw
payload, and each domain declares its own scheduled jobs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = [
    "enterprises",
    "traceability",
    "disclosure",
    "complaints",
    "credit",
    "insurance",
    "translog",
    "intake",
]
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


# Module-level names that are process-wide on purpose, and why. Everything else that a module binds to
# None or an empty container (to be set later), or rebinds with `global`, is configuration or state in a
# module: two apps in one process (the tests build many) would see each other's, the last one built winning.
MODULE_STATE_ALLOWED = {
    # The event contracts, filled at import by each domain's @contract: declarations, the same in every
    # app, never configuration.
    ("core/events.py", "contracts"),
    # This process's cache generation for scan facts: any change anywhere only makes caches re-read, so
    # sharing it between apps in one process is harmless (core.shared carries the cross-process one).
    ("traceability/freshness.py", "generation"),
}
STATE_PACKAGES = ["core", "printing", *DOMAINS]


def _unset_or_empty(value: ast.expr | None) -> bool:
    """None, or an empty container: a name bound at import to be filled or set later."""
    if isinstance(value, ast.Constant):
        return value.value is None
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List | ast.Set):
        return not value.elts
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id == "defaultdict" or (
            value.func.id in {"dict", "list", "set", "OrderedDict"} and not value.args
        )
    return False


def module_state(root: Path, packages: list[str]) -> list[str]:
    """`global` statements, and module-level names bound to None or an empty container."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Global):
                    found += [
                        f"{rel}:{node.lineno} global {n}"
                        for n in node.names
                        if (rel, n) not in MODULE_STATE_ALLOWED
                    ]
            for node in tree.body:
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AnnAssign) and node.value is not None
                    else []
                )
                for target in targets:
                    if (
                        isinstance(target, ast.Name)
                        and _unset_or_empty(node.value)
                        and (rel, target.id) not in MODULE_STATE_ALLOWED
                    ):
                        found.append(f"{rel}:{node.lineno} {target.id} = {ast.unparse(node.value)}")
    return found


def test_no_module_state_in_domains_and_core():
    found = module_state(ROOT, STATE_PACKAGES)
    assert found == [], (
        "module state (pass configuration to the service, or a handler's through registry.declare and "
        "api.wiring; see ARCHITECTURE.md): " + ", ".join(found)
    )


def test_the_module_state_check_finds_a_global_and_a_none_then_set(tmp_path):
    (tmp_path / "dom").mkdir()
    (tmp_path / "dom" / "service.py").write_text(
        "_keys = None\nNAMES = {'a': 1}\n\ndef configure(k):\n    global _keys\n    _keys = k\n"
    )
    assert module_state(tmp_path, ["dom"]) == [
        "dom/service.py:5 global _keys",
        "dom/service.py:1 _keys = None",
    ]


def payload_reads(root: Path) -> list[str]:
    """Reads of `.payload` in the modules that handle events (each domain's handlers.py, webhooks.py, and
    the record builders disclosure's handlers run, records*.py)."""
    found = []
    for domain in DOMAINS:
        for pattern in ("handlers.py", "webhooks.py", "records*.py"):
            for path in sorted((root / domain).glob(pattern)):
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                    if isinstance(node, ast.Attribute) and node.attr == "payload":
                        found.append(f"{domain}/{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_handlers_read_the_typed_event_not_the_raw_payload():
    found = payload_reads(ROOT)
    assert found == [], "read event.data, the payload parsed by its contract: " + ", ".join(found)


def test_the_app_builds_no_scheduled_job_itself():
    """Each domain declares its jobs in its scheduled.py; the app (api/) only starts them."""
    found = []
    for path in sorted((ROOT / "api").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if name in {"IntervalJob", "DailyJob"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "declare scheduled jobs in the domain's scheduled.py: " + ", ".join(found)


# One job per module (HOUSE.md): no application module over 600 lines, no function over 80. These are the
# ones still over, each to be split along the seam named; the list may only shrink: a new offender fails,
# and so does an entry here that is no longer over (take it off).
MODULE_LINES, FUNCTION_LINES = 600, 80
KNOWN_LARGE_MODULES: dict[str, str] = {}
KNOWN_LONG_FUNCTIONS: dict[str, str] = {}


def _application_files() -> list[Path]:
    return sorted(
        p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "gs1syntax" not in p.parts
    )


def test_no_module_or_function_grows_past_its_size():
    large, long_ = {}, {}
    for path in _application_files():
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        if len(text.splitlines()) > MODULE_LINES:
            large[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            lines = (node.end_lineno or 0) - node.lineno + 1 if isinstance(node, ast.FunctionDef) else 0
            if isinstance(node, ast.AsyncFunctionDef):
                lines = (node.end_lineno or 0) - node.lineno + 1
            if lines > FUNCTION_LINES:
                long_[f"{name}:{node.name}"] = lines
    assert set(large) - set(KNOWN_LARGE_MODULES) == set(), f"modules over {MODULE_LINES} lines: {large}"
    assert set(long_) - set(KNOWN_LONG_FUNCTIONS) == set(), f"functions over {FUNCTION_LINES} lines: {long_}"
    assert set(KNOWN_LARGE_MODULES) - set(large) == set(), "no longer over: take them off the list"
    assert set(KNOWN_LONG_FUNCTIONS) - set(long_) == set(), "no longer over: take them off the list"
