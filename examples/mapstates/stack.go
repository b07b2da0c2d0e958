package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"time"
	"unsafe"
)

// checkpoint is where a debugger stops: `break main.checkpoint`.
//
//go:noinline
func checkpoint() {}

// quit is never set; it keeps the locals of stackMaps live across the
// sleep loop so an attached debugger still finds them.
var quit bool

// hold does nothing. Passing the addresses of the local map variables makes
// them address-taken, so even optimized builds keep each in one stack slot
// that the DWARF location of the variable covers at the checkpoint call.
//
//go:noinline
func hold(a, b, c unsafe.Pointer) {}

// growStack grows the goroutine stack well past what the truth code needs,
// so the frame holding the stack maps is not moved after its addresses are
// recorded.
//
//go:noinline
func growStack(depth int) byte {
	var buf [16 << 10]byte
	buf[depth] = byte(depth)
	if depth > 0 {
		return growStack(depth-1) + buf[depth]
	}
	return buf[0]
}

// mapRecord is the truth of one map, built in two phases: entries (which
// ranges over the map) first, the header after every map has been ranged.
type mapRecord struct {
	name    string
	typ     reflect.Type
	isNil   bool
	length  int
	addr    uintptr
	entries []any
	note    string
	header  any
	extra   obj
}

func (r *mapRecord) json() obj {
	o := obj{
		{"type", r.typ.String()},
		{"nil", r.isNil},
		{"len", jint(int64(r.length))},
		{"address", hexnull(r.addr)},
		{"entries", r.entries},
	}
	if r.note != "" {
		o = append(o, kv{"note", r.note})
	}
	o = append(o, kv{"header", r.header})
	return append(o, r.extra...)
}

type global struct {
	name string
	m    any
	note string
}

func globals() []global {
	return []global{
		{"main.GInt", GInt, ""},
		{"main.GStr", GStr, ""},
		{"main.GBigKey", GBigKey, ""},
		{"main.GBigElem", GBigElem, ""},
		{"main.GKey128", GKey128, ""},
		{"main.GStructKey", GStructKey, ""},
		{"main.GSet", GSet, ""},
		{"main.GEmptyStruct", GEmptyStruct, ""},
		{"main.GEmptyMade", GEmptyMade, ""},
		{"main.GNil", GNil, ""},
		{"main.GLarge", GLarge, ""},
		{"main.GTomb", GTomb, ""},
		{"main.GSmall", GSmall, ""},
		{"main.GCleared", GCleared, ""},
		{"main.GRanged", GRanged, ""},
		{"main.GGrowing", GGrowing, noteGrowing},
		{"main.GSameSize", GSameSize, noteSameSize},
		{"main.GDir", GDir, noteDir},
		{"main.GHuge", GHuge, ""},
		{"main.GAny", GAny, ""},
		{"main.GNested", GNested, ""},
		{"main.GFloat", GFloat, ""},
		{"main.GVals", GVals, ""},
		{"main.GNamed", GNamed, ""},
		{"main.GSrv.cache", GSrv.cache, ""},
		{"main.GSrv.shards[0]", GSrv.shards[0], ""},
		{"main.GSrv.shards[1]", GSrv.shards[1], ""},
		{"main.GSrv.shards[2]", GSrv.shards[2], ""},
	}
}

// globalEntries ranges over a map held in an interface (phase 1).
func globalEntries(g global) *mapRecord {
	v := reflect.ValueOf(g.m)
	r := &mapRecord{name: g.name, typ: v.Type(), isNil: v.IsNil(), length: v.Len(), note: g.note, entries: []any{}}
	for it := v.MapRange(); it.Next(); {
		r.entries = append(r.entries, obj{{"key", encode(it.Key())}, {"value", encode(it.Value())}})
	}
	return r
}

// globalHeader reads the header of a map held in an interface (phase 2).
func globalHeader(r *mapRecord, m any) {
	h := headerOf(m)
	r.addr = uintptr(h)
	if h == nil {
		r.header = nil
		return
	}
	r.header, r.extra = layoutTruth(h, r.typ, typeWordOf(m))
}

// localEntries ranges over a non-escaping map without boxing it (phase 1).
func localEntries[K comparable, V any](name string, m map[K]V) *mapRecord {
	r := &mapRecord{name: name, typ: reflect.TypeOf(map[K]V(nil)), isNil: m == nil, length: len(m), entries: []any{}}
	for k, v := range m {
		r.entries = append(r.entries, obj{{"key", encode(reflect.ValueOf(k))}, {"value", encode(reflect.ValueOf(v))}})
	}
	return r
}

