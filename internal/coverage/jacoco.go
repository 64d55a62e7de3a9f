package coverage

import (
	"encoding/xml"
	"io"
	"strings"
)

// JaCoCo XML (jacoco:report, Gradle's jacocoTestReport, report-aggregate):
//
//	<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">
//	<report name="shop">
//	  <sessioninfo …/>
//	  <group name="shop-core">              (aggregate reports; groups nest)
//	    <package name="com/acme/shop">
//	      <class …><method …><counter …/></method></class>
//	      <sourcefile name="Charge.java">
//	        <line nr="12" mi="0" ci="3" mb="0" cb="0"/>
//	      </sourcefile>
//	    </package>
//	  </group>
//	</report>
//
// A file's path is its package's name, which JaCoCo writes with slashes,
// plus the source file's name: com/acme/shop/Charge.java. JaCoCo knows no
// more (not the module directory, not src/main/java), so Match finds the
// repository file by that suffix.
//
// JaCoCo counts bytecode instructions per line: mi missed, ci covered. A
// line is coverable when it has instructions at all (mi+ci > 0) and its
// hits are ci, so it is covered when any of its instructions ran. (ci is
// not an execution count; diff coverage only needs covered or not.) Its
// branches are mb missed and cb covered, counts only. A path
// seen twice — the same package in two groups of an aggregate report —
// keeps the larger ci per line.
var jacocoKeys = map[string]string{"group": "name", "package": "name", "sourcefile": "name", "line": "nr"}

func parseJaCoCo(data []byte) (Report, error) {
	w := newXMLWalker(data, JaCoCo, "report", jacocoKeys)
	set := newFileSet()
	var (
		pkg   string    // name of the open <package>
		inPkg bool      // a <package> is open
		cur   *fileData // the open <sourcefile>
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
			switch t.Name.Local {
			case "package":
				inPkg, cur = false, nil
			case "sourcefile":
				cur = nil
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "package":
				if inPkg {
					return Report{}, w.fail("a <package> is nested in another <package>; JaCoCo packages are children of <report> or <group>")
				}
				inPkg = true
				pkg = strings.Trim(attr(t, "name"), "/")
			case "sourcefile":
				if !inPkg {
					return Report{}, w.fail("a <sourcefile> is outside any <package>, so its path is unknown; sourcefiles go in <package>")
				}
				if cur != nil {
					return Report{}, w.fail("a <sourcefile> is nested in another <sourcefile>")
				}
				name := attr(t, "name")
				if strings.TrimSpace(name) == "" {
					return Report{}, w.fail("<sourcefile> has no name attribute, so its lines cannot be tied to a file")
				}
				path := name
				if pkg != "" { // "" is Java's default package
					path = pkg + "/" + name
				}
				f, ok := set.file(path)
				if !ok {
					return Report{}, w.at(tooManyFiles(JaCoCo))
				}
				cur = f
			case "line":
				if cur == nil {
					return Report{}, w.fail("a <line> is outside any <sourcefile>, so it belongs to no file; lines go in <package><sourcefile>")
				}
				n, err := w.lineAttr(t, "nr")
				if err != nil {
					return Report{}, err
				}
				mi, err := w.countAttr(t, "mi")
				if err != nil {
					return Report{}, err
				}
				ci, err := w.countAttr(t, "ci")
				if err != nil {
					return Report{}, err
				}
				if mi == 0 && ci == 0 {
					continue // no instructions: nothing on this line can run
				}
				if !set.set(cur, n, ci, maxHits) {
					return Report{}, w.at(tooManyLines(JaCoCo))
				}
				var mb, cb int
				if hasAttr(t, "mb") || hasAttr(t, "cb") {
					if mb, err = w.countAttr(t, "mb"); err != nil {
						return Report{}, err
					}
					if cb, err = w.countAttr(t, "cb"); err != nil {
						return Report{}, err
					}
				}
				if addHits(mb, cb) > 0 && !set.setBranches(cur, n, counted(addHits(mb, cb), cb)) {
					return Report{}, w.at(tooManyLines(JaCoCo))
				}
			}
		}
	}
	return set.report(), nil
}
