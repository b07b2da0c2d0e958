"""Typed Go values from raw bytes, with pointer reads batched.

:class:`ValueDecoder` turns the bytes of a key or elem into plain Python data
(ints, floats, str, lists, dicts for structs) plus a few small classes for
what plain data cannot say (a pointer, a nested map, an interface, a slice).
String data is prefetched in one batched read per call to
:meth:`ValueDecoder.decode_many`, so decoding a million string keys costs a
handful of memory reads, not a million.
"""

import math
import struct
from itertools import repeat
from operator import add, itemgetter, rshift, sub

from .errors import UnreadableMemory
from .memory import is_plausible_pointer

_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


class Pointer:
    """A Go pointer (also unsafe.Pointer, chan, func): its address, 0 for nil."""
    __slots__ = ("addr", "type_name")

    def __init__(self, addr, type_name):
        self.addr = addr
        self.type_name = type_name

    def __eq__(self, other):
        return isinstance(other, Pointer) and other.addr == self.addr

    def __hash__(self):
        return hash(self.addr)

    def __repr__(self):
        return f"Pointer({self.addr:#x})"


class MapRef:
    """A map held as a value: header address, type and count (None if unreadable)."""
    __slots__ = ("addr", "type_name", "count")

    def __init__(self, addr, type_name, count):
        self.addr, self.type_name, self.count = addr, type_name, count


class Iface:
    """A non-nil interface: the dynamic type's name and its decoded value."""
    __slots__ = ("type_name", "value", "type_addr")

    def __init__(self, type_name, value, type_addr):
        self.type_name, self.value, self.type_addr = type_name, value, type_addr


class Slice:
    """A slice header and the first items (``items`` is None for a nil slice)."""
    __slots__ = ("addr", "len", "cap", "items", "elem_name")

    def __init__(self, addr, length, cap, items, elem_name):
        self.addr, self.len, self.cap, self.items, self.elem_name = \
            addr, length, cap, items, elem_name


class Unreadable:
    """A part of a value that could not be read; the rest still decodes."""
    __slots__ = ("addr", "why")

    def __init__(self, addr, why):
        self.addr, self.why = addr, why

    def __repr__(self):
        return f"Unreadable({self.addr:#x})"


class GoStr(str):
    """A Go string cut at the string limit; ``full_len`` is its real length."""
    full_len = 0


