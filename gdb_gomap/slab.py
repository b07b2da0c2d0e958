"""Column-wise scanning of bucket and group arrays, at C speed.

A classic bucket array and a swiss group array are both arrays of records
of R bytes, each with 8 slots: slot k has a tag byte at ``tag_off + k`` (the
tophash or control byte), a key at ``key.offset + k*key.stride`` and an elem
at ``elem.offset + k*elem.stride``.  Rather than visiting 8 slots per record in
Python, this module takes whole columns: ``buf[tag_off+k::R]`` is slot k's tag
for every record, and a ``memoryview.cast`` with a stride is slot k's key for
every record.  Only live cells then cost Python work.
"""

from array import array
from itertools import compress

from .arch import AMD64

# memoryview formats for values the scan decodes itself: (kind, size) -> format
PRIM_FORMATS = {
    ("int", 1): "b", ("int", 2): "h", ("int", 4): "i", ("int", 8): "q",
    ("uint", 1): "B", ("uint", 2): "H", ("uint", 4): "I", ("uint", 8): "Q",
    ("float", 4): "f", ("float", 8): "d", ("bool", 1): "?",
}


def column_kind(gotype, cell, arch=AMD64, rec_size=0):
    """How a key or elem column is taken: 'prim', 'str', 'zero' or 'raw'.  'prim'
    columns are cast in this host's (little-endian) order, so a big-endian
    target's scalars are 'raw' and decoded by the ValueDecoder; so are scalars
    whose records (``rec_size`` bytes: a 32-bit machine's 108-byte bucket of
    int64s) are not a whole number of them."""
    if cell.indirect:
        return "raw"
    if gotype.size == 0:
        return "zero"
    if (gotype.kind, gotype.size) in PRIM_FORMATS and cell.offset % gotype.size == 0 \
            and cell.stride % gotype.size == 0 and rec_size % gotype.size == 0 \
            and (arch.order == "little" or gotype.size == 1):
        return "prim"
    if gotype.kind == "string":
        return "str"
    return "raw"


class Collected:
    """Live cells gathered so far, as parallel lists.

    Cells are kept in the order the walk collects them (the "walk order":
    within one bulk read, slot 0 of every bucket or group, then slot 1, ...).
    keys/vals hold: final values ('prim', 'zero'), the data pointers of string
    headers ('str', their lengths in the parallel klens/vlens), bytes or
    pointer ints ('raw').  A streamed decode (DumpOptions.sink) hands them on
    a batch at a time (:meth:`drain`); ``drained`` counts the cells handed on
    and ``indirect`` the non-nil indirect keys and elems among them.
    """

    def __init__(self, kkind, vkind, want_cells=True, max_keep=None, order="little"):
        self.kkind, self.vkind = kkind, vkind
        self.order = order   # of the target: indirect cells are pointers in it
        self.keys, self.vals = [], []
        self.klens, self.vlens = [], []   # string lengths ('str' columns only)
        self.want_cells = want_cells   # False: only count (the summary view)
        self.count = 0
        self.drained = 0
        self.indirect = [0, 0]
        # Cells kept at most (Limits.max_entries); live cells past it are only counted.
        self.max_keep = max_keep if max_keep is not None else float("inf")

    def take(self, buf, off, i, kc, vc):
        """Count live slot ``i`` of the bucket or group at ``buf[off:]`` and keep its
        key and elem cells (an indirect cell as its pointer int, else the bytes)
        while there is room.  Returns the cell's index in keys/vals, or None."""
        self.count += 1
        if len(self.keys) + self.drained >= self.max_keep:
            return None
        ko = off + kc.offset + i * kc.stride
        vo = off + vc.offset + i * vc.stride
        self.keys.append(int.from_bytes(buf[ko:ko + kc.size], self.order) if kc.indirect
                         else buf[ko:ko + kc.size])
        self.vals.append(int.from_bytes(buf[vo:vo + vc.size], self.order) if vc.indirect
                         else buf[vo:vo + vc.size])
        return len(self.keys) - 1

    def room(self):
        """How many more cells may be kept."""
        return self.max_keep - len(self.keys) - self.drained

    @property
    def kept(self):
        """Cells kept so far, handed on or not."""
        return len(self.keys) + self.drained

    @property
    def capped(self):
        """True when live cells were counted but not kept for want of room."""
        return self.want_cells and self.count > self.kept

    def drain(self, layout):
        """The cells kept since the last drain, as (keys, vals, klens, vlens); the
        lists start empty again."""
        out = self.keys, self.vals, self.klens, self.vlens
        self.keys, self.vals, self.klens, self.vlens = [], [], [], []
        self.drained += len(out[0])
        ik, iv = _indirect(out[0], out[1], layout)
        self.indirect[0] += ik
        self.indirect[1] += iv
        return out


