"""Fuzzing the structure of core files (issue 12).

A real core of tests/progs/bigmap (a map of 1000 entries) is made once per
build: with gdb's ``gcore``, and with the kernel (``GOTRACEBACK=crash`` and
SIGQUIT) when this machine lets cores land in the process's directory.  The
gcore is stored sparse (gdb writes the Go heap's reserved gigabyte as zeros),
so a copy costs a megabyte or two.  Each case copies a base core, breaks its
ELF header, program headers, notes or length in one to three ways, and runs
``gomap dump`` and ``gomap list`` on it, each in its own process with a
``CASE_BUDGET`` second hang guard and an address-space cap.

What is broken: e_ident (class, byte order), e_type, e_machine, e_phoff,
e_phnum (also PN_XNUM), e_phentsize, the section header fields; in a program
header p_type, p_offset, p_vaddr, p_filesz, p_memsz, p_flags; two PT_LOAD
segments made to overlap, headers swapped or duplicated, bytes of the PT_NOTE
data (namesz, descsz, garbage), random bit flips in the first pages, and the
file cut at a random point (in the header, the program headers, the notes or
the data).

A command passes when it ends within the budget with status 0 (a decode,
warnings allowed) or 1 with exactly one line on stderr.  A failure is: any
other status or a traceback ("crash"), a command still running after the
budget twice in a row ("hang"), a peak RSS over ``RSS_LIMIT`` ("memory"), an
error over several lines ("messy"), and status 0 where an error is due
("silent"): the broken core has overlapping PT_LOADs, a PT_LOAD with more
file bytes than memory, or a class, byte order or machine that is not the
executable's, as this module's own reading of the headers says.

    python -m tests.fuzz_cores --cases 10000 --jobs 2
    python -m tests.fuzz_cores --cases 200 --seed 7 --keep /tmp/bad-cores
"""

import argparse
import errno
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import harness, toolchains

BIGMAP = harness.REPO / "tests" / "progs" / "bigmap"
GO_VERSION = "1.26.6"
ENTRIES = 1000
CASE_BUDGET = 5.0                   # seconds a command may take; more is a hang
RSS_LIMIT = 300 << 20               # peak resident bytes a command may reach
AS_CAP = 3 << 30                    # address-space cap, so that a runaway cannot swap
DEFAULT_DIR = harness.REPO / ".pytest_cache" / "d" / "gomap-cores"
EM_X86_64, EM_AARCH64, EM_386 = 62, 183, 3
PT_LOAD, PT_NOTE = 1, 4


# --- base cores --------------------------------------------------------------------

def sparse_copy(src, dst, dig=False):
    """Copy ``src`` to ``dst`` keeping holes; with ``dig``, zero blocks become holes too."""
    block = 1 << 16
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        size = os.fstat(fi.fileno()).st_size
        for start, length in _extents(fi.fileno(), size):
            pos, end = start, start + length
            while pos < end:
                data = os.pread(fi.fileno(), min(1 << 20, end - pos), pos)
                if not data:
                    break
                if not dig:
                    os.pwrite(fo.fileno(), data, pos)
                elif data.count(0) != len(data):
                    for b in range(0, len(data), block):
                        part = data[b:b + block]
                        if part.count(0) != len(part):
                            os.pwrite(fo.fileno(), part, pos + b)
                pos += len(data)
        os.ftruncate(fo.fileno(), size)


def _extents(fd, size):
    """(offset, length) of the data of a file (the whole file if holes are not known)."""
    out, pos = [], 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:      # only a hole is left
                break
            return [(0, size)]                # this file system does not say
        end = os.lseek(fd, start, os.SEEK_HOLE)
        out.append((start, end - start))
        pos = end
    return out


@dataclass
class Base:
    name: str          # "gcore" or "kernel"
    core: Path
    binary: Path


