"""Fuzzing gomap's DWARF reading: a real build, its DWARF corrupted, the CLI run on it.

The base is examples/mapstates built with Go 1.26.6 and a core of it (made once
with gdb's gcore, kept sparse next to pytest's cache).  From the binary come
three copies to corrupt: the linker's own (SHF_COMPRESSED zlib sections), one
with the DWARF inflated in the file (``objcopy --decompress-debug-sections``)
and one with GNU ``.zdebug_*`` sections (``objcopy
--compress-debug-sections=zlib-gnu``).  Positions worth hitting are read once
with pyelftools from the inflated copy: every DIE, and among them the "hot"
ones (the package variables of main and every type reachable from them, and
the runtime's map types); every attribute of a hot DIE; every abbrev
declaration; every unit header.

Each case makes one corruption (see MUTATIONS): bit flips, byte runs, DIE
abbrev codes, abbrev tags, attributes, forms and children flags, reference
and data attributes of hot DIEs, unit headers, truncated or moved sections,
damaged zlib streams and compression headers.  It then runs ``gomap list``
and one ``gomap dump`` (a random map and view) on the core with the
corrupted executable, each in its own process.

A run passes when it exits 0, or exits 1 with one line on stderr that starts
with ``gomap: ``.  Exit 3 (internal error), any other status, a traceback, a
run still going after RUN_BUDGET seconds (a hang: it is killed) or a peak
RSS over PEAK_BUDGET_MB are failures.

    python -m tests.fuzz_dwarf --cases 1000              # prints runs, failures, slowest, peak
    python -m tests.fuzz_dwarf --cases 20 --start 500 --keep /tmp/bad   # keep failing binaries
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile

from gdb_gomap.dwarf.scan import uleb128
from delve_bridge.install import locked
from tests import harness, toolchains

EXAMPLE = harness.REPO / "examples" / "mapstates"
VERSION = "1.26.6"
DEFAULT_DIR = harness.REPO / ".pytest_cache" / "d" / "gomap-dwarf-fuzz"
RUN_BUDGET = 5.0            # seconds for one CLI run: longer is a hang
PEAK_BUDGET_MB = 300        # peak RSS of one CLI run
AS_LIMIT = 4 << 30          # address-space limit of a run, so a bomb cannot take the machine
MAPS = ["main.GInt", "main.GStr", "main.GStructKey", "main.GAny", "main.GNested",
        "main.GVals", "main.GNamed", "main.GSrv.shards[1]", "main.GBigKey", "main.GFloat",
        "main.GSet", "main.GKey128", "main.GNil"]
VIEWS = [[], ["--entries"], ["--json"], ["--buckets"]]
SHF_COMPRESSED = 0x800
# DW_AT_* and DW_AT_go_* attributes whose values a decode reads as numbers
DATA_ATTRS = {"DW_AT_byte_size", "DW_AT_data_member_location", "DW_AT_count",
              "DW_AT_upper_bound", "DW_AT_encoding", 0x2900, 0x2904}
REF_FORMS = {"DW_FORM_ref_addr", "DW_FORM_ref4", "DW_FORM_ref1", "DW_FORM_ref2",
             "DW_FORM_ref8", "DW_FORM_ref_udata"}
LIVE = {}                   # pid -> Popen of runs in progress (killed on ^C)


# --- the base: binary, copies, core, positions ------------------------------------------

@dataclass
class Sec:
    """Where a section is in a file: its data, and its entry in the section header table."""
    name: str
    offset: int
    size: int
    header: int        # file offset of its Elf64_Shdr
    flags: int


@dataclass
class Base:
    exe: Path          # as the linker wrote it (SHF_COMPRESSED)
    plain: Path        # DWARF inflated
    gnu: Path          # .zdebug_*
    core: Path
    truth: dict
    secs: dict         # copy name -> {section name: Sec}
    dies: list         # (offset, size) of every DIE in .debug_info (plain)
    hot: list          # (offset, size) of the DIEs a decode of main's maps reads
    attrs: list        # (offset, size, form, name) of every attribute of a hot DIE
    abbrevs: list      # per declaration: {"code", "tag", "children", "specs": [(at, form)]}
    units: list        # offsets of unit headers in .debug_info
    data: dict = field(default_factory=dict)   # copy name -> bytes (loaded lazily)

    def bytes_of(self, copy):
        if copy not in self.data:
            self.data[copy] = getattr(self, copy).read_bytes()
        return self.data[copy]


def _sections(path):
    out = {}
    with open(path, "rb") as f:
        elf = ELFFile(f)
        shoff, shentsize = elf["e_shoff"], elf["e_shentsize"]
        for i, sec in enumerate(elf.iter_sections()):
            if "debug" in sec.name:
                out[sec.name] = Sec(sec.name, sec["sh_offset"], sec["sh_size"],
                                    shoff + i * shentsize, sec["sh_flags"])
    return out


def _abbrevs(data):
    """Every declaration of .debug_abbrev with the file positions of its parts."""
    out, pos = [], 0
    while pos < len(data):
        code_pos = pos
        code, pos = uleb128(data, pos)
        if code == 0:
            continue   # end of one table
        tag_pos = pos
        _, pos = uleb128(data, pos)
        children_pos = pos
        pos += 1
        specs = []
        while True:
            at_pos = pos
            at, pos = uleb128(data, pos)
            form_pos = pos
            form, pos = uleb128(data, pos)
            if at == 0 and form == 0:
                break
            if form == 0x21:
                _, pos = uleb128(data, pos)
            specs.append((at_pos, form_pos))
        out.append({"code": code_pos, "tag": tag_pos, "children": children_pos, "specs": specs})
    return out


def _walk(plain):
    """(dies, hot, attrs, units) of the inflated copy, read with pyelftools."""
    with open(plain, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info(relocate_dwarf_sections=False)
        dies, units, by_off = [], [], {}
        roots = []
        for cu in dwarf.iter_CUs():
            units.append(cu.cu_offset)
            top = cu.get_top_DIE()
            for die in cu.iter_DIEs():
                dies.append((die.offset, die.size))
                by_off[die.offset] = die
                name = die.attributes.get("DW_AT_name")
                name = name.value.decode() if name is not None else ""
                if die.tag == "DW_TAG_variable" and die.get_parent().offset == top.offset and \
                        name.startswith("main."):
                    roots.append(die)
                elif die.tag == "DW_TAG_structure_type" and \
                        name.startswith(("internal/runtime/maps.", "runtime.hmap")):
                    roots.append(die)
        hot, seen, todo = [], set(), list(roots)
        while todo:
            die = todo.pop()
            if die.offset in seen:
                continue
            seen.add(die.offset)
            hot.append(die)
            for a in die.attributes.values():
                if a.form in REF_FORMS:
                    try:
                        todo.append(die.get_DIE_from_attribute(a.name))
                    except Exception:   # noqa: BLE001 - the base is valid; be safe anyway
                        pass
            if die.has_children:
                todo.extend(die.iter_children())
        attrs = []
        for die in hot:
            vals = sorted(die.attributes.values(), key=lambda a: a.offset)
            for i, a in enumerate(vals):
                end = vals[i + 1].offset if i + 1 < len(vals) else die.offset + die.size
                attrs.append((a.offset, end - a.offset, a.form, a.name))
    return dies, sorted((d.offset, d.size) for d in hot), attrs, units


def _make_core(binary, core, truth_path):
    full = core.with_suffix(".full")
    try:
        with harness.start_example(binary, truth_path) as ex:
            harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {full}"], timeout=300)
        if not full.exists():
            raise RuntimeError("gdb wrote no core")
        # Most of a Go core is untouched reservations: keep the zeros as holes.
        subprocess.run(["cp", "--sparse=always", str(full), str(core)], check=True)
    finally:
        full.unlink(missing_ok=True)


def load_base(dest_dir=DEFAULT_DIR):
    """The fuzzing base for mapstates/Go 1.26.6, made on first use and kept in ``dest_dir``."""
    binary = toolchains.build_example(EXAMPLE, VERSION)
    key = hashlib.sha256(binary.read_bytes()).hexdigest()[:16]
    d = Path(dest_dir) / key
    meta_path = d / "meta.json"
    d.mkdir(parents=True, exist_ok=True)
    with locked(d / ".lock"):
        if not meta_path.exists():
            exe, plain, gnu = d / "exe", d / "plain", d / "gnu"
            shutil.copyfile(binary, exe)
            subprocess.run(["objcopy", "--decompress-debug-sections", str(exe), str(plain)],
                           check=True)
            subprocess.run(["objcopy", "--compress-debug-sections=zlib-gnu", str(exe),
                            str(gnu)], check=True)
            for p in (exe, plain, gnu):
                p.chmod(0o755)
            _make_core(binary, d / "core", d / "truth.json")
            dies, hot, attrs, units = _walk(plain)
            plain_secs = _sections(plain)
            info = plain_secs[".debug_abbrev"]
            raw = plain.read_bytes()[info.offset:info.offset + info.size]
            meta = {"dies": dies, "hot": hot, "attrs": attrs, "units": units,
                    "abbrevs": _abbrevs(raw)}
            tmp = meta_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(meta))
            tmp.rename(meta_path)
    meta = json.loads(meta_path.read_text())
    secs = {c: _sections(d / c) for c in ("exe", "plain", "gnu")}
    return Base(d / "exe", d / "plain", d / "gnu", d / "core",
                json.loads((d / "truth.json").read_text()), secs,
                [tuple(x) for x in meta["dies"]], [tuple(x) for x in meta["hot"]],
                [tuple(x) for x in meta["attrs"]], meta["abbrevs"], meta["units"])


# --- corruptions -----------------------------------------------------------------------
# Each takes (base, rng) and returns (copy name, {file offset: bytes}, description).
# Offsets inside .debug_info/.debug_abbrev are section offsets of the plain copy.

def _at(base, copy, sec, off, data):
    s = base.secs[copy][sec]
    return {s.offset + off: bytes(data)}


def _flips(base, rng, sec, lo, hi, n):
    data = base.bytes_of("plain")
    s = base.secs["plain"][sec]
    patches, where = {}, []
    for _ in range(n):
        off = rng.randrange(lo, hi)
        bit = rng.randrange(8)
        patches[s.offset + off] = bytes([data[s.offset + off] ^ (1 << bit)])
        where.append(f"{off:#x}.{bit}")
    return "plain", patches, f"{sec} bit flips at {', '.join(where)}"


def m_flip_info(base, rng):
    return _flips(base, rng, ".debug_info", 0, base.secs["plain"][".debug_info"].size,
                  rng.choice((1, 1, 2, 4, 8)))


def m_flip_abbrev(base, rng):
    return _flips(base, rng, ".debug_abbrev", 0, base.secs["plain"][".debug_abbrev"].size,
                  rng.choice((1, 1, 2, 3)))


def m_flip_hot(base, rng):
    off, size = rng.choice(base.hot)
    return _flips(base, rng, ".debug_info", off, off + size, rng.choice((1, 1, 2)))


def m_run(base, rng):
    sec = rng.choice((".debug_info", ".debug_info", ".debug_abbrev"))
    size = base.secs["plain"][sec].size
    if sec == ".debug_info" and rng.random() < 0.6:
        off = rng.choice(base.hot)[0] + rng.randrange(4)
    else:
        off = rng.randrange(size)
    n = min(rng.choice((1, 2, 4, 8, 16, 64)), size - off)
    fill = rng.choice(("zero", "ff", "80", "random"))
    data = {"zero": b"\0" * n, "ff": b"\xff" * n, "80": b"\x80" * n,
            "random": bytes(rng.randrange(256) for _ in range(n))}[fill]
    return "plain", _at(base, "plain", sec, off, data), f"{sec} {n} bytes of {fill} at {off:#x}"


def _uleb_bytes(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def m_die_code(base, rng):
    off, _ = rng.choice(base.hot if rng.random() < 0.7 else base.dies)
    code = rng.choice((0, 1, 2, rng.randrange(1, 64), rng.randrange(64, 300), 0x7F))
    enc = _uleb_bytes(code)
    if len(enc) > 1 and rng.random() < 0.5:
        enc = bytes([0xFF])   # a ULEB128 that runs on into the next bytes
    return "plain", _at(base, "plain", ".debug_info", off, enc), \
        f"DIE at {off:#x} gets abbrev code {enc.hex()}"


def _abbrev_byte(base, rng, what):
    decl = rng.choice(base.abbrevs)
    if what in ("at", "form"):
        if not decl["specs"]:
            what = "tag"
        else:
            at_pos, form_pos = rng.choice(decl["specs"])
            pos = at_pos if what == "at" else form_pos
    if what in ("tag", "children"):
        pos = decl[what]
    if what == "form":
        value = rng.choice((rng.randrange(0x2F), rng.randrange(256), 0x01, 0x08, 0x0E, 0x10,
                            0x13, 0x18, 0x19, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x16))
    elif what == "children":
        value = rng.choice((0, 1, 2, 0xFF))
    else:
        value = rng.randrange(256)
    return "plain", _at(base, "plain", ".debug_abbrev", pos, [value]), \
        f".debug_abbrev {what} byte at {pos:#x} set to {value:#x}"


def m_abbrev_form(base, rng):
    return _abbrev_byte(base, rng, "form")


def m_abbrev_attr(base, rng):
    return _abbrev_byte(base, rng, "at")


def m_abbrev_tag(base, rng):
    return _abbrev_byte(base, rng, rng.choice(("tag", "children")))


def m_ref(base, rng):
    refs = [a for a in base.attrs if a[2] in REF_FORMS]
    off, size, form, name = rng.choice(refs)
    info_size = base.secs["plain"][".debug_info"].size
    hot_off = rng.choice(base.hot)[0]
    unit = max(u for u in base.units if u <= off)
    choice = rng.choice(("zero", "max", "past", "random", "self", "hot", "unit", "mid"))
    value = {"zero": 0, "max": (1 << (8 * size)) - 1, "past": info_size + rng.randrange(64),
             "random": rng.randrange(1 << (8 * min(size, 4))),
             "self": off, "hot": hot_off, "unit": unit, "mid": hot_off + 1}[choice]
    if form != "DW_FORM_ref_addr" and choice in ("self", "hot", "unit", "mid"):
        value -= unit     # CU-relative forms
    value %= 1 << (8 * size)
    return "plain", _at(base, "plain", ".debug_info", off, value.to_bytes(size, "little")), \
        f"{name} ({form}) at {off:#x} set to {value:#x} ({choice})"


def m_data(base, rng):
    data = [a for a in base.attrs if a[3] in DATA_ATTRS and a[1] in (1, 2, 4, 8)]
    off, size, form, name = rng.choice(data)
    value = rng.choice((0, 1, 7, 8, 9, 255, 1 << (8 * size - 1), (1 << (8 * size)) - 1,
                        rng.randrange(1 << (8 * size))))
    return "plain", _at(base, "plain", ".debug_info", off, value.to_bytes(size, "little")), \
        f"{name} ({form}) at {off:#x} set to {value:#x}"


def m_unit_header(base, rng):
    unit = rng.choice(base.units)
    part = rng.choice(("length", "version", "unit_type", "addr_size", "abbrev_offset"))
    if part == "length":
        value = rng.choice((0, 1, 7, 0xFFFFFFFF, 0xFFFFFFF0, rng.randrange(1 << 32)))
        patch = (0, struct.pack("<I", value))
    elif part == "version":
        patch = (4, struct.pack("<H", rng.choice((0, 1, 2, 3, 4, 6, 0xFFFF))))
    elif part == "unit_type":
        patch = (6, bytes([rng.choice((0, 2, 3, 4, 5, 0x80, 0xFF))]))
    elif part == "addr_size":
        patch = (7, bytes([rng.choice((0, 1, 2, 4, 16, 255))]))
    else:
        patch = (8, struct.pack("<I", rng.choice((1, 0x100, 0xFFFFFFFF, rng.randrange(1 << 32)))))
    return "plain", _at(base, "plain", ".debug_info", unit + patch[0], patch[1]), \
        f"unit at {unit:#x}: {part} set to {patch[1].hex()}"


def m_section_header(base, rng):
    copy = rng.choice(("plain", "exe"))
    sec = rng.choice((".debug_info", ".debug_abbrev"))
    s = base.secs[copy][sec]
    part = rng.choice(("size", "size", "offset", "flags"))
    if part == "size":
        value = rng.choice((0, 1, 11, s.size // 2, s.size - 1, s.size + 1, 1 << 40))
        patch = {s.header + 32: struct.pack("<Q", value)}
    elif part == "offset":
        value = rng.choice((0, s.offset + 1, s.offset - 1, 1 << 40))
        patch = {s.header + 24: struct.pack("<Q", value)}
    else:
        value = s.flags ^ SHF_COMPRESSED
        patch = {s.header + 8: struct.pack("<Q", value)}
    return copy, patch, f"{copy} {sec} sh_{part} set to {value:#x}"


def m_zlib_stream(base, rng):
    copy = rng.choice(("exe", "gnu"))
    names = [n for n in base.secs[copy] if n.endswith(("debug_info", "debug_abbrev"))]
    s = base.secs[copy][rng.choice(names)]
    hdr = 24 if copy == "exe" else 12
    data = base.bytes_of(copy)
    patches, where = {}, []
    for _ in range(rng.choice((1, 1, 3))):
        off = rng.randrange(hdr, s.size)
        bit = rng.randrange(8)
        patches[s.offset + off] = bytes([data[s.offset + off] ^ (1 << bit)])
        where.append(f"{off:#x}.{bit}")
    return copy, patches, f"{copy} {s.name} zlib stream bit flips at {', '.join(where)}"


def m_compression_header(base, rng):
    copy = rng.choice(("exe", "exe", "gnu"))
    names = [n for n in base.secs[copy] if n.endswith(("debug_info", "debug_abbrev", "debug_line"))]
    s = base.secs[copy][rng.choice(names)]
    if copy == "exe":
        part = rng.choice(("ch_size", "ch_size", "ch_type"))
        if part == "ch_type":
            value = rng.choice((0, 2, 3, 0xFFFFFFFF))
            return copy, {s.offset: struct.pack("<I", value)}, f"{s.name} ch_type {value}"
        value = rng.choice((0, 1, 1 << 20, 1 << 30, 1 << 62, rng.randrange(1 << 24)))
        return copy, {s.offset + 8: struct.pack("<Q", value)}, f"{s.name} ch_size {value:#x}"
    part = rng.choice(("magic", "size"))
    if part == "magic":
        return copy, {s.offset: b"ZLIX"}, f"{s.name} magic ZLIX"
    value = rng.choice((0, 1, 1 << 30, 1 << 62, rng.randrange(1 << 24)))
    return copy, {s.offset + 4: struct.pack(">Q", value)}, f"{s.name} GNU size {value:#x}"


MUTATIONS = [  # (weight, function)
    (4, m_flip_info), (3, m_flip_abbrev), (5, m_flip_hot), (3, m_run), (3, m_die_code),
    (3, m_abbrev_form), (2, m_abbrev_attr), (2, m_abbrev_tag), (5, m_ref), (4, m_data),
    (2, m_unit_header), (2, m_section_header), (2, m_zlib_stream),
    (2, m_compression_header),
]


def mutate(base, seed):
    """(copy, patches, description) of case ``seed`` (deterministic)."""
    rng = random.Random(seed)
    fn = rng.choices([f for _, f in MUTATIONS], [w for w, _ in MUTATIONS])[0]
    copy, patches, what = fn(base, rng)
    return copy, patches, f"{fn.__name__[2:]}: {what}", rng


def write_case(base, copy, patches, path):
    data = bytearray(base.bytes_of(copy))
    for off, b in patches.items():
        data[off:off + len(b)] = b
    path.write_bytes(bytes(data))
    path.chmod(0o755)


# --- running the CLI --------------------------------------------------------------------

@dataclass
class Run:
    argv: list
    rc: int
    seconds: float
    peak_mb: float
    stderr: str
    hung: bool = False

    def problem(self):
        """Why this run fails the rules, or None."""
        err = self.stderr.strip()
        if self.hung:
            return f"still running after {RUN_BUDGET:.0f} s (killed)"
        if "Traceback" in self.stderr:
            return "a traceback"
        if self.rc == 3 or "internal error" in err:
            return "internal error"
        if self.rc not in (0, 1):
            return f"exit status {self.rc}"
        if self.rc == 1 and (len(err.splitlines()) != 1 or not err.startswith("gomap: ")):
            return f"{len(err.splitlines())} lines on stderr, not one 'gomap: ...' line"
        if self.peak_mb > PEAK_BUDGET_MB:
            return f"peak RSS {self.peak_mb:.0f} MB"
        return None


def run_cli(argv, env=None, budget=RUN_BUDGET, stdout=subprocess.DEVNULL):
    """Run ``gomap ARGV`` in its own process; a Run with its status, time and peak RSS
    (harness.PEAK_LAUNCHER's child alone).  Killed after ``budget`` seconds."""
    with tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        cli = [sys.executable, "-m", "gdb_gomap.cli.main", *map(str, argv)]
        proc = subprocess.Popen(harness.peak_argv(cli, AS_LIMIT),
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=err,
                                cwd=harness.REPO, env=env, start_new_session=True)
        LIVE[proc.pid] = proc
        hung = False
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - t0 > budget:
                    hung = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.01)
        finally:
            LIVE.pop(proc.pid, None)
        seconds = time.monotonic() - t0
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text, peak_kb = harness.split_peak(err.read().decode("utf-8", "replace"))
    if peak_kb is None:     # killed with the launcher: its own figure is all there is
        peak_kb = usage.ru_maxrss
    return Run([str(a) for a in argv], rc, seconds, peak_kb / 1024, text, hung)


