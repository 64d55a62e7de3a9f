package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/mergeguard/mergeguard/internal/facts"
)

type embedded struct {
	Inner string `json:"inner"`
}

type sample struct {
	embedded
	Name     string            `json:"name"`
	Skip     string            `json:"-"`
	Empty    string            `json:"empty,omitempty"`
	EmptyS   []int             `json:"empty_slice,omitempty"`
	NilS     []int             `json:"nil_slice"`
	Zero     int               `json:"zero,omitempty"`
	Ptr      *facts.MergeGroup `json:"ptr"`
	Map      map[string]int    `json:"map"`
	Any      any               `json:"any"`
	Num      json.Number       `json:"num"`
	Float    float64           `json:"float"`
	Bad      string            `json:"bad"`
	Time     time.Time         `json:"time"`
	Untagged bool
	private  int
}

// TestInputValueMatchesOPAsConversion checks the fast conversion against
// OPA's JSON round trip on the real input document and on every JSON corner
// the conversion must mirror.
func TestInputValueMatchesOPAsConversion(t *testing.T) {
	doc := facts.Build(facts.Sources{
		Files: []facts.File{{Path: "a.go", Status: "added", Hunks: []facts.Hunk{{NewStart: 1, NewLines: 1}},
			AddedLines: []facts.Line{{Line: 1, Text: "x", Truncated: true}}, RemovedLines: []int{}}},
		Teams: map[string]facts.Team{"dba": {Found: true, Members: []string{"a"}}, "x": {Members: []string{}, Error: "gone"}},
		Now:   time.Unix(1_800_000_000, 123),
	})
	for name, v := range map[string]any{
		"input document": doc,
		"corners": sample{
			embedded: embedded{Inner: "i"}, Name: "n", Skip: "s", EmptyS: []int{}, Map: map[string]int{"k": 1},
			Any: map[string]any{"nested": []any{1.5, "x", nil, true}}, Num: "12.50", Float: 0.1, Bad: "caf\xe9",
			Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Untagged: true, private: 3,
		},
		"plain map": map[string]any{"files": []any{map[string]any{"path": "x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := ast.InterfaceToValue(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inputValue(v)
			if err != nil {
				t.Fatal(err)
			}
			if got.Compare(want) != 0 {
				t.Fatalf("fast conversion differs from OPA's:\n got  %s\n want %s", got, want)
			}
		})
	}
}

func TestInputValueRefusesWhatJSONCannotHold(t *testing.T) {
	if _, err := inputValue(map[int]string{1: "x"}); err == nil {
		t.Fatal("want an error for a non-string map key")
	}
	if _, err := inputValue(make(chan int)); err == nil {
		t.Fatal("want an error for a channel")
	}
}
