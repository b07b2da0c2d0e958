// goroots TRUTH: goroutines whose stacks hold maps, for the census's stack roots.
// N parked goroutines (main.parked) each make a map of i+1 entries and block on a
// channel receive in main.hold(m, out); one goroutine (main.busy) spins forever in
// main.loop(m, out) calling main.spin, with a map of 777 entries.  Every goroutine
// reports its own id (parsed from runtime.Stack).  Once all are in place the program
// lists the ids runtime.Stack shows for all goroutines and writes {"parked": {goid:
// len}, "busy": goid, "busy_len": 777, "main": goid, "all": [goids]} to TRUTH and
// prints READY.  main.deadslot parks after the block holding its map ended
// ("dead_slot": its goid): that map is no root.  main.deadlocal parks with its
// map still in scope but dead ("dead_local": its goid): no root either.  main.reader's goroutine
// ("syscall": goid) blocks in read(2) in main.inread with a map of 33 entries.
// main.onstack's map never escapes, so the compiler keeps it on that goroutine's
// stack ("on_stack": goid, "on_stack_len": 5): no heap object holds its header.
package main

import (
	"encoding/json"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
)

// parkedCount goroutines are parked; a second argument changes it.
var parkedCount = 40

var block = make(chan int)
var Spins int64

func goid() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	f := regexp.MustCompile(`^goroutine (\d+) `).FindSubmatch(buf[:n])
	id, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return id
}

type report struct{ id, n int64 }

//go:noinline
func parked(i int, out chan<- report) {
	m := make(map[int]string)
	for k := 0; k <= i; k++ {
		m[k*31] = "v" + strconv.Itoa(k)
	}
	hold(m, out)
}

// hold parks with the map as its argument (optimized builds describe a spilled
// argument; a local they may leave without a location).
//
//go:noinline
func hold(m map[int]string, out chan<- report) {
	out <- report{goid(), int64(len(m))}
	<-block
	out <- report{int64(len(m)), 0}
}

//go:noinline
func sink(n int) int { return n + 1 }

// deadslot's map is out of scope (its block has ended) where it parks: its stack
// slot may still hold the map, but it is no root.
//
//go:noinline
func deadslot(out chan<- report) {
	{
		d := make(map[int]int)
		for k := 0; k < 55; k++ {
			d[k] = k
		}
		sink(len(d))
	}
	out <- report{goid(), 0}
	<-block
}

// deadlocal's map stays in scope where it parks, but it is not used after
// sink: DWARF (in -N -l builds) still places it in its stack slot, while the
// runtime's stack maps say the slot is dead there, so it is no root.
//
//go:noinline
func deadlocal(out chan<- report) {
	d := make(map[int]int)
	for k := 0; k < 66; k++ {
		d[k] = k
	}
	sink(len(d))
	out <- report{goid(), 0}
	<-block
}

// onstack parks with a map that does not escape (a small make and no pointer to it
// leaves the function): its header lives on this goroutine's stack.
//
//go:noinline
func onstack(out chan<- report) {
	m := make(map[int]int, 4)
	for k := 0; k < 5; k++ {
		m[k] = k * k
	}
	out <- report{goid(), int64(len(m))}
	<-block
	sink(len(m))
}

// inread blocks in a read(2) of a pipe nobody writes to (a blocking descriptor, so
// the goroutine is in a system call), with its map as an argument.
//
//go:noinline
func inread(m map[string]int, fd int) int {
	var buf [1]byte
	syscall.Read(fd, buf[:])
	return len(m)
}

//go:noinline
func reader(out chan<- report) {
	m := make(map[string]int)
	for k := 0; k < 33; k++ {
		m["k"+strconv.Itoa(k)] = k
	}
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	out <- report{goid(), int64(len(m))}
	inread(m, fds[0])
}

//go:noinline
func spin(m map[int64]int64) int64 {
	return int64(len(m))
}

//go:noinline
func busy(out chan<- report) {
	m := make(map[int64]int64)
	for k := int64(0); k < 777; k++ {
		m[k] = k
	}
	loop(m, out)
}

//go:noinline
func loop(m map[int64]int64, out chan<- report) {
	out <- report{goid(), int64(len(m))}
	for {
		atomic.AddInt64(&Spins, spin(m))
	}
}

func main() {
	if len(os.Args) > 2 {
		parkedCount, _ = strconv.Atoi(os.Args[2])
	}
	out := make(chan report)
	truth := map[string]interface{}{}
	parkedTruth := map[string]int64{}
	for i := 0; i < parkedCount; i++ {
		go parked(i, out)
		r := <-out
		parkedTruth[strconv.FormatInt(r.id, 10)] = r.n
	}
	go deadslot(out)
	truth["dead_slot"] = (<-out).id
	go deadlocal(out)
	truth["dead_local"] = (<-out).id
	var r report
	go reader(out)
	r = <-out
	truth["syscall"], truth["syscall_len"] = r.id, r.n
	go onstack(out)
	r = <-out
	truth["on_stack"], truth["on_stack_len"] = r.id, r.n
	go busy(out)
	r = <-out
	truth["busy"], truth["busy_len"] = r.id, r.n
	truth["parked"] = parkedTruth
	truth["main"] = goid()
	runtime.GC()
	runtime.GC()
	debug.SetTraceback("system")
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	var all []int64
	for _, f := range regexp.MustCompile(`(?m)^goroutine (\d+) \[`).FindAllSubmatch(buf[:n], -1) {
		id, _ := strconv.ParseInt(string(f[1]), 10, 64)
		all = append(all, id)
	}
	truth["all"] = all
	data, _ := json.Marshal(truth)
	if err := os.WriteFile(os.Args[1], data, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	<-block
}
