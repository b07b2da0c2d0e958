"""The names scripts import (``resolve_map``, ``resolve``, ``split_head``,
``split_addr_type``): the grammar itself lives in :mod:`gdb_gomap.expr`."""

from .expr import resolve, resolve_map, split_addr_type, split_head

__all__ = ["resolve", "resolve_map", "split_addr_type", "split_head"]
