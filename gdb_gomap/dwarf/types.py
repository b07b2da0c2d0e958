"""Go types built from DWARF DIEs, lazily and once per DIE.

A :class:`GoType` is what the value decoder and the layout detector need: the
Go name, the kind, the size, and the parts (fields, element, key), each
resolved only when first asked for.  Typedefs are stripped, keeping the
outermost name, which is the Go spelling of the type.

DIEs are parsed here, lazily, while a map is decoded, so every call into
pyelftools goes through :func:`~gdb_gomap.dwarf.elf.corrupt_at`, and every
attribute a GoType keeps is checked to be what DWARF promises (sizes and
counts are ints, references point at DIEs): corrupt DWARF ends a decode with
a one-line CorruptDwarf, whichever DIE it is met in.  A DIE that is not what
the name index says it is makes the index be rebuilt (it came from a stale
or forged cache file) before anything is concluded.
"""

from ..arch import AMD64
from ..errors import CorruptDwarf, NoSuchName
from .attrs import (GO_ELEM, GO_EMBEDDED_FIELD, GO_KEY, GO_KIND, GO_RUNTIME_TYPE,
                    KIND_NAMES, TYPE_TAGS, attr, name_of)
from .elf import corrupt_at

# DW_AT_encoding values (DWARF 5, 7.8)
_GO_KIND_TO_KIND = {
    k: ("uint" if n.startswith("uint") else "int" if n.startswith("int") and n != "interface"
        else "float" if n.startswith("float") else "complex" if n.startswith("complex") else n)
    for k, n in KIND_NAMES.items()}
# The forms pyelftools' DIE.get_DIE_from_attribute follows (within this file).
REF_FORMS = frozenset(("DW_FORM_ref1", "DW_FORM_ref2", "DW_FORM_ref4", "DW_FORM_ref8",
                       "DW_FORM_ref_udata", "DW_FORM_ref_addr", "DW_FORM_ref_sig8"))
# The sizes a value of each kind has on linux/amd64, the only target gomap reads.
NATURAL_SIZES = {"bool": (1,), "int": (1, 2, 4, 8), "uint": (1, 2, 4, 8), "float": (4, 8),
                 "complex": (8, 16), "string": (2,), "slice": (3,), "interface": (2,),
                 "ptr": (1,), "unsafe.Pointer": (1,), "chan": (1,), "func": (1,), "map": (1,)}
IN_WORDS = ("string", "slice", "interface", "ptr", "unsafe.Pointer", "chan", "func", "map")
_ENC_KIND = {2: "bool", 3: "complex", 4: "float", 5: "int", 6: "int", 7: "uint", 8: "uint"}


class Field:
    """A struct member: name, byte offset, type, and whether it is embedded."""
    __slots__ = ("name", "offset", "_table", "_type_off", "embedded", "_owner", "_type")

    def __init__(self, name, offset, table, type_off, embedded, owner=None):
        self.name = name
        self.offset = offset
        self._table = table
        self._type_off = type_off
        self.embedded = embedded
        self._owner = owner
        self._type = None

    @property
    def type(self):
        t = self._type
        if t is None:
            if self._type_off is None:
                raise CorruptDwarf(f"struct member {self.name!r} has no DW_AT_type",
                                   ".debug_info", None, self._table.path)
            t = self._table.get(self._type_off)
            owner = self._owner
            if owner is not None and self.offset + t.size > owner.size:
                raise CorruptDwarf(f"member {self.name} ({t.name}, {t.size} bytes at +"
                                   f"{self.offset}) lies outside its struct {owner.name} of "
                                   f"{owner.size} bytes", ".debug_info", owner.offset,
                                   self._table.path)
            self._type = t
        return t

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
        self._elem_off = None
        self._key_off = None
        self._target_off = None     # pointers (and the map/chan header pointer)
        self._checked = False       # arrays: count x element size checked against size

    def _ref(self, off):
        return None if off is None else self._table.get(off)

    @property
    def elem(self):
        """Element type: of a pointer's target, an array, a slice, a map's values."""
        t = self._ref(self._elem_off if self._elem_off is not None else self._target_off)
        if self.kind == "array" and not self._checked and t is not None:
            if self.count * t.size != self.size:
                raise CorruptDwarf(f"array type {self.name} of {self.size} bytes has "
                                   f"{self.count} elements of {t.size}", ".debug_info",
                                   self.offset, self._table.path)
            self._checked = True
        return t

    @property
    def key(self):
        return self._ref(self._key_off)

    @property
    def target(self):
        """For pointers, maps and chans: what the pointer points at (maps: the header)."""
        return self._ref(self._target_off)

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def arch(self):
        """The target machine of the table this type came from."""
        return self._table.arch

    def is_pointer_shaped(self, _depth=0):
        """True when the compiler stores a value of this type directly in an interface word."""
        if self.kind in ("ptr", "unsafe.Pointer", "map", "chan", "func"):
            return True
        if _depth > 64:   # a struct that holds itself: only corrupt DWARF says that
            return False
        ptr = self.arch.ptr
        if self.kind == "struct" and len(self.fields) == 1 and self.size == ptr:
            return self.fields[0].type.is_pointer_shaped(_depth + 1)
        if self.kind == "array" and self.count == 1 and self.size == ptr:
            elem = self.elem
            return elem is not None and elem.is_pointer_shaped(_depth + 1)
        return False

    def __repr__(self):
        return f"GoType({self.name!r}, {self.kind}, size={self.size})"


