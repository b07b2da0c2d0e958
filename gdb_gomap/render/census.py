"""The census for people and programs: the text report and the
``gomap-census/1`` JSON document (gdb_gomap/schema/census.schema.json) of a
:class:`gdb_gomap.census.groups.Census`."""

import json
import re
from typing import Optional

from ..census import groups as groups_mod

SCHEMA = "gomap-census/1"

def _stat(stats, *names, default=0):
    for n in names:
        if isinstance(stats, dict) and n in stats:
            return stats[n]
        if hasattr(stats, n):
            return getattr(stats, n)
    return default


def _unread_all(c):
    out = list(getattr(c.roots, "unread", []))
    out.extend(getattr(c.result, "unread", []) or [])
    return out


def _reasons(unread):
    """[(what, reason)] lines for people: one per reason, most frequent first.

    An entry whose ``what`` is a count ("12 locals") adds to the count; any
    other entry is one thing, named when it is alone."""
    by_reason = {}
    for u in unread:
        reason = u.reason if hasattr(u, "reason") else str(u)
        what = getattr(u, "what", "")
        counts, names = by_reason.setdefault(reason, ({}, []))
        m = re.match(r"^(\d+) (\S.*)$", what)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + int(m.group(1))
        else:
            names.append(what)
    lines = []
    for reason, (counts, names) in by_reason.items():
        weight = sum(counts.values()) + len(names)
        parts = [f"{n:,} {noun}" for noun, n in sorted(counts.items())]
        if len(names) == 1:
            parts.append(names[0])
        elif names:
            parts.append(f"{len(names):,} more ({names[0]}, ...)" if parts else
                         f"{len(names):,} ({names[0]}, ...)")
        lines.append((weight, ", ".join(parts), reason))
    lines.sort(key=lambda x: (-x[0], x[2]))
    return [(what, reason) for _, what, reason in lines]


def census_json(c, info, top=None, min_bytes=None, expand=None):
    """The ``gomap-census/1`` document (gdb_gomap/schema/census.schema.json)."""
    r = c.roots
    stats = getattr(c.result, "stats", {}) or {}
    rows = groups_mod.select(c.groups, top, min_bytes)
    wanted = set()
    if expand:
        wanted = {g.pattern for g in groups_mod.expanded(c.groups, expand)}
        rows = rows + [g for g in c.groups if g.pattern in wanted and g not in rows]
    unread = _unread_all(c)
    budget_hit = _stat(stats, "budget_hit", "stopped", default=None)
    doc = {
        "schema": SCHEMA,
        "executable": info.get("executable"),
        "core": info.get("core"),
        "pid": info.get("pid"),
        "go_version": info.get("go_version"),
        "layout": info.get("layout"),
        "arch": info.get("arch"),
        "warnings": list(info.get("warnings", [])),
        "roots": {"globals": r.globals_read, "goroutines": r.goroutines,
                  "goroutines_unwound": r.goroutines_unwound, "frames": r.frames,
                  "locals": r.locals_read},
        "walk": {"objects": c.tree.objects, "heap_bytes": c.heap_bytes,
                 "stack_maps": int(_stat(stats, "stack_maps")),
                 "maps": sum(g.maps for g in c.groups),
                 "maps_own": sum(g.own for g in c.groups),
                 "maps_retained": c.map_retained,
                 "complete": not budget_hit,
                 "stopped_by": str(budget_hit) if budget_hit else None,
                 "skipped": {str(k): int(v) for k, v in
                             (_stat(stats, "skipped", default={}) or {}).items()}},
        "unread": [{"what": getattr(u, "what", str(u)), "reason": getattr(u, "reason", "")}
                   for u in unread],
        "groups": [],
        "by_type": [{"type": t.type_name, "objects": t.objects, "bytes": t.bytes}
                    for t in c.by_type],
    }
    for g in rows:
        row = {"pattern": g.pattern, "maps": g.maps, "entries": g.entries, "own": g.own,
               "retained": g.retained, "share": round(c.share(g.retained), 6),
               "exclusive": g.exclusive, "slots": g.slots, "tombstones": g.tombstones}
        if g.pattern in wanted:
            row["members"] = [_member_json(m) for m in g.members]
        doc["groups"].append(row)
    return doc


def write_json(c, info, write, **kw):
    write(json.dumps(census_json(c, info, **kw)) + "\n")


