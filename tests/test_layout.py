"""The package's layout: every import, at module level or inside a function, goes down the
layers below (never up, never in a cycle), read from the source with ast, so it holds for the
lazy imports too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "nncomp"

# Lower layers never import higher ones; a module may import its own layer's modules.
LAYERS = [
    ("nncomp._version", "nncomp.errors", "nncomp.system"),  # no nncomp imports but these
    ("nncomp.config",),  # what a header stores about the model
    ("nncomp.presets", "nncomp.limits", "nncomp.format", "nncomp.models"),  # recipes, decoding
    # limits; the format; the integer models
    ("nncomp.net",),  # the networks (torch)
    ("nncomp.engine",),  # the loop over the predictor stack
    ("nncomp.frame", "nncomp.checkpoint", "nncomp.workers"),  # one frame both ways; resumable
    # runs; frames in worker processes
    ("nncomp.cluster",),  # frames as Ray tasks (workers.Pool's interface)
    ("nncomp.compressor",),  # the options objects
    ("nncomp.api", "nncomp.fileobj"),  # one-shot and streaming functions, file objects
    ("nncomp.cli", "nncomp.bench", "nncomp.__main__", "nncomp"),  # front ends, the public names
]


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The nncomp modules `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "nncomp"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "nncomp":
                continue
            # `from X import y` imports module X.y where y is one, else X itself.
            subs = {f"{target}.{a.name}" for a in node.names} & MODULES.keys()
            found |= subs or {target}
    return found - {name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(name: str) -> int:
    for i, members in enumerate(LAYERS):
        if any(name == m or name.startswith(m + ".") for m in members if m != "nncomp"):
            return i
    assert name == "nncomp", f"{name} is in no layer: add it to LAYERS"
    return len(LAYERS) - 1


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_higher_layer(name):
    upward = sorted(t for t in GRAPH[name] if _layer(t) > _layer(name))
    assert not upward, f"{name} (layer {_layer(name)}) imports {upward}"


def test_no_import_cycles():
    """Tarjan's strongly connected components of the import graph: all of size one."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles


def test_the_graph_is_read():
    """The checks above see real edges (a parser that found none would pass them)."""
    assert "nncomp.engine.stack" in GRAPH["nncomp.engine.loop"]
    assert "nncomp.net" in GRAPH["nncomp.engine.stack"]
    assert "nncomp.engine.loop" in GRAPH["nncomp.frame"]  # a lazy import, inside a function
    assert "nncomp.format.container" in GRAPH["nncomp.frame"]
