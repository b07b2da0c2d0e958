"""Fuzzing the decoders with real map memory, corrupted.

Memory is captured once per build: every map of examples/mapstates is decoded
from the live program through a :class:`~gdb_gomap.replay.RecordingMemory`,
and the regions read are saved (gzip'd JSON).  Each fuzz case then lays a few
patches over that recording (a :class:`~gdb_gomap.replay.ReplayMemory`) and
decodes and renders one map with the binary's DWARF.  The patches aim at what
corrupt memory looks like: header fields out of range (B, globalDepth, dirLen,
count), tophash and control bytes that disagree with the counts, overflow
chains turned into cycles, pointers into unmapped memory or into the middle
of other structures or into a megabyte of garbage (a whole bucket array,
directory or group array made of it), random bytes anywhere in a bucket,
group, table or directory.  Offsets come from the layout the DWARF gives
(``gdb_gomap.layout.detect``), never from constants.

A case passes when it ends within its time budget with a snapshot or with a
GomapError.  The snapshot may carry warnings, but no more than MAX_WARNINGS,
and it may not keep more entries than ``max_entries``.  Any other exception,
a snapshot over those bounds, or a case still running after the budget (a
hang) is a failure.

    python -m tests.fuzz_decoders --cases 20000          # both layouts
    python -m tests.fuzz_decoders --cases 2000 --layout swiss --show 5
"""

import argparse
import contextlib
import hashlib
import json
import random
import resource
import signal
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from gdb_gomap.binary import GoBinary
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.errors import GomapError
from gdb_gomap.limits import Limits
from gdb_gomap.resolve import resolve_map
from gdb_gomap.render import text as text_view
from gdb_gomap.render.jsonout import snapshot_json, write_json
from gdb_gomap.replay import RecordingMemory, ReplayMemory, load
from gdb_gomap.target import Target

from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "mapstates"
BUILDS = {b.layout: b for b in toolchains.MATRIX if b.opt == "opt" and b.experiment == ""
          and b.version in ("1.23.9", "1.26.6")}
CASE_BUDGET = 10.0            # seconds: a case still running then is a hang
DEFAULT_DIR = harness.REPO / ".pytest_cache" / "d" / "gomap-replay"
HYPOTHESIS_DIR = DEFAULT_DIR.parent / "hypothesis"
try:   # hypothesis keeps its files with pytest's, not in .hypothesis/ of the checkout
    from hypothesis.configuration import set_hypothesis_home_dir
    set_hypothesis_home_dir(HYPOTHESIS_DIR)
except ImportError:   # only the test extra has hypothesis
    pass
# A region of garbage that pointers can be sent into: random bytes where one
# word in four points back into the region, so that chains, directories and
# tables built from it can be followed.  It stands for a corrupt pointer that
# lands in some large readable mapping of a real process or core.
ARENA_ADDR, ARENA_SIZE = 0x7e00_0000_0000, 1 << 20
ARENA_ADDR_32 = 0xe000_0000   # for 32-bit targets
MAX_WARNINGS = 50             # a decode that says more has not bounded its warnings
UNMAPPED = (0x10, 0x1000, 0xdead0000, 0x7ff0_0000_0000, 1 << 47, (1 << 64) - 8,
            0x4141414141414141)


# --- capture -------------------------------------------------------------------

def _map_names(truth):
    """(name, expression) of every map of the example: globals by name, stack
    maps by their header address and type."""
    from tests.test_dump import GLOBALS
    out = [(g, g) for g in GLOBALS]
    for name, m in sorted(truth["maps"].items()):
        if name.startswith("local:") and m.get("address"):
            out.append((name, f"{m['address']}:{m['type']}"))
    return out


def _digest(snap):
    return hashlib.sha256(json.dumps(snapshot_json(snap), sort_keys=True,
                                     default=str).encode()).hexdigest()


def record(program, build, dest_dir, prefix, read):
    """Record the memory ``read(target, truth)`` reads from ``program`` built for
    ``build``; return the recording's path (reused for the same binary).

    Starts the program and reads it with ptrace (``StoppedProcess``); the program
    is stopped afterwards.  ``read`` returns what the recording's meta holds
    besides the build, binary and layout.  Shared with tests/fuzz_walk.py."""
    from gdb_gomap.backends.process import StoppedProcess
    binary = toolchains.build_for(program, build)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{prefix}{build.id}-{binary.parent.name}.json.gz"
    if path.exists():
        return path
    with harness.start_example(binary) as ex:
        with StoppedProcess(ex.pid) as proc:
            rec = RecordingMemory(proc)
            meta = read(Target(GoBinary(binary), rec), ex.truth)
    tmp = path.with_suffix(".tmp")
    rec.save(tmp, {"build": build.id, "binary": str(binary), "layout": build.layout, **meta})
    tmp.rename(path)
    return path


