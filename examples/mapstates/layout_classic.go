//go:build !go1.26 && !goexperiment.swissmap

package main

import (
	"fmt"
	"reflect"
	"unsafe"
)

// Classic maps: runtime.hmap / bmap (Go <= 1.23, 1.24/1.25 noswissmap).

const layoutName = "classic"

// hmapHead mirrors the first fields of runtime.hmap, the same in every classic
// release (no padding at its end, so embedding it keeps the runtime's offsets).
type hmapHead struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
}

// hmap offsets, from the mirror of runtime.hmap in classic_seq_*.go (which
// also says where clearSeq is, in 1.24/1.25 only): right on every GOARCH.
const (
	hCount      = unsafe.Offsetof(hmap{}.count)
	hFlags      = unsafe.Offsetof(hmap{}.flags)
	hB          = unsafe.Offsetof(hmap{}.B)
	hNoverflow  = unsafe.Offsetof(hmap{}.noverflow)
	hHash0      = unsafe.Offsetof(hmap{}.hash0)
	hBuckets    = unsafe.Offsetof(hmap{}.buckets)
	hOldbuckets = unsafe.Offsetof(hmap{}.oldbuckets)
	hNevacuate  = unsafe.Offsetof(hmap{}.nevacuate)
	hExtra      = unsafe.Offsetof(hmap{}.extra)
)

const (
	flagSameSize    = 8
	maxBucketsShown = 4096
	maxChain        = 1000
)

// classicState is the part of the header the build loops watch.
type classicState struct {
	count     int
	flags, B  uint8
	noverflow uint16
	old       uintptr
}

func readClassic(h unsafe.Pointer) classicState {
	return classicState{
		count:     int(rdWord(h, hCount)),
		flags:     rd8(h, hFlags),
		B:         rd8(h, hB),
		noverflow: rd16(h, hNoverflow),
		old:       rdWord(h, hOldbuckets),
	}
}

// bucketGeometry returns the bucket size and the overflow pointer offset,
// checked against the runtime's map type descriptor (abi.MapType /
// abi.OldMapType: KeySize u8, ValueSize u8, BucketSize u16 at descOff).
func bucketGeometry(mt reflect.Type, typ unsafe.Pointer) (size, ovOff uintptr) {
	ks := cellSize(mt.Key().Size())
	vs := cellSize(mt.Elem().Size())
	ovOff = alignUp(8+8*ks+8*vs, ptrSize)
	size = ovOff + ptrSize
	if typ != nil {
		dks, dvs, dbs := uintptr(rd8(typ, descOff)), uintptr(rd8(typ, descOff+1)), uintptr(rd16(typ, descOff+2))
		if dks != ks || dvs != vs || dbs != size {
			panic(fmt.Sprintf("%s: bucket geometry ks=%d vs=%d size=%d, descriptor says %d/%d/%d",
				mt, ks, vs, size, dks, dvs, dbs))
		}
	}
	return size, ovOff
}

// chainOf lists a bucket and its overflow buckets; each overflow bucket is
// also added to *regions.
func chainOf(b unsafe.Pointer, ovOff, bsize uintptr, regions *[]any) []any {
	chain := []any{}
	for n := 0; b != nil && n < maxChain; n++ {
		th := make([]any, 8)
		for i := range th {
			th[i] = jint(int64(rd8(b, uintptr(i))))
		}
		chain = append(chain, obj{{"address", hexp(uintptr(b))}, {"tophash", th}})
		if n > 0 {
			*regions = append(*regions, region("overflow", b, bsize))
		}
		b = rdPtr(b, ovOff)
	}
	return chain
}

