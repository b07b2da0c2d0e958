package main

import (
	"runtime"
	"strconv"
)

// keyIDs says how the truth file spells keys.
const keyIDs = "integer and string keys are recorded as themselves; pointer, array, " +
	"struct and big keys as the index i that made them (see the key functions)"

// T is what pointer keys and elems point at.
type T struct {
	N    int64
	Name string
}

// SK and SV are a struct key (with a pointer inside: a string) and a struct elem.
type SK struct {
	ID   int64
	Name string
}

type SV struct {
	N int64
	P *T
}

// The maps under study. Each scenario uses some of them; the others stay nil.
var (
	MInt    map[int64]int64
	MStr    map[string]string
	MI32    map[int32]int32
	MPtr    map[*T]*T
	MArr    map[[4]int32][4]int32
	MStruct map[SK]SV
	MBig    map[[200]byte][200]byte
	MSet    map[int64]struct{}
	MSmall  map[int64]int64
	MChurn  map[int64]int64
	MGrow   map[int64]int64
)

var scenarios = map[string]func(){
	"deleteall":  deleteAll,
	"deletehalf": deleteHalf,
	"kinds":      kinds,
	"clear":      clearScenario,
	"churn":      churn,
	"grow":       grow,
}

// Keys and elems whose bytes are (nearly) all non-zero.
func ikey(i int) int64   { return 0x1F1F1F1F00000000 + int64(i)*0x01010101 }
func ival(i int) int64   { return 0x2E2E2E2E00000000 + int64(i)*0x01010101 }
func skey(i int) string  { return "key-" + strconv.Itoa(1000+i) }
func sval(i int) string  { return "val-" + strconv.Itoa(1000+i) }
func i32key(i int) int32 { return 0x1F1F0000 + int32(i)*0x0101 }
func i32val(i int) int32 { return 0x2E2E0000 + int32(i)*0x0101 }
func akey(i int) [4]int32 {
	return [4]int32{i32key(i), i32key(i) + 1, i32key(i) + 2, i32key(i) + 3}
}
func aval(i int) [4]int32 {
	return [4]int32{i32val(i), i32val(i) + 1, i32val(i) + 2, i32val(i) + 3}
}
func bigKey(i int) (k [200]byte) {
	for j := range k {
		k[j] = byte(0x40 + (i+j)%64)
	}
	return k
}
func bigVal(i int) (v [200]byte) {
	for j := range v {
		v[j] = byte(0x80 + (i*3+j)%64)
	}
	return v
}

const (
	tInt    = "map[int64]int64"
	tStr    = "map[string]string"
	tI32    = "map[int32]int32"
	tPtr    = "map[*main.T]*main.T"
	tArr    = "map[[4]int32][4]int32"
	tStruct = "map[main.SK]main.SV"
	tBig    = "map[[200]uint8][200]uint8"
	tSet    = "map[int64]struct {}"
)

func putInt(name string, m map[int64]int64, i int) {
	m[ikey(i)] = ival(i)
	inserted(name, tInt, ikey(i))
}

func delInt(name string, m map[int64]int64, i int) {
	delete(m, ikey(i))
	deleted(name, tInt, ikey(i))
}

func putStr(i int) {
	MStr[skey(i)] = sval(i)
	inserted("main.MStr", tStr, skey(i))
}

func delStr(i int) {
	delete(MStr, skey(i))
	deleted("main.MStr", tStr, skey(i))
}

func lens(names ...string) (map[string]int, map[string]string) {
	l, t := map[string]int{}, map[string]string{}
	for _, n := range names {
		switch n {
		case "main.MInt":
			l[n], t[n] = len(MInt), tInt
		case "main.MStr":
			l[n], t[n] = len(MStr), tStr
		case "main.MI32":
			l[n], t[n] = len(MI32), tI32
		case "main.MPtr":
			l[n], t[n] = len(MPtr), tPtr
		case "main.MArr":
			l[n], t[n] = len(MArr), tArr
		case "main.MStruct":
			l[n], t[n] = len(MStruct), tStruct
		case "main.MBig":
			l[n], t[n] = len(MBig), tBig
		case "main.MSet":
			l[n], t[n] = len(MSet), tSet
		case "main.MSmall":
			l[n], t[n] = len(MSmall), tInt
		case "main.MChurn":
			l[n], t[n] = len(MChurn), tInt
		case "main.MGrow":
			l[n], t[n] = len(MGrow), tInt
		}
	}
	return l, t
}

func check(label string, names ...string) {
	l, t := lens(names...)
	checkpoint(label, l, t)
}

// deleteAll: fill two maps, delete every key, collect garbage, reuse.
func deleteAll() {
	MInt, MStr = make(map[int64]int64), make(map[string]string)
	for i := 1; i <= 100; i++ {
		putInt("main.MInt", MInt, i)
		putStr(i)
	}
	check("inserted 100 keys into each map", "main.MInt", "main.MStr")
	for i := 1; i <= 100; i++ {
		delInt("main.MInt", MInt, i)
		delStr(i)
	}
	check("deleted every key", "main.MInt", "main.MStr")
	runtime.GC()
	runtime.GC()
	check("ran runtime.GC() twice", "main.MInt", "main.MStr")
	for i := 101; i <= 110; i++ {
		putInt("main.MInt", MInt, i)
		putStr(i)
	}
	check("inserted 10 new keys into each map", "main.MInt", "main.MStr")
}