class TypeTable:
    """Builds and caches GoType objects from DIE offsets."""

    def __init__(self, dwarfinfo, index, arch=AMD64):
        self.dwarf = dwarfinfo
        self.index = index
        self.arch = arch       # the target's pointer size and byte order
        self.path = getattr(dwarfinfo, "path", None)
        self._by_offset = {}
        self._by_rtype = {}
        self._constants = {}   # type name -> {value: constant name}
        self._by_package = {}  # package path -> {type name: [(value, constant name)]}
        self._units = None     # package path -> its compile units

    def die(self, offset):
        """The pyelftools DIE at ``offset``.  When the index names a package
        variable there, the DIE is checked to be that variable (with a location
        and a type that parse); if it is not, the index is rebuilt and the
        variable's DIE is the one returned."""
        name = self.index.variable_name_at(offset)
        if name is None:
            return self._parse(offset)
        try:
            die = self._parse(offset)
            problem = self._variable_problem(die, name)
        except CorruptDwarf:
            if not self.index.from_cache:
                raise
            problem = "does not parse"    # a stale cache entry: not the DWARF's fault
        if problem is None:
            return die
        if self._rebuild_index():
            offset = self.index.variables.get(name)
            if offset is None:
                raise NoSuchName(f"no package variable {name!r} in the binary's DWARF; use "
                                 f"the package path, e.g. 'main.cache'")
            die = self._parse(offset)
            problem = self._variable_problem(die, name)
            if problem is None:
                return die
        raise CorruptDwarf(f"the DIE of variable {name} {problem}", ".debug_info", offset,
                           self.path)

    def _variable_problem(self, die, name):
        """What is wrong with ``die`` as the DIE of package variable ``name``, or None."""
        if die.tag != "DW_TAG_variable" or name_of(die) != name:
            return f"is a {die.tag} named {name_of(die)!r}"
        for key in ("DW_AT_location", "DW_AT_type"):
            if key not in die.attributes:
                return f"has no {key}"
        self._ref(die, "DW_AT_type")   # parsed now, so its errors are CorruptDwarf
        return None

    def _rebuild_index(self):
        """Rebuild a stale index (see DwarfIndex.rebuild); True if it was rebuilt."""
        if not self.index.rebuild():
            return False
        self._by_rtype.clear()
        return True

    def _parse(self, offset):
        if type(offset) is not int:
            raise CorruptDwarf(f"a reference to a DIE is {offset!r}", ".debug_info", None,
                               self.path)
        with corrupt_at(self.dwarf, ".debug_info", offset):
            return self.dwarf.get_DIE_from_refaddr(offset)

    def _ref(self, die, name):
        """The DIE that attribute ``name`` of ``die`` refers to."""
        form = die.attributes[name].form
        if form not in REF_FORMS:
            raise CorruptDwarf(f"{name if isinstance(name, str) else hex(name)} has form "
                               f"{form}, not a reference", ".debug_info", die.offset, self.path)
        with corrupt_at(self.dwarf, ".debug_info", die.offset):
            return die.get_DIE_from_attribute(name)

    def _ref_offset(self, die, name):
        return self._ref(die, name).offset

    def _children(self, die):
        with corrupt_at(self.dwarf, ".debug_info", die.offset):
            return list(die.iter_children())

    def _int(self, die, key, default=0, minimum=0):
        """Attribute ``key`` of ``die``, which DWARF says is a number."""
        v = attr(die, key, default)
        if type(v) is not int or v < minimum:
            raise CorruptDwarf(f"{key if isinstance(key, str) else hex(key)} of the DIE is "
                               f"{v!r}, not a number of {minimum} or more", ".debug_info",
                               die.offset, self.path)
        return v

    def get(self, offset):
        t = self._by_offset.get(offset)
        if t is None:
            t = self._build(offset)
            self._by_offset[offset] = t
        return t

    def by_name(self, name, want_kind=None):
        """The type named ``name`` (Go spelling); NoSuchName if there is none."""
        offs = self.index.types.get(name)
        if offs and not self._names_type(offs[0], name) and self._rebuild_index():
            offs = self.index.types.get(name)
        if not offs:
            raise NoSuchName(f"no type named {name!r} in the binary's DWARF; spell it as "
                             f"Go does (e.g. 'map[string]int', 'main.Cache')")
        if not self._names_type(offs[0], name):
            raise CorruptDwarf(f"the DIE the index gives for type {name} is not that type",
                               ".debug_info", offs[0], self.path)
        for off in offs:
            t = self.get(off)
            if want_kind is None or t.kind == want_kind:
                return t
        return self.get(offs[0])

    def _names_type(self, offset, name):
        die = self._parse_indexed(offset)
        return die is not None and die.tag in TYPE_TAGS and name_of(die) == name

    def _parse_indexed(self, offset):
        """The DIE at an offset the index gave; None if it does not parse and the
        index came from the cache (a stale entry, not corrupt DWARF)."""
        try:
            return self._parse(offset)
        except CorruptDwarf:
            if self.index.from_cache:
                return None
            raise

    def by_runtime_type(self, rtype_off):
        """The type whose DW_AT_go_runtime_type is ``rtype_off``, or None.  Checked
        against its DIE the first time (and the index rebuilt if it is stale)."""
        t = self._by_rtype.get(rtype_off, False)
        if t is not False:
            return t
        off = self.index.runtime_types.get(rtype_off)
        if off is not None:
            die = self._parse_indexed(off)
            if (die is None or attr(die, GO_RUNTIME_TYPE) != rtype_off) and \
                    self._rebuild_index():
                off = self.index.runtime_types.get(rtype_off)
        t = self._by_rtype[rtype_off] = None if off is None else self.get(off)
        return t

    def constants(self, t):
        """{value: name} of the constants the DWARF declares with the named integer
        type ``t`` (``AttrStrideSize`` for ``main.AttrStrideSize``); empty for an
        unnamed type.  The compiler writes a package's typed integer constants as
        DW_TAG_constant children of the package's unit, read once per package; the
        first of two constants with one value keeps it."""
        if t.kind not in ("int", "uint") or "." not in t.name or "[" in t.name:
            return {}
        got = self._constants.get(t.name)
        if got is None:
            raw = self._package_constants(t.name)
            mask = (1 << (8 * t.size)) - 1
            got = {}
            for value, name in raw:
                got.setdefault(value & mask if t.kind == "uint" else value, name)
            self._constants[t.name] = got
        return got

    def _package_constants(self, type_name):
        """[(value, name)] of the constants of ``type_name``'s package that have that type."""
        units = self._package_units()
        # the package is the longest unit name the type's name starts with
        # (a path may hold dots: gopkg.in/yaml.v3.Kind)
        pkg = max((p for p in units if type_name.startswith(p + ".")), key=len, default=None)
        if pkg is None:
            return []
        by_type = self._by_package.get(pkg)
        if by_type is None:
            by_type = self._by_package[pkg] = {}
            for cu in units[pkg]:
                for die in self._children(cu.get_top_DIE()):
                    if die.tag != "DW_TAG_constant" or "DW_AT_type" not in die.attributes:
                        continue
                    value, name = attr(die, "DW_AT_const_value"), name_of(die)
                    if type(value) is not int or not name:
                        continue
                    short = name[len(pkg) + 1:] if name.startswith(pkg + ".") else name
                    typ = name_of(self._ref(die, "DW_AT_type"))
                    by_type.setdefault(typ, []).append((value, short))
        return by_type.get(type_name, [])

    def _package_units(self):
        if self._units is None:
            units = {}
            with corrupt_at(self.dwarf, ".debug_info", 0):
                for cu in self.dwarf.iter_CUs():
                    name = name_of(cu.get_top_DIE())
                    if name:
                        units.setdefault(name, []).append(cu)
            self._units = units
        return self._units

    def interface_type(self, memory, t, raw, types_base, arch=None):
        """(dynamic GoType or None, data word, runtime type address) of the interface
        value ``raw`` (its two words) of interface type ``t``: the type word of an
        eface, or the ``_type`` one word into a non-empty interface's itab (read
        from ``memory``; UnreadableMemory if it cannot be).  (None, 0, 0) for nil."""
        a = arch or self.arch
        word0, data = a.word(raw), a.word(raw, a.ptr)
        if not word0:
            return None, data, 0
        type_addr = word0
        if not t.empty_interface:
            type_addr = a.word(memory.read(word0 + a.ptr, a.ptr))
        return self.by_runtime_type(type_addr - types_base), data, type_addr

    def _build(self, offset):
        die = self._parse(offset)
        name = name_of(die)
        go_kind = self._int(die, GO_KIND)
        rtype = self._int(die, GO_RUNTIME_TYPE)
        key_off = elem_off = None
        if GO_KEY in die.attributes:
            key_off = self._ref_offset(die, GO_KEY)
        if GO_ELEM in die.attributes:
            elem_off = self._ref_offset(die, GO_ELEM)
        seen = 0
        while die.tag == "DW_TAG_typedef" and "DW_AT_type" in die.attributes and seen < 32:
            die = self._ref(die, "DW_AT_type")
            seen += 1
            if not go_kind:
                go_kind = self._int(die, GO_KIND)
            if not rtype:
                rtype = self._int(die, GO_RUNTIME_TYPE)
            if key_off is None and GO_KEY in die.attributes:
                key_off = self._ref_offset(die, GO_KEY)
            if elem_off is None and GO_ELEM in die.attributes:
                elem_off = self._ref_offset(die, GO_ELEM)
            if name is None:
                name = name_of(die)
        name = name or "?"
        size = self._int(die, "DW_AT_byte_size")
        kind = self._kind(die, go_kind, name)
        t = GoType(self, die.offset, name, kind, size, go_kind, rtype)
        t._key_off, t._elem_off = key_off, elem_off
        tag = die.tag
        if "DW_AT_type" in die.attributes and tag in ("DW_TAG_pointer_type", "DW_TAG_array_type"):
            t._target_off = self._ref_offset(die, "DW_AT_type")
        if tag == "DW_TAG_pointer_type" and kind in ("map", "chan", "ptr", "unsafe.Pointer"):
            t.size = t.size or self.arch.ptr
        if tag == "DW_TAG_base_type":
            t.signed = self._int(die, "DW_AT_encoding") in (5, 6)
        elif tag == "DW_TAG_structure_type":
            for child in self._children(die):
                if child.tag != "DW_TAG_member":
                    continue
                loc = attr(child, "DW_AT_data_member_location", 0)
                if type(loc) is not int or loc < 0:
                    loc = 0
                toff = self._ref_offset(child, "DW_AT_type") \
                    if "DW_AT_type" in child.attributes else None
                t.fields.append(Field(name_of(child) or "_", loc, self, toff,
                                      bool(attr(child, GO_EMBEDDED_FIELD, False)), t))
            if kind == "interface":
                t.empty_interface = not any(f.name == "tab" for f in t.fields)
        elif tag == "DW_TAG_array_type":
            t._elem_off = t._target_off
            for child in self._children(die):
                if child.tag == "DW_TAG_subrange_type":
                    if "DW_AT_count" in child.attributes:
                        t.count = self._int(child, "DW_AT_count")
                    elif "DW_AT_upper_bound" in child.attributes:
                        t.count = self._int(child, "DW_AT_upper_bound", minimum=-1) + 1
                    break
        if kind == "func":
            t.size = self.arch.ptr
        self._check(t)
        return t

    def _check(self, t):
        """CorruptDwarf if ``t`` is what no Go type of the target's machine is (every
        type of the test matrix and of cmd/go passes these)."""
        problem = None
        sizes = NATURAL_SIZES.get(t.kind)
        if t.kind in IN_WORDS:
            sizes = tuple(n * self.arch.ptr for n in sizes)
        if sizes is not None and t.size not in sizes:
            problem = f"is a {t.kind} of {t.size} bytes"
        elif t.kind in ("array", "slice") and t._elem_off is None:
            problem = f"is a {t.kind} with no element type"
        elif t.kind == "ptr" and t._target_off is None:
            problem = "is a pointer to nothing (not unsafe.Pointer)"
        if problem:
            raise CorruptDwarf(f"type {t.name} {problem}", ".debug_info", t.offset, self.path)

    def _kind(self, die, go_kind, name):
        tag = die.tag
        kname = _GO_KIND_TO_KIND.get(go_kind)
        if kname is not None:
            if kname == "struct" and tag != "DW_TAG_structure_type":
                return "unknown"
            return kname
        if tag == "DW_TAG_base_type":
            return _ENC_KIND.get(self._int(die, "DW_AT_encoding"), "unknown")
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
