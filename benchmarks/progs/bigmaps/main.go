// bigmaps holds the maps the benchmarks time: a million int64 entries, a
// million string entries, and 100,000 int64 entries for the side-by-side run
// with runtime-gdb.py.  It prints READY and waits at main.checkpoint.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var (
	GBig  map[int64]int64
	GStrs map[string]string
	GMid  map[int64]int64
)

//go:noinline
func checkpoint() {}

func main() {
	GBig = make(map[int64]int64)
	for i := int64(0); i < 1_000_000; i++ {
		GBig[i] = i * 3
	}
	GStrs = make(map[string]string)
	for i := 0; i < 1_000_000; i++ {
		GStrs["key-"+strconv.Itoa(i)] = "value-" + strconv.Itoa(i)
	}
	GMid = make(map[int64]int64)
	for i := int64(0); i < 100_000; i++ {
		GMid[i] = -i
	}
	fmt.Fprintln(os.Stdout, "READY", len(GBig), len(GStrs), len(GMid))
	checkpoint()
	for {
		time.Sleep(time.Hour)
	}
}
