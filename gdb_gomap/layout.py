"""Map layout from DWARF: which implementation, and every offset and size.

Nothing here is a typed-in offset.  The implementation is told by member names
(``buckets`` -> classic, ``dirPtr`` -> swiss; ``slots`` or ``keys``/``elems``
-> group layout) and every offset and size comes from the DWARF members.

Which members each runtime struct must have is ``fields`` (one table per
layout); ``StructFields.of`` refuses a struct that lacks one of them.
"""

import struct
from dataclasses import dataclass, field
from typing import Optional

from . import fields as runtime_fields
from .arch import AMD64, Arch
from .errors import BadLayout, NotAMap

_INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
# The structs whose fields the decoders read as integers (StructFields.read_all).
INT_ROLES = ("classic.header", "swiss.header", "classic.mapextra")


@dataclass
class StructFields:
    """Offsets, sizes and signedness of a runtime struct's members, by name."""
    name: str
    size: int
    fields: dict = field(default_factory=dict)  # name -> (offset, size, signed)
    order: str = "little"                       # the target's byte order

    @classmethod
    def of(cls, gotype, role, order="little"):
        sf = cls(gotype.name, gotype.size, order=order)
        for f in gotype.fields:
            t = f.type
            sf.fields[f.name] = (f.offset, t.size if t is not None else 0,
                                 bool(t is not None and t.signed))
        need = runtime_fields.required(role)
        missing = [n for n in need if n not in sf.fields]
        if missing:
            raise BadLayout(f"{gotype.name}: DWARF lacks member(s) {', '.join(missing)} of "
                            f"{role}; this Go release's map layout is not one gomap knows")
        if role in INT_ROLES:   # read with read_all: each must be an integer or a pointer
            odd = [n for n in runtime_fields.names(role)
                   if n in sf.fields and sf.fields[n][1] not in _INT_CODES]
            if odd:
                raise BadLayout(f"{gotype.name}: DWARF gives member(s) {', '.join(odd)} of "
                                f"{role} a size that is not an integer's (corrupt DWARF?)")
        return sf

    def has(self, name):
        return name in self.fields

    def read(self, buf, name, base=0):
        off, size, signed = self.fields[name]
        return int.from_bytes(buf[base + off:base + off + size], self.order, signed=signed)

    def unpacker(self, names, base=0):
        """A function from a buffer to the tuple of the named integer members (at
        ``base`` in the buffer), one ``struct`` call however many members: for
        reading thousands of records of the same struct."""
        fmt, pos = ("<" if self.order == "little" else ">"), 0
        for off, size, signed in sorted((self.fields[n][0] + base,) + self.fields[n][1:]
                                        for n in names):
            if off < pos or size not in _INT_CODES:
                raise BadLayout(f"{self.name}: members {names} cannot be read as integers")
            fmt += "x" * (off - pos) + (_INT_CODES[size].lower() if signed
                                        else _INT_CODES[size])
            pos = off + size
        order = sorted(range(len(names)), key=lambda i: self.fields[names[i]][0])
        unpack = struct.Struct(fmt).unpack_from
        if order == list(range(len(names))):
            return unpack
        back = [order.index(i) for i in range(len(names))]
        return lambda buf: tuple(unpack(buf)[j] for j in back)

    def read_all(self, buf, base=0):
        """Every integer-sized member as {name: int}, in DWARF order."""
        return {n: self.read(buf, n, base) for n, (o, s, sg) in self.fields.items()
                if s in (1, 2, 4, 8)}


@dataclass
class Cell:
    """Where keys (or elems) sit in a bucket or group, and how they are stored."""
    offset: int      # of slot 0, from the start of the bucket/group
    stride: int      # distance between slots
    size: int        # bytes of the stored cell (a pointer's when indirect)
    indirect: bool   # the cell holds a pointer to the value


@dataclass
class ClassicLayout:
    map_type: object
    key: object
    elem: object
    header: StructFields
    bucket: StructFields
    bucket_size: int
    tophash_off: int
    overflow_off: int
    keys: Cell
    elems: Cell
    extra: Optional[StructFields] = None   # runtime.mapextra, when DWARF describes it
    kind: str = "classic"
    arch: Arch = AMD64


@dataclass
class SwissLayout:
    map_type: object
    key: object
    elem: object
    header: StructFields
    table: StructFields
    groupref: StructFields
    group_size: int
    ctrl_off: int
    keys: Cell
    elems: Cell
    split: bool
    kind: str = "swiss"
    arch: Arch = AMD64



def _indirect(stored, logical):
    """True when ``stored`` is a pointer to ``logical`` (the runtime's indirect storage)."""
    if stored.offset == logical.offset:
        return False
    if stored.kind == "ptr" and stored.target is not None and \
            stored.target.offset == logical.offset:
        return True
    # Every map type of the test matrix and of cmd/go is one or the other.
    raise BadLayout(f"cells of type {stored.name} hold neither {logical.name} nor a pointer "
                    f"to it (corrupt DWARF?)")


