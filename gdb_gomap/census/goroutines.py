"""Goroutines from the runtime's own list, and the registers of the threads
running them, without a debugger.

``runtime.allgs`` is a package slice of ``*g``; each g's fields are read at the
offsets its DWARF gives (so every release's layout is right).  The threads'
registers come from the core's ``NT_PRSTATUS`` notes or, for a live process,
from ``PTRACE_GETREGS`` on the stopped threads (read-only); a thread runs the
goroutine ``g`` when ``g.m.procid`` is its tid and ``g.m.curg`` is ``g``.
"""

import struct
from dataclasses import dataclass, field
from typing import Dict, Optional

from ..arch import AMD64
from ..errors import GomapError, UnreadableMemory

STATUS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting",
          5: "moribund_unused", 6: "dead", 7: "enqueue_unused", 8: "copystack",
          9: "preempted"}
SCAN = 0x1000
DEAD = 6
IDLE = 0    # just allocated: no stack yet, so no roots
MAX_GOROUTINES = 10_000_000



class NoGoroutines(GomapError):
    """The runtime's goroutine list cannot be found or read."""


@dataclass
class Goroutine:
    goid: int
    addr: int                   # the g
    status: int                 # atomicstatus with the scan bit stripped
    scan: bool
    waitreason: str
    pc: int                     # saved sched (or syscall) pc/sp/bp
    sp: int
    bp: int
    stack_lo: int
    stack_hi: int
    m: int
    tid: Optional[int] = None   # the thread running it (status running)
    regs: Optional[Dict[str, int]] = None   # that thread's registers when known
    top_function: str = ""      # filled in by stacks.unwind
    frames: list = field(default_factory=list)
    lr: int = 0                 # saved sched.lr (machines with a link register)

    @property
    def status_name(self):
        return STATUS.get(self.status, f"status {self.status}")


def _u(memory, addr, arch):
    """The target's pointer-sized word at ``addr``."""
    return arch.word(memory.read(addr, arch.ptr))


class _Layout:
    """Field offsets of runtime.g and runtime.m from DWARF."""

    def __init__(self, types):
        g = types.by_name("runtime.g")
        m = types.by_name("runtime.m")
        self.g_size = g.size

        def off(t, path):
            cur, total = t, 0
            for part in path.split("."):
                f = cur.field(part)
                if f is None:
                    return None
                total += f.offset
                cur = f.type
            return total, cur.size

        need = {"goid": "goid", "status": "atomicstatus", "sp": "sched.sp", "pc": "sched.pc",
                "bp": "sched.bp", "lo": "stack.lo", "hi": "stack.hi", "m": "m"}
        self.g = {}
        for key, path in need.items():
            got = off(g, path)
            if got is None:
                raise NoGoroutines(f"runtime.g in this binary's DWARF has no field {path}; "
                                   f"gomap cannot list its goroutines")
            self.g[key] = got
        for key, path in {"waitreason": "waitreason", "syscallsp": "syscallsp", "lr": "sched.lr",
                          "syscallpc": "syscallpc", "syscallbp": "syscallbp"}.items():
            self.g[key] = off(g, path)
        self.m = {k: off(m, k) for k in ("procid", "curg")}


def _wait_reasons(target):
    """The runtime's waitReasonStrings table (index -> text), or {} if absent."""
    try:
        addr, t = target.variable("runtime.waitReasonStrings")
    except Exception:   # absent, or DWARF that does not describe it: numbers then
        return {}
    if t.kind != "array" or t.count > 256:
        return {}
    out = {}
    mem = target.memory
    arch = target.arch
    P = arch.ptr
    for i in range(t.count):
        try:
            raw = mem.read(addr + 2 * P * i, 2 * P)
            ptr, n = arch.word(raw), arch.word(raw, P)
            if n and n < 256:
                out[i] = mem.read(ptr, n).decode("utf-8", "replace")
        except UnreadableMemory:
            continue
    if not out:   # the table lives in the executable's data: read it from the file
        for i in range(t.count):
            raw = target.binary.read_file_bytes(addr + 2 * P * i, 2 * P)
            if raw is None:
                break
            ptr, n = arch.word(raw), arch.word(raw, P)
            s = target.binary.read_file_bytes(ptr, n) if 0 < n < 256 else None
            if s:
                out[i] = s.decode("utf-8", "replace")
    return out


def thread_registers(memory, arch=AMD64):
    """{tid: {register: value}} of every thread of a core file (NT_PRSTATUS) or a
    stopped process (ptrace GETREGS); {} when the memory source has none."""
    regs = getattr(memory, "thread_registers", None)
    if callable(regs):
        return regs()
    path = getattr(memory, "path", None)
    if path is None:
        return {}
    return core_thread_registers(path, arch)


