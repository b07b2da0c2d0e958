//go:build goexperiment.mapsplitgroup

package main

// Go 1.27 GOEXPERIMENT=mapsplitgroup: groups are {ctrl; keys [8]K; elems [8]V}.
const splitGroups = true
