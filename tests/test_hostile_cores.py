"""Hostile files, cores and pids (issue 12, items 5 and 8): what is not a regular
file is refused before it is opened, a core that cannot be right is an error
and never a quiet wrong answer, the executable must be the core's or the
process's own, and an unprivileged user is told which permission is missing.

Every case starts from a real build of tests/progs/bigmap (main.Big holds
1000 entries, key i*7919 -> "value-i") and a real core of it (gdb's gcore and,
where the machine allows, the kernel's), broken by patching bytes of a copy.
The last test runs a short fuzz campaign over the core's structure
(tests/fuzz_cores.py runs thousands of cases as a script).
"""

import json
import os
import random
import shutil
import socket
import stat
import struct
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.binary import GoBinary
from gdb_gomap.errors import WrongExecutable
from tests import fuzz_cores as F
from tests import harness, toolchains

OTHER_VERSION = "1.25.5"     # the same program by another toolchain: another build ID
TRUTH = {i * 7919: f"value-{i}" for i in range(F.ENTRIES)}
PT_NULL = 0


def gomap(*args, timeout=60):
    return harness.gomap(*args, timeout=timeout)


def one_line(r, *words):
    """The CLI failed with status 1 and one line on stderr holding every word."""
    err = r.stderr.strip()
    assert r.returncode == 1, (r.returncode, r.stdout[-800:], r.stderr[-2000:])
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, f"{w!r} not in: {err}"
    return err


@pytest.fixture(scope="module")
def bases(request, gdb_path):
    """The base cores (gcore, and the kernel's when this machine writes one)."""
    return F.make_bases(request.config.cache.mkdir("gomap-cores"))


@pytest.fixture(scope="module")
def gcore(bases):
    return bases[0]


@pytest.fixture(scope="module")
def other():
    return toolchains.build_example(F.BIGMAP, OTHER_VERSION)


def copy_core(base, dst, patch=None, cut=None):
    """A copy of ``base``'s core with ``patch`` {offset: bytes} written and cut to ``cut``."""
    F.sparse_copy(base.core, dst)
    with open(dst, "r+b") as f:
        for off, data in (patch or {}).items():
            os.pwrite(f.fileno(), data, off)
        if cut is not None:
            f.truncate(cut)
    return dst


def segment_of(layout, addr):
    """Index of the core's PT_LOAD that holds ``addr`` in its file bytes."""
    for i, p in enumerate(layout.phdrs):
        if p[0] == F.PT_LOAD and p[3] <= addr < p[3] + p[5]:
            return i
    raise AssertionError(f"no PT_LOAD of the core holds {addr:#x}")


