// naming TRUTH: maps to be named every way gomap's expression grammar allows,
// with the lengths and a few entries the program itself knows.
//
// Globals: maps looked up by key (string, int, float, bool, rune keys, a key
// with a space), a chain through a map, a struct and a slice
// (main.Cfg["db"].pools[2]), a classic map caught mid-grow (main.Growing),
// maps held in interfaces (a map in any, a pointer to a map in any, a named
// map type in a non-empty interface), and a struct that holds maps (main.GSrv).
// Goroutines: testfn[int, float32] and testfn[Key, int] (one generic function,
// two instantiations) each build a local map m and a local struct tm whose
// field v is a slice of maps, call main.stopHere (a breakpoint for gdb), report
// their goroutine id and park.  main.holder parks with a map argument.
// The truth file is written once before the goroutines start (for a debugger
// stopped in main.stopHere) and again with the goroutine ids; then READY.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

type Key struct{ X, Y int }

type Named map[string]int

type Counts map[string]int

func (c Counts) Len() int { return len(c) }

type Lener interface{ Len() int }

type DB struct {
	name  string
	pools []map[string]int
}

type Server struct {
	name   string
	cache  map[string]int
	shards [3]map[int]int
	hits   int
}

type Holder struct {
	V any
}

type T[V any] struct {
	name string
	v    []map[string]V
}

var (
	GNested = map[string]map[int]string{"a": {1: "one", 2: "two"}, "b b": {3: "three"}}
	ByInt   = map[int]map[string]int{42: {"x": 1, "y": 2, "z": 3}, -7: {"n": 1}}
	ByFloat = map[float64]map[string]int{1.5: {"f": 1, "g": 2}, -0.25: {"h": 1}}
	ByBool  = map[bool]map[string]int{true: {"t": 1}, false: {"f1": 1, "f2": 2}}
	ByRune  = map[rune]map[string]int{'x': {"r": 1, "s": 2, "t": 3, "u": 4}}
	ByUint8 = map[uint8]Named{200: {"k": 1, "l": 2}}
	Cfg     = map[string]*DB{}
	Growing = map[int]map[string]int{}
	Anys    = map[string]any{}

	Iface      any
	IfacePtr   any
	IfaceNamed Lener
	Wrapped    = Holder{}
	GSrv       *Server
	PlainStr   = map[string]int{"a": 1, "a b": 2, "quote\"d": 3, "tab\t": 4, "é": 5}
	NamedMap   = Named{"n1": 1, "n2": 2}
)

var block = make(chan int)

// goid is this goroutine's id, from the first line runtime.Stack writes
// ("goroutine 18 [running]:").
func goid() int64 {
	var buf [64]byte
	line := string(buf[:runtime.Stack(buf[:], false)])
	id, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
	return id
}

//go:noinline
func stopHere(n int) int { return n + 1 }

// testfn builds m and tm from its arguments, stops in stopHere, reports and parks.
//
//go:noinline
func testfn[K comparable, V any](keys []K, vals []V, out chan<- int64) {
	m := make(map[K]V)
	for i, k := range keys {
		m[k] = vals[i]
	}
	tm := T[V]{name: "tm", v: []map[string]V{{"p": vals[0]}, {"q": vals[0], "r": vals[0]}}}
	stopHere(len(m))
	out <- goid()
	<-block
	runtime.KeepAlive(m)
	runtime.KeepAlive(tm)
}

//go:noinline
func holder(m map[string]int, out chan<- int64) {
	out <- goid()
	<-block
	runtime.KeepAlive(m)
}

func sized(n int, prefix string) map[string]int {
	m := map[string]int{}
	for i := 0; i < n; i++ {
		m[prefix+strconv.Itoa(i)] = i
	}
	return m
}

