// manytables TRUTH N: a swiss map with many tables, main.Many (map[int64]int64
// with N entries, then every seventh deleted), for the summary of a map with more
// tables than the text view lists.  It writes to TRUTH the map's length and, read
// with unsafe from internal/runtime/maps (amd64 offsets, Go 1.24 to 1.27), each
// distinct table of the directory in directory order: used, capacity and
// growthLeft.  Then it prints READY and waits to be killed.
package main

import (
	"encoding/json"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"unsafe"
)

var Many map[int64]int64

type table struct {
	Address    string `json:"address"`
	Used       uint16 `json:"used"`
	Capacity   uint16 `json:"capacity"`
	GrowthLeft uint16 `json:"growthLeft"`
}

func u16(p unsafe.Pointer, off uintptr) uint16 { return *(*uint16)(unsafe.Add(p, off)) }

func tables(m map[int64]int64) []table {
	h := *(*unsafe.Pointer)(unsafe.Pointer(&m)) // the *maps.Map
	dir := *(*unsafe.Pointer)(unsafe.Add(h, 16)) // Map.dirPtr
	n := *(*int)(unsafe.Add(h, 24))              // Map.dirLen
	var out []table
	var last unsafe.Pointer
	for i := 0; i < n; i++ {
		t := *(*unsafe.Pointer)(unsafe.Add(dir, uintptr(i)*8))
		if t == last { // a table fills 2^(globalDepth-localDepth) adjacent slots
			continue
		}
		last = t
		out = append(out, table{"0x" + strconv.FormatUint(uint64(uintptr(t)), 16),
			u16(t, 0), u16(t, 2), u16(t, 4)})
	}
	return out
}

func main() {
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	Many = make(map[int64]int64)
	for i := 0; i < n; i++ {
		Many[int64(i)*7919] = int64(i)
	}
	for i := 0; i < n; i += 7 {
		delete(Many, int64(i)*7919)
	}
	truth, err := json.Marshal(map[string]any{"len": len(Many), "tables": tables(Many)})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[1], truth, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	<-stop
}
