"""A guard against Go releases: the runtime structs gomap mirrors, as each Go
release of the matrix compiles them, hold exactly the members that
``gdb_gomap/fields.py`` names (or declares absent for that release, or lists
as known and deliberately not read).  A release that adds, removes or renames
a member fails here with the release, the struct and the member, and what to
change.  Also: the JSON schema describes every field of the table with the
JSON type its kind gives."""

import json

import pytest

from gdb_gomap import fields
from gdb_gomap.binary import GoBinary
from gdb_gomap.dwarf import scan
from gdb_gomap.dwarf.index import DwarfIndex
from gdb_gomap.dwarf.types import TypeTable
from tests import harness, toolchains

PROG = harness.REPO / "tests" / "progs" / "strmaps"
SCHEMA = harness.REPO / "gdb_gomap" / "schema" / "snapshot.schema.json"


def mirrored_structs(map_type):
    """{role: struct GoType} of the runtime structs behind one map type, found
    by following the members the decoders follow (not by struct name)."""
    hdr = map_type.target
    if hdr.field("buckets") is not None:
        out = {"classic.header": hdr, "classic.bucket": hdr.field("buckets").type.target}
        extra = hdr.field("extra")
        if extra is not None and extra.type is not None and extra.type.target is not None:
            out["classic.mapextra"] = extra.type.target
        return out
    table = hdr.field("dirPtr").type.target.target
    groupref = table.field("groups").type
    return {"swiss.header": hdr, "swiss.table": table, "swiss.groupref": groupref,
            "swiss.group": groupref.field("data").type.target}


def problems(release, variant, role, struct_name, members):
    """What differs between one struct as DWARF has it and the table, as messages."""
    out = []
    where = f"Go {release}: {struct_name} ({role})"
    table = fields.of_role(role)
    named = {f.name for f in table}
    for f in table:
        present = f.name in members
        if f.in_release(release, variant) and not present:
            out.append(f"{where} lacks member {f.name!r} that gdb_gomap/fields.py reads: "
                       f"removed or renamed in this release? give the field since/until "
                       f"(or add the new name) in the table")
        elif present and not f.in_release(release, variant):
            out.append(f"{where} has member {f.name!r} that gdb_gomap/fields.py says this "
                       f"release lacks: widen its since/until")
    for m in members:
        if m not in named and m not in fields.NOT_READ[role]:
            out.append(f"{where} has member {m!r} that gomap does not know: add it to the "
                       f"table in gdb_gomap/fields.py (and read it), or to NOT_READ[{role!r}] "
                       f"if gomap deliberately does not read it")
    return out


def _variant(build):
    if build.layout != "swiss":
        return None
    return "split" if "mapsplitgroup" in build.experiment else "interleaved"


@pytest.mark.parametrize("build", [b for b in toolchains.MATRIX if b.opt == "opt"],
                         ids=lambda b: b.id)
def test_runtime_structs_match_table(build):
    binary = GoBinary(toolchains.build_for(PROG, build))
    d = binary.dwarf_info()
    types, variables, rtypes = scan.scan(d.debug_info_sec.stream.getvalue(),
                                         d.debug_abbrev_sec.stream.getvalue())
    table = TypeTable(d, DwarfIndex(types, variables, rtypes))
    seen = {}
    for name, offs in types.items():
        t = table.get(offs[0])
        if t.kind == "map" and t.target is not None:
            for role, s in mirrored_structs(t).items():
                seen.setdefault((role, s.name), [f.name for f in s.fields])
    roles = {role for role, _ in seen}
    want = set(fields.CLASSIC_ROLES if build.layout == "classic" else fields.SWISS_ROLES)
    assert roles == want, f"Go {build.version}: found structs for {sorted(roles)}"
    probs = []
    for (role, sname), members in sorted(seen.items()):
        probs += problems(build.version, _variant(build), role, sname, members)
    assert not probs, "\n".join(dict.fromkeys(probs))


# -- the check itself can fail (on a made-up release), and says what to do -------

@pytest.mark.fast
def test_guard_names_release_struct_and_member():
    hdr = list(fields.names("swiss.header")) + ["newField"]
    p = problems("1.28.0", "interleaved", "swiss.header", "maps.Map", hdr)
    assert p == ["Go 1.28.0: maps.Map (swiss.header) has member 'newField' that gomap does "
                 "not know: add it to the table in gdb_gomap/fields.py (and read it), or to "
                 "NOT_READ['swiss.header'] if gomap deliberately does not read it"]
    renamed = [("dirSize" if n == "dirLen" else n) for n in fields.names("swiss.header")]
    p = problems("1.28.0", "interleaved", "swiss.header", "maps.Map", renamed)
    assert len(p) == 2 and "lacks member 'dirLen'" in p[0] and "'dirSize'" in p[1]
    # clearSeq is declared absent from classic maps before 1.24
    p = problems("1.23.9", None, "classic.header", "hmap", fields.names("classic.header"))
    assert p == ["Go 1.23.9: hmap (classic.header) has member 'clearSeq' that "
                 "gdb_gomap/fields.py says this release lacks: widen its since/until"]
    assert problems("1.23.9", None, "classic.header", "hmap",
                    fields.required("classic.header")) == []
    # a member is either read (in the table) or deliberately not read, never both
    for role in fields.ROLES:
        assert not set(fields.NOT_READ[role]) & set(fields.names(role)), role


# -- the JSON schema against the table ---------------------------------------------

_JSON_TYPE = {"int": {"type": "integer"}, "flags": {"type": "integer"},
              "seed": {"type": "integer"}, "bool": {"type": "boolean"},
              "pointer": {"$ref": "#/$defs/addr"}}


def _schema_props(schema, role):
    if role in ("classic.header", "swiss.header"):
        return schema["properties"]
    if role == "classic.mapextra":
        return schema["properties"]["extra_fields"]["oneOf"][1]["properties"]
    if role in ("swiss.table", "swiss.groupref"):
        return schema["$defs"]["table"]["properties"]
    if role == "classic.bucket":
        return schema["$defs"]["bucket"]["properties"]
    return schema["$defs"]["group"]["properties"]


@pytest.mark.fast
def test_schema_describes_every_field():
    schema = json.loads(SCHEMA.read_text())
    probs = []
    for f in fields.CLASSIC + fields.SWISS:
        if f.json is None:
            continue
        props = _schema_props(schema, f.role)
        if f.json not in props:
            probs.append(f"{f.role}.{f.name}: no property {f.json!r} in the schema")
            continue
        got = {k: v for k, v in props[f.json].items() if k in ("type", "$ref")}
        want = _JSON_TYPE.get(f.kind)
        if f.kind == "array":
            want = {"type": "array"}
        elif f.kind == "ctrl":
            want = {"type": "string"}
        if got != want:
            probs.append(f"{f.role}.{f.name} ({f.kind}): schema says {got}, want {want}")
    assert not probs, "\n".join(probs)
