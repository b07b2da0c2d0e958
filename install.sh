#!/usr/bin/env bash
# Install gomap for gdb: a venv made with gdb's own Python, and one line in ~/.gdbinit.
set -euo pipefail

usage() {
    cat <<EOF
Usage: ./install.sh [--dev] | --uninstall [--purge-cache] | --help

Installs gomap into a virtualenv built with the Python that gdb embeds and
adds one line to ~/.gdbinit that loads it.  Running it again changes nothing
that is already in place; it reinstalls the package from this checkout.

  (no option)     install gdb and python3-venv if missing (apt-get), create the
                  venv, pip install this checkout into it, add the ~/.gdbinit line,
                  link the gomap and gomap-dlv commands into \$GOMAP_BIN
  --dev           also install the test extra, the Go toolchains the tests use,
                  the pinned Delve (go install, into \$GOMAP_CACHE/bin), and
                  qemu-user-static and gdb-multiarch (apt-get) for other machines' cores,
                  and chromium (apt-get) to open the report page in its tests
  --uninstall     remove the ~/.gdbinit line, the links in \$GOMAP_BIN and \$GOMAP_HOME
  --purge-cache   with --uninstall: also remove \$GOMAP_CACHE (DWARF indexes, Delve,
                  Go toolchains, builds)
  -h, --help      show this help

Environment:
  GOMAP_HOME   where the venv lives      (now: $GOMAP_HOME)
  GOMAP_CACHE  gomap's cache             (now: $GOMAP_CACHE;
               default \$XDG_CACHE_HOME/gomap, else ~/.cache/gomap)
  GOMAP_BIN    links to the commands     (now: $GOMAP_BIN)
EOF
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOMAP_HOME=${GOMAP_HOME:-$HOME/.local/share/gomap}
# The default is gdb_gomap/cachedir.py's, so --purge-cache removes what gomap wrote.
GOMAP_CACHE=${GOMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gomap}
export GOMAP_CACHE
GOMAP_BIN=${GOMAP_BIN:-$HOME/.local/bin}
VENV=$GOMAP_HOME/venv
# The commands linked into $GOMAP_BIN; a link there is ours when it points into $VENV/bin.
TOOLS=(gomap gomap-dlv)
GDBINIT=$HOME/.gdbinit
# Our ~/.gdbinit lines: gdb's `source` takes no trailing comment, so the line is a
# Python one-liner that runs `source`, which lets it carry the "# gomap" mark.
MARK_RE='^python gdb\.execute\(.*/gdb_gomap/gdbinit\.py.*\)  # gomap$'

say() { printf 'gomap: %s\n' "$*"; }
die() { printf 'gomap: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $*"
    fi
}

