"""The locals and arguments of one frame of one goroutine, as an expression scope.

A :class:`FrameScope` answers ``lookup(name)`` for :mod:`gdb_gomap.expr`: the
variable's DIE is found in the DWARF of the function the frame runs (by its
pc, inlined functions and lexical blocks included), its type is the one that
DIE names (so each instantiation of a generic function has its own, never one
found by name across instantiations), and its place comes from its DWARF
location at that pc, evaluated with the frame's CFA and registers.

Frames come from the census's unwinder (:mod:`gdb_gomap.census.stacks`) for
cores and live pids (:func:`goroutine_frame`, the CLI's ``--goroutine ID
--frame N|FUNC``), or from gdb's selected frame (``gdb/evaluate.py``).
"""

from .census.goroutines import DEAD, NoGoroutines, read_goroutines
from .census.stacks import (NotAddressable, locate, origin, subprograms, unwind_all,
                            variable_type)
from .errors import GomapError, NoSuchName, UsageError

GO_DICT_INDEX = 0x2906   # DW_AT_go_dict_index: the type's entry in the function's dictionary


class FrameScope:
    """The variables in scope in ``frame`` (a census ``stacks.Frame``: pc, cfa,
    registers of the innermost frame); ``where`` names the frame in messages."""

    def __init__(self, target, frame, where):
        self.target, self.frame, self.where = target, frame, where
        self.index = subprograms(target)
        self.pc = frame.lookup_pc
        self._sub = self.index.find(self.pc)

    def has_function(self):
        """Whether the DWARF has the function the frame runs."""
        return self._sub is not None

    def variables(self):
        """[(name, GoType, DIE, kind)] in scope, innermost block last."""
        if self._sub is None:
            return []
        out = []
        for die, kind, _inlined in self.index.variables(self._sub, self.pc):
            name, t = variable_type(self.target, die)
            if name and t is not None:
                out.append((name, t, die, kind))
        return out

    def lookup(self, name):
        """The Place of local or argument ``name``, or None when the frame has none."""
        from .expr import Place
        found = [v for v in self.variables() if v[0] == name]
        if not found:
            return None
        why = None
        for _name, t, die, _kind in reversed(found):     # the innermost first
            try:
                addr, value = self.place_of(die, t)
            except NotAddressable as exc:
                why = why or str(exc)
                continue
            t = self.real_type(die, t)
            return Place(t, addr) if value is None else Place(t, None, value)
        raise NoSuchName(f"{name} in {self.where}: {why}; try another frame or a "
                         f"-gcflags=all='-N -l' build")


    def place_of(self, die, t):
        """(address, value bytes) of variable ``die`` here; NotAddressable if none."""
        expr = self.index.location(die, self.pc)
        if expr is None:
            raise NotAddressable("it has no location at this pc (not live here)")
        return locate(expr, self.frame, self.target.memory, t.size)

    def real_type(self, die, t):
        """The type a variable of a generic function really has in this call: its DIE
        names a shape type ('.param2', map[go.shape.int]go.shape.float32) whose
        typedef says which entry of the function's dictionary (argument '.dict')
        holds the runtime type; that runtime type's DWARF type is the real one
        (map[int]float32).  ``t`` itself when there is none or it cannot be read."""
        try:
            tdie = origin(die).get_DIE_from_attribute("DW_AT_type")
            idx = tdie.attributes.get(GO_DICT_INDEX)
            if idx is None:
                return t
            d = next((v for v in self.variables() if v[0] == ".dict"), None)
            if d is None:
                return t
            addr, value = self.place_of(d[2], d[1])
            mem = self.target.memory
            dict_ptr = int.from_bytes(value if value is not None else mem.read(addr, 8),
                                      "little")
            rtype = int.from_bytes(mem.read(dict_ptr + 8 * idx.value, 8), "little")
            real = self.target.types.by_runtime_type(rtype - self.target.binary.types_base())
        except (GomapError, NotAddressable, KeyError, ValueError, AttributeError):
            return t
        return real if real is not None and real.size == t.size else t


def parse_frame_spec(text):
    """'3' -> 3, 'main.work' -> 'main.work'."""
    text = text.strip()
    return int(text) if text.isdigit() else text


def goroutine_frame(target, goid, spec, threads=None):
    """(FrameScope) of frame ``spec`` (its number, innermost 0, or the innermost
    frame of the function named, with or without its [type parameters]) of
    goroutine ``goid``."""
    try:
        gs, _bad = read_goroutines(target, threads)
    except NoGoroutines as exc:
        raise UsageError(f"cannot list goroutines: {exc}") from None
    g = next((g for g in gs if g.goid == goid and g.status != DEAD), None)
    if g is None:
        raise NoSuchName(f"no goroutine {goid}; 'gomap census' shows the goroutines")
    unread: list = []
    unwind_all(target, [g], unread)
    frames = g.frames
    if not frames:
        why = unread[0].reason if unread else "no frames"
        raise NoSuchName(f"goroutine {goid}: {why}")
    names = [f.func.name for f in frames]
    if isinstance(spec, int):
        if not 0 <= spec < len(frames):
            raise NoSuchName(f"goroutine {goid} has frames 0..{len(frames) - 1}: "
                             f"{_listing(names)}")
        n = spec
    else:
        n = next((i for i, f in enumerate(names)
                  if f == spec or f.split("[", 1)[0] == spec), None)
        if n is None:
            raise NoSuchName(f"goroutine {goid} has no frame of {spec}: {_listing(names)}")
    return FrameScope(target, frames[n], f"goroutine {goid} frame {n} ({names[n]})")


def _listing(names, most=12):
    shown = ", ".join(f"{i} {n}" for i, n in enumerate(names[:most]))
    return shown + (", ..." if len(names) > most else "")
