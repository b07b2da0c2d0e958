"""Facts about a Go executable read from its ELF file: release, build ID,
experiments, symbols, loadable segments and the base of the type data.

The DWARF lives behind :mod:`gdb_gomap.dwarf`; this module only knows ELF.
"""

import hashlib
import os
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from .dwarf.scan import uleb128
from .errors import NotGoBinary

BUILDINFO_MAGIC = b"\xff Go buildinf:"


@dataclass
class Segment:
    """One PT_LOAD segment: ``vaddr``..``vaddr+memsz``, file bytes at ``offset``."""
    vaddr: int
    memsz: int
    offset: int
    filesz: int


@dataclass
class BuildInfo:
    """What ``go version -m`` would print: the release and the build settings."""
    go_version: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def experiments(self):
        raw = self.settings.get("GOEXPERIMENT", "")
        return [x for x in raw.split(",") if x]


def parse_buildinfo(data):
    """Parse a ``.go.buildinfo`` section (Go 1.18+ inline form) into BuildInfo."""
    if not data.startswith(BUILDINFO_MAGIC) or len(data) < 33:
        return BuildInfo()
    flags = data[15]
    if not flags & 2:  # pre-1.18 pointer form: not a release gomap supports
        return BuildInfo()
    pos = 32
    n, pos = uleb128(data, pos)
    version = data[pos:pos + n].decode("utf-8", "replace")
    pos += n
    n, pos = uleb128(data, pos)
    mod = data[pos:pos + n]
    if len(mod) >= 33:  # 16-byte sentinels around the module text
        mod = mod[16:-16]
    settings = {}
    for line in mod.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] == "build" and "=" in parts[1]:
            k, v = parts[1].split("=", 1)
            settings[k] = v
    return BuildInfo(version, settings)


class GoBinary:
    """An opened Go ELF executable.  Keep it open while its DWARF is in use."""

    def __init__(self, path):
        self.path = os.path.realpath(path)
        try:
            self._file = open(self.path, "rb")
        except OSError as exc:
            raise NotGoBinary(f"cannot open executable {path}: {exc.strerror}") from exc
        try:
            self.elf = ELFFile(self._file)
        except ELFError as exc:
            self._file.close()
            raise NotGoBinary(f"{path} is not an ELF file ({exc}); give the Go executable "
                              f"that produced the process or core") from exc
        try:
            self._check_go(path)
        except ELFError as exc:   # headers or sections past the end of a cut file
            self._file.close()
            raise NotGoBinary(f"{path} is a truncated or corrupt ELF file ({exc}); give "
                              f"the whole Go executable") from exc
        except NotGoBinary:
            self._file.close()
            raise

    def _check_go(self, path):
        size = os.fstat(self._file.fileno()).st_size
        end = max((sec["sh_offset"] + sec["sh_size"] for sec in self.elf.iter_sections()
                   if sec["sh_type"] != "SHT_NOBITS"), default=0)
        if end > size:
            raise NotGoBinary(f"{path} is truncated ({size:,} bytes, its sections need "
                              f"{end:,}); give the whole Go executable")
        if self.elf.get_machine_arch() != "x64":
            raise NotGoBinary(f"{path} is a {self.elf.get_machine_arch()} binary; gomap "
                              f"decodes linux/amd64 Go programs only")
        bi = self.elf.get_section_by_name(".go.buildinfo")
        self.buildinfo = parse_buildinfo(bi.data()) if bi is not None else BuildInfo()
        if not self.buildinfo.go_version and self.symbol("runtime.buildVersion") is None:
            raise NotGoBinary(f"{path} is not a Go program (no .go.buildinfo, no "
                              f"runtime.buildVersion); give the Go executable")
        self._types_base = None
        self.segments = [
            Segment(s["p_vaddr"], s["p_memsz"], s["p_offset"], s["p_filesz"])
            for s in self.elf.iter_segments() if s["p_type"] == "PT_LOAD"]

    def close(self):
        self._file.close()

    @property
    def go_version(self):
        return self.buildinfo.go_version or "unknown"

    def build_id(self):
        """The Go build ID (from ``.note.go.buildid``), else a hash of the file."""
        sec = self.elf.get_section_by_name(".note.go.buildid")
        if sec is not None:
            for note in sec.iter_notes():
                desc = note["n_desc"]
                if isinstance(desc, bytes):
                    desc = desc.decode("ascii", "replace")
                return str(desc)
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return "sha256:" + h.hexdigest()

    def gnu_build_id(self):
        """The GNU build ID (hex) if the linker wrote one, else None."""
        sec = self.elf.get_section_by_name(".note.gnu.build-id")
        if sec is None:
            return None
        for note in sec.iter_notes():
            if note["n_type"] == "NT_GNU_BUILD_ID":
                return note["n_desc"]
        return None

    def symbol(self, name):
        """Address of an ELF symbol, or None."""
        st = self.elf.get_section_by_name(".symtab")
        if st is None:
            return None
        syms = st.get_symbol_by_name(name)
        return syms[0]["st_value"] if syms else None

    def types_base(self):
        """Address that DW_AT_go_runtime_type offsets are relative to.

        The start of .go.type (1.27) or .rodata (1.21-1.26), which is where the
        linker puts runtime.types; the symbol itself is the fallback.
        """
        if self._types_base is None:
            for name in (".go.type", ".rodata"):
                sec = self.elf.get_section_by_name(name)
                if sec is not None:
                    self._types_base = sec["sh_addr"]
                    break
            else:
                self._types_base = self.symbol("runtime.types") or 0
        return self._types_base

    def dwarf_info(self):
        """The pyelftools DWARFInfo, or NoDwarf with what to do about it."""
        from .dwarf.elf import open_dwarf
        return open_dwarf(self)

    def read_file_bytes(self, vaddr, size):
        """Bytes of the executable's PT_LOAD image at ``vaddr``, or None if not covered."""
        for seg in self.segments:
            if seg.vaddr <= vaddr and vaddr + size <= seg.vaddr + seg.memsz:
                off = vaddr - seg.vaddr
                out = b""
                if off < seg.filesz:
                    n = min(size, seg.filesz - off)
                    self._file.seek(seg.offset + off)
                    out = self._file.read(n)
                return out + b"\0" * (size - len(out))
        return None
