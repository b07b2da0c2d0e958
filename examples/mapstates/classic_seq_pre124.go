//go:build !go1.24

package main

import "unsafe"

// hmap mirrors runtime.hmap of Go 1.21-1.23: no clearSeq.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

const (
	hasClearSeq = false
	hClearSeq   = 0
)
