// twostates TRUTH: two maps caught in two states, for the fast tier's diff
// fixtures (tests/fixtures/record.py).
//
// Phase 1: main.MInt holds 200 int64 keys, main.MStr 40 string keys. The
// program writes its truth (phase 1) to TRUTH, prints READY and waits for
// SIGUSR1. Phase 2: every other MInt key is deleted, 5 new keys are inserted
// into MStr and 3 of its values are changed in place; the truth is rewritten
// (phase 2, with what was deleted, inserted and updated) and READY is printed
// again. Then it sleeps. No map grows between the phases (MStr stays under its
// load limit), so every bucket and group is the same memory in both.
package main

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

var (
	MInt map[int64]int64
	MStr map[string]string
)

func ikey(i int) int64 { return int64(i)*7919 + 3 }
func skey(i int) string { return "key-" + strconv.Itoa(1000+i) }

type change struct {
	deleted, inserted, updated []string // JSON texts of keys
}

func q(s string) string { return strconv.Quote(s) } // ASCII only: valid JSON

func writeTruth(path string, phase int, ci, cs change) {
	var b strings.Builder
	b.WriteString(`{"phase": ` + strconv.Itoa(phase) + `, "go_version": ` + q(runtime.Version()) + `, "maps": {`)
	b.WriteString(`"main.MInt": {"address": ` + q(addr(unsafe.Pointer(&MInt))) + `, "len": ` + strconv.Itoa(len(MInt)) + `, "entries": [`)
	first := true
	for k, v := range MInt {
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(`{"key": ` + strconv.FormatInt(k, 10) + `, "value": ` + strconv.FormatInt(v, 10) + `}`)
	}
	b.WriteString(`]` + changes(ci) + `}, `)
	b.WriteString(`"main.MStr": {"address": ` + q(addr(unsafe.Pointer(&MStr))) + `, "len": ` + strconv.Itoa(len(MStr)) + `, "entries": [`)
	first = true
	for k, v := range MStr {
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(`{"key": ` + q(k) + `, "value": ` + q(v) + `}`)
	}
	b.WriteString(`]` + changes(cs) + `}}}`)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		panic(err)
	}
}

// addr is the header pointer a map variable at p holds, as "0x...".
func addr(p unsafe.Pointer) string {
	return "0x" + strconv.FormatUint(uint64(*(*uintptr)(p)), 16)
}

func changes(c change) string {
	return `, "deleted": [` + strings.Join(c.deleted, ", ") + `], "inserted": [` +
		strings.Join(c.inserted, ", ") + `], "updated": [` + strings.Join(c.updated, ", ") + `]`
}

func main() {
	path := os.Args[1]
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)

	MInt = make(map[int64]int64)
	for i := 0; i < 200; i++ {
		MInt[ikey(i)] = -int64(i)
	}
	MStr = make(map[string]string)
	for i := 0; i < 40; i++ {
		MStr[skey(i)] = "val-" + strconv.Itoa(i)
	}
	writeTruth(path, 1, change{}, change{})
	os.Stdout.WriteString("READY\n")

	<-sig
	var ci, cs change
	for i := 0; i < 200; i += 2 {
		delete(MInt, ikey(i))
		ci.deleted = append(ci.deleted, strconv.FormatInt(ikey(i), 10))
	}
	for i := 40; i < 45; i++ {
		MStr[skey(i)] = "new-" + strconv.Itoa(i)
		cs.inserted = append(cs.inserted, q(skey(i)))
	}
	for i := 0; i < 3; i++ {
		MStr[skey(i*7)] = "upd-" + strconv.Itoa(i*7)
		cs.updated = append(cs.updated, q(skey(i*7)))
	}
	writeTruth(path, 2, ci, cs)
	os.Stdout.WriteString("READY\n")
	for {
		time.Sleep(time.Hour)
	}
}
