"""Facts about a Go executable read from its ELF file: release, build ID,
experiments, symbols, loadable segments and the base of the type data.

The DWARF lives behind :mod:`gdb_gomap.dwarf`; this module only knows ELF.
"""

import hashlib
import os
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_E_MACHINE

from .arch import for_elf
from .dwarf.scan import uleb128
from .errors import NotGoBinary
from .files import open_regular

BUILDINFO_MAGIC = b"\xff Go buildinf:"


@dataclass
class Segment:
    """One PT_LOAD segment: ``vaddr``..``vaddr+memsz``, file bytes at ``offset``."""
    vaddr: int
    memsz: int
    offset: int
    filesz: int
    flags: int = 0          # p_flags: PF_X 1, PF_W 2, PF_R 4

    @property
    def writable(self):
        return bool(self.flags & 2)


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


def build_notes(elf):
    """{section name: (address, raw note bytes)} of the build-ID notes an ELF file
    has (``.note.go.buildid``, ``.note.gnu.build-id``), as they sit in memory."""
    out = {}
    for name in BUILD_ID_NOTES:
        sec = elf.get_section_by_name(name)
        if sec is not None and sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"]:
            out[name] = (sec["sh_addr"], sec.data())
    return out


def note_text(name, raw, little_endian=True):
    """The build ID a raw note of section ``name`` holds, for a message: the Go
    build ID as text, a GNU build ID in hex; or what the bytes are if the note does not parse."""
    if len(raw) < 12:
        return "bytes that are no build-ID note"
    namesz, descsz, _ = struct.unpack_from("<III" if little_endian else ">III", raw)
    start = 12 + (namesz + 3) // 4 * 4
    desc = raw[start:start + descsz]
    if len(desc) != descsz or not desc:
        return "bytes that are no build-ID note"
    if name == ".note.go.buildid":   # bytes other than printable ASCII are escaped,
        return "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in desc)
    return desc.hex()                # so that a message stays one line


def elf_kind(elfclass, little_endian, machine):
    """'ELF64 little-endian x86-64 (EM_X86_64)' for the three facts that a core
    and its executable must share."""
    name = _MACHINE_NAMES.get(machine, f"machine {machine}")
    label = _MACHINE_LABELS.get(name)
    what = f"{label} ({name})" if label else name
    return f"ELF{elfclass} {'little' if little_endian else 'big'}-endian {what}"


BUILD_ID_NOTES = (".note.go.buildid", ".note.gnu.build-id")
_MACHINE_NAMES = {v: k for k, v in ENUM_E_MACHINE.items() if isinstance(v, int)}
_MACHINE_LABELS = {"EM_X86_64": "x86-64", "EM_386": "i386", "EM_AARCH64": "arm64",
                   "EM_ARM": "arm", "EM_RISCV": "riscv", "EM_PPC64": "ppc64",
                   "EM_S390": "s390x", "EM_LOONGARCH": "loong64", "EM_MIPS": "mips"}
EXE_ADVICE = "give the Go executable that produced the process or core"


class GoBinary:
    """An opened Go ELF executable.  Keep it open while its DWARF is in use."""

    def __init__(self, path):
        self.path = os.path.realpath(path)
        self._file = open_regular(path, "executable", "an ELF file", EXE_ADVICE, NotGoBinary)
        try:
            self.elf = ELFFile(self._file)
        except ELFError as exc:
            self._file.close()
            raise NotGoBinary(f"{path} is not an ELF file ({exc}); {EXE_ADVICE}") from exc
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
        self.arch = for_elf(self.elf_kind()[2], self.elf.elfclass, self.elf.little_endian, path)
        bi = self.elf.get_section_by_name(".go.buildinfo")
        self.buildinfo = parse_buildinfo(bi.data()) if bi is not None else BuildInfo()
        if not self.buildinfo.go_version and self.symbol("runtime.buildVersion") is None:
            raise NotGoBinary(f"{path} is not a Go program (no .go.buildinfo, no "
                              f"runtime.buildVersion); give the Go executable")
        self._types_base = None
        self.segments = [
            Segment(s["p_vaddr"], s["p_memsz"], s["p_offset"], s["p_filesz"], s["p_flags"])
            for s in self.elf.iter_segments() if s["p_type"] == "PT_LOAD"]

    def close(self):
        self._file.close()

    def file_identity(self):
        """(st_dev, st_ino) of the file opened, to tell whether two paths are one file."""
        st = os.fstat(self._file.fileno())
        return st.st_dev, st.st_ino

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

    def build_notes(self):
        """{section: (address, raw note)} of the executable's build-ID notes."""
        return build_notes(self.elf)

    def note_mismatch(self, read):
        """The first build-ID note that a target's memory does not hold as this
        executable does: (section name, address, the executable's note, what
        ``read(addr, n)`` gave), or None when every note it could tell matches.
        ``read`` returns the bytes, b"" for "nothing readable there" (a mismatch),
        or None for "cannot tell" (the note is skipped)."""
        for name, (addr, want) in self.build_notes().items():
            if not addr:
                continue
            got = read(addr, len(want))
            if got is not None and got != want:
                return name, addr, want, got
        return None

    def elf_kind(self):
        """(class, little_endian, e_machine number): what a core must share with it."""
        machine = self.elf["e_machine"]
        if isinstance(machine, str):
            machine = ENUM_E_MACHINE.get(machine, machine)
        return self.elf.elfclass, self.elf.little_endian, machine

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
