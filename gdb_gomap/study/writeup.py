"""Write the study's report: Markdown, JSON, an HTML page and SVG pictures.

Every cell of every table comes from ``analyze`` (computed from the runs);
this module only lays the answers out.  Tables are built once as (header,
rows) and written both as Markdown and as HTML.  Builds whose answers to a
question are identical share one column where a table is per build.
"""

import html
import json

from ..diff import diff
from ..render.svg import diff_svg, snapshot_svg
from .analyze import memory_text

# (scenario, map, step A, step B or None for a single snapshot, caption)
PICTURES = (
    ("deletehalf", "main.MInt", 1, 2, "100 keys, then the 50 even keys deleted"),
    ("clear", "main.MInt", 1, 2, "100 keys, then clear()"),
    ("churn", "main.MChurn", 13, None, "48 live keys after 4,800 delete/insert operations"),
)


def _short(build):
    return build.replace("-opt", "")


# -- tables ---------------------------------------------------------------------------

def _grouped(results, cell):
    """Columns of builds with identical answers: [(label, [cells...])]."""
    cols = []
    for build, _, res in results:
        vals = cell(res)
        for c in cols:
            if c[1] == vals:
                c[0].append(_short(build))
                break
        else:
            cols.append(([_short(build)], vals))
    return [(", ".join(b), v) for b, v in cols]


def t_builds(results):
    rows = []
    for build, loaded, res in results:
        ck = res["checks"]
        rows.append([_short(build), res["go_version"], res["layout"] or "-",
                     ", ".join(sorted(loaded)), f"{ck['passed']}/{ck['total']}"])
    return ["build", "Go", "layout", "scenarios run", "truth checks passed"], rows


def t_release(results):
    rows = []
    for build, _, res in results:
        for r in res["release"].get("maps", []):
            re_ = r.get("reinsert") or {}
            rows.append([_short(build), f"{r['map']} `{r['type']}`",
                         "**yes**" if r["returned"] else "no",
                         memory_text(r["memory"]) + (" (a grow under way finished)"
                                                     if r["old_released"] else ""),
                         " → ".join(f"{b:,}" for b in r["bytes"]),
                         "yes" if r["reseeded"] else "no",
                         f"{re_.get('allocated', '-')} allocated" if re_ else "-"])
    return ["build", "map", "memory returned?", "buckets/groups after deleting all",
            "bytes held: full → all deleted → after GC", "hash seed changed",
            "10 new keys"], rows


def t_bytes(results):
    first = next((res for _, _, res in results if res["bytes"].get("maps")), None)
    if first is None:
        return ["map"], []
    names = [r["map"] for r in first["bytes"]["maps"]]

    def cell(res):
        by = {r["map"]: r for r in res["bytes"].get("maps", [])}
        return [f"key {by[n]['key_verdict']}; elem {by[n]['elem_verdict']}" if n in by else "-"
                for n in names]
    cols = _grouped(results, cell)
    rows = []
    for i, r in enumerate(first["bytes"]["maps"]):
        ind = []
        if r["indirect_key"]:
            ind.append("key indirect")
        if r["indirect_elem"]:
            ind.append("elem indirect")
        rows.append([f"{r['map']} `{r['type']}`",
                     f"{r['key_cell']} / {r['elem_cell']}" + (f" ({', '.join(ind)})" if ind else ""),
                     str(r["removed"])] + [c[1][i] for c in cols])
    return ["map", "key / elem cell bytes", "deleted"] + [c[0] for c in cols], rows


def t_states(results):
    rows = []
    for build, _, res in results:
        st = res["states"].get("states", {})
        rows.append([_short(build)] + [
            "; ".join(f"**{s}** {'' if i.get('watch') else 'tag '}{i['tags']}, first in "
                      f"{i['scenario']} step {i['step']}" for s, i in st.items())])
    return ["build", "states seen (tophash or control byte values)"], rows


