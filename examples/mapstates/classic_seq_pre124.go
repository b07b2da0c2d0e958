//go:build !go1.24

package main

// Go 1.21-1.23: hmap is 48 bytes, no clearSeq.
const (
	hasClearSeq = false
	hClearSeq   = 0
	hExtra      = 40
)
