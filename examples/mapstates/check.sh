#!/usr/bin/env bash
# Build and run mapstates with every toolchain variant (20 builds), then check
# each truth file for internal consistency. Usage: ./check.sh [OUTDIR]
# Env: GOMAP_GO_ROOT (default $GOMAP_CACHE/go, i.e. ~/.cache/gomap/go), VARIANTS (override list,
# entries VERSION[:GOEXPERIMENT]), NO_GDB=1 to skip the gdb step (which runs
# each build under gdb to `break main.checkpoint` and checks that the locals
# of main.stackMaps are visible there and hold the truth file's addresses).
set -u
cd "$(dirname "$0")"
GOROOTS=${GOMAP_GO_ROOT:-${GOMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gomap}/go}
OUT=${1:-/tmp/mapstates-check}
mkdir -p "$OUT"
VARIANTS=${VARIANTS:-"1.21.13 1.22.10 1.23.9 1.24.11 1.24.11:noswissmap 1.25.5 1.25.5:noswissmap 1.26.6 1.27.3 1.27.3:mapsplitgroup"}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

fail=0
for variant in $VARIANTS; do
  ver=${variant%%:*}
  exp=""; [ "$variant" != "$ver" ] && exp=${variant#*:}
  gobin=$GOROOTS/$ver/go/bin/go
  for mode in opt noopt; do
    tag=$ver${exp:+-$exp}-$mode
    bin=$OUT/mapstates-$tag
    if [ $mode = opt ]; then flags=(-gcflags=-m); else flags=(-gcflags='all=-N -l' -gcflags='-N -l -m'); fi
    if ! GOEXPERIMENT=$exp "$gobin" build "${flags[@]}" -o "$bin" . 2>"$OUT/$tag.build"; then
      echo "FAIL $tag: build"; sed 's/^/    /' "$OUT/$tag.build" | grep -v ': can inline\|inlining call\|does not escape\|escapes to heap\|leaking param\|moved to heap' | head; fail=1; continue
    fi
    # The three local maps of stackMaps must stay on the stack.
    esc=$(grep -E '^\./stack\.go:[0-9]+:[0-9]+: make\(map' "$OUT/$tag.build")
    if [ "$(grep -c 'does not escape' <<<"$esc")" != 3 ]; then
      echo "FAIL $tag: a local map escapes:"; sed 's/^/    /' <<<"$esc"; fail=1
    fi
    truth=$OUT/$tag.json; rm -f "$truth"
    start=$(date +%s.%N)
    "$bin" "$truth" >"$OUT/$tag.out" 2>"$OUT/$tag.err" &
    pid=$!
    for _ in $(seq 1 300); do
      grep -q '^READY$' "$OUT/$tag.out" 2>/dev/null && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.02
    done
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    ready=no; grep -q '^READY$' "$OUT/$tag.out" && ready=yes
    if [ $ready = yes ]; then kill $pid 2>/dev/null; wait $pid 2>/dev/null; rc=killed
    else kill $pid 2>/dev/null && rc="still running after ${secs}s" || { wait $pid; rc="exit status $?"; }; fi
    if [ $ready != yes ]; then echo "FAIL $tag: no READY ($rc)"; sed 's/^/    /' "$OUT/$tag.err" | head; fail=1; continue; fi
    if ! python3 - "$truth" "$ver" "$exp" "$tag" "$secs" <<'PY'
import json, sys
path, ver, exp, tag, secs = sys.argv[1:]
t = json.load(open(path))
errs = []
minor = int(ver.split(".")[1])
want_layout = "classic" if minor <= 23 or exp == "noswissmap" else "swiss"
if t["layout"] != want_layout: errs.append(f"layout {t['layout']}, want {want_layout}")
if t["split_groups"] != (exp == "mapsplitgroup"): errs.append("split_groups wrong")
if not t["go_version"].startswith("go" + ver): errs.append("go_version " + t["go_version"])
names = ["GInt","GStr","GBigKey","GBigElem","GKey128","GStructKey","GSet","GEmptyStruct","GEmptyMade",
         "GNil","GLarge","GTomb","GSmall","GCleared","GRanged","GGrowing","GSameSize","GDir","GHuge","GAny",
         "GNested","GFloat","GVals","GNamed","GSrv.cache","GSrv.shards[0]","GSrv.shards[1]","GSrv.shards[2]"]
want = ["main." + n for n in names] + ["local:local", "local:localGrown", "local:localEmpty"]
maps = t["maps"]
for n in want:
    if n not in maps: errs.append("missing " + n)
def full_bytes(w):
    return sum(1 for i in range(8) if not (w >> (8 * i)) & 0x80)
for name, m in maps.items():
    n = m["len"]
    if len(m["entries"]) != n: errs.append(f"{name}: {len(m['entries'])} entries, len {n}")
    if m["nil"]:
        if m["address"] is not None or n or m["header"] is not None: errs.append(f"{name}: bad nil map")
        continue
    h = m["header"]
    if t["layout"] == "classic":
        if h["count"] != n: errs.append(f"{name}: count {h['count']} != len {n}")
        if "buckets_detail" in m:
            live = sum(1 for b in m["buckets_detail"] for c in b["chain"] for x in c["tophash"] if x >= 5)
            for b in m.get("old_buckets", []):
                if not b["evacuated"]:
                    live += sum(1 for c in b["chain"] for x in c["tophash"] if x >= 5)
            if live != n: errs.append(f"{name}: {live} live cells, len {n}")
            if (h["oldbuckets"] != "0x0") != ("old_buckets" in m): errs.append(f"{name}: old_buckets mismatch")
    else:
        if h["used"] != n: errs.append(f"{name}: used {h['used']} != len {n}")
        if ("tombstonePossible" in h) != (minor >= 25): errs.append(f"{name}: tombstonePossible presence")
        if h["dirLen"] == 0:
            gc = m["group_ctrl"]
            if (gc is None) != (h["dirPtr"] == "0x0"): errs.append(f"{name}: group_ctrl vs dirPtr")
            if (full_bytes(gc) if gc is not None else 0) != n: errs.append(f"{name}: small group full slots != used")
        else:
            tabs = m["tables"]
            if sum(x["used"] for x in tabs) != n: errs.append(f"{name}: table used sum != used")
            if sum(len(x["directory_slots"]) for x in tabs) != h["dirLen"]: errs.append(f"{name}: slots != dirLen")
            for x in tabs:
                if sum(full_bytes(c) for c in x["ctrl"]) != x["used"]: errs.append(f"{name}: table {x['address']} ctrl != used")
                if len(x["ctrl"]) * 8 != x["capacity"]: errs.append(f"{name}: table {x['address']} ctrl count")
for name in ("local:local", "local:localGrown", "local:localEmpty"):
    if "NOT" in maps.get(name, {}).get("note", "NOT"): errs.append(f"{name}: {maps.get(name, {}).get('note')}")
if t["layout"] == "classic":
    g, s = maps["main.GGrowing"]["header"], maps["main.GSameSize"]["header"]
    if g["oldbuckets"] == "0x0" or g["flags"] & 8: errs.append("GGrowing is not mid-doubling")
    if s["oldbuckets"] == "0x0" or not s["flags"] & 8: errs.append("GSameSize is not mid-same-size-grow: " + maps["main.GSameSize"].get("note", ""))
else:
    if not any(len(x["directory_slots"]) >= 2 for x in maps["main.GDir"]["tables"]): errs.append("GDir has no repeated table")
for e in errs: print(f"FAIL {tag}: {e}")
print(f"ok   {tag:<28} ready in {float(secs):.2f}s  {t['go_version']:<28} GSameSize: {maps['main.GSameSize'].get('note', '')}" if not errs else "", end="\n" if not errs else "")
sys.exit(1 if errs else 0)
PY
    then fail=1; fi
    if [ -z "${NO_GDB:-}" ] && command -v gdb >/dev/null; then
      gt=$OUT/$tag.gdb.json; rm -f "$gt"
      timeout 120 gdb -q -batch -nx -ex 'set pagination off' -ex 'break main.checkpoint' -ex "run $gt >/dev/null" \
        -ex 'up' -ex 'info locals' -ex 'kill' "$bin" >"$OUT/$tag.gdb.log" 2>&1
      if ! python3 - "$gt" "$OUT/$tag.gdb.log" "$tag" <<'PY'
import json, re, sys
truth, log, tag = sys.argv[1:]
try:
    maps = json.load(open(truth))["maps"]
except Exception as e:
    print(f"FAIL {tag}: gdb run wrote no truth: {e}"); sys.exit(1)
seen = dict(re.findall(r"^(local\w*) = (0x[0-9a-f]+)$", open(log).read(), re.M))
bad = [n for n in ("local", "localGrown", "localEmpty") if seen.get(n) != maps["local:" + n]["address"]]
for n in bad:
    print(f"FAIL {tag}: gdb at main.checkpoint shows {n} = {seen.get(n)}, truth says {maps['local:' + n]['address']}")
sys.exit(1 if bad else 0)
PY
      then fail=1; fi
    fi
    if [ -s "$OUT/$tag.err" ]; then echo "    stderr:"; sed 's/^/    /' "$OUT/$tag.err" | head -5; fi
  done
done
[ $fail = 0 ] && echo "ALL OK" || echo "SOME CHECKS FAILED"
exit $fail
