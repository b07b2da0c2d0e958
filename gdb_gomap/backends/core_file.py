"""An ELF core file as memory, spliced over the executable's own segments.

A read is served by the core's PT_LOAD segment that covers it; bytes the core
does not hold (gcore leaves .rodata out, the kernel leaves unmodified
file-backed mappings out) come from the executable's PT_LOAD segments.
"""

import os

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..errors import GomapError, ShortRead, UnreadableMemory
from ..memory import Memory


class CoreFile(Memory):
    """Memory of a core file, with ``binary`` (a GoBinary) underneath."""

    def __init__(self, path, binary):
        self.path = path
        self.binary = binary
        self.warnings = []
        try:
            self._file = open(path, "rb")
        except OSError as exc:
            raise GomapError(f"cannot open core file {path}: {exc.strerror}") from exc
        try:
            elf = ELFFile(self._file)
            if elf["e_type"] != "ET_CORE":
                raise GomapError(f"{path} is not a core file (ELF type {elf['e_type']}); "
                                 f"pass the core as --core and the executable as --exe")
            self.segments = sorted(
                (s["p_vaddr"], s["p_memsz"], s["p_offset"], s["p_filesz"])
                for s in elf.iter_segments() if s["p_type"] == "PT_LOAD")
        except ELFError as exc:
            self._file.close()
            raise GomapError(f"{path} is not an ELF core file ({exc})") from exc
        size = os.fstat(self._file.fileno()).st_size
        missing = sum(max(0, off + fsz - size) for _, _, off, fsz in self.segments)
        if missing:
            self.warnings.append(f"core file {path} is truncated: {missing:,} bytes of its "
                                 f"segments are missing; reads there fail")
        self._size = size
        self._check_build_id()

    def close(self):
        self._file.close()

    def _core_read(self, addr, size):
        """Bytes held by the core itself for [addr, addr+size), or None."""
        for vaddr, memsz, off, fsz in self.segments:
            if vaddr <= addr and addr + size <= vaddr + fsz:
                start = off + (addr - vaddr)
                if start + size > self._size:
                    raise ShortRead(addr, size, "the core file is truncated here")
                self._file.seek(start)
                return self._file.read(size)
        return None

    def read(self, addr, size):
        if size == 0:
            return b""
        data = self._core_read(addr, size)
        if data is not None:
            return data
        data = self.binary.read_file_bytes(addr, size)
        if data is not None:
            return data
        return self._read_spanning(addr, size)

    def _read_spanning(self, addr, size):
        """A read that crosses segment boundaries, piece by piece."""
        out = bytearray()
        cur, end = addr, addr + size
        while cur < end:
            piece = None
            for vaddr, memsz, off, fsz in self.segments:
                if vaddr <= cur < vaddr + fsz:
                    n = min(end, vaddr + fsz) - cur
                    piece = self._core_read(cur, n)
                    break
            if piece is None:
                for seg in self.binary.segments:
                    if seg.vaddr <= cur < seg.vaddr + seg.memsz:
                        n = min(end, seg.vaddr + seg.memsz) - cur
                        piece = self.binary.read_file_bytes(cur, n)
                        break
            if piece is None:
                raise UnreadableMemory(addr, size, "not in the core file or the executable")
            out += piece
            cur += len(piece)
        return bytes(out)

    def _check_build_id(self):
        """Warn when the core's copy of the Go build ID differs from the executable's."""
        sec = self.binary.elf.get_section_by_name(".note.go.buildid")
        if sec is None or not sec["sh_addr"]:
            return
        want = sec.data()
        try:
            got = self._core_read(sec["sh_addr"], len(want))
        except UnreadableMemory:
            got = None
        if got is not None and got != want:
            self.warnings.append(f"core file {self.path} was not written by "
                                 f"{self.binary.path} (build IDs differ); decoded maps "
                                 f"will be wrong: give the matching executable")
