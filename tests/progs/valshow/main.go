// valshow TRUTH: maps whose values gomap shows the way a user reads them (tests/test_valshow.py):
// func values by their function's name, a named integer type by its constant's name,
// [N]byte keys as text or hex, and slices longer than --max-items with their real length.
// TRUTH says, from the program itself, what each map holds: the name the runtime gives
// each func value's code (runtime.FuncForPC), each Attr's constant from the table below,
// each [N]byte key's hex, each slice's len and first items.  Prints READY and waits in
// main.checkpoint.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Attr is a named integer type with constants, as DWARF attribute codes are.
type Attr uint16

const (
	AttrName       Attr = 3
	AttrByteSize   Attr = 11
	AttrStrideSize Attr = 46
	AttrGoKind     Attr = 0x2900
)

// attrNames is the truth for the constants: every Attr constant and its name.
var attrNames = map[Attr]string{
	AttrName: "AttrName", AttrByteSize: "AttrByteSize", AttrStrideSize: "AttrStrideSize",
	AttrGoKind: "AttrGoKind",
}

// Level is a signed named type: a negative constant, and values with no constant.
type Level int8

const (
	LevelDebug Level = -4
	LevelInfo  Level = 0
	LevelError Level = 8
)

var levelNames = map[Level]string{LevelDebug: "LevelDebug", LevelInfo: "LevelInfo",
	LevelError: "LevelError"}

type counter struct{ n int }

func (c *counter) add(x int) int { c.n += x; return c.n }

func double(x int) int { return 2 * x }
func negate(x int) int { return -x }

var (
	Funcs  map[string]func(int) int
	Attrs  map[Attr]string
	Levels map[string]Level
	Sums   map[[32]byte]string
	Tags   map[[8]byte]int
	Lists  map[string][]int
)

// funcName is the name the runtime gives a func value's code: a func value is a
// pointer to a closure whose first word is the code's address.
func funcName(f func(int) int) string {
	if f == nil {
		return ""
	}
	pc := **(**uintptr)(unsafe.Pointer(&f))
	return runtime.FuncForPC(pc).Name()
}

//go:noinline
func checkpoint() {}

func main() {
	c := &counter{}
	k := 7
	Funcs = map[string]func(int) int{
		"double":  double,
		"negate":  negate,
		"closure": func(x int) int { return x + k },
		"method":  c.add,
		"nil":     nil,
	}
	Attrs = map[Attr]string{AttrName: "name", AttrByteSize: "byte size",
		AttrStrideSize: "stride", AttrGoKind: "go kind", Attr(999): "no constant"}
	Levels = map[string]Level{"debug": LevelDebug, "info": LevelInfo, "error": LevelError,
		"odd": Level(-100)}
	Sums = map[[32]byte]string{}
	for _, s := range []string{"alpha", "beta", "gamma"} {
		Sums[sha256.Sum256([]byte(s))] = s
	}
	Tags = map[[8]byte]int{{'g', 'o', 'm', 'a', 'p', '-', 'o', 'k'}: 1, {'a', 'b', 0, 0xff}: 2}
	Lists = map[string][]int{"nil": nil, "empty": {}}
	for _, n := range []int{3, 64, 65, 156} {
		s := make([]int, n, n+10)
		for i := range s {
			s[i] = i * n
		}
		Lists[strings.Repeat("x", n%7+1)+string(rune('a'+n%26))] = s
	}

	type list struct {
		Len   int   `json:"len"`
		Cap   int   `json:"cap"`
		Items []int `json:"items"`
		Nil   bool  `json:"nil"`
	}
	truth := map[string]any{}
	funcs := map[string]string{}
	for key, f := range Funcs {
		funcs[key] = funcName(f)
	}
	attrs := map[string]string{}
	for a := range Attrs {
		attrs[strconv.Itoa(int(a))] = attrNames[a]
	}
	levels := map[string]string{}
	for key, l := range Levels {
		levels[key] = levelNames[l]
	}
	sums := map[string]string{}
	for s, v := range Sums {
		sums[hex.EncodeToString(s[:])] = v
	}
	tags := map[string]int{}
	for t, v := range Tags {
		tags[hex.EncodeToString(t[:])] = v
	}
	lists := map[string]list{}
	for key, s := range Lists {
		lists[key] = list{len(s), cap(s), s, s == nil}
	}
	truth["main.Funcs"] = funcs
	truth["main.Attrs"] = attrs
	truth["main.Levels"] = levels
	truth["main.Sums"] = sums
	truth["main.Tags"] = tags
	truth["main.Lists"] = lists
	truth["values"] = map[string]int{"AttrName": int(AttrName), "AttrByteSize": int(AttrByteSize),
		"AttrStrideSize": int(AttrStrideSize), "AttrGoKind": int(AttrGoKind),
		"LevelDebug": int(LevelDebug), "LevelInfo": int(LevelInfo), "LevelError": int(LevelError)}
	f, err := os.Create(os.Args[1])
	if err == nil {
		err = json.NewEncoder(f).Encode(truth)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	for checkpoint(); ; time.Sleep(time.Hour) {
		runtime.KeepAlive(c)
	}
}
