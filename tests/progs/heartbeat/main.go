// heartbeat TRUTH: a program that must keep running while gomap-dlv comes and
// goes.  It fills main.Wide (map[int64]string, 20000 entries: its dump with
// --entries is bigger than a pipe holds, so a reader that stops reading holds
// gomap-dlv in the middle of the dump), writes {"wide": 20000} to TRUTH,
// prints READY, and then prints "beat N" every 50 ms, each through main.beat
// (a place for a breakpoint); every 40th beat (2 s) also calls main.rare (a
// breakpoint a debugger waits for).  A test that sees new beats knows the
// program runs.
package main

import (
	"os"
	"strconv"
	"time"
)

var Wide map[int64]string

var Beats, Rare int64

const wide = 20000

//go:noinline
func beat(n int64) {
	Beats = n
	os.Stdout.WriteString("beat " + strconv.FormatInt(n, 10) + "\n")
}

//go:noinline
func rare(n int64) {
	Rare = n
}

func main() {
	Wide = make(map[int64]string)
	for i := int64(0); i < wide; i++ {
		Wide[i*7919] = "value-" + strconv.FormatInt(i, 10)
	}
	if err := os.WriteFile(os.Args[1], []byte(`{"wide": 20000}`), 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	for n := int64(1); ; n++ {
		time.Sleep(50 * time.Millisecond)
		beat(n)
		if n%40 == 0 {
			rare(n)
		}
	}
}
