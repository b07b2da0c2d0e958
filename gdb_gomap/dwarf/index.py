"""A name index over a Go binary's DWARF, cached on disk by content.

Building it walks every DIE once (about a second for a 2 MB binary with
pyelftools, 25 times less with the raw scanner); later sessions on the same
binary load it from ``dwarf/`` under gomap's cache directory
(:func:`gdb_gomap.cachedir.cache_dir`) instead.

The cache entry is keyed by a hash of the raw bytes of the sections the index
is built from (:attr:`gdb_gomap.dwarf.elf.Dwarf.digest`), never by a name the
file gives itself: two binaries share an entry only when their DWARF is the
same.  A cache file is still checked before it is used, and rebuilt, never
trusted, when it has the wrong shape or disagrees with the DWARF:

- on load: every offset is an int inside ``.debug_info``, and a few entries
  (the runtime's map headers, a handful of variables and types spread over
  the file) are the DIEs they claim to be;
- on use: :class:`~gdb_gomap.dwarf.types.TypeTable` checks the DIE it reads
  for a name against that name, and calls :meth:`DwarfIndex.rebuild` when
  they differ.
"""

import hashlib
import json
import os
import tempfile
from itertools import chain

from ..cachedir import cache_dir as gomap_cache_dir
from . import scan
from .attrs import GO_KIND, GO_RUNTIME_TYPE, TYPE_TAGS, name_of
from .elf import PARSE_ERRORS, corrupt

INDEX_FORMAT = 4
MAP_HEADERS = ("runtime.hmap", "internal/runtime/maps.Map")
SAMPLE = 4   # variables and types checked against the DWARF when a cache file is loaded


def cache_dir():
    """Where index files go: ``dwarf/`` under gomap's cache directory."""
    return os.path.join(gomap_cache_dir(), "dwarf")


def content_digest(dwarfinfo):
    """The hash the cache is keyed by: the Dwarf's own, or one of the inflated
    .debug_info, .debug_abbrev and .debug_str of a plain pyelftools DWARFInfo."""
    digest = getattr(dwarfinfo, "digest", "")
    if digest:
        return digest
    h = hashlib.blake2b(digest_size=20)
    for sec in (dwarfinfo.debug_info_sec, dwarfinfo.debug_abbrev_sec, dwarfinfo.debug_str_sec):
        data = sec.stream.getvalue() if sec is not None else b""
        h.update(b"%d\0" % len(data))
        h.update(data)
    return "inflated:" + h.hexdigest()


def _confirm(dwarfinfo, malformed):
    """CorruptDwarf (in the scanner's words, which say more) if pyelftools also
    fails on the unit header or the one DIE where the scanner found ``malformed``
    bytes; else None (then the scanner is what is wrong)."""
    unit = malformed.unit or 0
    try:
        cu = dwarfinfo.get_CU_at(unit)
        if malformed.die is not None and malformed.die > unit:
            cu.get_DIE_from_refaddr(malformed.die)
        else:
            cu.get_top_DIE()
    except PARSE_ERRORS:
        return corrupt(dwarfinfo, malformed, malformed.section, malformed.offset)
    return None


