package coverage

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "coverage", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lines builds a line map from line, hits pairs.
func lines(pairs ...int) map[int]int {
	m := make(map[int]int, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// The Go fixtures come from one module run two ways; both must give the
// same coverage. Lines 10–22 of charge.go are Total, 25 the empty Noop
// (a 0-statement block: not coverable), 28–33 the untested Refund.
var goShop = map[string]map[int]int{
	"github.com/acme/shop/internal/cart/cart.go": lines(8, 2, 11, 1, 12, 1, 13, 1, 16, 0, 17, 0, 18, 0),
	"github.com/acme/shop/internal/charge/charge.go": lines(
		10, 2, 11, 2, // "if len(prices) == 0 {" shares line 11 with the block it opens: the max
		12, 1, 13, 1, 14, 1,
		15, 2, 16, 2, 17, 2, // the loop body ran twice
		18, 1, 19, 0, 20, 0, // the discount branch never ran, its condition did
		21, 1,
		28, 0, 29, 0, 30, 0, 31, 0, 32, 0),
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		want   map[string]map[int]int
	}{
		{"go-count.out", GoCover, goShop},
		// Every block twice, once with zero counts from the other test
		// binary: the max keeps the run that exercised it.
		{"go-coverpkg.out", GoCover, goShop},
		{"lcov-nyc.info", LCOV, map[string]map[int]int{
			"src/cart.js":      lines(1, 1, 3, 1, 4, 1, 9, 1, 10, 4, 11, 1, 13, 3, 15, 1, 16, 0, 17, 0),
			"src/lib/price.js": lines(1, 1, 2, 12, 3, 12),
			"src/types.d.ts":   {}, // in the report, nothing to cover
		}},
		// Joined to the single <source>; method lines repeat class lines
		// and are not counted twice (5 ran 3 times, not 6).
		{"cobertura-coveragepy.xml", Cobertura, map[string]map[int]int{
			"/home/runner/work/shop/shop/src/shop/__init__.py":   lines(1, 1),
			"/home/runner/work/shop/shop/src/shop/charge.py":     lines(1, 1, 4, 1, 5, 3, 6, 3, 7, 1, 8, 2, 10, 1, 11, 0, 12, 0, 13, 0, 14, 0),
			"/home/runner/work/shop/shop/src/shop/api/routes.py": lines(1, 1, 3, 1, 8, 1, 9, 4294967296, 12, 1, 13, 0, 15, 0),
		}},
		// hits = ci; a partly covered line (12: mi=2 ci=4) is covered.
		{"jacoco.xml", JaCoCo, map[string]map[int]int{
			"com/acme/shop/Charge.java":     lines(5, 3, 8, 2, 9, 8, 10, 9, 12, 4, 13, 2, 15, 2, 18, 0, 19, 0, 21, 0),
			"com/acme/shop/util/Money.java": lines(4, 3, 5, 3, 11, 0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, format, err := Parse(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if format != tt.format {
				t.Errorf("format = %q, want %q", format, tt.format)
			}
			if !reflect.DeepEqual(r.Files, tt.want) {
				t.Errorf("files:\n got %v\nwant %v", r.Files, tt.want)
			}
		})
	}
}

// TestParseFixturesNormalized is what the upload handler stores: every
// fixture's paths become the repository's.
func TestParseFixturesNormalized(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"go-count.out", []string{"internal/cart/cart.go", "internal/charge/charge.go"}},
		{"lcov-nyc.info", []string{"src/cart.js", "src/lib/price.js", "src/types.d.ts"}},
		{"cobertura-coveragepy.xml", []string{"src/shop/__init__.py", "src/shop/api/routes.py", "src/shop/charge.py"}},
		// JaCoCo knows only the package path; Match finds the rest.
		{"jacoco.xml", []string{"com/acme/shop/Charge.java", "com/acme/shop/util/Money.java"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, _, err := Parse(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := sortedKeys(r.Normalize("acme/shop").Files)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("paths = %q, want %q", got, tt.want)
			}
		})
	}
}

func sortedKeys(m map[string]map[int]int) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // tiny: insertion sort keeps imports short
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// TestParseFormats covers the variations of each format the fixtures do
// not: line endings, repeated records, tolerated irregularities.
func TestParseFormats(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		format Format
		want   map[string]map[int]int
	}{
		{"go: CRLF, blank lines, BOM", "\ufeffmode: set\r\n\r\nexample.com/m/a.go:1.1,2.2 1 1\r\n\r\n", GoCover,
			map[string]map[int]int{"example.com/m/a.go": lines(1, 1, 2, 1)}},
		{"go: concatenated profiles, two mode lines", "mode: count\nm/a.go:1.1,1.9 1 0\nmode: count\nm/a.go:1.1,1.9 1 7\n", GoCover,
			map[string]map[int]int{"m/a.go": lines(1, 7)}},
		{"go: path with colon and spaces", "mode: set\n_/C:/my work/a.go:3.1,3.5 1 1\n", GoCover,
			map[string]map[int]int{"_/C:/my work/a.go": lines(3, 1)}},
		{"go: nested blocks take the max", "mode: count\nm/a.go:1.1,10.2 1 1\nm/a.go:3.1,4.2 1 5\nm/a.go:4.1,6.2 1 0\n", GoCover,
			map[string]map[int]int{"m/a.go": lines(1, 1, 2, 1, 3, 5, 4, 5, 5, 1, 6, 1, 7, 1, 8, 1, 9, 1, 10, 1)}},
		{"go: only a 0-statement block", "mode: set\nm/empty.go:3.14,3.15 0 1\n", GoCover,
			map[string]map[int]int{"m/empty.go": {}}},
		{"go: count beyond int64 saturates", "mode: atomic\nm/a.go:1.1,1.2 1 99999999999999999999\n", GoCover,
			map[string]map[int]int{"m/a.go": lines(1, math.MaxInt)}},
		{"lcov: CRLF, blank lines, checksums", "TN:\r\nSF:a.c\r\n\r\nDA:1,5,PF3bL+aYlGKyqvz8fQ0z2w\r\nDA:2,0\r\nend_of_record\r\n", LCOV,
			map[string]map[int]int{"a.c": lines(1, 5, 2, 0)}},
		{"lcov: starts with SF, no final end_of_record", "SF:/src/a.rs\nDA:3,1", LCOV,
			map[string]map[int]int{"/src/a.rs": lines(3, 1)}},
		{"lcov: a file in two records sums", "SF:a.c\nDA:1,2\nend_of_record\nSF:a.c\nDA:1,3\nDA:2,0\nend_of_record\n", LCOV,
			map[string]map[int]int{"a.c": lines(1, 5, 2, 0)}},
		{"lcov: SF without end_of_record before it; unknown records", "TN:unit\nSF:a.c\nDA:1,1\nVER:2\nFNL:0,1,4\nSF:b.c\nMCDC:1,2,t,1,0,x\nDA:1,0\n", LCOV,
			map[string]map[int]int{"a.c": lines(1, 1), "b.c": lines(1, 0)}},
		{"cobertura: several sources keep filenames", `<coverage><sources><source>/a</source><source>/b</source></sources><packages><package name="p"><classes><class name="x" filename="x.py"><lines><line number="1" hits="1"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			map[string]map[int]int{"x.py": lines(1, 1)}},
		{"cobertura: no sources; absolute filename kept", `<coverage><packages><package><classes><class filename="/w/x.py"><lines><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			map[string]map[int]int{"/w/x.py": lines(2, 0)}},
		{"cobertura: Windows source, trailing separator", `<coverage><sources><source>D:\a\shop\shop\src\</source></sources><packages><package><classes><class filename="Shop\Charge.cs"><lines><line number="7" hits="2"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			map[string]map[int]int{`D:\a\shop\shop\src/Shop\Charge.cs`: lines(7, 2)}},
		{"cobertura: inner classes of one file take the max", `<coverage><packages><package><classes><class name="A" filename="A.java"><lines><line number="3" hits="0"/><line number="4" hits="1"/></lines></class><class name="A$B" filename="A.java"><lines><line number="3" hits="2"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			map[string]map[int]int{"A.java": lines(3, 2, 4, 1)}},
		{"cobertura: lines only in methods", `<coverage><packages><package><classes><class filename="m.js"><methods><method name="f"><lines><line number="1" hits="3"/></lines></method></methods><lines/></class></classes></package></packages></coverage>`, Cobertura,
			map[string]map[int]int{"m.js": lines(1, 3)}},
		{"cobertura: ISO-8859-1, DOCTYPE, entities", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE coverage SYSTEM \"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n<coverage><packages><package><classes><class filename=\"caf\xe9 &amp; bar.py\"><lines><line number=\"1\" hits=\"1\"/></lines></class></classes></package></packages></coverage>", Cobertura,
			map[string]map[int]int{"café & bar.py": lines(1, 1)}},
		{"jacoco: groups, default package, line without instructions", `<report name="r"><group name="core"><group name="sub"><package name="com/acme"><sourcefile name="A.java"><line nr="1" mi="0" ci="0" mb="0" cb="0"/><line nr="2" mi="1" ci="0" mb="0" cb="0"/></sourcefile></package></group></group><package name=""><sourcefile name="Main.java"><line nr="3" mi="0" ci="4" mb="0" cb="0"/></sourcefile></package></report>`, JaCoCo,
			map[string]map[int]int{"com/acme/A.java": lines(2, 0), "Main.java": lines(3, 4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, format, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if format != tt.format {
				t.Errorf("format = %q, want %q", format, tt.format)
			}
			if !reflect.DeepEqual(r.Files, tt.want) {
				t.Errorf("files:\n got %v\nwant %v", r.Files, tt.want)
			}
		})
	}
}

// TestParseErrors checks what the uploader is told, word for word.
func TestParseErrors(t *testing.T) {
	const cob = `<coverage><packages><package name="p"><classes><class name="c" filename="c.py"><lines>%s</lines></class></classes></package></packages></coverage>`
	const jac = `<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="r"><package name="com/acme"><sourcefile name="A.java">%s</sourcefile></package></report>`
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Detection.
		{"empty", "", "report: the report is empty; check that the tests ran with coverage on and that the right file was uploaded"},
		{"only whitespace", " \n\r\n\t", "report: the report is empty; check that the tests ran with coverage on and that the right file was uploaded"},
		{"unknown text", "\nPASS\nok  \texample.com/m\t0.1s\n", `report line 2: the format is not recognized (it starts "PASS"); upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura XML or JaCoCo XML`},
		{"JSON", `{"/src/a.js": {"path": "/src/a.js"}}`, "report line 1: the report is JSON, which is not a supported coverage format; upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura XML or JaCoCo XML (Istanbul/nyc/c8/Jest: --reporter=lcov or cobertura; coverage.py: coverage xml)"},
		{"gzip", "\x1f\x8b\x08\x00", "report: the report is gzip-compressed; upload it uncompressed (the upload itself may use Content-Encoding)"},
		{"UTF-16", "\xff\xfe<\x00c\x00", "report: the report is UTF-16 text; write it as UTF-8 (PowerShell: Out-File -Encoding utf8)"},
		{"other XML root", `<?xml version="1.0"?><testsuites><testsuite/></testsuites>`, `report line 1 at /testsuites: the XML root element is <testsuites>, which is neither Cobertura's <coverage> nor JaCoCo's <report>; upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura XML or JaCoCo XML`},
		{"broken XML prolog", "<?xml version=\"1.0\"?>\n<!-- unterminated", "report line 2: the report looks like XML but cannot be read before its root element: the XML ends before it is complete; the upload may be truncated, or the tool stopped while writing it"},
		{"no files", "mode: set\n", "go report: the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"},

		// Go.
		{"go: bad mode", "mode: sometimes\n", `go report line 1: " sometimes" is not a cover mode; Go writes "mode: set", "mode: count" or "mode: atomic"`},
		{"go: missing counts", "mode: set\nm/a.go:1.1,2.2\n", `go report line 2: "m/a.go:1.1,2.2": it has no statement and hit counts; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: missing statement count", "mode: set\nm/a.go:1.1,2.2 1\n", `go report line 2: "m/a.go:1.1,2.2 1": it has no statement count; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: no path", "mode: set\n:1.1,2.2 1 1\n", `go report line 2: ":1.1,2.2 1 1": it has no path; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: bad position", "mode: set\nm/a.go:1.1-2.2 1 1\n", `go report line 2: "m/a.go:1.1-2.2 1 1": the position has no ','; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: no columns", "mode: set\nm/a.go:1,2 1 1\n", `go report line 2: "m/a.go:1,2 1 1": the position is not startLine.startCol,endLine.endCol; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: line 0", "mode: set\nm/a.go:0.1,2.2 1 1\n", `go report line 2: "m/a.go:0.1,2.2 1 1": the start line is 0; line numbers start at 1; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: end before start", "mode: set\nm/a.go:5.1,2.2 1 1\n", `go report line 2: "m/a.go:5.1,2.2 1 1": the block ends (line 2) before it starts (line 5); a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: negative count", "mode: set\nm/a.go:1.1,2.2 1 -1\n", `go report line 2: "m/a.go:1.1,2.2 1 -1": the hit count is negative; counts and line numbers cannot be; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: fractional count", "mode: set\nm/a.go:1.1,2.2 1 0.5\n", `go report line 2: "m/a.go:1.1,2.2 1 0.5": the hit count is not a whole number; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: bad statement count", "mode: set\nm/a.go:1.1,2.2 x 1\n", `go report line 2: "m/a.go:1.1,2.2 x 1": the statement count is not a whole number; a block line is path:startLine.startCol,endLine.endCol statements count`},
		{"go: line number too large", "mode: set\nm/a.go:1.1,2147483648.2 1 1\n", `go report line 2: "m/a.go:1.1,2147483648.2 1 1": the end line is too large for a line number (at most 2147483647); a block line is path:startLine.startCol,endLine.endCol statements count`},

		// LCOV.
		{"lcov: DA before SF", "TN:\nDA:1,1\n", `lcov report line 2: "DA:1,1" comes before any SF: line (or after end_of_record), so it belongs to no file; every DA: must follow the SF: of its file`},
		{"lcov: DA after end_of_record", "SF:a.c\nDA:1,1\nend_of_record\nDA:2,1\n", `lcov report line 4: "DA:2,1" comes before any SF: line (or after end_of_record), so it belongs to no file; every DA: must follow the SF: of its file`},
		{"lcov: empty SF", "TN:\nSF:\n", "lcov report line 2: SF: has no path; every record starts with SF:<source file path>"},
		{"lcov: DA without hits", "SF:a.c\nDA:7\n", `lcov report line 2: "DA:7" lacks the hit count; the form is DA:<line>,<hits>`},
		{"lcov: negative hits", "SF:a.c\nDA:7,-1\n", `lcov report line 2: in "DA:7,-1" the hit count is negative; counts and line numbers cannot be`},
		{"lcov: fractional hits", "SF:a.c\nDA:7,1.5\n", `lcov report line 2: in "DA:7,1.5" the hit count is not a whole number`},
		{"lcov: line 0", "SF:a.c\nDA:0,1\n", `lcov report line 2: in "DA:0,1" the line number is 0; line numbers start at 1`},
		{"lcov: not a record", "SF:a.c\nDA:1,1\nthis is not lcov\n", `lcov report line 3: "this is not lcov" is not an LCOV record; records are KEY:VALUE (SF:, DA:, …) or end_of_record`},
		{"lcov: Go profile line inside", "SF:a.c\ngithub.com/x/y.go:1.1,2.2 1 1\n", `lcov report line 2: "github.com/x/y.go:1.1,2.2 1 1" is not an LCOV record; records are KEY:VALUE (SF:, DA:, …) or end_of_record`},

		// Cobertura.
		{"cobertura: negative hits", fmt.Sprintf(cob, `<line number="3" hits="-2"/>`), `cobertura report line 1 at /coverage/packages/package[@name="p"]/classes/class[@filename="c.py"]/lines/line[@number="3"]: hits="-2" is negative; counts and line numbers cannot be`},
		{"cobertura: float hits", fmt.Sprintf(cob, `<line number="3" hits="1.0"/>`), `cobertura report line 1 at /coverage/packages/package[@name="p"]/classes/class[@filename="c.py"]/lines/line[@number="3"]: hits="1.0" is not a whole number`},
		{"cobertura: missing number", fmt.Sprintf(cob, `<line hits="1"/>`), `cobertura report line 1 at /coverage/packages/package[@name="p"]/classes/class[@filename="c.py"]/lines/line: <line> has no number attribute (the line number)`},
		{"cobertura: missing hits", fmt.Sprintf(cob, `<line number="4"/>`), `cobertura report line 1 at /coverage/packages/package[@name="p"]/classes/class[@filename="c.py"]/lines/line[@number="4"]: <line> has no hits attribute`},
		{"cobertura: class without filename", `<coverage><packages><package><classes><class name="Foo"><lines/></class></classes></package></packages></coverage>`, `cobertura report line 1 at /coverage/packages/package/classes/class: <class name="Foo"> has no filename attribute, so its lines cannot be tied to a file; configure the coverage tool to record source file names`},
		{"cobertura: line outside class", `<coverage><packages><package><lines><line number="1" hits="1"/></lines></package></packages></coverage>`, `cobertura report line 1 at /coverage/packages/package/lines/line[@number="1"]: a <line> is outside any <class>, so it belongs to no file; lines go in <class><lines>`},
		{"cobertura: truncated", "<coverage>\n<packages><package><classes><class filename=\"a.py\"><lines><line number=\"1\" hits=\"1\"/>", `cobertura report line 2 at /coverage/packages/package/classes/class[@filename="a.py"]/lines: the XML ends before it is complete; the upload may be truncated, or the tool stopped while writing it`},
		{"cobertura: mismatched tags", "<coverage>\n<packages></package></coverage>", "cobertura report line 2 at /coverage/packages: element <packages> closed by </package>"},
		{"cobertura: undefined entity", `<coverage><packages><package name="&nbsp;"/></packages></coverage>`, "cobertura report line 1 at /coverage/packages: invalid character entity &nbsp; (XML reports may use only &amp; &lt; &gt; &quot; &apos; and numeric references)"},
		{"cobertura: two reports joined", `<coverage><packages/></coverage><?xml version="1.0"?><coverage/>`, "cobertura report line 1: the report has a second root element <coverage> after </coverage>; it may be two reports joined together — upload each one separately (one flag each)"},
		{"cobertura: unsupported encoding", `<?xml version="1.0" encoding="Shift_JIS"?><coverage/>`, `report line 1: the report looks like XML but cannot be read before its root element: the report declares encoding "Shift_JIS", which is not supported; write it as UTF-8`},
		{"cobertura: Clover", `<?xml version="1.0" encoding="UTF-8"?>
<coverage generated="1718000000" clover="3.2.0"><project timestamp="1718000000"><file name="/w/a.php"><line num="3" type="stmt" count="1"/></file></project></coverage>`, "cobertura report line 2 at /coverage/project: this is a Clover report (<coverage><project>), not Cobertura; write Cobertura XML instead (PHPUnit: --coverage-cobertura; Istanbul/nyc/Jest: the cobertura reporter) or LCOV"},
		{"cobertura: too deep", "<coverage>" + strings.Repeat("<x>", 70), "cobertura report line 1 at /coverage" + strings.Repeat("/x", 63) + ": elements nest more than 64 levels deep, which no coverage tool writes"},

		// JaCoCo.
		{"jacoco: negative ci", fmt.Sprintf(jac, `<line nr="3" mi="0" ci="-1" mb="0" cb="0"/>`), `jacoco report line 1 at /report/package[@name="com/acme"]/sourcefile[@name="A.java"]/line[@nr="3"]: ci="-1" is negative; counts and line numbers cannot be`},
		{"jacoco: text mi", fmt.Sprintf(jac, `<line nr="3" mi="many" ci="1" mb="0" cb="0"/>`), `jacoco report line 1 at /report/package[@name="com/acme"]/sourcefile[@name="A.java"]/line[@nr="3"]: mi="many" is not a whole number`},
		{"jacoco: missing nr", fmt.Sprintf(jac, `<line mi="0" ci="1"/>`), `jacoco report line 1 at /report/package[@name="com/acme"]/sourcefile[@name="A.java"]/line: <line> has no nr attribute (the line number)`},
		{"jacoco: missing ci", fmt.Sprintf(jac, `<line nr="3" mi="0"/>`), `jacoco report line 1 at /report/package[@name="com/acme"]/sourcefile[@name="A.java"]/line[@nr="3"]: <line> has no ci attribute`},
		{"jacoco: sourcefile outside package", `<report><sourcefile name="A.java"/></report>`, "jacoco report line 1 at /report/sourcefile[@name=\"A.java\"]: a <sourcefile> is outside any <package>, so its path is unknown; sourcefiles go in <package>"},
		{"jacoco: sourcefile without name", `<report><package name="p"><sourcefile/></package></report>`, "jacoco report line 1 at /report/package[@name=\"p\"]/sourcefile: <sourcefile> has no name attribute, so its lines cannot be tied to a file"},
		{"jacoco: line outside sourcefile", `<report><package name="p"><class name="p/A"><line nr="1" mi="0" ci="1"/></class></package></report>`, "jacoco report line 1 at /report/package[@name=\"p\"]/class/line[@nr=\"1\"]: a <line> is outside any <sourcefile>, so it belongs to no file; lines go in <package><sourcefile>"},
		{"jacoco: entity defined in the DOCTYPE is not expanded", `<!DOCTYPE report [<!ENTITY x "y">]><report><package name="&x;"/></report>`, "jacoco report line 1 at /report: invalid character entity &x; (XML reports may use only &amp; &lt; &gt; &quot; &apos; and numeric references)"},
		{"jacoco: no files", `<report name="r"><sessioninfo id="a" start="1" dump="2"/></report>`, "jacoco report: the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestParsersDirect reaches what detection keeps from the parsers, for
// callers (and fuzzers) that call a parser on any input.
func TestParsersDirect(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) (Report, error)
		in    string
		want  string
	}{
		{"go: block before mode", parseGoCover, "m/a.go:1.1,1.2 1 1\nmode: set\n", `go report line 1: a Go cover profile starts with a "mode: …" line; upload the file go test -coverprofile wrote, unchanged`},
		{"cobertura: JaCoCo root", parseCobertura, `<report/>`, "cobertura report line 1: the root element is <report>; a cobertura report's root is <coverage>"},
		{"jacoco: Cobertura root", parseJaCoCo, `<coverage/>`, "jacoco report line 1: the root element is <coverage>; a jacoco report's root is <report>"},
		{"jacoco: no root", parseJaCoCo, `<?xml version="1.0"?>`, "jacoco report line 1: the report has no <report> element (empty or truncated upload?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.parse([]byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Problem: "p"}, "report: p"},
		{Error{Format: LCOV, Line: 3, Problem: "p"}, "lcov report line 3: p"},
		{Error{Format: JaCoCo, Where: "/report", Problem: "p"}, "jacoco report at /report: p"},
		{Error{Format: Cobertura, Line: 9, Where: "/coverage/packages", Problem: "p"}, "cobertura report line 9 at /coverage/packages: p"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	unit := Report{Files: map[string]map[int]int{
		"a.go": lines(1, 2, 2, 0, 3, 0),
		"b.go": lines(1, 1),
	}}
	integration := Report{Files: map[string]map[int]int{
		"a.go": lines(2, 3, 3, 0, 4, 0), // 4 is coverable only here
		"c.go": lines(9, 0),
	}}
	var got Report // the zero Report can be merged into
	got.Merge(unit)
	got.Merge(integration)
	want := map[string]map[int]int{
		"a.go": lines(1, 2, 2, 3, 3, 0, 4, 0),
		"b.go": lines(1, 1),
		"c.go": lines(9, 0),
	}
	if !reflect.DeepEqual(got.Files, want) {
		t.Errorf("merged:\n got %v\nwant %v", got.Files, want)
	}
	// Merging must not have aliased the inputs' line maps.
	got.Merge(Report{Files: map[string]map[int]int{"c.go": lines(9, 5), "b.go": lines(1, 1)}})
	if integration.Files["c.go"][9] != 0 || unit.Files["b.go"][1] != 1 {
		t.Errorf("Merge changed its input: %v %v", integration.Files, unit.Files)
	}
	if got.Files["c.go"][9] != 5 || got.Files["b.go"][1] != 2 {
		t.Errorf("second merge: %v", got.Files)
	}

	// Sums saturate rather than wrap negative.
	big := Report{Files: map[string]map[int]int{"a.go": lines(1, math.MaxInt)}}
	big.Merge(Report{Files: map[string]map[int]int{"a.go": lines(1, 5)}})
	if h := big.Files["a.go"][1]; h != math.MaxInt {
		t.Errorf("saturated sum = %d, want MaxInt", h)
	}

	// A file without lines stays in the report.
	var r Report
	r.Merge(Report{Files: map[string]map[int]int{"empty.ts": nil}})
	if l, ok := r.Files["empty.ts"]; !ok || l == nil {
		t.Errorf("empty file: %v %v", l, ok)
	}
}

// TestLimits runs the real limits where that is cheap and lowered ones
// where reaching the real one would take gigabytes.
func TestLimits(t *testing.T) {
	t.Run("files: real limit, LCOV", func(t *testing.T) {
		var b strings.Builder
		for i := range MaxFiles + 1 {
			fmt.Fprintf(&b, "SF:f%d.c\nDA:1,1\nend_of_record\n", i)
		}
		_, _, err := Parse([]byte(b.String()))
		want := fmt.Sprintf("lcov report line %d: the report has more than 100000 files (the limit); upload one report per part of the repository (separate flags), or measure only the sources the repository's pull requests change", 3*MaxFiles+1)
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
	})
	t.Run("files: exactly the limit is fine", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("mode: set\n")
		for i := range MaxFiles {
			fmt.Fprintf(&b, "m/f%d.go:1.1,1.2 1 1\n", i)
		}
		r, _, err := Parse([]byte(b.String()))
		if err != nil || len(r.Files) != MaxFiles {
			t.Errorf("err = %v, files = %d", err, len(r.Files))
		}
	})
	t.Run("lines: real limit, Go blocks spanning too much", func(t *testing.T) {
		// Refused before a single line is stored.
		var b strings.Builder
		b.WriteString("mode: set\n")
		for i := range MaxLines/(maxBlockLines-1) + 1 {
			fmt.Fprintf(&b, "m/f%d.go:1.1,%d.2 1 1\n", i, maxBlockLines-1)
		}
		_, _, err := Parse([]byte(b.String()))
		want := "go report: the report has more than 20000000 coverable lines (the limit); upload one report per part of the repository (separate flags), or measure only the sources the repository's pull requests change"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant %s", err, want)
		}
		in := fmt.Sprintf("mode: set\nm/a.go:1.1,%d.2 1 1\n", maxBlockLines+1)
		if _, _, err = Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), "no Go source file has that many") {
			t.Errorf("one huge block: err = %v", err)
		}
	})

	defer func(f, l int) { maxFiles, maxLines = f, l }(maxFiles, maxLines)
	maxFiles, maxLines = 2, 3
	tests := []struct {
		name, in, want string
	}{
		{"go files", "mode: set\na:1.1,1.2 1 1\nb:1.1,1.2 1 1\nc:1.1,1.2 1 1\n", "go report line 4: the report has more than 2 files"},
		{"go lines", "mode: set\na:1.1,2.2 1 1\nb:1.1,2.2 1 1\n", "go report: the report has more than 3 coverable lines"},
		{"go lines: overlapping blocks count once", "mode: set\na:1.1,3.2 1 1\na:1.1,3.2 1 0\na:3.1,3.2 1 1\n", ""},
		{"lcov lines", "SF:a\nDA:1,1\nDA:2,1\nDA:2,1\nSF:b\nDA:1,1\nDA:2,1\n", "lcov report line 7: the report has more than 3 coverable lines"},
		{"cobertura files", `<coverage><packages><package><classes><class filename="a"/><class filename="b"/><class filename="a"/><class filename="c"/></classes></package></packages></coverage>`, `cobertura report line 1 at /coverage/packages/package/classes/class[@filename="c"]: the report has more than 2 files`},
		{"cobertura lines", `<coverage><packages><package><classes><class filename="a"><lines><line number="1" hits="1"/><line number="2" hits="1"/><line number="3" hits="1"/><line number="4" hits="1"/></lines></class></classes></package></packages></coverage>`, `cobertura report line 1 at /coverage/packages/package/classes/class[@filename="a"]/lines/line[@number="4"]: the report has more than 3 coverable lines`},
		{"jacoco files", `<report><package name="p"><sourcefile name="A"/><sourcefile name="B"/><sourcefile name="C"/></package></report>`, `jacoco report line 1 at /report/package[@name="p"]/sourcefile[@name="C"]: the report has more than 2 files`},
		{"jacoco lines", `<report><package name="p"><sourcefile name="A"><line nr="1" mi="1" ci="0"/><line nr="2" mi="1" ci="0"/><line nr="3" mi="1" ci="0"/><line nr="4" mi="1" ci="0"/></sourcefile></package></report>`, `jacoco report line 1 at /report/package[@name="p"]/sourcefile[@name="A"]/line[@nr="4"]: the report has more than 3 coverable lines`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tt.in))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant %s…", err, tt.want)
			}
		})
	}
}