def make_bases(dest_dir=DEFAULT_DIR, kernel=True):
    """The base cores of bigmap for the fuzz (made once, kept in ``dest_dir``)."""
    binary = toolchains.build_example(BIGMAP, GO_VERSION)
    d = Path(dest_dir) / binary.parent.name
    d.mkdir(parents=True, exist_ok=True)
    bases = []
    gc = d / "gcore.core"
    if not gc.exists():
        with tempfile.TemporaryDirectory(prefix="gomap-gcore-") as tmp:
            raw = Path(tmp) / "raw.core"
            with harness.start_example(binary, args=[ENTRIES]) as ex:
                harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {raw}"], timeout=300)
            sparse_copy(raw, d / "gcore.tmp", dig=True)
        (d / "gcore.tmp").rename(gc)
    bases.append(Base("gcore", gc, binary))
    kc = d / "kernel.core"
    if kernel and not kc.exists():
        made = kernel_core(binary, d)
        if made:
            made.rename(kc)
    if kernel and kc.exists():
        bases.append(Base("kernel", kc, binary))
    return bases


def kernel_core(binary, dest_dir):
    """A core the kernel writes for bigmap (SIGQUIT with GOTRACEBACK=crash), or None
    when the core_pattern sends it elsewhere or the kernel writes none."""
    if harness.kernel_core_pattern_problem():
        return None
    run = Path(tempfile.mkdtemp(prefix="gomap-kcore-", dir=dest_dir))
    try:
        core, _, _ = harness.kernel_core([binary, run / "truth.json", ENTRIES], run)
        if core is None:
            return None
        found = dest_dir / "kernel.tmp"
        sparse_copy(core, found)
        return found
    finally:
        shutil.rmtree(run, ignore_errors=True)


# --- the headers, read independently of gomap -------------------------------------

@dataclass
class Layout:
    """Where the fields of a 64-bit little-endian core are, and what they hold."""
    size: int
    phoff: int
    phentsize: int
    phnum: int
    phdrs: list                       # (type, flags, offset, vaddr, paddr, filesz, memsz, align)

    def ph_at(self, i):
        return self.phoff + i * self.phentsize

    def of_type(self, t):
        return [i for i, p in enumerate(self.phdrs) if p[0] == t]


def read_layout(path):
    with open(path, "rb") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        raw = f.read(phentsize * phnum)
        size = os.fstat(f.fileno()).st_size
    return Layout(size, phoff, phentsize, phnum, list(struct.iter_unpack("<IIQQQQQQ", raw)))


def error_due(path):
    """Why gomap must refuse the core at ``path`` (its own headers say so), or None."""
    with open(path, "rb") as f:
        head = f.read(64)
        size = os.fstat(f.fileno()).st_size
        if len(head) < 64 or head[:4] != b"\x7fELF":
            return None                     # not ELF at all: any one-line error will do
        if head[4] != 2 or head[5] != 1:
            return "class or byte order"
        e_type, machine = struct.unpack_from("<HH", head, 16)
        if e_type == 4 and machine != EM_X86_64:
            return "machine"
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        if e_type != 4 or phentsize != 56 or phnum in (0, 0xffff) \
                or phoff + 56 * phnum > size:
            return None
        f.seek(phoff)
        loads = []
        for p in struct.iter_unpack("<IIQQQQQQ", f.read(56 * phnum)):
            if p[0] == PT_LOAD:
                if p[5] > p[6]:
                    return "filesz > memsz"
                if p[6]:
                    loads.append((p[3], p[6]))
    loads.sort()
    for (a, asz), (b, _) in zip(loads, loads[1:]):
        if a + asz > b:
            return "overlap"
    return None


# --- mutations --------------------------------------------------------------------

HEADER_FIELDS = {   # name: (offset, struct format)
    "EI_CLASS": (4, "B"), "EI_DATA": (5, "B"), "EI_VERSION": (6, "B"),
    "e_type": (16, "<H"), "e_machine": (18, "<H"), "e_phoff": (32, "<Q"),
    "e_shoff": (40, "<Q"), "e_ehsize": (52, "<H"), "e_phentsize": (54, "<H"),
    "e_phnum": (56, "<H"), "e_shentsize": (58, "<H"), "e_shnum": (60, "<H"),
    "e_shstrndx": (62, "<H"),
}
PH_FIELDS = {"p_type": (0, "<I"), "p_flags": (4, "<I"), "p_offset": (8, "<Q"),
             "p_vaddr": (16, "<Q"), "p_filesz": (32, "<Q"), "p_memsz": (40, "<Q"),
             "p_align": (48, "<Q")}


