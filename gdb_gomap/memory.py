"""Where bytes come from: the ``Memory`` protocol and wrappers over it.

A backend implements ``read(addr, size) -> bytes`` and raises
:class:`~gdb_gomap.errors.UnreadableMemory` (or a subclass) when it cannot.
Everything else here is built on that one method: batched reads that coalesce
neighbouring ranges, and a small cache for repeated reads of the same objects.
"""

from bisect import bisect_right
from typing import Dict, List, Sequence, Tuple, Union

from .errors import UnreadableMemory

# Two requests closer than this are served by one read of the span between them.
COALESCE_GAP = 4096
# A coalesced read never grows past this many bytes.
COALESCE_MAX = 1 << 20


class Memory:
    """Base class of memory backends; subclasses implement :meth:`read`."""

    def read(self, addr: int, size: int) -> bytes:
        """Return exactly ``size`` bytes at ``addr`` or raise UnreadableMemory."""
        raise NotImplementedError

    def read_many(self, requests: Sequence[Tuple[int, int]], gap: int = COALESCE_GAP
                  ) -> List[Union[bytes, UnreadableMemory]]:
        """Read many ``(addr, size)`` ranges; return a list of bytes or exceptions.

        Requests less than ``gap`` bytes apart are served by one read.  A request that
        cannot be read yields its :class:`UnreadableMemory` in its place, so
        one bad pointer never spoils a batch.
        """
        results: List[Union[bytes, UnreadableMemory]] = [b""] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: requests[i][0])
        i = 0
        n = len(order)
        while i < n:
            first = order[i]
            start, size = requests[first]
            end = start + size
            j = i + 1
            while j < n:
                a, s = requests[order[j]]
                if a - end > gap or max(end, a + s) - start > COALESCE_MAX:
                    break
                end = max(end, a + s)
                j += 1
            group = order[i:j]
            try:
                buf = self.read(start, end - start) if end > start else b""
            except UnreadableMemory:
                for k in group:
                    a, s = requests[k]
                    results[k] = self._read_or_error(a, s)
            else:
                for k in group:
                    a, s = requests[k]
                    results[k] = buf[a - start:a - start + s]
            i = j
        return results

    def view(self, addr: int, size: int) -> Tuple[bytes, int]:
        """(buffer, offset): the ``size`` bytes at ``addr`` are ``buffer[offset:offset +
        size]`` (a cache may hand out its block without a copy; here, a read)."""
        return self.read(addr, size), 0

    def read_buffer(self, addr: int, size: int) -> "bytes | memoryview":
        """The ``size`` bytes at ``addr`` as any bytes-like object (a backend may hand
        out its own buffer without the copy ``read`` makes: megabytes of buckets
        read for a count); here, a read."""
        return self.read(addr, size)

    def gather(self, addrs: Sequence[int], size: int, gap: int = COALESCE_GAP
               ) -> Tuple[bytearray, bytearray]:
        """(data, ok) for blocks of ``size`` bytes at ``addrs`` (sorted ascending):
        the readable blocks' bytes one after the other (a bytearray), and per address 1 when its
        block is in ``data``, 0 when it could not be read.  Blocks less than ``gap``
        bytes apart are read together, as by :meth:`read_many`, without a bytes
        object per block."""
        out = bytearray()
        ok = bytearray(len(addrs))
        n, i = len(addrs), 0
        while i < n:
            start = end = addrs[i]
            limit = start + COALESCE_MAX
            # the blocks that fit under the limit; when they are one run of adjacent
            # blocks (the common case) the read is found without a step per block
            j = bisect_right(addrs, limit - size, i, n)
            contiguous = j > i and addrs[j - 1] - start == (j - 1 - i) * size
            if contiguous:
                end = addrs[j - 1] + size
            else:
                j = i
                while j < n:
                    a = addrs[j]
                    if a - end > gap or a + size > limit:
                        break
                    if a + size > end:
                        end = a + size
                    j += 1
            try:
                buf = memoryview(self.read_buffer(start, end - start))
            except UnreadableMemory:
                for k in range(i, j):
                    one = self._read_or_error(addrs[k], size)
                    if not isinstance(one, UnreadableMemory):
                        out += one
                        ok[k] = 1
            else:
                if contiguous:
                    out += buf
                else:
                    # runs of adjacent blocks (common: overflow buckets are handed
                    # out one after another) are copied in one piece
                    run = prev = addrs[i]
                    for a in addrs[i + 1:j]:
                        if a != prev + size:
                            out += buf[run - start:prev + size - start]
                            run = a
                        prev = a
                    out += buf[run - start:prev + size - start]
                ok[i:j] = b"\x01" * (j - i)
                del buf
            i = j
        return out, ok

    def _read_or_error(self, addr: int, size: int) -> Union[bytes, UnreadableMemory]:
        try:
            return self.read(addr, size) if size else b""
        except UnreadableMemory as exc:
            return exc


