"""The census's typed walk of the object graph, from roots to every map.

API (what ``census.run`` and ``census.groups`` use)::

    walk(target, roots, budget=None, progress=None) -> CensusResult

``roots``: a list of :class:`model.Root` (package globals from
:func:`global_roots`, goroutine stack slots from ``census.stacks``).
``budget``: None, or anything with ``seconds`` and ``mb`` attributes (the
front ends' ``CensusBudget``; None in either means no limit); when it is spent
the walk stops and ``stats["budget_hit"]`` says why and
``stats["left_out"]`` how many objects it had found but not walked.  The
budget is also checked inside one map (every READS_PER_CHECK reads of its
decode, every CELLS_PER_CHECK of its cells): ``unread`` then names that map
and what of it was left out.
``progress``: None or a callable taking keyword counts.

:class:`CensusResult`:

- ``maps``: one :class:`MapRecord` per map found: ``path`` (the shortest from
  a root, BFS: ``main.byID[42].Attrs``, map values as ``main.cache["k"]``,
  keys as ``main.set{"k"}``, interface contents as ``main.v.(T)``, channel
  buffers as ``main.ch<-[i]``), ``pattern`` (indices and keys as ``[*]`` /
  ``{*}``), ``type_name``, ``header`` (address), ``own_bytes`` (the decoder's
  ``stats["bytes"]["total"]``), ``entries``, ``node`` (its graph node).
- ``graph``: :class:`Graph` in compressed-sparse-row form: ``n``,
  ``sizes[v]`` (an object's span element size; a map node's own bytes, or its
  header object's size class when larger; 0 for
  a root's slot), ``attached[v]`` (bytes of leaf objects, those with no
  pointers and one referrer, folded into ``v`` rather than made nodes),
  ``offsets``/``targets`` (successors of ``v`` are
  ``targets[offsets[v]:offsets[v+1]]``), ``roots`` (node ids of the roots),
  ``types[v]`` an index into ``type_table``.
- ``stats``: a dict: ``objects``, ``nodes``, ``leaves``, ``bytes``,
  ``maps``, ``skipped`` (a dict reason -> count: pointers into the
  executable's data, pointers outside the heap and the executable, slices
  longer than their object, objects with no type to scan, closures DWARF does
  not describe), ``budget_hit``
  (None or why), ``left_out``, ``seconds``.
- ``unread``: a list of :class:`model.Unread` (maps that could not be
  decoded, roots that could not be read).
- ``nil_maps``: a :class:`NilMap` (path, pattern, type) for every map-typed
  place the walk read that holds nil.

Each heap object is visited once, keyed by its base from :mod:`census.heap`,
so a pointer into the middle of an object counts it once; its bytes are its
span's element size (a slice's backing array counts its capacity).  The walk
is breadth-first with an explicit queue (no recursion).  Map cells come from
gomap's own decoders (``DumpOptions(cells=True)``: old buckets of a growing
classic map included), never from a second reading of the layouts.

Limits: an object is scanned once, as the type of the first pointer that
reached it (a later pointer to another part of it, of another type, adds an
edge but no second scan); closures are followed where DWARF gives their
captured variables' offsets (Go 1.23 and later), else counted unscanned.
"""

import re
import struct
import time
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, List

from ..budget import resident_parts
from ..decoding import DumpOptions
from ..errors import GomapError, TargetGone, UnreadableMemory
from ..memory import BlockCache, Memory
from ..nogc import no_gc
from .dominators import split_csr
from .heap import PAGE_SHIFT, heap_of
from .model import Unread
from .smallmap import SmallMaps

# Package prefixes whose globals are runtime internals (as finder.SKIP_PREFIXES).
SKIP_PREFIXES = ("runtime.", "internal/", "sync.", "syscall.", "os.", "reflect.",
                 "unicode.", "time.", "go:", "type:", "crypto/", "vendor/")

POINTER_KINDS = ("ptr", "unsafe.Pointer", "map", "chan", "func", "string", "slice",
                 "interface")
MAX_SCAN_BYTES = 1 << 30         # one object read at most (a corrupt length beyond it is cut)
SHORT_KEY = 24                   # characters of a key shown in a path
MAX_ARRAY_MARKS = 1 << 27        # objects marked in an int32 array (512 MB); past it, a dict

OUT_STATIC = "pointers to the executable's own data (globals, constants): not heap objects"
OUT_OTHER = "pointers outside any in-use heap span and the executable (stacks, freed or corrupt)"

# work item kinds
OBJ, MAP, CHAN, CLOSURE = 0, 1, 2, 3

# what a scan plan's entry holds (_Walker.plan)
P_PTR, P_STR, P_SLICE, P_IFACE, P_MAP, P_FUNC, P_CHAN, P_LOOP = range(8)
_PLAN_KINDS = {"string": P_STR, "slice": P_SLICE, "interface": P_IFACE, "map": P_MAP,
               "func": P_FUNC, "chan": P_CHAN}
PLAN_MAX = 4096                  # places of an array flattened into its plan
COMPILED_MAX = 64                # entries of a plan made into one function at most
BAD_SLICE = "slices with an impossible length or capacity"
# why an interface's contents are not followed (keys of _Walker.skipped)
UNREADABLE_ITAB = "interfaces whose itab is unreadable"
NO_DWARF = "interfaces whose dynamic type has no DWARF"
NO_TYPE = "objects with no type to scan (unsafe.Pointer, interface types without DWARF)"
# how a pointer's target is followed (_Walker.leaf_code)
SCAN, LEAF, UNTYPED = 0, 1, 2
# what an interface's data word is (_Walker.resolve_dyn): a pointer to a value of the
# dynamic type, the value itself (a pointer type: followed as one; another
# pointer-shaped type: scanned), or nothing to follow (a value of size 0)
DYN_AT, DYN_PTR, DYN_WORD, DYN_NONE = range(4)

GO_CLOSURE_OFFSET = 0x2907       # DW_AT_go_closure_offset: a captured variable's offset
MAPPED_RESIDENT = 512 << 20      # a core's mapped pages kept resident at most (checked
                                 # every 1024 objects; past it they are let go)
CELLS_PER_CHECK = 4096           # a map's cells followed between two budget checks
READS_PER_CHECK = 512            # memory reads of one map's decode between two checks
                                 # (a bucket or group of 8 cells is about one read)


class BudgetSpent(Exception):
    """The budget ran out in the middle of one map (the message says which budget)."""


