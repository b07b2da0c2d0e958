"""gdb pretty-printers for Go maps: ``print m``, ``info locals``, ``bt full`` and
the MI variable objects show the map's live entries as gomap decodes them.

- ``lookup(val)`` is the printer lookup function.  It takes a Go map value (a
  pointer to the runtime's ``hash<K,V>`` or ``map<K,V>`` header, under any
  typedef: ``map[string]int``, ``main.NamedMap``) and Go's ``string``; it
  answers None for anything else, and for everything while
  ``set gomap pretty-print off``.
- ``MapPrinter`` says ``map[string]int with 3 entries`` (``map[string]int(nil)``
  for a nil map) and hands gdb the entries as key/value children
  (``display_hint`` 'map').  The entries come from gomap's own decoders (no
  deleted cell, every swiss table) over gdb's memory, and lazily: the first
  decode keeps only as many entries as ``set print elements`` lets gdb show,
  and the map is decoded whole only when gdb asks for more (``print`` with
  ``set print elements unlimited``, ``-var-list-children``).  Each key and
  value is a ``gdb.Value`` of its Go type, built from the cell's bytes (an
  indirect cell is read through its pointer), so gdb prints structs, pointers,
  nested maps and strings as it prints any other value; when gdb has no type
  for the cells, gomap's own text of the value stands in.
- ``StringPrinter`` shows a Go string as a string, also where gdb would not
  (a C frame, MI variable objects of the map's string keys and values).
- ``install()`` puts ``lookup`` first in every list gdb searches (each
  objfile's, the program space's, the global one), now, for every new
  objfile, before every prompt and at every ``set gomap pretty-print``, so
  that Go's ``runtime-gdb.py``, whose map printer shows deleted cells and
  stops after a swiss map's first table, does not come first, even when it
  is sourced after gomap.

A failure while printing is never a traceback: the printer shows
``<gomap: reason>`` (``set gomap verbose on`` adds the traceback).
"""

import dataclasses
import re
import sys
import traceback

import gdb

from ..decoding import DumpOptions, resolve_indirect
from ..errors import GomapError, NotAMap
from ..nogc import no_gc
from ..render.gosyntax import fmt
from . import settings
from .evaluate import map_of_value
from .program import current_target

# The runtime's map header, as gdb names the struct a map value points at:
# hash<K,V> (classic) or map<K,V> (swiss).
_HEADER_NAME = re.compile(r"^(hash|map)<.*>$")
_HEADER_FIELDS = {"hash": ("count", "buckets"), "map": ("used", "dirPtr")}


def lookup(val):
    """The gomap printer for ``val``, or None (gdb's next printer, or its default)."""
    try:
        t = val.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_PTR:
            header = t.target().strip_typedefs()
            if header.code == gdb.TYPE_CODE_STRUCT and _is_map_header(header) and \
                    settings.pretty_print():
                return MapPrinter(val)
        elif t.code == gdb.TYPE_CODE_STRUCT and t.name == "string" and \
                [f.name for f in t.fields()] == ["str", "len"] and settings.pretty_print():
            return StringPrinter(val)
    except gdb.error:
        return None
    return None


lookup.name = "gomap"      # 'info pretty-printer' lists it by this name
lookup.enabled = True


def _is_map_header(header):
    m = _HEADER_NAME.match(header.name or "")
    if not m:
        return False
    names = {f.name for f in header.fields()}
    return all(n in names for n in _HEADER_FIELDS[m.group(1)])


def _reason(exc):
    """The one line a printer shows for a failure."""
    if settings.verbose():
        traceback.print_exc(file=sys.stderr)
    if isinstance(exc, KeyboardInterrupt):
        return "<gomap: interrupted>"
    text = (str(exc).splitlines() or [""])[0]
    if not isinstance(exc, (GomapError, gdb.error)):
        text = f"internal error ({type(exc).__name__}: {text})"
    return f"<gomap: {text}>"


class StringPrinter:
    """A Go string (``struct {str *uint8; len int}``) shown as a string."""

    def __init__(self, val):
        self.val = val

    def display_hint(self):
        return "string"

    def to_string(self):
        try:
            n = int(self.val["len"])
            if n < 0:
                return f"<gomap: a string of length {n}>"
            if n == 0:
                return ""
            return self.val["str"].lazy_string(encoding="utf-8", length=n)
        except Exception as exc:   # never a traceback in print
            return _reason(exc)


