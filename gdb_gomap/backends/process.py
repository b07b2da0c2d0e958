"""A live process as memory: every thread stopped with ptrace while reading.

:class:`StoppedProcess` attaches to each thread, reads ``/proc/PID/mem``, and
detaches on close, so the process goes on exactly as before.  gomap never
writes to it.
"""

import ctypes
import errno
import os
import struct
import time
import io
from typing import List, Literal, Optional

from ..binary import GoBinary, build_notes, note_text
from ..errors import (GomapError, NotPermitted, TargetGone, UnreadableMemory, UsageError,
                      WrongExecutable)
from ..memory import Memory

DENIED = (errno.EACCES, errno.EPERM)

PTRACE_ATTACH = 16
PTRACE_DETACH = 17
PTRACE_GETREGS = 12
# struct user_regs_struct of linux/amd64, in order.
USER_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
             "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
             "gs_base", "ds", "es", "fs", "gs")
WALL = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs: no /proc entry, or a zombie waiting to be reaped
    (a process killed while stopped keeps its /proc entry, but its memory is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return True
    end = stat.rfind(b")")
    return stat[end + 2:end + 3] in (b"Z", b"X")


def _reap(tids, wait=2.0):
    """Collect traced threads that died while stopped (PTRACE_DETACH gave ESRCH).

    Until its tracer waits for it, a dead tracee stays a zombie that its parent
    cannot reap: a program killed during a dump would hang whoever waits for it
    for as long as gomap runs.  The thread group leader can only be collected
    after the other threads, hence the rounds."""
    left = set(tids)
    deadline = time.monotonic() + wait
    while left and time.monotonic() < deadline:
        for tid in sorted(left):
            try:
                got, _ = os.waitpid(tid, WALL | os.WNOHANG)
            except ChildProcessError:   # nothing (more) to collect from it
                got = tid
            if got:
                left.discard(tid)
        if left:
            time.sleep(0.005)


_FORCE = ("give its executable with --exe or leave --exe out, or --force-exe to decode "
          "anyway")
CAP_SYS_PTRACE = 19
_SCOPE = {
    1: "kernel.yama.ptrace_scope is 1: only a parent may trace its children without "
       "CAP_SYS_PTRACE",
    2: "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace",
    3: "kernel.yama.ptrace_scope is 3: no process may trace another until the next boot",
}


def _status(pid):
    """{field: value} of /proc/PID/status ('self' for gomap), {} if unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return {}


def why_denied(pid: int) -> str:
    """Why the kernel does not let gomap trace or read ``pid``, as far as /proc
    tells: Yama's ptrace_scope, another user, capabilities the process holds that
    gomap does not.  Ends with what to do; one line."""
    ours, theirs = _status("self"), _status(pid)
    tracer = theirs.get("TracerPid", "0").strip()
    if tracer not in ("0", str(os.getpid())):
        try:
            with open(f"/proc/{tracer}/comm") as f:
                who = f"{f.read().strip()}, pid {tracer}"
        except OSError:
            who = f"pid {tracer}"
        return (f"another process ({who}) traces it, a debugger perhaps, and a process "
                f"has one tracer at a time; detach it first (gdb: 'detach')")
    caps = int(ours.get("CapEff", "0"), 16)
    privileged = bool(caps >> CAP_SYS_PTRACE & 1)
    reasons = []
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = int(f.read().strip() or 0)
    except (OSError, ValueError):
        scope = 0
    if scope >= 3 or (scope == 2 and not privileged) or (scope == 1 and not privileged):
        reasons.append(_SCOPE[scope])
    uid = os.geteuid()
    their_uids = {int(u) for u in theirs.get("Uid", "").split()[:2] if u.isdigit()}
    if their_uids and their_uids != {uid}:
        reasons.append(f"it runs as uid {'/'.join(map(str, sorted(their_uids)))} and gomap "
                       f"as uid {uid}")
    if not privileged:
        reasons.append("gomap lacks CAP_SYS_PTRACE")
    extra = int(theirs.get("CapPrm", "0"), 16) & ~int(ours.get("CapPrm", "0"), 16)
    if extra:
        reasons.append(f"it holds capabilities gomap does not (CapPrm bits {extra:#x})")
    if not reasons:
        reasons.append("it may be non-dumpable (setuid, prctl) or a security module "
                       "(SELinux, AppArmor) or container may forbid it")
    do = ("set kernel.yama.ptrace_scope to 0 (sysctl) or run gomap as root"
          if scope in (1, 2) else "run gomap as the process's user or as root"
          + (", with the capabilities the process holds" if extra else ""))
    if scope >= 3:
        do = "reboot with kernel.yama.ptrace_scope below 3"
    return f"{'; '.join(reasons)}; {do}"


def not_permitted(pid: int, what: str) -> NotPermitted:
    """The NotPermitted error for ``what`` (e.g. 'read /proc/N/exe') on ``pid``."""
    return NotPermitted(f"process {pid} runs, but gomap is not permitted to {what}: "
                        f"{why_denied(pid)}")


def _ptrace(req, tid):
    if _libc.ptrace(req, tid, None, None) == -1:
        return ctypes.get_errno()
    return 0


def _notes_of(f):
    """The build-ID notes of an opened ELF file, or None if it does not parse."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    try:
        return build_notes(ELFFile(f))
    except (ELFError, ValueError, struct.error, EOFError):
        return None


class StoppedProcess(Memory):
    """Use as a context manager: attach, read, detach."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._attached: List[int] = []
        self._mem: Optional[io.FileIO] = None

    def _proc_error(self, name, exc):
        """The error for a failed access to /proc/PID/NAME: not permitted, or gone."""
        if exc.errno in DENIED:
            return not_permitted(self.pid, f"read /proc/{self.pid}/{name}")
        if process_gone(self.pid):
            return TargetGone(self.pid, "no such process")
        if name == "exe" and exc.errno == errno.ENOENT:
            return GomapError(f"process {self.pid} has no executable file (a kernel "
                              f"thread?); it is not a Go program")
        return GomapError(f"cannot read /proc/{self.pid}/{name}: {exc.strerror}")

    def exe_path(self) -> str:
        """The path of the process's executable, as /proc/PID/exe names it."""
        try:
            path = os.readlink(f"/proc/{self.pid}/exe")
        except OSError as exc:
            raise self._proc_error("exe", exc) from exc
        if path.endswith(" (deleted)"):
            raise WrongExecutable(
                f"the executable of process {self.pid} was deleted or replaced since it "
                f"started ({path})",
                f"save the one it runs (cp /proc/{self.pid}/exe FILE) and give it with "
                f"--exe FILE")
        return path

    def check_executable(self, binary: GoBinary) -> bool:
        """Refuse ``binary`` (WrongExecutable) unless it is the program the process
        runs: the same file as /proc/PID/exe, or one with the same build-ID notes.
        Returns False when /proc/PID/exe could not be read: then call
        :meth:`check_executable_in_memory` once attached."""
        exe = f"/proc/{self.pid}/exe"
        try:
            theirs = os.stat(exe)
            with open(exe, "rb") as f:
                if (theirs.st_dev, theirs.st_ino) == binary.file_identity():
                    return True
                notes = _notes_of(f)
        except OSError as exc:
            if exc.errno in DENIED:
                return False
            raise self._proc_error("exe", exc) from exc
        if notes is None:
            return False
        ours = binary.build_notes()
        common = [n for n in ours if n in notes]
        if not common:
            return False
        if all(ours[n][1] == notes[n][1] for n in common):
            return True
        name = common[0]
        try:
            runs = os.readlink(exe)
        except OSError:
            runs = exe
        raise WrongExecutable(
            f"process {self.pid} runs {runs} (build ID {note_text(name, notes[name][1])}), "
            f"not {binary.path} (build ID {note_text(name, ours[name][1])})", _FORCE)

    def check_executable_in_memory(self, binary: GoBinary) -> None:
        """The same check from the process's memory (attached): the build-ID notes
        where ``binary`` puts them must hold its own."""
        def read(addr, n):
            try:
                return self.read(addr, n)
            except UnreadableMemory:
                # A fixed-address executable must have its note there; a PIE may be
                # loaded elsewhere, and then there is nothing to compare.
                return b"" if binary.elf["e_type"] == "ET_EXEC" else None

        bad = binary.note_mismatch(read)
        if bad is not None:
            name, addr, want, got = bad
            found = "nothing" if not got else f"build ID {note_text(name, got)}"
            raise WrongExecutable(
                f"process {self.pid} does not run {binary.path}: where that executable has "
                f"its build ID {note_text(name, want)} (at {addr:#x}) the process has "
                f"{found}", _FORCE)

    def _unattached_threads(self):
        """Every thread not attached yet, listed again until a listing finds no new
        one: a thread started while gomap attaches to the others is stopped too."""
        seen = set()
        while True:
            fresh = sorted(int(t) for t in os.listdir(f"/proc/{self.pid}/task")
                           if int(t) not in seen)
            if not fresh:
                return
            for tid in fresh:
                seen.add(tid)
                yield tid

    def __enter__(self) -> "StoppedProcess":
        if process_gone(self.pid):
            raise TargetGone(self.pid, "no such process")
        try:
            for tid in self._unattached_threads():
                err = _ptrace(PTRACE_ATTACH, tid)
                if err == errno.ESRCH:
                    continue  # the thread exited meanwhile
                if err and process_gone(self.pid):
                    raise TargetGone(self.pid, "it exited while gomap attached")
                if err in DENIED:
                    raise not_permitted(self.pid, "attach to it with ptrace")
                if err:
                    raise GomapError(f"ptrace cannot attach to process {self.pid}: "
                                     f"{os.strerror(err)}")
                self._attached.append(tid)
                os.waitpid(tid, WALL)
            try:
                self._mem = open(f"/proc/{self.pid}/mem", "rb", buffering=0)
            except PermissionError as exc:
                raise self._proc_error("mem", exc) from exc
        except FileNotFoundError as exc:
            self.__exit__(None, None, None)
            raise TargetGone(self.pid, "it exited while gomap attached") from exc
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        if self._mem is not None:
            self._mem.close()
            self._mem = None
        dead = [tid for tid in self._attached if _ptrace(PTRACE_DETACH, tid) == errno.ESRCH]
        self._attached = []
        if dead:
            _reap(dead)
        return False

    def thread_registers(self):
        """{tid: {register: value}} of every attached (stopped) thread, read with
        PTRACE_GETREGS (read-only: nothing is written to the process)."""
        out = {}
        for tid in self._attached:
            buf = (ctypes.c_ulonglong * len(USER_REGS))()
            if _libc.ptrace(PTRACE_GETREGS, tid, None, ctypes.addressof(buf)) == -1:
                continue
            out[tid] = dict(zip(USER_REGS, buf))
        return out

    def read(self, addr: int, size: int) -> bytes:
        if size == 0:
            return b""
        if self._mem is None:
            raise UsageError(f"process {self.pid} is read only while attached: use the "
                             f"StoppedProcess in a with block")
        try:
            self._mem.seek(addr)
            data = self._mem.read(size)
        except (OSError, OverflowError, ValueError) as exc:
            if process_gone(self.pid):
                raise TargetGone(self.pid, "it exited during the read") from exc
            raise UnreadableMemory(addr, size, getattr(exc, "strerror", None) or str(exc)) \
                from exc
        if data is None or len(data) != size:
            if process_gone(self.pid):
                raise TargetGone(self.pid, "it exited during the read")
            raise UnreadableMemory(addr, size, "short read")
        return data
