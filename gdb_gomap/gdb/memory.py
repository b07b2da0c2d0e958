"""Target memory read through gdb: the live inferior or gdb's core file."""

import gdb  # noqa: F401  (only importable inside gdb)

from ..errors import GomapError, TargetGone, UnreadableMemory
from ..memory import Memory


class GdbMemory(Memory):
    """Reads with ``Inferior.read_memory``; never writes."""

    def __init__(self, inferior):
        self.inferior = inferior

    def read(self, addr, size):
        if size == 0:
            return b""
        if addr < 0 or addr + size > (1 << 64):
            raise UnreadableMemory(addr & ((1 << 64) - 1), size, "address out of range")
        try:
            return self.inferior.read_memory(addr, size).tobytes()
        except gdb.MemoryError as exc:
            if self._process_gone():
                raise TargetGone(self.inferior.pid, "it exited during the read") from exc
            raise UnreadableMemory(addr, size, str(exc)) from exc
        except gdb.error as exc:
            msg = str(exc)
            if "No process" in msg or "not running" in msg or "process" in msg.lower():
                raise TargetGone(self.inferior.pid, msg) from exc
            raise GomapError(f"gdb could not read {size} bytes at {addr:#x}: {msg}") from exc

    def _process_gone(self):
        """True when the live process gdb debugs was killed under it (not for a core)."""
        conn = getattr(self.inferior, "connection", None)
        if not self.inferior.pid or conn is None or conn.type != "native":
            return False
        from ..backends.process import process_gone
        return process_gone(self.inferior.pid)
