"""gomap's expression grammar: how a map is named, without a debugger.

Every front end reads EXPR with this one module (gdb hands an expression it
cannot read to gdb's own evaluator).  The grammar, after Go's own syntax::

    expr     := '*' expr                     dereference a pointer
              | postfix
    postfix  := primary ( '.' NAME | '[' key ']' )*
    primary  := VARIABLE                     main.cache, github.com/x/y.cfg, a local m
              | '(' expr ')'
              | '(' '*' TYPE ')' '(' NUMBER ')'   the TYPE value stored at NUMBER
              | '(' '*' TYPE ')' '(' '&' expr ')' the TYPE value stored where expr is
    key      := INT | FLOAT | STRING | RAWSTRING | RUNE | true | false
    whole    := NUMBER ':' TYPE              the map header at NUMBER (ADDR:TYPE)

- ``.NAME`` selects a struct field (promoted fields of embedded structs too);
  pointers are followed on the way, and an interface is looked through to the
  value it holds (its dynamic type, from the itab or type word).
- ``[key]`` indexes an array or a slice (an integer), or looks a key up in a
  map: ``m["k"]``, ``m[42]``, ``m[-7]``, ``m[1.5]``, ``m[true]``, ``m['x']``
  (a rune), ``m[`raw`]``.  The lookup scans the map's live slots with gomap's
  own decoders (classic and swiss, a classic map caught growing included);
  a key it does not hold is :class:`~gdb_gomap.errors.NoSuchKey`.
- ``*(*map[string]int)(0xc000010000)`` is the map stored at that address (Go's
  meaning: the address of a map variable; ``(*T)(&v)`` reads ``v``'s memory as a
  T); ``0xc000123000:map[string]int`` is
  the map whose *header* is at that address.
- A name without a dot is looked up first in a frame's locals (a
  :class:`gdb_gomap.locals.FrameScope`), then as a package variable.

A value is a :class:`Place`: a GoType and where its bytes are (an address, or
the bytes themselves for a value held in registers).  An expression that does
not parse is :class:`~gdb_gomap.errors.ExprSyntax`, one line saying what was
expected at which character.
"""

import re
import struct

from .decoding import DumpOptions
from .errors import ExprSyntax, GomapError, NoSuchKey, NoSuchName, NotAMap, UsageError
from .exprcheck import check as check_expression

_IDENT = re.compile(r"[A-Za-z_][\w]*")
_PATH = re.compile(r"[\w./-]+")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|"
                     r"(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?")
_KEYWORDS = {"true": True, "false": False}
_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92,
            "'": 39, '"': 34}


# --- parsing -----------------------------------------------------------------------

class Key:
    """A key literal: ``value`` is an int, float, bool or bytes (a string);
    ``text`` is how it was written; ``rune`` when written as 'x'."""

    def __init__(self, value, text, rune=False):
        self.value, self.text, self.rune = value, text, rune


