"""DWARF behind one door: a name index cached on disk, and Go types built from DIEs."""

from .index import DwarfIndex
from .types import GoType, TypeTable

__all__ = ["DwarfIndex", "GoType", "TypeTable"]
