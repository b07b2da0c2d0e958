"""Pausing Python's cycle collector around bulk work.

A decode or a JSON rendering makes millions of small acyclic objects; the
collector would rescan them again and again (about a third of the time).  The
census's walk and dominator tree too (a fifth of the walk on a 3 GB core).
"""

import contextlib
import gc


@contextlib.contextmanager
def no_gc():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
