"""Pictures of a map's buckets or groups, as hand-written SVG.

One small square per slot, coloured by its state (live, emptyOne,
emptyRest, evacuated, swiss full/empty/deleted), eight to a bucket or group.
Classic maps are drawn one row per bucket index with the overflow chain to
its right (old buckets first while a grow is under way); swiss maps as their
directory, then each table's groups in a grid.  ``diff_svg`` draws two
snapshots side by side and rings every slot that changed.

Input is the snapshot JSON (``jsonout.snapshot_json(snap)`` with bucket detail);
output is one SVG document as a string.  Large maps are cut at
``MAX_BLOCKS`` buckets or groups per picture, with a note saying so.
"""

import math
from xml.sax.saxutils import escape

from ..diff import blocks, has_detail
from ..errors import UsageError

CELL = 9            # one slot
PAD = 1             # between slots
BOX = 8 * (CELL + PAD) + PAD + 2   # one bucket or group
LINK = 10           # the overflow arrow between chained buckets
ROW = CELL + 6
LABEL = 34
MAX_BLOCKS = 2048
MAX_TIPS = 6000
TIP_TEXT = 120      # characters of an entry shown in a tooltip
FONT = "font-family='monospace' font-size='10'"

COLORS = {
    "live": "#2f9e44", "full": "#2f9e44",
    "emptyOne": "#f59f00", "deleted": "#e03131",
    "emptyRest": "#e9ecef", "empty": "#e9ecef",
    "evacuatedX": "#4263eb", "evacuatedY": "#9c36b5", "evacuatedEmpty": "#a5d8ff",
}
LEGEND = {
    "classic": ("live", "emptyOne", "emptyRest", "evacuatedX", "evacuatedY", "evacuatedEmpty"),
    "swiss": ("full", "deleted", "empty"),
}
TABLE_TINTS = ("#1c7ed6", "#f76707", "#37b24d", "#ae3ec9", "#f59f00", "#0ca678", "#e64980",
               "#495057")


class _Canvas:
    """SVG elements with a running size; ``g`` nests another canvas at an offset.

    ``tips``: how many tooltips (<title>) may still be attached; 0 for none."""

    def __init__(self, tips=MAX_TIPS):
        self.items = []
        self.w = 0
        self.h = 0
        self.tips = tips

    def _grow(self, x, y):
        self.w = max(self.w, x)
        self.h = max(self.h, y)

    def rect(self, x, y, w, h, fill, stroke=None, sw=1, tip=None, rx=0):
        s = f" stroke='{stroke}' stroke-width='{sw}'" if stroke else ""
        r = f" rx='{rx}'" if rx else ""
        body = ""
        if tip and self.tips > 0:
            self.tips -= 1
            body = f"<title>{escape(tip)}</title>"
        el = f"<rect x='{x}' y='{y}' width='{w}' height='{h}' fill='{fill}'{s}{r}"
        self.items.append(el + (f">{body}</rect>" if body else "/>"))
        self._grow(x + w, y + h)

    def text(self, x, y, s, size=10, weight=None, anchor=None, fill="#212529"):
        extra = (f" font-weight='{weight}'" if weight else "") + \
            (f" text-anchor='{anchor}'" if anchor else "")
        self.items.append(f"<text x='{x}' y='{y}' font-family='monospace' font-size='{size}' "
                          f"fill='{fill}'{extra}>{escape(s)}</text>")
        self._grow(x + (len(s) * size * 0.62 if anchor is None else 0), y + 3)

    def line(self, x1, y1, x2, y2, color="#868e96", width=1, arrow=False):
        m = " marker-end='url(#arrow)'" if arrow else ""
        self.items.append(f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' "
                          f"stroke-width='{width}'{m}/>")
        self._grow(max(x1, x2), max(y1, y2))

    def g(self, other, dx, dy):
        self.items.append(f"<g transform='translate({dx},{dy})'>")
        self.items.extend(other.items)
        self.items.append("</g>")
        self._grow(dx + other.w, dy + other.h)


def _tip(where, s):
    t = f"{where} [{s['slot']}] {s['state']} tag {s['tag']:#04x}"
    if "key" in s:
        kv = f"{s['key']}: {s.get('value')}"
        t += "  " + (kv if len(kv) <= TIP_TEXT else kv[:TIP_TEXT - 3] + "...")
    return t