class _BudgetedMemory(Memory):
    """The target's memory while one map is decoded: the walk's budget is checked
    every READS_PER_CHECK reads, so one huge map cannot spend it unseen."""

    def __init__(self, inner, over_budget):
        self.inner, self.over_budget, self.reads = inner, over_budget, 0

    def read(self, addr, size):
        self.reads += 1
        if self.reads % READS_PER_CHECK == 0:
            why = self.over_budget()
            if why:
                raise BudgetSpent(why)
        return self.inner.read(addr, size)


@dataclass
class MapRecord:
    path: str
    pattern: str
    type_name: str
    header: int
    own_bytes: int
    entries: int
    node: int
    layout: str = ""
    slots: int = 0          # cells the map's storage has room for (groups' or buckets')
    tombstones: int = 0     # deleted cells among them (swiss ctrlDeleted, classic emptyOne)


@dataclass
class NilMap:
    """A map-typed place (a variable, field, element, cell) that holds nil."""

    path: str
    pattern: str
    type_name: str


@dataclass
class Graph:
    n: int
    sizes: Any
    attached: Any
    roots: List[int]
    types: Any = None
    type_table: List[str] = field(default_factory=list)
    split: Any = None       # (parent, xsrc, xdst): the edges (dominators.split_csr)
    _csr: Any = field(default=None, init=False, repr=False, compare=False)

    def _forward(self):
        if self._csr is None:
            self._csr = split_csr(self.n, *self.split)
        return self._csr

    @property
    def offsets(self):
        """The edges in compressed-sparse-row form, made from ``split`` when first
        asked for (the census itself never needs them)."""
        return self._forward()[0]

    @property
    def targets(self):
        return self._forward()[1]


@dataclass
class CensusResult:
    maps: List[MapRecord]
    graph: Graph
    stats: dict
    unread: List[Unread] = field(default_factory=list)
    nil_maps: List[NilMap] = field(default_factory=list)


def global_roots(target, skip=SKIP_PREFIXES):
    """(roots, unread): a Root for every package variable with a fixed address
    that can hold a pointer, runtime internals (``skip`` prefixes) left out."""
    from .model import Root
    roots, unread = [], []
    for name in sorted(target.index.variables):
        if skip and name.startswith(skip):
            continue
        try:
            addr, gotype = target.variable(name)
        except GomapError as exc:
            unread.append(Unread(name, str(exc)))
            continue
        except Exception as exc:    # a DIE the type table cannot build: say so, go on
            unread.append(Unread(name, f"{type(exc).__name__}: {exc}"))
            continue
        roots.append(Root(label=name, gotype=gotype, addr=addr, kind="global"))
    return roots, unread


class _SparseMarks(dict):
    """The marks of a heap whose spans claim more objects than an array of marks
    should hold (MAX_ARRAY_MARKS): only the objects reached, 0 for the others."""

    def __missing__(self, key):
        return 0


class _KeyLabel:
    """A map cell's key, rendered only when a path is asked for."""

    __slots__ = ("walker", "ktype", "raw", "value", "rest")

    def __init__(self, walker, ktype, raw, value, rest):
        self.walker, self.ktype, self.raw, self.value, self.rest = \
            walker, ktype, raw, value, rest

    def text(self):
        k = self.walker.short_key(self.ktype, self.raw)
        return (f"[{k}]" if self.value else f"{{{k}}}") + self.rest

    def pattern(self):
        return ("[*]" if self.value else "{*}") + _INDEX.sub("[*]", self.rest)


_INDEX = re.compile(r"\[\d+\]")


