package coverage

import (
	"errors"
	"math/bits"
	"reflect"
	"testing"
)

// The fuzz targets assert what the upload handler relies on for any input:
// no panic; either an *Error with a problem stated, or a report within the
// limits whose lines are ≥ 1 and hits ≥ 0; and Match finds every path of
// the report (as parsed and as normalized) as itself, with the same lines,
// and agrees with the index-free scan on suffix lookups.

func FuzzGoCover(f *testing.F) {
	seed(f, "go-count.out", "go-coverpkg.out")
	for _, s := range []string{
		"mode: set\nm/a.go:1.1,2.2 1 1\n",
		"mode: count\nm/a.go:1.1,10.2 1 1\nm/a.go:3.1,4.2 1 5\nm/a.go:4.1,6.2 1 0\nm/b.go:3.14,3.15 0 1\n",
		"mode: atomic\r\n_/C:/w/a.go:1.1,1.2 1 99999999999999999999\r\n",
		"mode: set\nm/a.go:5.1,2.2 1 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseGoCover(data)
		check(t, r, err, GoCover)
		checkParse(t, data)
	})
}

func FuzzLCOV(f *testing.F) {
	seed(f, "lcov-nyc.info")
	for _, s := range []string{
		"TN:\nSF:a.c\nDA:1,5,abc\nDA:2,0\nend_of_record\n",
		"SF:a.c\r\nDA:1,1\r\nSF:b.c\r\nDA:1,-1\r\n",
		"DA:1,1\n",
		"SF:a\\b.c\nFN:1,f\nFNDA:1,f\nBRDA:1,0,0,-\nLF:1\nLH:1\nend_of_record\nend_of_record\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseLCOV(data)
		check(t, r, err, LCOV)
		checkParse(t, data)
	})
}

func FuzzCobertura(f *testing.F) {
	seed(f, "cobertura-coveragepy.xml")
	for _, s := range []string{
		`<coverage><sources><source>/a</source></sources><packages><package name="p"><classes><class filename="x.py"><methods><method><lines><line number="1" hits="2"/></lines></method></methods><lines><line number="1" hits="2"/></lines></class></classes></package></packages></coverage>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><coverage><packages><package><classes><class filename="caf` + "\xe9" + `"><lines><line number="1" hits="-1"/></lines></class></classes></package></packages></coverage>`,
		`<coverage><sources><source>.</source></sources><packages><package><classes><class filename="./a"/><class filename="a"/></classes></package></packages></coverage>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseCobertura(data)
		check(t, r, err, Cobertura)
		checkParse(t, data)
	})
}

func FuzzClover(f *testing.F) {
	seed(f, "clover-jest.xml", "clover-phpunit.xml", "clover-openclover.xml")
	for _, s := range []string{
		`<coverage generated="1"><project><file name="/w/a.php"><line num="3" type="stmt" count="1"/></file></project></coverage>`,
		`<coverage clover="4.5.2"><project><package name="p"><file path="/w/A.java"><line num="4" type="cond" truecount="1" falsecount="0"/><line num="4" type="cond" truecount="0" falsecount="0"/></file></package></project><testproject><file path="/w/A.java"><line num="4" type="cond" truecount="0" falsecount="9"/></file></testproject></coverage>`,
		`<coverage clover="3.2.0"><project><file name="a.js" path="/w/a.js"><line num="2147483648" count="1" type="cond" truecount="-1" falsecount="1"/></file></project></coverage>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseClover(data)
		check(t, r, err, Clover)
		checkParse(t, data)
	})
}

