"""Recorded memory: capture what a decode reads, serve it again without the target.

:class:`RecordingMemory` wraps any backend and keeps every region it read.
:class:`ReplayMemory` serves reads from such regions and raises
:class:`~gdb_gomap.errors.NotRecorded` for anything else, so a decode of
the same map through it reads exactly what it read from the live process.
Bytes can be patched over a replay (``ReplayMemory.patched``) to see what a
decoder makes of corrupt memory; the recorded regions are never changed.

A recording is saved as gzip-compressed JSON with the bytes in base64::

    {"format": "gomap-replay/1", "meta": {...},
     "regions": [{"addr": 824633795072, "data": "<base64>"}, ...]}
"""

import base64
import bisect
import gzip
import json

from .errors import GomapError, NotRecorded, UnreadableMemory
from .memory import Memory

FORMAT = "gomap-replay/1"


class RecordingMemory(Memory):
    """Reads through ``inner`` and records every region that was read."""

    def __init__(self, inner):
        self.inner = inner
        self._reads = []   # (addr, bytes), in read order; merged by regions()

    def read(self, addr, size):
        data = self.inner.read(addr, size)
        if size:
            self._reads.append((addr, bytes(data)))
        return data

    def regions(self):
        """The recorded bytes as sorted, disjoint ``(addr, bytes)`` regions.

        Overlapping and touching reads are merged into one region."""
        return merge_regions(self._reads)

    def save(self, path, meta=None):
        save(path, self.regions(), meta)


def merge_regions(reads):
    """Sorted, disjoint (addr, bytes) from (addr, bytes) pieces that may overlap."""
    out = []
    for addr, data in sorted(reads, key=lambda r: (r[0], -len(r[1]))):
        if out and addr <= out[-1][0] + len(out[-1][1]):
            start, buf = out[-1]
            end = addr + len(data)
            if end > start + len(buf):
                buf.extend(data[start + len(buf) - addr:])
            continue
        out.append((addr, bytearray(data)))
    return [(a, bytes(b)) for a, b in out]


class ReplayMemory(Memory):
    """Memory made of recorded regions; reads elsewhere raise UnreadableMemory.

    ``patches`` (addr -> bytes) are laid over the regions; a patch only
    changes bytes inside recorded regions.
    """

    def __init__(self, regions, patches=None):
        regions = merge_regions(regions)
        self._starts = [a for a, _ in regions]
        self._data = [d for _, d in regions]
        self._patches = sorted((patches or {}).items())

    @property
    def regions(self):
        return list(zip(self._starts, self._data))

    def patched(self, patches):
        """A new ReplayMemory over the same regions with ``patches`` (addr -> bytes) laid on."""
        new = ReplayMemory.__new__(ReplayMemory)
        new._starts, new._data = self._starts, self._data
        new._patches = sorted({**dict(self._patches), **(patches or {})}.items())
        return new

    def read(self, addr, size):
        if size == 0:
            return b""
        if size < 0 or addr < 0:
            raise UnreadableMemory(addr % (1 << 64), size, "bad range")
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0 or addr + size > self._starts[i] + len(self._data[i]):
            raise NotRecorded(addr, size, "not in the recorded memory")
        off = addr - self._starts[i]
        data = self._data[i][off:off + size]
        if self._patches:
            data = self._apply(addr, size, data)
        return data

    def _apply(self, addr, size, data):
        end = addr + size
        buf = None
        for paddr, pbytes in self._patches:
            if paddr >= end:
                break
            pend = paddr + len(pbytes)
            if pend <= addr:
                continue
            if buf is None:
                buf = bytearray(data)
            lo, hi = max(addr, paddr), min(end, pend)
            buf[lo - addr:hi - addr] = pbytes[lo - paddr:hi - paddr]
        return data if buf is None else bytes(buf)


def save(path, regions, meta=None):
    """Write ``regions`` (and a JSON-able ``meta``) to ``path`` as gzip'd JSON."""
    doc = {"format": FORMAT, "meta": meta or {},
           "regions": [{"addr": a, "data": base64.b64encode(d).decode("ascii")}
                       for a, d in merge_regions(regions)]}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as f:
        json.dump(doc, f)


def load(path):
    """(ReplayMemory, meta) from a file written by :func:`save`."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError, EOFError) as exc:
        raise GomapError(f"cannot read the memory recording {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GomapError(f"{path} is not a gomap memory recording ({FORMAT})")
    regions = [(r["addr"], base64.b64decode(r["data"])) for r in doc["regions"]]
    return ReplayMemory(regions), doc.get("meta", {})