class ValueDecoder:
    """Decodes values of Go types from bytes read out of one target.

    memory:     a Memory for pointer targets (string data, indirect values)
    types:      the TypeTable (for interfaces' dynamic types)
    types_base: address that runtime type offsets are relative to
    limits:     Limits (string bytes, items, depth)
    warn:       callable taking a one-line warning
    map_count:  callable(map GoType, header address) -> count or None
    """

    def __init__(self, memory, types, types_base, limits, warn, map_count=None):
        self.mem = memory
        self.types = types
        self.types_base = types_base
        self.limits = limits
        self.warn = warn
        self.map_count = map_count
        self._strings = {}
        self._warned = set()

    # -- batching ----------------------------------------------------------------

    def decode_many(self, gotype, buffers):
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
                ptr = int.from_bytes(buf[off:off + 8], "little")
                n = int.from_bytes(buf[off + 8:off + 16], "little", signed=True)
                if n > 0 and is_plausible_pointer(ptr):
                    reqs.add((ptr, min(n, limit)))
        if not reqs:
            return
        reqs = list(reqs)
        for req, data in zip(reqs, self.mem.read_many(reqs)):
            self._strings[req] = data

    # -- one value ---------------------------------------------------------------

    def decode(self, t, buf, off=0, depth=0):
        """Decode the ``t`` value at ``buf[off:]``."""
        if buf is None:
            return None
        if isinstance(buf, Exception):
            return Unreadable(getattr(buf, "addr", 0), str(buf))
        k = t.kind
        if k == "int" or k == "uint":
            return int.from_bytes(buf[off:off + t.size], "little", signed=(k == "int"))
        if k == "string":
            return self._string(buf, off)
        if k == "float":
            return (_F32 if t.size == 4 else _F64).unpack_from(buf, off)[0]
        if k == "bool":
            return buf[off] != 0
        if k in ("ptr", "unsafe.Pointer", "chan", "func"):
            return Pointer(int.from_bytes(buf[off:off + 8], "little"), t.name)
        if depth >= self.limits.max_depth:
            self._warn_once("depth", f"values nested deeper than {self.limits.max_depth} "
                                     f"levels are shown as '...'; raise --max-depth")
            return "..."
        if k == "struct":
            return {f.name: self.decode(f.type, buf, off + f.offset, depth + 1)
                    for f in t.fields if f.name != "_" and f.type is not None}
        if k == "array":
            e = t.elem
            return [self.decode(e, buf, off + i * e.size, depth + 1) for i in range(t.count)]
        if k == "complex":
            half = t.size // 2
            f = _F32 if half == 4 else _F64
            return complex(f.unpack_from(buf, off)[0], f.unpack_from(buf, off + half)[0])
        if k == "map":
            return self._map(t, int.from_bytes(buf[off:off + 8], "little"))
        if k == "slice":
            return self._slice(t, buf, off, depth)
        if k == "interface":
            return self._iface(t, buf, off, depth)
        return Unreadable(0, f"type {t.name} ({k}) is not decoded")

    def _read(self, addr, n):
        return self.mem.read(addr, n)

    def _string(self, buf, off):
        ptr = int.from_bytes(buf[off:off + 8], "little")
        n = int.from_bytes(buf[off + 8:off + 16], "little", signed=True)
        if n == 0:
            return ""
        if n < 0 or not is_plausible_pointer(ptr):
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
        ptr = int.from_bytes(buf[off:off + 8], "little")
        n = int.from_bytes(buf[off + 8:off + 16], "little", signed=True)
        cap = int.from_bytes(buf[off + 16:off + 24], "little", signed=True)
        e = t.elem
        if ptr == 0:
            return Slice(0, n, cap, None if n == 0 else [], e.name if e else "?")
        if e is None or n < 0 or cap < n:
            return Unreadable(ptr, f"bad slice header (len={n}, cap={cap})")
        shown = min(n, self.limits.max_items)
        if shown < n:
            self._warn_once("items", f"slices longer than {self.limits.max_items} items "
                                     f"show only their first items; raise --max-items")
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
        word0 = int.from_bytes(buf[off:off + 8], "little")
        data = int.from_bytes(buf[off + 8:off + 16], "little")
        if word0 == 0:
            return None
        type_addr = word0
        if not t.empty_interface:  # iface: word0 is an itab; its _type sits at +8
            try:
                type_addr = int.from_bytes(self._read(word0 + 8, 8), "little")
            except UnreadableMemory as exc:
                return Unreadable(word0, str(exc))
        dyn = self.types.by_runtime_type(type_addr - self.types_base)
        if dyn is None:
            return Iface(f"<type {type_addr:#x}>", Pointer(data, "unsafe.Pointer"), type_addr)
        if dyn.is_pointer_shaped():
            return Iface(dyn.name, self.decode(dyn, data.to_bytes(8, "little"), 0, depth + 1),
                         type_addr)
        if dyn.size == 0:
            return Iface(dyn.name, self.decode(dyn, b"", 0, depth + 1), type_addr)
        try:
            raw = self._read(data, dyn.size)
        except UnreadableMemory as exc:
            return Iface(dyn.name, Unreadable(data, str(exc)), type_addr)
        return Iface(dyn.name, self.decode(dyn, raw, 0, depth + 1), type_addr)

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


_MASK64 = (1 << 64) - 1
BLOCK_SHIFT = 16          # strings are read in 64 KiB blocks ...
RUN_BLOCKS = 256          # ... merged into runs of at most 16 MiB


def _read_runs(mem, blocks, margin):
    """{block: (bytes, start)} for runs of neighbouring blocks, each read with
    ``margin`` extra bytes so that a string starting in the run ends inside it.
    A run that cannot be read with its margin is left out (its strings are
    read one by one)."""
    shift = BLOCK_SHIFT
    where = {}
    i = 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and blocks[j] == blocks[j - 1] + 1 and j - i < RUN_BLOCKS:
            j += 1
        start = blocks[i] << shift
        try:
            run = (mem.read(start, ((j - i) << shift) + margin), start)
        except UnreadableMemory:
            run = None
        if run is not None:
            for b in blocks[i:j]:
                where[b] = run
        i = j
    return where