def t_tombstones(results):
    rows = []
    for build, _, res in results:
        t = res["tombstones"]
        f = t.get("first")
        first = (f"{f['tombstones']} after {f['deleted']} deletes ({f['scenario']} step "
                 f"{f['step']})") if f else "none"
        flows = t.get("flows", {})
        made = flows.get("tombstone made by delete", 0)
        plain = flows.get("deleted without tombstone", 0)
        gone = ", ".join(f"{k.replace('tombstone ', '').replace('tombstones ', '')} {v}"
                         for k, v in sorted(flows.items(), key=lambda kv: -kv[1])
                         if v and k.startswith(("tombstone reused", "tombstone cleared",
                                                "tombstones dropped")))
        churn = " ".join(map(str, t.get("series", {}).get("churn main.MChurn", [])))
        sm = t.get("small_map") or {}
        small = ", ".join(f"{k} {v}" for k, v in (sm.get("transitions") or {}).items())
        nb = t.get("new_tombstone_blocks") or {}
        had = f"{nb.get('with empty', 0)} of {nb.get('with empty', 0) + nb.get('full', 0)}" \
            if nb else "-"
        rows.append([_short(build), first, f"{made} of {made + plain}", had, gone or "-",
                     churn, small or "-"])
    return ["build", "first tombstones", "deletes that left a tombstone",
            "steps that only deleted: buckets/groups given a tombstone that had an empty "
            "slot before",
            "tombstones removed by (cells)", "churn: tombstones at each checkpoint",
            "small map (6 keys, 3 deleted)"], rows


def t_clear(results):
    rows = []
    for build, _, res in results:
        for r in res["clear"].get("maps", []):
            hdr = ", ".join(f"{k} {_v(a)}→{_v(b)}" for k, (a, b) in r["header"].items()
                            if k not in ("count", "used", "growth"))
            after = r.get("after_inserts") or {}
            rows.append([_short(build), f"{r['map']} `{r['type']}`",
                         "yes" if r["keeps_size"] else "**no**",
                         f"{_size(r['size'][0])} → {_size(r['size'][1])}",
                         memory_text(r["memory"]), " → ".join(f"{b:,}" for b in r["bytes"]),
                         f"key {r['key']}; elem {r['elem']}", hdr,
                         f"{after.get('allocated', '-')} allocated" if after else "-"])
    return ["build", "map", "keeps size", "size", "memory", "bytes held", "cleared cells",
            "header changes", "3 new keys"], rows


def t_growth(results):
    rows = []
    for build, _, res in results:
        g = res["growth"]
        evs = g.get("events", [])
        starts = ", ".join(
            f"{e['count']} ({e['size_before']}→{e['size_after']}"
            f"{'' if e['what'] in ('doubling', 'grow') else ' ' + e['what']})" for e in evs)
        ev_txt = ", ".join(f"{e['evacuations']}/{e['finished_at_count'] - e['count']}"
                           for e in evs if e.get("evacuations"))
        unit = evs[0]["unit"] if evs else ""
        rows.append([_short(build), starts, f"{g.get('load_factor')}"
                     f" ({'entries per bucket' if unit == 'buckets' else 'of capacity'})",
                     ev_txt or "- (all at once)"])
    return ["build", "a grow starts when an insert finds count = (size before → after)",
            "most common count/size at a grow",
            "each doubling: evacuate calls / inserts until it completed"], rows


def t_same_size(results):
    return ["build", "under churn"], [[_short(b), res["same_size"]["answer"]]
                                      for b, _, res in results]


def _v(x):
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int) and abs(x) > 0xFFFF:
        return hex(x)
    return str(x)


def _size(s):
    if "B" in s:
        return f"B={s['B']}"
    return f"{s['capacity']} slots/{s['tables']} tables"


