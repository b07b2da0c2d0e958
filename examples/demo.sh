#!/usr/bin/env bash
# Build examples/mapstates, run it under gdb to its checkpoint, and show its maps
# with gomap-dump.  Needs ./install.sh first (it puts gomap into ~/.gdbinit).
#   GO=/path/to/go examples/demo.sh      # pick the Go toolchain (default: go on PATH)
#   GO=~/.cache/gomap/go/1.23.9/go/bin/go examples/demo.sh   # classic maps; this toolchain
#                                        # comes with ./install.sh --dev
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=${GO:-$(command -v go || true)}
if [ -z "$GO" ]; then
    echo "demo: no 'go' on PATH; set GO=/path/to/go (./install.sh --dev caches toolchains" \
         "under ~/.cache/gomap/go)" >&2
    exit 1
fi
if ! command -v "$GO" > /dev/null || ! "$GO" version > /dev/null 2>&1; then
    echo "demo: GO=$GO is not a working go; give the path of one (the toolchains of" \
         "GO=~/.cache/gomap/go/VERSION/go/bin/go come with ./install.sh --dev)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "demo: building examples/mapstates with $("$GO" version)"
(cd "$here/mapstates" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$GO" build -o "$work/mapstates" .)
gdb -q -batch \
    -ex 'set pagination off' \
    -ex 'break main.checkpoint' \
    -ex "run $work/truth.json > /dev/null" \
    -ex 'echo \n--- gomap-dump main.GTomb  (200 inserts, then 120 deletes)\n' \
    -ex 'gomap-dump main.GTomb' \
    -ex 'echo \n--- gomap-dump main.GGrowing  (stopped right after a grow started, on classic maps)\n' \
    -ex 'gomap-dump main.GGrowing' \
    -ex 'echo \n--- gomap-dump main.GSmall --entries\n' \
    -ex 'gomap-dump main.GSmall --entries' \
    -ex 'echo \n--- gomap-dump main.GDir --buckets --range 0:1\n' \
    -ex 'gomap-dump main.GDir --buckets --range 0:1' \
    -ex 'echo \n--- gomap-list\n' \
    -ex 'gomap-list' \
    -ex kill \
    "$work/mapstates" 2>&1 | grep -v -e '^\[' -e 'auto-load' -e 'add-auto-load' -e 'safe-path' \
    -e '^line to your' -e '^To enable' -e '^To completely' -e '^For more information' \
    -e 'info "(gdb)' -e '^Breakpoint 1' -e '^$' -e 'Auto-loading safe path' -e '^Kill the program'
