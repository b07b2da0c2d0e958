"""What the report page shows of each of its largest maps, read again from the
target while it is still open: the header, how the cells are used, a
histogram of fill, and the data for a picture.

A map of at most ``DETAIL_BLOCKS`` groups or buckets is decoded with its
bucket detail: the histogram counts groups by full slots (swiss) or bucket
chains by length (classic), and ``blocks`` holds one (live, tombstones,
cells) triple per group or chain for the page's summary grid; at most
``SLOT_BLOCKS`` of them also get the slot-by-slot SVG of ``render.svg``.  A
larger map is summarised without detail: a swiss map by its tables (one
triple per table, histogram of table load), a classic map by its cell counts.
A grid has at most ``GRID_MAX`` squares: beyond that, each square adds up a
run of consecutive blocks (``blocks_per_square``).

Everything returned is plain data (JSON-ready); ``render.page`` draws it.
"""

from typing import Any, Dict, List

from ..decoding import DumpOptions
from ..errors import GomapError, UnreadableMemory
from ..render.jsonout import snapshot_json
from ..render.svg import snapshot_svg

DETAIL_BLOCKS = 4096      # groups or buckets decoded with their slots
SLOT_BLOCKS = 48          # drawn slot by slot (else as the summary grid)
LOAD_BINS = 8             # table load histogram: eighths
GRID_MAX = 4096           # squares in a summary grid; more blocks share a square
# the snapshot fields that are not the header's (the tables, the walk's figures)
SKIP_FIELDS = ("schema", "stats", "entries_complete", "tables", "warnings", "growth")


def _blocks_of(stats, layout):
    if layout == "swiss":
        return stats.get("groups", 0)
    return (stats.get("buckets", 0) + stats.get("old_buckets", 0)
            + stats.get("overflow_buckets", 0))


def _cells(stats, layout):
    """{state: count} of every cell: swiss full/deleted/empty, classic tophash states."""
    if layout == "swiss":
        s = stats.get("slots") or {}
        return {"full": s.get("full", 0), "deleted": s.get("deleted", 0),
                "empty": s.get("empty", 0)}
    return {k: v for k, v in (stats.get("cells") or {}).items()}


def _swiss_detail(snap):
    groups = [g for t in snap.tables or () for g in t.groups or ()]
    if snap.group is not None:
        groups.append(snap.group)
    blocks, bins = [], [0] * 9
    for g in groups:
        full = sum(1 for s in g.slots if s.state == "full")
        dead = sum(1 for s in g.slots if s.state == "deleted")
        blocks.append([full, dead, len(g.slots)])
        bins[full] += 1
    hist = {"title": "groups by full slots", "unit": "groups",
            "bins": [[str(i), n] for i, n in enumerate(bins)]}
    return blocks, hist, "group"


def _classic_detail(snap):
    blocks, lengths = [], {}
    for c in snap.chains or ():
        live = sum(1 for b in c.buckets for s in b.slots if s.state == "live")
        dead = sum(1 for b in c.buckets for s in b.slots if s.state == "emptyOne")
        cells = sum(len(b.slots) for b in c.buckets)
        blocks.append([live, dead, cells])
        n = len(c.buckets)
        lengths[n] = lengths.get(n, 0) + 1
    hist = {"title": "bucket chains by length (buckets, overflow included)",
            "unit": "chains",
            "bins": [[str(n), lengths.get(n, 0)] for n in range(1, max(lengths or [1]) + 1)]}
    return blocks, hist, "bucket chain"


def _swiss_tables(snap):
    blocks, bins = [], [0] * LOAD_BINS
    for t in snap.tables or ():
        cells = t.full + t.empty + t.tombstones
        blocks.append([t.full, t.tombstones, cells])
        load = t.full / cells if cells else 0.0
        bins[min(LOAD_BINS - 1, int(load * LOAD_BINS))] += 1
    hist = {"title": "tables by load (full slots / slots)", "unit": "tables",
            "bins": [[f"{i}/{LOAD_BINS}-{i + 1}/{LOAD_BINS}", n] for i, n in enumerate(bins)]}
    return blocks, hist, "table"


def describe(target, member) -> Dict[str, Any]:
    """The page's data for one map (a census ``groups.Member``)."""
    out: Dict[str, Any] = {"path": member.path, "type": member.type_name,
                           "header": member.header, "entries": member.entries,
                           "own": member.own, "retained": member.retained,
                           "slots": member.slots, "tombstones": member.tombstones}
    try:
        mt = target.map_type(member.type_name)
        snap = target.dump(mt, member.header, DumpOptions(entries=False, sort=False))
        layout = snap.layout
        nblocks = _blocks_of(snap.stats, layout)
        detail = None
        if 0 < nblocks <= DETAIL_BLOCKS:
            detail = target.dump(mt, member.header,
                                 DumpOptions(entries=False, sort=False, detail=True))
    except (GomapError, UnreadableMemory) as exc:
        out["error"] = f"not read again for the picture: {exc}"
        return out
    head = snapshot_json(snap, entries=False)
    fields = {k: v for k, v in head.items() if k not in SKIP_FIELDS
              and (not isinstance(v, (list, dict)) or k in ("flag_names", "extra_fields"))}
    out.update(fields=fields, cells=_cells(snap.stats, layout), growth=snap.growth,
               warnings=list(snap.warnings))
    if detail is not None:
        blocks, hist, kind = (_swiss_detail if layout == "swiss" else _classic_detail)(detail)
        if nblocks <= SLOT_BLOCKS:
            out["svg"] = snapshot_svg(snapshot_json(detail, entries=False), title=member.path,
                                      tips=False)
    elif layout == "swiss" and snap.tables:
        blocks, hist, kind = _swiss_tables(snap)
    else:
        blocks, kind = [], "bucket chain"
        hist = {"title": f"no histogram: {nblocks:,} buckets are more than the "
                         f"{DETAIL_BLOCKS:,} read one by one", "unit": "", "bins": []}
    out["block_total"] = len(blocks)
    per = -(-len(blocks) // GRID_MAX) if blocks else 1
    if per > 1:         # consecutive blocks added up into one square
        blocks = [[sum(b[i] for b in blocks[k:k + per]) for i in range(3)]
                  for k in range(0, len(blocks), per)]
    out.update(blocks=blocks, block_kind=kind, blocks_per_square=per, histogram=hist)
    return out


def describe_all(target, members) -> List[Dict[str, Any]]:
    return [describe(target, m) for m in members]
