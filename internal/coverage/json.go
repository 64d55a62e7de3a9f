package coverage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The JSON formats (Istanbul's coverage-final.json, coverage.py's JSON
// report) are read one file at a time with a streaming decoder, never the
// whole document into one value, so that a report's memory is its files'
// lines and not a tree of every object in it.

// jsonReader reads a JSON report and turns every failure into an *Error
// that says where.
type jsonReader struct {
	data   []byte
	d      *json.Decoder
	format Format
}

func newJSONReader(data []byte, format Format) *jsonReader {
	data = bytes.TrimPrefix(data, utf8BOM)
	return &jsonReader{data: data, d: json.NewDecoder(bytes.NewReader(data)), format: format}
}

// fail makes an *Error at the decoder's position.
func (j *jsonReader) fail(where, problem string) *Error {
	return &Error{Format: j.format, Line: lineAt(j.data, j.d.InputOffset()), Where: where, Problem: problem}
}

// at places an error made elsewhere (a limit) at the decoder's position
// and where.
func (j *jsonReader) at(e *Error, where string) *Error {
	e.Line, e.Where = lineAt(j.data, j.d.InputOffset()), where
	return e
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// problem words a decoding error for the uploader; where names the value
// being decoded.
func (j *jsonReader) problem(err error, where string) *Error {
	var (
		syn   *json.SyntaxError
		typ   *json.UnmarshalTypeError
		count *countError
	)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Format: j.format, Line: lineAt(j.data, int64(len(bytes.TrimRight(j.data, " \t\r\n")))), Where: where, Problem: "the JSON ends before it is complete; the upload may be truncated, or the tool stopped while writing it"}
	case errors.As(err, &syn):
		// encoding/json's messages are short and quote at most a character.
		return &Error{Format: j.format, Line: lineAt(j.data, syn.Offset), Where: where, Problem: "the JSON is malformed: " + syn.Error()}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "a value"
		}
		return &Error{Format: j.format, Line: lineAt(j.data, typ.Offset), Where: where, Problem: fmt.Sprintf("%s is %s, not %s", clip(field), typ.Value, jsonType(typ.Type.String()))}
	case errors.As(err, &count):
		return j.fail(where, fmt.Sprintf("a %s is %s, which %s", count.what, clip(count.value), count.problem))
	}
	return j.fail(where, clip(err.Error()))
}

// jsonType names a Go type the way the report's author thinks of it.
func jsonType(goType string) string {
	switch goType {
	case "int", "coverage.jsonLine", "coverage.jsonCount", "[2]int":
		return "a whole number"
	case "string":
		return "a string"
	}
	if len(goType) > 2 && goType[:2] == "[]" {
		return "a list"
	}
	if len(goType) > 3 && goType[:3] == "map" {
		return "an object"
	}
	return "an object"
}

// delim reads the next token, which must be d.
func (j *jsonReader) delim(d json.Delim, where, what string) error {
	tok, err := j.d.Token()
	if err != nil {
		return j.problem(err, where)
	}
	if tok != d {
		return j.fail(where, fmt.Sprintf("%s must be a JSON %s", what, map[json.Delim]string{'{': "object", '[': "list"}[d]))
	}
	return nil
}

// key reads an object's next key.
func (j *jsonReader) key(where string) (string, error) {
	tok, err := j.d.Token()
	if err != nil {
		return "", j.problem(err, where)
	}
	k, ok := tok.(string)
	if !ok {
		return "", j.fail(where, "an object key is not a string")
	}
	return k, nil
}

// end checks that nothing but space follows the document.
func (j *jsonReader) end() error {
	if _, err := j.d.Token(); err != io.EOF {
		return j.fail("", "the report goes on after its JSON object ends; it may be two reports joined together — upload each one separately (one flag each)")
	}
	return nil
}

// jsonLine is a line number in a JSON report; null and 0 are "no line"
// (Istanbul writes them for code a source map could not place).
type jsonLine int

func (l *jsonLine) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = 0
		return nil
	}
	s := string(b)
	if s == "0" {
		*l = 0
		return nil
	}
	n, problem := parseLine(s)
	if problem != "" {
		return &countError{what: "line number", value: s, problem: problem}
	}
	*l = jsonLine(n)
	return nil
}

// jsonCount is a hit count in a JSON report (see parseHits); null is 0.
type jsonCount int

func (c *jsonCount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = 0
		return nil
	}
	n, problem := parseHits(string(b))
	if problem != "" {
		return &countError{what: "count", value: string(b), problem: problem}
	}
	*c = jsonCount(n)
	return nil
}

// countError is a number in a JSON report that is not what it must be.
type countError struct{ what, value, problem string }

func (e *countError) Error() string { return e.what + " " + e.value + " " + e.problem }

// detectJSON tells Istanbul's coverage-final.json (an object of files,
// each with a statementMap) from coverage.py's JSON report (an object with
// meta and files), by their first key, and names the JSON files people
// upload by mistake.
func detectJSON(data []byte) (Format, error) {
	j := newJSONReader(data, "")
	tok, err := j.d.Token()
	if err != nil {
		return "", j.problem(err, "")
	}
	if tok != json.Delim('{') {
		return "", j.fail("", "the report is a JSON list, which is no coverage format mergeguard reads; "+supported)
	}
	if !j.d.More() {
		return Istanbul, nil // an empty coverage map: no files
	}
	first, err := j.key("")
	if err != nil {
		return "", err
	}
	switch first {
	case "meta", "files", "totals":
		return CoveragePy, nil
	case "result":
		return "", j.fail("", "the report is raw V8 coverage (NODE_V8_COVERAGE); convert it first (c8 report --reporter=lcov, or --reporter=json for coverage-final.json) and upload that")
	}
	var value map[string]json.RawMessage
	if err := j.d.Decode(&value); err != nil {
		// A broken first file: if it names Istanbul's maps, let the
		// Istanbul parser say where it breaks.
		if bytes.Contains(data, []byte(`"statementMap"`)) {
			return Istanbul, nil
		}
		return "", j.problem(err, jsonKey(first))
	}
	for _, k := range []string{"statementMap", "s", "fnMap", "branchMap", "data"} {
		if _, ok := value[k]; ok {
			return Istanbul, nil
		}
	}
	if _, ok := value["lines"]; ok {
		return "", j.fail(jsonKey(first), "this is Istanbul's coverage-summary.json, which has percentages but no lines; upload coverage-final.json (the json reporter) or lcov.info instead")
	}
	return "", j.fail(jsonKey(first), "the report is JSON, but not Istanbul's coverage-final.json (an object of files) nor coverage.py's JSON report (meta and files); "+supported)
}

// jsonKey renders an object key for Where: ["src/a.js"].
func jsonKey(k string) string { return "[" + strconv.Quote(clip(k)) + "]" }