class _Walker:
    def __init__(self, target, budget, progress):
        self.t = target
        self.arch = target.arch
        self.P, self.order = target.arch.ptr, target.arch.order
        # 16 KiB blocks: objects met in the walk's breadth-first order share smaller
        # blocks about as often, and a miss copies a quarter of the bytes (on a 3.3 GB
        # core, 11% less time than 64 KiB blocks in the same 32 MB)
        self.mem = BlockCache(target.memory, block=1 << 14, blocks=2048)
        # objects are scanned in place: in a read-only mapping of a core file, else
        # in the block cache's buffers
        self.mapped = None
        if hasattr(target.memory, "mapped_view"):
            try:
                self.mapped = target.memory.mapped_view(self.mem)
            except (OSError, ValueError, OverflowError):    # no mapping: reads will do
                self.mapped = None
        self.heap = heap_of(target)
        self.small = SmallMaps(self.mem, target.limits)
        self.types_base = target.binary.types_base()
        self.budget = budget
        self.progress = progress
        self.sizes = array("q")
        self.attached = array("q")
        self.parent = array("q")
        self.labels = []
        self.types = array("l")
        self.type_ids = {}
        self.type_table = []
        # the edges to nodes made before (src[i] -> dst[i]); every other edge is a
        # node's from its parent, kept in ``parent`` alone
        self.src = array("q")
        self.dst = array("q")
        # per heap object (its number from heap.locate): 0 not reached, node id + 1,
        # or -(first referrer + 1) for a leaf folded into its referrer
        self.marks = array("i", bytes(4 * self.heap.objects)) \
            if self.heap.objects <= MAX_ARRAY_MARKS else _SparseMarks()
        self.offheap = {}         # map headers kept on a stack -> node id
        self.queue = deque()
        self.maps = []
        self.nils = []            # (node, label, type name) of map places holding nil
        self.skipped = Counter()
        self.unread = []
        self.stack_maps = 0       # maps whose header is not in the heap (kept on a stack)
        self.budget_hit = None
        self._ptrs = {}
        self._plans = {}          # GoType -> scan plan (a named type is its own GoType)
        self._dyn = {True: {}, False: {}}   # empty interface? -> type word -> resolve_dyn's
        fmt = "<" if self.order == "little" else ">"
        self._word = struct.Struct(fmt + ("Q" if self.P == 8 else "I")).unpack_from
        self._sword = struct.Struct(fmt + ("q" if self.P == 8 else "i")).unpack_from
        self.static = [(g.vaddr, g.vaddr + g.memsz) for g in target.binary.segments]
        self._closures = {}
        self._path_cache = {}
        self._pattern_cache = {}
        self.start = time.monotonic()
        self.rss0 = self.own_memory()
        self._bind()

    # -- types -------------------------------------------------------------------

    def has_pointers(self, t, depth=0):
        if t is None:
            return False
        r = self._ptrs.get(t.offset)
        if r is not None:
            return r
        if depth > 64:
            return False
        if t.kind in POINTER_KINDS:
            r = True
        elif t.kind == "struct":
            r = any(self.has_pointers(f.type, depth + 1) for f in t.fields)
        elif t.kind == "array":
            r = t.count > 0 and self.has_pointers(t.elem, depth + 1)
        else:
            r = False
        self._ptrs[t.offset] = r
        return r

    def type_id(self, name):
        i = self.type_ids.get(name)
        if i is None:
            i = self.type_ids[name] = len(self.type_table)
            self.type_table.append(name)
        return i

    # -- nodes -------------------------------------------------------------------

    def new_node(self, size, parent, label, tname):
        v = len(self.sizes)
        self.sizes.append(size)
        self.attached.append(0)
        self.parent.append(parent)
        self.labels.append(label)
        self.types.append(self.type_id(tname))
        return v

    def edge(self, s, d):
        """An edge to a node made before (the edge from a node's first referrer, its
        ``parent``, is implied and never stored)."""
        self.src.append(s)
        self.dst.append(d)

    def leaf_code(self, t):
        """How a pointer to a ``t`` is followed: SCAN (an object with pointers),
        LEAF (data without pointers) or UNTYPED (no type to scan it by: counted)."""
        if t is None:
            return UNTYPED
        return SCAN if self.has_pointers(t) else LEAF

    def ref(self, src, p, t, count, label, kind=OBJ, plain=False):
        """``src`` points at ``p``, a ``count`` of ``t`` (None: untyped; ``plain``:
        data known to hold no pointers, such as a string's)."""
        if kind == OBJ and self.heap.pages is not None:
            leaf = LEAF if plain and t is None else self.leaf_code(t)
            self.ref_obj(src, p, t, count, label, "", leaf,
                         self.type_id(t.name) if t is not None else 0)
            return
        h = self.heap
        loc = h.locate(p)
        if loc is None:
            if kind == MAP and p not in self.offheap and self.heap.in_manual_span(p):
                # A map the compiler kept on a goroutine's stack (it never escaped): no
                # heap object holds its header, but it is a map all the same, and its
                # buckets or groups may be on the heap.  Only a header inside a span
                # the runtime keeps for stacks counts: any other pointer (freed,
                # corrupt) is counted as not followed, never taken for a map.
                n = self.new_node(0, src, label, t.name if t is not None else "?")
                self.offheap[p] = n
                self.stack_maps += 1
                self.queue.append((kind, n, p, t, count))
                return
            if kind == MAP and p in self.offheap:
                self.edge(src, self.offheap[p])
                return
            self.outside(p)
            return
        i, base, size, span = loc
        m = self.marks[i]
        if m:
            self.again(src, i, size, m)
            return
        if kind == OBJ and (t is None or not self.has_pointers(t) or self.heap.noscan[span]):
            if t is None and not plain:
                self.skipped[NO_TYPE] += 1
            self.marks[i] = -src - 1
            self.attached[src] += size
            return
        n = self.new_node(size, src, label, t.name if t is not None else "?")
        self.marks[i] = n + 1
        if kind == OBJ:
            count = self.fit(p, count, t, base + size)
        self.queue.append((kind, n, p, t, count))

    def fit(self, p, count, t, end):
        """``count`` cut to the values of ``t`` at ``p`` that end by ``end`` (the end
        of their heap object), and the cut counted."""
        if p + count * t.size > end:
            self.skipped["slices or arrays longer than their heap object (cut)"] += 1
            count = (end - p) // t.size if t.size else 0
        return count

    def again(self, src, i, size, m):
        """``src`` points at heap object number ``i`` (``size`` bytes), marked ``m``
        before: an edge to its node, or a leaf with a second referrer made a node."""
        if m > 0:
            self.edge(src, m - 1)
            return
        first = -m - 1
        if first == src:
            return
        self.attached[first] -= size
        n = self.new_node(size, first, "", "(data without pointers)")
        self.marks[i] = n + 1
        self.edge(src, n)

    def outside(self, p):
        """Count a pointer that no in-use span holds, by where it points."""
        for lo, hi in self.static:
            if lo <= p < hi:
                self.skipped[OUT_STATIC] += 1
                return
        self.skipped[OUT_OTHER] += 1

    # -- the hot paths -------------------------------------------------------------

    def _bind(self):
        """``ref_obj`` and ``scan``: the work done per pointer and per object, as
        closures over the walk's arrays (a look-up of ``self.x`` per pointer, times
        tens of millions of pointers, is most of a census's time otherwise)."""
        h = self.heap
        lo, hi, pages = h.lo, h.hi, h.pages
        starts, ends, esizes, first, noscan = h.starts, h.ends, h.elemsizes, h.first, h.noscan
        marks, sizes, attached = self.marks, self.sizes, self.attached
        add_size, add_attached = sizes.append, attached.append
        add_parent, add_label, add_type = self.parent.append, self.labels.append, \
            self.types.append
        add_src, add_dst = self.src.append, self.dst.append
        enqueue = self.queue.append
        skipped = self.skipped
        again, fit, slow_ref, nil_map = self.again, self.fit, self.ref, self.nil_map
        outside = self.outside
        plans, make_plan = self._plans, self.plan
        word, sword, P, order = self._word, self._sword, self.P, self.order
        dyn_empty, dyn_iface, resolve = self._dyn[True], self._dyn[False], self.resolve_dyn

        def ref_paged(src, p, t, count, label, sfx, leaf, tid):
            """``ref`` of a pointer to an object (kind OBJ), with the plan's leaf
            code and type id of ``t``; the heap's page table inline.  The new
            node's label is ``label`` joined with ``sfx``, made only for a new node."""
            if lo <= p < hi:
                s = pages[(p - lo) >> PAGE_SHIFT]
                if s >= 0:
                    start = starts[s]
                    if start <= p < ends[s]:
                        size = esizes[s]
                        k = (p - start) // size
                        f0 = first[s]
                        if k < first[s + 1] - f0:
                            i = f0 + k
                            m = marks[i]
                            if m > 0:
                                add_src(src)
                                add_dst(m - 1)
                                return
                            if m:
                                again(src, i, size, m)
                                return
                            if leaf or noscan[s]:
                                if leaf == UNTYPED:
                                    skipped[NO_TYPE] += 1
                                marks[i] = -src - 1
                                attached[src] += size
                                return
                            n = len(sizes)
                            add_size(size)
                            add_attached(0)
                            add_parent(src)
                            # _join, its two common cases inline
                            add_label(label + sfx if label.__class__ is str
                                      else label if not sfx and label.__class__ is int
                                      else _join(label, sfx))
                            add_type(tid)
                            marks[i] = n + 1
                            end = start + (k + 1) * size
                            if p + count * t.size > end:
                                count = fit(p, count, t, end)
                            enqueue((OBJ, n, p, t, count))
                            return
            outside(p)

        def ref_located(src, p, t, count, label, sfx, leaf, tid):
            """ref_obj of a heap with no page table (too sparse for one): ``ref``."""
            slow_ref(src, p, t, count, _join(label, sfx), OBJ, leaf != UNTYPED)

        ref_obj = ref_paged if pages is not None else ref_located

        def iface(src, w0, data, tt, empty, sfx, label, seen=None):
            """The interface of type ``tt`` whose words are ``w0`` (type or itab) and
            ``data``, both non-zero: its dynamic value followed.  ``seen``: None, or
            the dict of one plan entry, where a dynamic type followed as a pointer
            is kept by ``w0`` as what ref_obj takes (type, whole suffix, leaf code,
            type id), for the entry's compiled code to call ref_obj itself."""
            dyn = (dyn_empty if empty else dyn_iface).get(w0)
            if dyn is None:
                dyn = resolve(tt, w0, data)
            if dyn.__class__ is not tuple:
                skipped[dyn] += 1
                if dyn == NO_DWARF:
                    ref_obj(src, data, None, 1, "", "", UNTYPED, 0)
                return
            d, suffix, how, dleaf, dtid = dyn
            if how == DYN_NONE:
                return
            if how != DYN_WORD:             # DYN_AT, DYN_PTR: d is what it points at
                if seen is not None:
                    seen[w0] = (d, sfx + suffix, dleaf, dtid)
                ref_obj(src, data, d, 1, label, sfx + suffix, dleaf, dtid)
            else:
                scan(src, data.to_bytes(P, order), 0, d, _join(label, sfx + suffix))

        def map_ref(src, p, tt, label, sfx):
            if p:
                slow_ref(src, p, tt, 1, _join(label, sfx), MAP)
            else:
                nil_map(src, _join(label, sfx), tt)

        def other_ref(src, p, tt, label, sfx, kind):
            slow_ref(src, p, tt, 1, _join(label, sfx), kind)

        def loop(src, buf, at, tt, label, sfx):
            et = tt.elem
            es = et.size
            lab = _join(label, sfx)
            for i in range(tt.count):
                scan(src, buf, at + i * es, et, _join(lab, f"[{i}]"))

        def scan(src, buf, off, t, label):
            """Follow every pointer in the value of type ``t`` at ``buf[off:]``."""
            fn = compiled.get(t)
            if fn is None:
                fn = compile_plan(t)
            if len(buf) - off < t.size:     # a value whose bytes end early (never a heap
                buf, off = _padded(buf, off, t.size)        # object's)
            fn(src, buf, off, label)

        def compile_plan(t):
            """The scan of a ``t`` as one function (see _plan_source), or the plan
            read entry by entry for a plan too large to be worth one."""
            plan = plans.get(t)
            if plan is None:
                plan = make_plan(t)
            made = _plan_source(plan, P, order)
            if made is None:
                def fn(src, buf, off, label):
                    scan_plan(src, buf, off, plan, label)
            else:
                source, consts = made
                env = dict(consts, ref_obj=ref_obj, iface=iface, map_ref=map_ref,
                           other_ref=other_ref, loop=loop, skipped=skipped,
                           BAD_SLICE=BAD_SLICE)
                exec(source, env)
                fn = env["scan_plan"]
            compiled[t] = fn
            return fn

        def scan_plan(src, buf, off, plan, label):
            for o, what, tt, sfx, leaf, tid in plan:
                at = off + o
                if what == P_PTR:
                    p = word(buf, at)[0]
                    if p:
                        ref_obj(src, p, tt, 1, label, sfx, leaf, tid)
                elif what == P_STR:
                    p = word(buf, at)[0]
                    if p and word(buf, at + P)[0]:
                        ref_obj(src, p, None, 1, "", "", LEAF, 0)
                elif what == P_IFACE:
                    w0 = word(buf, at)[0]
                    if w0:
                        data = word(buf, at + P)[0]
                        if data:
                            iface(src, w0, data, tt, leaf, sfx, label)
                elif what == P_SLICE:
                    p = word(buf, at)[0]
                    if p:
                        n, c = sword(buf, at + P)[0], sword(buf, at + 2 * P)[0]
                        if c > 0 and 0 <= n <= c:
                            ref_obj(src, p, tt, n, label, sfx, leaf, tid)
                        elif c:
                            skipped[BAD_SLICE] += 1
                elif what == P_MAP:
                    map_ref(src, word(buf, at)[0], tt, label, sfx)
                elif what == P_FUNC or what == P_CHAN:
                    p = word(buf, at)[0]
                    if p:
                        other_ref(src, p, tt, label, sfx, CLOSURE if what == P_FUNC else CHAN)
                else:                                   # P_LOOP: a large array
                    loop(src, buf, at, tt, label, sfx)

        compiled = {}
        self.compiled, self.compile_plan = compiled, compile_plan
        self.ref_obj, self.scan = ref_obj, scan

    def resolve_dyn(self, t, w0, data):
        """What the walk needs of the dynamic type of the interface of type ``t``
        whose words are ``w0`` (a type word, or an itab: neither ever changes) and
        ``data``, resolved once: (GoType, path suffix, DYN_* kind, leaf code,
        type id), the GoType being what the data word points at for DYN_PTR; or the
        reason it cannot be followed (a key of ``skipped``)."""
        try:
            raw = w0.to_bytes(self.P, self.order) + data.to_bytes(self.P, self.order)
            d = self.t.types.interface_type(self.mem, t, raw, self.types_base)[0]
        except UnreadableMemory:
            dyn = UNREADABLE_ITAB
        else:
            if d is None:
                dyn = NO_DWARF
            elif d.kind == "ptr":               # the data word is the pointer itself
                tt = d.target
                how = DYN_NONE if tt is not None and not tt.size else DYN_PTR
                dyn = (tt, f".({d.name})", how, self.leaf_code(tt),
                       self.type_id(tt.name) if tt is not None else 0)
            elif d.is_pointer_shaped():         # the data word is the value (one pointer)
                dyn = (d, f".({d.name})", DYN_WORD, 0, 0)
            else:                               # the data word points at the value
                dyn = (d, f".({d.name})", DYN_AT if d.size else DYN_NONE, self.leaf_code(d),
                       self.type_id(d.name))
        self._dyn[t.empty_interface][w0] = dyn
        return dyn

    # -- values ------------------------------------------------------------------

    def plan(self, t):
        """The scan plan of type ``t``: (offset, what, type, path suffix, leaf code,
        type id) of every place in a value of ``t`` that can hold a pointer, in the
        order a depth-first walk of its fields and elements meets them (the order
        the walk finds objects in, so the shortest paths do not depend on it).
        Structs and small arrays are flattened; an array of more than PLAN_MAX
        places stays one LOOP entry.  A pointer's or a slice's entry holds the type
        pointed at (a slice's element type) with its leaf code and type id; an
        interface's, whether it is empty in the leaf code's place."""
        plan = self._plans.get(t)
        if plan is None:
            plan = self._plans[t] = []
            self._plan_into(t, 0, "", plan, 0)
        return plan

    def _plan_into(self, t, off, suffix, out, depth):
        if depth > 64:
            return
        k = t.kind
        if k == "struct":
            for f in t.fields:
                if self.has_pointers(f.type):
                    self._plan_into(f.type, off + f.offset, suffix + "." + f.name, out,
                                    depth + 1)
        elif k == "array":
            et = t.elem
            if not t.count or not self.has_pointers(et):
                return
            inner = self.plan(et)
            if t.count * len(inner) > PLAN_MAX:
                out.append((off, P_LOOP, t, suffix, 0, 0))
                return
            es = et.size
            for i in range(t.count):
                at, sub = off + i * es, f"{suffix}[{i}]"
                out.extend((at + o, what, tt, sub + sfx, leaf, tid)
                           for o, what, tt, sfx, leaf, tid in inner)
        elif k in ("ptr", "unsafe.Pointer"):
            tt = t.target if k == "ptr" else None
            if tt is None or tt.size != 0:          # a pointer to a zero-size value: no
                out.append(self._pointing(off, P_PTR, tt, suffix))   # object to follow
        elif k == "slice":
            out.append(self._pointing(off, P_SLICE, t.elem, suffix))
        elif k == "interface":
            out.append((off, P_IFACE, t, suffix, t.empty_interface, 0))
        elif k in _PLAN_KINDS:
            out.append((off, _PLAN_KINDS[k], t, suffix, 0, 0))

    def _pointing(self, off, what, tt, suffix):
        return (off, what, tt, suffix, self.leaf_code(tt),
                self.type_id(tt.name) if tt is not None else 0)

    def nil_map(self, src, label, t):
        """A map-typed place holding nil: recorded (its path is made at the end)."""
        self.nils.append((src, label, t.name))

    def nil_records(self):
        """The NilMap of every nil map met, in the order met."""
        return [NilMap(self.path(src) + _label_text(label),
                       self.pattern(src) + _label_pattern(label), tname)
                for src, label, tname in self.nils]

    def ref_leaf(self, src, p):
        """A string's data: bytes without pointers."""
        self.ref(src, p, None, 1, "", plain=True)

    def string_column(self, v, ptrs, lens):
        """string_refs over a map's whole string column, CELLS_PER_CHECK at a time
        with the budget checked between them; False when it ran out."""
        n = len(ptrs)
        if n <= CELLS_PER_CHECK:
            self.string_refs(v, ptrs, lens)
            return True
        for start in range(0, n, CELLS_PER_CHECK):
            if start and self.cells_over_budget(v, start, n):
                return False
            end = start + CELLS_PER_CHECK
            self.string_refs(v, ptrs[start:end], lens[start:end])
        return True

    def string_refs(self, src, ptrs, lens):
        """``src`` holds strings (data pointers ``ptrs``, lengths ``lens``): a column
        of a map's string keys or elems; what ``ref_leaf`` does for each, with
        heap.locate inline (millions of strings)."""
        h = self.heap
        marks, pages = self.marks, h.pages
        if pages is None:
            for p, n in zip(ptrs, lens):
                if p and n:
                    self.ref_leaf(src, p)
            return
        lo, hi, starts, ends, esizes, first = h.lo, h.hi, h.starts, h.ends, h.elemsizes, h.first
        nbytes = 0
        leaf = -src - 1
        # the span of the last string: a map's strings were mostly allocated together
        cs = ce = size = f0 = cnt = 0
        for p, n in zip(ptrs, lens):
            if not p or not n:
                continue
            if not cs <= p < ce:
                if lo <= p < hi:
                    s = pages[(p - lo) >> PAGE_SHIFT]
                    if s >= 0 and starts[s] <= p < ends[s]:
                        cs, ce, size, f0 = starts[s], ends[s], esizes[s], first[s]
                        cnt = first[s + 1] - f0
                    else:
                        self.outside(p)
                        continue
                else:
                    self.outside(p)
                    continue
            k = (p - cs) // size
            if k >= cnt:
                self.outside(p)
                continue
            i = f0 + k
            m = marks[i]
            if m == leaf:
                continue
            if m:
                self.again(src, i, size, m)
                continue
            marks[i] = leaf
            nbytes += size
        self.attached[src] += nbytes

    # -- objects -----------------------------------------------------------------

    def do_map(self, v, h, t):
        try:
            lay = self.t.layout(t)
            follow = self.has_pointers(lay.key) or self.has_pointers(lay.elem)
            count, own, col, layout, slots, tombstones = self.decode_map(lay, t, h, follow)
        except TargetGone:
            raise
        except BudgetSpent as exc:
            self.map_cut(v, h, t, f"{exc} while decoding it")
            return
        except (GomapError, Exception) as exc:   # a map gomap cannot decode: say so, go on
            self.unread.append(Unread(self.path(v), f"map not decoded: {exc}"))
            self.maps.append(MapRecord(self.path(v), self.pattern(v), t.name, h,
                                       self.sizes[v], 0, v))
            return
        if own > self.sizes[v]:
            self.sizes[v] = own
        self.maps.append(MapRecord(self.path(v), self.pattern(v), t.name, h, own, count, v,
                                   layout, slots, tombstones))
        if col is not None:
            self.follow_cells(v, lay, col)

    def decode_map(self, lay, t, h, follow):
        """(count, own bytes, live cells or None, layout name, slots, tombstones) of
        the map at ``h``: a small map from census.smallmap, any other from gomap's
        decoder (its cells kept only when they hold pointers to follow)."""
        small = self.small.decode(lay, h, follow)
        if small is not None:
            count, own, col, slots, tombstones = small
            return count, own, col, lay.kind, slots, tombstones
        # a map of plain data: counts and bytes only, no cells kept
        opts = DumpOptions(cells=True, sort=False) if follow else \
            DumpOptions(entries=False, sort=False)
        snap = self.decode_within_budget(t, h, opts)
        own = snap.stats.get("bytes", {}).get("total", 0)
        slots, tombstones = cell_counts(snap.stats)
        return snap.count, own, snap.cells, snap.layout, slots, tombstones

    def follow_cells(self, v, lay, col):
        """Follow the pointers in a map's live cells (``col``, a slab.Collected):
        string columns as (data pointer, length) pairs, others cell by cell."""
        kt, vt = lay.key, lay.elem
        kp, vp = self.has_pointers(kt), self.has_pointers(vt)
        if not kp and not vp:
            return
        kstr, vstr = col.kkind == "str", col.vkind == "str"
        if kstr and not self.string_column(v, col.keys, col.klens):
            return
        if vstr:
            if not self.string_column(v, col.vals, col.vlens):
                return
            vp = False
        if not vp and (kstr or not kp):
            return
        keys = zip(col.keys, col.klens) if kstr else col.keys
        kind_k, kind_v = lay.keys.indirect, lay.elems.indirect
        n = len(col.keys)
        for i, (kraw, vraw) in enumerate(zip(keys, col.vals)):
            if i % CELLS_PER_CHECK == CELLS_PER_CHECK - 1 and self.cells_over_budget(v, i, n):
                return
            if kp and not kstr:
                lab = _KeyLabel(self, kt, kraw, False, "")
                if kind_k:
                    self.ref(v, kraw, kt, 1, lab)
                else:
                    self.scan(v, kraw, 0, kt, lab)
            if vp:
                lab = _KeyLabel(self, kt, kraw, True, "")
                if kind_v:
                    self.ref(v, vraw, vt, 1, lab)
                else:
                    self.scan(v, vraw, 0, vt, lab)

    def decode_within_budget(self, t, h, opts):
        """The snapshot of the map at ``h``; with a budget, its memory is read through
        _BudgetedMemory (raises BudgetSpent when the budget runs out inside it)."""
        if self.budget is None:
            return self.t.dump(t, h, opts)
        mem = self.t.memory
        self.t.memory = _BudgetedMemory(mem, self.over_budget)
        try:
            return self.t.dump(t, h, opts)
        finally:
            self.t.memory = mem

    def map_cut(self, v, h, t, why):
        """The budget ran out while the map of node ``v`` was decoded: it is counted
        (its entries from its header), its contents are not, and the output says so."""
        self.budget_hit = why
        try:
            count = self.t.map_count(t, h)
        except (GomapError, UnreadableMemory):
            count = 0
        self.unread.append(Unread(self.path(v), f"a map of {count:,} entries: its storage "
                                                f"and contents left out ({why})"))
        self.maps.append(MapRecord(self.path(v), self.pattern(v), t.name, h, self.sizes[v],
                                   count, v))

    def cells_over_budget(self, v, done, total):
        """Checked every CELLS_PER_CHECK cells of one map: True (and the output says
        how many cells were left) when the budget has run out."""
        why = self.over_budget()
        if not why:
            return False
        self.budget_hit = why
        self.unread.append(Unread(self.path(v), f"{done:,} of its {total:,} cells followed, "
                                                f"the rest left out ({why})"))
        return True

    def do_chan(self, v, c, t):
        hchan = t.target
        et = t.elem
        if hchan is None or et is None or not self.has_pointers(et) or not et.size:
            return
        try:
            raw = self.mem.read(c, hchan.size)
        except UnreadableMemory:
            self.skipped["channels whose header is unreadable"] += 1
            return

        def fld(name):
            f = hchan.field(name)
            if f is None:
                return None
            return int.from_bytes(raw[f.offset:f.offset + f.type.size], self.order)
        qcount, size, buf, recvx = fld("qcount"), fld("dataqsiz"), fld("buf"), fld("recvx")
        if None in (qcount, size, buf, recvx) or not qcount or not buf:
            return
        if qcount > size or recvx >= size:
            self.skipped["channels with an impossible count"] += 1
            return
        obj = self.heap.object_at(buf)
        if obj is None:
            self.skipped["channel buffers outside the heap"] += 1
            return
        base, osize = obj
        if buf + size * et.size > base + osize:
            self.skipped["channel buffers larger than their object"] += 1
            return
        owner = v
        hobj = self.heap.object_at(c)
        if hobj is None or hobj[0] != base:     # the buffer is its own object
            num = self.heap.locate(buf)[0]
            if self.marks[num]:
                return
            owner = self.new_node(osize, v, "", f"buffer of {t.name}")
            self.marks[num] = owner + 1
        try:
            data = self.mem.read(buf, size * et.size)
        except UnreadableMemory:
            self.skipped["channel buffers whose memory is unreadable"] += 1
            return
        for i in range(qcount):
            j = (recvx + i) % size
            self.scan(owner, data, j * et.size, et, f"<-[{i}]")

    def captured(self, pc):
        """[(offset, GoType, name)] of the variables a closure whose code starts at
        ``pc`` captured, from their DW_AT_go_closure_offset (Go 1.23 and later);
        None when DWARF does not say."""
        if pc in self._closures:
            return self._closures[pc]
        out = None
        try:
            index = getattr(self.t, "_census_subprograms", None)
            if index is None:
                from .stacks import SubprogramIndex
                index = self.t._census_subprograms = SubprogramIndex(self.t.dwarf)
            sub = index.find(pc)
            if sub is not None and sub.attributes.get("DW_AT_low_pc") is not None \
                    and sub.attributes["DW_AT_low_pc"].value == pc:
                out = []
                for c in sub.iter_children():
                    at = c.attributes
                    if GO_CLOSURE_OFFSET in at and "DW_AT_type" in at:
                        t = self.t.types.get(c.get_DIE_from_attribute("DW_AT_type").offset)
                        name = at["DW_AT_name"].value.decode("utf-8", "replace") \
                            if "DW_AT_name" in at else "?"
                        out.append((at[GO_CLOSURE_OFFSET].value, t, name))
        except Exception:          # DWARF pyelftools cannot read: the closure stays opaque
            out = None
        self._closures[pc] = out
        return out

    def do_closure(self, v, p, t):
        """A func value's closure object: its captured variables, where DWARF
        gives their offsets; otherwise its bytes count but its contents are not
        followed (said in stats)."""
        obj = self.heap.object_at(p)
        try:
            fn = self.arch.word(self.mem.read(p, self.P))
        except UnreadableMemory:
            self.skipped["closures whose memory is unreadable"] += 1
            return
        vars_ = self.captured(fn)
        if not vars_:
            if obj is not None and obj[1] > self.P:   # it captured what DWARF does not place
                self.skipped["closures whose captured variables DWARF does not describe"] += 1
            return
        end = obj[0] + obj[1]
        for off, vt, name in vars_:
            if vt is None or p + off + vt.size > end or not self.has_pointers(vt):
                continue
            try:
                buf = self.mem.read(p + off, vt.size)
            except UnreadableMemory:
                continue
            self.scan(v, buf, 0, vt, "." + name)

    # -- paths -------------------------------------------------------------------

    def _render(self, v, cache, part):
        """The path (or pattern) of node ``v``: its parent's, memoized (many maps
        share a parent: a slice's backing array), then its own label's part."""
        own = []
        guard = 0
        while v >= 0 and v not in cache and guard < 1_000_000:
            own.append(v)
            v = self.parent[v]
            guard += 1
        text = cache.get(v, "")
        for i, u in enumerate(reversed(own)):
            text += part(u)
            if i < len(own) - 1:
                cache[u] = text          # a parent of the node asked for
        return text

    def _path_part(self, u):
        return _label_text(self.labels[u])

    def _pattern_part(self, u):
        if self.parent[u] < 0:
            return self.root_patterns.get(u, self.labels[u])
        return _label_pattern(self.labels[u])

    def path(self, v):
        return self._render(v, self._path_cache, self._path_part)

    def pattern(self, v):
        return self._render(v, self._pattern_cache, self._pattern_part)

    def short_key(self, kt, raw):
        try:
            if isinstance(raw, int):                 # an indirect key: its address
                raw = self.mem.read(raw, kt.size)
            elif isinstance(raw, tuple):             # a string column's (pointer, length)
                raw = raw[0].to_bytes(self.P, self.order) + raw[1].to_bytes(self.P, self.order)
            if kt.kind in ("int", "uint") and kt.size <= 8:
                return str(int.from_bytes(raw[:kt.size], self.order, signed=kt.kind == "int"))
            if kt.kind == "string":
                p = self.arch.word(raw)
                n = self.arch.word(raw, self.P)
                s = self.mem.read(p, min(n, SHORT_KEY)).decode("utf-8", "replace") if n else ""
                return '"' + s.replace('"', '\\"') + ('…' if n > SHORT_KEY else '') + '"'
            if kt.kind == "bool":
                return "true" if raw[0] else "false"
        except (UnreadableMemory, IndexError):
            return "?"
        return "*"

    # -- budget ------------------------------------------------------------------

    @staticmethod
    def own_memory():
        """Resident bytes but the pages of mapped files (a core's mapped pages are
        let go at MAPPED_RESIDENT, and are not the walk's to count)."""
        rss, files = resident_parts()
        return rss - files

    def over_budget(self):
        b = self.budget
        if b is None:
            return None
        secs = getattr(b, "seconds", None)
        mb = getattr(b, "mb", None)
        if secs is not None and time.monotonic() - self.start > secs:
            return f"time budget of {secs:g} s spent"
        if mb is not None and self.own_memory() - self.rss0 > (mb << 20):
            return f"memory budget of {mb} MB spent"
        return None

    # -- the walk ----------------------------------------------------------------

    def run(self, roots):
        self.root_patterns = {}
        root_ids = []
        for r in roots:
            v = self.new_node(0, -1, r.label, r.gotype.name if r.gotype is not None else "?")
            self.root_patterns[v] = r.pattern
            root_ids.append(v)
        for r, v in zip(roots, root_ids):
            t = r.gotype
            if t is None or not t.size or not self.has_pointers(t):
                continue
            buf = root_value(self.mem, r)
            if isinstance(buf, Unread):
                self.unread.append(buf)
                continue
            self.scan(v, buf, 0, t, "")
        q = self.queue
        view = self.mapped.view if self.mapped is not None else self.mem.view
        pop, skipped = q.popleft, self.skipped
        compiled, compile_plan = self.compiled, self.compile_plan
        done = 0
        while q:
            if done & 1023 == 0:
                why = self.over_budget()
                if why:
                    self.budget_hit = why
                    break
                if self.progress is not None:
                    self.progress(nodes=len(self.sizes), maps=len(self.maps), queued=len(q))
                if self.mapped is not None and resident_parts()[1] > MAPPED_RESIDENT:
                    self.mapped.trim()
            if self.budget_hit:
                break
            kind, v, p, t, count = pop()
            done += 1
            if kind != OBJ:
                if kind == MAP:
                    self.do_map(v, p, t)
                elif kind == CHAN:
                    self.do_chan(v, p, t)
                else:
                    self.do_closure(v, p, t)
                continue
            es = t.size
            n = count * es
            if n <= 0:
                continue
            if n > MAX_SCAN_BYTES:
                skipped["objects larger than 1 GiB (scanned in part)"] += 1
                count = MAX_SCAN_BYTES // es
                n = count * es
            try:
                buf, at = view(p, n)        # the cached block itself, when it can
            except UnreadableMemory:
                skipped["heap objects whose memory is unreadable"] += 1
                continue
            if len(buf) - at < n:           # a short block
                buf, at = _padded(buf, at, n)
            fn = compiled.get(t)            # the plan's function (what scan calls)
            if fn is None:
                fn = compile_plan(t)
            if count == 1:
                fn(v, buf, at, "")
                continue
            for i in range(count):
                if i & 4095 == 4095:          # a huge array: the budget is checked inside it
                    why = self.over_budget()
                    if why:
                        self.budget_hit = why
                        skipped["objects scanned in part (the budget ran out)"] += 1
                        break
                fn(v, buf, at + i * es, i)
        left = len(q)
        return root_ids, left

    def counts(self):
        """(heap objects reached, their bytes): every reached object is marked, and
        its bytes are a node's size or attached to one."""
        m = self.marks
        objects = len(m) if isinstance(m, _SparseMarks) else len(m) - m.count(0)
        return objects, sum(self.sizes) + sum(self.attached)

    def graph(self, root_ids):
        return Graph(len(self.sizes), self.sizes, self.attached, root_ids, self.types,
                     self.type_table, split=(self.parent, self.src, self.dst))