def indirect_counts(col, layout):
    """(non-nil indirect keys, non-nil indirect elems) among the collected cells."""
    if not col.want_cells or col.capped:   # every live indirect cell holds a pointer
        n = col.count
        return (n if layout.keys.indirect else 0), (n if layout.elems.indirect else 0)
    ik, iv = _indirect(col.keys, col.vals, layout)
    return ik + col.indirect[0], iv + col.indirect[1]


def _indirect(keys, vals, layout):
    """Non-nil pointers among indirect key and elem cells (ints)."""
    ik = sum(1 for k in keys if k) if layout.keys.indirect else 0
    iv = sum(1 for v in vals if v) if layout.elems.indirect else 0
    return ik, iv


_QSIZE = array("Q").itemsize
_popcount = getattr(int, "bit_count", lambda x: bin(x).count("1"))   # 3.10+, else slow


def ones(flags):
    """How many bytes of ``flags`` (each 0 or 1) are 1.  A popcount of the bytes as
    one integer: bytes.count(1) slows down as the ones get dense (it restarts its
    search at each), this does not."""
    return _popcount(int.from_bytes(flags, "little"))


_EQUALS = {}


def count_value(data, v, at_most):
    """How many bytes of ``data`` are ``v``, knowing there are at most ``at_most``:
    bytes.count when they are sparse, else a translation to flags and a popcount."""
    if at_most * 8 <= len(data):
        return data.count(v)
    table = _EQUALS.get(v)
    if table is None:
        table = _EQUALS[v] = bytes(1 if b == v else 0 for b in range(256))
    return ones(data.translate(table))


def live_per_record(flags):
    """From flags of 8 bytes a record (each 0 or 1), one byte a record: how many of
    its 8 are 1.  Multiplying the flags, as one integer, by 0x0101010101010101 adds
    each word's 8 bytes into its top byte; no sum exceeds 15, so no carry crosses a
    byte, and what spills into the next word stays below its top byte."""
    summed = (int.from_bytes(flags, "little") * 0x0101010101010101).to_bytes(
        len(flags) + 8, "little")
    return summed[7:len(flags):8]


LIVE_CLASS = object()     # Scanner.scan's class of the live tags
REST_CLASS = object()     # Scanner.scan's class of every tag no other class took


def tag_translation(live_pred):
    """A bytes.translate table mapping a tag byte to 1 when live, else 0."""
    return bytes(1 if live_pred(b) else 0 for b in range(256))


def _and(a, b, n):
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(n, "little")


def _or(a, b, n):
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(n, "little")


