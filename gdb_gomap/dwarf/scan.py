"""A fast, narrow pass over .debug_info that builds the name index.

pyelftools parses every attribute of every DIE into objects; for an index we
only need a few attributes of a few tags.  This scanner reads the abbrev
table once, turns each abbrev into a plan (which attributes to read, how to
skip the rest), and walks the raw bytes.  It understands the forms DWARF 4
and 5 define.  It raises

- ``ScanError`` for what it does not handle but DWARF allows (64-bit units,
  units other than compile units, vendor forms): the caller walks the DIEs
  with pyelftools instead, and says so (``DwarfIndex.fallback``);
- ``Malformed`` (a ScanError) for bytes no DWARF producer writes: an abbrev
  code the table lacks, a form DWARF does not define, a version that is not
  2-5, data running past the section, a DIE tree that does not close.  It
  says where; the caller has pyelftools confirm it on that one unit rather
  than walk everything.
"""

from elftools.dwarf.enums import ENUM_DW_AT, ENUM_DW_FORM, ENUM_DW_TAG, ENUM_DW_UT

from .attrs import GO_KIND, GO_RUNTIME_TYPE, TYPE_TAGS


class ScanError(Exception):
    """The section has something the fast scanner does not handle."""


class Malformed(ScanError):
    """The bytes break DWARF's rules at ``offset`` (in ``section``), in the unit at
    ``unit``, reading the DIE at ``die``.  ``final`` when pyelftools cannot tell
    (it does not check the DIE tree's shape): then there is nothing to confirm."""

    def __init__(self, detail, offset, unit=None, section=".debug_info", final=False):
        super().__init__(detail)
        self.offset = offset
        self.unit = unit
        self.die = None
        self.section = section
        self.final = final


# The numbers the scanner compares against, looked up once by their DWARF names.
FORM = {name[len("DW_FORM_"):]: code for name, code in ENUM_DW_FORM.items()
        if isinstance(code, int)}
TAG_VARIABLE = ENUM_DW_TAG["DW_TAG_variable"]
TYPE_TAG_CODES = frozenset(ENUM_DW_TAG[name] for name in TYPE_TAGS)
AT_NAME, AT_LOCATION = ENUM_DW_AT["DW_AT_name"], ENUM_DW_AT["DW_AT_location"]
UT_COMPILE = ENUM_DW_UT["DW_UT_compile"]

(FORM_ADDR, FORM_BLOCK1, FORM_BLOCK2, FORM_BLOCK4, FORM_STRING, FORM_STRP,
 FORM_INDIRECT, FORM_IMPLICIT_CONST) = (FORM[n] for n in (
    "addr", "block1", "block2", "block4", "string", "strp", "indirect", "implicit_const"))
BLOCK_ULEB_FORMS = frozenset((FORM["block"], FORM["exprloc"]))   # a ULEB128 length, then bytes

# form -> fixed size in bytes (None: variable, handled in code; DW_FORM_addr: the
# unit's address size).  A form not here is not one DWARF 2-5 defines.
FIXED = {FORM[name]: size for name, size in (
    ("block2", None), ("block4", None), ("data2", 2), ("data4", 4), ("data8", 8),
    ("string", None), ("block", None), ("block1", None), ("data1", 1), ("flag", 1),
    ("sdata", None), ("strp", 4), ("udata", None), ("ref_addr", 4), ("ref1", 1),
    ("ref2", 2), ("ref4", 4), ("ref8", 8), ("ref_udata", None), ("sec_offset", 4),
    ("exprloc", None), ("flag_present", 0), ("strx", None), ("addrx", None),
    ("ref_sup4", 4), ("strp_sup", 4), ("data16", 16), ("line_strp", 4), ("ref_sig8", 8),
    ("implicit_const", 0), ("loclistx", None), ("rnglistx", None), ("ref_sup8", 8),
    ("strx1", 1), ("strx2", 2), ("strx3", 3), ("strx4", 4), ("addrx1", 1), ("addrx2", 2),
    ("addrx3", 3), ("addrx4", 4))}
# The GNU and LLVM extensions' range (DW_FORM_GNU_addr_index and the like): valid
# DWARF, not handled here.
VENDOR_FORMS = range(0x1F00, 0x2100)
ULEB_FORMS = frozenset(FORM[name] for name in (
    "sdata", "udata", "ref_udata", "strx", "addrx", "loclistx", "rnglistx"))


