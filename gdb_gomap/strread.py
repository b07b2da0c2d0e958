"""Go strings read in bulk: many (pointer, length) headers in a few reads.

:func:`decode_strings` is how the decoders turn the string keys and elems of
a whole map into Python strings (or bytes, for the JSON fast path) without a
memory read, nor any Python bytecode, per string.
"""

from itertools import repeat
from operator import add, itemgetter, rshift, sub
from typing import Any, Callable, List, Optional, Tuple

from .arch import AMD64, Arch
from .errors import UnreadableMemory
from .memory import Memory
from .values import GoStr, Unreadable

BLOCK_SHIFT = 16          # strings are read in 64 KiB blocks ...
RUN_BLOCKS = 256          # ... merged into runs of at most 16 MiB


def _read_runs(mem, blocks, margin):
    """{block: (bytes, start)} for runs of neighbouring blocks, each read with
    ``margin`` extra bytes so that a string starting in the run ends inside it.
    A run that cannot be read with its margin is left out (its strings are
    read one by one)."""
    shift = BLOCK_SHIFT
    where = {}
    i = 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and blocks[j] == blocks[j - 1] + 1 and j - i < RUN_BLOCKS:
            j += 1
        start = blocks[i] << shift
        try:
            run = (mem.read(start, ((j - i) << shift) + margin), start)
        except UnreadableMemory:
            run = None
        if run is not None:
            for b in blocks[i:j]:
                where[b] = run
        i = j
    return where


STRING_CHUNK = 1 << 16    # strings sliced per itemgetter call (bounds the slice objects alive)
DENSE_FACTOR = 4          # one read of [lowest, highest string] when it is at most this many
DENSE_FLOOR = 64 << 20    # times the string bytes, or at most 64 MiB
SPARSE_FACTOR = 32        # blocks worth more than this many times the string bytes ...
SPARSE_FLOOR = 64 << 20   # ... and more than 64 MiB: strings are read one by one instead
BULK_MAX = 256 << 20      # never more than this in one bulk buffer (corrupt pointers)


def decode_strings(mem: Memory, ptrs: List[int], lens: List[int], max_string: int,
                   warn: Callable[[str], None], as_bytes: bool = False,
                   cache: Optional[dict] = None,
                   arch: Arch = AMD64) -> Tuple[List[Any], bool]:
    """Decode many Go strings, given as parallel lists of data pointers and lengths
    (lengths as the target's unsigned words: ``arch`` says how wide, and where
    user addresses end).

    The string data is read in bulk and laid in one bytes object ``data``:
    the whole address range from the lowest to the highest string when that
    range is dense, else the 64 KiB blocks holding string starts, read as runs
    of neighbouring blocks and laid end to end.  Every string is then a slice
    of ``data``; the offsets, the slicing and the UTF-8 decoding run in C
    (``map`` and ``itemgetter``), with no Python bytecode per string.
    Invalid UTF-8 is kept with surrogateescape.  Strings whose data could not
    be read in bulk, strings longer than ``max_string`` and bad headers take
    the slow path.  Returns (strings, clean); clean is False if any string
    came back Unreadable.  With ``as_bytes`` the strings stay bytes, except
    the ones cut at ``max_string`` (a GoStr) and the unreadable ones.

    ``cache`` (a dict kept by the caller between calls) keeps the blocks read,
    up to CACHE_MAX bytes, for the next call: a streamed decode calls this
    once per batch of entries, whose strings lie all over the same heap range,
    and would otherwise read that range again for every batch.
    """
    n = len(ptrs)
    if not n:
        return [], True
    optrs, olens = ptrs, lens   # as given, for the slow path
    slow = []
    top = arch.user_top
    if min(ptrs) < 4096 or max(ptrs) >= top or max(lens) > max_string:
        slow = [i for i, (p, ln) in enumerate(zip(ptrs, lens))
                if not 4096 <= p < top or ln > max_string]
        if len(slow) == n:
            return _slow_strings(mem, ptrs, lens, slow, [None] * n, max_string, warn,
                                 as_bytes, arch)
        ptrs, lens = list(ptrs), list(lens)
        bad = set(slow)
        good = ptrs[next(i for i in range(n) if i not in bad)]
        for i in slow:   # an empty slice for now, decoded one by one below
            ptrs[i], lens[i] = good, 0
    data, where = _bulk_data(mem, ptrs, lens, max_string, cache)
    missing = []
    out = []
    for c in range(0, n, STRING_CHUNK):
        pc, lc = ptrs[c:c + STRING_CHUNK], lens[c:c + STRING_CHUNK]
        st = where(pc)
        if None in st:   # strings in blocks that could not be read: slow path
            for j, o in enumerate(st):
                if o is None:
                    missing.append(c + j)
                    st[j], lc[j] = 0, 0
        got = itemgetter(*map(slice, st, map(add, st, lc)), slice(0, 0))(data)
        if as_bytes:
            out.extend(got[:-1])
            continue
        try:
            text = list(map(bytes.decode, got[:-1]))
        except UnicodeDecodeError:   # invalid UTF-8 in this chunk: keep the bytes
            text = [b.decode("utf-8", "surrogateescape") for b in got[:-1]]
        out.extend(text)
    del data
    if missing:
        slow = sorted({*slow, *missing})
    if not slow:
        return out, True
    return _slow_strings(mem, optrs, olens, slow, out, max_string, warn, as_bytes, arch)


