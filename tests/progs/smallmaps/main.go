// smallmaps TRUTH: maps of one bucket or group in every state the census's
// small-map fast path (gdb_gomap/census/smallmap.py) reads, and a few it must
// leave to the full decoder.  It writes its truth to TRUTH as JSON, prints
// READY and waits:
//
//	{"maps": {"main.Full": 8, ...}, "slices": {"main.Ints": [len, ...], ...}}
//
// maps: a package map variable and its len; slices: a package []map
// variable and the len of each of its maps.
package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"
)

type T struct{ name string }

var (
	NilMap  map[int]int
	Empty   = map[int]int{}
	Full    map[int]int                 // 8 entries: one bucket or group, full
	Grown   map[int]int                 // 9 entries: past one bucket or group
	Growing map[int]*int                // 209 entries: a classic map caught mid-grow
	Ints    []map[int64]int64           // 0 to 8 entries, deleted cells in some
	Strs    []map[string]string         // string keys and values, deleted cells
	Ptrs    []map[string]*T             // pointer values
	BigKeys []map[[17]int64]string      // keys stored indirectly (136 bytes)
	BigVals []map[int32][40]int64       // elems stored indirectly (320 bytes)
	Made    []map[uint8]bool            // made with a size hint, some never filled
)

func lens[M ~map[K]V, K comparable, V any](ms []M) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = len(m)
	}
	return out
}

func main() {
	Full = map[int]int{}
	for i := 0; i < 8; i++ {
		Full[i*3] = i
	}
	Grown = map[int]int{}
	for i := 0; i < 9; i++ {
		Grown[i] = i
	}
	// 209 inserts: the last one doubles 32 buckets to 64 and evacuates at most two
	Growing = map[int]*int{}
	for i := 0; i < 209; i++ {
		v := i
		Growing[i] = &v
	}
	for i := 0; i < 300; i++ {
		m := map[int64]int64{}
		for j := 0; j < i%9; j++ {
			m[int64(j*7+i)] = int64(j)
		}
		if i%3 == 0 {
			for j := 0; j < i%9; j += 2 {
				delete(m, int64(j*7+i))
			}
		}
		Ints = append(Ints, m)
	}
	for i := 0; i < 100; i++ {
		m := map[string]string{}
		for j := 0; j < i%9; j++ {
			m["k"+strconv.Itoa(i*10+j)] = "value " + strconv.Itoa(j)
		}
		if i%4 == 1 {
			delete(m, "k"+strconv.Itoa(i*10))
		}
		Strs = append(Strs, m)
	}
	for i := 0; i < 50; i++ {
		m := map[string]*T{}
		for j := 0; j < i%6; j++ {
			m[strconv.Itoa(j)] = &T{"t" + strconv.Itoa(i)}
		}
		Ptrs = append(Ptrs, m)
	}
	for i := 0; i < 30; i++ {
		m := map[[17]int64]string{}
		for j := 0; j < i%5; j++ {
			var k [17]int64
			k[0], k[16] = int64(i), int64(j)
			m[k] = "big key"
		}
		if i%5 > 2 {
			var k [17]int64
			k[0] = int64(i)
			delete(m, k)
		}
		BigKeys = append(BigKeys, m)
	}
	for i := 0; i < 30; i++ {
		m := map[int32][40]int64{}
		for j := 0; j < i%5; j++ {
			m[int32(j)] = [40]int64{int64(i)}
		}
		BigVals = append(BigVals, m)
	}
	for i := 0; i < 20; i++ {
		m := make(map[uint8]bool, i%8)
		for j := 0; j < i%3; j++ {
			m[uint8(j)] = true
		}
		Made = append(Made, m)
	}
	truth := map[string]any{
		"maps": map[string]int{"main.NilMap": len(NilMap), "main.Empty": len(Empty),
			"main.Full": len(Full), "main.Grown": len(Grown), "main.Growing": len(Growing)},
		"slices": map[string][]int{"main.Ints": lens(Ints), "main.Strs": lens(Strs),
			"main.Ptrs": lens(Ptrs), "main.BigKeys": lens(BigKeys),
			"main.BigVals": lens(BigVals), "main.Made": lens(Made)},
	}
	data, err := json.Marshal(truth)
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
