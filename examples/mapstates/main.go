// Command mapstates puts Go maps into the states a map decoder has to
// handle, writes its own ground truth as JSON to os.Args[1], prints READY,
// calls checkpoint() and sleeps forever. See README.md.
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

type K2 struct {
	A int8
	B int64
	C int16
}

type T struct {
	Name string
	N    int
}

type Inner struct {
	X int16
	Y string
}

// V covers every value kind the decoder formats.
type V struct {
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	UP   uintptr
	F32  float32
	F64  float64
	C64  complex64
	C128 complex128
	B    bool
	S    string
	P    *int
	Sl   []int
	Arr  [3]uint16
	Any  any
	Inner
}

type NamedMap map[string]int

type Server struct {
	name   string
	cache  map[string]int
	shards []map[int64]int64
}

// The operation cap of the churn loops (GSameSize).
const churnCap = 2_000_000

var (
	GInt         map[int64]int64
	GStr         map[string]int
	GBigKey      map[[200]byte]string
	GBigElem     map[int32][200]byte
	GKey128      map[[128]byte][129]byte
	GStructKey   map[K2]*T
	GSet         map[int64]struct{}
	GEmptyStruct map[struct{}]struct{}
	GEmptyMade   map[string]int
	GNil         map[string]int
	GLarge       map[int64]string
	GTomb        map[int64]int64
	GSmall       map[string]int
	GCleared     map[int64]int64
	GRanged      map[int64]int64
	GGrowing     map[int64]int64
	GSameSize    map[int64]int64
	GDir         map[int64]int64
	GHuge        map[int64]int64
	GAny         map[any]any
	GNested      map[string]map[int64]int64
	GFloat       map[float64]string
	GVals        map[string]V
	GNamed       NamedMap
	GSrv         *Server
)

// Notes the layout-specific builders leave for the truth file.
var noteGrowing, noteSameSize, noteDir string

// rangedSum keeps the GRanged loop from being optimized away.
var rangedSum int64

func buildGlobals() {
	GInt = make(map[int64]int64)
	for i := int64(0); i < 1000; i++ {
		GInt[i*1_000_003] = i * i
	}
	for i := int64(0); i < 1000; i += 3 {
		delete(GInt, i*1_000_003)
	}

	GStr = make(map[string]int)
	GStr["alpha"] = 1
	GStr["beta"] = 2
	GStr["gamma"] = 3
	GStr["literal-key"] = 4
	for i := 0; i < 20; i++ {
		GStr["run-"+strconv.Itoa(i)] = 100 + i
		GStr[fmt.Sprintf("fmt/%03d", i)] = 200 + i
	}
	delete(GStr, "beta")
	delete(GStr, "gamma")
	for i := 0; i < 20; i += 4 {
		delete(GStr, "run-"+strconv.Itoa(i))
	}
	delete(GStr, fmt.Sprintf("fmt/%03d", 7))

	GBigKey = make(map[[200]byte]string)
	for i := 0; i < 40; i++ {
		GBigKey[bigKey(i)] = "big-" + strconv.Itoa(i)
	}
	for i := 0; i < 40; i += 5 {
		delete(GBigKey, bigKey(i))
	}

	GBigElem = make(map[int32][200]byte)
	for i := int32(0); i < 40; i++ {
		var e [200]byte
		for j := range e {
			e[j] = byte(int(i) + j)
		}
		GBigElem[i*10-50] = e
	}
	for i := int32(1); i < 40; i += 4 {
		delete(GBigElem, i*10-50)
	}

	GKey128 = make(map[[128]byte][129]byte)
	for i := 0; i < 10; i++ {
		var k [128]byte
		var e [129]byte
		k[0], k[127] = byte(i), byte(255-i)
		e[0], e[64], e[128] = byte(i), 0xAB, byte(i*2)
		GKey128[k] = e
	}

	GStructKey = make(map[K2]*T)
	for i := 0; i < 12; i++ {
		k := K2{A: int8(i - 6), B: int64(i) * 1_000_000_007, C: int16(-300 * i)}
		if i%3 == 0 {
			GStructKey[k] = nil
		} else {
			GStructKey[k] = &T{Name: "t" + strconv.Itoa(i), N: i}
		}
	}

	GSet = make(map[int64]struct{})
	for i := int64(0); i < 30; i++ {
		GSet[i*i-100] = struct{}{}
	}
	GEmptyStruct = make(map[struct{}]struct{})
	GEmptyStruct[struct{}{}] = struct{}{}

	GEmptyMade = make(map[string]int)
	GNil = nil

	GLarge = make(map[int64]string)
	for i := int64(0); i < 6000; i++ {
		GLarge[i] = "v" + strconv.FormatInt(i, 10)
	}
	for i := int64(0); i < 6000; i += 4 {
		delete(GLarge, i)
	}

	GTomb = make(map[int64]int64, 200)
	for i := int64(0); i < 200; i++ {
		GTomb[i] = i + 1
	}
	for i := int64(0); i < 200 && len(GTomb) > 80; i++ {
		if i%5 != 0 {
			delete(GTomb, i)
		}
	}

	GSmall = make(map[string]int)
	for i, s := range []string{"a", "b", "c", "d", "e"} {
		GSmall[s] = i + 1
	}
	delete(GSmall, "b")
	delete(GSmall, "d")

	GCleared = make(map[int64]int64)
	for i := int64(0); i < 100; i++ {
		GCleared[i] = i
	}
	clear(GCleared)
	for i := int64(0); i < 3; i++ {
		GCleared[i+1000] = -i
	}

	GRanged = make(map[int64]int64)
	for i := int64(0); i < 20; i++ {
		GRanged[i] = i * 3
	}
	for k, v := range GRanged {
		rangedSum += k + v
	}

	buildGrowing()
	buildSameSize()
	buildDir()

	GHuge = make(map[int64]int64)
	for i := int64(0); i < 20000; i++ {
		GHuge[i*2654435761] = i
	}

	ptrKey := &T{Name: "pointer key", N: 7}
	GAny = make(map[any]any)
	GAny[1] = "one"
	GAny["two"] = 2
	GAny[K2{A: 1, B: 2, C: 3}] = &T{Name: "in any", N: 4}
	GAny[ptrKey] = nil
	GAny[2.5] = true
	GAny[true] = 3.25
	GAny[int8(-3)] = K2{A: -1, B: -2, C: -3}
	GAny["nil-value"] = nil
	GAny[uint64(math.MaxUint64)] = []int{1, 2, 3}
	GAny[nil] = "nil key"

	GNested = make(map[string]map[int64]int64)
	GNested["full"] = map[int64]int64{1: 10, 2: 20, 3: 30}
	GNested["nil"] = nil
	GNested["empty"] = make(map[int64]int64)

	GFloat = make(map[float64]string)
	GFloat[0.5] = "half"
	GFloat[-1.25] = "minus one and a quarter"
	GFloat[math.Inf(1)] = "+inf"
	GFloat[math.Inf(-1)] = "-inf"
	GFloat[math.NaN()] = "nan 1"
	GFloat[math.NaN()] = "nan 2"

	GVals = make(map[string]V)
	for i := 0; i < 5; i++ {
		GVals["v"+strconv.Itoa(i)] = makeV(i)
	}

	GNamed = NamedMap{"x": 1, "y": 2, "z": 3}

	srv := &Server{name: "srv", cache: map[string]int{"hits": 10, "misses": 2}}
	for s := 0; s < 3; s++ {
		sh := make(map[int64]int64)
		for i := int64(0); i < int64(5+s*10); i++ {
			sh[i] = int64(s)*1000 + i
		}
		srv.shards = append(srv.shards, sh)
	}
	GSrv = srv
}

