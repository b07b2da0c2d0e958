// Command scenarios runs one delete/clear/churn/growth scenario on Go maps,
// stopping at numbered checkpoints so that a debugger can look at the maps.
//
//	scenarios TRUTH.json NAME
//
// NAME is one of the scenarios in scenarios.go. Before each checkpoint the
// program rewrites TRUTH.json with its own ground truth: for every step, what
// it inserted into and deleted from each map, and len() of each map. Then it
// calls step(n), a function that does nothing and is never inlined, so that
// a breakpoint on main.step stops once per checkpoint. The maps are package
// globals (main.MInt, main.MStr, ...) so they can be named from any frame.
//
// Keys and elems never hold zero bytes where it matters: a snapshot taken
// after a delete can then tell a cleared cell from one left in place.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
)

// stepSink keeps step from being optimised away.
var stepSink int

// step is the checkpoint: a debugger breaks on main.step; n counts from 1.
//
//go:noinline
func step(n int) {
	stepSink += n
}

// mapLog is the truth about one map in one step.
type mapLog struct {
	Type     string `json:"type"`
	Len      int    `json:"len"`
	Inserted []any  `json:"inserted"`
	Deleted  []any  `json:"deleted"`
	Cleared  bool   `json:"cleared,omitempty"`
}

type stepLog struct {
	Step  int                `json:"step"`
	Label string             `json:"label"`
	Ops   int                `json:"ops"`
	Maps  map[string]*mapLog `json:"maps"`
}

type truthFile struct {
	Scenario  string     `json:"scenario"`
	GoVersion string     `json:"go_version"`
	KeyIDs    string     `json:"key_ids"`
	Steps     []*stepLog `json:"steps"`
}

var (
	truthPath string
	truth     truthFile
	cur       *stepLog // the step being recorded
	ops       int      // map writes since the last checkpoint
)

func entry(name, typ string) *mapLog {
	if cur == nil {
		cur = &stepLog{Maps: map[string]*mapLog{}}
	}
	l := cur.Maps[name]
	if l == nil {
		l = &mapLog{Type: typ, Inserted: []any{}, Deleted: []any{}}
		cur.Maps[name] = l
	}
	return l
}

// inserted and deleted note one map write of the current step. id is the
// key as the truth spells it (see truthFile.KeyIDs).
func inserted(name, typ string, id any) {
	l := entry(name, typ)
	l.Inserted = append(l.Inserted, id)
	ops++
}

func deleted(name, typ string, id any) {
	l := entry(name, typ)
	l.Deleted = append(l.Deleted, id)
	ops++
}

func cleared(name, typ string) {
	entry(name, typ).Cleared = true
	ops++
}

// checkpoint records len() of every map in lens, writes the truth file and
// stops at step(n).
func checkpoint(label string, lens map[string]int, types map[string]string) {
	for name, n := range lens {
		entry(name, types[name]).Len = n
	}
	cur.Step = len(truth.Steps) + 1
	cur.Label = label
	cur.Ops = ops
	truth.Steps = append(truth.Steps, cur)
	writeTruth()
	n := cur.Step
	cur, ops = nil, 0
	step(n)
}

func writeTruth() {
	b, err := json.MarshalIndent(&truth, "", " ")
	if err == nil {
		err = os.WriteFile(truthPath, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenarios:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 3 || scenarios[os.Args[2]] == nil {
		names := make([]string, 0, len(scenarios))
		for n := range scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: scenarios TRUTH.json NAME\nNAME: %v\n", names)
		os.Exit(2)
	}
	truthPath = os.Args[1]
	truth = truthFile{Scenario: os.Args[2], GoVersion: runtime.Version(), KeyIDs: keyIDs}
	scenarios[os.Args[2]]()
	writeTruth()
	fmt.Println("DONE")
}