class Scanner:
    """Scans arrays of records for one map layout."""

    def __init__(self, rec_size, tag_off, live_table, key_type, key_cell, elem_type, elem_cell,
                 arch=AMD64, ctrl_word=False):
        self.R = rec_size
        self.tag_off = tag_off
        # A swiss control word is a uint64 whose byte i (of its value) is slot i's:
        # on a big-endian target slot i's byte sits at 7 - i.  Tophash is an array.
        self.reversed_tags = ctrl_word and arch.order == "big"
        self.live_table = live_table
        self.kt, self.kc = key_type, key_cell
        self.vt, self.vc = elem_type, elem_cell
        self.kkind = column_kind(key_type, key_cell, arch, rec_size)
        self.vkind = column_kind(elem_type, elem_cell, arch, rec_size)
        self.P, self.order = arch.ptr, arch.order
        # words are cast in place when they are in this host's order
        self.word_format = ("Q" if arch.ptr == 8 else "I") if arch.order == "little" else None

    def cell_kinds(self):
        """(key, elem) column kinds of DumpOptions.cells: 'str' columns stay (data
        pointer, length) pairs, every other column is 'raw'."""
        return tuple(k if k == "str" else "raw" for k in (self.kkind, self.vkind))

    def tags(self, buf, n, k):
        """Slot k's tag byte of each of the n records, as bytes (``buf`` may be a
        memoryview: a backend's own buffer)."""
        at = self.tag_off + (7 - k if self.reversed_tags else k)
        return bytes(buf[at:n * self.R:self.R])

    def word_column(self, buf, n, off, mask=None):
        """The pointer-sized word at ``off`` in each of the n records (only those
        ``mask`` marks, when given)."""
        P, R = self.P, self.R
        if self.word_format and off % P == 0 and R % P == 0:
            col = memoryview(buf)[:n * R].cast(self.word_format)[off // P::R // P].tolist()
            return col if mask is None else list(compress(col, mask))
        js = range(n) if mask is None else compress(range(n), mask)
        return [int.from_bytes(buf[j * R + off:j * R + off + P], self.order) for j in js]

    def _strings(self, buf, n, cell, k, mask, ptrs, lens):
        """Append slot k's string headers (data pointer, length) of the live records."""
        off = cell.offset + k * cell.stride
        ptrs.extend(self.word_column(buf, n, off, mask))
        lens.extend(self.word_column(buf, n, off + self.P, mask))

    def _column(self, buf, n, kind, gotype, cell, k, mask):
        off = cell.offset + k * cell.stride
        R = self.R
        if kind == "prim":
            s = gotype.size
            col = memoryview(buf)[:n * R].cast(PRIM_FORMATS[(gotype.kind, s)])[off // s::R // s]
            return list(compress(col.tolist(), mask))
        if kind == "zero":
            return [gotype_zero(gotype)] * mask.count(1)
        if cell.indirect:
            return self.word_column(buf, n, off, mask)
        js = compress(range(n), mask)
        size = cell.size
        return [buf[j * R + off:j * R + off + size] for j in js]

    def scan(self, buf, n, take, out, state_counts, classes):
        """Scan n records of ``buf``; add live cells (where ``take`` allows) to ``out``.

        take:          bytes of 0/1 per record (None: every record)
        state_counts:  dict updated with counts per tag class name
        classes:       list of (name, how) classifying tag bytes: how is a byte value
                       (a class of one tag value), LIVE_CLASS (the live tags: the
                       scanner's live table), REST_CLASS (every tag no other class
                       took; at most one) or a translate table marking the class.
                       Classes must not overlap: once they hold every tag, the rest
                       are not counted (put the common ones first)
        Returns how many of the n records hold no live cell.
        """
        words = self.tag_words(buf, n)
        if words is not None:
            empty = live_per_record(words.translate(self.live_table)).count(0)
        else:
            any_live = bytes(n)
        for k in range(8):
            if words is not None:       # a column of the records' tags, from their words
                tags = words[(7 - k if self.reversed_tags else k)::8]
            else:
                tags = self.tags(buf, n, k)
            mask = tags.translate(self.live_table)
            live_all = ones(mask)
            taken, rest = 0, None
            for name, how in classes:
                if how is REST_CLASS:
                    rest = name
                    continue
                if taken == n:          # every tag is classed: the rest are empty
                    continue
                c = live_all if how is LIVE_CLASS else \
                    count_value(tags, how, n - taken) if type(how) is int else \
                    ones(tags.translate(how))
                state_counts[name] += c
                taken += c
            if rest is not None:
                state_counts[rest] += n - taken
            if words is None:
                any_live = _or(any_live, mask, n)
            if take is not None:
                mask = _and(mask, take, n)
                live = ones(mask)
            else:
                live = live_all
            out.count += live
            if not live or not out.want_cells or out.room() <= 0:
                continue
            if live > out.room():   # keep the first cells, count the rest
                mask = _first_ones(mask, out.room())
            if out.kkind == "str":
                self._strings(buf, n, self.kc, k, mask, out.keys, out.klens)
            else:
                out.keys.extend(self._column(buf, n, out.kkind, self.kt, self.kc, k, mask))
            if out.vkind == "str":
                self._strings(buf, n, self.vc, k, mask, out.vals, out.vlens)
            else:
                out.vals.extend(self._column(buf, n, out.vkind, self.vt, self.vc, k, mask))
        return empty if words is not None else n - ones(any_live)

    def tag_words(self, buf, n):
        """The 8 tag bytes of each of the n records, one record after another (a
        strided copy of the words), or None when they cannot be cast in place."""
        R, at = self.R, self.tag_off
        if R % 8 or at % 8 or _QSIZE != 8:
            return None
        return memoryview(buf)[:n * R].cast("Q")[at // 8::R // 8].tobytes()


def _first_ones(mask, keep):
    """``mask`` with only its first ``keep`` ones left set."""
    out = bytearray(len(mask))
    pos = -1
    for _ in range(int(keep)):
        pos = mask.find(1, pos + 1)
        out[pos] = 1
    return bytes(out)


def gotype_zero(t):
    """The value of a zero-size type (struct{} or [0]T)."""
    return {} if t.kind == "struct" else []