def _block(cv, x, y, addr, blk, marks, tint=None):
    """One bucket or group: a framed strip of 8 slots at (x, y)."""
    cv.rect(x, y, BOX, CELL + 2 * PAD + 2, "#ffffff", tint or "#adb5bd", 1)
    for s in blk["slots"]:
        cx = x + 1 + PAD + s["slot"] * (CELL + PAD)
        hot = (addr, s["slot"]) in marks
        cv.rect(cx, y + 1 + PAD, CELL, CELL, COLORS.get(s["state"], "#ffffff"),
                "#000000" if hot else None, 2 if hot else 1, tip=_tip(blk["where"], s))


def _classic(cv, snap, y, marks):
    bl = blocks(snap)
    rows = {}
    for addr, b in bl.items():
        old = b["kind"].startswith("old")
        rows.setdefault((old, b["index"]), []).append((b["depth"], addr, b))
    drawn = 0
    cut = False
    for old in (True, False):
        keys = sorted(k for k in rows if k[0] == old)
        if not keys:
            continue
        if old:
            g = snap.get("growth") or {}
            cv.text(0, y + 10, f"old buckets ({g.get('kind', '?')} grow: "
                    f"{g.get('evacuated', '?')} of {g.get('old_buckets', '?')} evacuated)",
                    weight="bold")
        else:
            cv.text(0, y + 10, f"buckets (B={snap.get('B')}, {1 << snap.get('B', 0)} "
                    f"buckets; overflow chains to the right)", weight="bold")
        y += 16
        per_col = len(keys) if len(keys) <= 48 else 32
        ncols = math.ceil(len(keys) / per_col)
        col_x = 0
        col_y0 = y
        bottom = y
        for c in range(ncols):
            chunk = keys[c * per_col:(c + 1) * per_col]
            width = 0
            for r, key in enumerate(chunk):
                if drawn >= MAX_BLOCKS:
                    cut = True
                    break
                ry = col_y0 + r * ROW
                cv.text(col_x, ry + 9, str(key[1]), size=9, fill="#868e96")
                x = col_x + LABEL
                for depth, addr, b in sorted(rows[key], key=lambda t: t[0]):
                    if depth:
                        cv.line(x - LINK, ry + ROW // 2 - 2, x - 1, ry + ROW // 2 - 2,
                                arrow=True)
                    _block(cv, x, ry, addr, b, marks)
                    drawn += 1
                    x += BOX + LINK
                width = max(width, x - col_x)
                bottom = max(bottom, ry + ROW)
            col_x += width + 16
        y = bottom + 10
    return y, cut


def _swiss(cv, snap, y, marks):
    drawn, cut = 0, False
    bl = blocks(snap)
    if snap.get("group_detail") is not None or not snap.get("tables"):
        cv.text(0, y + 10, "small map: one group, no table" if snap.get("group") else
                "small map: no group allocated yet", weight="bold")
        y += 16
        g = snap.get("group_detail")
        if g is not None:
            _block(cv, LABEL, y, g["address"], bl[g["address"]], marks)
            y += ROW
        return y + 10, cut
    tables = snap["tables"]
    dir_len = snap.get("dirLen", 0)
    owner = {}
    for i, t in enumerate(tables):
        for d in t["directory_slots"]:
            owner[d] = i
    cv.text(0, y + 10, f"directory: {dir_len} slots, {len(tables)} tables "
            f"(globalDepth {snap.get('globalDepth')})", weight="bold")
    y += 14
    for d in range(min(dir_len, 256)):
        i = owner.get(d)
        cv.rect(LABEL + d * 12, y, 11, 11, TABLE_TINTS[i % len(TABLE_TINTS)]
                if i is not None else "#ffffff", "#495057", 1,
                tip=f"dir[{d}] -> table {i}")
    y += 22
    per_row = 8
    for i, t in enumerate(tables):
        tint = TABLE_TINTS[i % len(TABLE_TINTS)]
        ds = t["directory_slots"]
        dr = f"dir[{ds[0]}]" if len(ds) == 1 else f"dir[{ds[0]}..{ds[-1]}]"
        cv.rect(0, y + 2, 10, 10, tint)
        cv.text(14, y + 10, f"table {i} {dr}: capacity {t['capacity']}, used {t['used']}, "
                f"tombstones {t['tombstones']}, growthLeft {t['growthLeft']}, "
                f"localDepth {t['localDepth']}", weight="bold")
        y += 16
        groups = t.get("groups_detail") or []
        for k, g in enumerate(groups):
            if drawn >= MAX_BLOCKS:
                cut = True
                break
            r, c = divmod(k, per_row)
            if c == 0:
                cv.text(0, y + r * ROW + 9, str(g["index"]), size=9, fill="#868e96")
            _block(cv, LABEL + c * (BOX + 4), y + r * ROW, g["address"], bl[g["address"]],
                   marks, tint)
            drawn += 1
        y += math.ceil(len(groups) / per_row) * ROW + 10
        if cut:
            break
    return y, cut


