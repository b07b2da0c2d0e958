"""Finding every map a program can name: package globals of map type, and map
fields reached from globals through structs, pointers, arrays and slices."""

from dataclasses import dataclass

from .decoding import DumpOptions
from .errors import GomapError, TargetGone

SKIP_PREFIXES = ("runtime.", "internal/", "sync.", "syscall.", "os.", "reflect.",
                 "unicode.", "time.", "go:", "type:", "crypto/", "vendor/")
MAX_ITEMS = 64
MAX_DEPTH = 3

# What list and report search, for their help: they are the fast view; the census
# (gomap census) is the one that walks goroutine stacks and the whole heap.
SEARCHED = (f"Searched: package globals of map type, and maps reached from globals "
            f"through struct fields, pointers, arrays and slices, at most {MAX_DEPTH} "
            f"steps deep and the first {MAX_ITEMS} items of an array or slice.  Not "
            f"searched: goroutine stacks, map keys and values, interfaces, channels and "
            f"the rest of the heap; 'gomap census' walks all of those.")


def not_searched(census_command, searched="globals only"):
    """The line a listing ends with: what it did not search, and what does."""
    return (f"({searched}, {MAX_DEPTH} steps deep, the first {MAX_ITEMS} items of a slice; "
            f"not searched: goroutine stacks, map keys and values, interfaces, channels, "
            f"the rest of the heap: {census_command} walks them)")


@dataclass
class FoundMap:
    expr: str          # how to name it again (a gomap expression)
    map_type: object   # GoType, None when the variable could not be read
    header: int        # header address (0: nil)
    snapshot: object = None
    error: str = ""

    @property
    def type_name(self):
        return self.map_type.name if self.map_type is not None else "?"


def _word(target, addr):
    arch = target.arch
    return arch.word(target.memory.read(addr, arch.ptr))


def _walk(target, expr, loc, t, depth, out, seen):
    mem = target.memory
    if t is None or depth > MAX_DEPTH:
        return
    if t.kind == "map":
        out.append(FoundMap(expr, t, _word(target, loc)))
        return
    if t.kind == "ptr":
        tgt = t.elem
        if tgt is None or tgt.kind not in ("struct", "map", "array"):
            return
        p = _word(target, loc)
        if not p or p in seen:
            return
        seen.add(p)
        _walk(target, expr, p, tgt, depth + 1, out, seen)
    elif t.kind == "struct":
        for f in t.fields:
            if f.type is not None and f.name != "_":
                _walk(target, f"{expr}.{f.name}", loc + f.offset, f.type, depth + 1, out, seen)
    elif t.kind == "array" and t.elem is not None and _may_hold_map(t.elem):
        for i in range(min(t.count, MAX_ITEMS)):
            _walk(target, f"{expr}[{i}]", loc + i * t.elem.size, t.elem, depth + 1, out, seen)
    elif t.kind == "slice" and t.elem is not None and _may_hold_map(t.elem):
        data = _word(target, loc)
        ptr = target.arch.ptr
        n = int.from_bytes(mem.read(loc + ptr, ptr), target.arch.order, signed=True)
        for i in range(min(max(n, 0), MAX_ITEMS)):
            _walk(target, f"{expr}[{i}]", data + i * t.elem.size, t.elem, depth + 1, out, seen)


def walk_value(target, expr, loc, t, out):
    """Append to ``out`` a FoundMap for each map the value of type ``t`` at ``loc``
    holds (``expr`` and the path from it), searched as list searches a global."""
    _walk(target, expr, loc, t, 0, out, set())


def _may_hold_map(t, depth=0):
    if depth > 3:
        return False
    if t.kind == "map":
        return True
    if t.kind == "ptr":
        return t.elem is not None and t.elem.kind in ("struct", "map") and \
            _may_hold_map(t.elem, depth + 1)
    if t.kind == "struct":
        return any(f.type is not None and _may_hold_map(f.type, depth + 1) for f in t.fields)
    if t.kind == "array":
        return t.elem is not None and _may_hold_map(t.elem, depth + 1)
    return False


def find_maps(target, include_runtime=False, extra=()):
    """Every map reachable from package globals, decoded as summaries.

    ``extra`` adds (expr, map GoType, header) triples found elsewhere (gdb's locals).
    Returns FoundMap objects sorted by bytes held, largest first.
    """
    out = []
    for name in sorted(target.index.variables):
        if not include_runtime and name.startswith(SKIP_PREFIXES):
            continue
        try:
            loc, t = target.variable(name)
            if t.kind in ("map", "struct", "ptr", "array", "slice") and \
                    (t.kind == "map" or _may_hold_map(t if t.kind != "slice" else t.elem)):
                _walk(target, name, loc, t, 0, out, set())
        except TargetGone:   # nothing more to find: one error, not one per map
            raise
        except GomapError as exc:
            out.append(FoundMap(name, None, 0, None, str(exc)))
    for expr, mt, header in extra:
        out.append(FoundMap(expr, mt, header))
    for fm in out:
        if fm.error or fm.map_type is None:
            continue
        try:
            fm.snapshot = target.dump(fm.map_type, fm.header, DumpOptions(entries=False))
        except TargetGone:
            raise
        except GomapError as exc:
            fm.error = str(exc)
    out.sort(key=lambda f: (-(f.snapshot.stats.get("bytes", {}).get("total", 0)
                              if f.snapshot else -1), f.expr))
    return out
