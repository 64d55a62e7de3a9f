package coverage

import (
	"encoding/xml"
	"io"
	"strings"
)

// Clover XML, as PHPUnit (--coverage-clover), Istanbul's clover reporter
// (Jest's default, nyc, Vitest) and OpenClover write it:
//
//	<coverage generated="1718000000" clover="3.2.0">
//	  <project timestamp="1718000000" name="All files">
//	    <metrics …/>
//	    <package name="src.cart">          (optional; files may sit in <project>)
//	      <file name="cart.js" path="/home/runner/work/shop/shop/src/cart.js">
//	        <metrics …/>  <class …/>
//	        <line num="3" count="2" type="stmt"/>
//	        <line num="9" type="method" name="add" count="4" …/>
//	        <line num="12" count="5" type="cond" truecount="1" falsecount="1"/>
//	      </file>
//	    </package>
//	  </project>
//	  <testproject …>…</testproject>        (OpenClover: the test sources)
//	</coverage>
//
// A file's path is its path attribute, else its name (PHPUnit writes the
// absolute path as the name). A line's hits are its count; a line listed
// twice (a method's line and a statement on it) keeps the larger count.
//
// A cond line's truecount and falsecount mean different things by writer,
// and the count attribute tells which wrote it:
//   - Istanbul writes count on every line, and for a cond line the number
//     of the line's branches that were taken (truecount) and not taken
//     (falsecount): truecount+falsecount branches, truecount taken, counts
//     only.
//   - OpenClover writes no count on a cond line, one cond line per
//     condition, and how often the condition was true and false: two named
//     branches each, taken when their count is above 0, and the line ran
//     truecount+falsecount times.
var cloverKeys = map[string]string{"package": "name", "file": "name", "line": "num"}

func parseClover(data []byte) (Report, error) {
	w := newXMLWalker(data, Clover, "coverage", cloverKeys)
	set := newFileSet()
	var (
		cur *fileData
		// conds are the open file's OpenClover conditions by line: each
		// adds two branches, so they are collected before being combined
		// with what another <file> of the same path said.
		conds map[int]*Branches
		order []int
	)
	for {
		tok, err := w.next(false)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Report{}, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local != "file" || cur == nil {
				continue
			}
			for _, line := range order {
				if !set.setBranches(cur, line, *conds[line]) {
					return Report{}, w.at(tooManyLines(Clover))
				}
			}
			cur, conds, order = nil, nil, nil
		case xml.StartElement:
			switch t.Name.Local {
			case "file":
				if cur != nil {
					return Report{}, w.fail("a <file> is nested in another <file>; Clover files are children of <project> or <package>")
				}
				path := attr(t, "path")
				if strings.TrimSpace(path) == "" {
					path = attr(t, "name")
				}
				if strings.TrimSpace(path) == "" {
					return Report{}, w.fail("<file> has neither a path nor a name attribute, so its lines cannot be tied to a file")
				}
				f, ok := set.file(path)
				if !ok {
					return Report{}, w.at(tooManyFiles(Clover))
				}
				cur = f
			case "line":
				if cur == nil {
					return Report{}, w.fail("a <line> is outside any <file>, so it belongs to no file; lines go in <file>")
				}
				n, err := w.lineAttr(t, "num")
				if err != nil {
					return Report{}, err
				}
				if attr(t, "type") != "cond" || hasAttr(t, "count") {
					// A statement, a method, or Istanbul's cond line.
					hits, err := w.countAttr(t, "count")
					if err != nil {
						return Report{}, err
					}
					if !set.set(cur, n, hits, maxHits) {
						return Report{}, w.at(tooManyLines(Clover))
					}
					if attr(t, "type") != "cond" {
						continue
					}
				}
				tc, err := w.countAttr(t, "truecount")
				if err != nil {
					return Report{}, err
				}
				fc, err := w.countAttr(t, "falsecount")
				if err != nil {
					return Report{}, err
				}
				if hasAttr(t, "count") {
					if total := addHits(tc, fc); total > 0 && !set.setBranches(cur, n, counted(total, tc)) {
						return Report{}, w.at(tooManyLines(Clover))
					}
					continue
				}
				// OpenClover: the condition's line ran as often as it was
				// decided.
				if !set.set(cur, n, addHits(tc, fc), maxHits) {
					return Report{}, w.at(tooManyLines(Clover))
				}
				if conds == nil {
					conds = map[int]*Branches{}
				}
				b, ok := conds[n]
				if !ok {
					b = &Branches{}
					conds[n] = b
					order = append(order, n)
				}
				b.add(tc > 0)
				b.add(fc > 0)
			}
		}
	}
	return set.report(), nil
}

// isCloverRoot tells Clover's <coverage> root from Cobertura's: Istanbul
// and OpenClover give it a clover attribute, PHPUnit does not, but every
// writer puts a <project> first inside it, which Cobertura never has.
func isCloverRoot(root xml.StartElement, firstChild string) bool {
	return hasAttr(root, "clover") || firstChild == "project" || firstChild == "testproject"
}
