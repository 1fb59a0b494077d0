"""No import cycle between any two modules of the bot, its adapters or the simulator.

pyproject.toml's import contracts (`make lint`) forbid cycles between sibling packages and
modules; this also catches a cycle through a package's own `__init__`, which they do not see.
"""

from __future__ import annotations

import grimp

PACKAGES = ("bot", "adapters", "venice_simulator")


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each cycle once, as its shortest path from its first module back to it."""
    cycles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.setdefault(frozenset(back), (importer, *back))
    return list(cycles.values())


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    found = [" -> ".join(cycle) for cycle in import_cycles(graph)]
    assert found == []


def test_a_cycle_through_a_package_init_is_named():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b"):
        graph.add_module(module)
    graph.add_import(importer="pkg", imported="pkg.a")
    graph.add_import(importer="pkg.a", imported="pkg")
    graph.add_import(importer="pkg.a", imported="pkg.b")
    assert import_cycles(graph) == [("pkg", "pkg.a", "pkg")]
