"""The Go-specific DWARF attributes (pyelftools knows them only by number)."""

GO_KIND = 0x2900
GO_KEY = 0x2901
GO_ELEM = 0x2902
GO_EMBEDDED_FIELD = 0x2903
GO_RUNTIME_TYPE = 0x2904

# reflect.Kind values as the compiler writes them into DW_AT_go_kind.
KIND_NAMES = {
    1: "bool", 2: "int", 3: "int8", 4: "int16", 5: "int32", 6: "int64",
    7: "uint", 8: "uint8", 9: "uint16", 10: "uint32", 11: "uint64", 12: "uintptr",
    13: "float32", 14: "float64", 15: "complex64", 16: "complex128",
    17: "array", 18: "chan", 19: "func", 20: "interface", 21: "map", 22: "ptr",
    23: "slice", 24: "string", 25: "struct", 26: "unsafe.Pointer",
}

TYPE_TAGS = frozenset((
    "DW_TAG_base_type", "DW_TAG_pointer_type", "DW_TAG_structure_type",
    "DW_TAG_array_type", "DW_TAG_typedef", "DW_TAG_subroutine_type",
    "DW_TAG_unspecified_type",
))


def name_of(die):
    """DW_AT_name of a DIE as str, or None."""
    a = die.attributes.get("DW_AT_name")
    if a is None:
        return None
    v = a.value
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def attr(die, key, default=None):
    a = die.attributes.get(key)
    return default if a is None else a.value
