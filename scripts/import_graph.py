"""Figures of the package's import graph: modules, rooms, arrows between rooms, floors, cycles.

A room is a top-level module or package of ``promoteros_pipelines``, except that each business
area under ``defs/`` is a room of its own. An arrow is "some module of room A imports some
module of room B" (imports inside functions count: they are dependencies too). Floors are the
layers of the room graph (a room sits one floor above the highest room it imports); an import
that points up a floor, or a cycle, is what the layout forbids.

    python scripts/import_graph.py [--json] [PACKAGE_DIR]
"""

import ast
import json
import sys
from pathlib import Path

PACKAGE = "promoteros_pipelines"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, name: str, *, ours_only: bool = True) -> set[str]:
    """Every module the file imports (at any depth of the code, function bodies included);
    only ``promoteros_pipelines`` modules unless ``ours_only`` is False."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    if not ours_only:
        return found
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def third_party_reach(root: Path, start: str) -> dict[str, set[str]]:
    """Every non-package module reachable from package ``start`` (e.g.
    ``promoteros_pipelines.domain``) through our own imports, with the modules of ours that
    import it: what importing ``start`` can pull in."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    todo = [m for m in modules if m == start or m.startswith(start + ".")]
    seen: set[str] = set()
    reach: dict[str, set[str]] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for target in imported_modules(modules[name], name, ours_only=False):
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules:
                    todo.append(target)
            else:
                reach.setdefault(target.split(".")[0], set()).add(name)
    return reach


def room_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "defs":
        return "defs." + parts[2]
    return parts[1] if len(parts) > 1 else "__init__"


def graph(root: Path) -> dict:
    modules = {module_name(p, root): p for p in root.rglob("*.py") if "migrations" not in p.parts}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        room = room_of(name)
        edges.setdefault(room, set())
        for target in imported_modules(path, name):
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and room_of(target) != room:
                edges[room].add(room_of(target))
    rooms = sorted(edges)
    cycles = _cycles(edges)
    floors = _floors(edges, cycles)
    arrows = sum(len(t) for t in edges.values())
    return {
        "modules": len(modules),
        "rooms": len(rooms),
        "arrows": arrows,
        "floors": max(floors.values()) + 1 if floors else 0,
        "cycles": [sorted(c) for c in cycles],
        "floor_of": floors,
        "edges": {r: sorted(t) for r, t in sorted(edges.items())},
    }


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one room (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10_000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def _floors(edges: dict[str, set[str]], cycles: list[set[str]]) -> dict[str, int]:
    in_cycle = {r: i for i, c in enumerate(cycles) for r in c}
    memo: dict[str, int] = {}

    def floor(room: str, seen: frozenset[str]) -> int:
        if room in memo:
            return memo[room]
        below = [
            t
            for t in edges.get(room, ())
            if t not in seen and in_cycle.get(t, -1) != in_cycle.get(room, -2)
        ]
        value = 1 + max((floor(t, seen | {room}) for t in below), default=-1)
        memo[room] = value
        return value

    return {room: floor(room, frozenset()) for room in edges}


def main(argv: list[str]) -> None:
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    root = Path(args[0]) if args else Path(__file__).resolve().parents[1] / PACKAGE
    figures = graph(root)
    if as_json:
        sys.stdout.write(json.dumps(figures, indent=2) + "\n")
        return
    sys.stdout.write(
        f"{figures['modules']} modules, {figures['rooms']} rooms, {figures['arrows']} arrows, "
        f"{figures['floors']} floors, {len(figures['cycles'])} cycles\n"
    )
    for cycle in figures["cycles"]:
        sys.stdout.write(f"  cycle: {' <-> '.join(cycle)}\n")
    by_floor: dict[int, list[str]] = {}
    for room, level in figures["floor_of"].items():
        by_floor.setdefault(level, []).append(room)
    for level in sorted(by_floor, reverse=True):
        sys.stdout.write(f"  floor {level}: {', '.join(sorted(by_floor[level]))}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
