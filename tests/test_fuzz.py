"""Corrupt memory never hangs or crashes a decode (issue 8).

Real map memory of examples/mapstates (one classic and one swiss build) is
recorded from the live program once and kept in pytest's cache directory;
hypothesis then corrupts it in a few hundred ways (see tests/fuzz_decoders.py,
which also runs tens of thousands of cases as a script) and every decode must
end, within its time budget, with a snapshot or a GomapError.
"""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdb_gomap.decoding import DumpOptions
from gdb_gomap.errors import GomapError, UnreadableMemory
from gdb_gomap.limits import Limits
from gdb_gomap.values import go_quote as _quote
from gdb_gomap.replay import RecordingMemory, ReplayMemory, load, merge_regions
from tests import fuzz_decoders as F

CASES = 300   # per layout; `python -m tests.fuzz_decoders --cases 20000` runs many more


@pytest.fixture(scope="module", params=sorted(F.BUILDS))
def fx(request):
    """The recording of every mapstates map for one build (captured on first use)."""
    return F.load_fixture(F.BUILDS[request.param], request.config.cache.mkdir("gomap-replay"))


def _map(fx, name):
    return next(m for m in fx.maps if m.name == name)


def _dump(fx, name, patches=None, opts=None, limits=None):
    m = _map(fx, name)
    fx.target.memory = fx.memory.patched(patches or {})
    try:
        return fx.target.dump(m.map_type, m.addr, opts or DumpOptions(), limits)
    finally:
        fx.target.memory = fx.memory


def _field(m, kind, name):
    """(address, size) of a field of the map's first structure of ``kind``."""
    s = m.of_kind(kind)[0]
    off, size, _ = s.fields[name]
    return s.addr + off, size


# --- the recording itself ------------------------------------------------------------

def test_recording_and_replay(tmp_path):
    class Flat:          # a backend with two mapped ranges
        def read(self, addr, size):
            for base, data in ((0x1000, bytes(range(256)) * 4), (0x9000, b"\xaa" * 64)):
                if base <= addr and addr + size <= base + len(data):
                    return data[addr - base:addr - base + size]
            raise UnreadableMemory(addr, size)

    rec = RecordingMemory(Flat())
    assert rec.read(0x1010, 16) == bytes(range(16, 32))
    rec.read(0x1018, 32)            # overlaps the first read: merged into one region
    rec.read(0x1038, 8)             # touches it: merged too
    rec.read(0x9000, 4)
    with pytest.raises(UnreadableMemory):
        rec.read(0x5000, 1)         # failures are not recorded
    assert [(a, len(d)) for a, d in rec.regions()] == [(0x1010, 48), (0x9000, 4)]
    path = tmp_path / "rec.json.gz"
    rec.save(path, {"what": "test"})
    mem, meta = load(path)
    assert meta == {"what": "test"}
    assert mem.read(0x1020, 8) == bytes(range(32, 40))
    for addr, size in ((0x1000, 8), (0x1030, 32), (0x9002, 4), (0x5000, 1)):
        with pytest.raises(UnreadableMemory):
            mem.read(addr, size)
    patched = mem.patched({0x101e: b"\xff\xfe\xfd"})
    assert patched.read(0x101c, 6) == bytes([28, 29, 0xff, 0xfe, 0xfd, 33])
    assert mem.read(0x101c, 6) == bytes(range(28, 34)), "a patch changed the recording"
    assert merge_regions([(10, b"ab"), (5, b"xxxxxxxxxx")]) == [(5, b"xxxxxxxxxx")]
    with pytest.raises(GomapError):
        load(tmp_path / "nothing-here")


def test_replay_decodes_like_the_live_process(fx):
    """Every map decodes from the recording exactly as it did from the process."""
    assert len(fx.maps) >= 25
    assert not fx.replay_mismatches


# --- fuzzing -------------------------------------------------------------------------

def test_corrupt_memory_ends_with_a_snapshot_or_our_error(fx):
    case_st = F.strategies()

    @settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(st.data())
    def one(data):
        case = data.draw(case_st(fx))
        out = F.run_case(fx, case)
        assert out.ok, f"{out.kind} after {out.seconds:.1f} s: {case.describe()}\n{out.detail}"

    one()


def test_the_watchdog_catches_a_hang(fx, monkeypatch):
    """A decode that never ends is reported as a hang, not waited for."""
    def forever(*a, **k):
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(fx.target, "dump", forever)
    case = F.Case(fx.maps[0].name, {}, ["nothing"], DumpOptions())
    out = F.run_case(fx, case, budget=0.3)
    assert not out.ok and out.kind == "hang"


