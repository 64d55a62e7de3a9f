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

// named builds a line's branch coverage from its branches in order.
func named(taken ...bool) Branches {
	var b Branches
	for _, t := range taken {
		b.add(t)
	}
	return b
}

// The JavaScript fixtures describe one run of the same project in four
// formats, and the Python ones one run in two: what each format can say
// must come out the same.
var (
	jsLines = map[string]map[int]int{
		// Functions: 3 (anonymous, called once), 9 (addItem, 4 calls; DA
		// says 1, the larger count stands), 15 (total, never called; DA 1).
		"src/cart.js":      lines(1, 1, 3, 1, 4, 1, 9, 4, 10, 4, 11, 1, 13, 3, 15, 1, 16, 0, 17, 0),
		"src/lib/price.js": lines(1, 12, 2, 12, 3, 12), // format() ran 12 times
		"src/types.d.ts":   {},                         // in the report, nothing to cover
	}
	jsBranches = map[string]map[int]Branches{
		"src/cart.js": {10: named(true, true), 16: named(false, false)},
	}
	pyBranches = map[string]map[int]Branches{
		"/home/runner/work/shop/shop/src/shop/charge.py":     {6: counted(2, 2), 12: counted(2, 0)},
		"/home/runner/work/shop/shop/src/shop/api/routes.py": {12: counted(2, 1)},
	}
)