def _header_lines(c, info):
    """What the census walked and what not, one line each (text and Markdown)."""
    r = c.roots
    stats = getattr(c.result, "stats", {}) or {}
    lines = [f"warning: {w}" for w in info.get("warnings", [])]
    where = f"core {info['core']}" if info.get("core") else \
        (f"pid {info['pid']}" if info.get("pid") is not None else "gdb")
    machine = f" on {info['arch']}" if info.get("arch") not in (None, "amd64") else ""
    lines.append(f"{info.get('executable')}: {info.get('go_version')}{machine}, "
                 f"{info.get('layout')} maps; {where}")
    lines.append(f"roots: {r.globals_read:,} globals; {r.goroutines:,} goroutines, "
                 f"{r.goroutines_unwound:,} unwound, {r.frames:,} frames, "
                 f"{r.locals_read:,} locals")
    nmaps = sum(g.maps for g in c.groups)
    lines.append(f"walked: {c.tree.objects:,} objects, {human(c.heap_bytes)} of heap; "
                 f"{nmaps:,} maps hold {human(sum(g.own for g in c.groups))} themselves "
                 f"and retain {human(c.map_retained)} "
                 f"({100.0 * c.share(c.map_retained):.1f}% of the walked heap)")
    if c.by_type:
        top_types = ", ".join(f"{t.type_name} {human(t.bytes)} "
                              f"({100.0 * c.share(t.bytes):.0f}%)" for t in c.by_type[:5])
        lines.append(f"largest types: {top_types}")
    budget_hit = _stat(stats, "budget_hit", "stopped", default=None)
    if budget_hit:
        lines.append(f"INCOMPLETE: the walk stopped early ({budget_hit}); what it had not "
                     f"reached is not counted")
    unread = _unread_all(c)
    if unread:
        lines.append("not read:")
        reasons = _reasons(unread)
        lines.extend(f"  {what}: {reason}" for what, reason in reasons[:12])
        if len(reasons) > 12:
            lines.append(f"  ... {len(reasons) - 12:,} more reasons (--json lists everything)")
    else:
        lines.append("not read: nothing")
    skipped = _stat(stats, "skipped", default={}) or {}
    if skipped:
        lines.append(f"not followed: {sum(skipped.values()):,}")
        lines.extend(f"  {count:>7,}  {reason}" for reason, count in
                     sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))
    return lines


def write_text(c, info, write, top=None, min_bytes=None, expand=None, hide_empty=False):
    """Header (release, layout, files, what was walked and what not), then the groups
    (with ``hide_empty``, those of empty maps counted in one line)."""
    for line in _header_lines(c, info):
        write(line + "\n")
    write("\n")
    rows = groups_mod.select(c.groups, top, min_bytes)
    listed, empty = _split_empty(rows, not hide_empty)
    text_table(listed, c.heap_bytes, write)
    hidden = len(c.groups) - len(rows)
    if hidden:
        write(f"({hidden:,} more groups not shown: --top, --min-bytes)\n")
    if empty:
        write(empty_line(empty) + "\n")
    if expand:
        found = groups_mod.expanded(c.groups, expand)
        if not found:
            write(f"\n--expand {expand}: no group has that pattern\n")
        for g in found:
            members_text(g, write)


# --- gomap report: the census as a post-mortem -----------------------------------------

def largest_maps(c, n):
    """The ``n`` maps that retain most (then own most), from every group."""
    every = [m for g in c.groups for m in g.members]
    every.sort(key=lambda m: (-m.retained, -m.own, m.path))
    return every[:n]


def _member_json(m):
    return {"path": m.path, "type": m.type_name, "header": m.header, "entries": m.entries,
            "own": m.own, "retained": m.retained, "exclusive": m.exclusive,
            "slots": m.slots, "tombstones": m.tombstones}


def _nil_maps(c):
    return list(getattr(c.result, "nil_maps", None) or [])


def nil_line(c, all_nil):
    """The one line that counts the nil maps."""
    nils = _nil_maps(c)
    patterns = len({n.pattern for n in nils})
    if not nils:
        return "nil maps: none met"
    return (f"nil maps: {len(nils):,} map-typed places hold nil ({patterns:,} path "
            f"patterns)" + ("" if all_nil else "; --all lists them"))


def report_json(c, info, maps=10, all_nil=False, **kw):
    """``gomap report --json``: the census document with ``maps`` (the largest) and
    ``nil_maps`` (their count; every one with --all)."""
    doc = census_json(c, info, **kw)
    doc["maps"] = [_member_json(m) for m in largest_maps(c, maps)]
    nils = _nil_maps(c)
    doc["nil_maps"] = {"count": len(nils)}
    if all_nil:
        doc["nil_maps"]["maps"] = [{"path": n.path, "type": n.type_name} for n in nils]
    return doc


def _split_empty(rows, all_groups):
    """(rows to list, groups of empty maps left out): a report lists the groups
    whose maps hold no entry only with --all."""
    if all_groups:
        return rows, []
    return [g for g in rows if g.entries], [g for g in rows if not g.entries]


