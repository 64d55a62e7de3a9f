package policy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// FuzzValueFromJSON holds the worker's reader of the input document to
// OPA's own: the same value for every valid document, an error (never a
// panic) for anything else.
func FuzzValueFromJSON(f *testing.F) {
	for _, seed := range []string{
		`{"files": [{"path": "a.go", "added_lines": [{"line": 1, "text": "x := \"y\"\t// \u00e9\ud83d\ude00"}]}], "n": -1.5e3, "ok": true, "none": null}`,
		`[]`, `{}`, `"\ud800"`, `"\ud800\u0041"`, `"\ud800\ud800"`, "\"\xff\xfe ok\"", `[0, -0, 1e5, 1E-5, 0.25]`,
		`{"a": 1, "a": 2}`, `{"a": 1, "\u0061": 2}`, `{"é": 1, "\u00e9": 2}`, `[1, 2,]`, `{"a" 1}`, `01`, `1.`, `-`, `"\x"`, `tru`, `[[[[`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := valueFromJSON(b)
		if !json.Valid(b) {
			if err == nil {
				t.Fatalf("%q is not JSON, read as %v", b, got)
			}
			return
		}
		want, werr := ast.ValueFromReader(bytes.NewReader(b))
		if werr != nil {
			t.Skip("OPA does not read it either")
		}
		if err != nil || ast.Compare(got, want) != 0 {
			t.Fatalf("%q: read as %v (%v), OPA reads %v", b, got, err, want)
		}
	})
}

func TestValueFromJSONLimitsNesting(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	if _, err := valueFromJSON([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Fatalf("want a nesting error, got %v", err)
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, err := valueFromJSON([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}
