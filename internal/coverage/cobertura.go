package coverage

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Cobertura XML, as coverage.py, Istanbul, gcovr, coverlet and Cobertura
// itself write it:
//
//	<coverage>
//	  <sources><source>/home/runner/work/shop/shop/src</source></sources>
//	  <packages><package name="shop">
//	    <classes><class name="charge.py" filename="shop/charge.py">
//	      <methods><method …><lines><line number="3" hits="1"/></lines></method></methods>
//	      <lines><line number="3" hits="1"/><line number="4" hits="0" branch="true" …/></lines>
//	    </class></classes>
//	  </package></packages>
//	</coverage>
//
// A line inside <methods> repeats a line of the class, and one file can be
// several <class> elements (Java inner classes, coverlet's per-type
// classes) that measure the same lines of the same run. Every <line> of a
// class is read, and a line seen twice keeps its larger count: a repeat is
// the same execution described again, so summing would double count it,
// and reading the method lines too covers the generators that put lines
// only there.
//
// Paths: a class's filename is relative to a <source> root. With exactly
// one source, a relative filename is joined to it, because that yields the
// path the file really had on the CI machine, which Normalize can then
// turn into the exact repository path (coverage.py with --source=src
// writes filename="shop/charge.py" under source ".../shop/src"; joined it
// becomes src/shop/charge.py, without the join it could only be matched by
// suffix). With several sources the file could be under any of them, so
// filenames stay as written and Match finds them by suffix.
var coberturaKeys = map[string]string{"package": "name", "class": "filename", "line": "number"}

func parseCobertura(data []byte) (Report, error) {
	w := newXMLWalker(data, Cobertura, "coverage", coberturaKeys)
	set := newFileSet()
	var (
		sources []string
		source  *strings.Builder // text of the <source> being read
		cur     map[int]int      // lines of the file of the open <class>
	)
	for {
		tok, err := w.next(source != nil)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Report{}, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			// Bounded by the upload: the text is a copy of part of it.
			source.Write(t)
		case xml.EndElement:
			switch t.Name.Local {
			case "source":
				if source != nil {
					if s := strings.TrimSpace(source.String()); s != "" {
						sources = append(sources, s)
					}
					source = nil
				}
			case "class":
				cur = nil // classes do not nest (checked at the start)
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "project":
				// Clover XML (PHPUnit, Istanbul's clover reporter) has a
				// <coverage> root too, with <project> under it.
				if w.parent() == "coverage" {
					return Report{}, w.fail("this is a Clover report (<coverage><project>), not Cobertura; write Cobertura XML instead (PHPUnit: --coverage-cobertura; Istanbul/nyc/Jest: the cobertura reporter) or LCOV")
				}
			case "source":
				if w.parent() == "sources" {
					source = new(strings.Builder)
				}
			case "class":
				if cur != nil {
					return Report{}, w.fail("a <class> is nested in another <class>; Cobertura classes are siblings under <classes>")
				}
				filename := attr(t, "filename")
				if strings.TrimSpace(filename) == "" {
					return Report{}, w.fail(fmt.Sprintf("<class name=%q> has no filename attribute, so its lines cannot be tied to a file; configure the coverage tool to record source file names", clip(attr(t, "name"))))
				}
				lines, ok := set.file(filename)
				if !ok {
					return Report{}, w.at(tooManyFiles(Cobertura))
				}
				cur = lines
			case "line":
				if cur == nil {
					return Report{}, w.fail("a <line> is outside any <class>, so it belongs to no file; lines go in <class><lines>")
				}
				n, err := w.lineAttr(t, "number")
				if err != nil {
					return Report{}, err
				}
				hits, err := w.countAttr(t, "hits")
				if err != nil {
					return Report{}, err
				}
				if !set.set(cur, n, hits, maxHits) {
					return Report{}, w.at(tooManyLines(Cobertura))
				}
			}
		}
	}
	r := set.report()
	if len(sources) == 1 {
		r.Files = underSource(r.Files, sources[0])
	}
	return r, nil
}

// underSource joins relative filenames to the single source root. Two
// filenames can become one path ("a.py" and "./a.py" under "."), in which
// case their lines are combined like repeated classes.
func underSource(files map[string]map[int]int, source string) map[string]map[int]int {
	root := strings.TrimRight(source, `/\`)
	out := make(map[string]map[int]int, len(files))
	for name, lines := range files {
		p := name
		if !isAbs(strings.ReplaceAll(name, `\`, "/")) {
			p = root + "/" + name
		}
		if prev, ok := out[p]; ok {
			for l, h := range lines {
				prev[l] = max(prev[l], h)
			}
			continue
		}
		out[p] = lines
	}
	return out
}
