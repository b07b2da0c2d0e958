"""The gdb front end: the only part of gomap that imports ``gdb``."""
