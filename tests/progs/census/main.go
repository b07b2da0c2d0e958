// census TRUTH: a process hiding maps in every way a map can hide, for the
// census (gomap census, gomap-census).  It writes its own truth to TRUTH, as
// JSON, then prints READY and waits:
//
//	{"groups": [{"name": ..., "match": REGEX, "maps": N, "entries": E, "goroutines": bool}],
//	 "cache_value_caps": BYTES, "dead_type": "map[int32]uint16", "dead_entries": N,
//	 "dead_slot_type": "map[uint32]int8", "nil_match": REGEX, "nil_maps": N,
//	 "spinner": GOID of the running goroutine}
//
// Each group says, as a regular expression, the path pattern its maps are
// found under; its counts are computed here from the maps themselves.  The
// cache's values are large []byte: the sum of their capacities is what the
// cache retains beyond its own storage.  One map is dead: made by a function
// that has returned, its memory still on the heap (the collector is off) but
// no root points to it; the census must not count it.  Nor the map of
// main.deadSlot, whose stack slot is dead where that goroutine parks.  The
// nil maps of main.nils are counted here (their paths match nil_match).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

type L6 struct {
	name string
	m    map[string]int
}
type L5 struct{ next *L6 }
type L4 struct{ next *L5 }
type L3 struct{ next *L4 }
type L2 struct{ next *L3 }
type L1 struct{ next *L2 }

// strSet is a named map type: the census must call its maps by that name, also
// when maps of its underlying type (map[string]bool) are walked too.
type strSet map[string]bool

type holder struct {
	id int
	m  map[string]int
}

type Group struct {
	Name       string `json:"name"`
	Match      string `json:"match"`
	Maps       int    `json:"maps"`
	Entries    int    `json:"entries"`
	Goroutines bool   `json:"goroutines"`
}

var (
	many       []map[int]int          // 100,000 maps in a slice
	outer      map[int]map[int]string // a map whose values are maps
	deep       *L1                    // a map six pointers deep
	boxed      any                    // a map in an interface
	boxes      []any                  // maps in interfaces in a slice
	chq        chan map[int64]bool    // maps in a channel's buffer
	counter    func() int             // a map in a closure's context
	cache      map[string][]byte      // values much larger than the map
	emptied    []map[string]int       // maps whose every key was deleted: empty, not nil
	namedSet   any                    // a map of a named map type, in an interface
	unnamedSet any                    // a map of its underlying type, in an interface
	sinkDead   map[int32]uint16
	nils       []holder // maps never made: nil
	spins      int64
	spinnerLen int64
	spinnerID  int64
)

//go:noinline
func makeDead(n int) int {
	m := make(map[int32]uint16)
	for i := 0; i < n; i++ {
		m[int32(i)] = uint16(i)
	}
	sinkDead = m   // escapes to the heap ...
	sinkDead = nil // ... and nothing points to it any more
	return len(m)
}

// onHeap returns m after sending it through a channel, which makes the
// compiler allocate it on the heap (a map local to a goroutine that does not
// escape would live in the goroutine's stack instead).
func onHeap[M any](m M) M {
	c := make(chan M, 1)
	c <- m
	return <-c
}

//go:noinline
func parked(i int, ready *sync.WaitGroup, release chan struct{}, count *int64) {
	m := onHeap(make(map[uint32]int))
	for j := 0; j < i%5+1; j++ {
		m[uint32(j)] = j
	}
	atomic.AddInt64(count, int64(len(m)))
	ready.Done()
	<-release
	runtime.KeepAlive(m)
}

// deadSlot parks with its map in scope but not used any more: a -N -l build's
// DWARF still places it in its stack slot (which keeps pointing at it, the
// collector being off), but the runtime's stack maps call the slot dead there,
// so the census must not count it.
//
//go:noinline
func deadSlot(ready *sync.WaitGroup, release chan struct{}) {
	d := onHeap(make(map[uint32]int8))
	for j := 0; j < 9; j++ {
		d[uint32(j)] = int8(j)
	}
	ready.Done()
	<-release
}

// goroutineID is the calling goroutine's id, read from runtime.Stack's first line.
func goroutineID() int64 {
	head := make([]byte, 64)
	head = head[:runtime.Stack(head, false)]
	var id int64
	fmt.Sscanf(string(head), "goroutine %d ", &id)
	return id
}

//go:noinline
func spinner(started chan struct{}) {
	m := onHeap(map[uint8]int{1: 1, 2: 2, 3: 3})
	atomic.StoreInt64(&spinnerLen, int64(len(m)))
	atomic.StoreInt64(&spinnerID, goroutineID())
	close(started)
	for {
		atomic.AddInt64(&spins, int64(len(m)))
	}
}

func makeCounter() func() int {
	seen := map[string]bool{"a": true, "b": true}
	return func() int { return len(seen) }
}

// Each hiding place is filled by its own function, so that no local of main
// (whose frame is alive while the program waits) holds one of the maps.

//go:noinline
func fillMany() (int, int) {
	many = make([]map[int]int, 100000)
	n := 0
	for i := range many {
		m := make(map[int]int)
		for j := 0; j < i%3; j++ {
			m[j] = i
		}
		many[i] = m
		n += len(m)
	}
	return len(many), n
}

