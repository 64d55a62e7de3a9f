package coverage

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"iter"

	"github.com/mergeguard/mergeguard/internal/text"
)

// supported ends every "what is this?" error, so the uploader learns what
// to send instead.
const supported = "upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura, JaCoCo or Clover XML, Istanbul's coverage-final.json or coverage.py's JSON report"

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// detect tells the format by content, never by file name (the upload has
// none): an XML root of <coverage> is Cobertura or Clover (see detectXML)
// and <report> is JaCoCo; a first line "mode: …" is a Go profile; "TN:" or
// "SF:" starts an LCOV tracefile; a JSON object is Istanbul's or
// coverage.py's (see detectJSON). The parsers check the rest.
func detect(data []byte) (Format, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	switch {
	case bytes.HasPrefix(data, []byte{0x1F, 0x8B}):
		return "", &Error{Problem: "the report is gzip-compressed; upload it uncompressed (the upload itself may use Content-Encoding)"}
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}), bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return "", &Error{Problem: "the report is UTF-16 text; write it as UTF-8 (PowerShell: Out-File -Encoding utf8)"}
	}

	// The first line with content decides; blank lines before it are
	// tolerated because concatenating reports in a shell often adds them.
	lineNo := 0
	var first []byte
	for n, line := range contentLines(data) {
		lineNo, first = n, line
		break
	}
	switch {
	case first == nil:
		return "", &Error{Problem: "the report is empty; check that the tests ran with coverage on and that the right file was uploaded"}
	case first[0] == '<':
		return detectXML(data)
	case bytes.HasPrefix(first, []byte("mode:")):
		return GoCover, nil
	case bytes.HasPrefix(first, []byte("TN:")), bytes.HasPrefix(first, []byte("SF:")):
		return LCOV, nil
	case first[0] == '{' || first[0] == '[':
		return detectJSON(data)
	}
	return "", &Error{Line: lineNo, Problem: fmt.Sprintf("the format is not recognized (it starts %s); %s", quoteStart(first), supported)}
}

// detectXML reads up to the root element: <report> is JaCoCo, <coverage>
// is Clover when it says so (see isCloverRoot) and Cobertura otherwise.
func detectXML(data []byte) (Format, error) {
	d := newXMLDecoder(data)
	var root *xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			if root != nil {
				// The root is known; the parser reports the rest.
				return Cobertura, nil
			}
			line, _ := d.InputPos()
			return "", &Error{Line: line, Problem: fmt.Sprintf("the report looks like XML but cannot be read before its root element: %v", xmlProblem(err))}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil {
				if isCloverRoot(*root, t.Name.Local) {
					return Clover, nil
				}
				return Cobertura, nil
			}
			switch t.Name.Local {
			case "coverage":
				if isCloverRoot(t, "") {
					return Clover, nil
				}
				r := t.Copy()
				root = &r
				continue
			case "report":
				return JaCoCo, nil
			}
			line, _ := d.InputPos()
			return "", &Error{Line: line, Where: "/" + clip(t.Name.Local), Problem: fmt.Sprintf("the XML root element is <%s>, which is none of Cobertura's or Clover's <coverage> and JaCoCo's <report>; %s", clip(t.Name.Local), supported)}
		case xml.EndElement:
			return Cobertura, nil // an empty <coverage/>
		case xml.CharData:
			if root == nil && len(bytes.TrimSpace(t)) > 0 {
				line, _ := d.InputPos()
				return "", &Error{Line: line, Problem: "the report has text before its XML root element; " + supported}
			}
		}
	}
}

// contentLines yields the lines of a line-based report that hold anything
// but white space, trimmed (which also drops Windows' "\r"), each with its
// 1-based line number, so that every parser numbers lines the same way in
// its errors.
func contentLines(data []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		lineNo := 0
		for rest := data; len(rest) > 0; {
			line := rest
			rest = nil
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line, rest = line[:i], line[i+1:]
			}
			lineNo++
			if line = bytes.TrimSpace(line); len(line) > 0 && !yield(lineNo, line) {
				return
			}
		}
	}
}

// quoteStart quotes the beginning of a line for an error message: short,
// and valid UTF-8 whatever the input.
func quoteStart(b []byte) string {
	return fmt.Sprintf("%q", clip(string(b)))
}

// maxQuoted bounds, in bytes, the text from a report an error message
// quotes, so that one huge token cannot make a huge error.
const maxQuoted = 60

// clip shortens text from the report for an error message: at most
// maxQuoted bytes of valid UTF-8.
func clip(s string) string { return text.Clip(s, maxQuoted) }
