// bigmap TRUTH N: a process with one large map, main.Big (map[int64]string with
// N entries), for the tests that read it while it runs or kill it while gomap
// reads it.  It writes {"len": N} to TRUTH, prints READY and then waits; on
// SIGUSR1 it checks every entry of main.Big against what it inserted and
// prints "OK N" or "BAD what", so a test can tell the map was left intact.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

var Big map[int64]string

func value(i int) string { return "value-" + strconv.Itoa(i) }

func check(n int) string {
	if len(Big) != n {
		return fmt.Sprintf("BAD len %d, want %d", len(Big), n)
	}
	for i := 0; i < n; i++ {
		if v, ok := Big[int64(i)*7919]; !ok || v != value(i) {
			return fmt.Sprintf("BAD entry %d: %q %v", i, v, ok)
		}
	}
	return fmt.Sprintf("OK %d", n)
}

func main() {
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	Big = make(map[int64]string)
	for i := 0; i < n; i++ {
		Big[int64(i)*7919] = value(i)
	}
	truth := fmt.Sprintf(`{"len": %d}`, len(Big))
	if err := os.WriteFile(os.Args[1], []byte(truth), 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	for range usr1 {
		os.Stdout.WriteString(check(n) + "\n")
	}
}
