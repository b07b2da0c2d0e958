"""The DWARF sections of an ELF executable, opened for pyelftools.

Everything about how the sections are stored in the ELF file (present or not,
compressed or not) stays here, so the rest of :mod:`gdb_gomap.dwarf` sees only
a ``DWARFInfo`` (a :class:`Dwarf`).

gomap reads and inflates the sections itself rather than through
``ELFFile.get_dwarf_info``:

- both compressions are read: ``SHF_COMPRESSED`` sections (what Go's linker
  and ``objcopy --compress-debug-sections=zlib`` write) and the older GNU
  ``.zdebug_*`` sections (``ZLIB`` and an 8-byte big-endian size, from
  ``objcopy --compress-debug-sections=zlib-gnu``);
- nothing is inflated past a cap (:func:`inflate_cap`), checked against the
  sizes the headers declare before a byte is inflated, and no stream may
  inflate past what its header declared (a zlib bomb costs nothing);
- the sections the name index and the types need (``.debug_info``,
  ``.debug_abbrev``, the string sections) are read at once; the others (line
  tables, frames, location and range lists) only if something asks for them;
- the raw bytes of the sections the index depends on are hashed as they are
  read: :attr:`Dwarf.digest` keys the on-disk index cache by content.

Bytes that do not parse as DWARF surface as :class:`~gdb_gomap.errors.CorruptDwarf`
(one line: where, and what to do) through :func:`corrupt_at`, which the rest of
the package wraps around each call into pyelftools.
"""

import hashlib
import inspect
import io
import os
import struct
import zlib
from contextlib import contextmanager

from elftools.common.exceptions import DWARFError, ELFError
from elftools.construct.core import ConstructError
from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig

from ..errors import CorruptDwarf, NoDwarf

# DWARFInfo keyword -> section name without the leading dot.  Read at once:
EAGER = (("debug_info_sec", "debug_info"), ("debug_abbrev_sec", "debug_abbrev"),
         ("debug_str_sec", "debug_str"), ("debug_str_offsets_sec", "debug_str_offsets"),
         ("debug_line_str_sec", "debug_line_str"), ("debug_addr_sec", "debug_addr"),
         ("debug_types_sec", "debug_types"))
# ... and on first use:
LAZY = (("debug_aranges_sec", "debug_aranges"), ("debug_frame_sec", "debug_frame"),
        ("debug_loc_sec", "debug_loc"), ("debug_ranges_sec", "debug_ranges"),
        ("debug_line_sec", "debug_line"), ("debug_pubtypes_sec", "debug_pubtypes"),
        ("debug_pubnames_sec", "debug_pubnames"), ("debug_loclists_sec", "debug_loclists"),
        ("debug_rnglists_sec", "debug_rnglists"), ("debug_sup_sec", "debug_sup"),
        ("gnu_debugaltlink_sec", "gnu_debugaltlink"), ("eh_frame_sec", "eh_frame"))

SHF_COMPRESSED = 0x800
ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD = 1, 2

# The cap on what all DWARF sections of one file may inflate to, together.
# Go's DWARF inflates 2-3x per section (cmd/go: 5.1 MB of compressed DWARF
# in a 20 MB file inflate to 13 MB, less than the file itself), and zlib
# itself cannot pass ~1000x.  64x the file is far above any real binary,
# and the floor keeps small files from being refused for a few MB of
# unusually repetitive DWARF.  A file that declares more is refused before
# anything is inflated, so a bomb costs nothing.
CAP_FACTOR = 64
CAP_FLOOR = 256 << 20
INFLATE_CHUNK = 4 << 20

# What pyelftools, its bundled construct and zlib raise on bytes that are
# not DWARF.  Only ever caught around calls into pyelftools (see corrupt_at):
# the lookup errors in the list are also what a gomap bug would raise.
PARSE_ERRORS = (ELFError, DWARFError, ConstructError, zlib.error, struct.error, KeyError,
                IndexError, ValueError, UnicodeDecodeError, AssertionError,
                NotImplementedError)


def inflate_cap(file_size):
    """Bytes all DWARF sections of a file of ``file_size`` bytes may inflate to."""
    return max(CAP_FACTOR * file_size, CAP_FLOOR)