def _bulk_data(mem, ptrs, lens, max_string, cache=None):
    """Read the data of every string into one buffer.

    Returns (data, where): ``where(pointers)`` gives the list of their
    offsets in ``data`` (None for one whose data could not be read).  The
    offsets are made a chunk at a time: for millions of strings, a list of
    them all would cost more memory than the string data."""
    n = len(ptrs)
    lo, hi, total = min(ptrs), max(ptrs), sum(lens)
    margin = max(lens)
    span = hi - lo + margin
    if cache is not None:
        need = set(map(rshift, ptrs, repeat(BLOCK_SHIFT, n)))
        fresh = len(need - cache.get("delta", {}).keys())
        # Worth keeping: blocks shared by many strings (this batch's and the next ones')
        if fresh << BLOCK_SHIFT <= CACHE_MAX and fresh * CACHE_DENSITY <= n:
            return _cached_blocks(mem, need, min(margin, max_string), cache)
    if span <= BULK_MAX and (span <= DENSE_FLOOR or span <= DENSE_FACTOR * total):
        try:
            data = mem.read(lo, span)
        except UnreadableMemory:   # a hole in the range: read it block by block
            pass
        else:
            return _as_bytes(data), lambda pc: list(map(sub, pc, repeat(lo, len(pc))))
    blocks = sorted(set(map(rshift, ptrs, repeat(BLOCK_SHIFT, n))))
    size = len(blocks) << BLOCK_SHIFT
    if size > BULK_MAX or size > max(SPARSE_FLOOR, SPARSE_FACTOR * total):
        blocks = []   # strings scattered over a huge heap: read them one by one
    data, delta = _runs_data(mem, blocks, min(margin, max_string))
    return data, _where(delta)


def _where(delta):
    """``where`` for data laid out by blocks: ``delta[block]`` is what to add to a
    pointer into that block."""
    def where(pc):
        try:   # one pass in C: pointer + what its block adds
            return list(map(add, pc, map(delta.__getitem__,
                                         map(rshift, pc, repeat(BLOCK_SHIFT, len(pc))))))
        except KeyError:   # some blocks could not be read
            get = delta.get
            return [None if (d := get(p >> BLOCK_SHIFT)) is None else p + d for p in pc]

    return where


CACHE_MAX = 128 << 20     # bytes of string blocks a cache keeps between calls
CACHE_DENSITY = 8         # strings per new block, at least, for the cache to read it


def _cached_blocks(mem, need, margin, cache):
    """_bulk_data's block path for the blocks ``need`` (a set), with the blocks of
    earlier calls kept in ``cache`` (``data``: the runs read so far end to end,
    ``delta``: per block what to add to a pointer, ``margin``: the bytes read past
    each run, which a string starting in it may not outgrow)."""
    fresh = len(need - cache.get("delta", {}).keys()) << BLOCK_SHIFT
    if margin > cache.get("margin", margin) or \
            len(cache.get("data", b"")) + fresh > CACHE_MAX:
        cache.clear()   # a longer string, or a heap larger than the cache: start again
    cache["margin"] = margin = cache.get("margin", margin)
    delta = cache.get("delta", {})
    failed = cache.setdefault("failed", set())   # runs that could not be read: not again
    missing = sorted(need - delta.keys() - failed)
    if missing:
        new, new_delta = _runs_data(mem, missing, margin)
        failed.update(b for b in missing if b not in new_delta)
        old = cache.get("data", b"")
        cache["data"] = old + new if old else new
        shift = len(old)
        delta = dict(delta)
        for b, d in new_delta.items():
            delta[b] = d + shift
        cache["delta"] = delta
    return cache["data"], _where(delta)


def _as_bytes(data):
    return data if type(data) is bytes else bytes(data)


def _runs_data(mem, blocks, margin):
    """(data, delta): the runs of ``blocks`` end to end, and for each block
    read, what to add to a pointer into it to index ``data``."""
    pieces, delta, pos = [], {}, 0
    seen = {}
    for b, run in _read_runs(mem, blocks, margin).items():
        key = id(run[0])
        if key not in seen:
            seen[key] = pos - run[1]
            pieces.append(run[0])
            pos += len(run[0])
        delta[b] = seen[key]
    return b"".join(pieces), delta


def _slow_strings(mem, ptrs, lens, idx, out, max_string, warn, as_bytes=False, arch=AMD64):
    """Decode the strings at indexes ``idx`` of ``ptrs``/``lens`` into ``out``,
    with one batch of coalesced reads."""
    clean = True
    cut = 0
    reqs = []
    sign = 1 << (8 * arch.ptr - 1)   # a length at or above it is negative
    for i in idx:
        p, ln = ptrs[i], lens[i]
        if ln == 0:
            out[i] = b"" if as_bytes else ""
        elif ln >= sign or not arch.plausible(p):
            out[i] = Unreadable(p, f"bad string header (ptr={p:#x}, len="
                                   f"{ln - 2 * sign if ln >= sign else ln})")
            clean = False
        else:
            reqs.append((i, p, ln))
    got = mem.read_many([(p, min(ln, max_string)) for _, p, ln in reqs]) if reqs else []
    for (i, p, ln), data in zip(reqs, got):
        if isinstance(data, Exception):
            out[i] = Unreadable(p, str(data))
            clean = False
            continue
        if as_bytes and ln <= max_string:
            out[i] = data
            continue
        text = data.decode("utf-8", "surrogateescape")
        if ln > max_string:
            text = GoStr(text)
            text.full_len = ln
            cut += 1
        out[i] = text
    if cut:
        warn(f"{cut} strings longer than {max_string} bytes are cut; raise --max-string "
             f"to see them whole")
    return out, clean