def core_thread_registers(path, arch=AMD64):
    """{tid: registers} from the NT_PRSTATUS notes of a core file of ``arch``
    (register names as :attr:`Arch.regs` has them)."""
    out = {}
    end = "<" if arch.order == "little" else ">"
    wide = arch.ptr == 8
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != (2 if wide else 1):
            return out
        if wide:
            phoff, = struct.unpack_from(end + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
        else:
            phoff, = struct.unpack_from(end + "I", head, 28)
            phentsize, phnum = struct.unpack_from(end + "HH", head, 42)
        f.seek(phoff)
        table = f.read(phentsize * min(phnum, 1 << 16))
        for i in range(len(table) // phentsize):
            if wide:
                p_type, _, off, _, _, filesz = struct.unpack_from(end + "IIQQQQ", table,
                                                                  i * phentsize)
            else:
                p_type, off, _, _, filesz = struct.unpack_from(end + "IIIII", table,
                                                               i * phentsize)
            if p_type != 4 or filesz > 64 << 20:   # PT_NOTE
                continue
            f.seek(off)
            notes = f.read(filesz)
            pos = 0
            while pos + 12 <= len(notes):
                namesz, descsz, ntype = struct.unpack_from(end + "III", notes, pos)
                pos += 12 + ((namesz + 3) & ~3)
                desc = notes[pos:pos + descsz]
                pos += (descsz + 3) & ~3
                got = arch.prstatus(desc) if ntype == 1 else None
                if got is not None:
                    out[got[0]] = got[1]
    return out


def read_goroutines(target, threads=None):
    """(goroutines, unreadable) of ``runtime.allgs`` (dead ones included), in allgs
    order; ``unreadable`` lists (g address, reason).  ``threads`` ({tid: registers})
    replaces the registers the memory source gives (gdb passes its own)."""
    mem = target.memory
    try:
        lay = _Layout(target.types)
    except GomapError:
        raise
    except Exception as exc:
        raise NoGoroutines(f"runtime.g/runtime.m are not readable from DWARF ({exc})") from exc
    try:
        addr, _t = target.variable("runtime.allgs")
        arch = target.arch
        hdr = mem.read(addr, 3 * arch.ptr)
        ptr, n = arch.word(hdr), arch.word(hdr, arch.ptr)
    except GomapError as exc:
        raise NoGoroutines(f"cannot read runtime.allgs: {exc}") from exc
    if n > MAX_GOROUTINES:
        raise NoGoroutines(f"runtime.allgs claims {n:,} goroutines; the memory is corrupt")
    try:
        gptrs = arch.words(mem.read(ptr, arch.ptr * n)) if n else ()
    except UnreadableMemory as exc:
        raise NoGoroutines(f"cannot read runtime.allgs' array of {n} goroutines: {exc}") \
            from exc
    reasons = _wait_reasons(target)
    out, bad = [], []
    for gp in gptrs:
        try:
            raw = mem.read(gp, lay.g_size)
        except UnreadableMemory as exc:
            bad.append((gp, str(exc)))
            continue

        def fld(key):
            spec = lay.g.get(key)
            if spec is None:
                return 0
            off, size = spec
            return int.from_bytes(raw[off:off + min(size, 8)], arch.order)

        raw_status = fld("status") & 0xFFFFFFFF
        status = raw_status & ~SCAN
        wr = fld("waitreason") & 0xFF if lay.g.get("waitreason") else 0
        g = Goroutine(goid=fld("goid"), addr=gp, status=status, scan=bool(raw_status & SCAN),
                      waitreason=reasons.get(wr, str(wr)) if status == 4 else "",
                      pc=fld("pc"), sp=fld("sp"), bp=fld("bp"), stack_lo=fld("lo"),
                      stack_hi=fld("hi"), m=fld("m"), lr=fld("lr"))
        if status == 3 and fld("syscallsp"):
            g.pc, g.sp = fld("syscallpc"), fld("syscallsp")
            g.bp = fld("syscallbp") if lay.g.get("syscallbp") else g.bp
        out.append(g)
    _attach_threads(target, lay, out, threads)
    return out, bad


def _attach_threads(target, lay, gs, threads=None):
    running = [g for g in gs if g.status == 2 and g.m]
    if not running:
        return
    regs = threads if threads is not None else thread_registers(target.memory, target.arch)
    mem = target.memory
    for g in running:
        try:
            if lay.m["procid"] is None or lay.m["curg"] is None:
                return
            tid = int.from_bytes(mem.read(g.m + lay.m["procid"][0], 8), target.arch.order)
            curg = _u(mem, g.m + lay.m["curg"][0], target.arch)
        except UnreadableMemory:
            continue
        if curg == g.addr:
            g.tid = tid
            g.regs = regs.get(tid)


def goroutine_list(target, threads=None):
    """[{goid, status, wait_reason, top_function}] of every live goroutine, unwound
    just enough to name the function it is in."""
    from .stacks import unwind_all
    gs, _bad = read_goroutines(target, threads)
    live = [g for g in gs if g.status not in (DEAD, IDLE)]
    unwind_all(target, live, [])
    return [{"goid": g.goid, "status": g.status_name, "wait_reason": g.waitreason,
             "top_function": g.top_function} for g in live]