func main() {
	truthPath := os.Args[1]
	for i, db := range []string{"db", "cache"} {
		d := &DB{name: db}
		for p := 0; p < 4; p++ {
			d.pools = append(d.pools, sized(p+1+10*i, db))
		}
		Cfg[db] = d
	}
	// 8 buckets hold 52 entries at most (load factor 6.5): the 53rd starts a
	// grow that each later insert moves on by up to two buckets.
	for k := 0; k < 53; k++ {
		var v map[string]int
		if k%10 == 0 {
			v = sized(k/10+1, "g")
		}
		Growing[k*7] = v
	}
	im := map[string]int{"i1": 1, "i2": 2, "i3": 3}
	Iface = im
	pm := map[int]string{1: "a", 2: "b"}
	IfacePtr = &pm
	IfaceNamed = Counts{"c1": 1, "c2": 2, "c3": 3, "c4": 4}
	Wrapped.V = Named{"w": 1}
	Anys["m"] = map[string]int{"am": 1, "an": 2}
	Anys["n"] = 5
	GSrv = &Server{name: "srv", cache: sized(6, "c"), hits: 3}
	for i := range GSrv.shards {
		GSrv.shards[i] = map[int]int{}
		for k := 0; k <= i; k++ {
			GSrv.shards[i][k] = k
		}
	}

	lens := map[string]int{}
	add := func(expr string, n int) { lens[expr] = n }
	add(`main.GNested["a"]`, len(GNested["a"]))
	add(`main.GNested["b b"]`, len(GNested["b b"]))
	add(`main.ByInt[42]`, len(ByInt[42]))
	add(`main.ByInt[-7]`, len(ByInt[-7]))
	add(`main.ByFloat[1.5]`, len(ByFloat[1.5]))
	add(`main.ByFloat[-0.25]`, len(ByFloat[-0.25]))
	add(`main.ByBool[true]`, len(ByBool[true]))
	add(`main.ByBool[false]`, len(ByBool[false]))
	add(`main.ByRune['x']`, len(ByRune['x']))
	add(`main.ByUint8[200]`, len(ByUint8[200]))
	add(`main.Cfg["db"].pools[2]`, len(Cfg["db"].pools[2]))
	add(`main.Cfg["cache"].pools[3]`, len(Cfg["cache"].pools[3]))
	add(`*main.Cfg["db"]`, -1) // a struct, not a map: listed
	for k := range Growing {
		if Growing[k] != nil {
			add(fmt.Sprintf("main.Growing[%d]", k), len(Growing[k]))
		}
	}
	add(`main.Iface`, len(im))
	add(`main.IfacePtr`, len(pm))
	add(`main.IfaceNamed`, IfaceNamed.Len())
	add(`main.Wrapped.V`, 1)
	add(`main.Anys["m"]`, 2)
	add(`main.GSrv.cache`, len(GSrv.cache))
	add(`main.GSrv.shards[2]`, len(GSrv.shards[2]))
	add(`main.PlainStr`, len(PlainStr))
	add(`main.NamedMap`, len(NamedMap))
	growingKeys := []int{}
	for k := range Growing {
		growingKeys = append(growingKeys, k)
	}
	// classic maps (before Go 1.24): the header's oldbuckets (after count, flags,
	// B, noverflow, hash0 and buckets: offset 24) is set while a grow is under way
	oldBuckets := false
	if v := runtime.Version(); strings.HasPrefix(v, "go1.21") || strings.HasPrefix(v, "go1.22") ||
		strings.HasPrefix(v, "go1.23") {
		h := *(*unsafe.Pointer)(unsafe.Pointer(&Growing))
		oldBuckets = *(*uintptr)(unsafe.Add(h, 24)) != 0
	}
	truth := map[string]any{
		"growing_keys": growingKeys,
		"growing_old":  oldBuckets,
		"lens": lens,
		"types": map[string]string{
			"main.Iface": fmt.Sprintf("%T", Iface), "main.IfacePtr": fmt.Sprintf("%T", pm),
			"main.IfaceNamed": fmt.Sprintf("%T", IfaceNamed),
			"main.Wrapped.V":  fmt.Sprintf("%T", Wrapped.V),
		},
		"plain": PlainStr,
		"generic": map[string]any{
			"int_float32": map[string]any{"len": 3, "type": "map[int]float32",
				"entries": map[string]float32{"1": 2.1, "2": 4.5, "3": -1}, "tm_v0": 1, "tm_v1": 2},
			"key_int": map[string]any{"len": 2, "type": "map[main.Key]int",
				"entries": map[string]int{"{1 2}": 3, "{4 5}": 9}, "tm_v0": 1, "tm_v1": 2},
		},
		"holder_len": 4,
	}
	write := func() {
		b, _ := json.Marshal(truth)
		if err := os.WriteFile(truthPath, b, 0o644); err != nil {
			panic(err)
		}
	}
	write()

	out := make(chan int64)
	go testfn([]int{1, 2, 3}, []float32{2.1, 4.5, -1}, out)
	g1 := <-out
	go testfn([]Key{{1, 2}, {4, 5}}, []int{3, 9}, out)
	g2 := <-out
	go holder(map[string]int{"h1": 1, "h2": 2, "h3": 3, "h4": 4}, out)
	g3 := <-out
	truth["goroutines"] = map[string]int64{"int_float32": g1, "key_int": g2, "holder": g3}
	write()
	fmt.Println("READY")
	for {
		time.Sleep(time.Hour) // a pending timer: no deadlock
	}
}
