"""Go types built from DWARF DIEs, lazily and once per DIE.

A :class:`GoType` is what the value decoder and the layout detector need: the
Go name, the kind, the size, and the parts (fields, element, key), each
resolved only when first asked for.  Typedefs are stripped, keeping the
outermost name, which is the Go spelling of the type.
"""

from ..errors import NoSuchName
from .attrs import (GO_ELEM, GO_EMBEDDED_FIELD, GO_KEY, GO_KIND, GO_RUNTIME_TYPE,
                    KIND_NAMES, attr, name_of)

# DW_AT_encoding values (DWARF 5, 7.8)
_GO_KIND_TO_KIND = {
    k: ("uint" if n.startswith("uint") else "int" if n.startswith("int") and n != "interface"
        else "float" if n.startswith("float") else "complex" if n.startswith("complex") else n)
    for k, n in KIND_NAMES.items()}
_ENC_KIND = {2: "bool", 3: "complex", 4: "float", 5: "int", 6: "int", 7: "uint", 8: "uint"}


class Field:
    """A struct member: name, byte offset, type, and whether it is embedded."""
    __slots__ = ("name", "offset", "_table", "_type_off", "embedded")

    def __init__(self, name, offset, table, type_off, embedded):
        self.name = name
        self.offset = offset
        self._table = table
        self._type_off = type_off
        self.embedded = embedded

    @property
    def type(self):
        return self._table.get(self._type_off)

    def __repr__(self):
        return f"Field({self.name!r}, +{self.offset}, {self.type.name!r})"


class GoType:
    """One Go type.

    kind is one of: bool int uint float complex string ptr unsafe.Pointer
    struct array slice interface map chan func unknown.
    """

    def __init__(self, table, offset, name, kind, size, go_kind=0, rtype=0):
        self._table = table
        self.offset = offset        # DIE offset after stripping typedefs
        self.name = name
        self.kind = kind
        self.size = size
        self.go_kind = go_kind
        self.rtype = rtype
        self.signed = False
        self.fields = []
        self.count = 0              # arrays
        self.empty_interface = True  # interfaces: eface or iface
        self.map_die = None         # maps: the DIE offset that carries go_key/go_elem
        self._elem_off = None
        self._key_off = None
        self._target_off = None     # pointers (and the map/chan header pointer)

    def _ref(self, off):
        return None if off is None else self._table.get(off)

    @property
    def elem(self):
        """Element type: of a pointer's target, an array, a slice, a map's values."""
        return self._ref(self._elem_off if self._elem_off is not None else self._target_off)

    @property
    def key(self):
        return self._ref(self._key_off)

    @property
    def target(self):
        """For pointers, maps and chans: what the pointer points at (maps: the header)."""
        return self._ref(self._target_off)

    @property
    def key_offset(self):
        return self._key_off

    @property
    def elem_offset(self):
        return self._elem_off

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def is_pointer_shaped(self):
        """True when the compiler stores a value of this type directly in an interface word."""
        if self.kind in ("ptr", "unsafe.Pointer", "map", "chan", "func"):
            return True
        if self.kind == "struct" and len(self.fields) == 1 and self.size == 8:
            return self.fields[0].type.is_pointer_shaped()
        if self.kind == "array" and self.count == 1 and self.size == 8:
            return self.elem.is_pointer_shaped()
        return False

    def __repr__(self):
        return f"GoType({self.name!r}, {self.kind}, size={self.size})"


