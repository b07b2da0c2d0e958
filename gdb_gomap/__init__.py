"""gomap: show what a Go map really is in memory (gdb, core files, Delve).

``__version__`` is the one place the version is written (pyproject.toml
reads it).  ``REQUIRES`` names the third-party modules the gdb commands
import, with the distribution that provides each; ``gdbinit.py`` checks
them before loading, so a missing one is said at load time.
"""

__version__ = "0.1.0"

# (module imported, distribution to install): the runtime dependencies of pyproject.toml
# that the gdb commands need.
REQUIRES = (("elftools", "pyelftools"), ("pygments", "pygments"))

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # for type checkers; at run time __getattr__ loads them
    from .api import Program, attach, open_core  # noqa: F401

# The library entry point (gdb_gomap.api), loaded on first use so that
# ``import gdb_gomap`` stays cheap and never needs gdb or pyelftools.
__all__ = ["open_core", "attach", "Program", "__version__"]


def __getattr__(name):
    if name in ("open_core", "attach", "Program"):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'gdb_gomap' has no attribute {name!r}")
