"""The text view of a snapshot diff (``gomap-diff``): totals first, then slot by slot."""

import json


def _n(x):
    return f"{x:,}"


def _v(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 0xFFFF:
        return f"{v:#x}"
    return str(v)


def _counts(d):
    return ", ".join(f"{k} {_n(v)}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) \
        or "none"


def _bytes_note(ch):
    c = ch["change"]
    if c == "partly zeroed":
        z = " ".join(f"{lo}..{hi - 1}" for lo, hi in ch["zeroed_bytes"])
        return f"partly zeroed (bytes {z})"
    return c


def _jv(v, width=40):
    """A JSON value (as snapshots hold them) on one short line."""
    t = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return t if len(t) <= width else t[:width - 3] + "..."


def _entry(e):
    if e is None:
        return ""
    return f"{_jv(e['key'])}: {_jv(e['value'])}"


def render(d, write, limit=40):
    """Write the diff ``d`` (from gdb_gomap.diff.diff); at most ``limit`` slot lines."""
    a, b = d["a"], d["b"]
    write(f"gomap-diff {a['name']} -> {b['name']}   {b['type']} at {b['address']} "
          f"({b['layout']}, {b['go_version']})\n")
    write(f"  count      {_n(a['count'])} -> {_n(b['count'])}\n")
    for h in d["header"]:
        if h["field"] in ("count", "used"):
            continue
        if h["field"] == "growth":
            write(f"  growth     {_growth(h['a'])} -> {_growth(h['b'])}\n")
        else:
            write(f"  {h['field']:<10} {_v(h['a'])} -> {_v(h['b'])}\n")
    write(f"  bytes held {_n(d['bytes']['a'])} -> {_n(d['bytes']['b'])}"
          f"  ({'+' if d['bytes']['delta'] >= 0 else ''}{_n(d['bytes']['delta'])})\n")
    for kind, m in d["memory"].items():
        write(f"  {kind + 's':<10} {m['reused']} reused in place, {m['released']} released, "
              f"{m['allocated']} allocated\n")
    for t in d["tables"]:
        if t["status"] == "kept":
            ch = ", ".join(f"{k} {_v(v[0])}->{_v(v[1])}" for k, v in t["changed"].items())
            write(f"  table      {t['address']} kept" + (f": {ch}" if ch else ", unchanged") + "\n")
        else:
            write(f"  table      {t['address']} {t['status']} (capacity {t['capacity']}, "
                  f"used {t['used']})\n")
    write(f"  states     {_counts(a['states'])}\n")
    write(f"          -> {_counts(b['states'])}\n")
    write(f"  slots      {_n(len(d['slots']))} changed: {_counts(d['transitions'])}\n")
    rem = d["removed"]
    if rem["slots"]:
        write(f"  removed    {rem['slots']} entries: key {_counts(rem['key'])}; "
              f"elem {_counts(rem['elem'])}\n")
        for part in ("key", "elem"):
            z = rem.get(f"{part}_zeroed_bytes")
            if z:
                write(f"             {part} bytes zeroed: "
                      f"{' '.join(f'{lo}..{hi - 1}' for lo, hi in z)}, the rest left\n")
    for i, c in enumerate(d["slots"]):
        if i >= limit:
            write(f"  ... {len(d['slots']) - limit} more slot changes (--limit N shows more)\n")
            break
        what = _entry(c.get("entry_a") if c["class"] in ("removed", "evacuated")
                      else c.get("entry_b") or c.get("entry_a"))
        kb = "" if c["key"]["change"] == "unknown" else \
            f"  key {_bytes_note(c['key'])}, elem {_bytes_note(c['elem'])}"
        write(f"    {c['where']:<22} [{c['slot']}] {c['transition']:<22}"
              f"{(' ' + what) if what else ''}{kb}\n")
    for n in d["notes"]:
        write(f"note: {n}\n")


def _growth(g):
    if not g:
        return "none"
    return f"{g['kind']} {g['evacuated']}/{g['old_buckets']} evacuated"