class CachedMemory(Memory):
    """Keeps whole reads below ``max_cached`` bytes, keyed by (addr, size)."""

    def __init__(self, inner: Memory, max_cached: int = 4096, max_items: int = 100_000) -> None:
        self.inner = inner
        self.max_cached = max_cached
        self.max_items = max_items
        self._cache: Dict[Tuple[int, int], bytes] = {}

    def read(self, addr: int, size: int) -> bytes:
        if size > self.max_cached:
            return self.inner.read(addr, size)
        key = (addr, size)
        data = self._cache.get(key)
        if data is None:
            data = self.inner.read(addr, size)
            if len(self._cache) >= self.max_items:
                self._cache.clear()
            self._cache[key] = data
        return data

    def read_buffer(self, addr: int, size: int) -> "bytes | memoryview":
        if size > self.max_cached:
            return self.inner.read_buffer(addr, size)
        return self.read(addr, size)


class ChunkedMemory(Memory):
    """Splits reads into pieces of at most ``chunk`` bytes (for RPC backends)."""

    def __init__(self, inner: Memory, chunk: int) -> None:
        self.inner = inner
        self.chunk = chunk

    def read(self, addr: int, size: int) -> bytes:
        if size <= self.chunk:
            return self.inner.read(addr, size)
        parts = []
        for off in range(0, size, self.chunk):
            parts.append(self.inner.read(addr + off, min(self.chunk, size - off)))
        return b"".join(parts)


class BlockCache(Memory):
    """Serves small reads from aligned blocks of ``block`` bytes, keeping the last
    ``blocks`` of them: thousands of reads of neighbouring small objects (map
    headers, buckets) become a few large reads.  Only for memory that does not
    change while it is used (a core, a stopped process).  A read that crosses a
    block boundary, or whose block is not readable whole, goes to ``inner``."""

    def __init__(self, inner: Memory, block: int = 1 << 16, blocks: int = 512) -> None:
        if block & (block - 1):
            raise ValueError("block must be a power of two")
        self.inner = inner
        self.block = block
        self.blocks = blocks
        self._cache: Dict[int, bytes] = {}

    def view(self, addr: int, size: int) -> Tuple[bytes, int]:
        """(buffer, offset): the ``size`` bytes at ``addr`` are ``buffer[offset:offset +
        size]``, without a copy when they lie in one cached block."""
        off = addr & (self.block - 1)
        if 0 < size and off + size <= self.block:
            data = self._cache.get(addr - off)
            if data:
                return data, off
        return self.read(addr, size), 0

    def read(self, addr: int, size: int) -> bytes:
        off = addr & (self.block - 1)
        if size <= 0 or off + size > self.block:
            return self.inner.read(addr, size)
        base = addr - off
        data = self._cache.get(base)
        if data is None:
            try:
                data = self.inner.read(base, self.block)
            except UnreadableMemory:
                data = b""              # not readable whole: this block's reads go direct
            if len(self._cache) >= self.blocks:
                del self._cache[next(iter(self._cache))]
            self._cache[base] = data
        if not data:
            return self.inner.read(addr, size)
        return data[off:off + size]
