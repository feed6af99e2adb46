"""No import circles: the modules of a package (by dotted prefix) import each other one way.

The graph is read from the source with `ast`, not by importing: every `import` and
`from ... import` counts, wherever it stands (inside a function, under TYPE_CHECKING), since
each is an arrow in the structure. `from a.b import c` points at the module a.b.c if there is
one, else at a.b. Importing a.b.c also runs a/b/__init__.py, but that implicit arrow is left
out (otherwise every package whose __init__ re-exports its modules would be a circle).

Run as a script to list the circles of any prefix: python tests/unit/test_import_graph.py bot
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_files(root: Path, top: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under root/top (a package __init__ is the
    package's own name)."""
    out: dict[str, Path] = {}
    for path in sorted((root / top).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Dotted names each import statement of a module refers to (candidates, unresolved)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                # a.b.c if c is a module, else (a name defined in a.b) resolved to a.b below
                yield f"{base}.{alias.name}" if alias.name != "*" else base


def import_graph(root: Path, prefix: str) -> dict[str, set[str]]:
    """Module -> the modules it imports, both within `prefix` (a dotted name, e.g. bot.sandbox)."""
    top = prefix.split(".")[0]
    files = module_files(root, top)

    def inside(name: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        if not inside(module):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets: set[str] = set()
        for name in _imported_names(tree, module, path.name == "__init__.py"):
            # The longest known module the name starts with: a.b.c if it is a module, else a.b.
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module and inside(name):
                targets.add(name)
        graph[module] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(out)


def a_cycle(graph: dict[str, set[str]], component: Iterable[str]) -> list[str]:
    """One concrete circle through a component, as a path that ends where it starts."""
    members = set(component)
    start = min(members)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no circle through {start}")  # a component always has one


def import_cycles(prefix: str, root: Path = ROOT) -> list[list[str]]:
    """One circle per group of modules under `prefix` that import each other round."""
    graph = import_graph(root, prefix)
    return [a_cycle(graph, component) for component in strongly_connected(graph)]


def package_graph(prefix: str, root: Path = ROOT) -> dict[str, set[str]]:
    """The module graph folded to the packages one level below `prefix` (bot.content,
    bot.cases, ...): an arrow wherever a module of one imports a module of another."""
    depth = prefix.count(".") + 2

    def package(module: str) -> str:
        return ".".join(module.split(".")[:depth])

    folded: dict[str, set[str]] = {}
    for module, targets in import_graph(root, prefix).items():
        node = folded.setdefault(package(module), set())
        node |= {package(t) for t in targets} - {package(module)}
    return folded


@pytest.mark.parametrize("prefix", ["bot", "bot.sandbox"])
def test_no_import_cycles(prefix: str) -> None:
    cycles = import_cycles(prefix)
    assert cycles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_packages_import_each_other_one_way() -> None:
    """Layers, not only modules: e.g. content below cases and flows, bundle above them."""
    graph = package_graph("bot")
    circles = [a_cycle(graph, c) for c in strongly_connected(graph)]
    assert circles == [], "package circles:\n" + "\n".join(" -> ".join(c) for c in circles)
    assert not graph["bot.content"] & {"bot.cases", "bot.flows", "bot.bundle", "bot.handlers"}


def test_the_checker_finds_a_circle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import C\n"
    )
    (pkg / "c.py").write_text("def f():\n    import pkg.a\n")
    (pkg / "d.py").write_text("from pkg import a\n")  # into the circle, not part of it
    assert import_cycles("pkg", tmp_path) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]
    assert import_cycles("pkg.sub", tmp_path) == []


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["bot"]:
        found = import_cycles(arg)
        print(f"{arg}: {len(found)} circle(s)")
        for cycle in found:
            print("  " + " -> ".join(cycle))
