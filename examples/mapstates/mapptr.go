package main

import "unsafe"

// eface is the layout of an empty interface: type word, data word.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// headerOf returns the map header pointer of a map held in an interface.
// Maps are pointer-shaped, so the data word is the header pointer itself
// (nil for a nil map).
func headerOf(m any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&m)).data }

// typeWordOf returns the runtime type descriptor of the dynamic type of m.
func typeWordOf(m any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&m)).typ }

// mapPtr returns the header pointer of a map variable without converting the
// map to an interface, so a non-escaping map stays non-escaping.
func mapPtr[M ~map[K]V, K comparable, V any](m M) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}

func rd8(p unsafe.Pointer, off uintptr) uint8      { return *(*uint8)(unsafe.Add(p, off)) }
func rd16(p unsafe.Pointer, off uintptr) uint16    { return *(*uint16)(unsafe.Add(p, off)) }
func rd32(p unsafe.Pointer, off uintptr) uint32    { return *(*uint32)(unsafe.Add(p, off)) }
func rd64(p unsafe.Pointer, off uintptr) uint64    { return *(*uint64)(unsafe.Add(p, off)) }
func rdWord(p unsafe.Pointer, off uintptr) uintptr { return *(*uintptr)(unsafe.Add(p, off)) }
func rdPtr(p unsafe.Pointer, off uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(p, off))
}

// ptrSize is the pointer size of the GOARCH the program is built for.
const ptrSize = unsafe.Sizeof(uintptr(0))

// descOff is where the map type descriptor's own fields start, after abi.Type
// (4 words and 16 bytes) and its Key, Elem, Bucket (or Group) and Hasher words:
// 80 on 64-bit machines, 48 on 32-bit ones.
const descOff = 8*ptrSize + 16

// ctrlAlign is the alignment of a uint64 field (a swiss group's control word):
// 8 on 64-bit machines, 4 on 386 and arm.
const ctrlAlign = unsafe.Alignof(struct{ c uint64 }{}.c)

// cellSize is the classic bucket cell / swiss slot field size of a key or
// elem: values over 128 bytes are stored through a pointer.
func cellSize(size uintptr) uintptr {
	if size > 128 {
		return ptrSize
	}
	return size
}

func cellAlign(size, align uintptr) uintptr {
	if size > 128 {
		return ptrSize
	}
	return align
}

func alignUp(n, a uintptr) uintptr {
	if a <= 1 {
		return n
	}
	return (n + a - 1) &^ (a - 1)
}