SECTIONS = (
    ("Builds", t_builds,
     "Each build ran every scenario under gdb; the last column counts the checks of the "
     "snapshots against the programs' own truth (len at every checkpoint; after a step that "
     "only deleted, the slots that stopped being live are exactly the keys it deleted)."),
    ("1. Is bucket or table memory returned after deleting every key?", t_release,
     "`deleteall`: 100 keys, then every key deleted, then `runtime.GC()` twice, then 10 new "
     "keys. Buckets and groups are matched by address between snapshots."),
    ("2. Which key and elem bytes does delete clear?", t_bytes,
     "`kinds`: 24 keys in each map, then the 12 odd ones deleted. For each slot that stopped "
     "being live in a bucket or group kept in place, the stored key and elem cells before and "
     "after: *left* (same non-zero bytes), *zeroed*, or which bytes were zeroed. An indirect "
     "cell is its pointer. Builds with identical answers share a column."),
    ("3. Which tophash or control states appear?", t_states,
     "Every slot of every snapshot of every scenario, by state, with the tag byte values "
     "seen."),
    ("4. When do tombstones appear, and what removes them?", t_tombstones,
     "Tombstones are emptyOne cells (classic) and deleted slots (swiss). Counted between "
     "consecutive checkpoints of `deletehalf`, `kinds`, `deleteall`, `churn` and `clear`, "
     "slot by slot; `churn` keeps 48 keys while deleting the oldest and inserting a new one, "
     "400 operations between checkpoints."),
    ("5. Does clear keep the size?", t_clear,
     "`clear`: 100 keys, `clear(m)`, then 3 new keys."),
    ("6. At which count does each growth start?", t_growth,
     "`grow`: 1,500 keys inserted one at a time into `make(map[int64]int64)`, watched with "
     "`gomap-watch --events grow,evacuate,split,prune`; count is the map's count when the grow "
     "started (the insert that triggered it is not yet counted)."),
    ("7. Same-size growth", t_same_size,
     "`churn`, watched with `gomap-watch --events grow,evacuate,split,prune,clear` between "
     "checkpoints."),
)


# -- writers ---------------------------------------------------------------------------

