"""An ELF core file as memory, spliced over the executable's own segments.

A read is served by the core's PT_LOAD segment that covers it.  Bytes the core
does not hold come from the executable's PT_LOAD segments, in two cases only:

- the core lists the memory but holds none of its bytes (the kernel writes a
  PT_LOAD with ``p_filesz`` 0 for a file mapping nobody wrote to): the file's
  bytes are what the process had;
- the core does not list the memory at all (gcore leaves read-only file
  mappings such as ``.rodata`` out), and the executable maps it read-only.
  A writable segment of the executable (``.data``, ``.bss``) holds only its
  initial values there, so such a read fails instead of answering wrong.

The ELF header and the program headers are read here, not by pyelftools, and
checked before any memory is: the file must be a regular file; the core and
the executable must agree on class, byte order and machine; the program
headers must lie inside the file, and the PT_LOAD segments must be possible
(``p_filesz`` ≤ ``p_memsz``, inside the address space) and must not overlap.
A core whose copy of the executable's build-ID notes differs from the
executable's is refused (``force_exe`` decodes it anyway, with a warning).
"""

import bisect
import mmap
import os
import struct
from typing import List

from ..binary import GoBinary, elf_kind, note_text
from ..errors import (BadCoreFile, NotInCore, ShortRead, UnreadableMemory,
                      WrongExecutable)
from ..files import open_regular
from ..memory import Memory

CORE_ADVICE = "give the core file that gcore or the kernel wrote"
DAMAGED = "the file is damaged: write the core again, or give an undamaged copy"
PT_LOAD = 1
PN_XNUM = 0xffff               # e_phnum when the count is in section header 0
# More segments than any process has (vm.max_map_count is 65530 by default): a
# count above this is corruption, and would cost seconds and memory to list.
MAX_SEGMENTS = 1 << 20
_ET_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
# e_ident[EI_CLASS] -> (class, header layout after e_ident, phdr layout, shdr size,
# offset of sh_info in a section header)
_LAYOUT = {
    1: (32, "HHIIIIIHHHHHH", "IIIIIIII", 40, 28),
    2: (64, "HHIQQQIHHHHHH", "IIQQQQQQ", 64, 44),
}
_CHUNK = 4096                  # program headers read per pread