// layoutTruth reads the header (and bucket arrays) of the map at h.
// h must not leak: it may point into a goroutine stack.
func layoutTruth(h unsafe.Pointer, mt reflect.Type, typ unsafe.Pointer) (obj, obj) {
	st := readClassic(h)
	buckets := rdPtr(h, hBuckets)
	old := rdPtr(h, hOldbuckets)
	hdr := obj{
		{"count", jint(int64(st.count))},
		{"flags", jint(int64(st.flags))},
		{"B", jint(int64(st.B))},
		{"noverflow", jint(int64(st.noverflow))},
		{"hash0", juint(uint64(rd32(h, hHash0)))},
		{"buckets", hexp(uintptr(buckets))},
		{"oldbuckets", hexp(uintptr(old))},
		{"nevacuate", juint(uint64(rdWord(h, hNevacuate)))},
	}
	if hasClearSeq {
		hdr = append(hdr, kv{"clearSeq", juint(rd64(h, hClearSeq))})
	}
	hdr = append(hdr, kv{"extra", hexp(rdWord(h, hExtra))})

	nb := uintptr(1) << st.B
	nold := nb / 2
	if st.flags&flagSameSize != 0 {
		nold = nb
	}
	bsize, ovOff := bucketGeometry(mt, typ)
	regions := []any{region("header", h, unsafe.Sizeof(hmap{}))}
	if buckets != nil {
		regions = append(regions, region("buckets", buckets, nb*bsize))
	}
	if old != nil {
		regions = append(regions, region("oldbuckets", old, nold*bsize))
	}
	extra := obj{{"regions", regions}}
	if nb > maxBucketsShown {
		return hdr, extra // overflow buckets not listed: their chains are not followed
	}
	detail := []any{}
	if buckets != nil {
		for i := uintptr(0); i < nb; i++ {
			detail = append(detail, obj{{"index", jint(int64(i))}, {"chain", chainOf(unsafe.Add(buckets, i*bsize), ovOff, bsize, &regions)}})
		}
	}
	extra = append(extra, kv{"buckets_detail", detail})
	if old != nil {
		olds := []any{}
		for j := uintptr(0); j < nold; j++ {
			b := unsafe.Add(old, j*bsize)
			t0 := rd8(b, 0)
			olds = append(olds, obj{
				{"index", jint(int64(j))},
				{"evacuated", t0 >= 2 && t0 <= 4},
				{"chain", chainOf(b, ovOff, bsize, &regions)},
			})
		}
		extra = append(extra, kv{"old_buckets", olds})
	}
	extra[0].V = regions
	return hdr, extra
}

// buildGrowing inserts new keys until a doubling grow from B=4 to B=5 has
// just started (oldbuckets != nil), then stops.
func buildGrowing() {
	m := make(map[int64]int64)
	h := mapPtr(m)
	for i := int64(0); ; i++ {
		m[i*7919+3] = i
		st := readClassic(h)
		if st.old != 0 && st.flags&flagSameSize == 0 && st.B >= 5 {
			noteGrowing = fmt.Sprintf("doubling grow B %d->%d started by insert #%d", st.B-1, st.B, i+1)
			break
		}
		if i >= 1_000_000 {
			noteGrowing = "cap reached: no doubling grow caught"
			break
		}
	}
	GGrowing = m
}

// buildSameSize churns a B=3 map at a constant count (every insert a new
// key, every delete the oldest key) until a same-size grow has started.
func buildSameSize() {
	// Find the largest count B=3 holds in this version (load factor 6 in
	// 1.21, 6.5 later): insert until B becomes 4.
	probe := make(map[int64]int64)
	hp := mapPtr(probe)
	limit := 0
	for i := int64(0); ; i++ {
		probe[i] = i
		if readClassic(hp).B >= 4 {
			limit = int(i) // i+1 inserts made B=4, so i entries fit in B=3
			break
		}
	}
	m := make(map[int64]int64)
	h := mapPtr(m)
	next, oldest := int64(0), int64(0)
	for ; next < int64(limit); next++ {
		m[next] = next
	}
	ops := 0
	for {
		delete(m, oldest)
		oldest++
		m[next] = next
		next++
		ops += 2
		st := readClassic(h)
		if st.old != 0 && st.flags&flagSameSize != 0 {
			noteSameSize = fmt.Sprintf("same-size grow started after %d operations (count %d, B %d)", ops, st.count, st.B)
			break
		}
		if ops >= churnCap {
			noteSameSize = fmt.Sprintf("cap reached: %d operations without a same-size grow", ops)
			break
		}
	}
	GSameSize = m
}

func buildDir() {
	m := make(map[int64]int64)
	for i := int64(0); i < 3000; i++ {
		m[i*31+1] = -i
	}
	noteDir = "classic build: 3000 entries"
	GDir = m
}