@dataclass
class Case:
    seed: int
    what: str
    runs: list

    def problems(self):
        return [(r, p) for r in self.runs for p in [r.problem()] if p]


def run_case(base, seed, work_dir, env, keep=None):
    copy, patches, what, rng = mutate(base, seed)
    exe = Path(work_dir) / f"case-{seed}"
    write_case(base, copy, patches, exe)
    expr = rng.choice(MAPS)
    view = rng.choice(VIEWS)
    runs = [run_cli(["list", "--core", base.core, "--exe", exe], env),
            run_cli(["dump", "--core", base.core, "--exe", exe, expr, *view], env)]
    case = Case(seed, what, runs)
    if keep is not None and case.problems():
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exe, Path(keep) / exe.name)
    exe.unlink()
    return case


@dataclass
class Campaign:
    cases: list = field(default_factory=list)

    @property
    def runs(self):
        return [r for c in self.cases for r in c.runs]

    @property
    def failures(self):
        return [(c, r, p) for c in self.cases for r, p in c.problems()]

    def outcomes(self):
        """Counts of how runs ended: exit 0, or the kind of one-line error."""
        out = {}
        for r in self.runs:
            if r.rc == 0:
                k = "exit 0"
            else:
                line = r.stderr.strip()
                k = ("exit 1: DWARF is corrupt" if "DWARF is corrupt" in line else
                     f"exit {r.rc}: " + " ".join(line.split()[1:5]))
            out[k] = out.get(k, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def report(self, show=10, out=sys.stdout):
        runs = self.runs
        slow = max(runs, key=lambda r: r.seconds)
        peak = max(runs, key=lambda r: r.peak_mb)
        slow_case = next(c for c in self.cases if slow in c.runs)
        peak_case = next(c for c in self.cases if peak in c.runs)
        print(f"cases {len(self.cases)}, CLI runs {len(runs)}, failures {len(self.failures)}",
              file=out)
        print(f"slowest run {slow.seconds:.2f} s (case {slow_case.seed}: {slow_case.what}; "
              f"{' '.join(slow.argv[:1] + slow.argv[5:])})", file=out)
        print(f"peak RSS {peak.peak_mb:.0f} MB (case {peak_case.seed}: {peak_case.what})",
              file=out)
        for k, n in self.outcomes().items():
            print(f"  {n:6d}  {k}", file=out)
        for c, r, p in self.failures[:show]:
            print(f"FAIL case {c.seed} ({c.what}): {' '.join(r.argv[:1] + r.argv[5:])}: {p}\n"
                  f"    {r.stderr.strip()[-600:]}", file=out)


def campaign(base, cases, start=0, jobs=2, keep=None, progress=None):
    """Run cases ``start`` .. ``start+cases-1``; a Campaign."""
    result = Campaign()
    with tempfile.TemporaryDirectory(prefix="gomap-fuzz-dwarf-") as work:
        env = dict(os.environ, GOMAP_CACHE=str(Path(work) / "cache"))
        env.pop("GOMAP_NO_CACHE", None)
        lock = threading.Lock()

        def one(seed):
            case = run_case(base, seed, work, env, keep)
            with lock:
                result.cases.append(case)
                if progress:
                    progress(result)
            return case

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, range(start, start + cases)))
    result.cases.sort(key=lambda c: c.seed)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz_dwarf", description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--start", type=int, default=0, help="first case (cases are numbered seeds)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", metavar="DIR", help="copy the executables of failing cases here")
    ap.add_argument("--show", type=int, default=20, help="failures to print")
    ap.add_argument("--dir", default=str(DEFAULT_DIR), help="where the base is kept")
    args = ap.parse_args(argv)
    base = load_base(args.dir)
    t0 = time.monotonic()

    def progress(res):
        n = len(res.cases)
        if n % 100 == 0:
            print(f"... {n} cases, {len(res.failures)} failures, "
                  f"{time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)

    try:
        res = campaign(base, args.cases, args.start, args.jobs, args.keep, progress)
    except KeyboardInterrupt:
        for proc in list(LIVE.values()):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    res.report(args.show)
    print(f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