def uleb128(data, pos):
    """(value, next position) of the unsigned LEB128 number at ``data[pos]`` (DWARF's
    ULEB128; Go's uvarint, e.g. in the build info, is the same encoding)."""
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    value = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def sleb128(data, pos):
    """(value, next position) of the signed LEB128 number at ``data[pos]``."""
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                value -= 1 << shift
            return value, pos


def _skip_leb(data, pos):
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def parse_abbrevs(data, offset):
    """code -> (tag, has_children, [(attr, form)]) for the table at ``offset``."""
    table = {}
    pos = offset
    while True:
        code, pos = uleb128(data, pos)
        if code == 0:
            return table
        tag, pos = uleb128(data, pos)
        children = data[pos]
        pos += 1
        specs = []
        while True:
            attr, pos = uleb128(data, pos)
            form, pos = uleb128(data, pos)
            if attr == 0 and form == 0:
                break
            if form == FORM_IMPLICIT_CONST:  # the value lives in the abbrev
                pos = _skip_leb(data, pos)
            if form in VENDOR_FORMS:
                raise ScanError(f"DWARF form {form:#x} is not handled")
            specs.append((attr, form))   # an undefined form is Malformed when a DIE uses it
        table[code] = (tag, bool(children), specs)


def _plan(tag, specs, addr_size):
    """Steps for one abbrev: a list of (wanted attr or 0, form, fixed size or None)."""
    wanted = ()
    if tag in TYPE_TAG_CODES:
        wanted = (AT_NAME, GO_KIND, GO_RUNTIME_TYPE)
    elif tag == TAG_VARIABLE:
        wanted = (AT_NAME, AT_LOCATION)
    steps = []
    for attr, form in specs:
        size = addr_size if form == FORM_ADDR else FIXED.get(form)
        steps.append((attr if attr in wanted else 0, form, size))
    # merge runs of unwanted fixed-size attributes into one skip
    merged = []
    for st in steps:
        if st[0] == 0 and st[2] is not None and merged and merged[-1][0] == 0 and \
                merged[-1][1] == -1:
            merged[-1] = (0, -1, merged[-1][2] + st[2])
        elif st[0] == 0 and st[2] is not None:
            merged.append((0, -1, st[2]))
        else:
            merged.append(st)
    return merged


