"""A target: one Go executable's DWARF plus one source of memory.

Every front end builds on it; scripts start from gdb_gomap.api (``open_core``,
``attach``), which builds one.  A core file by hand, say (tests/test_target_api.py
runs this example)::

    from gdb_gomap.backends.core_file import CoreFile
    from gdb_gomap.binary import GoBinary
    from gdb_gomap.render.jsonout import snapshot_json
    from gdb_gomap.resolve import resolve_map
    from gdb_gomap.target import Target

    binary = GoBinary("./server")
    with CoreFile("./core", binary) as core:
        t = Target(binary, core)
        map_type, header = resolve_map(t, "main.cache")
        snap = t.dump(map_type, header)
    print(snap.count, snapshot_json(snap)["entries"][:3])

Front ends give it their own :class:`~gdb_gomap.memory.Memory` (gdb's inferior,
a core file, /proc/PID/mem, Delve).
"""

from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import classic, swiss
from .arch import Arch
from .binary import GoBinary
from .decoding import Context, DumpOptions
from .dwarf import DwarfIndex, TypeTable
from .dwarf.types import GoType
from .errors import NoSuchName, NotAMap, UsageError
from .layout import detect
from .limits import DEFAULT_LIMITS, Limits
from .memory import CachedMemory, Memory
from .census.pclntab import BadPclntab, Pclntab
from .nogc import no_gc
from .snapshot import NAMED_INT, MapSnapshot


class Target:
    """A Go binary's types and a memory to read maps from."""

    def __init__(self, binary: GoBinary, memory: Optional[Memory],
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.binary = binary
        self.dwarf = binary.dwarf_info()
        self.index = DwarfIndex.load(binary, self.dwarf)
        self.types = TypeTable(self.dwarf, self.index, binary.arch)
        self.memory = memory
        self.limits = limits
        self._layouts: Dict[Tuple[int, str], Any] = {}
        self._pclntab: Optional[Pclntab] = None

    def _memory(self) -> Memory:
        if self.memory is None:
            raise UsageError("this Target has no memory to read yet; set target.memory to "
                             "a Memory (a core file, a process, gdb's inferior)")
        return self.memory

    @property
    def warnings(self) -> List[str]:
        """Lines the front ends show with every snapshot of this target: today only
        why the DWARF index was built by the slow pyelftools walk, if it was."""
        return [self.index.fallback] if self.index.fallback else []

    @property
    def arch(self) -> Arch:
        """The machine the program was built for (pointer size, byte order, registers)."""
        return self.binary.arch

    @property
    def go_version(self) -> str:
        return self.binary.go_version

    @property
    def map_kind(self) -> str:
        """The map implementation the binary links, from its runtime's header type:
        'classic', 'swiss' or 'unknown'."""
        if "runtime.hmap" in self.index.types:
            return "classic"
        if "internal/runtime/maps.Map" in self.index.types:
            return "swiss"
        return "unknown"

    def context(self, limits: Optional[Limits] = None) -> Context:
        # A fresh cache per decode: the target may have run since the last one.
        ctx = Context(CachedMemory(self._memory()), self.types, self.binary.types_base(),
                      self.go_version, limits or self.limits, self.arch)
        ctx.map_count = self.map_count  # type: ignore[assignment]  # Context declares None
        ctx.func_name = self.func_name  # type: ignore[assignment]
        return ctx

    def layout(self, map_type: GoType) -> Any:
        """The ClassicLayout or SwissLayout of a map GoType (cached per type: its
        DIE and its name, since a named map type shares its DIE with the map
        type it names, and the snapshot takes the name from the layout)."""
        key = (map_type.offset, map_type.name)
        lay = self._layouts.get(key)
        if lay is None:
            lay = detect(map_type, self.binary.arch)
            self._layouts[key] = lay
        return lay

    def map_type(self, name: str) -> GoType:
        """The map GoType spelled ``name`` (e.g. 'map[string]int', 'main.Named')."""
        t = self.types.by_name(name, want_kind="map")
        if t.kind != "map":
            raise NotAMap(f"{name} is a {t.kind}, not a Go map type")
        return t

    def map_count(self, map_type: GoType, addr: int) -> int:
        """The live count in the header at ``addr`` (0 for nil)."""
        if not addr:
            return 0
        lay = self.layout(map_type)
        name = "count" if lay.kind == "classic" else "used"
        off, size, signed = lay.header.fields[name]
        return int.from_bytes(self._memory().read(addr + off, size), lay.arch.order,
                              signed=signed)

    def dump(self, map_type: GoType, header_addr: int, opts: Optional[DumpOptions] = None,
             limits: Optional[Limits] = None) -> MapSnapshot:
        """Decode the map of type ``map_type`` whose header is at ``header_addr``."""
        opts = opts or DumpOptions()
        lay = self.layout(map_type)
        if not header_addr:
            snap = MapSnapshot(lay.kind, map_type.name, lay.key.name, lay.elem.name, None,
                               self.go_version, 0)
            if lay.kind == "swiss":
                snap.split_groups = lay.split
            snap.stats = {"live": 0, "bytes": {"total": 0}}
            snap.key_kind, snap.elem_kind = self._kind(lay.key), self._kind(lay.elem)
            snap.warnings[:0] = self.warnings
            return snap
        mod = classic if lay.kind == "classic" else swiss
        if opts.sink is not None:   # a streamed decode writes entries before it returns
            opts = replace(opts, sink=self._kinds_first(opts.sink, lay))
        with no_gc():
            snap = mod.decode(self.context(limits), lay, header_addr, opts)
        snap.key_kind, snap.elem_kind = self._kind(lay.key), self._kind(lay.elem)
        snap.warnings[:0] = self.warnings
        return snap

    def _kinds_first(self, sink: Callable[..., Any], lay: Any) -> Callable[..., Any]:
        """``sink`` called with the snapshot's kinds already as dump() sets them (a
        named integer is not written as a plain one)."""
        kinds = self._kind(lay.key), self._kind(lay.elem)

        def kinds_first(snap: MapSnapshot, keys: list, vals: list) -> None:
            snap.key_kind, snap.elem_kind = kinds
            sink(snap, keys, vals)
        return kinds_first

    def _kind(self, t: GoType) -> str:
        """t's kind as the snapshot records it for the fast renderers."""
        return NAMED_INT if self.types.constants(t) else t.kind

    def pclntab(self) -> Pclntab:
        """The binary's function table (.gopclntab), read once; BadPclntab if it
        has none gomap can read."""
        if self._pclntab is None:
            self._pclntab = Pclntab(self.binary)
        return self._pclntab

    def func_name(self, pc: int) -> Optional[str]:
        """The name of the function whose code holds ``pc``, or None: outside the
        text, or no function table to read."""
        try:
            f = self.pclntab().find(pc)
        except BadPclntab:
            return None
        return None if f is None else f.name

    def variable(self, name: str) -> Tuple[int, GoType]:
        """(address of the variable, its GoType) for a package-level variable."""
        off = self.index.variables.get(name)
        if off is None:
            raise NoSuchName(f"no package variable {name!r} in the binary's DWARF; use the "
                             f"package path, e.g. 'main.cache'")
        die = self.types.die(off)
        loc = die.attributes["DW_AT_location"].value
        ptr = self.arch.ptr
        if not isinstance(loc, list) or not loc or loc[0] != 0x03 or len(loc) < 1 + ptr:
            raise NoSuchName(f"{name} has no fixed address in DWARF")
        addr = self.arch.word(bytes(loc[1:1 + ptr]))
        return addr, self.types.get(die.get_DIE_from_attribute("DW_AT_type").offset)
