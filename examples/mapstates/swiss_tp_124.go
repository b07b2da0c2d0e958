//go:build goexperiment.swissmap && !go1.25

package main

// Go 1.24 swiss: no tombstonePossible field (offset 35 is padding).
const (
	hasTombstonePossible = false
	mTombstonePossible   = 0
)
