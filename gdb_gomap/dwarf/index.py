"""A name index over a Go binary's DWARF, cached on disk by build ID.

Building it walks every DIE once (about a second for a 2 MB binary); later
sessions on the same binary load it from ``$GOMAP_CACHE/dwarf`` instead.  The
cache entry is keyed by the Go build ID and the file size, so a rebuilt binary
gets a new entry.
"""

import hashlib
import json
import os
import tempfile

from . import scan
from .attrs import GO_KIND, GO_RUNTIME_TYPE, TYPE_TAGS, name_of

INDEX_FORMAT = 3


def cache_dir():
    base = os.environ.get("GOMAP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gomap")
    return os.path.join(base, "dwarf")


class DwarfIndex:
    """Names of types and package variables mapped to DIE offsets.

    types:          type name -> list of DIE offsets (typedefs and named types)
    variables:      package-level variable name -> DIE offset
    runtime_types:  DW_AT_go_runtime_type value -> DIE offset (for interfaces)
    """

    def __init__(self, types, variables, runtime_types):
        self.types = types
        self.variables = variables
        self.runtime_types = runtime_types

    @classmethod
    def load(cls, binary, dwarfinfo, use_cache=True):
        """Load the index for ``binary`` from the disk cache, or build and save it."""
        path = None
        if use_cache and os.environ.get("GOMAP_NO_CACHE") != "1":
            key = f"{binary.build_id()}:{os.path.getsize(binary.path)}:{INDEX_FORMAT}"
            name = hashlib.sha256(key.encode()).hexdigest()[:32] + ".json"
            path = os.path.join(cache_dir(), name)
            try:
                with open(path) as f:
                    raw = json.load(f)
                return cls(raw["types"], raw["variables"],
                           {int(k): v for k, v in raw["runtime_types"].items()})
            except (OSError, ValueError, KeyError):
                pass
        index = cls.build(dwarfinfo)
        if path is not None:
            index._save(path)
        return index

    @classmethod
    def build(cls, dwarfinfo):
        """Index with the fast scanner; pyelftools when the scanner cannot."""
        try:
            info = dwarfinfo.debug_info_sec.stream.getvalue()
            abbrev = dwarfinfo.debug_abbrev_sec.stream.getvalue()
            strs = dwarfinfo.debug_str_sec.stream.getvalue() if dwarfinfo.debug_str_sec else b""
            return cls(*scan.scan(info, abbrev, strs))
        except (scan.ScanError, IndexError, KeyError, ValueError, AttributeError):
            return cls.build_slow(dwarfinfo)

    @classmethod
    def build_slow(cls, dwarfinfo):
        """Index by walking every DIE with pyelftools (slow, general)."""
        types, variables, rtypes = {}, {}, {}
        for cu in dwarfinfo.iter_CUs():
            top = cu.get_top_DIE()
            for die in cu.iter_DIEs():
                tag = die.tag
                if tag == "DW_TAG_variable":
                    parent = die.get_parent()
                    if parent is not None and parent.offset == top.offset:
                        n = name_of(die)
                        if n and "DW_AT_location" in die.attributes:
                            variables[n] = die.offset
                elif tag in TYPE_TAGS:
                    n = name_of(die)
                    if n is not None:
                        lst = types.setdefault(n, [])
                        if GO_KIND in die.attributes:
                            lst.insert(0, die.offset)
                        else:
                            lst.append(die.offset)
                    rt = die.attributes.get(GO_RUNTIME_TYPE)
                    if rt is not None and rt.value and rt.value not in rtypes:
                        rtypes[rt.value] = die.offset
        return cls(types, variables, rtypes)

    def _save(self, path):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                json.dump({"types": self.types, "variables": self.variables,
                           "runtime_types": self.runtime_types}, f)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache we cannot write is only slower, never wrong