def test_bounds_hold_on_a_garbage_array(fx):
    """Buckets or groups sent into 1 MiB of garbage: entries kept stay within
    max_entries, and repeated warnings are said once with a count."""
    m = _map(fx, "main.GLarge")
    h = m.of_kind("header")[0]
    patches = {}
    if m.layout.kind == "classic":
        for name, v in (("buckets", F.ARENA_ADDR), ("B", 12), ("oldbuckets", 0)):
            off, size, _ = h.fields[name]
            patches[h.addr + off] = v.to_bytes(size, "little")
    else:
        # The largest table the runtime makes (1024 slots), over the garbage.
        t = m.of_kind("table")[0]
        for name, v in (("groups.data", F.ARENA_ADDR), ("groups.lengthMask", 127),
                        ("capacity", 1024)):
            off, size, _ = t.fields[name]
            patches[t.addr + off] = v.to_bytes(size, "little")
    lim = Limits(max_entries=1000)
    snap = _dump(fx, "main.GLarge", patches, DumpOptions(entries=True), lim)
    assert len(snap.entries) == 1000 and not snap.entries_complete
    many = 5000 if m.layout.kind == "classic" else 1000
    assert snap.stats["live"] > many, "the garbage cells are still counted"
    assert any("max_entries" in w for w in snap.warnings)
    assert len(snap.warnings) <= F.MAX_WARNINGS, snap.warnings
    detail = _dump(fx, "main.GLarge", patches, DumpOptions(detail=True), lim)
    assert len(detail.entries) == 1000
    if m.layout.kind == "classic":   # the garbage overflow pointers: one line with a count
        assert any(w.startswith("... and") and "overflow buckets unreadable" in w
                   for w in snap.warnings), snap.warnings


def test_implausible_table_is_not_walked(fx):
    """A swiss table bigger than any the runtime makes (8192 slots, 1024 groups) over
    garbage is named in a warning and not walked: its garbage is not counted."""
    m = _map(fx, "main.GLarge")
    if m.layout.kind != "swiss":
        pytest.skip("swiss tables only")
    t = m.of_kind("table")[0]
    patches = {}
    for name, v in (("groups.data", F.ARENA_ADDR), ("groups.lengthMask", 1023),
                    ("capacity", 8192)):
        off, size, _ = t.fields[name]
        patches[t.addr + off] = v.to_bytes(size, "little")
    good = _dump(fx, "main.GLarge", {}, DumpOptions(entries=False), Limits())
    snap = _dump(fx, "main.GLarge", patches, DumpOptions(entries=False), Limits())
    assert any(f"table {t.addr:#x}: capacity 8192 is not a power of two from 8 to 1024"
               in w for w in snap.warnings), snap.warnings
    assert len(snap.tables) == len(good.tables) - 1
    assert snap.stats["live"] < good.stats["live"]


# --- writes and growth caught half done ----------------------------------------------

MID_WRITE_MAPS = ["main.GInt", "main.GLarge", "main.GSmall", "main.GGrowing",
                  "main.GSameSize", "main.GDir", "main.GStr"]


@pytest.mark.parametrize("name", MID_WRITE_MAPS)
def test_a_write_in_progress_is_a_warning(fx, name):
    """hashWriting (classic) or writing (swiss) set: decoded as usual, with a warning."""
    m = _map(fx, name)
    clean = _dump(fx, name, opts=DumpOptions(detail=True))
    if m.layout.kind == "classic":
        addr, _ = _field(m, "header", "flags")
        patch = {addr: bytes([fx.memory.read(addr, 1)[0] | 4])}
    else:
        addr, size = _field(m, "header", "writing")
        patch = {addr: (1).to_bytes(size, "little")}
    snap = _dump(fx, name, patch, DumpOptions(detail=True))
    assert any("in the middle of a write" in w for w in snap.warnings), snap.warnings
    assert snap.entries == clean.entries
    assert snap.count == clean.count
    if name == "main.GGrowing" and m.layout.kind == "classic":
        # caught growing and writing: the growth is still decoded from both arrays
        assert snap.growth == clean.growth and snap.growth["kind"] == "doubling"
        assert snap.growth["evacuated"] < snap.growth["old_buckets"]


def test_a_growing_map_is_decoded(fx):
    """A classic map in the middle of a doubling, or a swiss map split over several
    tables, decodes whole: every entry, no MISMATCH."""
    name = "main.GGrowing" if fx.layout == "classic" else "main.GDir"
    snap = _dump(fx, name)
    assert len(snap.entries) == snap.count
    assert not [w for w in snap.warnings if w.startswith("MISMATCH")]
    if fx.layout == "classic":
        assert snap.growth and snap.stats["old_buckets"]
    else:
        assert len(snap.tables) > 1


# --- text of garbage strings ------------------------------------------------------------

def _quote_reference(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.binary(max_size=64))
def test_string_quoting(raw):
    """The text view's Go quoting (now str.translate: garbage strings of 4 KiB each
    made it the slowest part of a corrupt decode) spells every byte as before."""
    s = raw.decode("utf-8", "surrogateescape")
    assert _quote(s) == _quote_reference(s)
