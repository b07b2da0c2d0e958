//go:build go1.24 && !go1.26 && !goexperiment.swissmap

package main

// Go 1.24/1.25 noswissmap: hmap is 56 bytes, clearSeq at 40, extra at 48.
const (
	hasClearSeq = true
	hClearSeq   = 40
	hExtra      = 48
)