STRING_CHUNK = 1 << 16    # strings sliced per itemgetter call (bounds the slice objects alive)
DENSE_FACTOR = 4          # one read of [lowest, highest string] when it is at most this many
DENSE_FLOOR = 64 << 20    # times the string bytes, or at most 64 MiB
SPARSE_FACTOR = 32        # blocks worth more than this many times the string bytes ...
SPARSE_FLOOR = 64 << 20   # ... and more than 64 MiB: strings are read one by one instead
BULK_MAX = 256 << 20      # never more than this in one bulk buffer (corrupt pointers)


def decode_strings(mem, ptrs, lens, max_string, warn, as_bytes=False):
    """Decode many Go strings, given as parallel lists of data pointers and lengths.

    The string data is read in bulk and laid in one bytes object ``data``:
    the whole address range from the lowest to the highest string when that
    range is dense, else the 64 KiB blocks holding string starts, read as runs
    of neighbouring blocks and laid end to end.  Every string is then a slice
    of ``data``; the offsets, the slicing and the UTF-8 decoding run in C
    (``map`` and ``itemgetter``), with no Python bytecode per string.
    Invalid UTF-8 is kept with surrogateescape.  Strings whose data could not
    be read in bulk, strings longer than ``max_string`` and bad headers take
    the slow path.  Returns (strings, clean); clean is False if any string
    came back Unreadable.  With ``as_bytes`` the strings stay bytes, except
    the ones cut at ``max_string`` (a GoStr) and the unreadable ones.
    """
    n = len(ptrs)
    if not n:
        return [], True
    optrs, olens = ptrs, lens   # as given, for the slow path
    slow = []
    if min(ptrs) < 4096 or max(ptrs) >= 1 << 47 or max(lens) > max_string:
        slow = [i for i, (p, ln) in enumerate(zip(ptrs, lens))
                if not 4096 <= p < 1 << 47 or ln > max_string]
        if len(slow) == n:
            return _slow_strings(mem, ptrs, lens, slow, [None] * n, max_string, warn,
                                 as_bytes)
        ptrs, lens = list(ptrs), list(lens)
        bad = set(slow)
        good = ptrs[next(i for i in range(n) if i not in bad)]
        for i in slow:   # an empty slice for now, decoded one by one below
            ptrs[i], lens[i] = good, 0
    data, where = _bulk_data(mem, ptrs, lens, max_string)
    missing = []
    out = []
    for c in range(0, n, STRING_CHUNK):
        pc, lc = ptrs[c:c + STRING_CHUNK], lens[c:c + STRING_CHUNK]
        st = where(pc)
        if None in st:   # strings in blocks that could not be read: slow path
            for j, o in enumerate(st):
                if o is None:
                    missing.append(c + j)
                    st[j], lc[j] = 0, 0
        got = itemgetter(*map(slice, st, map(add, st, lc)), slice(0, 0))(data)
        if as_bytes:
            out.extend(got[:-1])
            continue
        try:
            text = list(map(bytes.decode, got[:-1]))
        except UnicodeDecodeError:   # invalid UTF-8 in this chunk: keep the bytes
            text = [b.decode("utf-8", "surrogateescape") for b in got[:-1]]
        out.extend(text)
    del data
    if missing:
        slow = sorted({*slow, *missing})
    if not slow:
        return out, True
    return _slow_strings(mem, optrs, olens, slow, out, max_string, warn, as_bytes)