// localHeader reads a map header that may live in a stack frame (phase 2).
// h must not leak.
func localHeader(r *mapRecord, h unsafe.Pointer, typ unsafe.Pointer, frame uintptr) {
	r.addr = uintptr(h)
	if d := int64(r.addr) - int64(frame); d > -65536 && d < 65536 {
		r.note = "header in the stack frame of main.stackMaps"
	} else {
		r.note = "header NOT in the stack frame of main.stackMaps (escaped?)"
	}
	r.header, r.extra = layoutTruth(h, r.typ, typ)
}

func writeTruth(path string, recs []*mapRecord) {
	maps := make(obj, 0, len(recs))
	for _, r := range recs {
		maps = append(maps, kv{r.name, r.json()})
	}
	top := obj{
		{"go_version", runtime.Version()},
		{"layout", layoutName},
		{"split_groups", splitGroups},
		{"maps", maps},
	}
	data, err := top.MarshalJSON()
	if err == nil && !json.Valid(data) {
		err = fmt.Errorf("produced invalid JSON")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mapstates: encoding truth:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mapstates:", err)
		os.Exit(1)
	}
}

// stackMaps builds the non-escaping maps, writes the truth of every map,
// prints READY, calls checkpoint() with the locals live and sleeps forever.
//
//go:noinline
func stackMaps(path string) {
	// No GC from here on: a GC may shrink (move) this goroutine's stack,
	// which would move the stack maps away from the recorded addresses.
	t0 := time.Now()
	runtime.GC()
	debug.SetGCPercent(-1)
	growStack(24) // ~400 KiB of stack, far more than the truth code needs

	local := make(map[int64]int64, 5)
	for i := int64(1); i <= 5; i++ {
		local[i] = i * 11
	}
	localGrown := make(map[int64]int64)
	for i := int64(0); i < 20; i++ {
		localGrown[i*100] = -i
	}
	localEmpty := make(map[string]int)

	// Phase 1: entries of every map (ranging sets the classic iterator flags).
	gs := globals()
	var recs []*mapRecord
	for _, g := range gs {
		recs = append(recs, globalEntries(g))
	}
	rLocal := localEntries("local:local", local)
	rGrown := localEntries("local:localGrown", localGrown)
	rEmpty := localEntries("local:localEmpty", localEmpty)
	recs = append(recs, rLocal, rGrown, rEmpty)

	// Phase 2: headers, read after all ranging. Redone if the stack moved
	// while the truth was being written.
	var marker int
	for attempt := 0; ; attempt++ {
		frame := uintptr(unsafe.Pointer(&marker))
		for i, g := range gs {
			globalHeader(recs[i], g.m)
		}
		localHeader(rLocal, mapPtr(local), typeWordOf(map[int64]int64(nil)), frame)
		localHeader(rGrown, mapPtr(localGrown), typeWordOf(map[int64]int64(nil)), frame)
		localHeader(rEmpty, mapPtr(localEmpty), typeWordOf(map[string]int(nil)), frame)
		writeTruth(path, recs)
		if uintptr(mapPtr(local)) == rLocal.addr &&
			uintptr(mapPtr(localGrown)) == rGrown.addr &&
			uintptr(mapPtr(localEmpty)) == rEmpty.addr {
			break
		}
		if attempt == 5 {
			fmt.Fprintln(os.Stderr, "mapstates: stack keeps moving; local addresses may be stale")
			break
		}
	}

	if os.Getenv("MAPSTATES_TIMING") != "" {
		fmt.Fprintf(os.Stderr, "mapstates: truth written in %v\n", time.Since(t0))
	}
	os.Stdout.WriteString("READY\n")
	checkpoint()
	hold(unsafe.Pointer(&local), unsafe.Pointer(&localGrown), unsafe.Pointer(&localEmpty))
	runtime.KeepAlive(local)
	runtime.KeepAlive(localGrown)
	runtime.KeepAlive(localEmpty)
	for !quit {
		time.Sleep(time.Hour)
	}
	hold(unsafe.Pointer(&local), unsafe.Pointer(&localGrown), unsafe.Pointer(&localEmpty))
}
