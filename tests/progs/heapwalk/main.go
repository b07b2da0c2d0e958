// heapwalk hides maps on the heap behind every kind of edge the census walk
// follows from package globals (a slice, map values, six pointers, interfaces,
// a channel buffer), and allocates byte slices whose size class it learns
// from append's capacity. It writes its truth as JSON (argv[1]) and prints
// READY, then waits to be cored or read.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
	"unsafe"
)

type Node struct {
	next *Node
	pad  [3]int
	m    map[string]int
}

type Holder struct {
	name string
	m    map[int]bool
}

var (
	sliceOfMaps []map[int]int
	mapOfMaps   map[string]map[int]string
	deep        *Node
	anyMap      any
	anyPtr      any
	anyHolders  []any // 20 *Holder: one interface place of one plan, many times
	chMaps      chan map[int]int
	blobs       [][]byte
	counter     func() int
	growing     map[int]*Holder // 209 entries: a classic map caught mid-grow
)

//go:noinline
func makeCounter(n int) func() int {
	seen := make(map[int]string)
	for i := 0; i < n; i++ {
		seen[i] = "x"
	}
	return func() int { return len(seen) }
}

type group struct {
	Match   string `json:"match"`
	Maps    int    `json:"maps"`
	Entries int    `json:"entries"`
}

type object struct {
	Addr uint64 `json:"addr"`
	Size int    `json:"size"`
}

func main() {
	var groups []group

	sliceOfMaps = make([]map[int]int, 1000)
	n := 0
	for i := range sliceOfMaps {
		m := make(map[int]int)
		for j := 0; j < i%7; j++ {
			m[j] = i * j
		}
		sliceOfMaps[i] = m
		n += len(m)
	}
	groups = append(groups, group{`^main\.sliceOfMaps\[\*\]$`, len(sliceOfMaps), n})

	mapOfMaps = make(map[string]map[int]string)
	n = 0
	for i := 0; i < 50; i++ {
		inner := make(map[int]string)
		for j := 0; j < i%5+1; j++ {
			inner[j] = fmt.Sprintf("v%d-%d", i, j)
		}
		mapOfMaps[fmt.Sprintf("key%d", i)] = inner
		n += len(inner)
	}
	groups = append(groups, group{`^main\.mapOfMaps$`, 1, len(mapOfMaps)})
	groups = append(groups, group{`^main\.mapOfMaps\[\*\]$`, len(mapOfMaps), n})

	var last *Node
	for i := 0; i < 6; i++ {
		nd := &Node{}
		if last == nil {
			deep = nd
		} else {
			last.next = nd
		}
		last = nd
	}
	last.m = map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}
	groups = append(groups, group{`^main\.deep(\.next){5}\.m$`, 1, len(last.m)})

	am := map[string]int{"x": 1, "y": 2, "z": 3}
	anyMap = am
	groups = append(groups, group{`^main\.anyMap\.\(map\[string\]int\)$`, 1, len(am)})

	h := &Holder{name: "h", m: map[int]bool{1: true, 2: false}}
	anyPtr = h
	groups = append(groups, group{`^main\.anyPtr\.\(\*main\.Holder\)\.m$`, 1, len(h.m)})

	n = 0
	for i := 0; i < 20; i++ {
		hi := &Holder{name: "hi", m: map[int]bool{}}
		for j := 0; j <= i%5; j++ {
			hi.m[j] = true
		}
		n += len(hi.m)
		anyHolders = append(anyHolders, hi)
	}
	groups = append(groups, group{`^main\.anyHolders\[\*\]\.\(\*main\.Holder\)\.m$`, 20, n})

	chMaps = make(chan map[int]int, 10)
	n = 0
	for i := 0; i < 4; i++ {
		m := map[int]int{}
		for j := 0; j <= i; j++ {
			m[j] = j
		}
		chMaps <- m
		n += len(m)
	}
	<-chMaps // the ring starts at recvx 1: the walk must follow qcount from recvx
	n -= 1
	chMaps <- map[int]int{7: 7, 8: 8}
	n += 2
	groups = append(groups, group{`^main\.chMaps<-\[\*\]$`, 4, n})

	counter = makeCounter(9)
	groups = append(groups, group{`^main\.counter\.seen$`, 1, counter()})

	// 209 inserts: the last one doubles 32 buckets to 64 and evacuates at most two,
	// so most entries still sit in the old buckets of a classic map.
	growing = make(map[int]*Holder)
	n = 0
	for i := 0; i < 209; i++ {
		hm := map[int]bool{}
		for j := 0; j < i%3; j++ {
			hm[j] = true
		}
		growing[i] = &Holder{name: "g", m: hm}
		n += len(hm)
	}
	groups = append(groups, group{`^main\.growing$`, 1, len(growing)})
	groups = append(groups, group{`^main\.growing\[\*\]\.m$`, len(growing), n})

	// Objects of known size: append rounds a slice's capacity up to its size class.
	var objects []object
	for _, size := range []int{1000, 5000, 100000} {
		b := append([]byte(nil), make([]byte, size)...)
		blobs = append(blobs, b)
		objects = append(objects, object{uint64(uintptr(unsafe.Pointer(&b[0]))), cap(b)})
	}

	truth := map[string]any{"groups": groups, "objects": objects}
	data, _ := json.Marshal(truth)
	if err := os.WriteFile(os.Args[1], data, 0o644); err != nil {
		panic(err)
	}
	fmt.Println("READY")
	for {
		time.Sleep(time.Hour)
	}
}
