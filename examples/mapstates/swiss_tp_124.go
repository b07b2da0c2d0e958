//go:build goexperiment.swissmap && !go1.25

package main

import "unsafe"

// swissMap mirrors internal/runtime/maps.Map of Go 1.24: no tombstonePossible.
type swissMap struct {
	used        uint64
	seed        uintptr
	dirPtr      unsafe.Pointer
	dirLen      int
	globalDepth uint8
	globalShift uint8
	writing     uint8
	clearSeq    uint64
}

const (
	hasTombstonePossible = false
	mTombstonePossible   = 0
)
