"""Typed Go values from raw bytes, with pointer reads batched.

:class:`ValueDecoder` turns the bytes of a key or elem into the value model
of :mod:`gdb_gomap.values`: plain Python data (ints, floats, str, lists,
dicts for structs) plus a few small classes for what plain data cannot say
(a pointer, a nested map, an interface, a slice).  String data is prefetched
in one batched read per call to :meth:`ValueDecoder.decode_many`, so
decoding a million string keys costs a handful of memory reads, not a
million.
"""

import struct
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Set, Tuple, Union)

from .errors import UnreadableMemory
from .limits import Limits
from .arch import AMD64, Arch
from .memory import Memory
from .values import (ByteArray, Func, GoStr, Iface, MapRef, NamedInt, Pointer, Slice,
                     Unreadable, go_quote, named_int)

if TYPE_CHECKING:   # for the hints only: the decoder never needs the DWARF reader itself
    from .dwarf.types import GoType, TypeTable

# What decode_many is given for one value: its bytes, an error that stands for
# bytes that could not be read, or None (no value).
Buffer = Union[bytes, bytearray, memoryview, Exception, None]

_FLOATS = {(order, size): struct.Struct(("<" if order == "little" else ">") + code)
           for order in ("little", "big") for size, code in ((4, "f"), (8, "d"))}