def scan(info, abbrev, debug_str=b"", order="little"):
    """Return (types, variables, runtime_types) as DwarfIndex wants them; ``order``
    is the ELF file's byte order (DWARF's numbers are in it)."""
    types, variables, rtypes = {}, {}, {}
    abbrev_cache = {}
    # The constants the DIE loop compares with, as locals (faster than globals).
    form_addr, form_string, form_strp, form_indirect = FORM_ADDR, FORM_STRING, FORM_STRP, \
        FORM_INDIRECT
    fixed, at_name, go_kind, go_runtime_type, tag_variable = FIXED, AT_NAME, GO_KIND, \
        GO_RUNTIME_TYPE, TAG_VARIABLE
    pos = unit_start = die_off = aoff = 0
    n = len(info)
    in_abbrev = False
    try:
        while pos < n:
            unit_start = die_off = pos
            length = int.from_bytes(info[pos:pos + 4], order)
            if length == 0xFFFFFFFF:
                length = int.from_bytes(info[pos + 4:pos + 12], order)
                if pos + 12 + length > n:
                    raise Malformed(f"the 64-bit unit's length {length:#x} runs past the "
                                    f"end of .debug_info ({n:#x} bytes)", pos, pos)
                raise ScanError("64-bit DWARF is not handled")
            if length >= 0xFFFFFFF0:
                raise Malformed(f"unit length {length:#x} is a reserved value", pos, pos)
            end = pos + 4 + length
            if end > n:
                raise Malformed(f"the unit's length {length:#x} runs past the end of "
                                f".debug_info ({n:#x} bytes)", pos, pos)
            version = int.from_bytes(info[pos + 4:pos + 6], order)
            if version >= 5:
                if version > 5:
                    raise Malformed(f"DWARF version {version} is not one of 2-5", pos, pos)
                if info[pos + 6] != UT_COMPILE:
                    raise ScanError(f"unit type {info[pos + 6]:#x} is not handled")
                addr_size = info[pos + 7]
                aoff = int.from_bytes(info[pos + 8:pos + 12], order)
                pos += 12
            elif version in (2, 3, 4):
                aoff = int.from_bytes(info[pos + 6:pos + 10], order)
                addr_size = info[pos + 10]
                pos += 11
            else:
                raise Malformed(f"DWARF version {version} is not one of 2-5", pos, pos)
            plans = abbrev_cache.get((aoff, addr_size))
            if plans is None:
                in_abbrev = True
                plans = {code: (tag, ch, _plan(tag, specs, addr_size))
                         for code, (tag, ch, specs) in parse_abbrevs(abbrev, aoff).items()}
                in_abbrev = False
                abbrev_cache[(aoff, addr_size)] = plans
            depth = 0
            while pos < end:
                die_off = pos
                code, pos = uleb128(info, pos)
                if code == 0:
                    depth -= 1
                    continue
                plan = plans.get(code)
                if plan is None:
                    raise Malformed(f"abbrev code {code} is not in the unit's abbrev table "
                                    f"(at .debug_abbrev offset {aoff:#x})", die_off, unit_start)
                tag, children, steps = plan
                name = kind = rt = None
                has_loc = False
                for attr, form, size in steps:
                    if form == -1:
                        pos += size
                        continue
                    if form == form_indirect:
                        form, pos = uleb128(info, pos)
                        size = addr_size if form == form_addr else fixed.get(form)
                    if attr == 0:
                        pos = _skip(info, pos, form, size, order)
                        continue
                    if attr == at_name:
                        if form == form_string:
                            z = info.index(b"\0", pos)
                            name = info[pos:z].decode("utf-8", "replace")
                            pos = z + 1
                        elif form == form_strp and debug_str:
                            o = int.from_bytes(info[pos:pos + 4], order)
                            z = debug_str.index(b"\0", o)
                            name = debug_str[o:z].decode("utf-8", "replace")
                            pos += 4
                        else:
                            pos = _skip(info, pos, form, size, order)
                    elif attr == go_kind:
                        kind = True
                        pos = _skip(info, pos, form, size, order)
                    elif attr == go_runtime_type:
                        if size is not None and form == form_addr:
                            rt = int.from_bytes(info[pos:pos + size], order)
                        pos = _skip(info, pos, form, size, order)
                    else:  # AT_LOCATION
                        has_loc = True
                        pos = _skip(info, pos, form, size, order)
                if tag == tag_variable:
                    if depth == 1 and name and has_loc:
                        variables[name] = die_off
                elif name is not None:
                    lst = types.setdefault(name, [])
                    if kind:
                        lst.insert(0, die_off)
                    else:
                        lst.append(die_off)
                if rt and rt not in rtypes:
                    rtypes[rt] = die_off
                if children:
                    depth += 1
            if pos > end:
                raise Malformed(f"the last DIE runs past the unit's end at {end:#x}", die_off,
                                unit_start, final=True)
            pos = end
            if depth not in (0, -1):
                raise Malformed(f"the unit's DIE tree does not close (depth {depth} at its "
                                f"end)", unit_start, unit_start, final=True)
    except Malformed as exc:
        if exc.unit is None:    # from _skip, which knows only the position
            exc.unit = unit_start
        exc.die = die_off
        raise
    except (IndexError, ValueError) as exc:   # ran off the data: past the end, or no NUL
        if in_abbrev:
            err = Malformed(f"the abbrev table runs past the end of .debug_abbrev ({exc})",
                            aoff, unit_start, ".debug_abbrev")
        else:
            err = Malformed(f"the DIE runs past the end of its data ({exc})", die_off,
                            unit_start)
        err.die = die_off
        raise err from exc
    return types, variables, rtypes


def _skip(data, pos, form, size, order="little"):
    if size is not None:
        return pos + size
    if form == FORM_STRING:
        return data.index(b"\0", pos) + 1
    if form in ULEB_FORMS:
        return _skip_leb(data, pos)
    if form == FORM_BLOCK1:
        return pos + 1 + data[pos]
    if form in BLOCK_ULEB_FORMS:
        n, pos = uleb128(data, pos)
        return pos + n
    if form == FORM_BLOCK2:
        return pos + 2 + int.from_bytes(data[pos:pos + 2], order)
    if form == FORM_BLOCK4:
        return pos + 4 + int.from_bytes(data[pos:pos + 4], order)
    if form in VENDOR_FORMS or form == FORM_INDIRECT:   # (an indirect form naming indirect)
        raise ScanError(f"DWARF form {form:#x} is not handled")
    raise Malformed(f"DWARF defines no form {form:#x}", pos)