def _padded(buf, off, size):
    """(bytes, 0): the ``size`` bytes at ``buf[off:]``, those past its end read as
    zero (as nil)."""
    return bytes(buf[off:]) + bytes(size - (len(buf) - off)), 0


def root_value(mem, root):
    """The bytes of a root's value: its own when it was held in registers (its
    address is then 0, never read), else read at its address; an Unread when that
    cannot be read."""
    if root.value is not None:
        return root.value
    try:
        return mem.read(root.addr, root.gotype.size)
    except UnreadableMemory as exc:
        return Unread(root.label, f"unreadable: {exc}")


def _plan_source(plan, P, order):
    """Python source of ``scan_plan(src, buf, off, label)``, the scan of one value
    by ``plan`` (see _Walker.plan), and the names it uses: every word the plan
    reads taken with one struct call, then each entry's test and call written out
    in the plan's order (what _Walker's scan_plan does, without its loop and its
    dispatch on each entry's kind).  None for a plan of more than COMPILED_MAX
    entries or whose words overlap (it is then read entry by entry)."""
    if len(plan) > COMPILED_MAX:
        return None
    words = {}                              # offset -> read signed
    for o, what, _, _, _, _ in plan:
        if what == P_LOOP:
            continue
        want = [(o, False)]
        if what in (P_STR, P_IFACE):
            want.append((o + P, False))
        elif what == P_SLICE:
            want += [(o + P, True), (o + 2 * P, True)]
        for at, signed in want:
            if words.setdefault(at, signed) != signed:
                return None
    offs = sorted(words)
    if any(b - a < P for a, b in zip(offs, offs[1:])) or (offs and offs[0] < 0):
        return None
    fmt, pos = "<" if order == "little" else ">", 0
    for at in offs:
        if at > pos:
            fmt += f"{at - pos}x"
        fmt += ("q" if P == 8 else "i") if words[at] else ("Q" if P == 8 else "I")
        pos = at + P
    w = {at: f"w{i}" for i, at in enumerate(offs)}
    consts = {"unpack": struct.Struct(fmt).unpack_from}
    lines = ["def scan_plan(src, buf, off, label):"]
    if offs:
        lines.append(f"    {', '.join(w[at] for at in offs)}, = unpack(buf, off)")
    for j, (o, what, tt, sfx, leaf, tid) in enumerate(plan):
        t, x = f"t{j}", repr(sfx)
        consts[t] = tt
        if what == P_PTR:
            lines.append(f"    if {w[o]}: ref_obj(src, {w[o]}, {t}, 1, label, {x}, {leaf}, {tid})")
        elif what == P_STR:
            lines.append(f"    if {w[o]} and {w[o + P]}: "
                         f"ref_obj(src, {w[o]}, None, 1, '', '', {LEAF}, 0)")
        elif what == P_IFACE:           # c{j}: the dynamic types met here (see iface)
            consts[f"c{j}"] = {}
            lines += [f"    if {w[o]} and {w[o + P]}:",
                      f"        d = c{j}.get({w[o]})",
                      f"        if d is None: iface(src, {w[o]}, {w[o + P]}, {t}, {leaf!r}, "
                      f"{x}, label, c{j})",
                      f"        else: ref_obj(src, {w[o + P]}, d[0], 1, label, d[1], d[2], d[3])"]
        elif what == P_SLICE:
            n, c = w[o + P], w[o + 2 * P]
            lines += [f"    if {w[o]}:",
                      f"        if {c} > 0 and 0 <= {n} <= {c}: "
                      f"ref_obj(src, {w[o]}, {t}, {n}, label, {x}, {leaf}, {tid})",
                      f"        elif {c}: skipped[BAD_SLICE] += 1"]
        elif what == P_MAP:
            lines.append(f"    map_ref(src, {w[o]}, {t}, label, {x})")
        elif what in (P_FUNC, P_CHAN):
            kind = CLOSURE if what == P_FUNC else CHAN
            lines.append(f"    if {w[o]}: other_ref(src, {w[o]}, {t}, label, {x}, {kind})")
        else:                               # P_LOOP
            lines.append(f"    loop(src, buf, off + {o}, {t}, label, {x})")
    if len(lines) == 1:
        lines.append("    pass")
    return "\n".join(lines) + "\n", consts


