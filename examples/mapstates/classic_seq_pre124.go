//go:build !go1.24

package main

import "unsafe"

// hmap mirrors runtime.hmap of Go 1.21-1.23: no clearSeq.
type hmap struct {
	hmapHead
	extra unsafe.Pointer
}

const (
	hasClearSeq = false
	hClearSeq   = 0
)