def _bulk_data(mem, ptrs, lens, max_string):
    """Read the data of every string into one buffer.

    Returns (data, where): ``where(pointers)`` gives the list of their
    offsets in ``data`` (None for one whose data could not be read).  The
    offsets are made a chunk at a time: for millions of strings, a list of
    them all would cost more memory than the string data."""
    n = len(ptrs)
    lo, hi, total = min(ptrs), max(ptrs), sum(lens)
    margin = max(lens)
    span = hi - lo + margin
    if span <= BULK_MAX and (span <= DENSE_FLOOR or span <= DENSE_FACTOR * total):
        try:
            data = mem.read(lo, span)
        except UnreadableMemory:   # a hole in the range: read it block by block
            pass
        else:
            return _as_bytes(data), lambda pc: list(map(sub, pc, repeat(lo, len(pc))))
    blocks = sorted(set(map(rshift, ptrs, repeat(BLOCK_SHIFT, n))))
    size = len(blocks) << BLOCK_SHIFT
    if size > BULK_MAX or size > max(SPARSE_FLOOR, SPARSE_FACTOR * total):
        blocks = []   # strings scattered over a huge heap: read them one by one
    data, delta = _runs_data(mem, blocks, min(margin, max_string))

    def where(pc):
        try:   # one pass in C: pointer + what its block adds
            return list(map(add, pc, map(delta.__getitem__,
                                         map(rshift, pc, repeat(BLOCK_SHIFT, len(pc))))))
        except KeyError:   # some blocks could not be read
            get = delta.get
            return [None if (d := get(p >> BLOCK_SHIFT)) is None else p + d for p in pc]

    return data, where


def _as_bytes(data):
    return data if type(data) is bytes else bytes(data)


def _runs_data(mem, blocks, margin):
    """(data, delta): the runs of ``blocks`` end to end, and for each block
    read, what to add to a pointer into it to index ``data``."""
    pieces, delta, pos = [], {}, 0
    seen = {}
    for b, run in _read_runs(mem, blocks, margin).items():
        key = id(run[0])
        if key not in seen:
            seen[key] = pos - run[1]
            pieces.append(run[0])
            pos += len(run[0])
        delta[b] = seen[key]
    return b"".join(pieces), delta


def _slow_strings(mem, ptrs, lens, idx, out, max_string, warn, as_bytes=False):
    """Decode the strings at indexes ``idx`` of ``ptrs``/``lens`` into ``out``,
    with one batch of coalesced reads."""
    clean = True
    cut = 0
    reqs = []
    for i in idx:
        p, ln = ptrs[i], lens[i]
        if ln == 0:
            out[i] = b"" if as_bytes else ""
        elif ln >= 1 << 63 or not 4096 <= p < (1 << 47):
            out[i] = Unreadable(p, f"bad string header (ptr={p:#x}, len={_signed(ln)})")
            clean = False
        else:
            reqs.append((i, p, ln))
    got = mem.read_many([(p, min(ln, max_string)) for _, p, ln in reqs]) if reqs else []
    for (i, p, ln), data in zip(reqs, got):
        if isinstance(data, Exception):
            out[i] = Unreadable(p, str(data))
            clean = False
            continue
        if as_bytes and ln <= max_string:
            out[i] = data
            continue
        text = data.decode("utf-8", "surrogateescape")
        if ln > max_string:
            text = GoStr(text)
            text.full_len = ln
            cut += 1
        out[i] = text
    if cut:
        warn(f"{cut} strings longer than {max_string} bytes are cut; raise --max-string "
             f"to see them whole")
    return out, clean


def _signed(x):
    return x - (1 << 64) if x >= 1 << 63 else x


# -- plain JSON --------------------------------------------------------------------

def _float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return x


def to_json(v):
    """The natural JSON form of a decoded value (see the snapshot schema)."""
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bytes):   # a string left as bytes (DumpOptions.json_bytes)
        return v.decode("utf-8", "surrogateescape")
    if isinstance(v, float):
        return _float_json(v)
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, Pointer):
        return f"{v.addr:#x}" if v.addr else None
    if isinstance(v, complex):
        return {"real": _float_json(v.real), "imag": _float_json(v.imag)}
    if isinstance(v, Slice):
        return None if v.items is None else [to_json(x) for x in v.items]
    if isinstance(v, Iface):
        return {"type": v.type_name, "value": to_json(v.value)}
    if isinstance(v, MapRef):
        return {"address": f"{v.addr:#x}", "type": v.type_name, "count": v.count}
    if isinstance(v, Unreadable):
        return {"unreadable": f"{v.addr:#x}", "error": v.why}
    return str(v)