class ValueDecoder:
    """Decodes values of Go types from bytes read out of one target.

    memory:     a Memory for pointer targets (string data, indirect values)
    types:      the TypeTable (for interfaces' dynamic types)
    types_base: address that runtime type offsets are relative to
    limits:     Limits (string bytes, items, depth)
    warn:       callable taking a one-line warning
    map_count:  callable(map GoType, header address) -> count or None
    func_name:  callable(code address) -> the function's name or None
    arch:       the target's machine (pointer size, byte order)
    """

    def __init__(self, memory: Memory, types: "TypeTable", types_base: int, limits: Limits,
                 warn: Callable[[str], None],
                 map_count: Optional[Callable[["GoType", int], Optional[int]]] = None,
                 func_name: Optional[Callable[[int], Optional[str]]] = None,
                 arch: Arch = AMD64) -> None:
        self.mem = memory
        self.arch = arch
        self.order, self.ptr = arch.order, arch.ptr
        self.types = types
        self.types_base = types_base
        self.limits = limits
        self.warn = warn
        self.map_count = map_count
        self.func_name = func_name
        self._strings: Dict[Tuple[int, int], Union[bytes, UnreadableMemory]] = {}
        self._warned: Set[str] = set()

    # -- batching ----------------------------------------------------------------

    def decode_many(self, gotype: "GoType", buffers: Sequence[Buffer]) -> List[Any]:
        """Decode every buffer in ``buffers`` (bytes-like) as a ``gotype`` value."""
        sites = _string_sites(gotype, self.limits.max_items)
        if sites:
            self._prefetch_strings(sites, buffers)
        out = [self.decode(gotype, b) for b in buffers]
        self._strings.clear()
        return out

    def _prefetch_strings(self, sites, buffers):
        limit = self.limits.max_string
        reqs = set()
        for buf in buffers:
            if buf is None or isinstance(buf, Exception):
                continue
            for off in sites:
                ptr, n = self._header2(buf, off)
                if n > 0 and self.arch.plausible(ptr):
                    reqs.add((ptr, min(n, limit)))
        if not reqs:
            return
        wanted = list(reqs)
        for req, data in zip(wanted, self.mem.read_many(wanted)):
            self._strings[req] = data

    # -- one value ---------------------------------------------------------------

    def decode(self, t: "GoType", buf: Buffer, off: int = 0, depth: int = 0) -> Any:
        """Decode the ``t`` value at ``buf[off:]``."""
        if buf is None:
            return None
        if isinstance(buf, Exception):
            return Unreadable(getattr(buf, "addr", 0), str(buf))
        k = t.kind
        if k == "int" or k == "uint":
            v = int.from_bytes(buf[off:off + t.size], self.order, signed=(k == "int"))
            const = self.types.constants(t).get(v) if "." in t.name else None
            return v if const is None else named_int(v, const)
        if k == "string":
            return self._string(buf, off)
        if k == "float":
            return _FLOATS[self.order, t.size].unpack_from(buf, off)[0]
        if k == "bool":
            return buf[off] != 0
        if k in ("ptr", "unsafe.Pointer", "chan"):
            return Pointer(self.arch.word(buf, off), t.name)
        if k == "func":
            return self._func(t, self.arch.word(buf, off))
        if depth >= self.limits.max_depth:
            self._warn_once("depth", f"values nested deeper than {self.limits.max_depth} "
                                     f"levels are shown as '...'; raise --max-depth")
            return "..."
        if k == "struct":
            return {f.name: self.decode(f.type, buf, off + f.offset, depth + 1)
                    for f in t.fields if f.name != "_" and f.type is not None}
        if k == "array":
            e = t.elem
            if e.kind == "uint" and e.size == 1:
                return ByteArray(bytes(buf[off:off + t.count]))
            return [self.decode(e, buf, off + i * e.size, depth + 1) for i in range(t.count)]
        if k == "complex":
            half = t.size // 2
            f = _FLOATS[self.order, half]
            return complex(f.unpack_from(buf, off)[0], f.unpack_from(buf, off + half)[0])
        if k == "map":
            return self._map(t, self.arch.word(buf, off))
        if k == "slice":
            return self._slice(t, buf, off, depth)
        if k == "interface":
            return self._iface(t, buf, off, depth)
        return Unreadable(0, f"type {t.name} ({k}) is not decoded")

    def _read(self, addr, n):
        return self.mem.read(addr, n)

    def _header2(self, buf, off):
        """(data pointer, signed length) of the string or slice header at ``off``."""
        p = self.ptr
        return (int.from_bytes(buf[off:off + p], self.order),
                int.from_bytes(buf[off + p:off + 2 * p], self.order, signed=True))

    def _string(self, buf, off):
        ptr, n = self._header2(buf, off)
        if n == 0:
            return ""
        if n < 0 or not self.arch.plausible(ptr):
            return Unreadable(ptr, f"bad string header (ptr={ptr:#x}, len={n})")
        want = min(n, self.limits.max_string)
        data = self._strings.get((ptr, want))
        if data is None:
            try:
                data = self._read(ptr, want)
            except UnreadableMemory as exc:
                return Unreadable(ptr, str(exc))
        if isinstance(data, Exception):
            return Unreadable(ptr, str(data))
        s = data.decode("utf-8", "surrogateescape")
        if n > want:
            s = GoStr(s)
            s.full_len = n
            self._warn_once("string", f"strings longer than {self.limits.max_string} bytes "
                                      f"are cut; raise --max-string to see them whole")
        return s

    def _slice(self, t, buf, off, depth):
        ptr, n = self._header2(buf, off)
        p = self.ptr
        cap = int.from_bytes(buf[off + 2 * p:off + 3 * p], self.order, signed=True)
        e = t.elem
        if ptr == 0:
            return Slice(0, n, cap, None if n == 0 else [], e.name if e else "?")
        if e is None or n < 0 or cap < n:
            return Unreadable(ptr, f"bad slice header (len={n}, cap={cap})")
        shown = min(n, self.limits.max_items)   # cut_values() names the cut ones
        items = []
        if shown and e.size:
            try:
                data = self._read(ptr, shown * e.size)
            except UnreadableMemory as exc:
                return Unreadable(ptr, str(exc))
            items = [self.decode(e, data, i * e.size, depth + 1) for i in range(shown)]
        elif shown:
            items = [self.decode(e, b"", 0, depth + 1) for _ in range(shown)]
        return Slice(ptr, n, cap, items, e.name)

    def _iface(self, t, buf, off, depth):
        word0 = self.arch.word(buf, off)
        if word0 == 0:
            return None
        try:
            dyn, data, type_addr = self.types.interface_type(
                self.mem, t, buf[off:off + 2 * self.ptr], self.types_base, self.arch)
        except UnreadableMemory as exc:
            return Unreadable(word0, str(exc))
        if dyn is None:
            return Iface(f"<type {type_addr:#x}>", Pointer(data, "unsafe.Pointer"), type_addr)
        if dyn.is_pointer_shaped():
            return Iface(dyn.name, self.decode(dyn, data.to_bytes(self.ptr, self.order), 0,
                                               depth + 1), type_addr)
        if dyn.size == 0:
            return Iface(dyn.name, self.decode(dyn, b"", 0, depth + 1), type_addr)
        try:
            raw = self._read(data, dyn.size)
        except UnreadableMemory as exc:
            return Iface(dyn.name, Unreadable(data, str(exc)), type_addr)
        return Iface(dyn.name, self.decode(dyn, raw, 0, depth + 1), type_addr)

    def _func(self, t, addr):
        """A func value: a pointer to its closure, whose first word is the code address."""
        if addr == 0:
            return None
        if not self.arch.plausible(addr):
            return Unreadable(addr, f"bad func value {addr:#x}")
        try:
            entry = self.arch.word(self._read(addr, self.ptr))
        except UnreadableMemory:
            return Func(addr, None, None, t.name)
        name = self.func_name(entry) if self.func_name is not None else None
        return Func(addr, entry, name, t.name)

    def name_constants(self, t: "GoType", values: List[Any]) -> List[Any]:
        """``values`` (plain ints of the integer type ``t``) with those equal to one of
        t's constants made NamedInt; the list itself when t has no constants."""
        consts = self.types.constants(t) if t.kind in ("int", "uint") else None
        if not consts:
            return values
        get = consts.get
        return [v if type(v) is not int or get(v) is None else named_int(v, get(v))
                for v in values]

    def _map(self, t, addr):
        if addr == 0:
            return None
        count = None
        if self.map_count is not None:
            try:
                count = self.map_count(t, addr)
            except UnreadableMemory:
                count = None
        return MapRef(addr, t.name, count)

    def _warn_once(self, key, text):
        if key not in self._warned:
            self._warned.add(key)
            self.warn(text)


