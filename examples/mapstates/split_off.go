//go:build !goexperiment.mapsplitgroup

package main

const splitGroups = false