func TestParseFixtures(t *testing.T) {
	abs := func(m map[string]map[int]int) map[string]map[int]int {
		out := map[string]map[int]int{}
		for p, l := range m {
			out["/home/runner/work/shop/shop/"+p] = l
		}
		return out
	}
	tests := []struct {
		file     string
		format   Format
		want     map[string]map[int]int
		branches map[string]map[int]Branches
	}{
		{"go-count.out", GoCover, goShop, nil},
		// Every block twice, once with zero counts from the other test
		// binary: the max keeps the run that exercised it.
		{"go-coverpkg.out", GoCover, goShop, nil},
		{"lcov-nyc.info", LCOV, jsLines, jsBranches},
		// The same run as Istanbul's own data: the same lines and the same
		// named branches.
		{"istanbul-coverage-final.json", Istanbul, abs(jsLines), map[string]map[int]Branches{
			"/home/runner/work/shop/shop/src/cart.js": jsBranches["src/cart.js"],
		}},
		// The same run through Istanbul's clover reporter: no function
		// lines (9 and price.js's 1 keep the statement's count), and
		// branch counts only (truecount taken, falsecount not).
		{"clover-jest.xml", Clover, map[string]map[int]int{
			"/home/runner/work/shop/shop/src/cart.js":      lines(1, 1, 3, 1, 4, 1, 9, 1, 10, 4, 11, 1, 13, 3, 15, 1, 16, 0, 17, 0),
			"/home/runner/work/shop/shop/src/lib/price.js": lines(1, 1, 2, 12, 3, 12),
			"/home/runner/work/shop/shop/src/types.d.ts":   {},
		}, map[string]map[int]Branches{
			"/home/runner/work/shop/shop/src/cart.js": {10: counted(2, 2), 16: counted(2, 0)},
		}},
		// PHPUnit: the name is the absolute path; method and statement
		// lines; files in a package and directly in the project.
		{"clover-phpunit.xml", Clover, map[string]map[int]int{
			"/home/runner/work/shop/shop/src/Cart.php":  lines(14, 3, 16, 3, 17, 1, 20, 3, 23, 0, 25, 0, 26, 0),
			"/home/runner/work/shop/shop/bootstrap.php": lines(3, 1),
		}, nil},
		// OpenClover: a cond line is one condition, true and false counts,
		// no count of its own; line 13 has two conditions (four branches,
		// the second condition never true); the test sources are read too.
		{"clover-openclover.xml", Clover, map[string]map[int]int{
			"/home/runner/work/shop/shop/src/main/java/com/acme/shop/Charge.java":     lines(8, 3, 9, 3, 10, 10, 11, 7, 13, 3, 14, 0, 16, 3, 19, 0, 20, 0, 21, 0),
			"/home/runner/work/shop/shop/src/test/java/com/acme/shop/ChargeTest.java": lines(11, 1, 12, 1, 13, 1, 14, 1),
		}, map[string]map[int]Branches{
			"/home/runner/work/shop/shop/src/main/java/com/acme/shop/Charge.java": {
				10: named(true, true), 13: named(true, true, false, true), 20: named(false, false),
			},
		}},
		// Joined to the single <source>; method lines repeat class lines
		// and are not counted twice (5 ran 3 times, not 6).
		{"cobertura-coveragepy.xml", Cobertura, map[string]map[int]int{
			"/home/runner/work/shop/shop/src/shop/__init__.py":   lines(1, 1),
			"/home/runner/work/shop/shop/src/shop/charge.py":     lines(1, 1, 4, 1, 5, 3, 6, 3, 7, 1, 8, 2, 10, 1, 11, 0, 12, 0, 13, 0, 14, 0),
			"/home/runner/work/shop/shop/src/shop/api/routes.py": lines(1, 1, 3, 1, 8, 1, 9, 4294967296, 12, 1, 13, 0, 15, 0),
		}, pyBranches},
		// The same run as coverage.py's JSON: ran or not (no counts), and
		// the branches named by their arcs; the functions and classes
		// regions are not counted again.
		{"coveragepy.json", CoveragePy, map[string]map[int]int{
			"src/shop/__init__.py":   lines(1, 1),
			"src/shop/charge.py":     lines(1, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1, 10, 1, 11, 0, 12, 0, 13, 0, 14, 0),
			"src/shop/api/routes.py": lines(1, 1, 3, 1, 8, 1, 9, 1, 12, 1, 13, 0, 15, 0),
		}, map[string]map[int]Branches{
			"src/shop/charge.py":     {6: named(true, true), 12: named(false, false)},
			"src/shop/api/routes.py": {12: named(true, false)},
		}},
		// hits = ci; a partly covered line (12: mi=2 ci=4) is covered, and
		// its branches (mb=1 cb=1) are half taken.
		{"jacoco.xml", JaCoCo, map[string]map[int]int{
			"com/acme/shop/Charge.java":     lines(5, 3, 8, 2, 9, 8, 10, 9, 12, 4, 13, 2, 15, 2, 18, 0, 19, 0, 21, 0),
			"com/acme/shop/util/Money.java": lines(4, 3, 5, 3, 11, 0),
		}, map[string]map[int]Branches{
			"com/acme/shop/Charge.java": {9: counted(2, 2), 12: counted(2, 1), 18: counted(2, 0)},
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
			if !reflect.DeepEqual(r.Branches, tt.branches) {
				t.Errorf("branches:\n got %v\nwant %v", r.Branches, tt.branches)
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
		{"istanbul-coverage-final.json", []string{"src/cart.js", "src/lib/price.js", "src/types.d.ts"}},
		{"clover-jest.xml", []string{"src/cart.js", "src/lib/price.js", "src/types.d.ts"}},
		{"clover-phpunit.xml", []string{"bootstrap.php", "src/Cart.php"}},
		{"clover-openclover.xml", []string{"src/main/java/com/acme/shop/Charge.java", "src/test/java/com/acme/shop/ChargeTest.java"}},
		{"coveragepy.json", []string{"src/shop/__init__.py", "src/shop/api/routes.py", "src/shop/charge.py"}},
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

// TestParseBranchesAndFunctions covers the function and branch records of
// each format beyond the fixtures.
func TestParseBranchesAndFunctions(t *testing.T) {
	type files = map[string]map[int]int
	type branches = map[string]map[int]Branches
	const stmt = `{"start":{"line":%d,"column":0},"end":{"line":%d,"column":9}}`
	tests := []struct {
		name     string
		in       string
		format   Format
		want     files
		branches branches
	}{
		{"lcov: FN with an end line; a name with commas; FNDA summed per name", "SF:a.cc\nFN:3,7,add\nFN:10,max<int, long>\nFNDA:2,add\nFNDA:1,add\nFNDA:0,max<int, long>\nDA:4,1\nend_of_record\n", LCOV,
			files{"a.cc": lines(3, 3, 4, 1, 10, 0)}, nil},
		{"lcov: FNDA for an undeclared function is skipped", "SF:a.c\nFNDA:5,ghost\nDA:1,1\n", LCOV,
			files{"a.c": lines(1, 1)}, nil},
		{"lcov 2: FNL and FNA, aliases share the line's largest count", "SF:a.c\nFNL:0,3,9\nFNA:0,2,main\nFNA:0,5,main_alias\nFNL:1,12\nFNA:1,0,unused\nDA:4,1\nDA:3,1\nend_of_record\n", LCOV,
			files{"a.c": lines(3, 5, 4, 1, 12, 0)}, nil},
		{"lcov: BRDA taken '-', lcov 2 expressions and exception blocks, excluded branches", "SF:a.c\nBRDA:4,0,0,-\nBRDA:4,0,1,2\nBRDA:6,e0,(a, b) == 1,0\nBRDA:6,U1,x,3\nBRDA:6,eU2,y,3\nDA:4,1\nend_of_record\n", LCOV,
			// Line 6 is known only by its branch, which was not taken.
			files{"a.c": lines(4, 1, 6, 0)}, branches{"a.c": {4: named(false, true), 6: named(false)}}},
		{"lcov: a file in two records combines its branches one by one", "SF:a.c\nBRDA:2,0,0,1\nBRDA:2,0,1,0\nDA:2,1\nend_of_record\nSF:a.c\nBRDA:2,0,0,0\nBRDA:2,0,1,4\nDA:2,1\nend_of_record\n", LCOV,
			files{"a.c": lines(2, 2)}, branches{"a.c": {2: named(true, true)}}},
		{"lcov: a branch line without DA that ran", "SF:a.c\nBRDA:9,0,0,3\nBRDA:9,0,1,0\n", LCOV,
			files{"a.c": lines(9, 1)}, branches{"a.c": {9: named(true, false)}}},
		{"lcov: more than 64 branches on a line keep counts only", "SF:a.c\n" + strings.Repeat("BRDA:1,0,0,1\n", 65) + "BRDA:1,0,1,0\n", LCOV,
			files{"a.c": lines(1, 1)}, branches{"a.c": {1: counted(66, 65)}}},
		{"cobertura: branch line without counts has no branch data", `<coverage><packages><package><classes><class filename="a.py"><lines><line number="1" hits="1" branch="true" condition-coverage="100%"/><line number="2" hits="1" branch="false"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			files{"a.py": lines(1, 1, 2, 1)}, nil},
		{"cobertura: a method's line repeats the class's branches, not adds to them", `<coverage><packages><package><classes><class filename="A.java"><methods><method><lines><line number="3" hits="2" branch="true" condition-coverage="75% (3/4)"/></lines></method></methods><lines><line number="3" hits="2" branch="true" condition-coverage="75% (3/4)"/></lines></class></classes></package></packages></coverage>`, Cobertura,
			files{"A.java": lines(3, 2)}, branches{"A.java": {3: counted(4, 3)}}},
		{"jacoco: no branch counters is no branch data", `<report><package name="p"><sourcefile name="A.java"><line nr="1" mi="0" ci="2"/><line nr="2" mi="0" ci="2" mb="0" cb="0"/><line nr="3" mi="1" ci="1" mb="3" cb="1"/></sourcefile></package></report>`, JaCoCo,
			files{"p/A.java": lines(1, 2, 2, 2, 3, 1)}, branches{"p/A.java": {3: counted(4, 1)}}},
		{"clover: a file's name stands for a missing path; a line given twice keeps the larger count", `<coverage generated="1"><project><file name="src/A.php"><line num="3" type="method" count="2"/><line num="3" type="stmt" count="5"/></file></project></coverage>`, Clover,
			files{"src/A.php": lines(3, 5)}, nil},
		{"clover: the same file twice combines its conditions", `<coverage clover="4.5.2"><project><file path="/w/A.java"><line num="4" type="cond" truecount="1" falsecount="0"/></file></project><testproject><file path="/w/A.java"><line num="4" type="cond" truecount="0" falsecount="2"/></file></testproject></coverage>`, Clover,
			files{"/w/A.java": lines(4, 2)}, branches{"/w/A.java": {4: named(true, true)}}},
		{"istanbul: a FileCoverage serialised with its data; functions without decl; ids ordered as numbers", `{"/w/a.js":{"data":{"path":"/w/a.js","statementMap":{"0":` + fmt.Sprintf(stmt, 1, 1) + `},"s":{"0":1},"fnMap":{"0":{"name":"f","loc":{"start":{"line":2,"column":0}}}},"f":{"0":0},` +
			`"branchMap":{"10":{"loc":{"start":{"line":3}},"locations":[{},{}]},"2":{"line":3,"locations":[{},{}]}},"b":{"10":[0,1],"2":[5,0]}}}}`, Istanbul,
			// Branch point 2 comes before 10: its arms are the first two.
			files{"/w/a.js": lines(1, 1, 2, 0, 3, 1)}, branches{"/w/a.js": {3: named(true, false, false, true)}}},
		{"istanbul: lines 0 and null place nothing; a missing count is 0", `{"/w/a.js":{"statementMap":{"0":` + fmt.Sprintf(stmt, 0, 0) + `,"1":{"start":{"line":null}},"2":` + fmt.Sprintf(stmt, 4, 4) + `},"s":{"0":3}}}`, Istanbul,
			files{"/w/a.js": lines(4, 0)}, nil},
		{"istanbul: a branch point without counts is not taken", `{"/w/a.js":{"statementMap":{},"branchMap":{"0":{"line":7,"locations":[{},{},{}]}}}}`, Istanbul,
			files{"/w/a.js": lines(7, 0)}, branches{"/w/a.js": {7: named(false, false, false)}}},
		{"coverage.py: format 1 (no branches), keys in another order", `{"files":{"a.py":{"missing_lines":[2],"executed_lines":[1,3]}},"meta":{"version":"5.5"}}`, CoveragePy,
			files{"a.py": lines(1, 1, 2, 0, 3, 1)}, nil},
		{"coverage.py: exits and loops; branches named by target", `{"meta":{"format":2},"files":{"a.py":{"executed_lines":[1,2,3],"missing_lines":[],"executed_branches":[[2,-1],[1,3]],"missing_branches":[[2,3],[1,2]]}}}`, CoveragePy,
			files{"a.py": lines(1, 1, 2, 1, 3, 1)}, branches{"a.py": {1: named(false, true), 2: named(true, false)}}},
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
			if !reflect.DeepEqual(r.Branches, tt.branches) {
				t.Errorf("branches:\n got %v\nwant %v", r.Branches, tt.branches)
			}
		})
	}
}

// TestParseErrors checks what the uploader is told, word for word.
func TestParseErrors(t *testing.T) {
	const supported = "upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura, JaCoCo or Clover XML, Istanbul's coverage-final.json or coverage.py's JSON report"
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
		{"unknown text", "\nPASS\nok  \texample.com/m\t0.1s\n", `report line 2: the format is not recognized (it starts "PASS"); upload a Go cover profile (go test -coverprofile), an LCOV tracefile, Cobertura, JaCoCo or Clover XML, Istanbul's coverage-final.json or coverage.py's JSON report`},
		{"JSON of another kind", `{"/src/a.js": {"path": "/src/a.js"}}`, `report line 1 at ["/src/a.js"]: the report is JSON, but not Istanbul's coverage-final.json (an object of files) nor coverage.py's JSON report (meta and files); ` + supported},
		{"JSON list", "\n[1, 2]", "report line 2: the report is a JSON list, which is no coverage format mergeguard reads; " + supported},
		{"Istanbul summary", `{"total": {"lines": {"total": 3, "covered": 2, "pct": 66.67}}}`, `report line 1 at ["total"]: this is Istanbul's coverage-summary.json, which has percentages but no lines; upload coverage-final.json (the json reporter) or lcov.info instead`},
		{"raw V8 coverage", `{"result": [{"scriptId": "1", "url": "file:///a.js", "functions": []}]}`, "report line 1: the report is raw V8 coverage (NODE_V8_COVERAGE); convert it first (c8 report --reporter=lcov, or --reporter=json for coverage-final.json) and upload that"},
		{"malformed JSON", "{\n\"/a.js\": {\"s\": {\"0\": 1,}}}", `report line 2 at ["/a.js"]: the JSON is malformed: invalid character '}' looking for beginning of object key string`},
		{"gzip", "\x1f\x8b\x08\x00", "report: the report is gzip-compressed; upload it uncompressed (the upload itself may use Content-Encoding)"},
		{"UTF-16", "\xff\xfe<\x00c\x00", "report: the report is UTF-16 text; write it as UTF-8 (PowerShell: Out-File -Encoding utf8)"},
		{"other XML root", `<?xml version="1.0"?><testsuites><testsuite/></testsuites>`, `report line 1 at /testsuites: the XML root element is <testsuites>, which is none of Cobertura's or Clover's <coverage> and JaCoCo's <report>; ` + supported},
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
		{"lcov: DA without hits", "SF:a.c\nDA:7\n", `lcov report line 2: in "DA:7" the hit count is missing; the form is DA:<line>,<hits>`},
		{"lcov: negative hits", "SF:a.c\nDA:7,-1\n", `lcov report line 2: in "DA:7,-1" the hit count is negative; counts and line numbers cannot be`},
		{"lcov: fractional hits", "SF:a.c\nDA:7,1.5\n", `lcov report line 2: in "DA:7,1.5" the hit count is not a whole number`},
		{"lcov: line 0", "SF:a.c\nDA:0,1\n", `lcov report line 2: in "DA:0,1" the line number is 0; line numbers start at 1`},
		{"lcov: not a record", "SF:a.c\nDA:1,1\nthis is not lcov\n", `lcov report line 3: "this is not lcov" is not an LCOV record; records are KEY:VALUE (SF:, DA:, …) or end_of_record`},
		{"lcov: BRDA without a count", "SF:a.c\nBRDA:3,0,0\n", `lcov report line 2: in "BRDA:3,0,0" the form is BRDA:<line>,<block>,<branch>,<taken>`},
		{"lcov: BRDA with a bad count", "SF:a.c\nBRDA:3,0,0,yes\n", `lcov report line 2: in "BRDA:3,0,0,yes" the taken count is not a whole number (or "-" for a block that never ran)`},
		{"lcov: FN without a name", "SF:a.c\nFN:3\n", `lcov report line 2: in "FN:3" the function name is missing; the form is FN:<line>,<name>`},
		{"lcov: FNA before its FNL", "SF:a.c\nFNA:0,1,main\n", `lcov report line 2: in "FNA:0,1,main" no FNL:0 line comes before it, so the function has no line`},
		{"lcov: BRDA before SF", "TN:\nBRDA:1,0,0,1\n", `lcov report line 2: "BRDA:1,0,0,1" comes before any SF: line (or after end_of_record), so it belongs to no file; every BRDA: must follow the SF: of its file`},
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
		{"cobertura: bad condition-coverage", fmt.Sprintf(cob, `<line number="3" hits="1" branch="true" condition-coverage="50% (3/2)"/>`), `cobertura report line 1 at /coverage/packages/package[@name="p"]/classes/class[@filename="c.py"]/lines/line[@number="3"]: condition-coverage="50% (3/2)" does not say how many branches were taken of how many, as in "50% (1/2)"`},
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
		{"jacoco: bad branch counter", fmt.Sprintf(jac, `<line nr="3" mi="0" ci="1" mb="x" cb="0"/>`), `jacoco report line 1 at /report/package[@name="com/acme"]/sourcefile[@name="A.java"]/line[@nr="3"]: mb="x" is not a whole number`},

		// Clover.
		{"clover: statement without count", `<coverage clover="3.2.0"><project><file name="a.js" path="/w/a.js"><line num="3" type="stmt"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file[@name="a.js"]/line[@num="3"]: <line> has no count attribute`},
		{"clover: cond without falsecount", `<coverage clover="4.5.2"><project><file path="/w/A.java"><line num="3" type="cond" truecount="1"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file/line[@num="3"]: <line> has no falsecount attribute`},
		{"clover: negative truecount", `<coverage clover="3.2.0"><project><file name="a.js"><line num="3" type="cond" count="1" truecount="-1" falsecount="0"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file[@name="a.js"]/line[@num="3"]: truecount="-1" is negative; counts and line numbers cannot be`},
		{"clover: line outside a file", `<coverage generated="1"><project><line num="3" type="stmt" count="1"/></project></coverage>`, `clover report line 1 at /coverage/project/line[@num="3"]: a <line> is outside any <file>, so it belongs to no file; lines go in <file>`},
		{"clover: file without name or path", `<coverage generated="1"><project><file><line num="3" count="1"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file: <file> has neither a path nor a name attribute, so its lines cannot be tied to a file`},
		{"clover: nested files", `<coverage generated="1"><project><file name="a"><file name="b"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file[@name="a"]/file[@name="b"]: a <file> is nested in another <file>; Clover files are children of <project> or <package>`},
		{"clover: no files", `<coverage generated="1"><project timestamp="1"><metrics files="0"/></project></coverage>`, "clover report: the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"},

		// Istanbul.
		{"istanbul: negative count", `{"/w/a.js":{"statementMap":{"0":{"start":{"line":1}}},"s":{"0":-1}}}`, `istanbul report line 1 at ["/w/a.js"]: a count is -1, which is negative; counts and line numbers cannot be`},
		{"istanbul: fractional count", `{"/w/a.js":{"statementMap":{},"b":{"0":[1.5,0]}}}`, `istanbul report line 1 at ["/w/a.js"]: a count is 1.5, which is not a whole number`},
		{"istanbul: statementMap is a list", `{"/w/a.js":{"statementMap":[1]}}`, `istanbul report line 1 at ["/w/a.js"]: statementMap is array, not an object`},
		{"istanbul: line is text", "{\n\"/w/a.js\":{\"statementMap\":{\"0\":{\"start\":{\"line\":\"one\"}}}}}", `istanbul report line 2 at ["/w/a.js"]: a line number is "one", which is not a whole number`},
		{"istanbul: truncated", "{\"/w/a.js\":{\"statementMap\":{},\n\"s\":{\"0\":1", `istanbul report line 2 at ["/w/a.js"]: the JSON ends before it is complete; the upload may be truncated, or the tool stopped while writing it`},
		{"istanbul: two reports joined", `{"/w/a.js":{"statementMap":{}}}{"/w/b.js":{"statementMap":{}}}`, "istanbul report line 1: the report goes on after its JSON object ends; it may be two reports joined together — upload each one separately (one flag each)"},
		{"istanbul: empty", `{}`, "istanbul report: the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"},

		// coverage.py.
		{"coverage.py: no files", `{"meta":{"format":3},"totals":{}}`, `coverage.py report: the report has no "files" object; upload the report coverage json writes, unchanged`},
		{"coverage.py: files is a list", `{"meta":{"format":3},"files":[]}`, "coverage.py report line 1 at .files: files must be a JSON object"},
		{"coverage.py: a file without lines", `{"meta":{"format":3},"files":{"a.py":{"summary":{}}}}`, `coverage.py report line 1 at .files["a.py"]: the file has neither executed_lines nor missing_lines; upload the report coverage json writes, unchanged`},
		{"coverage.py: a line that is not a number", `{"files":{"a.py":{"executed_lines":[1,"2"]}}}`, `coverage.py report line 1 at .files["a.py"]: a line number is "2", which is not a whole number`},
		{"coverage.py: an arc that is not a pair of numbers", `{"files":{"a.py":{"executed_lines":[1],"executed_branches":[[1,2.5]]}}}`, `coverage.py report line 1 at .files["a.py"]: executed_branches is number 2.5, not a whole number`},
		{"coverage.py: no file has lines", `{"meta":{},"files":{}}`, "coverage.py report: the report covers no files; check that the tests ran and that the coverage tool was told which sources to measure"},
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

	// Branches: named ones combine branch by branch, counted ones keep the
	// larger count; a file only one side has is copied.
	withBranches := Report{
		Files:    map[string]map[int]int{"a.go": lines(1, 1, 2, 1), "d.js": lines(5, 1)},
		Branches: map[string]map[int]Branches{"a.go": {1: named(true, false), 2: counted(4, 1)}, "d.js": {5: named(false, true)}},
	}
	other := Report{
		Files:    map[string]map[int]int{"a.go": lines(1, 1, 2, 1)},
		Branches: map[string]map[int]Branches{"a.go": {1: named(false, true), 2: counted(4, 3)}},
	}
	withBranches.Merge(other)
	wantBranches := map[string]map[int]Branches{"a.go": {1: named(true, true), 2: counted(4, 3)}, "d.js": {5: named(false, true)}}
	if !reflect.DeepEqual(withBranches.Branches, wantBranches) {
		t.Errorf("merged branches:\n got %v\nwant %v", withBranches.Branches, wantBranches)
	}
	var fresh Report
	fresh.Merge(other)
	fresh.Merge(Report{Files: map[string]map[int]int{"a.go": lines(1, 0)}, Branches: map[string]map[int]Branches{"a.go": {1: named(true, false)}}})
	if other.Branches["a.go"][1] != named(false, true) {
		t.Errorf("Merge changed its input's branches: %v", other.Branches)
	}
	if fresh.Branches["a.go"][1] != named(true, true) {
		t.Errorf("merged into a copy: %v", fresh.Branches)
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
		{"clover files", `<coverage generated="1"><project><file name="a"/><file name="b"/><file name="c"/></project></coverage>`, `clover report line 1 at /coverage/project/file[@name="c"]: the report has more than 2 files`},
		{"clover lines: a condition's line counts", `<coverage clover="4"><project><file name="a"><line num="1" count="1"/><line num="2" count="1"/><line num="3" count="1"/><line num="4" type="cond" truecount="1" falsecount="0"/></file></project></coverage>`, `clover report line 1 at /coverage/project/file[@name="a"]/line[@num="4"]: the report has more than 3 coverable lines`},
		{"istanbul files", `{"a":{"statementMap":{}},"b":{"statementMap":{}},"c":{"statementMap":{}}}`, `istanbul report line 1 at ["c"]: the report has more than 2 files`},
		{"istanbul lines: a branch's line counts", `{"a":{"statementMap":{"0":{"start":{"line":1}},"1":{"start":{"line":2}},"2":{"start":{"line":3}}},"branchMap":{"0":{"line":9,"locations":[{}]}}}}`, `istanbul report line 1 at ["a"]: the report has more than 3 coverable lines`},
		{"coverage.py files", `{"files":{"a.py":{"executed_lines":[1]},"b.py":{"executed_lines":[1]},"c.py":{"executed_lines":[1]}}}`, `coverage.py report line 1 at .files["c.py"]: the report has more than 2 files`},
		{"coverage.py lines", `{"files":{"a.py":{"executed_lines":[1,2],"missing_lines":[3,4]}}}`, `coverage.py report line 1 at .files["a.py"]: the report has more than 3 coverable lines`},
		{"lcov lines: a function's line counts", "SF:a\nFN:9,f\nDA:1,1\nDA:2,1\nDA:3,1\nend_of_record\n", "lcov report line 6: the report has more than 3 coverable lines"},
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