class TypeTable:
    """Builds and caches GoType objects from DIE offsets."""

    def __init__(self, dwarfinfo, index):
        self.dwarf = dwarfinfo
        self.index = index
        self._by_offset = {}

    def die(self, offset):
        return self.dwarf.get_DIE_from_refaddr(offset)

    def get(self, offset):
        t = self._by_offset.get(offset)
        if t is None:
            t = self._build(offset)
            self._by_offset[offset] = t
        return t

    def by_name(self, name, want_kind=None):
        """The type named ``name`` (Go spelling); NoSuchName if there is none."""
        offs = self.index.types.get(name)
        if not offs:
            raise NoSuchName(f"no type named {name!r} in the binary's DWARF; spell it as "
                             f"Go does (e.g. 'map[string]int', 'main.Cache')")
        for off in offs:
            t = self.get(off)
            if want_kind is None or t.kind == want_kind:
                return t
        return self.get(offs[0])

    def by_runtime_type(self, rtype_off):
        off = self.index.runtime_types.get(rtype_off)
        return None if off is None else self.get(off)

    def _build(self, offset):
        die = self.die(offset)
        name = name_of(die)
        go_kind = attr(die, GO_KIND, 0)
        rtype = attr(die, GO_RUNTIME_TYPE, 0)
        key_off = elem_off = None
        if GO_KEY in die.attributes:
            key_off = die.get_DIE_from_attribute(GO_KEY).offset
        if GO_ELEM in die.attributes:
            elem_off = die.get_DIE_from_attribute(GO_ELEM).offset
        map_die = offset if go_kind == 21 else None
        seen = 0
        while die.tag == "DW_TAG_typedef" and "DW_AT_type" in die.attributes and seen < 32:
            die = die.get_DIE_from_attribute("DW_AT_type")
            seen += 1
            if not go_kind:
                go_kind = attr(die, GO_KIND, 0)
            if not rtype:
                rtype = attr(die, GO_RUNTIME_TYPE, 0)
            if key_off is None and GO_KEY in die.attributes:
                key_off = die.get_DIE_from_attribute(GO_KEY).offset
            if elem_off is None and GO_ELEM in die.attributes:
                elem_off = die.get_DIE_from_attribute(GO_ELEM).offset
            if name is None:
                name = name_of(die)
        name = name or "?"
        size = attr(die, "DW_AT_byte_size", 0)
        kind = self._kind(die, go_kind, name)
        t = GoType(self, die.offset, name, kind, size, go_kind, rtype)
        t._key_off, t._elem_off = key_off, elem_off
        if map_die is not None:
            t.map_die = map_die
        tag = die.tag
        if "DW_AT_type" in die.attributes and tag in ("DW_TAG_pointer_type", "DW_TAG_array_type"):
            t._target_off = die.get_DIE_from_attribute("DW_AT_type").offset
        if tag == "DW_TAG_pointer_type" and kind in ("map", "chan", "ptr", "unsafe.Pointer"):
            t.size = t.size or 8
        if tag == "DW_TAG_base_type":
            t.signed = attr(die, "DW_AT_encoding", 0) in (5, 6)
        elif tag == "DW_TAG_structure_type":
            for child in die.iter_children():
                if child.tag != "DW_TAG_member":
                    continue
                loc = attr(child, "DW_AT_data_member_location", 0)
                if not isinstance(loc, int):
                    loc = 0
                toff = child.get_DIE_from_attribute("DW_AT_type").offset \
                    if "DW_AT_type" in child.attributes else None
                t.fields.append(Field(name_of(child) or "_", loc, self, toff,
                                      bool(attr(child, GO_EMBEDDED_FIELD, False))))
            if kind == "interface":
                t.empty_interface = not any(f.name == "tab" for f in t.fields)
        elif tag == "DW_TAG_array_type":
            t._elem_off = t._target_off
            for child in die.iter_children():
                if child.tag == "DW_TAG_subrange_type":
                    if "DW_AT_count" in child.attributes:
                        t.count = attr(child, "DW_AT_count", 0)
                    elif "DW_AT_upper_bound" in child.attributes:
                        t.count = attr(child, "DW_AT_upper_bound", -1) + 1
                    break
        if kind == "func":
            t.size = 8
        return t

    @staticmethod
    def _kind(die, go_kind, name):
        tag = die.tag
        kname = _GO_KIND_TO_KIND.get(go_kind)
        if kname is not None:
            if kname == "struct" and tag != "DW_TAG_structure_type":
                return "unknown"
            return kname
        if tag == "DW_TAG_base_type":
            return _ENC_KIND.get(attr(die, "DW_AT_encoding", 0), "unknown")
        if tag == "DW_TAG_pointer_type":
            return "ptr" if "DW_AT_type" in die.attributes else "unsafe.Pointer"
        if tag == "DW_TAG_structure_type":
            if name == "string":
                return "string"
            if name.startswith("[]"):
                return "slice"
            if name in ("runtime.eface", "runtime.iface"):
                return "interface"
            return "struct"
        if tag == "DW_TAG_array_type":
            return "array"
        if tag == "DW_TAG_subroutine_type":
            return "func"
        return "unknown"