// deleteHalf: fill, delete every other key, insert as many new keys.
func deleteHalf() {
	MInt = make(map[int64]int64)
	for i := 1; i <= 100; i++ {
		putInt("main.MInt", MInt, i)
	}
	check("inserted 100 keys", "main.MInt")
	for i := 2; i <= 100; i += 2 {
		delInt("main.MInt", MInt, i)
	}
	check("deleted the 50 even keys", "main.MInt")
	for i := 101; i <= 150; i++ {
		putInt("main.MInt", MInt, i)
	}
	check("inserted 50 new keys", "main.MInt")
}

var kindMaps = []string{"main.MInt", "main.MStr", "main.MI32", "main.MPtr", "main.MArr",
	"main.MStruct", "main.MBig", "main.MSet", "main.MSmall"}

// kinds: one map per key and elem kind; insert 24 keys, delete every other.
func kinds() {
	MInt, MStr, MI32 = map[int64]int64{}, map[string]string{}, map[int32]int32{}
	MPtr, MArr, MStruct = map[*T]*T{}, map[[4]int32][4]int32{}, map[SK]SV{}
	MBig, MSet, MSmall = map[[200]byte][200]byte{}, map[int64]struct{}{}, map[int64]int64{}
	ptrs := make([]*T, 25)
	for i := 1; i <= 24; i++ {
		putInt("main.MInt", MInt, i)
		putStr(i)
		MI32[i32key(i)] = i32val(i)
		inserted("main.MI32", tI32, i32key(i))
		ptrs[i] = &T{N: ikey(i), Name: skey(i)}
		MPtr[ptrs[i]] = &T{N: ival(i), Name: sval(i)}
		inserted("main.MPtr", tPtr, i)
		MArr[akey(i)] = aval(i)
		inserted("main.MArr", tArr, i)
		MStruct[SK{ikey(i), skey(i)}] = SV{ival(i), ptrs[i]}
		inserted("main.MStruct", tStruct, i)
		MBig[bigKey(i)] = bigVal(i)
		inserted("main.MBig", tBig, i)
		MSet[ikey(i)] = struct{}{}
		inserted("main.MSet", tSet, ikey(i))
		if i <= 6 {
			putInt("main.MSmall", MSmall, i)
		}
	}
	check("inserted 24 keys into each map (6 into MSmall)", kindMaps...)
	for i := 1; i <= 24; i += 2 {
		delInt("main.MInt", MInt, i)
		delStr(i)
		delete(MI32, i32key(i))
		deleted("main.MI32", tI32, i32key(i))
		delete(MPtr, ptrs[i])
		deleted("main.MPtr", tPtr, i)
		delete(MArr, akey(i))
		deleted("main.MArr", tArr, i)
		delete(MStruct, SK{ikey(i), skey(i)})
		deleted("main.MStruct", tStruct, i)
		delete(MBig, bigKey(i))
		deleted("main.MBig", tBig, i)
		delete(MSet, ikey(i))
		deleted("main.MSet", tSet, ikey(i))
		if i <= 6 {
			delInt("main.MSmall", MSmall, i)
		}
	}
	check("deleted the 12 odd keys of each map (3 of MSmall)", kindMaps...)
}

// clearScenario: fill, clear, insert a few.
func clearScenario() {
	MInt, MStr = make(map[int64]int64), make(map[string]string)
	for i := 1; i <= 100; i++ {
		putInt("main.MInt", MInt, i)
		putStr(i)
	}
	check("inserted 100 keys into each map", "main.MInt", "main.MStr")
	clear(MInt)
	cleared("main.MInt", tInt)
	clear(MStr)
	cleared("main.MStr", tStr)
	check("cleared both maps", "main.MInt", "main.MStr")
	for i := 101; i <= 103; i++ {
		putInt("main.MInt", MInt, i)
		putStr(i)
	}
	check("inserted 3 new keys into each map", "main.MInt", "main.MStr")
}

// Churn sizes: 48 live keys fit 8 classic buckets at either load factor
// (6.0 or 6.5) and one 64-slot swiss table.
const (
	churnLive   = 48
	churnRounds = 12
	churnOps    = 400 // per round: half deletes of the oldest key, half inserts
)

// churn: keep 48 keys while deleting the oldest and inserting a new one.
func churn() {
	MChurn = make(map[int64]int64)
	for i := 1; i <= churnLive; i++ {
		putInt("main.MChurn", MChurn, i)
	}
	check("inserted 48 keys", "main.MChurn")
	oldest, next := 1, churnLive+1
	for r := 1; r <= churnRounds; r++ {
		for j := 0; j < churnOps/2; j++ {
			delInt("main.MChurn", MChurn, oldest)
			oldest++
			putInt("main.MChurn", MChurn, next)
			next++
		}
		check("churned "+strconv.Itoa(churnOps)+" more operations", "main.MChurn")
	}
}

// growSize passes the classic doubling thresholds up to B=8 and the swiss
// table capacity limit (1024 slots, 896 entries) once.
const growSize = 1500

// grow: insert into an empty map one key at a time.
func grow() {
	MGrow = make(map[int64]int64)
	check("made an empty map", "main.MGrow")
	for i := 1; i <= growSize; i++ {
		putInt("main.MGrow", MGrow, i)
	}
	check("inserted "+strconv.Itoa(growSize)+" keys one at a time", "main.MGrow")
}