class MapPrinter:
    """A Go map: its type and count, then its live entries as children."""

    def __init__(self, val):
        self.val = val
        self._first = None        # (snapshot, cells) of to_string's decode
        self._error = None

    def display_hint(self):
        return "map"

    def to_string(self):
        # A fresh decode each time: an MI variable object keeps its printer while the
        # program runs.  children() takes it over, once.
        self._first = self._error = None
        try:
            self._first = self._decode(_first_batch())
            snap = self._first[0]
        except (Exception, KeyboardInterrupt) as exc:   # a printer never raises
            self._error = _reason(exc)
            return self._error
        name = self.val.type.name or self._map_type.name   # a named type keeps its name
        if snap.nil:
            return f"{name}(nil)"
        n = snap.count
        text = f"{name} with {n:,} entr{'y' if n == 1 else 'ies'}"
        said = [w for w in snap.warnings if not w.startswith("only the first ")]
        if said:
            text += f" (gomap: {said[0]}; 'gomap dump' says more)"
        return text

    def children(self):
        try:
            yield from self._children()
        except (Exception, KeyboardInterrupt) as exc:   # a printer never raises
            yield "[gomap]", "<gomap>"
            yield "[gomap error]", _reason(exc)

    def _children(self):
        if self._error is not None:   # to_string said why
            self._error = None
            return
        first, self._first = self._first, None
        snap, cells = first if first is not None else self._decode(_first_batch())
        if snap.nil:
            return
        made = _Cells(self.val, self._target.layout(self._map_type), snap, self._decoder)
        shown = 0
        for i in range(len(cells.keys)):
            yield from made.pair(shown, cells, i)
            shown += 1
        if not cells.capped:
            return
        # gdb wants more than the first decode kept: decode the whole map (the same
        # walk over the same stopped memory gives the same order) and go on.
        snap, cells = self._decode(None)
        for i in range(shown, len(cells.keys)):
            yield from made.pair(i, cells, i)

    # -- decoding ----------------------------------------------------------------

    def _decode(self, keep):
        """(snapshot, live cells) of the map with at most ``keep`` cells kept (None:
        all): the cells raw, in walk order (DumpOptions.cells)."""
        target = current_target()
        self._target = target
        mt, addr = _map_of(target, self.val)
        self._map_type = mt
        limits = target.limits
        if keep is not None:
            limits = dataclasses.replace(limits, max_entries=keep)
        with no_gc():
            snap = target.dump(mt, addr, DumpOptions(cells=True, sort=False), limits)
        if snap.nil:
            return snap, None
        return snap, snap.cells

    def _decoder(self):
        """The target and map GoType of the last decode, for the text fallback."""
        return self._target, self._map_type


def _map_of(target, val):
    """(map GoType, header address) of a map value; one whose gdb type has no name
    (a cast to the header pointer) is named from its header: map<K,V> is map[K]V."""
    if val.type.name:
        return map_of_value(target, val, str(val.type))
    header = val.type.strip_typedefs().target().strip_typedefs().name
    inner = header[header.index("<") + 1:-1]
    depth = 0
    for i, c in enumerate(inner):
        depth += (c in "([{<") - (c in ")]}>")
        if c == "," and depth == 0:
            return target.map_type(f"map[{inner[:i]}]{inner[i + 1:]}"), int(val)
    raise NotAMap(f"{header} names no key and elem type")


def _first_batch():
    """How many entries the first decode keeps: enough for ``set print elements``
    (gdb counts a key and a value as two elements and asks for one more to know
    whether to write '...'), None when it is unlimited."""
    limit = gdb.parameter("print elements")
    if limit is None or limit <= 0:
        return None
    return limit // 2 + 2