class DwarfIndex:
    """Names of types and package variables mapped to DIE offsets.

    types:          type name -> list of DIE offsets (typedefs and named types)
    variables:      package-level variable name -> DIE offset
    runtime_types:  DW_AT_go_runtime_type value -> DIE offset (for interfaces)
    from_cache:     True when it was read from the disk cache (and so may be
                    rebuilt by :meth:`rebuild` if the DWARF disagrees with it)
    fallback:       None, or one line saying why this index was built by the slow
                    pyelftools walk instead of the fast scanner (see :meth:`build`)
    """

    def __init__(self, types, variables, runtime_types):
        self.types = types
        self.variables = variables
        self.runtime_types = runtime_types
        self.from_cache = False
        self.fallback = None   # why the fast scanner gave way to the slow walk, if it did
        self._dwarf = None
        self._path = None
        self._variable_names = None

    @classmethod
    def load(cls, binary, dwarfinfo, use_cache=True):
        """Load the index for ``binary`` from the disk cache, or build and save it."""
        path = None
        if use_cache and os.environ.get("GOMAP_NO_CACHE") != "1":
            digest = content_digest(dwarfinfo)
            name = hashlib.sha256(f"{digest}:{INDEX_FORMAT}".encode()).hexdigest()[:32]
            path = os.path.join(cache_dir(), name + ".json")
            index = cls._read_cache(path, digest, dwarfinfo)
            if index is not None:
                index._dwarf, index._path = dwarfinfo, path
                return index
        index = cls.build(dwarfinfo)
        index._dwarf, index._path = dwarfinfo, path
        if path is not None:
            index._save(path, digest)
        return index

    @classmethod
    def _read_cache(cls, path, digest, dwarfinfo):
        """The index in the cache file at ``path`` if it is whole, of the right
        shape and agrees with ``dwarfinfo``; else None (and it will be rebuilt)."""
        try:
            with open(path) as f:
                raw = json.load(f)
        except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON
            return None
        size = dwarfinfo.debug_info_sec.size
        index = cls._from_json(raw, digest, size)
        if index is None or not index._agrees(dwarfinfo):
            return None
        index.from_cache = True
        return index

    @classmethod
    def _from_json(cls, raw, digest, info_size):
        """An index from a parsed cache file, or None if it is not what _save writes."""
        if not isinstance(raw, dict) or raw.get("format") != INDEX_FORMAT or \
                raw.get("digest") != digest:
            return None
        types, variables, rtypes = raw.get("types"), raw.get("variables"), \
            raw.get("runtime_types")
        if not (type(types) is dict and type(variables) is dict and type(rtypes) is dict):
            return None
        lists = types.values()
        if set(map(type, lists)) - {list} or not all(lists):
            return None
        offsets = list(chain(chain.from_iterable(lists), variables.values(), rtypes.values()))
        if set(map(type, offsets)) - {int}:   # bool, float, str, None: not an offset
            return None
        if offsets and (min(offsets) < 0 or max(offsets) >= info_size):
            return None
        try:
            rt = {int(k): v for k, v in rtypes.items()}
        except ValueError:
            return None
        return cls(types, variables, rt)

    def _agrees(self, dwarfinfo):
        """True when a few entries are the DIEs they claim to be (see the module doc)."""
        probes = []
        for name in MAP_HEADERS:
            if name in self.types:
                probes.append((self.types[name][0], name, False))
        for table, is_var in ((self.variables, True), (self.types, False)):
            items = list(table.items())
            for i in range(0, len(items), max(1, len(items) // SAMPLE)):
                name, off = items[i]
                probes.append((off if is_var else off[0], name, is_var))
        for off, name, is_var in probes:
            try:
                die = dwarfinfo.get_DIE_from_refaddr(off)
                tag, got = die.tag, name_of(die)
            except PARSE_ERRORS:
                return False
            if got != name or (tag == "DW_TAG_variable") != is_var or \
                    (not is_var and tag not in TYPE_TAGS):
                return False
        return True

    def rebuild(self):
        """Build the index again from the DWARF (the cache disagreed with it) and
        replace this one's tables and its cache file.  False if it was built, not
        read from the cache: then a disagreement is the DWARF's own."""
        if not self.from_cache or self._dwarf is None:
            return False
        fresh = self.build(self._dwarf)
        self.types, self.variables = fresh.types, fresh.variables
        self.runtime_types = fresh.runtime_types
        self.fallback = fresh.fallback
        self.from_cache = False
        self._variable_names = None
        if self._path is not None:
            self._save(self._path, content_digest(self._dwarf))
        return True

    def variable_name_at(self, offset):
        """The variable name the index gives the DIE at ``offset``, or None."""
        if self._variable_names is None:
            self._variable_names = {off: name for name, off in self.variables.items()}
        return self._variable_names.get(offset)

    @classmethod
    def build(cls, dwarfinfo):
        """Index with the fast scanner.  Where the scanner meets bytes that break
        DWARF's rules, pyelftools confirms it on that one unit (CorruptDwarf, at
        once, however large the binary); the whole slow walk is only for what
        the scanner does not handle, or if pyelftools reads that unit fine.  An
        index built by the slow walk says why in :attr:`fallback`."""
        try:
            info = dwarfinfo.debug_info_sec.stream.getvalue()
            abbrev = dwarfinfo.debug_abbrev_sec.stream.getvalue()
            strs = dwarfinfo.debug_str_sec.stream.getvalue() if dwarfinfo.debug_str_sec else b""
            order = "little" if dwarfinfo.config.little_endian else "big"
            return cls(*scan.scan(info, abbrev, strs, order))
        except scan.Malformed as exc:
            if exc.final:
                raise corrupt(dwarfinfo, exc, exc.section, exc.offset) from exc
            confirmed = _confirm(dwarfinfo, exc)
            if confirmed is not None:
                raise confirmed from exc
            why = (f"the fast scanner took {exc.section} offset {exc.offset:#x} for malformed "
                   f"({exc}) but pyelftools reads it: a gomap bug, please report it")
        except scan.ScanError as exc:
            why = f"the fast scanner does not handle this DWARF: {exc}"
        except (IndexError, KeyError, ValueError, AttributeError) as exc:
            why = (f"the fast scanner failed ({type(exc).__name__}: {exc}): a gomap bug, "
                   f"please report it")
        index = cls.build_slow(dwarfinfo)
        index.fallback = (f"the DWARF name index was built by the slow pyelftools walk (many "
                          f"times slower; kept in the cache after): {why}")
        return index

    @classmethod
    def build_slow(cls, dwarfinfo):
        """Index by walking every DIE with pyelftools (slow, general)."""
        types, variables, rtypes = {}, {}, {}
        where = 0
        try:
            for cu in dwarfinfo.iter_CUs():
                where = cu.cu_offset
                top = cu.get_top_DIE()
                for die in cu.iter_DIEs():
                    where = die.offset
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
                        if rt is not None and type(rt.value) is int and rt.value and \
                                rt.value not in rtypes:
                            rtypes[rt.value] = die.offset
        except PARSE_ERRORS as exc:   # raised by pyelftools: the loop body only reads dicts
            raise corrupt(dwarfinfo, exc, ".debug_info", where) from exc
        return cls(types, variables, rtypes)

    def _save(self, path, digest):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as f:
                    json.dump({"format": INDEX_FORMAT, "digest": digest, "types": self.types,
                               "variables": self.variables,
                               "runtime_types": self.runtime_types}, f)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a cache we cannot write is only slower, never wrong

