"""Forge map memory inside a real core file, for the corrupt-map tests.

A core is large (gdb's ``gcore`` of a Go process writes its whole heap
reservation), so instead of copying it per case, :func:`patched` writes the
forged bytes at their virtual addresses in place and puts the original bytes
back afterwards.  Offsets of runtime fields come from the binary's DWARF
through gomap's layout tables; the memory forged is a test input, never the
truth a test checks against.
"""

import contextlib
import struct

from elftools.elf.elffile import ELFFile


def segments(core_path):
    """PT_LOAD (vaddr, filesz, offset) of a core file."""
    with open(core_path, "rb") as f:
        return [(s["p_vaddr"], s["p_filesz"], s["p_offset"])
                for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]


def file_offset(segs, addr, size):
    for vaddr, filesz, off in segs:
        if vaddr <= addr and addr + size <= vaddr + filesz:
            return off + addr - vaddr
    raise ValueError(f"{addr:#x}+{size} is not held by the core")


@contextlib.contextmanager
def patched(core_path, writes):
    """Apply ``writes`` ({address: bytes}) to the core file, restore on exit."""
    segs = segments(core_path)
    saved = []
    with open(core_path, "r+b") as f:
        try:
            for addr, data in sorted(writes.items()):
                off = file_offset(segs, addr, len(data))
                f.seek(off)
                saved.append((off, f.read(len(data))))
                f.seek(off)
                f.write(data)
            f.flush()
            yield
        finally:
            for off, old in reversed(saved):
                f.seek(off)
                f.write(old)


def put(fields, name, value):
    """(offset, bytes) of one integer field of a StructFields."""
    off, size, signed = fields.fields[name]
    return off, value.to_bytes(size, "little", signed=signed)


def struct_bytes(fields, values, size=None):
    """A struct of ``fields`` (a StructFields) with ``values`` set, zeros elsewhere."""
    buf = bytearray(size or fields.size)
    for name, v in values.items():
        off, data = put(fields, name, v)
        buf[off:off + len(data)] = data
    return bytes(buf)


def pointers(addrs):
    return struct.pack(f"<{len(addrs)}Q", *addrs)
