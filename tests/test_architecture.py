"""The layout docs/architecture.md describes: no import cycle, layers in order."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "alliances"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """(module-level imports of alliances modules, imports of alliances modules inside functions)."""
    tree = ast.parse(path.read_text())
    top, nested = set(), set()

    def targets(node):
        if isinstance(node, ast.Import):
            return {alias.name for alias in node.names}
        if isinstance(node, ast.ImportFrom) and node.module:
            return {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        return set()

    for node in tree.body:
        top |= targets(node)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                nested |= targets(inner)
    return {t for t in top if t.startswith("alliances")}, {t for t in nested if t.startswith("alliances")}


def graph():
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    edges = {}
    for name, path in modules.items():
        top, _ = imports(path)
        edges[name] = {t for t in top if t in modules and t != name}
    return modules, edges


def test_no_import_cycle():
    _, edges = graph()
    visiting, done, cycles = set(), set(), []

    def visit(node, trail):
        if node in done:
            return
        if node in visiting:
            cycles.append(trail[trail.index(node) :] + [node])
            return
        visiting.add(node)
        for target in sorted(edges[node]):
            visit(target, trail + [node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(edges):
        visit(node, [])
    assert cycles == []


def test_no_import_of_our_own_modules_inside_functions():
    modules, _ = graph()
    assert {name: sorted(imports(path)[1]) for name, path in modules.items() if imports(path)[1]} == {}


def test_the_domain_does_not_import_the_api_or_the_admin():
    _, edges = graph()
    domain = [
        "alliances.models",
        "alliances.rules.periods",
        "alliances.rules.problems",
        "alliances.rules.memberships",
        "alliances.validation",
        "alliances.services",
        "alliances.selectors",
    ]
    for name in domain:
        assert not {t for t in edges[name] if t.startswith(("alliances.api", "alliances.admin"))}, name


def test_the_platform_does_not_import_the_api_or_the_admin():
    _, edges = graph()
    for name, targets in edges.items():
        if name.startswith("alliances.platform"):
            assert not {t for t in targets if t.startswith(("alliances.api", "alliances.admin"))}, name


def test_the_domain_does_not_import_the_platform():
    """The platform serves answers; what a name means, and every rule, is decided below it (alliances/names.py)."""
    _, edges = graph()
    above = ("alliances.platform", "alliances.api", "alliances.admin", "alliances.web", "alliances.management")
    interfaces = {"alliances.opendata.views"}  # the downloads pages: an interface inside opendata/
    offenders = {
        name: sorted(t for t in targets if t.startswith("alliances.platform"))
        for name, targets in edges.items()
        if not name.startswith(above) and name not in interfaces
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


def all_imports(path):
    """Every module ``path`` imports, at any depth (``import x``, ``from x import y``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_rulebook_imports_no_django_and_no_orm():
    """``alliances/rules/`` reasons over plain periods and names: no Django, no models, no queries.

    It may use the text normaliser (``alliances.text``, itself pure) and its own modules only.
    """
    rules = sorted((PACKAGE / "rules").glob("*.py"))
    assert {p.stem for p in rules} >= {"__init__", "periods", "problems", "memberships", "successions"}
    for path in rules:
        outside = {
            name
            for name in all_imports(path)
            if name.startswith(("django", "rest_framework"))
            or (name.startswith("alliances") and not name.startswith(("alliances.rules", "alliances.text")))
        }
        assert outside == set(), path.name
    assert not {name for name in all_imports(PACKAGE / "text.py") if name.startswith(("django", "alliances"))}