def _read_maps(target, truth):
    maps = []
    for name, expr in _map_names(truth):
        try:
            mt, addr = resolve_map(target, expr)
        except GomapError:
            continue  # a stack map type reflect spells differently from DWARF
        snap = target.dump(mt, addr, DumpOptions(detail=True, raw=True))
        target.dump(mt, addr, DumpOptions(entries=True))
        maps.append({"name": name, "expr": expr, "addr": addr, "type": mt.name,
                     "digest": _digest(snap)})
    return {"maps": maps}


def capture(build, dest_dir=DEFAULT_DIR):
    """Record the memory of every mapstates map for ``build``; return the file's path."""
    return record(EXAMPLE, build, dest_dir, "", _read_maps)


def capture_core(binary, core, truth, build_id, layout, dest_dir):
    """Record the memory of every mapstates map in ``core`` (of ``binary``, whose
    run wrote ``truth``): how other machines' cores are fuzzed (tests/test_arch.py)."""
    from gdb_gomap.backends.core_file import CoreFile
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"core-{build_id}.json.gz"
    b = GoBinary(binary)
    with CoreFile(core, b) as mem:
        rec = RecordingMemory(mem)
        meta = _read_maps(Target(b, rec), truth)
    rec.save(path, {"build": build_id, "binary": str(binary), "layout": layout, **meta})
    return path


# --- anatomy: where the structures of one map are ----------------------------

@dataclass
class Struct:
    """One structure of a map in memory: what it is, where, how big, its fields."""
    kind: str                 # header, extra, bucket, table, directory, group
    addr: int
    size: int
    fields: dict = field(default_factory=dict)   # name -> (offset, size, signed)


@dataclass
class MapFixture:
    name: str
    map_type: object
    addr: int
    layout: object
    structs: list
    digest: str

    def of_kind(self, *kinds):
        return [s for s in self.structs if s.kind in kinds]


def _anatomy(target, mt, addr, snap):
    L = target.layout(mt)
    P = L.arch.ptr
    out = [Struct("header", addr, L.header.size, dict(L.header.fields))]
    if L.kind == "classic":
        ptr_fields = {"overflow": (L.overflow_off, P, False)}
        if snap.header.get("extra") and L.extra is not None:
            out.append(Struct("extra", snap.header["extra"], L.extra.size, dict(L.extra.fields)))
        for c in snap.chains or []:
            for b in c.buckets:
                out.append(Struct("bucket", b.address, L.bucket_size, ptr_fields))
    else:
        gfields = {"ctrl": (L.ctrl_off, 8, False)}
        if snap.header.get("dirLen"):
            out.append(Struct("directory", snap.header["dirPtr"], P * snap.header["dirLen"],
                              {f"slot{i}": (P * i, P, False)
                               for i in range(snap.header["dirLen"])}))
        goff = L.table.fields["groups"][0]
        tfields = dict(L.table.fields)
        for n, (o, s, sg) in L.groupref.fields.items():
            tfields["groups." + n] = (goff + o, s, sg)
        for t in snap.tables or []:
            out.append(Struct("table", t.address, L.table.size, tfields))
            for g in t.groups or []:
                out.append(Struct("group", g.address, L.group_size, gfields))
        if snap.group is not None:
            out.append(Struct("group", snap.group.address, L.group_size, gfields))
    return [s for s in out if s.addr]


