"""A live process as memory: every thread stopped with ptrace while reading.

:class:`StoppedProcess` attaches to each thread, reads ``/proc/PID/mem``, and
detaches on close, so the process goes on exactly as before.  gomap never
writes to it.
"""

import ctypes
import errno
import os
import time

from ..errors import GomapError, TargetGone, UnreadableMemory
from ..memory import Memory

PTRACE_ATTACH = 16
PTRACE_DETACH = 17
WALL = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def process_gone(pid):
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


def _ptrace(req, tid):
    if _libc.ptrace(req, tid, None, None) == -1:
        return ctypes.get_errno()
    return 0


class StoppedProcess(Memory):
    """Use as a context manager: attach, read, detach."""

    def __init__(self, pid):
        self.pid = pid
        self._attached = []
        self._mem = None

    def exe_path(self):
        try:
            return os.readlink(f"/proc/{self.pid}/exe")
        except OSError as exc:
            raise TargetGone(self.pid, exc.strerror) from exc

    def __enter__(self):
        if process_gone(self.pid):
            raise TargetGone(self.pid, "no such process")
        try:
            for tid in sorted(int(t) for t in os.listdir(f"/proc/{self.pid}/task")):
                err = _ptrace(PTRACE_ATTACH, tid)
                if err == errno.ESRCH:
                    continue  # the thread exited meanwhile
                if err and process_gone(self.pid):
                    raise TargetGone(self.pid, "it exited while gomap attached")
                if err:
                    raise GomapError(
                        f"ptrace may not attach to process {self.pid} "
                        f"({os.strerror(err)}); run as the same user or root, or set "
                        f"/proc/sys/kernel/yama/ptrace_scope to 0")
                self._attached.append(tid)
                os.waitpid(tid, WALL)
            self._mem = open(f"/proc/{self.pid}/mem", "rb", buffering=0)
        except FileNotFoundError as exc:
            self.__exit__(None, None, None)
            raise TargetGone(self.pid, "it exited while gomap attached") from exc
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self._mem is not None:
            self._mem.close()
            self._mem = None
        dead = [tid for tid in self._attached if _ptrace(PTRACE_DETACH, tid) == errno.ESRCH]
        self._attached = []
        if dead:
            _reap(dead)
        return False

    def read(self, addr, size):
        if size == 0:
            return b""
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