func FuzzIstanbul(f *testing.F) {
	seed(f, "istanbul-coverage-final.json")
	for _, s := range []string{
		`{}`,
		`{"/w/a.js":{"data":{"statementMap":{"0":{"start":{"line":1}}},"s":{"0":1},"fnMap":{"0":{"loc":{"start":{"line":2}}}},"f":{"0":0},"branchMap":{"10":{"line":3},"2":{"loc":{"start":{"line":3}},"locations":[{},{}]}},"b":{"10":[0,1],"2":[5,0]}}}}`,
		`{"/w/a.js":{"statementMap":{"0":{"start":{"line":null}}},"s":{"0":-1}}}{}`,
		`{"":{"path":"","statementMap":[],"b":{"0":[1e99]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseIstanbul(data)
		check(t, r, err, Istanbul)
		checkParse(t, data)
	})
}

func FuzzCoveragePy(f *testing.F) {
	seed(f, "coveragepy.json")
	for _, s := range []string{
		`{"meta":{"format":3},"files":{"a.py":{"executed_lines":[1,2],"missing_lines":[3],"executed_branches":[[1,2],[2,-1]],"missing_branches":[[1,3],[0,3]]}}}`,
		`{"files":{"a.py":{"executed_lines":[2147483648],"missing_branches":[[2147483648,1]]}},"totals":{}}`,
		`{"files":{},"files":{"b.py":{"missing_lines":[]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseCoveragePy(data)
		check(t, r, err, CoveragePy)
		checkParse(t, data)
	})
}

func FuzzJaCoCo(f *testing.F) {
	seed(f, "jacoco.xml")
	for _, s := range []string{
		`<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report><group name="g"><package name="com/acme"><sourcefile name="A.java"><line nr="1" mi="0" ci="3" mb="0" cb="0"/></sourcefile></package></group></report>`,
		`<!DOCTYPE report [<!ENTITY x "y">]><report><package name="&x;"/></report>`,
		`<report><package name=""><sourcefile name="A.java"><line nr="2147483648" mi="1" ci="0"/></sourcefile></package></report>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseJaCoCo(data)
		check(t, r, err, JaCoCo)
		checkParse(t, data)
	})
}

// FuzzParse exercises detection and the dispatch to the parsers.
func FuzzParse(f *testing.F) {
	seed(f, "go-count.out", "lcov-nyc.info", "cobertura-coveragepy.xml", "jacoco.xml",
		"clover-jest.xml", "istanbul-coverage-final.json", "coveragepy.json")
	for _, s := range []string{
		"", "\ufeff\n\nmode: set\n", "TN:\n", "SF:x\n", "<?xml version=\"1.0\"?><testsuites/>",
		"{}", "\x1f\x8b", "\xff\xfe<\x00", "<coverage/>", "<report/>", "  \n<!-- c --><coverage><packages/></coverage>",
		`<coverage generated="1"><project/></coverage>`, `{"meta":{}}`, `{"total":{"lines":{}}}`, `{"result":[]}`, "[]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data)
	})
}

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		f.Add(fixture(f, name))
	}
}

// checkParse runs Parse and checks its result; a report from Parse is never
// empty.
func checkParse(t *testing.T, data []byte) {
	r, format, err := Parse(data)
	check(t, r, err, format)
	if err == nil && len(r.Files) == 0 {
		t.Fatal("Parse returned a report without files and no error")
	}
	if err == nil && format == "" {
		t.Fatal("Parse returned a report without a format")
	}
}

func check(t *testing.T, r Report, err error, format Format) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not an *Error: %v", err, err)
		}
		if e.Problem == "" || e.Line < 0 {
			t.Fatalf("error without a problem or with line %d: %#v", e.Line, e)
		}
		if e.Format != "" && e.Format != format {
			t.Fatalf("error names format %q, parsed as %q", e.Format, format)
		}
		return
	}
	if len(r.Files) > MaxFiles {
		t.Fatalf("%d files, above the limit", len(r.Files))
	}
	total := 0
	for path, lines := range r.Files {
		if lines == nil {
			t.Fatalf("%q has a nil line map", path)
		}
		for line, hits := range lines {
			if line < 1 || line > maxLineNumber || hits < 0 {
				t.Fatalf("%q: line %d hits %d", path, line, hits)
			}
		}
		total += len(lines)
	}
	if total > MaxLines {
		t.Fatalf("%d lines, above the limit", total)
	}
	checkBranches(t, r)
	checkMatch(t, Report{Files: r.Files, index: new(matchIndex)})
	n := r.Normalize("acme/shop")
	checkMatch(t, n)
	checkBranches(t, n)
}

// checkBranches: branch coverage is only on coverable lines, and its
// counts agree with each other and with the named branches.
func checkBranches(t *testing.T, r Report) {
	t.Helper()
	for path, lines := range r.Branches {
		for line, b := range lines {
			if _, ok := r.Files[path][line]; !ok {
				t.Fatalf("%q line %d has branches but is not a coverable line", path, line)
			}
			if b.Total < 1 || b.Taken < 0 || b.Taken > b.Total {
				t.Fatalf("%q line %d: %+v", path, line, b)
			}
			if b.Named && (b.Total > 64 || int32(bits.OnesCount64(b.Which)) != b.Taken) || !b.Named && b.Which != 0 {
				t.Fatalf("%q line %d: named branches disagree with the counts: %+v", path, line, b)
			}
		}
	}
}

// checkMatch: every path matches itself with its own lines, and suffix
// lookups give the same answer with the index and without.
func checkMatch(t *testing.T, r Report) {
	t.Helper()
	scan := Report{Files: r.Files}
	n := 0
	for path, lines := range r.Files {
		got, p, ok := r.Match(path)
		if !ok || p != path || reflect.ValueOf(got).UnsafePointer() != reflect.ValueOf(lines).UnsafePointer() {
			t.Fatalf("Match(%q) = %q, %v", path, p, ok)
		}
		if n++; n > 50 {
			continue // enough for the suffix comparisons below
		}
		for _, q := range []string{"repo/" + path, fileName(path), "x/" + fileName(path)} {
			_, p1, ok1 := r.Match(q)
			_, p2, ok2 := scan.Match(q)
			if p1 != p2 || ok1 != ok2 {
				t.Fatalf("Match(%q): index gives %q %v, scan gives %q %v", q, p1, ok1, p2, ok2)
			}
			if ok1 && sharedSuffix(p1, q) == 0 {
				t.Fatalf("Match(%q) = %q, which shares no file name", q, p1)
			}
		}
	}
}
