"""The DWARF sections of an ELF executable, opened for pyelftools.

Everything about how the sections are stored in the ELF file (present or not,
compressed or not) stays here, so the rest of :mod:`gdb_gomap.dwarf` sees only
a ``DWARFInfo``.
"""

from ..errors import NoDwarf


def open_dwarf(binary):
    """The pyelftools DWARFInfo of ``binary`` (a GoBinary), or NoDwarf with what to do."""
    elf = binary.elf
    if not elf.has_dwarf_info() or elf.get_section_by_name(".debug_info") is None:
        raise NoDwarf(f"{binary.path} has no DWARF (built with -ldflags=-w or -s, or "
                      f"stripped); rebuild without those flags")
    return elf.get_dwarf_info(relocate_dwarf_sections=False)
