"""Heap object bounds from the Go runtime's own span metadata.

Every heap object lives in an ``mspan``: ``npages`` pages from ``startAddr``
cut into ``nelems`` objects of ``elemsize`` bytes (one object of the whole
span for a large allocation).  The runtime keeps every span it ever made in
``mheap_.allspans`` (a ``[]*mspan``); the ones whose ``state`` is
``mSpanInUse`` hold heap objects.  That list has kept its name and meaning
from Go 1.21 to 1.27, so it is what is read here; every field is found by
its DWARF offset (``mspan.state`` is an ``mSpanStateBox`` whose byte lies
one or two struct levels down, found by walking the DWARF fields).

:class:`Heap` reads all spans in two bulk reads and answers
:meth:`Heap.object_at`: the ``(base, size)`` of the object holding any
address, from a page table (page -> span) or, for a heap spread too thin
over the address space, by bisection over the sorted span starts; and
:meth:`Heap.locate`: the same with the object's number, 0 .. ``objects`` - 1
over all spans, for marks kept in an array.  A count the runtime
could never have (a corrupt core) ends with one :class:`BadHeap` line.
"""

import struct
from bisect import bisect_right
from array import array

from ..errors import GomapError, UnreadableMemory

PAGE_SIZE = 8192
MSPAN_IN_USE = 1
MSPAN_MANUAL = 2        # spans the runtime manages itself: goroutine stacks among them
MAX_SPANS = 50_000_000           # 400 TB of 8 KiB spans: more is a corrupt slice header
PAGE_SHIFT = 13                  # PAGE_SIZE == 1 << PAGE_SHIFT
MAX_PAGE_TABLE = 1 << 24         # pages of the span table (64 MB; 128 GB of address range)


class BadHeap(GomapError):
    """The runtime's span list cannot be read or makes no sense."""


def _field(t, name):
    f = t.field(name) if t is not None else None
    if f is None:
        raise BadHeap(f"runtime.mspan has no field {name!r} in DWARF; this Go release's "
                      f"heap layout is not supported by the census")
    return f


def _scalar_at(t, offset, depth=0):
    """(offset, size) of the first non-empty scalar inside type ``t`` (a struct
    wrapping an atomic wrapping a byte, as mSpanStateBox does)."""
    if depth > 8:
        raise BadHeap(f"cannot find the scalar inside {t.name}")
    if t.kind != "struct":
        return offset, t.size
    for f in t.fields:
        ft = f.type
        if ft is not None and ft.size:
            return _scalar_at(ft, offset + f.offset, depth + 1)
    raise BadHeap(f"{t.name} holds no scalar")