class _Parser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def fail(self, expected, pos=None):
        raise ExprSyntax(self.s, expected, self.i if pos is None else pos)

    def ws(self):
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self):
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, ch, expected):
        if self.peek() != ch:
            self.fail(expected)
        self.i += 1

    def expr(self):
        if self.peek() == "*":
            pos = self.i
            self.i += 1
            return ("deref", self.expr(), pos)
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            c = self.peek()
            if c == ".":
                self.i += 1
                m = _IDENT.match(self.s, self.i)
                if not m:
                    self.fail("a field name after '.'")
                node = ("field", node, m.group(0), self.i)
                self.i = m.end()
            elif c == "[":
                pos = self.i
                self.i += 1
                key = self.key()
                self.take("]", "']' to close the index")
                node = ("index", node, key, pos)
            else:
                return node

    def primary(self):
        c = self.peek()
        if c == "(":
            start = self.i
            self.i += 1
            close = _matching(self.s, start)
            if self.peek() == "*" and close is not None and \
                    self.s[close + 1:].lstrip().startswith("("):
                # '(*T)(...)' is a conversion (a call is refused before parsing)
                return self.conversion(start, close, self.s[start + 1:close].strip()[1:].strip())
            node = self.expr()
            self.take(")", "')'")
            return node
        m = _PATH.match(self.s, self.i)
        if not m or not (m.group(0)[0].isalpha() or m.group(0)[0] == "_"):
            self.fail("a variable name (main.cache, a local), '*' or '('")
        pos = self.i
        text = m.group(0)
        bad = re.search(r"\.(?![A-Za-z_])", text)
        if bad:
            self.fail("a field name after '.'", pos + bad.end())
        self.i = m.end()
        return ("name", text, pos)

    def conversion(self, start, close, type_name):
        """'(*TYPE)(NUMBER)': the value of TYPE stored at NUMBER."""
        self.i = close + 1
        self.take("(", "'(' and an address after the type")
        pos = self.i
        if self.peek() == "&":          # (*T)(&v): the T at v's address
            self.i += 1
            node = self.expr()
            self.take(")", "')' after the operand")
            return ("conv", type_name, ("addr", node, pos), start)
        m = _NUMBER.match(self.s, self.i)
        if not m or not m.group(0):
            self.fail("an address (a number such as 0xc000010000, or &variable)")
        try:
            addr = int(m.group(0).replace("_", ""), 0)
        except ValueError:
            self.fail("an integer address", pos)
        self.i = m.end()
        self.take(")", "')' after the address")
        if not type_name:
            self.fail("a type after '(*'", start + 2)
        return ("conv", type_name, addr, start)

    def key(self):
        self.ws()
        pos = self.i
        c = self.s[self.i] if self.i < len(self.s) else ""
        if c == '"':
            value, end = _go_string(self.s, self.i, self.fail)
            self.i = end
            return Key(value, self.s[pos:end])
        if c == "`":
            end = self.s.find("`", self.i + 1)
            if end < 0:
                self.fail("a closing '`'", len(self.s))
            self.i = end + 1
            return Key(self.s[pos + 1:end].encode(), self.s[pos:end + 1])
        if c == "'":
            value, end = _go_string(self.s, self.i, self.fail, quote="'")
            text = value.decode("utf-8", "surrogateescape")
            if len(text) != 1:
                self.fail("one character between single quotes (a rune)", pos)
            self.i = end
            return Key(ord(text), self.s[pos:end], rune=True)
        m = _IDENT.match(self.s, self.i)
        if m and m.group(0) in _KEYWORDS:
            self.i = m.end()
            return Key(_KEYWORDS[m.group(0)], m.group(0))
        sign = 1
        if c in "+-":
            sign = -1 if c == "-" else 1
            self.i += 1
        m = _NUMBER.match(self.s, self.i)
        if not m or not m.group(0):
            self.fail("a key: a number, \"string\", 'rune', true or false", pos)
        lit = m.group(0).replace("_", "")
        self.i = m.end()
        try:
            if re.fullmatch(r"0[xXoObB].*|\d+", lit):
                return Key(sign * int(lit, 0) if not re.fullmatch(r"0\d+", lit)
                           else sign * int(lit, 8), self.s[pos:self.i])
            return Key(sign * float(lit), self.s[pos:self.i])
        except ValueError:
            self.fail("a number", pos)


