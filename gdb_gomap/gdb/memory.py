"""Target memory read through gdb: the live inferior or gdb's core file."""

import gdb  # noqa: F401  (only importable inside gdb)

from ..errors import GomapError, TargetGone, UnreadableMemory
from ..memory import Memory


class GdbMemory(Memory):
    """Reads with ``Inferior.read_memory``; never writes."""

    def __init__(self, inferior: "gdb.Inferior") -> None:
        self.inferior = inferior

    def read(self, addr: int, size: int) -> bytes:
        return self._membuf(addr, size).tobytes() if size else b""

    def read_buffer(self, addr: int, size: int) -> "memoryview | bytes":
        """gdb's own buffer of the bytes, without read()'s copy."""
        return memoryview(self._membuf(addr, size)) if size else b""

    def _membuf(self, addr: int, size: int) -> "gdb.Membuf":
        if addr < 0 or addr + size > (1 << 64):
            raise UnreadableMemory(addr & ((1 << 64) - 1), size, "address out of range")
        pid = self.inferior.pid
        try:
            return self.inferior.read_memory(addr, size)
        except gdb.MemoryError as exc:
            if self._process_gone(pid):
                raise TargetGone(pid, "it exited during the read") from exc
            raise UnreadableMemory(addr, size, str(exc)) from exc
        except gdb.error as exc:
            if self._process_gone(pid):
                raise TargetGone(pid, str(exc)) from exc
            raise GomapError(f"gdb could not read {size} bytes at {addr:#x}: {exc}") from exc

    def _process_gone(self, pid: int) -> bool:
        """True when the process gdb debugged (``pid`` when the read began) is gone:
        gdb's inferior has no process or no thread left, or (a native live process)
        the kernel says it was killed under gdb.  Never for a core file: its pid and
        threads stay while it is loaded."""
        inf = self.inferior
        if not pid:
            return False   # no process when the read began: gdb read the executable
        if not inf.is_valid() or inf.pid == 0 or not inf.threads():
            return True
        conn = getattr(inf, "connection", None)
        if conn is None or conn.type != "native":
            return False
        from ..backends.process import process_gone
        return process_gone(pid)
