// churn TRUTH: one goroutine writes main.Churn without pause (assign, then
// delete, over 4096 keys, each key k always mapped to 3k), so a debugger that
// stops the process at a random moment often finds a write half done: the
// map's hashWriting flag (classic) or writing field (swiss) set.  Writes
// {"keys": 4096} to TRUTH and prints READY.
package main

import (
	"os"
	"time"
)

var Churn map[int64]int64

const keys = 4096

func churn() {
	for i := int64(0); ; i++ {
		k := i % keys
		Churn[k] = k * 3
		delete(Churn, (k+keys/2)%keys)
	}
}

func main() {
	Churn = make(map[int64]int64)
	for k := int64(0); k < keys; k++ {
		Churn[k] = k * 3
	}
	if err := os.WriteFile(os.Args[1], []byte(`{"keys": 4096}`), 0o644); err != nil {
		panic(err)
	}
	go churn()
	os.Stdout.WriteString("READY\n")
	for {
		time.Sleep(time.Hour)
	}
}
