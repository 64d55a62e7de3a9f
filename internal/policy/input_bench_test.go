package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/mergeguard/mergeguard/internal/facts"
)

func largeInput(files, lines int) facts.Input {
	fs := make([]facts.File, files)
	per := lines / files
	for i := range fs {
		added := make([]facts.Line, per)
		for j := range added {
			added[j] = facts.Line{Line: 10 + j, Text: fmt.Sprintf("\tlog.Printf(\"handled request %%d in %%s\", id%d, elapsed%d)", j, j)}
		}
		fs[i] = facts.File{Path: fmt.Sprintf("services/svc%03d/handler_%04d.go", i%100, i), Status: "modified",
			Hunks: []facts.Hunk{{OldStart: 10, OldLines: 3, NewStart: 10, NewLines: per + 2}}, AddedLines: added, RemovedLines: []int{11}}
	}
	return facts.Build(facts.Sources{Files: fs, Now: time.Now()})
}

// BenchmarkInputConversion compares turning a 3000-file, 100,000-line input
// document into OPA's value with the direct conversion and with OPA's JSON
// round trip.
func BenchmarkInputConversion(b *testing.B) {
	in := largeInput(3000, 100_000)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := inputValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What a policy worker does: the server writes JSON, the worker reads
	// it.
	b.Run("to-a-worker", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			raw, err := json.Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := valueFromJSON(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("to-a-worker-through-go-values", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			raw, err := json.Marshal(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ast.ValueFromReader(bytes.NewReader(raw)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-round-trip", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := ast.InterfaceToValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