class _Cells:
    """Turns a decode's raw key and elem cells into children: gdb.Values of the
    cells' own gdb types, or gomap's text of the values when gdb has none."""

    def __init__(self, val, layout, snap, decoder):
        self.types = _cell_types(val.type)
        if self.types is not None and \
                [t.sizeof for t in self.types] != [layout.keys.size, layout.elems.size]:
            self.types = None    # not the cells gomap read: gomap's text instead
        self.decoder = decoder
        self.snap = snap
        self._text = {}

    def pair(self, n, cells, i):
        if self.types is not None:
            kt, vt = self.types
            yield f"[{2 * n}]", _value(_cell(cells.keys, cells.klens, cells.kkind, i), kt)
            yield f"[{2 * n + 1}]", _value(_cell(cells.vals, cells.vlens, cells.vkind, i), vt)
        else:
            k, v = self._as_text(cells, i)
            yield f"[{2 * n}]", k
            yield f"[{2 * n + 1}]", v

    def _as_text(self, cells, i):
        """gomap's text of entry i (decoded a chunk at a time)."""
        chunk = i - i % 256
        got = self._text.get(chunk)
        if got is None:
            target, mt = self.decoder()
            lay = target.layout(mt)
            ctx = target.context()
            warn = self.snap.warn
            part = range(chunk, min(chunk + 256, len(cells.keys)))
            ks = [_cell(cells.keys, cells.klens, cells.kkind, j) for j in part]
            vs = [_cell(cells.vals, cells.vlens, cells.vkind, j) for j in part]
            ks = resolve_indirect(ctx, ks, lay.key.size, "key", warn)
            vs = resolve_indirect(ctx, vs, lay.elem.size, "elem", warn)
            dec = ctx.value_decoder(warn)
            got = list(zip(map(fmt, dec.decode_many(lay.key, ks)),
                           map(fmt, dec.decode_many(lay.elem, vs))))
            self._text = {chunk: got}
        return got[i - chunk]


def _cell(column, lens, kind, i):
    """Cell i of a column as the map stores it: a 'str' column (slab.Collected) keeps
    a string's data pointer and its length apart; they are the 16-byte header again."""
    if kind == "str":
        return column[i].to_bytes(8, "little") + lens[i].to_bytes(8, "little")
    return column[i]


def _value(cell, cell_type):
    """A cell as a gdb.Value: an indirect cell (a pointer int) read through it,
    any other from its bytes."""
    if isinstance(cell, int):
        return gdb.Value(cell).cast(cell_type).dereference()
    return gdb.Value(bytes(cell), cell_type)


def _elem(array_type):
    return array_type.strip_typedefs().target()


def _cell_types(map_type):
    """(key cell type, elem cell type) as gdb knows them from the runtime's bucket or
    group struct (a pointer type for an indirect cell), or None when gdb's types do
    not have that shape."""
    try:
        header = map_type.strip_typedefs().target().strip_typedefs()
        if header.name.startswith("hash<"):
            bucket = header["buckets"].type.strip_typedefs().target().strip_typedefs()
            return _elem(bucket["keys"].type), _elem(bucket["values"].type)
        table = header["dirPtr"].type.strip_typedefs().target().strip_typedefs()
        table = table.target().strip_typedefs()
        group = table["groups"].type.strip_typedefs()["data"].type.strip_typedefs()
        group = group.target().strip_typedefs()
        names = [f.name for f in group.fields()]
        if "slots" in names:
            slot = _elem(group["slots"].type).strip_typedefs()
            return slot["key"].type, slot["elem"].type
        return _elem(group["keys"].type), _elem(group["elems"].type)
    except (gdb.error, KeyError, AttributeError, RuntimeError):
        return None


# -- precedence -------------------------------------------------------------------

def _first_in(printers):
    """Put ``lookup`` first in the list ``printers`` (once)."""
    if printers and printers[0] is lookup:
        return
    while lookup in printers:
        printers.remove(lookup)
    printers.insert(0, lookup)


def put_first(*_):
    """``lookup`` first in every list gdb searches, in the order it searches them."""
    try:
        for objfile in gdb.objfiles():
            _first_in(objfile.pretty_printers)
        _first_in(gdb.current_progspace().pretty_printers)
        _first_in(gdb.pretty_printers)
    except Exception:  # noqa: BLE001  an event handler must never raise into gdb
        pass


def install():
    """Register the printers: first now, for every new objfile, before every prompt
    and at every ``set gomap pretty-print`` (a gdb script in batch mode meets no
    prompt: after sourcing runtime-gdb.py itself, it says ``set gomap pretty-print on``)."""
    put_first()
    settings.ON_SET["gomap pretty-print"] = put_first
    gdb.events.new_objfile.connect(put_first)
    gdb.events.before_prompt.connect(put_first)