func bigKey(i int) [200]byte {
	var k [200]byte
	k[0], k[100], k[199] = byte(i), 'x', byte(i*3)
	return k
}

func makeV(i int) V {
	v := V{
		I8: int8(-128 + i), I16: int16(-32768 + i), I32: int32(math.MinInt32 + i), I64: math.MinInt64 + int64(i),
		U8: uint8(255 - i), U16: uint16(65535 - i), U32: math.MaxUint32 - uint32(i), U64: math.MaxUint64 - uint64(i),
		UP:  uintptr(0xdead0000) + uintptr(i),
		F32: float32(i) + 0.1, F64: float64(i)*1e300 + 0.25,
		C64: complex(float32(i), -0.5), C128: complex(1.0/3, float64(-i)),
		B: i%2 == 0, S: "str-" + strconv.Itoa(i) + " \"q\" é",
		Arr:   [3]uint16{uint16(i), 0, 65535},
		Inner: Inner{X: int16(i * 11), Y: "inner-" + strconv.Itoa(i)},
	}
	switch i {
	case 0:
		v.F32 = float32(math.NaN())
		v.F64 = math.Inf(-1)
		v.Any = 42
	case 1:
		n := 77
		v.P = &n
		v.Sl = []int{}
		v.Any = "text"
	case 2:
		n := -5
		v.P = &n
		v.Sl = []int{4, 5, 6}
		v.C128 = complex(math.Inf(1), math.NaN())
	case 3:
		v.Any = &T{Name: "ptr in any", N: 3}
	case 4:
		v.Any = [2]int8{-1, 1}
		v.F64 = math.Copysign(0, -1)
	}
	return v
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mapstates TRUTH.json")
		os.Exit(2)
	}
	t0 := time.Now()
	buildGlobals()
	if os.Getenv("MAPSTATES_TIMING") != "" {
		fmt.Fprintf(os.Stderr, "mapstates: globals built in %v\n", time.Since(t0))
	}
	stackMaps(os.Args[1])
}