def _header_struct(map_type):
    if map_type.kind != "map" or map_type.target is None:
        raise NotAMap(f"{map_type.name} is a {map_type.kind}, not a Go map")
    hdr = map_type.target
    if hdr.kind != "struct":
        raise BadLayout(f"{map_type.name}: the map pointer does not point at a struct in DWARF")
    return hdr


def detect(map_type, arch=AMD64):
    """Return a ClassicLayout or SwissLayout for a map GoType of a program built
    for ``arch``."""
    hdr = _header_struct(map_type)
    names = {f.name for f in hdr.fields}
    key, elem = map_type.key, map_type.elem
    if key is None or elem is None:
        raise BadLayout(f"{map_type.name}: DWARF has no go_key/go_elem for this map type")
    if "buckets" in names:
        return _classic(map_type, hdr, key, elem, arch)
    if "dirPtr" in names:
        return _swiss(map_type, hdr, key, elem, arch)
    raise BadLayout(f"{map_type.name}: header {hdr.name} has neither 'buckets' nor 'dirPtr'; "
                    f"unknown map implementation")


def _classic(map_type, hdr, key, elem, arch):
    order = arch.order
    header = StructFields.of(hdr, "classic.header", order)
    bptr = hdr.field("buckets").type
    if bptr.kind != "ptr" or bptr.target is None or bptr.target.kind != "struct":
        raise BadLayout(f"{map_type.name}: 'buckets' is not a pointer to a bucket struct")
    b = bptr.target
    bucket = StructFields.of(b, "classic.bucket", order)
    karr, varr = b.field("keys").type, b.field("values").type
    kst, vst = karr.elem, varr.elem
    if kst is None or vst is None:
        raise BadLayout(f"{map_type.name}: the bucket's keys/values are not arrays")
    kcell = Cell(bucket.fields["keys"][0], kst.size, kst.size, _indirect(kst, key))
    vcell = Cell(bucket.fields["values"][0], vst.size, vst.size, _indirect(vst, elem))
    extra = None
    et = hdr.field("extra").type
    if et is not None and et.kind == "ptr" and et.target is not None and \
            et.target.kind == "struct":
        extra = StructFields.of(et.target, "classic.mapextra", order)
    return ClassicLayout(map_type, key, elem, header, bucket, b.size,
                         bucket.fields["tophash"][0], bucket.fields["overflow"][0],
                         kcell, vcell, extra, arch=arch)


def _swiss(map_type, hdr, key, elem, arch):
    order = arch.order
    header = StructFields.of(hdr, "swiss.header", order)
    dp = hdr.field("dirPtr").type
    if dp.kind != "ptr" or dp.target is None or dp.target.kind != "ptr" or \
            dp.target.target is None:
        raise BadLayout(f"{map_type.name}: 'dirPtr' is not a **table in DWARF")
    tab = dp.target.target
    table = StructFields.of(tab, "swiss.table", order)
    gr = tab.field("groups").type
    groupref = StructFields.of(gr, "swiss.groupref", order)
    gptr = gr.field("data").type
    if gptr.kind != "ptr" or gptr.target is None:
        raise BadLayout(f"{map_type.name}: groups.data is not a pointer to a group")
    g = gptr.target
    StructFields.of(g, "swiss.group", order)
    ctrl_off = g.field("ctrl").offset
    slots = g.field("slots")
    if slots is not None:
        st = slots.type.elem  # the slot struct
        if st is None or st.kind != "struct":
            raise BadLayout(f"{map_type.name}: the group's slots are not an array of structs")
        kf, ef = st.field("key"), st.field("elem")
        if kf is None or ef is None:
            raise BadLayout(f"{map_type.name}: slot struct lacks key/elem members")
        kcell = Cell(slots.offset + kf.offset, st.size, kf.type.size, _indirect(kf.type, key))
        vcell = Cell(slots.offset + ef.offset, st.size, ef.type.size, _indirect(ef.type, elem))
        split = False
    else:
        kf, ef = g.field("keys"), g.field("elems")
        if kf is None or ef is None:
            raise BadLayout(f"{map_type.name}: group has neither 'slots' nor 'keys'/'elems'")
        kst, vst = kf.type.elem, ef.type.elem
        if kst is None or vst is None:
            raise BadLayout(f"{map_type.name}: the group's keys/elems are not arrays")
        kcell = Cell(kf.offset, kst.size, kst.size, _indirect(kst, key))
        vcell = Cell(ef.offset, vst.size, vst.size, _indirect(vst, elem))
        split = True
    return SwissLayout(map_type, key, elem, header, table, groupref, g.size, ctrl_off,
                       kcell, vcell, split, arch=arch)
