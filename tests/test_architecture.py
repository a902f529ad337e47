"""The layout's rules, checked on the source: small modules and functions, imports that point one way.

See docs/architecture.md for the rule of each folder.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "edge"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Libraries that may be imported inside a function: optional hardware, displays, brokers and
#: training frameworks, which a headless or a Pi install may not have (tqdm: the train extra's
#: progress bar).
LAZY_ALLOWED = {"picamera2", "pygame", "paho", "torch", "skimage", "ai_edge_litert", "tflite_runtime", "tqdm"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.Module, name: str, known: dict[str, Path]) -> set[str]:
    """edge modules imported at module level (``TYPE_CHECKING`` blocks left out)."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("edge"))
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("edge"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in known else node.module)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    found.discard(name)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: runtime_imports(ast.parse(path.read_text(encoding="utf-8")), name, known) for name, path in known.items()
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return []


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_module_is_too_long() -> None:
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long() -> None:
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:] or body  # the docstring does not count
                lines = (body[-1].end_lineno or 0) - body[0].lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert long == [], f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(graph()) == []


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imports in graph().items():
        for other in imports:
            if package_of(other) != package_of(module) and package_of(module) != "edge":
                edges[package_of(module)].add(package_of(other))
    assert find_cycle(edges) == []


def test_imports_inside_functions_are_only_for_optional_libraries() -> None:
    found = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                names = [a.name for a in sub.names] if isinstance(sub, ast.Import) else []
                if isinstance(sub, ast.ImportFrom):
                    names = [sub.module or ""]
                found += [f"{name}:{sub.lineno} {n}" for n in names if n.split(".")[0] not in LAZY_ALLOWED]
    assert found == []


def test_core_stays_pure() -> None:
    pure = {
        "numpy",
        "cv2",
        "msgspec",
        "__future__",
        "collections",
        "dataclasses",
        "typing",
        "math",
        "importlib",
        "datetime",
        "re",
    }
    found = []
    for name, path in modules().items():
        if not name.startswith("edge.core"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [f"{name}: {n}" for n in names if n.split(".")[0] not in pure and not n.startswith("edge.core")]
    assert found == []


def test_every_folder_states_its_rule() -> None:
    missing = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        if not doc or "Rule:" not in doc:
            missing.append(str(init.relative_to(ROOT)))
    assert missing == []