class _Pending:
    """A section not read yet: read on first access of its DWARFInfo attribute."""
    __slots__ = ("load",)

    def __init__(self, load):
        self.load = load


class _LazySection:
    """A data descriptor holding one ``debug_*_sec`` attribute of :class:`Dwarf`."""

    def __init__(self, name):
        self.slot = "_lazy_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__.get(self.slot)
        if isinstance(value, _Pending):
            value = value.load()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


class Dwarf(DWARFInfo):
    """pyelftools' DWARFInfo, with where it came from.

    path:    the executable
    digest:  hex hash of the raw bytes of the sections the name index reads
    """

    path = ""
    digest = ""


for _kw, _ in LAZY:
    setattr(Dwarf, _kw, _LazySection(_kw))
del _kw


@contextmanager
def corrupt_at(dwarf, section=".debug_info", offset=None):
    """Turn pyelftools' and zlib's complaints inside the block into CorruptDwarf.

    Wrap only calls into pyelftools with it: KeyError and friends from gomap's
    own code must stay bugs.
    """
    try:
        yield
    except PARSE_ERRORS as exc:
        raise corrupt(dwarf, exc, section, offset) from exc


def corrupt(dwarf, exc, section=".debug_info", offset=None):
    """The CorruptDwarf for exception ``exc`` met while reading ``section``."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        detail = f"no entry {exc}"
    return CorruptDwarf(detail, section, offset, getattr(dwarf, "path", None))


def _section(elf, base):
    """The ELF section holding ``.base`` or its GNU-compressed ``.zbase``, or None."""
    for name in ("." + base, ".z" + base):
        sec = elf.get_section_by_name(name)
        if sec is not None:
            return sec
    return None


class _Raw:
    """One DWARF section as stored: its raw bytes and what they inflate to."""

    def __init__(self, elf, sec, path):
        self.name = sec.name
        self.path = path
        self.sec = sec
        self.elf = elf
        self.hdr = 0            # bytes of compression header before the stream
        self.size = sec["sh_size"]   # inflated size
        self.kind = b"r"        # r raw, c SHF_COMPRESSED, z GNU .zdebug
        if sec["sh_type"] == "SHT_NOBITS":
            raise NoDwarf(f"{path}: section {sec.name} holds no data (a separate debug "
                          f"file's stub?); give the executable built with its DWARF")
        self.raw = self._read()
        if sec["sh_flags"] & SHF_COMPRESSED:
            self.kind = b"c"
            self._chdr(elf)
        elif sec.name.startswith(".zdebug"):
            self.kind = b"z"
            if len(self.raw) < 12 or self.raw[:4] != b"ZLIB":
                raise CorruptDwarf(f"a .zdebug section must start with 'ZLIB' and its size, "
                                   f"it starts with {bytes(self.raw[:4])!r}", self.name, None, path)
            self.hdr = 12
            self.size = int.from_bytes(self.raw[4:12], "big")

    def _read(self):
        stream = self.elf.stream
        stream.seek(self.sec["sh_offset"])
        data = stream.read(self.sec["sh_size"])
        if len(data) != self.sec["sh_size"]:
            raise CorruptDwarf(f"the section ends past the end of the file "
                               f"({len(data):,} of {self.sec['sh_size']:,} bytes there)",
                               self.name, None, self.path)
        return data

    def _chdr(self, elf):
        wide = elf.elfclass == 64
        fmt = ("<" if elf.little_endian else ">") + ("IIQQ" if wide else "III")
        n = struct.calcsize(fmt)
        if len(self.raw) < n:
            raise CorruptDwarf(f"its compression header needs {n} bytes, the section has "
                               f"{len(self.raw)}", self.name, None, self.path)
        fields = struct.unpack_from(fmt, self.raw)
        ch_type, ch_size = fields[0], fields[2] if wide else fields[1]
        if ch_type == ELFCOMPRESS_ZSTD:
            raise NoDwarf(f"{self.path}: {self.name} is compressed with zstd, which gomap "
                          f"cannot inflate; run objcopy --decompress-debug-sections on a "
                          f"copy and give that")
        if ch_type != ELFCOMPRESS_ZLIB:
            raise CorruptDwarf(f"unknown compression type {ch_type}", self.name, None,
                               self.path)
        self.hdr = n
        self.size = ch_size

    def descriptor(self):
        """The DebugSectionDescriptor pyelftools wants, inflating if need be."""
        stream = io.BytesIO(self.raw) if self.kind == b"r" else self._inflate()
        fields = dict(stream=stream, name=self.name, global_offset=self.sec["sh_offset"],
                      size=len(stream.getbuffer()), address=self.sec["sh_addr"])
        return DebugSectionDescriptor(**{k: fields[k] for k in DebugSectionDescriptor._fields})

    def _inflate(self):
        """The inflated section as a BytesIO, a piece at a time (no copy of the
        whole), and never more than one byte past what the header declares."""
        d = zlib.decompressobj()
        out = io.BytesIO()
        data = memoryview(self.raw)[self.hdr:]
        left = self.size + 1
        try:
            while left > 0:
                piece = d.decompress(data, min(INFLATE_CHUNK, left))
                if not piece:
                    break
                out.write(piece)
                left -= len(piece)
                data = d.unconsumed_tail
                if d.eof:
                    break
        except zlib.error as exc:
            raise CorruptDwarf(f"its zlib stream does not inflate after {out.tell():,} "
                               f"bytes: {exc}", self.name, None, self.path) from exc
        n = out.tell()
        if n > self.size:
            raise CorruptDwarf(f"it inflates past the {self.size:,} bytes its header "
                               f"declares", self.name, None, self.path)
        if n < self.size or not d.eof:
            raise CorruptDwarf(f"its zlib stream ends after {n:,} of the {self.size:,} "
                               f"bytes its header declares", self.name, None, self.path)
        self.raw = None       # the inflated copy is all that is needed from now on
        out.seek(0)
        return out


def open_dwarf(binary):
    """The :class:`Dwarf` of ``binary`` (a GoBinary): NoDwarf when it has none,
    CorruptDwarf when its sections cannot be read or would inflate past the cap."""
    elf, path = binary.elf, binary.path
    try:
        info = _section(elf, "debug_info")
        if info is None:
            raise NoDwarf(f"{path} has no DWARF (built with -ldflags=-w or -s, or "
                          f"stripped); rebuild without those flags")
        raws = {}
        for kw, base in EAGER + LAZY:
            sec = info if base == "debug_info" else _section(elf, base)
            if sec is not None:
                raws[kw] = _Raw(elf, sec, path)
    except ELFError as exc:   # section headers or names that do not parse
        raise CorruptDwarf(f"its section headers do not parse: {exc}", None, None,
                           path) from exc
    total = sum(r.size for r in raws.values())
    file_size = os.path.getsize(path)
    cap = inflate_cap(file_size)
    if total > cap:
        big = max(raws.values(), key=lambda r: r.size)
        raise CorruptDwarf(f"its headers say the DWARF inflates to {total:,} bytes "
                           f"({big.name} alone {big.size:,}), more than gomap inflates for a "
                           f"{file_size:,}-byte file ({cap >> 20} MiB): a zlib bomb or a "
                           f"damaged header", big.name, None, path)
    if "debug_abbrev_sec" not in raws:
        raise NoDwarf(f"{path} has .debug_info but no .debug_abbrev; rebuild it without "
                      f"-ldflags=-w or -s, or give the executable as the linker wrote it")
    h = hashlib.blake2b(digest_size=20)
    kwargs = {}
    for kw, _ in EAGER:
        r = raws.get(kw)
        if r is not None:
            h.update(b"%s\0%s%d\0" % (kw.encode(), r.kind, len(r.raw)))
            h.update(r.raw)
            kwargs[kw] = r.descriptor()
        else:
            kwargs[kw] = None
    for kw, _ in LAZY:
        r = raws.get(kw)
        kwargs[kw] = _Pending(r.descriptor) if r is not None else None
    # pyelftools releases differ in the sections DWARFInfo takes: give it each
    # one it names (None for those gomap does not know), and only those.
    names = [n for n in inspect.signature(DWARFInfo.__init__).parameters
             if n not in ("self", "config")]
    config = DwarfConfig(little_endian=elf.little_endian, machine_arch=elf.get_machine_arch(),
                         default_address_size=elf.elfclass // 8)
    dwarf = Dwarf(config=config, **{n: kwargs.get(n) for n in names})
    dwarf.path = path
    dwarf.digest = h.hexdigest()
    return dwarf