class Case:
    """The changes made to one copy: writes at offsets, and a length to cut to."""

    def __init__(self, base, layout, rnd):
        self.base, self.L, self.rnd = base, layout, rnd
        self.writes = []              # (offset, bytes), applied in order
        self.cut = None
        self.what = []

    def put(self, off, fmt, value):
        bits = 8 * struct.calcsize(fmt)
        self.writes.append((off, struct.pack(fmt, value % (1 << bits))))

    def number(self, fmt, current):
        """An interesting value for a field of format ``fmt`` now holding ``current``."""
        r, bits = self.rnd, 8 * struct.calcsize(fmt)
        top = (1 << bits) - 1
        size = self.L.size
        return r.choice([
            0, 1, 2, 3, 7, 0x38, 0x40, top, top - 1, top >> 1, (top >> 1) + 1,
            current + 1, current - 1, current * 2, current + 0x1000, current ^ (1 << r.randrange(bits)),
            size, size - 1, size - r.randrange(1, 4096), size + 1, r.getrandbits(bits),
            r.randrange(0, max(1, min(top, size * 2))), 0xffff, 0x10000, 0x7fffffff,
        ])

    def header_field(self):
        name = self.rnd.choice(list(HEADER_FIELDS))
        off, fmt = HEADER_FIELDS[name]
        with open(self.base.core, "rb") as f:
            cur, = struct.unpack(fmt, os.pread(f.fileno(), struct.calcsize(fmt), off))
        special = {"EI_CLASS": [0, 1, 3], "EI_DATA": [0, 2, 3],
                   "e_machine": [EM_AARCH64, EM_386, 0],
                   "e_type": [1, 2, 3, 0xfe00], "e_phnum": [0, 1, 0xffff, 0xfffe]}
        if name in special and self.rnd.random() < 0.6:
            value = self.rnd.choice(special[name])
        else:
            value = self.number(fmt, cur)
        self.put(off, fmt, value)
        self.what.append(f"{name}={value % (1 << 8 * struct.calcsize(fmt)):#x}")

    def pick_ph(self):
        loads, notes = self.L.of_type(PT_LOAD), self.L.of_type(PT_NOTE)
        r = self.rnd.random()
        if r < 0.2 and notes:
            return self.rnd.choice(notes)
        if r < 0.9 and loads:
            return self.rnd.choice(loads)
        return self.rnd.randrange(self.L.phnum)

    def ph_field(self):
        i = self.pick_ph()
        name = self.rnd.choice(list(PH_FIELDS))
        off, fmt = PH_FIELDS[name]
        cur = self.L.phdrs[i][{"p_type": 0, "p_flags": 1, "p_offset": 2, "p_vaddr": 3,
                               "p_filesz": 5, "p_memsz": 6, "p_align": 7}[name]]
        if name == "p_type" and self.rnd.random() < 0.6:
            value = self.rnd.choice([0, PT_LOAD, PT_NOTE, 6, 0x6474e551])
        else:
            value = self.number(fmt, cur)
        self.put(self.L.ph_at(i) + off, fmt, value)
        self.what.append(f"ph[{i}].{name}={value % (1 << 8 * struct.calcsize(fmt)):#x}")

    def overlap(self):
        loads = self.L.of_type(PT_LOAD)
        a, b = self.rnd.sample(loads, 2)
        va, ma = self.L.phdrs[a][3], self.L.phdrs[a][6]
        how = self.rnd.choice(["inside", "before", "same", "copy"])
        if how == "copy":      # b becomes a second header for a's memory
            data = struct.pack("<IIQQQQQQ", *self.L.phdrs[a])
            self.writes.append((self.L.ph_at(b), data))
        else:
            start = {"inside": va + self.rnd.randrange(max(1, ma)),
                     "before": va - self.rnd.randrange(1, 1 << 16),
                     "same": va}[how]
            self.put(self.L.ph_at(b) + 16, "<Q", start)
        self.what.append(f"overlap ph[{b}] {how} ph[{a}]")

    def swap(self):
        i, j = self.rnd.sample(range(self.L.phnum), 2)
        pi = struct.pack("<IIQQQQQQ", *self.L.phdrs[i])
        pj = struct.pack("<IIQQQQQQ", *self.L.phdrs[j])
        self.writes += [(self.L.ph_at(i), pj), (self.L.ph_at(j), pi)]
        self.what.append(f"swap ph[{i}] ph[{j}]")

    def note(self):
        notes = self.L.of_type(PT_NOTE)
        if not notes:
            return self.bitflip()
        p = self.L.phdrs[notes[0]]
        start, length = p[2], max(12, p[5])
        at = start + 4 * self.rnd.randrange(max(1, length // 4))
        kind = self.rnd.choice(["namesz", "descsz", "garbage"])
        if kind == "garbage":
            n = self.rnd.randrange(1, 256)
            self.writes.append((at, self.rnd.randbytes(n)))
        else:
            self.put(at if kind == "namesz" else at + 4, "<I",
                     self.rnd.choice([0xffffffff, 0x7fffffff, 1 << 20, 3, length]))
        self.what.append(f"note {kind} at {at:#x}")

    def bitflip(self):
        end = min(self.L.size, self.L.phoff + self.L.phentsize * self.L.phnum + 4096)
        n = self.rnd.randrange(1, 9)
        for _ in range(n):
            at = self.rnd.randrange(0, end)
            with open(self.base.core, "rb") as f:
                byte = os.pread(f.fileno(), 1, at)[0]
            self.writes.append((at, bytes([byte ^ (1 << self.rnd.randrange(8))])))
        self.what.append(f"{n} bit flips below {end:#x}")

    def truncate(self):
        L = self.L
        ph_end = L.phoff + L.phentsize * L.phnum
        notes = [L.phdrs[i] for i in L.of_type(PT_NOTE)]
        where = self.rnd.choice(["header", "phdrs", "notes", "data", "end"])
        if where == "header":
            at = self.rnd.randrange(0, 64)
        elif where == "phdrs":
            at = self.rnd.randrange(L.phoff, max(L.phoff + 1, ph_end))
        elif where == "notes" and notes:
            at = notes[0][2] + self.rnd.randrange(max(1, notes[0][5]))
        elif where == "end":
            at = L.size - self.rnd.randrange(1, 1 << 16)
        else:
            at = self.rnd.randrange(ph_end, L.size)
        self.cut = max(0, at)
        self.what.append(f"cut at {self.cut:#x} ({where})")

    MUTATORS = (("header_field", 3), ("ph_field", 6), ("overlap", 2), ("swap", 1),
                ("note", 1), ("bitflip", 2), ("truncate", 2))

    def mutate(self):
        names = [n for n, _ in self.MUTATORS]
        weights = [w for _, w in self.MUTATORS]
        for _ in range(self.rnd.choice([1, 1, 1, 2, 2, 3])):
            getattr(self, self.rnd.choices(names, weights)[0])()

    def write(self, dst):
        sparse_copy(self.base.core, dst)
        with open(dst, "r+b") as f:
            for off, data in self.writes:
                if off < self.L.size:
                    os.pwrite(f.fileno(), data[:self.L.size - off], off)
            if self.cut is not None:
                f.truncate(self.cut)


# --- running gomap ----------------------------------------------------------------

@dataclass
class Run:
    cmd: str
    rc: int            # None when killed after the budget
    seconds: float
    rss: int           # peak resident bytes
    stderr: str


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (AS_CAP, AS_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def preload():
    """Import the CLI and the core modules once, for forked runs."""
    import importlib
    import pkgutil
    import gdb_gomap
    for info in pkgutil.walk_packages(gdb_gomap.__path__, "gdb_gomap."):
        if not info.name.startswith(("gdb_gomap.gdb", "gdb_gomap.study")):
            try:
                importlib.import_module(info.name)
            except Exception:     # a module another change breaks: the child will say
                pass
    importlib.import_module("gdb_gomap.cli.main")


_POPENS = {}    # pid -> Popen of the runs started with fork=False, until reaped


def _start(args, err, fork):
    """Start one gomap CLI run with stderr into ``err``; its pid."""
    argv = [str(a) for a in args]
    if not fork:   # its peak is the launcher's child's alone (see harness.PEAK_LAUNCHER)
        cli = [sys.executable, "-m", "gdb_gomap.cli.main", *argv]
        proc = subprocess.Popen(harness.peak_argv(cli, AS_CAP), cwd=harness.REPO,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
        # Kept until run_tasks reaps it: a Popen collected while its process runs is
        # polled by subprocess's own clean-up, which would take our wait4's child.
        _POPENS[proc.pid] = proc
        return proc.pid
    # A forked run's peak includes this process's own memory at the fork (small in
    # `python -m tests.fuzz_cores`, large inside pytest: tests use fork=False).
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    rc = 3
    try:     # the child: the CLI as `python -m gdb_gomap.cli.main` runs it, imports done
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(err.fileno(), 2)
        # sys.stdout and sys.stderr may be pytest's captures rather than fds 1 and 2
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        _limit()
        from gdb_gomap.cli.main import main as cli
        rc = cli(argv)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc if isinstance(rc, int) else 1)


@dataclass
class Task:
    case: object           # the CaseFile it belongs to
    args: list
    attempt: int = 0


class CaseFile:
    """One broken copy on disk and what is still to run on it."""

    def __init__(self, base, layout, seed, index, workdir):
        self.id = f"{base.name}/{seed}/{index}"
        case = Case(base, layout, random.Random(f"{seed}:{base.name}:{index}"))
        case.mutate()
        self.path = Path(workdir) / f"case-{base.name}-{seed}-{index}.core"
        case.write(self.path)
        self.due = error_due(self.path)
        self.what = case.what + ([f"error due: {self.due}"] if self.due else [])
        self.left = 2
        self.failed = False
        self.tasks = [Task(self, ["dump", "--core", self.path, "--exe", base.binary,
                                  "main.Big"]),
                      Task(self, ["list", "--core", self.path, "--exe", base.binary])]


def run_tasks(tasks, jobs=1, fork=True, budget=CASE_BUDGET, done=None):
    """Run gomap for each Task, ``jobs`` at a time; call ``done(task, run)`` for each.

    A run still going after ``budget`` seconds is killed and tried once more
    (the machine may be busy); the second try counts."""
    fresh = iter(tasks)      # consumed as slots free up: cases are made lazily
    retry = []
    running = {}             # pid -> (task, start, stderr file)
    while True:
        while len(running) < jobs:
            task = retry.pop() if retry else next(fresh, None)
            if task is None:
                break
            err = tempfile.TemporaryFile()
            running[_start(task.args, err, fork)] = (task, time.monotonic(), err)
        if not running:
            return
        time.sleep(0.003)
        for pid, (task, start, err) in list(running.items()):
            got, status, usage = os.wait4(pid, os.WNOHANG)
            late = not got and time.monotonic() - start > budget
            if late:
                os.kill(pid, signal.SIGKILL)
                got, status, usage = os.wait4(pid, 0)
            if not got:
                continue
            proc = _POPENS.pop(pid, None)
            if proc is not None:
                proc.returncode = os.waitstatus_to_exitcode(status)
            del running[pid]
            seconds = time.monotonic() - start
            err.seek(0)
            text, peak_kb = harness.split_peak(err.read().decode(errors="replace"))
            err.close()
            if late and task.attempt == 0:
                task.attempt = 1
                retry.append(task)
                continue
            rc = None if late else os.waitstatus_to_exitcode(status)
            done(task, Run(task.args[0], rc, seconds,
                           (peak_kb or usage.ru_maxrss) * 1024, text))


def run_gomap(args, budget=CASE_BUDGET, fork=False):
    """One gomap CLI run: its Run (rc None if it outlived the budget twice)."""
    out = []
    run_tasks([Task(None, list(args))], fork=fork, budget=budget,
              done=lambda task, run: out.append(run))
    return out[0]


def judge(run, due):
    """The failure kind of one command, or None."""
    text = run.stderr.strip()
    if run.rc is None:
        return "hang"
    if run.rss > RSS_LIMIT:
        return "memory"
    if run.rc not in (0, 1) or "Traceback" in text or "internal error" in text:
        return "crash"
    if run.rc == 1 and len(text.splitlines()) != 1:
        return "messy"
    if run.rc == 0 and due:
        return "silent"
    return None


@dataclass
class Report:
    cases: int = 0
    runs: int = 0
    status: dict = field(default_factory=dict)        # rc -> count
    failures: list = field(default_factory=list)      # (kind, case id, what, run)
    slowest: list = field(default_factory=list)       # (seconds, case id, cmd)
    peak: tuple = (0, None, None)                     # (bytes, case id, cmd)
    messages: dict = field(default_factory=dict)      # first words of errors -> count

    def add(self, case, run):
        kind = judge(run, case.due)
        self.runs += 1
        self.status[run.rc] = self.status.get(run.rc, 0) + 1
        self.slowest = sorted(self.slowest + [(run.seconds, case.id, run.cmd)],
                              reverse=True)[:5]
        if run.rss > self.peak[0]:
            self.peak = (run.rss, case.id, run.cmd)
        if run.rc == 1:
            text = run.stderr.replace(str(case.path), "CORE").strip()
            key = " ".join(re.sub(r"0x[0-9a-f]+|[0-9][0-9,]*", "N", text).split()[1:8])
            self.messages[key] = self.messages.get(key, 0) + 1
        if kind:
            self.failures.append((kind, case.id, case.what, run))
        return kind

    def summary(self):
        kinds = {}
        for kind, *_ in self.failures:
            kinds[kind] = kinds.get(kind, 0) + 1
        lines = [f"{self.cases} cases, {self.runs} gomap runs; exit status counts "
                 f"{dict(sorted(self.status.items(), key=str))}; failures {kinds or 0}",
                 "slowest: " + ", ".join(f"{s:.2f}s ({c} {cmd})" for s, c, cmd in self.slowest),
                 f"peak RSS: {self.peak[0] / (1 << 20):.0f} MB ({self.peak[1]} {self.peak[2]})",
                 "errors (first words):"] + [f"  {n:6} {k}" for k, n in sorted(
                     self.messages.items(), key=lambda kv: -kv[1])[:15]]
        for kind, case_id, what, run in self.failures[:20]:
            tail = run.stderr.strip().splitlines()[-3:]
            lines.append(f"FAIL {kind}: case {case_id} [{'; '.join(what)}] {run.cmd} "
                         f"rc={run.rc} {run.seconds:.1f}s {run.rss >> 20} MB: {' | '.join(tail)}")
        return "\n".join(lines)


def campaign(bases, cases, seed=0, jobs=1, keep=None, progress=None, fork=True):
    """Run ``cases`` cases over ``bases`` (round robin); return the Report."""
    report = Report()
    layouts = {b.name: read_layout(b.core) for b in bases}
    if fork:
        preload()
    with tempfile.TemporaryDirectory(prefix="gomap-fuzz-cores-") as work:
        def tasks():       # case files are made as the runs get to them
            for i in range(cases):
                base = bases[i % len(bases)]
                yield from CaseFile(base, layouts[base.name], seed, i, work).tasks

        def done(task, run):
            case = task.case
            case.failed = bool(report.add(case, run)) or case.failed
            case.left -= 1
            if case.left:
                return
            if case.failed and keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(case.path, Path(keep) / case.path.name)
            case.path.unlink(missing_ok=True)
            report.cases += 1
            if progress and report.cases % progress == 0:
                print(f"... {report.cases} cases, {len(report.failures)} failures",
                      flush=True)

        run_tasks(tasks(), jobs=jobs, fork=fork, done=done)
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="copy the cores of failing cases here")
    ap.add_argument("--no-kernel", action="store_true", help="only the gcore base")
    ap.add_argument("--spawn", action="store_true", help="a new Python for every run "
                    "(slower) instead of a fork of this one with gomap imported")
    a = ap.parse_args(argv)
    bases = make_bases(kernel=not a.no_kernel)
    print("bases: " + ", ".join(f"{b.name} {b.core}" for b in bases), flush=True)
    for b in bases:      # the untouched cores decode (and warm the DWARF index cache)
        r = run_gomap(["dump", "--core", b.core, "--exe", b.binary, "main.Big"], budget=120)
        assert r.rc == 0, f"the {b.name} base core does not decode: {r.stderr}"
    start = time.monotonic()
    report = campaign(bases, a.cases, a.seed, a.jobs, a.keep,
                      progress=max(1, a.cases // 20), fork=not a.spawn)
    print(report.summary())
    print(f"{time.monotonic() - start:.0f} s")
    return 1 if report.failures else 0


if __name__ == "__main__":
    harness.become_subreaper()
    try:
        sys.exit(main())
    finally:
        harness.kill_all()
