// corrupt TRUTH: a process whose memory a test can turn into a corrupt map.
//
// It holds main.M, a map[int64]int64 of 20,000 entries (several swiss tables
// on Go 1.24+, a classic bucket array on older releases or noswissmap), and
// main.Scratch, 96 MiB of zeroed heap memory that the test overwrites in a
// core file with a forged directory, tables, groups or buckets.  It writes
// {"len", "entries", "header", "scratch", "scratch_len"} to TRUTH: its entries, the map header's
// address and the scratch buffer's, read with unsafe, so the test can patch
// the core at those addresses; then it prints READY and waits.
package main

import (
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

var M map[int64]int64

var Scratch []byte

func main() {
	M = make(map[int64]int64)
	for i := int64(0); i < 20000; i++ {
		M[i*7919] = i
	}
	Scratch = make([]byte, 96<<20)
	for i := 0; i < len(Scratch); i += 4096 {
		Scratch[i] = 0 // touch every page so that a core holds it
	}
	header := *(*uintptr)(unsafe.Pointer(&M))
	entries := make([][2]int64, 0, len(M))
	for k, v := range M {
		entries = append(entries, [2]int64{k, v})
	}
	truth, err := json.Marshal(map[string]any{"len": len(M), "entries": entries,
		"header": header, "scratch": uintptr(unsafe.Pointer(&Scratch[0])),
		"scratch_len": len(Scratch)})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[1], truth, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGTERM)
	<-quit
}