def _matching(s, start):
    depth = 0
    for j in range(start, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def _go_string(s, start, fail, quote='"'):
    """(bytes, end) of the Go interpreted string (or rune) literal at ``s[start]``."""
    out = bytearray()
    i = start + 1
    while i < len(s):
        c = s[i]
        if c == quote:
            return bytes(out), i + 1
        if c != "\\":
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        e = s[i + 1:i + 2]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", s[i + 2:i + 4]):
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e in ("u", "U") and re.fullmatch(r"[0-9a-fA-F]+", s[i + 2:i + (6 if e == "u" else 10)])\
                and len(s[i + 2:i + (6 if e == "u" else 10)]) == (4 if e == "u" else 8):
            n = 4 if e == "u" else 8
            out += chr(int(s[i + 2:i + 2 + n], 16)).encode("utf-8", "surrogatepass")
            i += 2 + n
        elif re.fullmatch(r"[0-7]{3}", s[i + 1:i + 4]):
            out.append(int(s[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            fail("a Go escape (\\n \\t \\\\ \\\" \\xNN \\uNNNN ...)", i)
    fail(f"a closing {quote}", len(s))


def parse(text):
    """The syntax tree of ``text`` (nested tuples); ExprSyntax when it does not parse."""
    p = _Parser(text)
    if not text.strip():
        p.fail("an expression")
    node = p.expr()
    if p.peek():
        c = p.peek()
        p.fail("'.field', '[index]' or the end" if c not in ")]" else "the end")
    return node


def split_addr_type(expr):
    """'0xADDR:map[K]V' -> (addr, type name), else None."""
    if ":" not in expr:
        return None
    a, t = expr.split(":", 1)
    try:
        return int(a, 0), t.strip()
    except ValueError:
        return None


# --- values --------------------------------------------------------------------------

class Place:
    """A value of GoType ``t``: at ``addr`` in memory, or held as ``raw`` bytes
    (a value in registers, a map cell)."""

    __slots__ = ("t", "addr", "raw")

    def __init__(self, t, addr=None, raw=None):
        self.t, self.addr, self.raw = t, addr, raw

    def read(self, mem, off=0, size=None):
        size = self.t.size - off if size is None else size
        if self.raw is not None:
            return bytes(self.raw[off:off + size])
        return mem.read(self.addr + off, size)

    def word(self, mem, off=0):
        """The pointer-sized word at ``off`` (in the target's byte order)."""
        arch = self.t.arch
        return arch.word(self.read(mem, off, arch.ptr))

    def at(self, off, t):
        """The part of this value at byte ``off``, of type ``t``."""
        if self.raw is not None:
            return Place(t, None, self.raw[off:off + t.size])
        return Place(t, self.addr + off)


class UnknownName(NoSuchName):
    """The expression's first name is no local and no package variable (gdb may
    still know it: a C variable, a convenience variable)."""


class Globals:
    """The scope of package variables (every expression has it)."""

    def __init__(self, target):
        self.target = target

    def lookup(self, name):
        if name in self.target.index.variables:
            addr, t = self.target.variable(name)
            return Place(t, addr)
        return None


def split_head(target, expr):
    """Longest prefix of ``expr`` that names a package variable, and the rest."""
    m = _PATH.match(expr)
    if m:
        parts = m.group(0).split(".")
        for n in range(len(parts), 0, -1):
            name = ".".join(parts[:n])
            if name in target.index.variables:
                return name, expr[len(name):]
    raise UnknownName(f"no package variable starts {expr!r}; name it with its package path, "
                     f"e.g. main.cache ('gomap list' shows the maps there are)")


def _is_global_path(target, text):
    try:
        split_head(target, text)
        return True
    except NoSuchName:
        return False


class Evaluator:
    """Evaluates a syntax tree against a target, its globals and an optional frame."""

    def __init__(self, target, text, frame=None):
        self.target, self.text, self.frame = target, text, frame
        self.mem = target.memory

    def where(self, pos):
        return self.text[:pos] if pos else self.text

    def eval(self, node):
        op = node[0]
        if op == "name":
            return self.name(node[1], node[2])
        if op == "conv":     # (*T)(ADDR), a pointer: '.f' and '[i]' see through it
            addr = node[2]
            if isinstance(addr, tuple):      # &v
                v = self.eval(addr[1])
                if v.addr is None:
                    raise NoSuchName(f"{self.text}: the operand of '&' is held in registers, "
                                     f"not in memory: it has no address")
                addr = v.addr
            return Place(self.target.types.by_name(node[1]), addr)
        if op == "deref":
            if node[1][0] == "conv":     # *(*T)(ADDR): the T at ADDR
                return self.eval(node[1])
            v = self.interface_value(self.eval(node[1]))
            if v.t.kind != "ptr":
                raise NotAMap(f"{self.where(node[2]) or self.text}: cannot dereference a "
                              f"{v.t.name} ({v.t.kind}), only a pointer")
            return self.follow(v, node[2])
        if op == "field":
            return self.field(self.eval(node[1]), node[2], node[3])
        if op == "index":
            return self.index(self.eval(node[1]), node[2], node[3])
        raise AssertionError(op)

    def name(self, text, pos):
        """A local (a name without a dot), else the longest package variable; the
        rest of a dotted path is fields."""
        head = text.split(".")[0]
        if self.frame is not None and not ("." in text and _is_global_path(self.target, text)):
            v = self.frame.lookup(head)
            if v is not None:
                return self._fields(v, text, len(head), pos)
        try:
            gname, rest = split_head(self.target, text)
        except NoSuchName:
            if "." in text:
                raise
            if self.frame is not None:
                raise UnknownName(f"no local or package variable {text!r} in "
                                  f"{self.frame.where} (an optimized build may leave a local "
                                  f"out of its DWARF: try another frame or a "
                                  f"-gcflags=all='-N -l' build); package variables take "
                                  f"their package path, e.g. main.cache") from None
            raise UnknownName(f"no package variable {text!r}: package variables take their "
                              f"package path (main.cache); a local needs its frame: "
                              f"--goroutine ID --frame N|FUNC (gomap dump), or the frame "
                              f"selected in gdb") from None
        v = Globals(self.target).lookup(gname)
        return self._fields(v, text, len(gname), pos)

    def _fields(self, v, text, start, pos):
        i = start
        while i < len(text):
            m = _IDENT.match(text, i + 1)
            if text[i] != "." or not m:
                raise ExprSyntax(self.text, "a field name after '.'", pos + i + 1)
            v = self.field(v, m.group(0), pos + i)
            i = m.end()
        return v

    def follow(self, v, pos):
        p = v.word(self.mem)
        if not p:
            raise NoSuchName(f"{self.where(pos)}: nil pointer")
        return Place(v.t.elem, p)

    def interface_value(self, v):
        """The value an interface holds (itself when ``v`` is no interface)."""
        if v.t.kind != "interface":
            return v
        arch = self.target.arch
        raw = v.read(self.mem, 0, 2 * arch.ptr)
        dyn, data, type_addr = self.target.types.interface_type(
            self.mem, v.t, raw, self.target.binary.types_base())
        if not arch.word(raw):
            raise NoSuchName(f"{self.text}: the interface is nil")
        if dyn is None:
            raise NoSuchName(f"{self.text}: the interface holds a type ({type_addr:#x}) "
                             f"without DWARF")
        if dyn.is_pointer_shaped():
            return Place(dyn, None, data.to_bytes(arch.ptr, arch.order))
        return Place(dyn, data)

    def _deref_to(self, v, kinds, pos):
        v = self.interface_value(v)
        if v.t.kind == "ptr" and v.t.elem is not None and v.t.elem.kind in kinds:
            v = self.interface_value(self.follow(v, pos))
        return v

    def field(self, v, name, pos):
        v = self._deref_to(v, ("struct",), pos)
        if v.t.kind != "struct":
            raise NoSuchName(f"{self.where(pos)} is a {v.t.name} ({v.t.kind}): it has no "
                             f"field {name!r}")
        found = _find_field(v.t, name)
        if found is None:
            names = ", ".join(f.name for f in v.t.fields[:12])
            raise NoSuchName(f"{self.where(pos)}: {v.t.name} has no field {name!r} (it has "
                             f"{names})")
        for f in found:
            if f is not found[-1] and f.type.kind == "ptr":
                v = self.follow(v.at(f.offset, f.type), pos)
            else:
                v = v.at(f.offset, f.type)
        return v

    def index(self, v, key, pos):
        v = self._deref_to(v, ("array", "map"), pos)
        t = v.t
        if t.kind == "map":
            return self.lookup(v, key, pos)
        if t.kind not in ("array", "slice"):
            raise NoSuchName(f"{self.where(pos)} is a {t.name} ({t.kind}): only arrays, "
                             f"slices and maps take [...]")
        if type(key.value) is not int or key.rune:
            raise UsageError(f"{self.where(pos)} is a {t.kind}: its index is an integer, "
                             f"not {key.text}")
        i = key.value
        if t.kind == "array":
            n = t.count
            if 0 <= i < n:
                return v.at(i * t.elem.size, t.elem)
        else:
            data = v.word(self.mem)
            ptr = self.target.arch.ptr
            n = int.from_bytes(v.read(self.mem, ptr, ptr), self.target.arch.order, signed=True)
            if 0 <= i < n:
                return Place(t.elem, data + i * t.elem.size)
        raise NoSuchName(f"{self.where(pos)}[{i}]: index {i} out of range [0,{n})")

    def lookup(self, v, key, pos):
        """The value of ``key`` in the map ``v``, found among its live slots."""
        t = v.t
        header = v.word(self.mem)
        found = find_key(self.target, t, header, key)
        if found is None:
            what = self.where(pos)
            raise NoSuchKey(f"no key {key.text} in {what} ({self.target.map_count(t, header)} "
                            f"entries; 'gomap dump {what} --entries' lists them)")
        return found

    def to_map(self, v):
        """(map GoType, header address) of ``v``: a map, a pointer to one, or either
        held in an interface."""
        v = self._deref_to(v, ("map",), 0)
        if v.t.kind == "map":
            return v.t, v.word(self.mem)
        held = maps_held(self.target, v) if v.t.kind in ("struct", "array", "ptr") else []
        if held:
            raise NotAMap(f"{self.text} is a {v.t.name} ({v.t.kind}), not a Go map; it holds "
                          f"the maps {', '.join(_fold(held))}: name one (e.g. "
                          f"{_operand(self.text)}{held[0]})")
        raise NotAMap(f"{self.text} is a {v.t.name} ({v.t.kind}), not a Go map")


def _operand(text):
    """``text`` as the operand of a selector: '*p' -> '(*p)'."""
    return f"({text})" if text.lstrip().startswith("*") else text


def _find_field(t, name, depth=0):
    """The chain of fields that reaches ``name`` in struct ``t`` (promoted through
    embedded structs, breadth-first as Go does), or None."""
    f = t.field(name)
    if f is not None:
        return [f]
    if depth > 8:
        return None
    for e in t.fields:
        if not e.embedded:
            continue
        inner = e.type.elem if e.type.kind == "ptr" else e.type
        if inner is not None and inner.kind == "struct":
            rest = _find_field(inner, name, depth + 1)
            if rest:
                return [e, *rest]
    return None


def maps_held(target, v):
    """The paths ('.cache', '.shards[0]', ...) of the maps a struct, array or pointer
    value in memory holds, as gomap list finds them."""
    from .finder import FoundMap, walk_value
    if v.addr is None:
        return []
    out: list = []
    try:
        walk_value(target, "", v.addr, v.t, out)
    except GomapError:
        return []
    return [f.expr for f in out if isinstance(f, FoundMap)]


def _fold(paths):
    """'.s[0]', '.s[1]', '.s[2]' -> '.s[0..2]'."""
    out, i = [], 0
    while i < len(paths):
        m = re.fullmatch(r"(.*)\[(\d+)\]", paths[i])
        j = i
        if m:
            while j + 1 < len(paths):
                n = re.fullmatch(r"(.*)\[(\d+)\]", paths[j + 1])
                if not n or n.group(1) != m.group(1) or \
                        int(n.group(2)) != int(m.group(2)) + (j + 1 - i):
                    break
                j += 1
        if j > i:
            out.append(f"{m.group(1)}[{m.group(2)}..{int(m.group(2)) + j - i}]")
        else:
            out.append(paths[i])
        i = j + 1
    return out


# --- map lookup ----------------------------------------------------------------------

_INT_RANGES = {1: 8, 2: 16, 4: 32, 8: 64}


def key_matcher(kt, key):
    """A function of a key cell's bytes (and memory) that says whether it is ``key``;
    UsageError when the literal cannot be a key of type ``kt``."""
    k, v = kt.kind, key.value
    arch = kt.arch
    if k in ("int", "uint"):
        if type(v) is not int:
            raise UsageError(f"the map's keys are {kt.name}: {key.text} is not an integer")
        bits = _INT_RANGES.get(kt.size, 64)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if k == "int" else (0, (1 << bits) - 1)
        if not lo <= v <= hi:
            raise UsageError(f"{key.text} does not fit the map's key type {kt.name}")
        want = v.to_bytes(kt.size, arch.order, signed=k == "int")
        return lambda cell, mem: bytes(cell[:kt.size]) == want
    if k == "float":
        if type(v) not in (int, float) or key.rune:
            raise UsageError(f"the map's keys are {kt.name}: {key.text} is not a number")
        fmt = ("<" if arch.order == "little" else ">") + ("f" if kt.size == 4 else "d")
        want = struct.unpack(fmt, struct.pack(fmt, float(v)))[0]   # rounded as Go does
        return lambda cell, mem: struct.unpack_from(fmt, bytes(cell))[0] == want
    if k == "bool":
        if type(v) is not bool:
            raise UsageError(f"the map's keys are {kt.name}: {key.text} is not true or false")
        return lambda cell, mem: bool(cell[0]) == v
    if k == "string":
        if type(v) is not bytes:
            raise UsageError(f"the map's keys are {kt.name}: write the key as a string, "
                             f"\"...\"")
        n = len(v)

        def match(cell, mem):
            cell = bytes(cell)
            if arch.word(cell, arch.ptr) != n:
                return False
            return n == 0 or mem.read(arch.word(cell), n) == v
        return match
    raise UsageError(f"keys of type {kt.name} ({k}) cannot be written in an expression; "
                     f"list the entries with --entries (or --json) instead")


def find_key(target, map_type, header, key):
    """The Place of the value stored under ``key`` in the map at ``header``, or None.

    The map is walked by its own decoder (``DumpOptions(cells=True)``: the live
    cells, old buckets of a growing classic map included), so a lookup sees
    exactly the entries ``gomap dump --entries`` shows."""
    lay = target.layout(map_type)
    match = key_matcher(lay.key, key)
    if not header:
        return None
    snap = target.dump(map_type, header, DumpOptions(cells=True, sort=False))
    col = snap.cells
    if col is None:
        return None
    mem = target.memory
    kind_k, kind_v = lay.keys.indirect, lay.elems.indirect
    # a 'str' column holds a string cell as its data pointer, its length in klens/vlens
    arch = target.arch
    keys = _string_cells(col.keys, col.klens, arch) if col.kkind == "str" else col.keys
    vals = _string_cells(col.vals, col.vlens, arch) if col.vkind == "str" else col.vals
    for kraw, vraw in zip(keys, vals):
        cell = mem.read(kraw, lay.key.size) if kind_k else kraw
        if match(cell, mem):
            if kind_v:
                return Place(lay.elem, vraw)
            return Place(lay.elem, None, bytes(vraw))
    return None


def _string_cells(ptrs, lens, arch):
    """The string headers of a 'str' column: data pointer, then length, in words."""
    P, order = arch.ptr, arch.order
    return (p.to_bytes(P, order) + n.to_bytes(P, order) for p, n in zip(ptrs, lens))


# --- entry points -------------------------------------------------------------------

def evaluate(target, text, frame=None):
    """The Place ``text`` names (``frame``: a FrameScope for locals, or None)."""
    check_expression(text, lambda name: name in target.index.types)
    return Evaluator(target, text, frame).eval(parse(text))


def resolve(target, text, frame=None):
    """(location, GoType) of the value ``text`` names, for a value in memory."""
    v = evaluate(target, text.strip(), frame)
    if v.addr is None:
        raise NoSuchName(f"{text} is held in registers, not in memory")
    return v.addr, v.t


def resolve_map(target, text, frame=None):
    """(map GoType, header address) of the map ``text`` names."""
    text = text.strip()
    at = split_addr_type(text)
    if at is not None:
        return target.map_type(at[1]), at[0]
    # Nothing here evaluates: the check gives the same one-line refusal as gdb's
    # and Delve's front ends ('main.Big = main.Small' is no path either).
    check_expression(text, lambda name: name in target.index.types)
    ev = Evaluator(target, text, frame)
    return ev.to_map(ev.eval(parse(text)))
