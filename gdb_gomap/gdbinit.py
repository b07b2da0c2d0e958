"""The file gdb sources to load gomap: ``source .../gdb_gomap/gdbinit.py``.

It puts the directory holding the ``gdb_gomap`` package first on ``sys.path``
(the venv's site-packages after ``install.sh``, the repository root in a
source checkout), then registers the gdb commands, settings and the
pretty-printer of Go maps.  ``site.addsitedir`` is
used so the ``.pth`` files of an installed venv are honoured too.

Before anything else is imported, the third-party modules the commands need
(``gdb_gomap.REQUIRES``) are looked for: a missing one is said at load time,
in one line naming what to install, and no command is made.  Any other
failure to load is one line on gdb's stderr, never a traceback (set
``GOMAP_DEBUG=1`` to get the traceback), and gdb carries on: the rest of the
user's ``~/.gdbinit`` still runs.  Auto-load settings are not touched.
"""


def _gomap_load():
    """Put gdb_gomap's parent directory first on sys.path and register the commands
    (and the settings and printers)."""
    import os
    import site
    import sys

    import gdb

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    site.addsitedir(root)  # root is already on sys.path: this only runs its .pth files
    missing = _missing_modules()
    if missing:
        fix = (f"run {os.path.join(root, 'install.sh')}"
               if os.path.exists(os.path.join(root, "install.sh")) else "run gomap's install.sh")
        gdb.write(f"gomap: could not load: gdb's Python {sys.version_info[0]}."
                  f"{sys.version_info[1]} is missing {', '.join(missing)}; {fix}, "
                  f"or 'pip install {' '.join(missing)}' for that Python\n", gdb.STDERR)
        return
    try:
        from gdb_gomap.gdb import commands

        commands.register()
    except Exception as exc:  # any failure to load is reported in one line
        if os.environ.get("GOMAP_DEBUG") == "1":
            raise
        first = (str(exc).splitlines() or [""])[0]
        gdb.write(f"gomap: could not load ({type(exc).__name__}: {first}); "
                  "run install.sh again\n", gdb.STDERR)


def _missing_modules():
    """The distributions of gdb_gomap.REQUIRES whose module gdb's Python cannot find."""
    import importlib.util

    from gdb_gomap import REQUIRES

    return [dist for module, dist in REQUIRES if importlib.util.find_spec(module) is None]


# gdb runs this file in its __main__ namespace: leave nothing behind there.
try:
    _gomap_load()
finally:
    del _gomap_load, _missing_modules