class CoreFile(Memory):
    """Memory of a core file, with ``binary`` (a GoBinary) underneath.

    ``segments`` is the sorted list of (vaddr, memsz, offset, filesz) of its
    PT_LOAD segments.  ``force_exe`` turns a build-ID mismatch from an error
    (WrongExecutable) into a warning."""

    def __init__(self, path: str, binary: GoBinary, force_exe: bool = False) -> None:
        self.path = path
        self.binary = binary
        self.warnings: List[str] = []
        self._maps: List[mmap.mmap] = []
        self._file = open_regular(path, "core file", "a core file", CORE_ADVICE, BadCoreFile)
        try:
            self._fd = self._file.fileno()
            self._size = os.fstat(self._fd).st_size
            self._read_headers()
            self._check_build_id(force_exe)
        except BaseException:
            self._file.close()
            raise

    def close(self) -> None:
        for m in self._maps:
            try:
                m.close()
            except BufferError:     # a view still in use: the mapping goes with it
                pass
        self._maps = []
        self._file.close()

    def mapped_view(self, fallback: Memory) -> "MappedView":
        """A ``view(addr, size)`` for reading millions of small objects (the
        census): the bytes of a segment the core holds whole are handed out from a
        read-only mapping of the file, without a system call or a copy; anything
        else from ``fallback.view``."""
        m = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
        self._maps.append(m)
        held = [(vaddr, vaddr + fsz, off - vaddr) for vaddr, _, off, fsz in self.segments
                if fsz and off + fsz <= self._size]
        return MappedView(m, held, fallback)

    def __enter__(self) -> "CoreFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- headers -------------------------------------------------------------------

    def _corrupt(self, what):
        return BadCoreFile(f"core file {self.path} is corrupt: {what}; {DAMAGED}")

    def _pread(self, off, n):
        return os.pread(self._fd, n, off) if 0 <= off < self._size and n > 0 else b""

    def _read_headers(self):
        path = self.path
        head = self._pread(0, 64)
        if head[:4] != b"\x7fELF":
            raise BadCoreFile(f"{path} is not an ELF core file (no ELF magic at its start); "
                              f"{CORE_ADVICE}")
        if len(head) < 6 or head[4] not in _LAYOUT or head[5] not in (1, 2):
            got = tuple(head[4:6])
            raise self._corrupt(f"its ELF class and byte order bytes are {got} (1 or 2 each)")
        bits, hfmt, pfmt, shsize, shinfo_at = _LAYOUT[head[4]]
        end = "<" if head[5] == 1 else ">"
        hfmt = end + hfmt
        if len(head) < 16 + struct.calcsize(hfmt):
            raise BadCoreFile(f"core file {path} is truncated: it ends inside its ELF header "
                              f"({self._size} bytes); give the whole core file")
        (e_type, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, _,
         _) = struct.unpack_from(hfmt, head, 16)
        mine = (bits, end == "<", machine)
        exe = self.binary.elf_kind()
        if mine[:2] != exe[:2]:
            raise self._mismatch(mine, exe)
        if e_type != 4:
            name = _ET_NAMES.get(e_type, f"{e_type:#x}")
            raise BadCoreFile(f"{path} is not a core file (ELF type {name}); pass the core "
                              f"as --core and the executable as --exe")
        if machine != exe[2]:
            raise self._mismatch(mine, exe)
        self._little = end == "<"
        self._top = 1 << bits
        count = phnum
        if phnum == PN_XNUM:      # the real count is sh_info of section header 0
            if shentsize != shsize or shoff + shsize > self._size:
                raise self._corrupt(f"e_phnum is {PN_XNUM:#x} (count in section header 0) "
                                    f"but there is no section header 0 at offset {shoff:#x}")
            count, = struct.unpack_from(end + "I", self._pread(shoff + shinfo_at, 4))
        if count == 0:
            raise self._corrupt("it has no program headers" + (
                f" (e_phnum {PN_XNUM:#x} sends to section header 0, whose sh_info is 0)"
                if phnum == PN_XNUM else ""))
        if count > MAX_SEGMENTS:
            raise self._corrupt(f"it claims {count:,} program headers, more than any "
                                f"process has ({MAX_SEGMENTS:,})")
        pfmt = end + pfmt
        if phentsize != struct.calcsize(pfmt):
            raise self._corrupt(f"its program headers are {phentsize} bytes each, ELF{bits} "
                                f"ones are {struct.calcsize(pfmt)}")
        if phoff + count * phentsize > self._size:
            raise BadCoreFile(f"core file {path} is truncated or corrupt: its {count:,} "
                              f"program headers at offset {phoff:#x} end past the end of "
                              f"the file ({self._size:,} bytes); give the whole core file")
        self._load_segments(phoff, count, pfmt, bits)

    def _load_segments(self, phoff, count, pfmt, bits):
        loads = []
        size = struct.calcsize(pfmt)
        for first in range(0, count, _CHUNK):
            n = min(_CHUNK, count - first)
            raw = self._pread(phoff + first * size, n * size)
            for ph in struct.iter_unpack(pfmt, raw):
                if bits == 64:
                    p_type, _, off, vaddr, _, fsz, msz, _ = ph
                else:
                    p_type, off, vaddr, _, fsz, msz, _, _ = ph
                if p_type != PT_LOAD:
                    continue
                if fsz > msz:
                    raise self._corrupt(f"the PT_LOAD segment at {vaddr:#x} holds more file "
                                        f"bytes ({fsz:#x}) than memory ({msz:#x})")
                if vaddr + msz > self._top:
                    raise self._corrupt(f"the PT_LOAD segment at {vaddr:#x} ({msz:#x} bytes) "
                                        f"runs past the end of the address space")
                if msz:
                    loads.append((vaddr, msz, off, fsz))
        if not loads:
            raise self._corrupt("it has no PT_LOAD segment, so it holds no memory")
        loads.sort()
        for (a, asz, _, _), (b, bsz, _, _) in zip(loads, loads[1:]):
            if a + asz > b:
                raise self._corrupt(f"PT_LOAD segments at {a:#x}-{a + asz:#x} and "
                                    f"{b:#x}-{b + bsz:#x} overlap")
        self.segments = loads
        self._starts = [s[0] for s in loads]
        missing = sum(min(fsz, max(0, off + fsz - self._size)) for _, _, off, fsz in loads)
        if missing:
            self.warnings.append(f"core file {self.path} is truncated: {missing:,} bytes of "
                                 f"its segments are missing; reads there fail")

    def _mismatch(self, core, exe):
        return BadCoreFile(
            f"core file {self.path} is {elf_kind(*core)}, the executable {self.binary.path} "
            f"is {elf_kind(*exe)}: core and executable must agree on class, byte order and "
            f"machine; give the core of that executable")

    # --- reads ---------------------------------------------------------------------

    def _segment(self, addr):
        """The core segment whose memory holds ``addr``, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            seg = self.segments[i]
            if addr < seg[0] + seg[1]:
                return seg
        return None

    def _held(self, addr, size, seg):
        """The bytes the core holds for [addr, addr+size) within ``seg``'s file part."""
        vaddr, _, off, _ = seg
        start = off + addr - vaddr
        data = self._pread(start, size)
        if len(data) != size:
            raise ShortRead(addr, size, f"the core file is truncated: it ends at byte "
                                        f"{self._size:,}, before the bytes it holds for "
                                        f"{addr:#x}")
        return data

    def _exe_piece(self, addr, limit, listed):
        """Bytes of the executable from ``addr`` up to at most ``limit``, or None."""
        for seg in self.binary.segments:
            if seg.vaddr <= addr < seg.vaddr + seg.memsz:
                if seg.writable and not listed:
                    return None
                n = min(limit, seg.vaddr + seg.memsz) - addr
                return self.binary.read_file_bytes(addr, n)
        return None

    def read(self, addr: int, size: int) -> bytes:
        if size == 0:
            return b""
        end = addr + size
        if addr < 0 or end > self._top:
            raise UnreadableMemory(addr % self._top, size, "outside the address space")
        pieces = []
        cur = addr
        while cur < end:
            seg = self._segment(cur)
            if seg is not None:
                vaddr, memsz, _, fsz = seg
                if cur < vaddr + fsz:
                    piece = self._held(cur, min(end, vaddr + fsz) - cur, seg)
                else:   # listed, not held: the kernel left the file's own bytes out
                    piece = self._exe_piece(cur, min(end, vaddr + memsz), listed=True)
            else:
                i = bisect.bisect_right(self._starts, cur)
                nxt = self._starts[i] if i < len(self._starts) else end
                piece = self._exe_piece(cur, min(end, nxt), listed=False)
            if not piece:
                if seg:
                    raise NotInCore(addr, size, "the core file lists it but does not hold "
                                                "it, and the executable does not map it")
                raise self._unlisted(addr, size, cur)
            if cur == addr and len(piece) == size:
                return piece
            pieces.append(piece)
            cur += len(piece)
        return b"".join(pieces)

    def _unlisted(self, addr, size, cur):
        """The error for a read of [addr, addr+size) at ``cur``, which no segment of
        the core lists and no byte of the executable can stand in for."""
        for seg in self.binary.segments:
            if seg.vaddr <= cur < seg.vaddr + seg.memsz and seg.writable:
                return NotInCore(addr, size, "not in the core file; the executable has only "
                                             "the initial value of this writable data")
        return UnreadableMemory(addr, size, "not in the core file or the executable")

    # --- build ID ------------------------------------------------------------------

    def _core_bytes(self, addr, size):
        """What the core itself holds at [addr, addr+size), or None."""
        seg = self._segment(addr)
        if seg is None or addr + size > seg[0] + seg[3]:
            return None
        try:
            return self._held(addr, size, seg)
        except ShortRead:
            return None

    def _check_build_id(self, force_exe):
        """Refuse (or with ``force_exe`` warn about) a core whose copy of the
        executable's build-ID notes differs from the executable's."""
        bad = self.binary.note_mismatch(self._core_bytes)
        if bad is not None:
            name, _, want, got = bad
            ids = (f"the core's {note_text(name, got, self._little)}, the executable's "
                   f"{note_text(name, want, self._little)}")
            if not force_exe:
                raise WrongExecutable(
                    f"core file {self.path} was not written by {self.binary.path} (build "
                    f"IDs differ: {ids})",
                    "give the matching executable, or --force-exe to decode anyway")
            self.warnings.append(
                f"core file {self.path} was not written by {self.binary.path} (build IDs "
                f"differ: {ids}); decoded maps will be wrong: give the matching executable")


class MappedView:
    """``view(addr, size) -> (buffer, offset)`` over a read-only mapping of a core
    (see CoreFile.mapped_view).  The pages it touches count in the process's
    resident set until :meth:`trim` lets them go (they stay in the page cache)."""

    def __init__(self, mapping, held, fallback):
        self.mapping = mapping
        self.held = held                    # (start, end, file offset - start), sorted
        self.starts = [h[0] for h in held]
        self.fallback = fallback
        self.lo = self.hi = self.delta = 0  # the segment of the last view

    def view(self, addr, size):
        if not (self.lo <= addr and addr + size <= self.hi):
            i = bisect.bisect_right(self.starts, addr) - 1
            if i < 0 or addr + size > self.held[i][1] or size <= 0:
                return self.fallback.view(addr, size)
            self.lo, self.hi, self.delta = self.held[i]
        return self.mapping, addr + self.delta

    def trim(self):
        """Drop the mapping's pages from the resident set (the next views fault
        them back in from the page cache)."""
        if hasattr(self.mapping, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
            self.mapping.madvise(mmap.MADV_DONTNEED)
