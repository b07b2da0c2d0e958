"""Target memory read through Delve's ExamineMemory, for the core decoders."""

from gdb_gomap.errors import UnreadableMemory
from gdb_gomap.memory import Memory

from .rpc import EXAMINE_LIMIT


class DelveMemory(Memory):
    """``read(addr, size)`` as ExamineMemory calls of at most 64 KiB each.

    Delve refuses longer reads (``rpc2.ExamineMemoryLengthLimit``), so a big
    read becomes several calls; they are pipelined on the one connection.
    Works the same on a live process and on a core file opened by dlv.
    """

    def __init__(self, client, chunk=EXAMINE_LIMIT):
        self.client = client
        self.chunk = min(chunk, EXAMINE_LIMIT)

    def read(self, addr, size):
        if size <= 0:
            return b""
        if addr < 0 or addr + size > 1 << 64:
            raise UnreadableMemory(addr & ((1 << 64) - 1), size, "outside the address space")
        ranges = [(a, min(self.chunk, addr + size - a)) for a in range(addr, addr + size,
                                                                         self.chunk)]
        parts = self.client.examine_many(ranges)
        for (a, n), part in zip(ranges, parts):
            if isinstance(part, str):
                raise UnreadableMemory(addr, size, f"dlv: {part}" if a == addr else
                                       f"dlv could read {a - addr} bytes, then: {part}")
            if len(part) != n:
                raise UnreadableMemory(addr, size, f"dlv returned {len(part)} of {n} bytes "
                                       f"at {a:#x}")
        return parts[0] if len(parts) == 1 else b"".join(parts)
