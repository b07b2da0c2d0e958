"""The core never imports gdb: every module outside gdb_gomap/gdb imports with gdb absent;
the gdb front end's modules import one another without a cycle; and the data model
(the decoders, the snapshot, the values) imports neither json nor a renderer."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import gdb_gomap

ROOT = Path(__file__).resolve().parent.parent


def core_modules():
    for info in pkgutil.walk_packages(gdb_gomap.__path__, "gdb_gomap."):
        if info.name.startswith("gdb_gomap.gdb") or info.name == "gdb_gomap.gdbinit":
            continue
        yield info.name


def test_core_imports_without_gdb():
    mods = sorted(core_modules())
    assert "gdb_gomap.classic" in mods and "gdb_gomap.swiss" in mods
    code = ("import sys; sys.modules['gdb'] = None\n"
            "import importlib\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "print('imported', len(sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "imported" in r.stdout


def test_gdb_front_end_needs_gdb():
    code = ("import sys; sys.modules['gdb'] = None\n"
            "import gdb_gomap.gdb.commands\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode != 0 and "gdb" in r.stderr


def module_imports(path, name, is_package, modules):
    """The modules of ``modules`` that the file ``path`` (module ``name``) imports, also
    inside functions.

    ``from P import x`` is an import of the module ``P.x`` when there is one,
    else of ``P`` (x is a name defined in P); a relative import is resolved
    against ``name``.
    """
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in modules else base)
    return out & set(modules)


def import_graph(package):
    """{module: the modules it imports} among the modules of ``package`` and below.

    Read from the files, not imported: the gdb front end imports only inside gdb.
    """
    top = ROOT.joinpath(*package.split("."))
    files = {}
    for path in sorted(top.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return {name: module_imports(path, name, is_package, files)
            for name, (path, is_package) in files.items()}


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state = {}
    stack = []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                got = visit(n)
                if got:
                    return got
        stack.pop()
        state[m] = "done"
        return None

    for m in sorted(graph):
        if m not in state:
            got = visit(m)
            if got:
                return got
    return None


def test_cycle_finder_finds_a_cycle():
    """The check below can fail: a graph with a cycle gives that cycle."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_gdb_front_end_has_no_import_cycle():
    graph = import_graph("gdb_gomap.gdb")
    # The graph is read right: the edges a command module and the registry must have.
    assert "gdb_gomap.gdb.command" in graph["gdb_gomap.gdb.commands.dump"]
    assert {"gdb_gomap.gdb.commands.dump", "gdb_gomap.gdb.commands.watch",
            "gdb_gomap.gdb.settings"} <= graph["gdb_gomap.gdb.commands"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# -- the data model knows nothing of JSON ---------------------------------------------

# The decoders and the value model; with everything they import (below) they are the
# data model, which render/jsonout.py alone turns into JSON.
DATA_MODEL_ROOTS = ("gdb_gomap.classic", "gdb_gomap.swiss", "gdb_gomap.layout",
                    "gdb_gomap.snapshot", "gdb_gomap.values", "gdb_gomap.strread",
                    "gdb_gomap.valuedecode")


def data_model_modules(graph):
    """DATA_MODEL_ROOTS and every gdb_gomap module they import, directly or not.

    The DWARF reader (gdb_gomap.dwarf) is left out: the data model names its types
    only for type hints, and the reader keeps its own index cache as JSON.
    """
    seen = set()
    todo = list(DATA_MODEL_ROOTS)
    while todo:
        m = todo.pop()
        if m in seen or m.startswith("gdb_gomap.dwarf"):
            continue
        seen.add(m)
        todo.extend(graph[m])
    return seen


def json_or_render_imports(name, graph):
    """What module ``name`` imports that is JSON or a renderer: the json package (and
    its submodules) or gdb_gomap.render and below."""
    path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
    if not path.exists():
        path = ROOT.joinpath(*name.split("."), "__init__.py")
    tree = ast.parse(path.read_text(), str(path))
    out = {m for m in graph[name] if m == "gdb_gomap.render" or m.startswith("gdb_gomap.render.")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        out.update(n for n in names if n == "json" or n.startswith("json."))
    return out


def test_json_check_sees_json_and_render_imports():
    """The check below can fail: the modules that make JSON and text are caught."""
    graph = import_graph("gdb_gomap")
    assert json_or_render_imports("gdb_gomap.render.jsonout", graph) >= {"json", "json.encoder"}
    assert {"gdb_gomap.render.jsonout", "gdb_gomap.render.text"} <= \
        json_or_render_imports("gdb_gomap.render.output", graph)


def test_data_model_imports_neither_json_nor_renderers():
    graph = import_graph("gdb_gomap")
    model = data_model_modules(graph)
    # The walk is read right: the decoders reach the snapshot, the values and their readers.
    assert {"gdb_gomap.snapshot", "gdb_gomap.values", "gdb_gomap.strread",
            "gdb_gomap.valuedecode", "gdb_gomap.memory", "gdb_gomap.slab"} <= model
    bad = {m: sorted(json_or_render_imports(m, graph)) for m in sorted(model)}
    bad = {m: got for m, got in bad.items() if got}
    assert not bad, f"the data model imports JSON or a renderer: {bad}"