def empty_line(empty):
    """The one line that counts the groups of empty maps a report leaves out."""
    maps = sum(g.maps for g in empty)
    groups = f"{len(empty):,} group" + ("" if len(empty) == 1 else "s")
    return (f"empty maps: {groups} of maps that hold no entry ({maps:,} maps, own "
            f"{human(sum(g.own for g in empty))}) not listed; --all lists them")


def report_text(c, info, write, maps=10, all_nil=False, top=None, min_bytes=None,
                expand=None):
    """``gomap report --text``: what was walked, the groups (those of empty maps
    counted in one line unless --all), the largest maps, the nil maps."""
    write_text(c, info, write, top, min_bytes, expand, hide_empty=not all_nil)
    biggest = largest_maps(c, maps)
    if biggest:
        write("\nlargest maps (retained):\n")
        for m in biggest:
            write(f"  {m.path}  {m.type_name}  {m.entries:,} entries  own {human(m.own)}  "
                  f"retained {human(m.retained)}\n")
    write("\n" + nil_line(c, all_nil) + "\n")
    if all_nil:
        for n in _nil_maps(c):
            write(f"  {n.path}  {n.type_name}\n")


def _md(text):
    return text.replace("|", "\\|")


def report_markdown(c, info, write, maps=10, all_nil=False, top=None, min_bytes=None,
                    expand=None):
    """``gomap report``: the census as a Markdown post-mortem: what was walked, the
    groups, the largest maps, the nil maps in one line (listed with --all)."""
    write(f"# gomap report: {info.get('executable')}\n\n")
    for line in _header_lines(c, info):
        write(("  - " + line.strip()) if line.startswith("  ") else "- " + line)
        write("\n")
    write("\n## Groups (largest retained first)\n\n")
    write("| pattern | maps | entries | own | retained | heap |\n")
    write("|---|---:|---:|---:|---:|---:|\n")
    rows = groups_mod.select(c.groups, top, min_bytes)
    listed, empty = _split_empty(rows, all_nil)
    for g in listed:
        write(f"| `{_md(g.pattern)}` | {g.maps:,} | {g.entries:,} | {human(g.own)} | "
              f"{human(g.retained)} | {100.0 * c.share(g.retained):.1f}% |\n")
    hidden = len(c.groups) - len(rows)
    if hidden:
        write(f"\n{hidden:,} more groups not shown (--top, --min-bytes).\n")
    if empty:
        write(f"\n{empty_line(empty)}\n")
    shown = largest_maps(c, maps)
    for g in groups_mod.expanded(c.groups, expand) if expand else ():
        shown += [m for m in g.members if m not in shown]
    if shown:
        write("\n## Largest maps\n\n")
        write("| map | type | entries | own | retained |\n|---|---|---:|---:|---:|\n")
        for m in shown:
            write(f"| `{_md(m.path)}` | `{_md(m.type_name)}` | {m.entries:,} | "
                  f"{human(m.own)} | {human(m.retained)} |\n")
    write("\n## Nil maps\n\n" + nil_line(c, all_nil) + "\n")
    if all_nil:
        write("\n")
        for n in _nil_maps(c):
            write(f"- `{_md(n.path)}` `{_md(n.type_name)}`\n")


def human(n):
    """Bytes for people: 1,234 B, 12.3 KiB, 4.5 MiB."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n:,} B"


def text_table(rows, heap_bytes, write, expand=None):
    """The groups table: pattern, maps, entries, own, retained, share of heap."""
    widths = max([len(g.pattern) for g in rows] + [7])
    widths = min(widths, 70)
    write(f"{'pattern':<{widths}}  {'maps':>9}  {'entries':>11}  {'own':>10}  "
          f"{'retained':>10}  {'heap':>6}\n")
    for g in rows:
        share = 100.0 * g.retained / heap_bytes if heap_bytes else 0.0
        write(f"{g.pattern:<{widths}}  {g.maps:>9,}  {g.entries:>11,}  {human(g.own):>10}  "
              f"{human(g.retained):>10}  {share:>5.1f}%\n")
    if not rows:
        write("(no maps)\n")


def members_text(group, write, limit: Optional[int] = None):
    """The members of one group, largest retained first."""
    write(f"\n{group.pattern}: {group.maps:,} maps\n")
    shown = group.members if limit is None else group.members[:limit]
    for m in shown:
        write(f"  {m.path}  {m.type_name}  {m.entries:,} entries  own {human(m.own)}  "
              f"retained {human(m.retained)}  @{m.header:#x}\n")
    if len(shown) < len(group.members):
        write(f"  ... {len(group.members) - len(shown):,} more\n")
