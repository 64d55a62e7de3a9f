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
// Branches: a line with branch="true" says how many of its branches were
// taken in condition-coverage="50% (1/2)"; only the counts in parentheses
// are read (coverage.py, Istanbul, gcovr, coverlet and Cobertura write
// them), and a branch line without them has no branch data.
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
		cur     *fileData        // the file of the open <class>
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
				// Clover XML has a <coverage> root too; detection sends it
				// to its own parser, so a <project> here is misplaced.
				if w.parent() == "coverage" {
					return Report{}, w.fail("this is a Clover report (<coverage><project>), not Cobertura; upload it as it is, and it is read as Clover")
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
				f, ok := set.file(filename)
				if !ok {
					return Report{}, w.at(tooManyFiles(Cobertura))
				}
				cur = f
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
				b, err := w.conditionCoverage(t)
				if err != nil {
					return Report{}, err
				}
				if !set.setBranches(cur, n, b) {
					return Report{}, w.at(tooManyLines(Cobertura))
				}
			}
		}
	}
	r := set.report()
	if len(sources) == 1 {
		root := strings.TrimRight(sources[0], `/\`)
		r = r.rename(func(name string) string {
			if isAbs(strings.ReplaceAll(name, `\`, "/")) {
				return name
			}
			return root + "/" + name
		}, maxHits)
	}
	return r, nil
}

// conditionCoverage reads a branch line's condition-coverage="50% (1/2)";
// no branches when the line is not a branch or the counts are not given.
func (w *xmlWalker) conditionCoverage(t xml.StartElement) (Branches, error) {
	if attr(t, "branch") != "true" {
		return Branches{}, nil
	}
	v := attr(t, "condition-coverage")
	open, close := strings.IndexByte(v, '('), strings.LastIndexByte(v, ')')
	if open < 0 || close < open {
		return Branches{}, nil
	}
	takenStr, totalStr, ok := strings.Cut(v[open+1:close], "/")
	taken, p1 := parseHits(takenStr)
	total, p2 := parseHits(totalStr)
	if !ok || p1 != "" || p2 != "" || taken > total {
		return Branches{}, w.fail(fmt.Sprintf("condition-coverage=%q does not say how many branches were taken of how many, as in \"50%% (1/2)\"", clip(v)))
	}
	if total == 0 {
		return Branches{}, nil
	}
	return counted(total, taken), nil
}
