"""The one directory gomap caches in.

``$GOMAP_CACHE`` if set, else ``$XDG_CACHE_HOME/gomap``, else ``~/.cache/gomap``.
Everything gomap writes to a cache goes under it: the DWARF index (``dwarf/``),
the pinned Delve (``bin/``, ``gopath/``, ``gocache/``), the test toolchains and
builds (``go/``, ``build/``) and the study's runs (``study/``).  install.sh
computes the same default, so ``./install.sh --uninstall --purge-cache``
removes what gomap wrote.
"""

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache directory (it may not exist yet)."""
    explicit = os.environ.get("GOMAP_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path("~/.cache").expanduser()
    return base / "gomap"