def _legend(cv, layout, y):
    x = 0
    for st in LEGEND[layout]:
        cv.rect(x, y, CELL, CELL, COLORS[st], "#adb5bd", 1)
        cv.text(x + CELL + 4, y + 8, st, size=9)
        x += CELL + 12 + len(st) * 6
    return y + 16


def _title(snap):
    where = snap.get("address") or "nil"
    return f"{snap.get('type')} at {where} ({snap.get('layout')}, {snap.get('go_version')})"


def _facts(snap):
    s = snap.get("stats") or {}
    held = (s.get("bytes") or {}).get("total", 0)
    if snap.get("layout") == "classic":
        c = s.get("cells") or {}
        return (f"count {snap.get('count')}  B {snap.get('B')}  live {c.get('live', 0)}  "
                f"emptyOne {c.get('emptyOne', 0)}  emptyRest {c.get('emptyRest', 0)}  "
                f"overflow {s.get('overflow_buckets', 0)}  held {held:,} bytes")
    sl = s.get("slots") or {}
    return (f"used {snap.get('count')}  capacity {s.get('capacity', 0)}  full {sl.get('full', 0)}"
            f"  deleted {sl.get('deleted', 0)}  empty {sl.get('empty', 0)}  held {held:,} bytes")


def panel(snap, marks=frozenset(), heading=None, tips=True):
    """A canvas with one snapshot's picture; ``marks`` = {(address, slot)} to ring."""
    cv = _Canvas(MAX_TIPS if tips else 0)
    cv.text(0, 12, heading or _title(snap), size=12, weight="bold")
    cv.text(0, 27, _facts(snap))
    y = 38
    if snap.get("nil"):
        cv.text(0, y + 10, "nil map: no header, no buckets")
        return cv
    if snap.get("layout") == "classic":
        y, cut = _classic(cv, snap, y, marks)
    else:
        y, cut = _swiss(cv, snap, y, marks)
    if cut:
        cv.text(0, y + 8, f"(only the first {MAX_BLOCKS} buckets or groups are drawn)",
                fill="#c92a2a")
        y += 16
    _legend(cv, snap.get("layout", "classic"), y)
    return cv


def _document(cv, title):
    w, h = int(cv.w) + 20, int(cv.h) + 20
    head = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
            f"viewBox='0 0 {w} {h}'>\n<title>{escape(title)}</title>\n"
            "<defs><marker id='arrow' markerWidth='6' markerHeight='6' refX='5' refY='3' "
            "orient='auto'><path d='M0,0 L6,3 L0,6 z' fill='#868e96'/></marker></defs>\n"
            f"<rect width='{w}' height='{h}' fill='#ffffff'/>\n<g transform='translate(10,10)'>\n")
    return head + "\n".join(cv.items) + "\n</g>\n</svg>\n"


def snapshot_svg(snap, title=None, tips=True):
    """The picture of one snapshot JSON dict, as an SVG document string.

    ``tips``: a tooltip per slot (state, tag, entry); off for smaller files."""
    if not has_detail(snap):
        raise UsageError("the snapshot has no bucket or group detail to draw (take it with "
                         "--buckets or gomap-snap)")
    return _document(panel(snap, heading=title, tips=tips), title or _title(snap))


def diff_svg(a, b, d, tips=True):
    """Snapshots ``a`` (before) and ``b`` (after) side by side, changed slots ringed.

    ``d`` is their diff (gdb_gomap.diff.diff).
    """
    marks = frozenset((c["address"], c["slot"]) for c in d["slots"])
    pa = panel(a, marks, f"before: {d['a']['name']}", tips)
    pb = panel(b, marks, f"after: {d['b']['name']}", tips)
    cv = _Canvas()
    cv.text(0, 12, f"gomap-diff {d['a']['name']} -> {d['b']['name']}: {_title(b)}", size=13,
            weight="bold")
    tr = ", ".join(f"{k} {v}" for k, v in sorted(d["transitions"].items(), key=lambda kv: -kv[1]))
    cv.text(0, 28, f"{len(d['slots'])} slots changed (ringed in black)" +
            (f": {tr}" if tr else "") + f"; held {d['bytes']['a']:,} -> {d['bytes']['b']:,} bytes")
    cv.g(pa, 0, 40)
    cv.g(pb, int(pa.w) + 40, 40)
    return _document(cv, f"gomap-diff {d['a']['name']} -> {d['b']['name']}")