def cell_counts(stats):
    """(slots, tombstones) from a snapshot's stats: every cell of its groups or
    buckets (old buckets of a grow included), and the deleted ones among them."""
    if isinstance(stats.get("slots"), dict):                  # swiss
        cells = stats["slots"]
        return sum(cells.values()), cells.get("deleted", 0)
    cells = stats.get("cells") or {}                          # classic
    return sum(cells.values()), cells.get("emptyOne", 0)


def _join(label, suffix):
    """A node's label with ``suffix`` after it.  A label is a string, an element's
    index (an int: "[i]", made a string only when a path is asked for) or a map
    cell's _KeyLabel."""
    if isinstance(label, _KeyLabel):
        return _KeyLabel(label.walker, label.ktype, label.raw, label.value, label.rest + suffix)
    if isinstance(label, int):
        return f"[{label}]{suffix}" if suffix else label
    return label + suffix


def _label_text(label):
    if isinstance(label, str):
        return label
    return f"[{label}]" if isinstance(label, int) else label.text()


def _label_pattern(label):
    if isinstance(label, str):
        return _INDEX.sub("[*]", label)
    return "[*]" if isinstance(label, int) else label.pattern()


def walk(target, roots, budget=None, progress=None):
    """Walk the object graph from ``roots``: a :class:`CensusResult` (see the module)."""
    w = _Walker(target, budget, progress)
    with no_gc():       # tens of millions of tuples, no cycles
        root_ids, left = w.run(roots)
        graph = w.graph(root_ids)
    skipped = {k: c for k, c in w.skipped.items() if c}
    if w.heap.unreadable_spans:
        skipped["spans whose mspan is unreadable"] = w.heap.unreadable_spans
    objects, nbytes = w.counts()
    # every node but the roots and the maps kept on stacks is a reached heap object;
    # the other reached objects are leaves
    leaves = objects - (graph.n - len(root_ids) - w.stack_maps)
    stats = {"objects": objects, "nodes": graph.n, "leaves": leaves,
             "stack_maps": w.stack_maps, "bytes": nbytes,
             "maps": len(w.maps), "skipped": skipped, "budget_hit": w.budget_hit,
             "left_out": left, "spans": len(w.heap),
             "seconds": round(time.monotonic() - w.start, 3)}
    unread = list(w.unread)
    if w.budget_hit:
        unread.append(Unread("heap", f"the walk stopped ({w.budget_hit}): {left:,} objects "
                                     f"found but not walked, and what only they reach"))
    return CensusResult(w.maps, graph, stats, unread, w.nil_records())
