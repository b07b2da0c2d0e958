//go:build go1.26 || goexperiment.swissmap

package main

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Swiss maps: internal/runtime/maps.Map (Go 1.24+ default).

const layoutName = "swiss"

// Map offsets, from the mirror of internal/runtime/maps.Map in swiss_tp_*.go
// (which also says where tombstonePossible is, 1.25+): right on every GOARCH.
const (
	mUsed        = unsafe.Offsetof(swissMap{}.used)
	mSeed        = unsafe.Offsetof(swissMap{}.seed)
	mDirPtr      = unsafe.Offsetof(swissMap{}.dirPtr)
	mDirLen      = unsafe.Offsetof(swissMap{}.dirLen)
	mGlobalDepth = unsafe.Offsetof(swissMap{}.globalDepth)
	mGlobalShift = unsafe.Offsetof(swissMap{}.globalShift)
	mWriting     = unsafe.Offsetof(swissMap{}.writing)
	mClearSeq    = unsafe.Offsetof(swissMap{}.clearSeq)
)

// tableMirror mirrors internal/runtime/maps.table (the same in 1.24-1.27).
type tableMirror struct {
	used       uint16
	capacity   uint16
	growthLeft uint16
	localDepth uint8
	index      int
	groups     struct {
		data       unsafe.Pointer
		lengthMask uint64
	}
}

// table offsets.
const (
	tUsed       = unsafe.Offsetof(tableMirror{}.used)
	tCapacity   = unsafe.Offsetof(tableMirror{}.capacity)
	tGrowthLeft = unsafe.Offsetof(tableMirror{}.growthLeft)
	tLocalDepth = unsafe.Offsetof(tableMirror{}.localDepth)
	tIndex      = unsafe.Offsetof(tableMirror{}.index)
	tGroupsData = unsafe.Offsetof(tableMirror{}.groups) + unsafe.Offsetof(tableMirror{}.groups.data)
	tLengthMask = unsafe.Offsetof(tableMirror{}.groups) + unsafe.Offsetof(tableMirror{}.groups.lengthMask)
)

// groupSize computes the group size from the key/elem types and checks it
// against the descriptor's GroupSize (a uintptr at descOff in every swiss version).
func groupSize(mt reflect.Type, typ unsafe.Pointer) uintptr {
	kt, et := mt.Key(), mt.Elem()
	ks, ka := cellSize(kt.Size()), cellAlign(kt.Size(), uintptr(kt.Align()))
	vs, va := cellSize(et.Size()), cellAlign(et.Size(), uintptr(et.Align()))
	var size uintptr
	if splitGroups {
		// {ctrl uint64; keys [8]K'; elems [8]V'}
		elemsOff := alignUp(8+8*ks, va)
		size = elemsOff + 8*vs
		if vs == 0 {
			size++ // trailing zero-size field gets a byte of padding
		}
		size = alignUp(size, max(ctrlAlign, ka, va))
	} else {
		// {ctrl uint64; slots [8]struct{key K'; elem V'}}
		slot := alignUp(ks, va) + vs
		if slot > 0 && vs == 0 {
			slot++
		}
		slot = alignUp(slot, max(ka, va))
		size = 8 + 8*slot
		if slot == 0 {
			size = alignUp(size+1, ctrlAlign)
		}
	}
	if typ != nil {
		if d := rdWord(typ, descOff); d != size {
			panic(fmt.Sprintf("%s: computed group size %d, descriptor says %d", mt, size, d))
		}
	}
	return size
}

type swissTable struct {
	p     unsafe.Pointer
	slots []any
}

// distinctTables returns the tables of a directory in directory order, each
// with the directory slots it occupies.
func distinctTables(h unsafe.Pointer) []swissTable {
	dir := rdPtr(h, mDirPtr)
	n := int(rdWord(h, mDirLen))
	var out []swissTable
	for i := 0; i < n; i++ {
		t := rdPtr(dir, uintptr(i)*ptrSize)
		found := false
		for j := range out {
			if out[j].p == t {
				out[j].slots = append(out[j].slots, jint(int64(i)))
				found = true
				break
			}
		}
		if !found {
			out = append(out, swissTable{t, []any{jint(int64(i))}})
		}
	}
	return out
}

