// scalemaps TRUTH INTS STRS: holds main.Ints, a map[int64]int64 of INTS
// entries, and main.Strs, a map[string]string of STRS entries, for the
// scaling benchmark (benchmarks/scaling.py) and the streamed-JSON tests
// (tests/test_stream.py, tests/test_stream_memory.py).  It writes the two
// lengths and a checksum of each map to TRUTH, prints READY and waits in
// main.checkpoint.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
)

var (
	Ints map[int64]int64
	Strs map[string]string
)

//go:noinline
func checkpoint() {}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: scalemaps TRUTH INTS STRS")
		os.Exit(2)
	}
	ints, err1 := strconv.Atoi(os.Args[2])
	strs, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "scalemaps: INTS and STRS are counts")
		os.Exit(2)
	}
	Ints = make(map[int64]int64)
	var keySum, valSum int64
	for i := 0; i < ints; i++ {
		k := int64(i)*7 - 1<<30
		Ints[k] = -3 * k
		keySum += k
		valSum += -3 * k
	}
	Strs = make(map[string]string)
	strBytes := 0
	for i := 0; i < strs; i++ {
		k, v := "key-"+strconv.Itoa(i), "value-"+strconv.Itoa(i*3)
		Strs[k] = v
		strBytes += len(k) + len(v)
	}
	truth := map[string]int64{"ints": int64(len(Ints)), "int_key_sum": keySum,
		"int_value_sum": valSum, "strs": int64(len(Strs)), "str_bytes": int64(strBytes)}
	f, err := os.Create(os.Args[1])
	if err == nil {
		err = json.NewEncoder(f).Encode(truth)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalemaps:", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	checkpoint()
	for {
		time.Sleep(time.Hour)
	}
}
