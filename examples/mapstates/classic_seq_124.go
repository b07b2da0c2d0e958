//go:build go1.24 && !go1.26 && !goexperiment.swissmap

package main

import "unsafe"

// hmap mirrors runtime.hmap of Go 1.24/1.25 noswissmap: clearSeq after nevacuate.
// The compiler lays it out as the runtime's, on every GOARCH.
type hmap struct {
	hmapHead
	clearSeq uint64
	extra    unsafe.Pointer
}

const (
	hasClearSeq = true
	hClearSeq   = unsafe.Offsetof(hmap{}.clearSeq)
)
