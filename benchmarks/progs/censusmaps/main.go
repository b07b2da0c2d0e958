// censusmaps TRUTH [SCALE]: the census benchmark's process, 260,000 maps and
// 12M entries at SCALE 1: one 10M-entry map[int64]int64, a 2M-entry
// map[string]string, 200,000 small maps in a slice, 10,000 maps as values of
// another map and 50,000 maps in structs pointed to by a map's values.  SCALE
// 10 divides every count by ten (the benchmark's --quick).  It writes its truth
// (per group: the path pattern as a regular expression, maps and entries
// counted here), prints READY and waits.
package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"
)

type Group struct {
	Name    string `json:"name"`
	Match   string `json:"match"`
	Maps    int    `json:"maps"`
	Entries int    `json:"entries"`
}

type Obj struct {
	ID    int
	Attrs map[string]string
}

var (
	big   map[int64]int64        // 10M entries
	strs  map[string]string      // 2M entries
	small []map[int]int          // 200,000 small maps
	byID  map[int]map[string]int // 10,000 maps as values of a map
	objs  map[int]*Obj           // 50,000 maps in structs pointed to by map values
)

//go:noinline
func fill(div int) []Group {
	var groups []Group
	add := func(name, match string, maps, entries int) {
		groups = append(groups, Group{name, match, maps, entries})
	}
	big = make(map[int64]int64)
	for i := int64(0); i < int64(10_000_000/div); i++ {
		big[i*7919] = i
	}
	add("big", `^main\.big$`, 1, len(big))
	strs = make(map[string]string)
	for i := 0; i < 2_000_000/div; i++ {
		strs["key-"+strconv.Itoa(i)] = "value-" + strconv.Itoa(i*3)
	}
	add("strings", `^main\.strs$`, 1, len(strs))
	small = make([]map[int]int, 200_000/div)
	n := 0
	for i := range small {
		m := make(map[int]int)
		for j := 0; j < i%9; j++ { // 0 to 8 entries: one bucket or group, and a few two
			m[j*31+i] = j
		}
		if i%7 == 3 && len(m) > 1 {
			delete(m, 31+i) // deleted cells (tombstones) in some
		}
		small[i] = m
		n += len(m)
	}
	add("small", `^main\.small\[\*\]$`, len(small), n)
	byID = make(map[int]map[string]int)
	n = 0
	for i := 0; i < 10_000/div; i++ {
		inner := map[string]int{}
		for j := 0; j < i%5; j++ {
			inner["k"+strconv.Itoa(j)] = j
		}
		byID[i] = inner
		n += len(inner)
	}
	add("byID", `^main\.byID$`, 1, len(byID))
	add("byID values", `^main\.byID\[\*\]$`, len(byID), n)
	objs = make(map[int]*Obj)
	n = 0
	for i := 0; i < 50_000/div; i++ {
		o := &Obj{ID: i, Attrs: map[string]string{}}
		for j := 0; j < i%4; j++ {
			o.Attrs["a"+strconv.Itoa(j)] = "x"
		}
		objs[i] = o
		n += len(o.Attrs)
	}
	add("objs", `^main\.objs$`, 1, len(objs))
	add("objs attrs", `^main\.objs\[\*\]\.Attrs$`, len(objs), n)
	return groups
}

func main() {
	div := 1
	if len(os.Args) > 2 {
		d, err := strconv.Atoi(os.Args[2])
		if err != nil || d < 1 {
			panic("SCALE must be a positive integer")
		}
		div = d
	}
	groups := fill(div)
	maps, entries := 0, 0
	for _, g := range groups {
		maps += g.Maps
		entries += g.Entries
	}
	data, err := json.Marshal(map[string]any{"groups": groups, "maps": maps, "entries": entries})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[1], data, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	for {
		time.Sleep(time.Hour)
	}
}
