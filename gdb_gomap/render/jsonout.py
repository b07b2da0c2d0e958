"""The JSON form of a snapshot and of decoded values, all of it.

The data model (snapshot.py, values.py) knows nothing of JSON; this module
makes its JSON form: :func:`to_json` for one decoded value,
:func:`snapshot_json` for a whole snapshot as a JSON-ready dict, and
:func:`write_json` for the same text written in pieces, and
:class:`JsonStream`, which writes it while the decode goes (``--json``: the
entries never all sit in memory).
The shape is described by ``schema/snapshot.schema.json``; change both
together and bump ``SCHEMA_ID`` when a change is not backward compatible.

In :func:`write_json`, entries of plain scalar keys and values are written
with per-kind encoders instead of building a dict per entry; anything else
goes through to_json.

Strings decoded with ``DumpOptions.json_bytes`` are still bytes.  A chunk of
entries whose strings are all printable ASCII without a quote or backslash
(what JSON writes as it is) is then written by joining bytes, in C, with no
Python str per string; the check is one ``bytes.translate`` over the chunk.
Any other chunk takes the per-entry encoders.
"""

import json
import math
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, Callable, Dict, Optional

from ..nogc import no_gc
from ..snapshot import POINTER_FIELDS, MapSnapshot, flag_names
from ..values import ByteArray, Func, Iface, MapRef, NamedInt, Pointer, Slice, Unreadable

SCHEMA_ID = "gomap-snapshot/2"


def hexaddr(a: Optional[int]) -> Optional[str]:
    return f"{a:#x}" if a is not None else None


# -- one value ---------------------------------------------------------------------