APT_UPDATED=''
apt_install() {
    command -v apt-get >/dev/null || die "please install $* (no apt-get here)"
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing $* with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Refuse to rm -rf something that is obviously not ours.
safe_rm() {
    case "$1" in
        /*) [ "$1" != / ] && [ "${1%/}" != "${HOME%/}" ] || die "refusing to remove '$1'" ;;
        *) die "refusing to remove '$1': not an absolute path" ;;
    esac
    if [ -e "$1" ]; then
        chmod -R u+w "$1" 2>/dev/null || true
        rm -rf "$1"
        say "removed $1"
    fi
}

# Print "X.Y PREFIX" of the Python gdb embeds.
gdb_python() {
    gdb -nx -batch -ex 'python import sys; print("%d.%d %s" % (sys.version_info[:2] + (sys.base_prefix,)))' \
        2>/dev/null | tail -n 1
}

find_python() {  # $1 = X.Y, $2 = prefix
    local cand
    for cand in "$2/bin/python$1" "/usr/bin/python$1" "/usr/local/bin/python$1"; do
        if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    done
    return 1
}

# Remove our line(s) from ~/.gdbinit, leaving every other byte as it was.
remove_gdbinit_line() {
    [ -f "$GDBINIT" ] || return 0
    grep -qE "$MARK_RE" "$GDBINIT" || return 0
    local tmp
    tmp=$(mktemp)
    MARK_RE=$MARK_RE perl -0777 -pe 's/$ENV{MARK_RE}(\n|\z)//mg' "$GDBINIT" >"$tmp"
    # We added a newline before our line when the file did not end with one.
    if [ -f "$GOMAP_HOME/gdbinit-noeol" ]; then
        perl -0777 -pi -e 's/\n\z//' "$tmp"
        rm -f "$GOMAP_HOME/gdbinit-noeol"
    fi
    cat "$tmp" >"$GDBINIT"  # keeps the file's inode, mode and any symlink
    rm -f "$tmp"
    say "removed the gomap line from $GDBINIT"
}

add_gdbinit_line() {  # $1 = the line
    if [ -f "$GDBINIT" ] && grep -qxF -- "$1" "$GDBINIT"; then
        say "$GDBINIT already loads gomap"
        return 0
    fi
    remove_gdbinit_line  # a line from an earlier install elsewhere
    mkdir -p "$GOMAP_HOME"
    if [ ! -e "$GDBINIT" ]; then
        : >"$GOMAP_HOME/gdbinit-created"
    elif [ -n "$(tail -c 1 "$GDBINIT")" ]; then  # no newline at the end
        printf '\n' >>"$GDBINIT"
        : >"$GOMAP_HOME/gdbinit-noeol"
    fi
    printf '%s\n' "$1" >>"$GDBINIT"
    say "added to $GDBINIT: $1"
}

# Link $GOMAP_BIN/NAME -> $VENV/bin/NAME for each tool; never replace what is not ours.
link_tools() {
    local name dest target linked=()
    mkdir -p "$GOMAP_BIN"
    for name in "${TOOLS[@]}"; do
        dest=$GOMAP_BIN/$name target=$VENV/bin/$name
        if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$target" ]; then
            linked+=("$dest")
        elif [ -e "$dest" ] || [ -L "$dest" ]; then
            say "warning: left $dest alone (it is not gomap's link); run $target instead"
        else
            ln -s "$target" "$dest"
            linked+=("$dest")
        fi
    done
    [ ${#linked[@]} -eq 0 ] || say "commands: ${linked[*]}"
    case ":$PATH:" in
        *":$GOMAP_BIN:"* | *":${GOMAP_BIN%/}/:"*) ;;
        *) say "warning: $GOMAP_BIN is not on your PATH; add it (for example" \
               "'export PATH=\"$GOMAP_BIN:\$PATH\"' in ~/.profile) to run gomap and gomap-dlv" ;;
    esac
}

# Remove exactly the links link_tools made: symlinks in $GOMAP_BIN that point into $VENV/bin.
unlink_tools() {
    local name dest
    for name in "${TOOLS[@]}"; do
        dest=$GOMAP_BIN/$name
        if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$VENV/bin/$name" ]; then
            rm -f "$dest"
            say "removed $dest"
        fi
    done
}

uninstall() {
    remove_gdbinit_line
    unlink_tools
    if [ -f "$GOMAP_HOME/gdbinit-created" ] && [ -f "$GDBINIT" ] && [ ! -s "$GDBINIT" ]; then
        rm -f "$GDBINIT"
        say "removed $GDBINIT (gomap had created it)"
    fi
    safe_rm "$GOMAP_HOME"
    if [ -n "$PURGE" ]; then safe_rm "$GOMAP_CACHE"; fi
    say "uninstalled"
}

install() {
    command -v gdb >/dev/null || apt_install gdb
    local ver prefix py
    read -r ver prefix < <(gdb_python) || true
    [ -n "${ver:-}" ] || die "gdb has no Python support (gdb -batch -ex 'python print(1)' fails)"
    py=$(find_python "$ver" "$prefix") || die "gdb embeds Python $ver but no python$ver executable was found"
    if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
        apt_install "python$ver-venv" || apt_install python3-venv
    fi
    say "gdb embeds Python $ver: $py"

    if [ -x "$VENV/bin/python" ] &&
        [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$ver" ]; then
        say "venv already at $VENV"
    else
        safe_rm "$VENV"
        mkdir -p "$GOMAP_HOME"
        "$py" -m venv "$VENV"
        say "created venv $VENV"
    fi

    local spec=. left=()
    [ -z "$DEV" ] || spec='.[test]'
    # pip builds in the checkout: remember what it may leave there so it can be cleaned.
    for d in build gomap.egg-info; do [ -e "$REPO/$d" ] || left+=("$REPO/$d"); done
    (cd "$REPO" && "$VENV/bin/python" -m pip install --quiet --upgrade "$spec")
    rm -rf "${left[@]}"
    say "installed gomap$([ -z "$DEV" ] || echo ' with the test extra') into $VENV"

    local site line
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    line=$("$VENV/bin/python" -c 'import sys; print("python gdb.execute(%r)  # gomap" % ("source " + sys.argv[1]))' \
        "$site/gdb_gomap/gdbinit.py")
    add_gdbinit_line "$line"

    if [ -n "$DEV" ]; then
        # other machines' programs run under qemu-user and are read by gdb-multiarch
        local missing=()
        command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
        command -v gdb-multiarch >/dev/null || missing+=(gdb-multiarch)
        # the report page's tests open it in a real headless browser
        command -v chromium >/dev/null || missing+=(chromium)
        [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
        say "installing the Go toolchains of the test matrix into $GOMAP_CACHE/go"
        (cd "$REPO" && "$VENV/bin/python" -m tests.toolchains --install-all)
        say "installing the pinned Delve into $GOMAP_CACHE/bin (go install)"
        (cd "$REPO" && "$VENV/bin/python" -m delve_bridge.install)
        say "unpacking a gdb without Python (gdb-minimal) into $GOMAP_CACHE for its test"
        if ! (cd "$REPO" && "$VENV/bin/python" -m tests.toolchains --gdb-minimal 2>/dev/null); then
            # apt-get download needs the package lists, which a fresh machine may lack
            command -v apt-get >/dev/null && as_root apt-get update -qq
            (cd "$REPO" && "$VENV/bin/python" -m tests.toolchains --gdb-minimal)
        fi
    fi

    # Loading must work: the same check a user's gdb does at start-up.
    local err
    err=$(gdb -nx -batch -ex "source $site/gdb_gomap/gdbinit.py" 2>&1 >/dev/null | grep '^gomap:' || true)
    [ -z "$err" ] || die "gdb could not load gomap: $err"
    say "done: gdb loads gomap from $site"
    link_tools
}

DEV='' UNINSTALL='' PURGE=''
for arg in "$@"; do
    case "$arg" in
        --dev) DEV=1 ;;
        --uninstall) UNINSTALL=1 ;;
        --purge-cache) PURGE=1 ;;
        -h | --help) usage; exit 0 ;;
        *) printf 'gomap: unknown option %s (see ./install.sh --help)\n' "$arg" >&2; exit 2 ;;
    esac
done
if [ -n "$UNINSTALL" ]; then
    [ -z "$DEV" ] || die "--dev and --uninstall do not go together"
    uninstall
else
    [ -z "$PURGE" ] || die "--purge-cache goes with --uninstall"
    install
fi
