"""DESIGN.md §3's one-way rule, checked on every import in jxjy/ — at the top of a module or inside a function.

An app may import only apps on a lower row; apps on the same row do not import each other; nothing forms a cycle.
A new app must be given its row here (and in DESIGN.md) before it can import anything."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]

# DESIGN.md §3, bottom row first. The project's own modules (settings, urls, celery, wsgi) stand on the roof.
ROWS = (
    ("lib",),
    ("audit",),
    ("accounts",),
    ("catalog",),
    ("credits", "orders"),
    ("learning", "payments"),
    ("exams", "declarations", "facetoface"),
    ("certificates",),
    ("review",),  # 学习异常: reads playback, the ledger and exam sheets; reverses hours, voids attempts (issue 16)
    ("portal",),  # public pages; below the back office, which edits their 通知公告 and help (issue 15)
    ("office",),
    ("demo",),  # the demo data fills every app, the portal's 通知公告 included: it stands on the roof
)
ROW = {app: level for level, apps in enumerate(ROWS) for app in apps}
ROOF = {"settings", "urls", "celery", "wsgi", "testing"}
# Imports a product module may make of the roof: the Celery app object (jxjy.celery) from the top row only.
ROOF_IMPORTS_ALLOWED = {("portal", "celery"), ("demo", "celery")}


def _is_test(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).parts
    return any(p == "tests" or p.startswith("tests_") or p == "conftest.py" for p in parts)


def product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if not _is_test(path):
            yield path


def _module_name(path: Path) -> list[str]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(path: Path):
    """(dotted name, line) of every jxjy module `path` imports, wherever the import statement stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from jxjy import exams` names an app too
                yield f"{module}.{alias.name}", node.lineno
        elif _is_dynamic_import(node):
            yield node.args[0].value, node.lineno


def _is_dynamic_import(node) -> bool:
    """`importlib.import_module("jxjy.x")` or `__import__("jxjy.x")` with a literal name."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    first = node.args[0]
    return name in {"import_module", "__import__"} and isinstance(first, ast.Constant) and isinstance(first.value, str)


def app_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "jxjy" else None


def arrows():
    """(from app, to app, file, line) for every import that crosses from one app (or the roof) to another."""
    for path in product_modules():
        source = app_of(".".join(_module_name(path))) or "settings"  # jxjy/*.py: the roof
        for module, line in imported_modules(path):
            target = app_of(module)
            if target is None or target == source or not (PACKAGE / target).exists() and target not in ROOF:
                continue
            yield source, target, path.relative_to(PACKAGE.parent), line


def forbidden(source, target) -> str | None:
    """Why the arrow source → target breaks the rule, or None."""
    if source in ROOF:
        return None
    if source not in ROW:
        return f"app “{source}” has no row in DESIGN.md §3 (add it to ROWS)"
    if target in ROOF:
        return None if (source, target) in ROOF_IMPORTS_ALLOWED else f"{source} imports the project module {target}"
    if target not in ROW:
        return f"app “{target}” has no row in DESIGN.md §3 (add it to ROWS)"
    if ROW[target] > ROW[source]:
        return f"{source} (row {ROW[source]}) imports {target} (row {ROW[target]}), which stands above it"
    if ROW[target] == ROW[source]:
        return f"{source} and {target} stand on one row and must not import each other"
    return None


def test_every_import_points_down():
    broken = {
        f"{path}:{line}: {reason}" for source, target, path, line in arrows() if (reason := forbidden(source, target))
    }
    assert not broken, "imports against DESIGN.md §3:\n" + "\n".join(sorted(broken))


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the app graph, as a path that starts and ends at the same app, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_app_cycle():
    edges: dict[str, set[str]] = {}
    for source, target, _, _ in arrows():
        if source not in ROOF and target not in ROOF:
            edges.setdefault(source, set()).add(target)
    assert find_cycle(edges) is None, "a cycle between apps: " + " → ".join(find_cycle(edges))


def test_every_app_has_a_row():
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}
    assert apps - set(ROW) == set(), "apps without a row in DESIGN.md §3"


# --- The checks check something ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "verdict"),
    [
        ("learning", "exams", "above"),
        ("orders", "learning", "above"),
        ("learning", "payments", "one row"),
        ("declarations", "office", "above"),
        ("exams", "learning", None),
        ("office", "lib", None),
        ("reports", "lib", "no row"),
        ("lib", "settings", "project module"),
    ],
)
def test_the_rule_judges_arrows(source, target, verdict):
    reason = forbidden(source, target)
    assert (reason is None) if verdict is None else (verdict in reason)


def test_a_lazy_import_is_seen(tmp_path, monkeypatch):
    module = PACKAGE / "learning" / "services.py"
    names = {m for m, _ in imported_modules(module)}
    assert any(app_of(m) == "credits" for m in names)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from jxjy.exams import services\n    import importlib\n"
        "    importlib.import_module('jxjy.office.menu')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(
        "jxjy.tests_architecture.test_layering._module_name", lambda path: ["jxjy", "learning", "probe"]
    )
    found = {app_of(m) for m, _ in imported_modules(probe)}
    assert {"exams", "office"} <= found


def test_a_cycle_is_found():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