// layoutTruth reads the header, directory and tables of the map at h.
// h must not leak: it may point into a goroutine stack.
func layoutTruth(h unsafe.Pointer, mt reflect.Type, typ unsafe.Pointer) (obj, obj) {
	dirPtr := rdPtr(h, mDirPtr)
	dirLen := int64(rdWord(h, mDirLen))
	hdr := obj{
		{"used", juint(rd64(h, mUsed))},
		{"seed", juint(uint64(rdWord(h, mSeed)))},
		{"dirPtr", hexp(uintptr(dirPtr))},
		{"dirLen", jint(dirLen)},
		{"globalDepth", jint(int64(rd8(h, mGlobalDepth)))},
		{"globalShift", jint(int64(rd8(h, mGlobalShift)))},
		{"writing", jint(int64(rd8(h, mWriting)))},
		{"clearSeq", juint(rd64(h, mClearSeq))},
	}
	if hasTombstonePossible {
		hdr = append(hdr, kv{"tombstonePossible", rd8(h, mTombstonePossible) != 0})
	}
	gsize := groupSize(mt, typ)
	tables := []any{}
	regions := []any{region("header", h, unsafe.Sizeof(swissMap{}))}
	extra := obj{}
	if dirLen == 0 {
		var ctrl any
		if dirPtr != nil {
			ctrl = juint(rd64(dirPtr, 0))
			regions = append(regions, region("group", dirPtr, gsize))
		}
		extra = append(extra, kv{"tables", tables}, kv{"group_ctrl", ctrl}, kv{"regions", regions})
		return hdr, extra
	}
	regions = append(regions, region("directory", dirPtr, uintptr(dirLen)*ptrSize))
	for _, t := range distinctTables(h) {
		data := rdPtr(t.p, tGroupsData)
		mask := rd64(t.p, tLengthMask)
		regions = append(regions, region("table", t.p, unsafe.Sizeof(tableMirror{})),
			region("groups", data, uintptr(mask+1)*gsize))
		ctrl := make([]any, 0, mask+1)
		for g := uint64(0); g <= mask; g++ {
			ctrl = append(ctrl, juint(rd64(data, uintptr(g)*gsize)))
		}
		tables = append(tables, obj{
			{"address", hexp(uintptr(t.p))},
			{"used", jint(int64(rd16(t.p, tUsed)))},
			{"capacity", jint(int64(rd16(t.p, tCapacity)))},
			{"growthLeft", jint(int64(rd16(t.p, tGrowthLeft)))},
			{"localDepth", jint(int64(rd8(t.p, tLocalDepth)))},
			{"index", jint(int64(rdWord(t.p, tIndex)))},
			{"groups", hexp(uintptr(data))},
			{"lengthMask", juint(mask)},
			{"directory_slots", t.slots},
			{"ctrl", ctrl},
		})
	}
	extra = append(extra, kv{"tables", tables}, kv{"regions", regions})
	return hdr, extra
}

// tombstones counts ctrlDeleted (0xFE) bytes over the tables of the map.
func tombstones(h unsafe.Pointer, mt reflect.Type, typ unsafe.Pointer) int {
	if rdWord(h, mDirLen) == 0 {
		return 0 // small maps never hold tombstones
	}
	gsize := groupSize(mt, typ)
	n := 0
	for _, t := range distinctTables(h) {
		data := rdPtr(t.p, tGroupsData)
		mask := rd64(t.p, tLengthMask)
		for g := uint64(0); g <= mask; g++ {
			c := rd64(data, uintptr(g)*gsize)
			for i := 0; i < 8; i++ {
				if byte(c>>(8*i)) == 0xFE {
					n++
				}
			}
		}
	}
	return n
}

func buildGrowing() {
	m := make(map[int64]int64)
	for i := int64(0); i < 100; i++ {
		m[i*7919+3] = i
	}
	noteGrowing = "swiss build: 100 entries (no incremental grow exists)"
	GGrowing = m
}

// buildSameSize churns a map at a constant count (every insert a new key,
// every delete the oldest key) until it holds tombstones.
func buildSameSize() {
	const live = 100
	m := make(map[int64]int64)
	h := mapPtr(m)
	mt := reflect.TypeOf(m)
	typ := typeWordOf(m)
	next, oldest := int64(0), int64(0)
	for ; next < live; next++ {
		m[next] = next
	}
	ops := 0
	for {
		delete(m, oldest)
		oldest++
		m[next] = next
		next++
		ops += 2
		if ops >= 20000 && ops%1000 == 0 {
			if n := tombstones(h, mt, typ); n > 0 {
				noteSameSize = fmt.Sprintf("swiss build: churned %d operations at %d live keys; %d tombstones", ops, live, n)
				break
			}
		}
		if ops >= churnCap {
			noteSameSize = fmt.Sprintf("cap reached: %d operations, %d tombstones", ops, tombstones(h, mt, typ))
			break
		}
	}
	GSameSize = m
}

// buildDir inserts until the directory has >= 2 slots and some table fills
// more than one slot (localDepth < globalDepth).
func buildDir() {
	m := make(map[int64]int64)
	h := mapPtr(m)
	for i := int64(0); ; i++ {
		m[i*31+1] = -i
		if n := rdWord(h, mDirLen); n >= 2 {
			repeated := false
			for _, t := range distinctTables(h) {
				if len(t.slots) >= 2 {
					repeated = true
				}
			}
			if repeated {
				noteDir = fmt.Sprintf("swiss build: dirLen %d with a repeated table after %d inserts", n, i+1)
				break
			}
		}
		if i+1 >= 200_000 {
			noteDir = "cap reached: no repeated table after 200000 inserts"
			break
		}
	}
	GDir = m
}