class Heap:
    """The in-use spans of the target's heap.

    ``starts``, ``ends``, ``elemsizes``, ``nelems``, ``noscan``: parallel
    arrays sorted by span start.  ``spans_total``: entries of allspans read.
    """

    def __init__(self, target):
        mem = target.memory
        try:
            addr, mheap_t = target.variable("runtime.mheap_")
        except GomapError as exc:
            raise BadHeap(f"runtime.mheap_ is not readable from DWARF ({exc}); cannot find "
                          f"heap objects") from None
        allspans = _field(mheap_t, "allspans")
        ptr_t = allspans.type.elem                  # *mspan
        mspan_t = ptr_t.target if ptr_t is not None else None
        if mspan_t is None or mspan_t.kind != "struct":
            raise BadHeap("mheap_.allspans is not a slice of *mspan in DWARF")
        arch = target.arch
        try:
            hdr = mem.read(addr + allspans.offset, 3 * arch.ptr)
        except UnreadableMemory as exc:
            raise BadHeap(f"mheap_.allspans is unreadable: {exc}") from None
        data = arch.word(hdr)
        n = arch.uint(hdr, arch.ptr, arch.ptr, signed=True)
        if n < 0 or n > MAX_SPANS:
            raise BadHeap(f"mheap_.allspans holds {n:,} spans, which no heap has: the core "
                          f"is corrupt or not of this executable")
        self.spans_total = n
        fields = {}
        for name in ("startAddr", "npages", "elemsize", "nelems", "spanclass"):
            f = _field(mspan_t, name)
            fields[name] = (f.offset, f.type.size)
        st = _field(mspan_t, "state")
        fields["state"] = _scalar_at(st.type, st.offset)
        self._read(mem, data, n, mspan_t.size, fields, arch)

    def _read(self, mem, data, n, size, fields, arch):
        ptrs = array("Q")
        CHUNK = 1 << 20
        P = arch.ptr
        for off in range(0, n * P, CHUNK):
            try:
                ptrs.extend(arch.words(mem.read(data + off, min(CHUNK, n * P - off))))
            except UnreadableMemory as exc:
                raise BadHeap(f"mheap_.allspans' array at {data:#x} is unreadable: "
                              f"{exc}") from None
        # one struct.unpack per mspan: the six fields by offset, gaps as pad bytes
        codes = {1: "B", 2: "H", 4: "I", 8: "Q"}
        order = sorted(fields.items(), key=lambda kv: kv[1][0])
        fmt, pos, names = ("<" if arch.order == "little" else ">"), 0, []
        for name, (o, sz) in order:
            if sz not in codes or o < pos:
                raise BadHeap(f"runtime.mspan.{name} has an unexpected layout in DWARF "
                              f"({sz} bytes at {o})")
            fmt += f"{o - pos}x{codes[sz]}" if o > pos else codes[sz]
            pos = o + sz
            names.append(name)
        unpack = struct.Struct(fmt).unpack_from
        ix = {n: i for i, n in enumerate(names)}
        i_state, i_start, i_np, i_es, i_ne, i_sc = (ix[n] for n in (
            "state", "startAddr", "npages", "elemsize", "nelems", "spanclass"))
        spans = []
        manual = []
        bad = 0
        step = 65536
        for i in range(0, n, step):
            part = ptrs[i:i + step]
            bufs = mem.read_many([(p, size) for p in part])
            for buf in bufs:
                if isinstance(buf, Exception):
                    bad += 1
                    continue
                vals = unpack(buf)
                if vals[i_state] == MSPAN_MANUAL:
                    start, npages = vals[i_start], vals[i_np]
                    if start and 0 < npages <= (1 << 40) // PAGE_SIZE:
                        manual.append((start, start + npages * PAGE_SIZE))
                    continue
                if vals[i_state] != MSPAN_IN_USE:
                    continue
                start, npages, esize = vals[i_start], vals[i_np], vals[i_es]
                if not start or not npages or not esize or npages > (1 << 40) // PAGE_SIZE:
                    bad += 1
                    continue
                spans.append((start, start + npages * PAGE_SIZE, esize,
                              vals[i_ne], vals[i_sc] & 1))
        spans.sort()
        manual.sort()
        self.manual_starts = array("Q", (s[0] for s in manual))
        self.manual_ends = array("Q", (s[1] for s in manual))
        self.unreadable_spans = bad
        self.starts = array("Q", (s[0] for s in spans))
        self.ends = array("Q", (s[1] for s in spans))
        self.elemsizes = array("Q", (s[2] for s in spans))
        self.nelems = array("Q", (s[3] for s in spans))
        self.noscan = bytes(s[4] for s in spans)
        self.lo = self.starts[0] if spans else 0
        self.hi = max(self.ends) if spans else 0
        self._index_objects()
        self._page_table()

    def _index_objects(self):
        """``first[i]``: the number of the first object of span ``i``; objects are
        numbered 0 .. ``objects`` - 1 over all spans, so that a walk can keep one
        mark per object in an array rather than a set of addresses."""
        first = array("q", bytes(8 * (len(self.starts) + 1)))
        total = 0
        for i in range(len(self.starts)):
            first[i] = total
            es = self.elemsizes[i]
            # never more than fit in the span, whatever a corrupt nelems says
            total += min(self.nelems[i], (self.ends[i] - self.starts[i] + es - 1) // es)
        first[len(self.starts)] = total
        self.first = first
        self.objects = total

    def _page_table(self):
        """``pages[(addr - lo) // PAGE_SIZE]``: the span holding the page, -1 for
        none; what bisection over the span starts answers, one array index away.
        None when the heap's address range is too sparse for a table
        (MAX_PAGE_TABLE pages); span_of then bisects."""
        npages = (self.hi - self.lo + PAGE_SIZE - 1) // PAGE_SIZE
        if not self.starts or npages > MAX_PAGE_TABLE or self.lo % PAGE_SIZE:
            self.pages = None
            return
        pages = array("i", [-1]) * npages
        starts, ends, lo, n = self.starts, self.ends, self.lo, len(self.starts)
        for i in range(n):
            # as bisection: span i holds [start, end) up to the next span's start
            a = (starts[i] - lo) // PAGE_SIZE
            nxt = starts[i + 1] if i + 1 < n else self.hi
            b = (min(ends[i], nxt) - lo + PAGE_SIZE - 1) // PAGE_SIZE
            if b > a:
                pages[a:b] = array("i", [i]) * (b - a)
        self.pages = pages

    def __len__(self):
        return len(self.starts)

    def span_of(self, addr):
        """Index of the in-use span holding ``addr``, or -1."""
        if not self.lo <= addr < self.hi:
            return -1
        if self.pages is not None:
            i = self.pages[(addr - self.lo) >> PAGE_SHIFT]
            return i if i < 0 or self.starts[i] <= addr < self.ends[i] else -1
        i = bisect_right(self.starts, addr) - 1
        if i < 0 or addr >= self.ends[i]:
            return -1
        return i

    def in_manual_span(self, addr):
        """Whether ``addr`` lies in a span the runtime manages itself (goroutine
        stacks are allocated from those), not in the garbage-collected heap."""
        i = bisect_right(self.manual_starts, addr) - 1
        return i >= 0 and addr < self.manual_ends[i]

    def object_at(self, addr):
        """``(base, size)`` of the heap object holding ``addr``; None when no in-use
        span holds it (a global, a stack, freed memory, a corrupt pointer)."""
        i = self.span_of(addr)
        if i < 0:
            return None
        start, esize = self.starts[i], self.elemsizes[i]
        k = (addr - start) // esize
        if k >= self.nelems[i]:
            return None                     # the span's unused tail
        return start + k * esize, esize

    def locate(self, addr):
        """``(number, base, size, span)`` of the heap object holding ``addr`` (its
        number from 0 to ``objects`` - 1, see _index_objects), or None as for
        :meth:`object_at`."""
        i = self.span_of(addr)
        if i < 0:
            return None
        start, esize = self.starts[i], self.elemsizes[i]
        k = (addr - start) // esize
        if k >= self.first[i + 1] - self.first[i]:
            return None
        return self.first[i] + k, start + k * esize, esize, i

    def is_noscan(self, addr):
        i = self.span_of(addr)
        return i >= 0 and bool(self.noscan[i])


def heap_of(target):
    """The target's Heap, read once per target."""
    h = getattr(target, "_census_heap", None)
    if h is None:
        h = Heap(target)
        target._census_heap = h
    return h