def arena(seed=0, arch=None, base=ARENA_ADDR):
    """The garbage region at ``base``, in ``arch``'s words (amd64's by default)."""
    P, code = (8, "<Q") if arch is None else (arch.ptr, arch.word_code)
    rnd = random.Random(seed)
    words = []
    for _ in range(ARENA_SIZE // P):
        if rnd.random() < 0.25:
            words.append(base + P * rnd.randrange(ARENA_SIZE // P))
        else:
            words.append(rnd.getrandbits(8 * P))
    return struct.pack(f"{code[0]}{len(words)}{code[1]}", *words)


class Fixture:
    """A recording, its binary's Target and the anatomy of every non-nil map."""

    def __init__(self, path):
        recorded, self.meta = load(path)
        self.binary = Path(self.meta["binary"])
        binary = GoBinary(self.binary)
        arch = binary.arch
        # the target's words: what patches write (tests/test_arch.py fuzzes other machines)
        self.order, self.ptr = arch.order, arch.ptr
        self.arena_addr = ARENA_ADDR if arch.ptr == 8 else ARENA_ADDR_32
        self.memory = ReplayMemory(recorded.regions +
                                   [(self.arena_addr, arena(0, arch, self.arena_addr))])
        self.target = Target(binary, self.memory)
        self.layout = self.meta["layout"]
        self.maps = []
        self.replay_mismatches = []
        for m in self.meta["maps"]:
            mt, addr = resolve_map(self.target, m["expr"])
            snap = self.target.dump(mt, addr, DumpOptions(detail=True, raw=True))
            if _digest(snap) != m["digest"]:
                self.replay_mismatches.append(m["name"])
            if addr:
                self.maps.append(MapFixture(m["name"], mt, addr, self.target.layout(mt),
                                            _anatomy(self.target, mt, addr, snap),
                                            m["digest"]))
        self.all_structs = [s for m in self.maps for s in m.structs]


def load_fixture(build, dest_dir=DEFAULT_DIR):
    return Fixture(capture(build, dest_dir))


# --- cases -----------------------------------------------------------------------

@dataclass
class Case:
    map_name: str
    patches: dict                       # addr -> bytes
    what: list                          # one line per mutation
    opts: DumpOptions
    limits: Optional[Limits] = None
    header: Optional[int] = None        # decode this address as the header instead

    def describe(self):
        lim = "" if self.limits is None else f" limits={self.limits}"
        at = "" if self.header is None else f" header at {self.header:#x}"
        return (f"{self.map_name}{at}: {'; '.join(self.what)} | opts={self.opts}{lim}")


class CaseTimeout(BaseException):
    """The case ran past its budget (BaseException: no decoder may swallow it)."""


@dataclass
class Outcome:
    ok: bool
    kind: str          # snapshot, error, crash, hang
    seconds: float
    detail: str = ""
    warnings: int = 0


def _alarm(signum, frame):
    raise CaseTimeout()


class _Sink:
    """A write() that keeps only the byte count."""

    def __init__(self):
        self.n = 0

    def __call__(self, s):
        self.n += len(s)


def _unbounded(snap, case):
    """Why the snapshot shows unbounded work, or ''."""
    lim = case.limits or Limits()
    if len(snap.entries) > lim.max_entries:
        return f"{len(snap.entries)} entries kept, over max_entries {lim.max_entries}"
    if len(snap.warnings) > MAX_WARNINGS:
        return (f"{len(snap.warnings)} warnings, e.g. {snap.warnings[:3]} ... "
                f"{snap.warnings[-2:]}")
    return ""


@contextlib.contextmanager
def time_limit(budget):
    """Raise CaseTimeout in the body once ``budget`` seconds have passed (SIGALRM);
    shared with tests/fuzz_walk.py."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def guarded(fx, patches, budget, body):
    """``body(t0)`` (which returns an Outcome) with ``patches`` laid over the
    fixture's memory, within ``budget`` seconds: a one-line GomapError is an
    "error" outcome; a hang, any other exception or an error of several lines is
    a failure.  Shared with tests/fuzz_walk.py."""
    fx.target.memory = fx.memory.patched(patches)
    t0 = time.perf_counter()
    try:
        with time_limit(budget):
            return body(t0)
    except GomapError as exc:
        return Outcome("\n" not in str(exc).strip(), "error", time.perf_counter() - t0,
                       str(exc))
    except CaseTimeout:
        return Outcome(False, "hang", time.perf_counter() - t0,
                       f"still running after {budget} s")
    except Exception:
        return Outcome(False, "crash", time.perf_counter() - t0, traceback.format_exc())
    finally:
        fx.target.memory = fx.memory


def run_case(fx, case, budget=CASE_BUDGET):
    """Decode and render one corrupted map; say how it ended."""
    m = next(x for x in fx.maps if x.name == case.map_name)

    def body(t0):
        addr = m.addr if case.header is None else case.header
        snap = fx.target.dump(m.map_type, addr, case.opts, case.limits)
        problem = _unbounded(snap, case)
        if problem:
            return Outcome(False, "unbounded", time.perf_counter() - t0, problem)
        sink = _Sink()
        if not case.opts.json_bytes:   # a json_bytes snapshot is only ever written as JSON
            text_view.render(snap, sink, entries=case.opts.entries, buckets=case.opts.detail)
        write_json(snap, sink)
        if case.opts.detail:
            from gdb_gomap.render.svg import has_detail, snapshot_svg
            doc = snapshot_json(snap)
            if has_detail(doc):
                sink(snapshot_svg(doc))
        return Outcome(True, "snapshot", time.perf_counter() - t0, warnings=len(snap.warnings))

    return guarded(fx, case.patches, budget, body)


# --- hypothesis strategies ----------------------------------------------------------

def strategies():
    """The strategies, built on first use (hypothesis is only in the test extra)."""
    from hypothesis import strategies as st

    def int_bytes(value, size, order):
        return (value % (1 << (8 * size))).to_bytes(size, order)

    @st.composite
    def pointer(draw, fx, m):
        """A pointer that is wrong: unmapped, nil, misaligned, into another structure."""
        how = draw(st.sampled_from(["unmapped", "nil", "other", "inside", "arena", "random"]))
        if how == "unmapped":
            return draw(st.sampled_from(UNMAPPED)), how
        if how == "nil":
            return 0, how
        if how == "arena":
            return fx.arena_addr + fx.ptr * draw(st.integers(0, ARENA_SIZE // fx.ptr - 1)), how
        if how == "other":   # the start of another structure of this map (or any map)
            s = draw(st.sampled_from(m.structs if draw(st.booleans()) else fx.all_structs))
            return s.addr, f"{how} {s.kind}"
        if how == "inside":  # the middle of a structure, often misaligned
            s = draw(st.sampled_from(m.structs))
            return s.addr + draw(st.integers(1, max(1, s.size - 1))), f"inside {s.kind}"
        return draw(st.integers(0, (1 << 64) - 1)), how

    def value_for(name, size, signed):
        bits = 8 * size
        edges = [0, 1, 2, 7, 8, 9, 63, 64, 65, 255, (1 << (bits - 1)) - 1, 1 << (bits - 1),
                 (1 << bits) - 1, -1]
        if name in ("B", "globalDepth", "localDepth", "globalShift"):
            return st.one_of(st.integers(0, 80), st.sampled_from(edges))
        if name in ("dirLen", "lengthMask", "capacity", "groups.lengthMask"):
            return st.one_of(st.sampled_from(edges + [1 << 20, (1 << 20) + 1, 1 << 26,
                                                      1 << 31, 1 << 40]),
                             st.integers(-(1 << (bits - 1)), (1 << bits) - 1))
        return st.one_of(st.sampled_from(edges),
                         st.integers(-(1 << (bits - 1)), (1 << bits) - 1))

    POINTER_NAMES = ("buckets", "oldbuckets", "extra", "overflow", "oldoverflow",
                     "nextOverflow", "dirPtr", "groups.data")

    @st.composite
    def field_patch(draw, fx, m, kinds):
        structs = m.of_kind(*kinds)
        s = draw(st.sampled_from(structs))
        names = sorted(n for n, (o, sz, sg) in s.fields.items() if sz in (1, 2, 4, 8))
        name = draw(st.sampled_from(names))
        off, size, signed = s.fields[name]
        if name in POINTER_NAMES or name.startswith("slot"):
            v, how = draw(pointer(fx, m))
            return (s.addr + off, int_bytes(v, size, fx.order),
                    f"{s.kind}.{name} = {v:#x} ({how})")
        v = draw(value_for(name, size, signed))
        return s.addr + off, int_bytes(v, size, fx.order), f"{s.kind}.{name} = {v}"

    @st.composite
    def tags(draw, fx, m):
        """Tophash or control bytes that disagree with the counts."""
        s = draw(st.sampled_from(m.of_kind("bucket", "group")))
        L = m.layout
        tag_off = L.tophash_off if L.kind == "classic" else L.ctrl_off
        special = [0, 1, 2, 3, 4, 5, 0x80, 0xfe, 0xff, 0x7f]
        data = bytes(draw(st.lists(st.one_of(st.sampled_from(special), st.integers(0, 255)),
                                   min_size=1, max_size=8)))
        at = draw(st.integers(0, 8 - len(data)))
        return s.addr + tag_off + at, data, f"{s.kind} {s.addr:#x} tags[{at}:] = {data.hex()}"

    @st.composite
    def cycle(draw, fx, m):
        """An overflow pointer sent back to an earlier (or the same) bucket."""
        bs = m.of_kind("bucket")
        j = draw(st.integers(0, len(bs) - 1))
        i = draw(st.integers(0, j))
        off = m.layout.overflow_off
        return (bs[j].addr + off, bs[i].addr.to_bytes(fx.ptr, fx.order),
                f"bucket {j} overflow -> bucket {i} (cycle)")

    @st.composite
    def random_bytes(draw, fx, m):
        s = draw(st.sampled_from(m.structs))
        data = draw(st.binary(min_size=1, max_size=32))
        at = draw(st.integers(0, max(0, s.size - 1)))
        return s.addr + at, data, f"{s.kind} {s.addr:#x}+{at} = {data.hex()}"

    @st.composite
    def anywhere(draw, fx, m):
        """Random bytes anywhere in the recording: keys' string data, type descriptors..."""
        start, data = draw(st.sampled_from(fx.memory.regions))
        at = draw(st.integers(0, len(data) - 1))
        new = draw(st.binary(min_size=1, max_size=16))
        return start + at, new, f"memory {start + at:#x} = {new.hex()}"

    @st.composite
    def mid_write(draw, fx, m):
        h = m.of_kind("header")[0]
        if m.layout.kind == "classic":
            off = h.fields["flags"][0]
            cur = fx.memory.read(h.addr + off, 1)[0]
            bits = draw(st.sampled_from([4, 8, 12, 15]))
            return h.addr + off, bytes([cur | bits]), f"flags |= {bits}"
        off, size, _ = h.fields["writing"]
        return h.addr + off, int_bytes(draw(st.integers(1, 255)), size, fx.order), "writing set"

    @st.composite
    def into_arena(draw, fx, m):
        """A header or table sent into the garbage arena with sizes to match, so a
        whole array, directory or chain of garbage is walked.  Several patches."""
        h = m.of_kind("header")[0]
        L = m.layout

        def put(s, name, v):
            off, size, _ = s.fields[name]
            return (s.addr + off, int_bytes(v, size, fx.order), f"{s.kind}.{name} = {v:#x}")

        at = fx.arena_addr + fx.ptr * draw(st.integers(0, ARENA_SIZE // fx.ptr - 1))
        if L.kind == "classic":
            B = draw(st.integers(0, 10))   # 2^10 garbage buckets: output stays small
            out = [put(h, draw(st.sampled_from(["buckets", "oldbuckets"])), at),
                   put(h, "B", B)]
            if draw(st.booleans()):
                out.append(put(h, "count", draw(st.integers(0, 1 << 16))))
            return out
        tables = m.of_kind("table")
        if tables and draw(st.booleans()):
            t = draw(st.sampled_from(tables))
            mask = draw(st.integers(0, 1023))
            return [put(t, "groups.data", at), put(t, "groups.lengthMask", mask),
                    put(t, "capacity", 8 * (mask + 1))]
        n = draw(st.integers(0, 1 << 14))
        return [put(h, "dirPtr", at), put(h, "dirLen", n),
                put(h, "globalDepth", max(0, n - 1).bit_length())]

    @st.composite
    def mutation(draw, fx, m):
        """A list of (addr, bytes, description) patches."""
        L = m.layout
        kinds = [("header", lambda: field_patch(fx, m, ("header",))),
                 ("random", lambda: random_bytes(fx, m)),
                 ("anywhere", lambda: anywhere(fx, m)),
                 ("midwrite", lambda: mid_write(fx, m))]
        if m.of_kind("bucket", "group"):
            kinds.append(("tags", lambda: tags(fx, m)))
        if L.kind == "classic" and m.of_kind("bucket"):
            kinds.append(("cycle", lambda: cycle(fx, m)))
            kinds.append(("overflow", lambda: field_patch(fx, m, ("bucket",))))
        if m.of_kind("extra"):
            kinds.append(("extra", lambda: field_patch(fx, m, ("extra",))))
        if m.of_kind("table"):
            kinds.append(("table", lambda: field_patch(fx, m, ("table",))))
        if m.of_kind("directory"):
            kinds.append(("directory", lambda: field_patch(fx, m, ("directory",))))
        kinds.append(("arena", lambda: into_arena(fx, m)))
        name, make = draw(st.sampled_from(kinds))
        got = draw(make())
        return got if isinstance(got, list) else [got]

    @st.composite
    def options(draw):
        detail = draw(st.booleans())
        window = None
        if detail and draw(st.booleans()):
            a = draw(st.integers(0, 40))
            window = (a, a + draw(st.integers(0, 40)))
        sort = draw(st.booleans())
        return DumpOptions(entries=draw(st.booleans()),
                           limit=draw(st.one_of(st.none(), st.integers(0, 50))),
                           detail=detail, window=window, sort=sort,
                           raw=detail and draw(st.booleans()),
                           json_bytes=not detail and not sort and draw(st.booleans()))

    limits = st.one_of(
        st.none(),
        st.builds(Limits, max_entries=st.integers(1, 1000), max_buckets=st.integers(1, 512),
                  max_chain=st.integers(1, 8), max_tables=st.integers(1, 8),
                  max_string=st.integers(1, 64), max_items=st.integers(1, 8),
                  max_depth=st.integers(1, 4), max_read=st.integers(1, 1 << 16)))

    @st.composite
    def case(draw, fx):
        m = draw(st.sampled_from(fx.maps))
        patches, what = {}, []
        for _ in range(draw(st.integers(1, 4))):
            for addr, data, text in draw(mutation(fx, m)):
                patches[addr] = data
                what.append(text)
        header = None
        if draw(st.integers(0, 9)) == 0:   # 'gomap-dump ADDR:TYPE' with a wrong ADDR
            header, how = draw(pointer(fx, m))
            what.append(f"header address {how}")
        return Case(m.name, patches, what, draw(options()), draw(limits), header)

    return case


# --- the script ---------------------------------------------------------------

def fuzz(fx, cases, budget=CASE_BUDGET, seed=None, on_case=None):
    """Run ``cases`` generated cases on ``fx`` without stopping at failures.

    Returns (run, failures [(case, outcome)], slowest (case, outcome), kinds)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    case_st = strategies()
    failures, kinds = [], {}
    state = {"run": 0, "slowest": None}

    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=seed is None)
    @given(case_st(fx))
    def one(case):
        out = run_case(fx, case, budget)
        state["run"] += 1
        kinds[out.kind] = kinds.get(out.kind, 0) + 1
        if not out.ok:
            failures.append((case, out))
        if state["slowest"] is None or out.seconds > state["slowest"][1].seconds:
            state["slowest"] = (case, out)
        if on_case:
            on_case(state["run"])

    if seed is not None:
        one = hseed(seed)(one)
    one()
    return state["run"], failures, state["slowest"], kinds


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz_decoders",
                                 description="Fuzz the classic and swiss decoders with "
                                             "corrupted real map memory.")
    ap.add_argument("--cases", type=int, default=2000, help="cases per layout (default 2000)")
    ap.add_argument("--layout", choices=sorted(BUILDS), action="append",
                    help="only this layout (repeatable; default both)")
    ap.add_argument("--seed", type=int, help="random seed (default: a fixed derandomized run)")
    ap.add_argument("--budget", type=float, default=CASE_BUDGET,
                    help=f"seconds after which a case counts as a hang (default {CASE_BUDGET})")
    ap.add_argument("--dir", default=str(DEFAULT_DIR), help="where recordings are kept")
    ap.add_argument("--show", type=int, default=3, help="failures to print in full")
    args = ap.parse_args(argv)
    harness.become_subreaper()
    total_run = total_failed = 0
    try:
        for layout in args.layout or sorted(BUILDS):
            build = BUILDS[layout]
            t0 = time.perf_counter()
            fx = load_fixture(build, args.dir)
            print(f"{build.id}: {len(fx.maps)} maps, "
                  f"{sum(len(d) for _, d in fx.memory.regions):,} bytes recorded "
                  f"({time.perf_counter() - t0:.1f} s to load)", flush=True)
            if fx.replay_mismatches:
                print(f"  replay differs from the live decode for: {fx.replay_mismatches}")
                total_failed += len(fx.replay_mismatches)

            def progress(n, t=time.perf_counter()):
                if n % 1000 == 0:
                    print(f"  {n} cases, {time.perf_counter() - t:.0f} s", flush=True)

            t0 = time.perf_counter()
            run, failures, slowest, kinds = fuzz(fx, args.cases, args.budget, args.seed,
                                                 progress)
            took = time.perf_counter() - t0
            total_run += run
            total_failed += len(failures)
            print(f"  cases run {run}, failures {len(failures)}, outcomes {kinds}, "
                  f"{took:.1f} s")
            if slowest:
                print(f"  slowest case {slowest[1].seconds:.3f} s: {slowest[0].describe()}")
            for case, out in failures[:args.show]:
                print(f"  FAILED ({out.kind}): {case.describe()}\n{out.detail}")
    finally:
        harness.kill_all()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total: cases run {total_run}, failures {total_failed}, "
          f"peak memory {peak:.0f} MB")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
