"""A command's EXPR, evaluated by gdb, as the map it names: (map GoType, header address).

``ADDRESS:TYPE`` and ``--type`` take the address as given; a package global
path is read straight from DWARF (``gdb_gomap.resolve``); anything else is
gdb's to evaluate, in the selected frame, after ``gdb_gomap.exprcheck`` has
refused side effects.
"""

import re

import gdb

from ..census.stacks import Frame
from ..errors import ExprSyntax, GomapError, NoSuchName, NotAMap, UsageError
from ..expr import UnknownName, resolve_map, split_addr_type
from ..exprcheck import check as check_expression
from ..locals import FrameScope


def resolve(target, words, type_name):
    """(map GoType, header address) for the expression words."""
    expr = " ".join(words)
    at = split_addr_type(expr) if type_name is None and len(words) == 1 else None
    if at is not None:
        expr, type_name = hex(at[0]), at[1]   # a number: nothing for gdb to evaluate
    else:
        # Before gdb sees it: an assignment or a call would change the program.
        check_expression(expr, lambda name: name in target.index.types)
    if type_name is not None:
        mt = target.map_type(type_name)
        try:
            addr = int(gdb.parse_and_eval(expr))
        except gdb.error as exc:
            raise UsageError(f"cannot evaluate address {expr!r}: {exc}") from exc
        return mt, addr
    syntax = None
    try:
        # gomap's own grammar first: globals from DWARF, locals of the selected
        # frame with their own types, map keys, interfaces (gdb_gomap.expr)
        return resolve_map(target, expr, _SelectedFrame(target))
    except ExprSyntax as exc:
        syntax = exc                           # not gomap's grammar: gdb evaluates it
    except UnknownName:
        pass
    _reject_unknown_global(target, expr)
    val = None
    first_error = None
    for candidate in _spellings(target, expr):
        try:
            val = gdb.parse_and_eval(candidate)
            break
        except gdb.error as exc:
            first_error = first_error or exc
    if val is None:
        if syntax is not None:
            raise syntax
        raise NoSuchName(f"cannot evaluate {expr!r}: {str(first_error).rstrip('.')}; name a "
                         f"package global as 'main.cache' or select the frame that has the "
                         f"local")
    return map_of_value(target, val, expr)


def _reject_unknown_global(target, expr):
    """'main.nosuch' names no variable: say so (gdb's Go parser may return a stale value)."""
    m = re.match(r"([\w./-]+)\.([A-Za-z_]\w*)", expr)
    if not m:
        return
    packages = {v.rsplit(".", 1)[0] for v in target.index.variables}
    if m.group(1) in packages:
        raise NoSuchName(f"cannot evaluate {expr!r}: package {m.group(1)} has no variable "
                         f"{m.group(2)!r} ('gomap-list' shows the maps there are)")


class _SelectedFrame:
    """gdb's selected frame as a scope, read only when a name needs it (a package
    global never does: gomap-watch resolves its map at every stop)."""

    def __init__(self, target):
        self.target = target
        self._scope = False

    def _get(self):
        if self._scope is False:
            self._scope = frame_scope(self.target)
        return self._scope

    def lookup(self, name):
        scope = self._get()
        return scope.lookup(name) if scope is not None else None

    @property
    def where(self):
        scope = self._get()
        return scope.where if scope is not None else "the selected frame"


def frame_scope(target, frame=None):
    """A FrameScope of gdb's ``frame`` (the selected one by default), or None when
    there is no frame or gomap's DWARF has no function at its pc."""
    try:
        frame = frame or gdb.selected_frame()
        pc = frame.pc()
        # a caller's pc is a return address (looked up at pc - 1), unless the frame
        # below it is a signal handler's
        newer = frame.newer()
        call = newer is not None and newer.type() != gdb.SIGTRAMP_FRAME
        arch = target.arch
        regs = None
        if frame.level() == 0:
            regs = {r: int(frame.read_register(r)) & arch.mask for r in arch.dwarf_regs}
        older = frame.older()
        if older is not None:      # the CFA is the caller's sp
            cfa = int(older.read_register(arch.sp)) & arch.mask
        else:
            pcln = target.pclntab()
            func = pcln.find(pc)
            if func is None:
                return None
            cfa = (int(frame.read_register(arch.sp)) & arch.mask) + \
                pcln.frame_size(func, pc) + (0 if arch.uses_lr else arch.ptr)
    except (gdb.error, RuntimeError, GomapError):
        return None
    name = frame.name() or f"{pc:#x}"
    scope = FrameScope(target, Frame(None, pc, None, cfa, regs, call, arch),
                       f"frame {frame.level()} ({name})")
    return scope if scope.has_function() else None


def _spellings(target, expr):
    """The expression as typed, then with its package-qualified head quoted.

    gdb parses 'main.cache' only in Go mode; in a runtime assembly frame the
    quoted form "'main.cache'" works, and fields follow it ('main.srv'.cache).
    """
    yield expr
    if expr.startswith("'"):
        return
    head = expr
    for stop in "[(-+*/ ":
        head = head.split(stop, 1)[0]
    parts = head.split(".")
    for n in range(len(parts), 1, -1):
        name = ".".join(parts[:n])
        if name in target.index.variables:
            yield f"'{name}'" + expr[len(name):]
            return


def map_of_value(target, val, expr):
    """(map GoType, header address) of the gdb.Value ``val`` (a map, or a pointer to one)."""
    t = val.type
    # A pointer to a map: look through it.
    st = t.strip_typedefs()
    if st.code == gdb.TYPE_CODE_PTR and st.target().name and \
            is_map_name(target, st.target().name):
        val = val.dereference()
        t = val.type
    name = t.name or t.strip_typedefs().name
    if not name:
        raise NotAMap(f"{expr!r} has an unnamed type ({t}); it is not a Go map")
    try:
        mt = target.types.by_name(name, want_kind="map")
    except NoSuchName:
        raise NotAMap(f"{expr!r} is a {name}, not a Go map") from None
    if mt.kind != "map":
        raise NotAMap(f"{expr!r} is a {name} ({mt.kind}), not a Go map")
    try:
        try:
            addr = int(val.cast(gdb.lookup_type("uintptr")))
        except gdb.error as exc:
            if "optimized out" in str(exc):
                raise
            addr = int(val)
    except gdb.error as exc:
        raise NoSuchName(f"{expr!r}: {exc} here; try another frame, a -N -l build, or "
                         f"ADDRESS:TYPE if you know the header address") from None
    return mt, addr


def is_map_name(target, name):
    """Whether the DWARF type called ``name`` is a map type."""
    offs = target.index.types.get(name)
    return bool(offs) and target.types.get(offs[0]).kind == "map"