def _md_table(header, rows):
    esc = [lambda s: str(s).replace("|", "\\|")]
    out = ["| " + " | ".join(esc[0](h) for h in header) + " |",
           "|" + "---|" * len(header)]
    out += ["| " + " | ".join(esc[0](c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _html_cell(s):
    t = html.escape(str(s))
    # the Markdown emphasis the tables use: **x** and `x`
    parts = t.split("**")
    t = "".join(p if i % 2 == 0 else f"<b>{p}</b>" for i, p in enumerate(parts))
    parts = t.split("`")
    return "".join(p if i % 2 == 0 else f"<code>{p}</code>" for i, p in enumerate(parts))


def _html_table(header, rows):
    h = "".join(f"<th>{_html_cell(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


INTRO = """\
Blog posts make many claims about what `delete` does to a Go map's memory. \
This report checks them on real binaries: small Go programs \
([`examples/scenarios`](../../examples/scenarios)) insert, delete, clear and churn maps and \
stop at numbered checkpoints; gdb with gomap snapshots every map at each checkpoint \
(`gomap-snap`: every bucket or group, every slot's state and its raw key and elem bytes) and \
follows the runtime's write paths between some of them (`gomap-watch`). \
**Every answer below is computed from those snapshots, their diffs (`gomap-diff`) and the \
watch logs**; none is written into the code that makes this report."""


def write(out, results, meta):
    """Write report.md, report.json, report.html and svg/ under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pics = _pictures(out, results)
    tables = [(title, fn(results), note) for title, fn, note in SECTIONS]
    cmd = meta.get("command", "python -m gdb_gomap.study")
    md = ["# What delete does to a Go map, observed on every release", "", INTRO, "",
          f"Made with `{cmd}` in {meta.get('seconds', '?')} s (linux/amd64, optimised "
          f"builds). The same answers as data: [`report.json`](report.json); the tables with "
          f"pictures of the buckets and groups before and after: "
          f"[`report.html`](report.html).", ""]
    for title, (header, rows), note in tables:
        md += [f"## {title}", "", note, "", _md_table(header, rows), ""]
    md += ["## Pictures", "", "One square per slot, coloured by state; black rings mark the "
           "slots that changed. All pictures are in [`report.html`](report.html) and "
           "[`svg/`](svg).", ""]
    for build, caption, path in pics[:4]:
        md += [f"- {_short(build)}, {caption}: ![{caption}]({path})"]
    md += ["", "## Reproduce", "", "```sh", "./install.sh --dev", cmd, "```", "",
           "Runs are kept under `study/` in gomap's cache directory (`$GOMAP_CACHE`, else "
           "`$XDG_CACHE_HOME/gomap`, else `~/.cache/gomap`; snapshots per checkpoint, watch logs); "
           "`--report-only` rewrites the report from them.", ""]
    (out / "report.md").write_text("\n".join(md))
    data = {"schema": "gomap-delete-report/1", "command": cmd,
            "builds": [res for _, _, res in results]}
    (out / "report.json").write_text(json.dumps(data, indent=1) + "\n")
    (out / "report.html").write_text(_html(tables, pics, cmd, meta))


def _pictures(out, results):
    """Write the SVG pictures; return [(build, caption, relative path)]."""
    d = out / "svg"
    d.mkdir(exist_ok=True)
    for old in d.glob("*.svg"):
        old.unlink()
    made = []
    for build, loaded, _ in results:
        for scen, name, sa, sb, caption in PICTURES:
            run = loaded.get(scen)
            if run is None:
                continue
            a = run.snap(sa, name)
            if a is None:
                continue
            fname = f"{_short(build)}-{scen}.svg"
            if sb is None:
                svg = snapshot_svg(a, f"{_short(build)}: {scen} step {sa}, {name}", tips=False)
            else:
                b = run.snap(sb, name)
                if b is None:
                    continue
                dd = diff(a, b, f"{scen} step {sa}", f"step {sb}")
                svg = diff_svg(a, b, dd, tips=False)
            (d / fname).write_text(svg)
            made.append((build, caption, f"svg/{fname}"))
    return made


CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:110em;color:#212529}
table{border-collapse:collapse;margin:1em 0;font-size:90%}
td,th{border:1px solid #ced4da;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f1f3f5}code{background:#f1f3f5;padding:0 .2em}
details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
img{border:1px solid #dee2e6;margin:.5em 0;max-width:100%}"""


def _html(tables, pics, cmd, meta):
    parts = ["<!doctype html><html><head><meta charset='utf-8'>",
             "<title>What delete does to a Go map</title>", f"<style>{CSS}</style></head><body>",
             "<h1>What delete does to a Go map, observed on every release</h1>",
             f"<p>{_html_cell(INTRO)}</p>",
             f"<p>Made with <code>{html.escape(cmd)}</code> in {meta.get('seconds', '?')} s. "
             "Data: <a href='report.json'>report.json</a>.</p>"]
    for title, (header, rows), note in tables:
        parts += [f"<h2>{html.escape(title)}</h2>", f"<p>{_html_cell(note)}</p>",
                  _html_table(header, rows)]
    parts.append("<h2>Pictures: buckets and groups before and after</h2>"
                 "<p>One square per slot, coloured by its state; slots that changed are "
                 "ringed in black. <code>gomap-dump --svg</code> and <code>gomap-diff --svg</code> "
                 "pictures also carry a tooltip per slot (state, tag, entry).</p>")
    by_build = {}
    for build, caption, path in pics:
        by_build.setdefault(build, []).append((caption, path))
    for i, (build, items) in enumerate(by_build.items()):
        parts.append(f"<details{' open' if i < 2 else ''}><summary>{html.escape(_short(build))}"
                     f"</summary>")
        for caption, path in items:
            parts.append(f"<p>{html.escape(caption)} (<a href='{path}'>{path}</a>)<br>"
                         f"<img src='{path}' alt='{html.escape(caption)}' loading='lazy'></p>")
        parts.append("</details>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
