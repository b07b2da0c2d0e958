"""One map's row in ``list`` and ``report``: its size, dead space and states worth a look."""


def dead_space(snap):
    """Bytes held by slots that hold nothing, and what makes them up."""
    s = snap.stats
    if snap.nil or "key_cell" not in s:
        return {"bytes": 0}
    cell = s["key_cell"] + s["elem_cell"]
    if snap.layout == "classic":
        c = s["cells"]
        total_cells = sum(c.values())
        return {"bytes": (total_cells - c["live"]) * cell, "emptyOne": c["emptyOne"],
                "empty_buckets": s.get("empty_buckets", 0)}
    sl = s["slots"]
    return {"bytes": (sl["empty"] + sl["deleted"]) * cell, "tombstones": sl["deleted"],
            "empty_groups": s.get("empty_groups", 0)}


def states(snap):
    """Short words for conditions a reader should notice."""
    out = []
    if snap.nil:
        return ["nil"]
    if snap.layout == "classic":
        if snap.growth:
            out.append(f"growing ({snap.growth['kind']})")
        if snap.header.get("flags", 0) & 4:
            out.append("mid-write")
    elif snap.header.get("writing"):
        out.append("mid-write")
    if any(w.startswith("MISMATCH") for w in snap.warnings):
        out.append("MISMATCH")
    return out


def map_row(fm):
    """One row of a listing or report as plain data."""
    snap = fm.snapshot
    row = {"expr": fm.expr, "type": fm.type_name, "address": f"{fm.header:#x}"}
    if snap is None:
        row["error"] = fm.error
        return row
    row.update({"layout": snap.layout, "count": snap.count,
                "bytes": snap.stats.get("bytes", {}).get("total", 0) if snap.stats else 0,
                "dead": dead_space(snap), "states": states(snap),
                "warnings": snap.warnings})
    if snap.layout == "classic":
        row["capacity"] = snap.stats.get("buckets", 0) * 8
    else:
        row["capacity"] = snap.stats.get("capacity", 0)
    return row