def big_dump(core, binary, *extra):
    r = gomap("dump", "--core", core, "--exe", binary, "main.Big", "--json", "--entries",
              *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# --- the real cores ----------------------------------------------------------------

def test_real_cores_decode_and_have_disjoint_segments(bases):
    """The base cores are sound: gcore and the kernel write disjoint PT_LOADs with
    p_filesz <= p_memsz (so refusing others refuses no real core), and gomap
    decodes main.Big from them as the program built it."""
    for base in bases:
        L = F.read_layout(base.core)
        loads = sorted((p[3], p[6], p[5]) for p in L.phdrs if p[0] == F.PT_LOAD)
        assert loads, base.name
        for (a, asz, afs), (b, _, _) in zip(loads, loads[1:]):
            assert a + asz <= b, f"{base.name}: {a:#x}+{asz:#x} overlaps {b:#x}"
        assert all(fs <= ms for _, ms, fs in loads), base.name
        assert F.error_due(base.core) is None
        snap = big_dump(base.core, base.binary)
        assert snap["count"] == F.ENTRIES and not snap["warnings"], snap["warnings"]
        assert {e["key"]: e["value"] for e in snap["entries"]} == TRUTH


# --- item 5: only regular files -----------------------------------------------------

def test_what_is_not_a_regular_file_is_refused(gcore, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    try:
        for path, kind in ((fifo, "is a FIFO"), (sock_path, "is a socket"),
                           ("/dev/zero", "is a character device"),
                           (tmp_path, "is a directory"), ("/proc/self/mem", "of the kernel"),
                           (empty, "is empty")):
            one_line(gomap("dump", "--core", path, "--exe", gcore.binary, "main.Big"),
                     f"cannot open core file {path}", kind, "not a core file")
            one_line(gomap("list", "--core", gcore.core, "--exe", path),
                     f"cannot open executable {path}", kind, "not an ELF file")
    finally:
        sock.close()


# --- item 8: a core that cannot be right is an error ----------------------------------

def test_overlapping_segments_are_an_error(gcore, tmp_path):
    """Another PT_LOAD moved over the one holding main.Big: before, the map read
    from the wrong segment (nil, or used 0); now the core is refused."""
    L = F.read_layout(gcore.core)
    var = GoBinary(gcore.binary).symbol("main.Big")
    i = segment_of(L, var)
    start = L.phdrs[i][3]
    # the largest other segment, moved to start where i starts and made shorter
    # than i (but still over the variable), so that it sorts first
    j = max((k for k in L.of_type(F.PT_LOAD) if k != i), key=lambda k: L.phdrs[k][5])
    size = var + 8 - start
    assert size < L.phdrs[i][6] and size <= L.phdrs[j][5]
    core = copy_core(gcore, tmp_path / "overlap.core",
                     {L.ph_at(j) + 16: struct.pack("<Q", start),
                      L.ph_at(j) + 32: struct.pack("<QQ", size, size)})
    assert F.error_due(core) == "overlap"
    line = one_line(gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
                    "is corrupt", "PT_LOAD segments", "overlap",
                    f"{start:#x}-{start + size:#x}", f"{start:#x}-{start + L.phdrs[i][6]:#x}")
    assert str(core) in line
    one_line(gomap("list", "--core", core, "--exe", gcore.binary), "overlap")
    # the same header twice
    dup = copy_core(gcore, tmp_path / "dup.core",
                    {L.ph_at(j): struct.pack("<IIQQQQQQ", *L.phdrs[i])})
    one_line(gomap("dump", "--core", dup, "--exe", gcore.binary, "main.Big"), "overlap")
    # more file bytes than memory
    big = copy_core(gcore, tmp_path / "filesz.core",
                    {L.ph_at(i) + 32: struct.pack("<Q", L.phdrs[i][6] + 0x1000)})
    one_line(gomap("dump", "--core", big, "--exe", gcore.binary, "main.Big"),
             "is corrupt", "more file bytes", f"{L.phdrs[i][3]:#x}")


def test_core_of_another_class_byte_order_or_machine(gcore, tmp_path):
    """e_ident and e_machine patched: before, decoded as if nothing were wrong."""
    for name, patch, words in (
            ("elf32", {4: b"\x01"}, ["ELF32 little-endian", "ELF64 little-endian x86-64"]),
            ("bigendian", {5: b"\x02"}, ["ELF64 big-endian"]),
            ("arm64", {18: struct.pack("<H", F.EM_AARCH64)}, ["arm64 (EM_AARCH64)"])):
        core = copy_core(gcore, tmp_path / f"{name}.core", patch)
        one_line(gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
                 *words, "must agree on class, byte order and machine", str(gcore.binary))


def test_writable_data_is_not_taken_from_the_executable(gcore, tmp_path):
    """The PT_LOAD holding main.Big's variable blanked out (PT_NULL): before, the
    variable was read from the executable's .bss, nil, and the dump said
    'nil map' of a map of 1000 entries; now the read fails and says why."""
    L = F.read_layout(gcore.core)
    var = GoBinary(gcore.binary).symbol("main.Big")
    i = segment_of(L, var)
    core = copy_core(gcore, tmp_path / "nodata.core",
                     {L.ph_at(i): struct.pack("<I", PT_NULL)})
    one_line(gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
             f"{var:#x}", "not in the core file", "initial value")


def test_truncated_core_says_truncated(gcore, tmp_path):
    """Cut just before main.Big's header: the error says the core is truncated,
    not that the address is unmapped."""
    snap = big_dump(gcore.core, gcore.binary)
    header = int(snap["address"], 16)
    L = F.read_layout(gcore.core)
    p = L.phdrs[segment_of(L, header)]
    cut = p[2] + header - p[3]
    core = copy_core(gcore, tmp_path / "cut.core", cut=cut)
    line = one_line(gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"),
                    f"at {snap['address']}", "the core file is truncated",
                    "give the whole core file")
    assert "not mapped" not in line
    r = gomap("list", "--core", core, "--exe", gcore.binary)
    assert "is truncated" in r.stdout + r.stderr and "Traceback" not in r.stderr


def test_impossible_headers(gcore, tmp_path):
    L = F.read_layout(gcore.core)
    for name, patch, cut, words in (
            ("xnum", {56: struct.pack("<H", 0xffff)}, None, ["e_phnum", "section header 0"]),
            ("phoff", {32: struct.pack("<Q", L.size - 8)}, None,
             ["truncated or corrupt", "program headers"]),
            ("phentsize", {54: struct.pack("<H", 32)}, None, ["32 bytes each", "56"]),
            ("nophdrs", {56: struct.pack("<H", 0)}, None, ["no program headers"]),
            ("header", {}, 40, ["truncated", "ELF header"]),
            ("phdrs", {}, L.phoff + L.phentsize * 3 + 7, ["truncated", "program headers"])):
        core = copy_core(gcore, tmp_path / f"{name}.core", patch, cut)
        one_line(gomap("dump", "--core", core, "--exe", gcore.binary, "main.Big"), *words)


# --- item 8: the executable must be the core's or the process's ---------------------

def test_core_with_another_executable_is_an_error(gcore, other):
    """bigmap built by another Go: before, a warning in front of a snapshot, and
    `gomap dump` only said 'cannot read 48 bytes'; now the build IDs are an
    error naming both, and --force-exe decodes anyway with the warning."""
    theirs, ours = (GoBinary(p).build_id() for p in (gcore.binary, other))
    assert theirs != ours
    for cmd in (["dump", "main.Big"], ["list"], ["report"], ["census"]):
        one_line(gomap(cmd[0], "--core", gcore.core, "--exe", other, *cmd[1:]),
                 "build IDs differ", theirs, ours, str(other), str(gcore.core),
                 "--force-exe")
    r = gomap("list", "--core", gcore.core, "--exe", other, "--force-exe")
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert "build IDs differ" in r.stdout + r.stderr


def test_gdb_with_another_executable_is_an_error(gcore, other, gdb_path):
    """In gdb too: the core (or the process) with another build's executable loaded.
    Before, 'cannot read 48 bytes at 0x104'; now every gomap command names both build
    IDs and says to load the right executable.  The right one decodes."""
    theirs, ours = (GoBinary(p).build_id() for p in (gcore.binary, other))
    cmds = ["gomap dump main.Big", "gomap list", "gomap census", "gomap snap s main.Big"]
    r = harness.gdb_batch([other, gcore.core], cmds)
    errs = [line for line in r.stderr.splitlines() if line.startswith("gomap:")]
    assert len(errs) == len(cmds), r.stderr
    for line in errs:
        assert "build IDs differ" in line and theirs in line and ours in line, line
        assert "'file BINARY'" in line and "cannot read" not in line, line
    r = harness.gdb_batch([gcore.binary, gcore.core], ["gomap dump main.Big --json"])
    assert json.loads(r.stdout.strip().splitlines()[-1])["count"] == F.ENTRIES, r.stderr
    with harness.start_example(gcore.binary, args=[F.ENTRIES]) as ex:
        r = harness.gdb_batch(["-p", ex.pid], [f"file {other}", "gomap dump main.Big"])
        line = next(l for l in r.stderr.splitlines() if l.startswith("gomap:"))
        assert f"process {ex.pid} runs" in line and f"not {other}" in line, line
        assert f"load the executable of process {ex.pid} with 'file BINARY'" in line, line
        assert ex.alive()


def test_pid_with_another_executable_is_an_error(gcore, other, tmp_path):
    binary = gcore.binary
    same = tmp_path / "copy-of-bigmap"     # another file, the same build
    shutil.copyfile(binary, same)
    with harness.start_example(binary, args=[F.ENTRIES]) as ex:
        for cmd in (["dump", "main.Big"], ["list"], ["report"], ["census"]):
            one_line(gomap(cmd[0], "--pid", ex.pid, "--exe", other, *cmd[1:]),
                     f"process {ex.pid} runs {binary}", f"not {other}", "build ID",
                     "--force-exe")
        for exe in (binary, same):
            r = gomap("dump", "--pid", ex.pid, "--exe", exe, "main.Big", "--json")
            assert r.returncode == 0 and json.loads(r.stdout)["count"] == F.ENTRIES, r.stderr
        r = gomap("dump", "--pid", ex.pid, "--exe", other, "--force-exe", "main.Big", "--json")
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        # the check from the process's memory, for when /proc/PID/exe is unreadable
        with StoppedProcess(ex.pid) as proc:
            proc.check_executable_in_memory(GoBinary(binary))
            with pytest.raises(WrongExecutable, match="does not run"):
                proc.check_executable_in_memory(GoBinary(other))
        assert ex.alive()


def _world_readable_python(d):
    """Copies of the packages the CLI imports outside the checkout, in ``d``, for
    a user who cannot enter root's home: PYTHONPATH for such a run."""
    site = Path(sysconfig.get_path("purelib"))
    for pkg in ("elftools", "pygments"):
        shutil.copytree(site / pkg, d / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for p in [d, *d.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if p.is_dir() else 0))
    return f"{d}{os.pathsep}{harness.REPO}"


def test_unprivileged_user_is_told_what_permission_is_missing(gcore):
    """gomap run as nobody against root's Go process: before, 'process N is gone:
    Permission denied'; now it says gomap is not permitted, why (the uids) and what
    the user must be (backends.process.why_denied)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run gomap as another user")
    python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    d = Path(tempfile.mkdtemp(prefix="gomap-nobody-"))
    try:
        d.chmod(0o755)
        env = dict(os.environ, PYTHONPATH=_world_readable_python(d), HOME=str(d),
                   PYTHONDONTWRITEBYTECODE="1")
        exe = d / "bigmap"
        shutil.copyfile(gcore.binary, exe)
        exe.chmod(0o755)
        as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python,
                     "-m", "gdb_gomap.cli.main"]
        probe = subprocess.run(as_nobody + ["--help"], capture_output=True, text=True,
                               env=env, cwd=d, timeout=60)
        if probe.returncode != 0:
            pytest.skip(f"cannot run gomap as nobody here: {probe.stderr.strip()[-300:]}")
        with harness.start_example(exe, args=[F.ENTRIES]) as ex:
            def run(*args):
                return subprocess.run(as_nobody + list(map(str, args)), capture_output=True,
                                       text=True, env=env, cwd=d, timeout=60,
                                       stdin=subprocess.DEVNULL)
            why = "it runs as uid 0 and gomap as uid 65534"
            line = one_line(run("dump", "--pid", ex.pid, "main.Big"),
                            f"gomap is not permitted to read /proc/{ex.pid}/exe", why,
                            "process's user or as root")
            assert "is gone" not in line
            line = one_line(run("list", "--pid", ex.pid, "--exe", exe),
                            f"process {ex.pid} runs, but gomap is not permitted", why,
                            "process's user or as root")
            assert "is gone" not in line
            assert ex.alive()
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- fuzz ----------------------------------------------------------------------------

CASES = 40    # `python -m tests.fuzz_cores --cases 10000` runs many more


def test_fuzzed_core_structure(bases):
    """Broken headers, segments, notes and lengths never crash, hang or bloat gomap,
    and a core with an impossible structure is never decoded."""
    seed = random.randrange(1 << 30)
    report = F.campaign(bases, CASES, seed=seed, jobs=2, fork=False)   # pytest is large
    assert report.cases == CASES
    assert not report.failures, (f"{report.summary()}\nagain with: python -m "
                                 f"tests.fuzz_cores --seed {seed} --cases {CASES}")


# --- the census's mapped reads ----------------------------------------------------------

def _view_or_error(fn, addr, n):
    try:
        buf, at = fn(addr, n)
        return bytes(buf[at:at + n])
    except Exception as exc:            # noqa: BLE001 - compared by type and text
        return (type(exc).__name__, str(exc))


def test_mapped_view_reads_what_pread_reads(gcore, tmp_path):
    """CoreFile.mapped_view (the census scans a core's objects in a mapping of the
    file) gives the bytes CoreFile.read gives, on the real core and on one cut in
    the middle of a segment: inside segments, across their ends, past the cut,
    outside every segment (there, the same error), before and after trim()."""
    from gdb_gomap.backends.core_file import CoreFile
    L = F.read_layout(gcore.core)
    loads = sorted((p[3], p[5]) for p in L.phdrs if p[0] == F.PT_LOAD and p[5])
    rng = random.Random(7)
    mid = max((p for p in L.phdrs if p[0] == F.PT_LOAD), key=lambda p: p[5])  # the largest
    cut_core = copy_core(gcore, tmp_path / "cut.core", cut=mid[2] + mid[5] // 2)
    for path in (gcore.core, cut_core):
        with CoreFile(str(path), GoBinary(str(gcore.binary))) as core:
            view = core.mapped_view(core)
            mapped = errors = 0
            for rnd in range(2):
                for vaddr, fsz in loads:
                    for addr, n in ((vaddr, 8), (vaddr + fsz - 8, 8), (vaddr + fsz - 4, 8),
                                    (vaddr + rng.randrange(fsz), rng.randrange(1, 4096)),
                                    (vaddr - 16, 8)):
                        want = _view_or_error(core.view, addr, n)
                        assert _view_or_error(view.view, addr, n) == want, (path, hex(addr), n)
                        errors += isinstance(want, tuple)
                        try:
                            mapped += view.view(addr, n)[0] is view.mapping
                        except Exception:       # noqa: BLE001 - counted above
                            pass
                view.trim()
            assert mapped > len(loads) and errors, (path, mapped, errors)
