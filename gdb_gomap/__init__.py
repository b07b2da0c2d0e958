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
