// sideeffect TRUTH: maps and scalars a debugger expression could overwrite,
// for the tests that prove gomap refuses expressions with side effects.
//
// main.Big (map[int64]int64, 1,000 entries k -> 7k+1), main.Small (100
// entries k -> 3k) and main.Tiny (3 entries k -> k+100); main.Hits and
// main.Pokes are int64 counters left at 0; main.Poke() adds 1 to main.Pokes
// (a function a debugger could call).  It writes the header addresses to
// TRUTH as JSON, prints READY and waits; on SIGUSR1 it checks every map
// entry and both counters against what it set and prints "OK" or
// "BAD what", so a test learns from the program itself whether its memory
// was written.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unsafe"
)

var (
	Big   map[int64]int64
	Small map[int64]int64
	Tiny  map[int64]int64
	Hits  int64
	Pokes int64
)

// Poke is what a debugger's function call would run.
//
//go:noinline
//go:nosplit
func Poke() {
	Pokes++
}

func checkMap(name string, m map[int64]int64, n int, f func(int64) int64) []string {
	var bad []string
	if len(m) != n {
		bad = append(bad, fmt.Sprintf("%s has len %d, want %d", name, len(m), n))
	}
	for k := int64(0); k < int64(n); k++ {
		if v, ok := m[k]; !ok || v != f(k) {
			bad = append(bad, fmt.Sprintf("%s[%d] = %d %v, want %d", name, k, v, ok, f(k)))
			break
		}
	}
	return bad
}

func check() string {
	var bad []string
	bad = append(bad, checkMap("Big", Big, 1000, func(k int64) int64 { return 7*k + 1 })...)
	bad = append(bad, checkMap("Small", Small, 100, func(k int64) int64 { return 3 * k })...)
	bad = append(bad, checkMap("Tiny", Tiny, 3, func(k int64) int64 { return k + 100 })...)
	if Hits != 0 {
		bad = append(bad, fmt.Sprintf("Hits is %d, want 0", Hits))
	}
	if Pokes != 0 {
		bad = append(bad, fmt.Sprintf("Pokes is %d, want 0", Pokes))
	}
	if len(bad) == 0 {
		return "OK"
	}
	return "BAD " + strings.Join(bad, "; ")
}

func header(m map[int64]int64) uintptr { return *(*uintptr)(unsafe.Pointer(&m)) }

func main() {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	Big, Small, Tiny = make(map[int64]int64), make(map[int64]int64), make(map[int64]int64)
	for k := int64(0); k < 1000; k++ {
		Big[k] = 7*k + 1
	}
	for k := int64(0); k < 100; k++ {
		Small[k] = 3 * k
	}
	for k := int64(0); k < 3; k++ {
		Tiny[k] = k + 100
	}
	if len(os.Args) > 2 { // never true in the tests: keeps Poke in the binary
		Poke()
	}
	truth := fmt.Sprintf(`{"Big": %d, "Small": %d, "Tiny": %d}`,
		header(Big), header(Small), header(Tiny))
	if err := os.WriteFile(os.Args[1], []byte(truth), 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	for range usr1 {
		os.Stdout.WriteString(check() + "\n")
	}
}