CUT_NAMED = 5   # keys a warning about values cut at max_items names


def cut_values(elem: "GoType", keys: Sequence[Any], vals: Sequence[Any],
               max_items: int) -> Optional[str]:
    """One warning naming the entries whose value (of type ``elem``) holds a slice
    cut at ``max_items`` items, with its real length; None when nothing was cut."""
    if elem.kind not in ("slice", "struct", "array", "interface"):
        return None
    cut = []
    for k, v in zip(keys, vals):
        n = _cut_len(v, 0)
        if n:
            cut.append((k, n))
    if not cut:
        return None
    named = ", ".join(f"key {_spell(k)} (len {n})" for k, n in cut[:CUT_NAMED])
    more = f" and {len(cut) - CUT_NAMED} more" if len(cut) > CUT_NAMED else ""
    return (f"{len(cut)} values hold slices longer than {max_items} items, of which only "
            f"the first {max_items} are decoded: the values of {named}{more}; raise "
            f"--max-items to see them whole")


def _spell(k):
    """A key as a warning names it: strings quoted as Go does, constants by name."""
    if isinstance(k, bytes):
        k = k.decode("utf-8", "surrogateescape")
    if isinstance(k, str):
        return go_quote(k if len(k) <= 40 else k[:40] + "...")
    if isinstance(k, NamedInt):
        return k.const
    if isinstance(k, ByteArray):
        return "0x" + k.data.hex()
    text = str(k)
    return text if len(text) <= 60 else text[:60] + "..."


def _cut_len(v: Any, depth: int) -> int:
    """The length of the first cut slice in ``v`` (0 if none), looked for a few levels down."""
    items: Iterable[Any]
    if isinstance(v, Slice):
        if v.cut:
            return v.len
        items = v.items or ()
    elif isinstance(v, dict):
        items = v.values()
    elif isinstance(v, list):
        items = v
    elif isinstance(v, Iface):
        items = (v.value,)
    else:
        return 0
    if depth >= 8:
        return 0
    for x in items:
        n = _cut_len(x, depth + 1)
        if n:
            return n
    return 0


def _string_sites(t, max_items, base=0, depth=0):
    """Offsets of the string headers stored inline in a ``t`` value (bounded)."""
    if depth > 4:
        return []
    if t.kind == "string":
        return [base]
    if t.kind == "struct":
        out = []
        for f in t.fields:
            if f.type is not None:
                out.extend(_string_sites(f.type, max_items, base + f.offset, depth + 1))
        return out
    if t.kind == "array" and t.count and t.count <= max_items:
        inner = _string_sites(t.elem, max_items, 0, depth + 1)
        return [base + i * t.elem.size + o for i in range(t.count) for o in inner]
    return []


