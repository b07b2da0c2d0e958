"""Text, JSON and Markdown for listings of many maps (gomap list / report)."""

import json

from ..maprow import map_row


def _n(x):
    return f"{x:,}"


def list_text(found, write):
    write(f"{'bytes':>14} {'count':>10}  {'layout':<7} {'map':<40} type\n")
    for fm in found:
        r = map_row(fm)
        if "error" in r:
            write(f"{'?':>14} {'?':>10}  {'?':<7} {r['expr']:<40} error: {r['error']}\n")
            continue
        write(f"{_n(r['bytes']):>14} {_n(r['count']):>10}  {r['layout']:<7} "
              f"{r['expr']:<40} {r['type']}" + (f"  [{', '.join(r['states'])}]"
                                                if r["states"] else "") + "\n")


def list_json(found, write, header):
    write(json.dumps(dict(header, maps=[map_row(fm) for fm in found])) + "\n")


def report_markdown(found, write, header):
    write(f"# gomap report: {header['executable']}\n\n")
    write(f"- Go release: {header['go_version']}\n- map layout: {header['layout']}\n")
    if header.get("core"):
        write(f"- core file: {header['core']}\n")
    for w in header.get("warnings", []):
        write(f"- warning: {w}\n")
    rows = [map_row(fm) for fm in found]
    ok = [r for r in rows if "error" not in r]
    write(f"- maps found: {len(rows)}, bytes held in all: "
          f"{_n(sum(r['bytes'] for r in ok))}\n\n")
    write("| map | type | layout | count | capacity | bytes held | dead bytes | notes |\n")
    write("|---|---|---|---:|---:|---:|---:|---|\n")
    for r in ok:
        d = r["dead"]
        notes = list(r["states"])
        if d.get("tombstones"):
            notes.append(f"{d['tombstones']} tombstones")
        if d.get("emptyOne"):
            notes.append(f"{d['emptyOne']} emptyOne")
        if d.get("empty_buckets"):
            notes.append(f"{d['empty_buckets']} empty buckets")
        if d.get("empty_groups"):
            notes.append(f"{d['empty_groups']} empty groups")
        write(f"| `{r['expr']}` | `{r['type']}` | {r['layout']} | {_n(r['count'])} | "
              f"{_n(r.get('capacity', 0))} | {_n(r['bytes'])} | {_n(d['bytes'])} | "
              f"{', '.join(notes)} |\n")
    bad = [r for r in rows if "error" in r]
    if bad:
        write("\nNot decoded:\n\n")
        for r in bad:
            write(f"- `{r['expr']}`: {r['error']}\n")
    warned = [r for r in ok if r["warnings"]]
    if warned:
        write("\nWarnings:\n\n")
        for r in warned:
            for w in r["warnings"]:
                write(f"- `{r['expr']}`: {w}\n")