//go:noinline
func fillOuter() (int, int) {
	outer = make(map[int]map[int]string)
	n := 0
	for i := 0; i < 1000; i++ {
		inner := make(map[int]string)
		for j := 0; j < i%4; j++ {
			inner[j] = "v"
		}
		outer[i] = inner
		n += len(inner)
	}
	return len(outer), n
}

//go:noinline
func fillDeep() int {
	m6 := map[string]int{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
	deep = &L1{&L2{&L3{&L4{&L5{&L6{"six", m6}}}}}}
	return len(m6)
}

//go:noinline
func fillBoxed() int {
	bm := map[float64]string{1.5: "x", 2.5: "y"}
	boxed = bm
	return len(bm)
}

//go:noinline
func fillBoxes() (int, int) {
	boxes = make([]any, 50)
	n := 0
	for i := range boxes {
		m := map[int16]int16{}
		for j := 0; j < i%2+1; j++ {
			m[int16(j)] = int16(i)
		}
		boxes[i] = m
		n += len(m)
	}
	return len(boxes), n
}

//go:noinline
func fillChan() (int, int) {
	chq = make(chan map[int64]bool, 16)
	n := 0
	for i := 0; i < 10; i++ {
		m := map[int64]bool{}
		for j := 0; j <= i; j++ {
			m[int64(j)] = true
		}
		chq <- m
		n += len(m)
	}
	return len(chq), n
}

//go:noinline
func fillCache() (int, int) {
	cache = make(map[string][]byte)
	caps := 0
	for i := 0; i < 64; i++ {
		b := make([]byte, 1000+i*997, 65536+i*4096)
		cache[string(rune('A'+i%26))+string(rune('a'+i/26))] = b
		caps += cap(b)
	}
	return len(cache), caps
}

// fillEmptied makes maps of 100 keys and deletes every key again: empty maps
// whose storage stays (and holds tombstones or emptyOne cells).
func fillEmptied() int {
	emptied = make([]map[string]int, 5)
	for i := range emptied {
		m := make(map[string]int)
		for k := 0; k < 100; k++ {
			m[fmt.Sprint("k", i, "-", k)] = k
		}
		for k := 0; k < 100; k++ {
			delete(m, fmt.Sprint("k", i, "-", k))
		}
		emptied[i] = m
	}
	return len(emptied)
}

//go:noinline
func writeTruth(path string, groups []Group, caps, deadEntries int) {
	nilCount := 0
	for _, h := range nils {
		if h.m == nil {
			nilCount++
		}
	}
	truth := map[string]any{
		"nil_match":        `^main\.nils\[\d+\]\.m$`,
		"nil_maps":         nilCount,
		"groups":           groups,
		"cache_value_caps": caps,
		"dead_type":        "map[int32]uint16",
		"dead_entries":     deadEntries,
		"dead_slot_type":   "map[uint32]int8",
		"spinner":          atomic.LoadInt64(&spinnerID),
	}
	data, err := json.Marshal(truth)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		panic(err)
	}
}

func main() {
	debug.SetGCPercent(-1) // the dead map's memory stays where it is
	var groups []Group
	add := func(name, match string, maps, entries int, g bool) {
		groups = append(groups, Group{name, match, maps, entries, g})
	}

	maps, n := fillMany()
	add("slice", `^main\.many\[`, maps, n, false)
	maps, n = fillOuter()
	add("map", `^main\.outer$`, 1, maps, false)
	add("map values", `^main\.outer\[`, maps, n, false)
	add("six pointers deep", `^main\.deep\b`, 1, fillDeep(), false)
	add("interface", `^main\.boxed\b`, 1, fillBoxed(), false)
	maps, n = fillBoxes()
	add("interfaces in a slice", `^main\.boxes\b`, maps, n, false)
	maps, n = fillChan()
	add("channel buffer", `^main\.chq\b`, maps, n, false)
	counter = makeCounter()
	add("closure", `^main\.counter\b`, 1, counter(), false)
	entries, caps := fillCache()
	add("cache", `^main\.cache$`, 1, entries, false)
	add("emptied", `^main\.emptied\[`, fillEmptied(), 0, false)
	var set strSet = strSet{"x": true} // a local of the type: Go <= 1.23 gives it DWARF then
	namedSet = set
	unnamedSet = map[string]bool{"y": true, "z": false}
	add("named map type", `^main\.namedSet\b`, 1, 1, false)
	add("its underlying type", `^main\.unnamedSet\b`, 1, 2, false)

	deadEntries := makeDead(777)
	nils = make([]holder, 7)
	for i := range nils {
		nils[i].id = i
	}

	var ready sync.WaitGroup
	release := make(chan struct{})
	var parkedEntries int64
	for i := 0; i < 1000; i++ {
		ready.Add(1)
		go parked(i, &ready, release, &parkedEntries)
	}
	ready.Add(1)
	go deadSlot(&ready, release)
	ready.Wait()
	add("parked goroutines", `^goroutine .*main\.parked\b`, 1000, int(parkedEntries), true)

	started := make(chan struct{})
	go spinner(started)
	<-started
	for atomic.LoadInt64(&spins) == 0 {
		runtime.Gosched()
	}
	add("running goroutine", `^goroutine .*main\.spinner\b`, 1, int(atomic.LoadInt64(&spinnerLen)), true)

	writeTruth(os.Args[1], groups, caps, deadEntries)
	os.Stdout.WriteString("READY\n")
	select {}
}
