// strmaps TRUTH: maps of strings, most of them ones that JSON must escape, for the test of
// gomap-dump --json's string paths (tests/test_strings.py).  Every key and
// value of main.Plain, main.StrStr, main.StrInt and main.IntStr is written to TRUTH as
// hex of its bytes (or a number), so that the test compares bytes, not one
// JSON encoder's idea of invalid UTF-8 with another's.  Prints READY and
// waits in main.checkpoint.
package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"
)

var (
	Plain  map[string]string // no string needs escaping: JSON's bytes path throughout
	StrStr map[string]string
	StrInt map[string]int64
	IntStr map[int64]string
)

// odd returns a string for i that needs escaping in JSON for some i: quotes,
// backslashes, control bytes, non-ASCII UTF-8, invalid UTF-8, empty, long.
func odd(prefix string, i int) string {
	s := prefix + strconv.Itoa(i)
	switch {
	case i%97 == 0:
		return s + ` "quoted"`
	case i%101 == 0:
		return s + `\back\slash`
	case i%103 == 0:
		return s + "\n\t\x01\x7f"
	case i%107 == 0:
		return s + " é 日本"
	case i%109 == 0:
		return s + "\xff\xfe invalid"
	case i%113 == 0:
		return ""
	case i%127 == 0:
		return s + strings.Repeat("long-", 1000) // 5000+ bytes: cut at --max-string
	}
	return s
}

//go:noinline
func checkpoint() {}

func main() {
	const n = 20000
	Plain = make(map[string]string)
	StrStr = make(map[string]string)
	StrInt = make(map[string]int64)
	IntStr = make(map[int64]string)
	for i := 0; i < n; i++ {
		k := odd("key-", i)
		if k == "" && i != 113 {
			k = "empty-" + strconv.Itoa(i) // one empty key only
		}
		StrStr[k] = odd("value-", i+1)
		Plain["plain-"+strconv.Itoa(i)] = "v" + strconv.Itoa(i*i)
		StrInt[k] = int64(i) * -3
		IntStr[int64(i)*7919] = odd("v", i+2)
	}
	truth := map[string][][2]any{}
	for k, v := range StrStr {
		truth["main.StrStr"] = append(truth["main.StrStr"],
			[2]any{hex.EncodeToString([]byte(k)), hex.EncodeToString([]byte(v))})
	}
	for k, v := range Plain {
		truth["main.Plain"] = append(truth["main.Plain"],
			[2]any{hex.EncodeToString([]byte(k)), hex.EncodeToString([]byte(v))})
	}
	for k, v := range StrInt {
		truth["main.StrInt"] = append(truth["main.StrInt"], [2]any{hex.EncodeToString([]byte(k)), v})
	}
	for k, v := range IntStr {
		truth["main.IntStr"] = append(truth["main.IntStr"], [2]any{k, hex.EncodeToString([]byte(v))})
	}
	out, err := json.Marshal(truth)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[1], out, 0o644); err != nil {
		panic(err)
	}
	os.Stdout.WriteString("READY\n")
	checkpoint()
	for {
		time.Sleep(time.Hour)
	}
}
