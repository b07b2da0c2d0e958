"""``gomap report --html``: the census as one self-contained page.

No library and no network: the page is HTML with its CSS and script inline
(``page.css``, ``page.js`` beside this module) and the report's JSON in a
``<script type="application/json" id="gomap-data">`` element.  What can be
drawn ahead of time is drawn here as plain SVG (each top map's cell bar,
histogram and picture); the script draws the treemap to the width of the
window and makes the groups table sort and filter.  The page reads
without its script too: everything but the treemap is static HTML.

The treemap's areas are the groups' ``exclusive`` bytes, which add up to the
bytes all maps retain together (no byte drawn twice), nested in the package
or goroutine function the group's path starts from; a rectangle's colour is
its group's dead share: the cells of its maps' storage that hold no entry.
"""

import json
from html import escape
from importlib import resources
from typing import Any, Dict, List

from ..census import groups as groups_mod
from . import census as census_view
from .census import human
from .svg import COLORS

GRID_CELL = 7           # one square of a map's summary grid
GRID_COLUMNS = 64
HIST_W, HIST_H = 360, 120


def _asset(name):
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _script_json(obj):
    """JSON safe inside a <script> element: no '<', '>' or '&' at all (written as
    \\u escapes, which JSON.parse reads back), so nothing in it can close the
    element or look like markup."""
    text = json.dumps(obj, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def dead_colour(dead):
    """The colour of a dead share in [0, 1] (None: no cells): green to red."""
    if dead is None:
        return "#adb5bd"
    hue = 120 * (1 - min(1.0, max(0.0, dead)))
    return f"hsl({hue:.0f},55%,{42 + 10 * dead:.0f}%)"


def _pct(x):
    return f"{100.0 * x:.1f}%"


# --- each top map: pictures drawn here ------------------------------------------------

def cell_bar(cells, width=360):
    """A stacked bar of a map's cells by state, with its legend."""
    total = sum(cells.values())
    if not total:
        return "<p class='muted'>no cells: the map has no group or bucket</p>"
    x, parts, legend = 0.0, [], []
    for state, n in cells.items():
        if not n:
            continue
        w = width * n / total
        colour = COLORS.get(state, "#868e96")
        parts.append(f"<rect x='{x:.2f}' y='0' width='{w:.2f}' height='14' fill='{colour}'>"
                     f"<title>{escape(state)}: {n:,}</title></rect>")
        legend.append(f"<span class='key'><i style='background:{colour}'></i>"
                      f"{escape(state)} {n:,} ({_pct(n / total)})</span>")
        x += w
    return (f"<svg class='cellbar' width='{width}' height='14' viewBox='0 0 {width} 14'>"
            + "".join(parts) + "</svg><div class='legend'>" + " ".join(legend) + "</div>")


def histogram_svg(hist):
    bins = hist.get("bins") or []
    if not bins:
        return f"<p class='muted'>{escape(hist.get('title', 'no histogram'))}</p>"
    top = max(n for _, n in bins) or 1
    bw = HIST_W / len(bins)
    out = [f"<figure class='hist'><figcaption>{escape(hist['title'])}</figcaption>"
           f"<svg width='{HIST_W}' height='{HIST_H + 16}' viewBox='0 0 {HIST_W} {HIST_H + 16}'>"]
    for i, (label, n) in enumerate(bins):
        h = HIST_H * n / top
        x = i * bw
        out.append(f"<rect x='{x + 1:.1f}' y='{HIST_H - h:.1f}' width='{max(1.0, bw - 2):.1f}' "
                   f"height='{h:.1f}' fill='#4263eb'><title>{escape(label)}: {n:,} "
                   f"{escape(hist.get('unit', ''))}</title></rect>")
        if len(bins) <= 16:
            out.append(f"<text x='{x + bw / 2:.1f}' y='{HIST_H + 12}' "
                       f"text-anchor='middle'>{escape(label)}</text>")
    out.append("</svg></figure>")
    return "".join(out)


def grid_svg(blocks, kind, per=1, total=None):
    """One square per group, bucket chain or table (or per ``per`` consecutive ones),
    shaded by its live share; a red one has tombstones."""
    if not blocks:
        return ""
    cols = min(GRID_COLUMNS, len(blocks))
    rows = (len(blocks) + cols - 1) // cols
    w, h = cols * GRID_CELL, rows * GRID_CELL
    each = "one square each" if per == 1 else f"one square per {per:,} consecutive ones"
    count = total if total is not None else len(blocks) * per
    out = [f"<figure class='grid'><figcaption>{count:,} {escape(kind)}s, {each}: darker is "
           f"fuller, red has tombstones</figcaption>"
           f"<svg width='{w}' height='{h}' viewBox='0 0 {w} {h}'>"]
    for i, (live, dead, cells) in enumerate(blocks):
        x, y = (i % cols) * GRID_CELL, (i // cols) * GRID_CELL
        if dead:
            colour = COLORS["deleted"]
        elif not live:
            colour = "#e9ecef"
        else:
            share = live / cells if cells else 0
            colour = f"hsl(130,50%,{80 - 50 * share:.0f}%)"
        out.append(f"<rect x='{x}' y='{y}' width='{GRID_CELL - 1}' height='{GRID_CELL - 1}' "
                   f"fill='{colour}'/>")
    out.append("</svg></figure>")
    return "".join(out)


def _facts_table(fields):
    rows = []
    for k, v in fields.items():
        if isinstance(v, (dict, list)):
            v = json.dumps(v)
        rows.append(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>")
    return "<table class='facts'>" + "".join(rows) + "</table>"


def map_section(m, index):
    dead = groups_mod.dead_share(m["entries"], m["slots"]) if m["slots"] else None
    out = [f"<section class='map' id='map-{index}'><h3><code>{escape(m['path'])}</code></h3>",
           f"<p><code>{escape(m['type'])}</code> at <code>{m['header']:#x}</code>: "
           f"{m['entries']:,} entries, own {human(m['own'])}, retained "
           f"{human(m['retained'])}, {m['slots']:,} cells"
           + (f", {_pct(dead)} of them dead ({m['tombstones']:,} tombstones)"
              if dead is not None else "") + "</p>"]
    if "error" in m:
        out.append(f"<p class='warn'>{escape(m['error'])}</p></section>")
        return "".join(out)
    for w in m.get("warnings", ()):
        out.append(f"<p class='warn'>{escape(w)}</p>")
    if m.get("growth"):
        out.append(f"<p>growing: {escape(json.dumps(m['growth']))}</p>")
    out.append("<div class='pics'>")
    out.append(f"<div>{cell_bar(m['cells'])}{histogram_svg(m['histogram'])}</div>")
    out.append(f"<details><summary>header</summary>{_facts_table(m['fields'])}</details>")
    out.append("</div>")
    if m.get("svg"):
        out.append("<figure class='slots'><figcaption>every slot</figcaption>"
                   + _inline_svg(m["svg"]) + "</figure>")
    else:
        out.append(grid_svg(m.get("blocks") or [], m.get("block_kind", "block"),
                            m.get("blocks_per_square", 1), m.get("block_total")))
    out.append("</section>")
    return "".join(out)


def _inline_svg(doc):
    """An SVG document from render.svg, as an element inside HTML."""
    start = doc.find("<svg")
    return doc[start:] if start >= 0 else ""


# --- the page -------------------------------------------------------------------------

def _groups_table(rows):
    head = ("<thead><tr><th data-key='pattern' data-type='text'>pattern</th>"
            "<th data-key='maps'>maps</th><th data-key='entries'>entries</th>"
            "<th data-key='own'>own</th><th data-key='retained' class='sorted desc'>retained</th>"
            "<th data-key='exclusive'>exclusive</th><th data-key='dead'>dead</th>"
            "<th data-key='tombstones'>tombstones</th></tr></thead>")
    body = []
    for g in rows:
        dead = g.dead if g.slots else -1
        cells = [("pattern", g.pattern, f"<code>{escape(g.pattern)}</code>")]
        cells += [(k, getattr(g, k), f"{getattr(g, k):,}") for k in ("maps", "entries")]
        cells += [(k, getattr(g, k), human(getattr(g, k))) for k in ("own", "retained",
                                                                      "exclusive")]
        cells.append(("dead", dead, "-" if dead < 0 else
                      f"<i class='swatch' style='background:{dead_colour(dead)}'></i>"
                      f"{_pct(dead)}"))
        cells.append(("tombstones", g.tombstones, f"{g.tombstones:,}"))
        tds = "".join(f"<td data-v='{escape(str(v), quote=True)}'>{text}</td>"
                      for _, v, text in cells)
        body.append(f"<tr data-pattern='{escape(g.pattern, quote=True)}' "
                    f"data-entries='{g.entries}'>{tds}</tr>")
    return (f"<table id='groups'>{head}<tbody>" + "".join(body) + "</tbody></table>")


def _source_lines(info):
    where = (f"core <code>{escape(str(info['core']))}</code>" if info.get("core") else
             f"live process {info['pid']}" if info.get("pid") is not None else "gdb")
    lines = [f"<code>{escape(str(info.get('executable')))}</code>, {where}",
             f"{escape(str(info.get('go_version')))}, {escape(str(info.get('layout')))} maps, "
             f"{escape(str(info.get('arch') or 'amd64'))}"]
    bid = info.get("build_id")
    if bid:
        mismatch = [w for w in info.get("warnings", ()) if "build ID" in w]
        lines.append(f"build ID <code>{escape(bid)}</code>: " +
                     ("<b class='warn'>does not match</b> (forced)" if mismatch else
                      "matches the " + ("core" if info.get("core") else "process")))
    return lines


def write_page(c, info, write, maps: List[Dict[str, Any]], all_nil=False, top=None,
               min_bytes=None, expand=None):
    """The page for census ``c`` (``maps``: census.topmaps.describe of the largest)."""
    doc = census_view.report_json(c, info, maps=len(maps), all_nil=all_nil, top=top,
                                  min_bytes=min_bytes, expand=expand)
    rows = groups_mod.select(c.groups, top, min_bytes)
    title = f"gomap report: {info.get('executable')}"
    header = census_view._header_lines(c, info)
    walk_lines = [ln for ln in header[1:] if not ln.startswith("  ")
                  and not ln.startswith("not read") and not ln.startswith("not followed")]
    unread = [ln.strip() for ln in header if ln.startswith("  ")]
    data = {"report": doc, "heap_bytes": c.heap_bytes,
            "maps_retained": c.map_retained}
    w = write
    w("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
      f"<title>{escape(title)}</title><style>{_asset('page.css')}</style></head><body>\n")
    w("<header><h1>gomap report</h1><ul class='source'>"
      + "".join(f"<li>{ln}</li>" for ln in _source_lines(info)) + "</ul></header>\n")
    w("<main>\n<section id='summary'><ul>"
      + "".join(f"<li>{escape(ln)}</li>" for ln in walk_lines) + "</ul>")
    if unread:
        w("<details><summary>what the walk could not read or did not follow "
          f"({len(unread):,} lines)</summary><ul>"
          + "".join(f"<li>{escape(ln)}</li>" for ln in unread) + "</ul></details>")
    else:
        w("<p>The walk read everything it met.</p>")
    w("</section>\n")
    w("<section id='treemap-section'><h2>Where the maps' memory is</h2>"
      "<p class='muted'>Each rectangle is a group of maps, inside the package or goroutine "
      "function its path starts from; its area is the bytes the group retains that no other "
      "map holds (the groups' areas add up to the " + human(c.map_retained) + " all maps "
      "retain), its colour the share of its maps' cells that hold no entry: "
      f"<i class='swatch' style='background:{dead_colour(0)}'></i> none "
      f"<i class='swatch' style='background:{dead_colour(0.5)}'></i> half "
      f"<i class='swatch' style='background:{dead_colour(1)}'></i> all. "
      "Click one to filter the table.</p>"
      "<div id='treemap'><noscript>The treemap needs JavaScript; the table below "
      "does not.</noscript></div></section>\n")
    w("<section id='groups-section'><h2>Groups</h2><div class='controls'>"
      "<label>filter <input id='filter' type='search' placeholder='main.cache*, goroutine'>"
      "</label> <label><input id='show-empty' type='checkbox'> show groups of empty maps"
      "</label> <span id='shown'></span></div>")
    w(_groups_table(rows))
    hidden = len(c.groups) - len(rows)
    if hidden:
        w(f"<p class='muted'>{hidden:,} more groups not in this page (--top, --min-bytes)</p>")
    w("</section>\n<section id='maps-section'><h2>Largest maps</h2>")
    for i, m in enumerate(maps):
        w(map_section(m, i))
    if not maps:
        w("<p>No maps.</p>")
    w("</section>\n<section id='nil-section'><h2>Nil maps</h2><p>"
      + escape(census_view.nil_line(c, all_nil)) + "</p>")
    if all_nil:
        w("<ul>" + "".join(f"<li><code>{escape(n['path'])}</code> <code>{escape(n['type'])}"
                           f"</code></li>" for n in doc["nil_maps"].get("maps", ())) + "</ul>")
    w("</section>\n</main>\n")
    w(f"<script type='application/json' id='gomap-data'>{_script_json(data)}</script>\n")
    w(f"<script>{_asset('page.js')}</script>\n</body></html>\n")
