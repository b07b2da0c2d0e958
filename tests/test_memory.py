"""The batched reads of gdb_gomap.memory over a plain buffer with holes: gather hands
back exactly the bytes each request names, in order, with the unreadable ones
marked, and BlockCache.view points into its block.  And the summaries' counting
helpers of gdb_gomap.slab against plain loops."""

import random

import pytest

from gdb_gomap.errors import UnreadableMemory
from gdb_gomap.memory import BlockCache, Memory
from gdb_gomap.slab import count_value, live_per_record, ones

pytestmark = pytest.mark.fast

BASE = 0x10000


class Buffer(Memory):
    """Memory over one bytes object at BASE, unreadable in the ``holes``."""

    def __init__(self, data, holes=()):
        self.data, self.holes, self.reads = data, holes, 0

    def read(self, addr, size):
        self.reads += 1
        end = addr + size
        if addr < BASE or end > BASE + len(self.data) or \
                any(lo < end and addr < hi for lo, hi in self.holes):
            raise UnreadableMemory(addr, size, "hole")
        return self.data[addr - BASE:end - BASE]


@pytest.mark.parametrize("seed", range(20))
def test_gather_equals_one_read_per_block(seed):
    rng = random.Random(seed)
    data = rng.randbytes(1 << 16)
    size = rng.choice((8, 16, 144))
    holes = [(BASE + 4000, BASE + 4100)] if seed % 2 else []
    mem = Buffer(data, holes)
    # adjacent runs, gaps, overlaps and a block past the end
    addrs = sorted({BASE + rng.randrange(0, len(data) - size + 64) for _ in range(200)}
                   | {BASE + 1000 + k * size for k in range(30)})
    got, ok = mem.gather(addrs, size, gap=512)
    want, flags = bytearray(), bytearray()
    for a in addrs:
        try:
            want += Buffer(data, holes).read(a, size)
            flags.append(1)
        except UnreadableMemory:
            flags.append(0)
    assert got == bytes(want) and ok == flags
    assert 0 < mem.reads < len(addrs) + sum(1 for f in flags if not f) + 1


def test_block_cache_view_points_into_its_block():
    data = bytes(range(256)) * 1024
    cache = BlockCache(Buffer(data), block=1 << 12, blocks=4)
    cache.read(BASE + 100, 8)                       # fills the block
    buf, off = cache.view(BASE + 200, 16)
    assert bytes(buf[off:off + 16]) == data[200:216] and len(buf) == 1 << 12
    buf, off = cache.view(BASE + 4090, 16)          # crosses a block: a read
    assert (buf, off) == (data[4090:4106], 0)


@pytest.mark.parametrize("seed", range(50))
def test_counting_helpers_equal_plain_loops(seed):
    rng = random.Random(seed)
    n = rng.randrange(1, 4000)
    density = rng.random()
    flags = bytes(1 if rng.random() < density else 0 for _ in range(8 * n))
    assert live_per_record(flags) == bytes(sum(flags[i:i + 8]) for i in range(0, 8 * n, 8))
    assert ones(flags) == sum(flags)
    tags = bytes(rng.choice((0, 1, 0xFE, 0x80, rng.randrange(256))) for _ in range(n))
    for v in (0, 1, 0xFE, 0x80):
        want = sum(1 for t in tags if t == v)
        assert count_value(tags, v, n) == want == count_value(tags, v, want)


@pytest.mark.parametrize("count", [1, 7, 5000])
def test_gather_of_one_run_of_adjacent_blocks(count):
    data = random.Random(count).randbytes(200_000)
    mem = Buffer(data)
    addrs = [BASE + 64 + k * 24 for k in range(count)]
    got, ok = mem.gather(addrs, 24)
    assert got == data[64:64 + 24 * count] and ok == b"\x01" * count
    assert mem.reads == 1
