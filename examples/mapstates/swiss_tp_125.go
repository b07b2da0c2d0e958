//go:build go1.25 && (go1.26 || goexperiment.swissmap)

package main

// Go 1.25+ swiss: Map.tombstonePossible is the bool at offset 35.
const (
	hasTombstonePossible = true
	mTombstonePossible   = 35
)