def _float_json(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return x


def to_json(v: Any) -> Any:
    """The natural JSON form of a decoded value (see the snapshot schema)."""
    if isinstance(v, NamedInt):
        return {"value": int(v), "const": v.const}
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
    if isinstance(v, Func):
        return {"func": v.name, "entry": hexaddr(v.entry), "address": f"{v.addr:#x}"}
    if isinstance(v, ByteArray):
        return v.data.hex()
    if isinstance(v, complex):
        return {"real": _float_json(v.real), "imag": _float_json(v.imag)}
    if isinstance(v, Slice):
        return None if v.items is None else \
            {"len": v.len, "cap": v.cap, "items": [to_json(x) for x in v.items]}
    if isinstance(v, Iface):
        return {"type": v.type_name, "value": to_json(v.value)}
    if isinstance(v, MapRef):
        return {"address": f"{v.addr:#x}", "type": v.type_name, "count": v.count}
    if isinstance(v, Unreadable):
        return {"unreadable": f"{v.addr:#x}", "error": v.why}
    return str(v)


def entry_json(k: Any, v: Any) -> Dict[str, Any]:
    return {"key": to_json(k), "value": to_json(v)}


# -- a snapshot as a dict ----------------------------------------------------------
#
# The fields a decode knows before its walk (the header) come before the
# entries; what the walk finds (statistics, tables, warnings) comes after them,
# so that a streamed --json (JsonStream) writes each entry as it is decoded.

def snapshot_json(snap: MapSnapshot, entries: bool = True) -> Dict[str, Any]:
    """The snapshot as a JSON-ready dict (entries may be streamed separately)."""
    out = _head_json(snap)
    if entries:
        out["entries"] = [entry_json(k, v) for k, v in snap.entries]
    out.update(_tail_json(snap))
    return out


def _head_json(snap):
    """The fields before the entries: what the map's header says."""
    out: Dict[str, Any] = {
        "schema": SCHEMA_ID,
        "layout": snap.layout,
        "type": snap.type,
        "key_type": snap.key_type,
        "elem_type": snap.elem_type,
        "address": hexaddr(snap.address),
        "nil": snap.nil,
        "go_version": snap.go_version,
        "count": snap.count,
    }
    for k, v in snap.header.items():
        out[k] = hexaddr(v) if k in POINTER_FIELDS else v
    if snap.layout == "classic" and "flags" in snap.header:
        out["flag_names"] = flag_names(snap.header["flags"])
        out["extra_fields"] = None if snap.extra is None else \
            {k: hexaddr(v) for k, v in snap.extra.items()}
    if snap.layout == "swiss" and "tombstonePossible" in snap.header:
        out["tombstonePossible"] = bool(snap.header["tombstonePossible"])
    if snap.split_groups is not None:
        out["split_groups"] = snap.split_groups
    if snap.layout == "swiss":
        out["group"] = hexaddr(snap.group_address)
    return out


def _tail_json(snap):
    """The fields after the entries: what the walk found."""
    out: Dict[str, Any] = {"entries_complete": snap.entries_complete, "stats": snap.stats}
    if snap.layout == "classic":
        out["growth"] = snap.growth
    if snap.tables is not None:
        out["tables"] = [_table_json(snap, t) for t in snap.tables]
    if snap.group is not None:
        out["group_detail"] = _bucket_json(snap, snap.group, 0)
    if snap.chains is not None:
        out["buckets_detail"] = [_chain_json(snap, c) for c in snap.chains if not c.old]
        out["old_buckets_detail"] = [_chain_json(snap, c) for c in snap.chains if c.old]
    out["warnings"] = list(snap.warnings)
    return out


def _slot_json(snap, s):
    d: Dict[str, Any] = {"slot": s.index, "state": s.state, "tag": s.tag}
    if s.entry is not None and s.entry < len(snap.entries):
        k, v = snap.entries[s.entry]
        d["key"] = to_json(k)
        d["value"] = to_json(v)
    if s.key_raw is not None:
        d["key_raw"] = s.key_raw
        d["elem_raw"] = s.elem_raw
    return d


def _bucket_json(snap, b, i):
    d: Dict[str, Any] = {"address": hexaddr(b.address)}
    if snap.layout == "classic":
        d["tophash"] = [s.tag for s in b.slots]
        d["overflow"] = hexaddr(b.overflow)
    else:
        d["index"] = b.index
        d["ctrl"] = f"{b.ctrl:#018x}"
    d["slots"] = [_slot_json(snap, s) for s in b.slots]
    return d


def _chain_json(snap, c):
    d: Dict[str, Any] = {"index": c.index,
         "chain": [_bucket_json(snap, b, i) for i, b in enumerate(c.buckets)]}
    if c.old:
        d["evacuated"] = c.evacuated
    return d


def _table_json(snap, t):
    d: Dict[str, Any] = {
        "address": hexaddr(t.address), "used": t.used, "capacity": t.capacity,
        "growthLeft": t.growthLeft, "localDepth": t.localDepth, "index": t.index,
        "groups": hexaddr(t.groups_address), "lengthMask": t.lengthMask,
        "directory_slots": t.directory_slots, "full": t.full, "empty": t.empty,
        "tombstones": t.tombstones, "tombstones_expected": t.tombstones_expected,
    }
    if t.groups is not None:
        d["groups_detail"] = [_bucket_json(snap, g, i) for i, g in enumerate(t.groups)]
    return d


# -- a snapshot as text, written in pieces -----------------------------------------

CHUNK = 16384
# Bytes JSON writes as they are: printable ASCII but the quote and the backslash.
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
# How a key or value of each kind sits in the bytes path: quoted, or a decimal.
_QUOTE = {"string": b'"', "int": b"", "uint": b""}
_first, _second = itemgetter(0), itemgetter(1)


def _generic(v):
    return json.dumps(to_json(v))


def _int(v):
    return str(v) if type(v) is int else _generic(v)


def _float(v):
    if type(v) is not float:
        return _generic(v)
    if math.isnan(v):
        return '"NaN"'
    if math.isinf(v):
        return '"+Inf"' if v > 0 else '"-Inf"'
    return repr(v)


def _bool(v):
    return ("true" if v else "false") if type(v) is bool else _generic(v)


def _str(v):
    if type(v) is bytes:   # DumpOptions.json_bytes
        v = v.decode("utf-8", "surrogateescape")
    return encode_basestring_ascii(v) if isinstance(v, str) else _generic(v)


def _bytes_chunk(ks, vs, kq, vq):
    """The entries of keys ``ks`` and values ``vs`` as JSON text made by joining
    bytes, or None when a string in it needs escaping or is not bytes (then the
    caller encodes it).  kq, vq: b'"' for a string side, b"" for an integer side."""
    try:
        if not kq:
            ks = list(map(b"%d".__mod__, ks))
        if not vq:
            vs = list(map(b"%d".__mod__, vs))
        head, mid, tail = b'{"key": ' + kq, kq + b', "value": ' + vq, vq + b"}"
        text = head + (tail + b", " + head).join(map(mid.join, zip(ks, vs))) + tail
    except TypeError:   # a str, an Unreadable or a non-int among them
        return None
    quotes = len(ks) * (4 + 2 * len(kq) + 2 * len(vq))   # the ones written above
    odd = text.translate(None, _PLAIN)
    if len(odd) != quotes or odd.count(34) != quotes:
        return None
    return text.decode("ascii")


INT_KINDS = ("int", "uint")
ENCODERS = {"int": _int, "uint": _int, "float": _float, "bool": _bool, "string": _str}


def write_json(snap: MapSnapshot, write: Callable[[str], Any]) -> None:
    """Write ``snap`` as one JSON object; entries are written CHUNK at a time."""
    with no_gc():
        JsonStream(write).close(snap)


class JsonStream:
    """``--json`` written as the decode goes: the sink of a streamed decode
    (``DumpOptions.sink``).  Each call writes a batch of entries (the header's
    fields first, once); :meth:`close` writes the entries the snapshot kept, if
    any, then the fields the walk found.  The text is the same as
    :func:`write_json` of the whole snapshot, byte for byte."""

    def __init__(self, write: Callable[[str], Any]) -> None:
        self.write = write
        self.opened = False
        self.written = 0     # entries written so far

    def __call__(self, snap: MapSnapshot, keys: list, vals: list) -> None:
        if not self.opened:
            self.write(json.dumps(_head_json(snap))[:-1] + ', "entries": [')
            self.opened = True
        _write_entries(snap, keys, vals, self.write, self.written == 0)
        self.written += len(keys)

    def close(self, snap: MapSnapshot) -> None:
        """The entries ``snap`` holds (none when streamed), then the tail."""
        entries = snap.entries
        self(snap, list(map(_first, entries)), list(map(_second, entries)))
        self.write("], " + json.dumps(_tail_json(snap))[1:] + "\n")


_INT_ENTRY = '{"key": %d, "value": %d}'
_INT_FORMATS: Dict[int, str] = {}


def _int_entries(ks, vs):
    """Entries of integer keys and values as JSON text: one ``%`` over a format
    made of one entry's format per entry, so that no Python bytecode runs per
    entry (the format of a whole CHUNK is kept)."""
    n = len(ks)
    fmt = _INT_FORMATS.get(n)
    if fmt is None:
        fmt = ", ".join([_INT_ENTRY] * n)
        if n == CHUNK:
            _INT_FORMATS[n] = fmt
    flat = [0] * (2 * n)
    flat[::2] = ks
    flat[1::2] = vs
    return fmt % tuple(flat)


def _write_entries(snap, keys, vals, write, first):
    """Write the entries of ``keys`` and ``vals``, CHUNK at a time, comma-separated
    (a comma first unless ``first``)."""
    kk, vk = snap.key_kind, snap.elem_kind
    ek, ev = ENCODERS.get(kk, _generic), ENCODERS.get(vk, _generic)
    ints = kk in INT_KINDS and vk in INT_KINDS
    kq, vq = _QUOTE.get(kk), _QUOTE.get(vk)
    joined = not ints and kq is not None and vq is not None
    for start in range(0, len(keys), CHUNK):
        ks, vs = keys[start:start + CHUNK], vals[start:start + CHUNK]
        part = None
        if ints:   # the common case: one % of a format with a %d per key and value
            part = _int_entries(ks, vs)
        elif joined and type((ks if kq else vs)[0]) is bytes:
            part = _bytes_chunk(ks, vs, kq, vq)
        if part is None:
            part = ", ".join(['{"key": ' + ek(k) + ', "value": ' + ev(v) + "}"
                              for k, v in zip(ks, vs)])
        write(part if first and start == 0 else ", " + part)
